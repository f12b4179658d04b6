package install

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/testenv"
	"github.com/dkms-go/dkms/internal/tree"
)

const (
	kver = "6.1.0-test"
	arch = "x86_64"
)

// fixture is a hermetic dkms, source and install tree with an Env on it
// that records what it prints and every side effect in a trace.
type fixture struct {
	l         tree.Layout
	e         *Env
	out, errb bytes.Buffer
	errBlocks [][]string
	warns     [][]string
	trace     string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{
		l:     tree.Layout{DKMS: filepath.Join(root, "dkms"), Source: filepath.Join(root, "src"), Install: filepath.Join(root, "lib", "modules")},
		trace: filepath.Join(root, "trace"),
	}
	f.e = &Env{
		Layout:     f.l,
		Runner:     run.New(nil, []string{run.TraceEnv + "=" + f.trace}),
		Out:        &f.out,
		Err:        &f.errb,
		NoDepmod:   true,
		ErrorBlock: func(l ...string) { f.errBlocks = append(f.errBlocks, l) },
		Warn:       func(l ...string) { f.warns = append(f.warns, l) },
	}
	mkdir(t, f.l.KernelDir(kver))
	return f
}

// kmod writes a module object at path whose .modinfo section holds the
// given NUL-separated fields, compiled by gcc so that it is a real ELF
// relocatable like a .ko. extra distinguishes modules with equal modinfo.
func kmod(t *testing.T, path, modinfo, extra string) {
	t.Helper()
	testenv.LookPath(t, "gcc")
	mkdir(t, filepath.Dir(path))
	src := `static const char mi[] __attribute__((section(".modinfo"), used)) = "` +
		strings.ReplaceAll(modinfo, "\x00", `\0`) + `";` + "\nint extra_" + extra + "(void) { return 0; }\n"
	cmd := exec.CommandContext(t.Context(), "gcc", "-c", "-x", "c", "-", "-o", path)
	cmd.Stdin = strings.NewReader(src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
}

// built makes foo/<v> built for kver/arch with a foo.ko of modinfo version
// ver, and returns its path.
func (f *fixture) built(t *testing.T, v, ver string) string {
	t.Helper()
	p := filepath.Join(f.l.BuiltModules("foo", v, kver, arch), "foo.ko")
	kmod(t, p, "version="+ver, strings.ReplaceAll(v, ".", "_"))
	return p
}

func (f *fixture) kpath(rel string) string { return filepath.Join(f.l.KernelDir(kver), rel) }

func (f *fixture) req(v string) Request {
	return Request{Module: "foo", Version: v, Kernel: kver, Arch: arch, Modules: []Module{{DestName: "foo", DestLocation: "/updates/dkms"}}}
}

func (f *fixture) traceLines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(f.trace)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		_, what, _ := strings.Cut(l, " ")
		out = append(out, what)
	}
	return out
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func hash(t *testing.T, p string) string {
	t.Helper()
	h, err := fileutil.HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func wantExists(t *testing.T, want bool, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if got := exists(p); got != want {
			t.Errorf("%s exists = %v, want %v", p, got, want)
		}
	}
}

func wantSame(t *testing.T, a, b string) {
	t.Helper()
	if !fileutil.SameContent(a, b) {
		t.Errorf("%s and %s differ", a, b)
	}
}

// uninstallNow uninstalls req and commits at once, as a caller does when
// its depmod succeeded.
func uninstallNow(e *Env, req Request) (bool, error) {
	active, p, err := e.Uninstall(context.Background(), req)
	if p != nil {
		if cerr := p.Commit(); err == nil {
			err = cerr
		}
	}
	return active, err
}
