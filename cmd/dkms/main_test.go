package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("u", false, "rewrite testscript expected output")

func TestMain(m *testing.M) {
	testscript.Main(cleanupM{m}, map[string]func(){
		"dkms": func() {
			os.Exit(runCLI(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// cleanupM runs the tests, then removes what dkmsBinary built.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	return code
}

// TestScripts runs the CLI scripts in testdata/script. Each runs in a
// hermetic sandbox: framework.conf in $WORK/etc points every tree into
// $WORK, and `fakekernel` makes a kernel whose "headers" build modules
// with plain gcc in milliseconds. Real headers are covered by the
// realkernel tests.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup:         setupSandbox,
		Cmds:          scriptCmds,
		Condition:     condition,
	})
}

// scriptCmds are the commands the CLI and dist scripts have beside
// testscript's own.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"fakekernel":  cmdFakeKernel,
	"realkernel":  cmdRealKernel,
	"mktar":       cmdMkTar,
	"efivar":      cmdEFIVar,
	"fails":       cmdFails,
	"lintian":     cmdLintian,
	"pathwithout": cmdPathWithout,
}

func setupSandbox(env *testscript.Env) error {
	w := env.WorkDir
	etc := filepath.Join(w, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	// try_sign_modules=true: tests also run in chroots and containers,
	// where the reference's default would sign nothing (as its own suite
	// does there). Scripts about that default write their own.
	fw := fmt.Sprintf("dkms_tree=%s/dkms\nsource_tree=%s/src\ninstall_tree=%s/modules\nmok_signing_key=%s/mok.key\nmok_certificate=%s/mok.pub\ntry_sign_modules=true\n", w, w, w, w, w)
	if err := os.WriteFile(filepath.Join(etc, "framework.conf"), []byte(fw), 0o644); err != nil {
		return err
	}
	for _, d := range []string{"dkms", "src", "modules"} {
		if err := os.MkdirAll(filepath.Join(w, d), 0o755); err != nil {
			return err
		}
	}
	env.Setenv(envConfDir, etc)
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		return err
	}
	env.Setenv("EXAMPLES", examples)
	for name, k := range realKernels() {
		env.Setenv(name, k)
		env.Setenv(name+"RE", regexp.QuoteMeta(k)) // for use inside regexps
	}
	// DKMSBIN is the program as the reference's usage names it ($0).
	if bin, err := lookPathIn("dkms", env.Getenv("PATH")); err == nil {
		env.Setenv("DKMSBIN", bin)
	}
	env.Setenv("parallel_jobs", "1")
	env.Setenv("HOME", w)
	return nil
}

// lookPathIn finds an executable name in the directories of path.
func lookPathIn(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// fakeMakefile is the Makefile of a fake kernel's headers: for each
// obj-m object it compiles the module's .c file with gcc into a .ko that
// carries a real .modinfo section.
const fakeMakefile = `# fake kbuild for dkms tests
all modules:
	@$(MAKE) --no-print-directory -C $(M) -f $(CURDIR)/fake.mk KERNELRELEASE=$(KERNELRELEASE)
clean:
	@rm -f $(M)/*.ko
`

const fakeMk = `include Kbuild
KOS := $(obj-m:.o=.ko)
all: $(KOS)
%.ko: %.c
	@gcc -c -o $@ $<
	@touch Module.symvers
`

// cmdFakeKernel makes $WORK/modules/<release>/build look like installed
// kernel headers (include/, a Makefile) with a .config when asked.
func cmdFakeKernel(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: fakekernel RELEASE [CONFIG_LINE...]")
	}
	kdir := ts.MkAbs(filepath.Join("modules", args[0]))
	build := filepath.Join(kdir, "build")
	ts.Check(os.MkdirAll(filepath.Join(build, "include"), 0o755))
	ts.Check(os.WriteFile(filepath.Join(build, "Makefile"), []byte(fakeMakefile), 0o644))
	ts.Check(os.WriteFile(filepath.Join(build, "fake.mk"), []byte(fakeMk), 0o644))
	ts.Check(os.WriteFile(filepath.Join(kdir, "modules.dep"), nil, 0o644))
	if len(args) > 1 {
		cfg := ""
		for _, l := range args[1:] {
			cfg += l + "\n"
		}
		ts.Check(os.WriteFile(filepath.Join(build, ".config"), []byte(cfg), 0o644))
	}
}

// cmdFails runs a program that must fail with exactly the given exit
// status: `fails 2 dkms status --bogus`. It replaces `! exec`, which
// accepts any non-zero status (TestScriptRules forbids that form): the
// reference's exit codes are an interface that scripts check.
func cmdFails(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: fails CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil || want < 1 || want > 255 {
		ts.Fatalf("fails: exit status %q is not a number from 1 to 255 (use exec for 0)", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		ts.Fatalf("%s succeeded, want exit status %d", args[1], want)
	case !errors.As(err, &ee):
		ts.Fatalf("running %s: %v", args[1], err)
	case ee.ExitCode() != want:
		ts.Fatalf("%s: exit status %d, want %d", args[1], ee.ExitCode(), want)
	}
}
