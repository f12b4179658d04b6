package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// dkmsBinary builds the dkms command once for tests that need it as a
// separate process (to kill it, or to run several at once).
func dkmsBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dkms-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "dkms")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// sandbox is a hermetic set of trees with a fake kernel, like the
// testscript sandbox.
type sandbox struct {
	t    *testing.T
	root string
	bin  string
	env  []string
}

const fakeK = "6.1.0-fake"

func newSandbox(t *testing.T, bin string) *sandbox {
	return populateSandbox(t, bin, t.TempDir())
}

// populateSandbox makes the sandbox's trees under root, which may already
// hold (mount points for) some of them.
func populateSandbox(t *testing.T, bin, root string) *sandbox {
	s := &sandbox{t: t, root: root, bin: bin}
	etc := filepath.Join(root, "etc")
	kdir := filepath.Join(root, "modules", fakeK)
	for _, d := range []string{etc, filepath.Join(root, "dkms"), filepath.Join(kdir, "build", "include"), filepath.Join(kdir, "kernel", "drivers")} {
		must(t, os.MkdirAll(d, 0o755))
	}
	// try_sign_modules=true: signing (when a kernel asks for it) must not
	// depend on whether the tests run in a chroot or container.
	fw := fmt.Sprintf("dkms_tree=%s/dkms\nsource_tree=%s/src\ninstall_tree=%s/modules\ntry_sign_modules=true\n", root, root, root)
	must(t, os.WriteFile(filepath.Join(etc, "framework.conf"), []byte(fw), 0o644))
	must(t, os.WriteFile(filepath.Join(kdir, "build", "Makefile"), []byte(fakeMakefile), 0o644))
	must(t, os.WriteFile(filepath.Join(kdir, "build", "fake.mk"), []byte(fakeMk), 0o644))
	must(t, os.WriteFile(filepath.Join(kdir, "modules.dep"), nil, 0o644))
	// TMPDIR in the sandbox: what a killed run leaves in its temporary
	// directory (ldtarball's extraction, depmod's -b tree) goes with it.
	tmp := filepath.Join(root, "tmp")
	must(t, os.MkdirAll(tmp, 0o755))
	s.env = append(os.Environ(), envConfDir+"="+etc, "parallel_jobs=1", "TMPDIR="+tmp)
	return s
}

// addSource writes a fake module source ST/<name>-1.0 whose module is
// <name>.ko at version 1.0.
func (s *sandbox) addSource(name string) {
	dir := filepath.Join(s.root, "src", name+"-1.0")
	must(s.t, os.MkdirAll(dir, 0o755))
	conf := fmt.Sprintf("PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nDEST_MODULE_LOCATION[0]=/updates\nAUTOINSTALL=yes\n", name)
	must(s.t, os.WriteFile(filepath.Join(dir, "dkms.conf"), []byte(conf), 0o644))
	must(s.t, os.WriteFile(filepath.Join(dir, "Kbuild"), []byte("obj-m := "+name+".o\n"), 0o644))
	c := `static const char mi[] __attribute__((section(".modinfo"), used)) = "version=1.0";` + "\n"
	must(s.t, os.WriteFile(filepath.Join(dir, name+".c"), []byte(c), 0o644))
}

// addOriginal puts a kernel-shipped module of the same name in place,
// listed in modules.dep as depmod lists it.
func (s *sandbox) addOriginal(name string) string {
	p := filepath.Join(s.root, "modules", fakeK, "kernel", "drivers", name+".ko")
	must(s.t, os.WriteFile(p, []byte("original "+name), 0o644))
	appendFile(s.t, filepath.Join(s.root, "modules", fakeK, "modules.dep"), "kernel/drivers/"+name+".ko:\n")
	return p
}

// dkms runs the binary; extra are additional environment variables.
func (s *sandbox) dkms(extra []string, args ...string) (string, error) {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(append([]string(nil), s.env...), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (s *sandbox) mustDkms(args ...string) string {
	out, err := s.dkms(nil, args...)
	if err != nil {
		s.t.Fatalf("dkms %v: %v\n%s", args, err, out)
	}
	return out
}

func (s *sandbox) status() (string, error) {
	cmd := exec.Command(s.bin, "status")
	cmd.Env = s.env
	out, err := cmd.Output() // stderr is not part of the listing
	return string(out), err
}

// consistent checks the invariants a finished run must leave: no
// temporary names anywhere, every manifest file installed with its hash,
// every installed module file in a manifest, no manifest without its
// kernel link, and each kernel's modules.dep (written by the real depmod)
// listing exactly the module files in its install tree.
func (s *sandbox) consistent() error {
	var problems []string
	for _, root := range []string{filepath.Join(s.root, "dkms"), filepath.Join(s.root, "modules"), filepath.Join(s.root, "src")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && (strings.HasPrefix(d.Name(), fileutil.TempPrefix) || strings.HasPrefix(d.Name(), ".tmp_") || strings.HasPrefix(d.Name(), tree.AsidePrefix)) {
				problems = append(problems, "temporary name left: "+p)
			}
			return nil
		})
	}
	l := tree.Layout{DKMS: filepath.Join(s.root, "dkms"), Source: filepath.Join(s.root, "src"), Install: filepath.Join(s.root, "modules")}
	owned := map[string]bool{}
	for _, man := range l.Manifests() {
		if l.InstalledVersion(man.Module, man.Kernel, man.Arch) != man.Version {
			problems = append(problems, "manifest without kernel link: "+man.Module)
		}
		for _, f := range man.Files {
			owned[f.Path] = true
			if h, err := fileutil.HashFile(f.Path); err != nil || h != f.SHA256 {
				problems = append(problems, "manifest file missing or changed: "+f.Path)
			}
		}
	}
	kdirs, _ := filepath.Glob(filepath.Join(s.root, "modules", "*"))
	for _, kdir := range kdirs {
		filepath.WalkDir(filepath.Join(kdir, "updates"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !owned[p] {
				problems = append(problems, "installed file in no manifest: "+p)
			}
			return nil
		})
		problems = append(problems, modulesDepProblems(kdir)...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// moduleFile matches the names depmod indexes.
var moduleFile = regexp.MustCompile(`\.ko(\.gz|\.xz|\.zst)?$`)

// modulesDepProblems compares a kernel's modules.dep with the module
// files in its install tree (not under build/ or source/): a module
// installed must be listed, one removed must not be. A kernel without
// modules.dep must have no modules (dkms then never runs depmod).
func modulesDepProblems(kdir string) []string {
	onDisk := map[string]bool{}
	filepath.WalkDir(kdir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(kdir, p)
		if err != nil || rel == "build" || rel == "source" {
			return fs.SkipDir
		}
		if !d.IsDir() && moduleFile.MatchString(p) {
			onDisk[rel] = true
		}
		return nil
	})
	listed := map[string]bool{}
	b, err := os.ReadFile(filepath.Join(kdir, "modules.dep"))
	if err != nil && len(onDisk) > 0 {
		return []string{fmt.Sprintf("%s: no modules.dep, but %d module files", kdir, len(onDisk))}
	}
	for line := range strings.Lines(string(b)) {
		if name, _, ok := strings.Cut(line, ":"); ok {
			listed[name] = true
		}
	}
	var problems []string
	for f := range onDisk {
		if !listed[f] {
			problems = append(problems, fmt.Sprintf("%s: %s is installed but not in modules.dep", kdir, f))
		}
	}
	for f := range listed {
		if !onDisk[f] {
			problems = append(problems, fmt.Sprintf("%s: modules.dep lists %s, which is not installed", kdir, f))
		}
	}
	sort.Strings(problems)
	return problems
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
