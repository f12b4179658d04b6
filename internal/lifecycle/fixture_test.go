package lifecycle

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/dkms-go/dkms/internal/testenv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

const (
	testK    = "6.1.0-test"
	testArch = "x86_64"
)

// recorder is a Reporter that keeps everything: stdout and stderr text,
// and the errors reported with Fail (each reported as exit 9, or its
// Status).
type recorder struct {
	out, err io.Writer
	failed   *[]error
}

func (r recorder) Say(format string, args ...any) { fmt.Fprintf(r.out, format+"\n", args...) }
func (r recorder) Warn(lines ...string)           { fmt.Fprintf(r.err, "W: %s\n", strings.Join(lines, "|")) }
func (r recorder) Error(lines ...string)          { fmt.Fprintf(r.err, "E: %s\n", strings.Join(lines, "|")) }
func (r recorder) Stdout() io.Writer              { return r.out }
func (r recorder) Stderr() io.Writer              { return r.err }
func (r recorder) To(o, e io.Writer) Reporter     { return recorder{out: o, err: e, failed: r.failed} }

func (r recorder) Fail(err error) int {
	*r.failed = append(*r.failed, err)
	var st Status
	if errors.As(err, &st) {
		return int(st)
	}
	return 9
}

// fixture is a session on hermetic trees below a temp dir, with a fake
// kernel whose "headers" build modules with plain gcc (as the CLI tests'
// fakekernel), and a trace of every side effect.
type fixture struct {
	s        *Session
	out, err bytes.Buffer
	failed   []error
	root     string
	trace    string
}

func newFixture(t *testing.T, directives ...string) *fixture {
	t.Helper()
	root := t.TempDir()
	l := tree.Layout{DKMS: filepath.Join(root, "dkms"), Source: filepath.Join(root, "src"), Install: filepath.Join(root, "modules")}
	f := &fixture{root: root, trace: filepath.Join(root, "trace")}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, run.TraceEnv + "=" + f.trace}
	r := run.New(nil, env)
	etc := filepath.Join(root, "etc")
	for _, d := range []string{l.DKMS, l.Source, etc} {
		must(t, os.MkdirAll(d, 0o755))
	}
	f.s = &Session{
		Layout: l, Runner: r, Rep: recorder{out: &f.out, err: &f.err, failed: &f.failed},
		Loader: &conf.Loader{Base: conf.Context{DkmsTree: l.DKMS, SourceTree: l.Source, InstallTree: l.Install,
			Environ: env, Runner: r}, ConfDir: etc, Directives: directives},
		Framework: map[string]string{}, ConfDir: etc, Tmp: root, Jobs: 1, Distro: "debian",
		MOK:     KeyPair{Key: filepath.Join(root, "mok.key"), Cert: filepath.Join(root, "mok.pub")},
		Host:    kernel.Host{Release: testK, Machine: testArch},
		Kernel:  kernel.Options{InstallTree: l.Install},
		Release: "dkms-test", Flags: Flags{NoDepmod: true},
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) write(t *testing.T, rel, content string) string {
	t.Helper()
	p := filepath.Join(f.root, rel)
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// module writes the source of module m/1.0 into the source tree, with
// extra dkms.conf lines.
func (f *fixture) module(t *testing.T, m, extra string) {
	t.Helper()
	f.write(t, "src/"+m+"-1.0/dkms.conf", "PACKAGE_NAME="+m+"\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]="+m+
		"\nDEST_MODULE_LOCATION[0]=/updates\n"+extra)
	f.write(t, "src/"+m+"-1.0/Kbuild", "obj-m := "+m+".o\n")
	f.write(t, "src/"+m+"-1.0/"+m+".c", "int "+m+"_x;\n")
}

// fakeKernel makes fake headers for k: make in the module directory
// compiles each obj-m object's .c file with gcc.
func (f *fixture) fakeKernel(t *testing.T, k string) {
	t.Helper()
	for _, tool := range []string{"make", "gcc"} {
		testenv.LookPath(t, tool)
	}
	f.write(t, "modules/"+k+"/build/include/.keep", "")
	f.write(t, "modules/"+k+"/build/Makefile", "all modules:\n\t@$(MAKE) --no-print-directory -C $(M) -f $(CURDIR)/fake.mk\n")
	f.write(t, "modules/"+k+"/build/fake.mk", "include Kbuild\nKOS := $(obj-m:.o=.ko)\nall: $(KOS)\n%.ko: %.c\n\t@gcc -c -o $@ $<\n")
}

func (f *fixture) req(m string, kernels ...string) Request {
	r := Request{Module: m, Version: "1.0"}
	for _, k := range kernels {
		r.Kernels = append(r.Kernels, k)
		r.Arches = append(r.Arches, testArch)
	}
	return r
}

// kind returns the Kind of an *Error, 0 for anything else.
func kind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
