package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
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
	root := t.TempDir()
	s := &sandbox{t: t, root: root, bin: bin}
	etc := filepath.Join(root, "etc")
	kdir := filepath.Join(root, "modules", fakeK)
	for _, d := range []string{etc, filepath.Join(root, "dkms"), filepath.Join(kdir, "build", "include"), filepath.Join(kdir, "kernel", "drivers")} {
		must(t, os.MkdirAll(d, 0o755))
	}
	fw := fmt.Sprintf("dkms_tree=%s/dkms\nsource_tree=%s/src\ninstall_tree=%s/modules\n", root, root, root)
	must(t, os.WriteFile(filepath.Join(etc, "framework.conf"), []byte(fw), 0o644))
	must(t, os.WriteFile(filepath.Join(kdir, "build", "Makefile"), []byte(fakeMakefile), 0o644))
	must(t, os.WriteFile(filepath.Join(kdir, "build", "fake.mk"), []byte(fakeMk), 0o644))
	must(t, os.WriteFile(filepath.Join(kdir, "modules.dep"), nil, 0o644))
	s.env = append(os.Environ(), envConfDir+"="+etc, "parallel_jobs=1")
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

// addOriginal puts a kernel-shipped module of the same name in place.
func (s *sandbox) addOriginal(name string) string {
	p := filepath.Join(s.root, "modules", fakeK, "kernel", "drivers", name+".ko")
	must(s.t, os.WriteFile(p, []byte("original "+name), 0o644))
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
// kernel link.
func (s *sandbox) consistent() error {
	var problems []string
	for _, root := range []string{filepath.Join(s.root, "dkms"), filepath.Join(s.root, "modules"), filepath.Join(s.root, "src")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && (strings.HasPrefix(d.Name(), fileutil.TempPrefix) || strings.HasPrefix(d.Name(), ".tmp_")) {
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
	updates := filepath.Join(s.root, "modules", fakeK, "updates")
	filepath.WalkDir(updates, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !owned[p] {
			problems = append(problems, "installed file in no manifest: "+p)
		}
		return nil
	})
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// killCase is one mutating action to interrupt at each side effect.
type killCase struct {
	name   string
	setup  func(s *sandbox)
	args   []string
	states []string // status listings allowed right after a kill
	final  string   // status listing after the rerun
	check  func(s *sandbox) error
}

func killCases() []killCase {
	const (
		added     = "hello/1.0: added\n"
		built     = "hello/1.0, " + fakeK + ", x86_64: built\n"
		installed = "hello/1.0, " + fakeK + ", x86_64: installed (Original modules exist)\n"
	)
	inst := []string{"install", "hello/1.0", "-k", fakeK, "-a", "x86_64"}
	originalBack := func(s *sandbox) error {
		b, err := os.ReadFile(filepath.Join(s.root, "modules", fakeK, "kernel", "drivers", "hello.ko"))
		if err != nil || string(b) != "original hello" {
			return fmt.Errorf("original module not restored: %v", err)
		}
		return nil
	}
	return []killCase{
		{"add", func(s *sandbox) {}, []string{"add", "hello/1.0"}, []string{"", added}, added, nil},
		{"build", func(s *sandbox) { s.mustDkms("add", "hello/1.0") },
			[]string{"build", "hello/1.0", "-k", fakeK, "-a", "x86_64"}, []string{added, built}, built, nil},
		{"install", func(s *sandbox) {}, inst, []string{"", added, built, installed}, installed, nil},
		{"uninstall", func(s *sandbox) { s.mustDkms(inst...) },
			[]string{"uninstall", "hello/1.0", "-k", fakeK, "-a", "x86_64"}, []string{installed, built}, built, originalBack},
		{"unbuild", func(s *sandbox) { s.mustDkms(inst...) },
			[]string{"unbuild", "hello/1.0", "-k", fakeK, "-a", "x86_64"}, []string{installed, built, added}, added, originalBack},
		{"autoinstall", func(s *sandbox) { s.mustDkms("add", "hello/1.0") },
			[]string{"autoinstall", "-k", fakeK, "-a", "x86_64"}, []string{added, built, installed}, installed, nil},
		{"ldtarball", func(s *sandbox) {
			s.mustDkms("build", "hello/1.0", "-k", fakeK, "-a", "x86_64")
			s.mustDkms("mktarball", "hello/1.0", "-k", fakeK, "-a", "x86_64", "--archive", filepath.Join(s.root, "hello.dkms.tar.gz"))
			s.mustDkms("remove", "hello/1.0", "--all")
			must(s.t, os.RemoveAll(filepath.Join(s.root, "src", "hello-1.0")))
		}, []string{"ldtarball", "--archive", "ARCHIVE"}, []string{"", added, built}, built, nil},
		{"remove", func(s *sandbox) { s.mustDkms(inst...) },
			[]string{"remove", "hello/1.0", "--all"}, []string{installed, built, added, ""}, "", originalBack},
	}
}

// TestKillAtEveryStep kills dkms with SIGKILL right before each side
// effect of each mutating action, then checks that status works and shows
// the old or the new state, that rerunning the action completes, and that
// the trees are then consistent.
func TestKillAtEveryStep(t *testing.T) {
	bin := dkmsBinary(t)
	total, bad := 0, 0
	for _, c := range killCases() {
		t.Run(c.name, func(t *testing.T) {
			n := countSteps(t, bin, c)
			for i := 1; i <= n; i++ {
				total++
				if err := killOnce(t, bin, c, i); err != nil {
					bad++
					t.Errorf("kill at step %d of %d: %v", i, n, err)
				}
			}
			t.Logf("%s: %d kill points", c.name, n)
		})
	}
	t.Logf("kill points covered: %d, inconsistent states: %d", total, bad)
}

func countSteps(t *testing.T, bin string, c killCase) int {
	s := newSandbox(t, bin)
	s.addSource("hello")
	s.addOriginal("hello")
	c.setup(s)
	trace := filepath.Join(t.TempDir(), "trace")
	if out, err := s.dkms([]string{run.TraceEnv + "=" + trace}, s.args(c.args)...); err != nil {
		t.Fatalf("dkms %v: %v\n%s", c.args, err, out)
	}
	b, _ := os.ReadFile(trace)
	return bytes.Count(b, []byte("\n"))
}

func killOnce(t *testing.T, bin string, c killCase, step int) error {
	s := newSandbox(t, bin)
	s.addSource("hello")
	s.addOriginal("hello")
	c.setup(s)
	out, err := s.dkms([]string{fmt.Sprintf("%s=%d", run.KillAfterEnv, step)}, s.args(c.args)...)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		return fmt.Errorf("expected a kill, got %v\n%s", err, out)
	}
	st, err := s.status()
	if err != nil {
		return fmt.Errorf("status after kill: %v", err)
	}
	if !contains(c.states, st) {
		return fmt.Errorf("status after kill shows %q, want one of %q", st, c.states)
	}
	// Rerun: it must complete. A remove whose kill came after the point
	// of no return finds nothing left to remove and says so (exit 3), as
	// the reference does for any second remove; it still recovers.
	if out, err := s.dkms(nil, s.args(c.args)...); err != nil && st != c.final {
		return fmt.Errorf("rerun: %v\n%s", err, out)
	}
	if st, _ := s.status(); st != c.final {
		return fmt.Errorf("status after rerun %q, want %q", st, c.final)
	}
	if err := s.consistent(); err != nil {
		return err
	}
	if c.check != nil {
		return c.check(s)
	}
	return nil
}

// args puts the sandbox's archive path in place of the word ARCHIVE.
func (s *sandbox) args(args []string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		if a == "ARCHIVE" {
			out[i] = filepath.Join(s.root, "hello.dkms.tar.gz")
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
