package kbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dkms-go/dkms/internal/run"
)

// script runs a PRE_BUILD or POST_BUILD script from the build directory
// (or the override directory, ScriptDir) with its output in make.log
// (§7.10): the reference's `cd <dir>/ && <dir>/<value>`, so the value's
// arguments get full shell parsing. A script that is not executable is
// reported by the caller's Warn and otherwise ignored, as the reference
// does.
func (b *Builder) script(ctx context.Context, kind, value, dir, overrides, log string) error {
	if value == "" {
		return nil
	}
	dir = ScriptDir(value, dir, overrides)
	path := dir + "/" + value // not filepath.Join: the text is the reference's command line
	if !executable(firstWord(path)) {
		return b.notExecutable(kind)
	}
	err := b.Inv.Invoke(ctx, "Running the "+kind+" script", "cd "+dir+"/ && "+path, dir, log, false)
	if code := run.ExitCode(err); code != 0 {
		fmt.Fprintf(b.Inv.Out, "Consult %s for more information.\n", log)
		if code < 0 {
			return err
		}
		return &ScriptError{Type: kind, Log: log, Code: code}
	}
	return nil
}

func (b *Builder) notExecutable(kind string) error {
	fmt.Fprintln(b.Inv.Out)
	if b.Warn != nil {
		b.Warn("The " + kind + " script is not executable.")
	}
	return nil
}

// ScriptDir is where a script named by value runs from (dkms 3.4): the
// override directory /etc/dkms/<module> when it has an entry named by
// the value's first word that passes the shell's -x test (a directory
// does too, as in the reference), else dir.
func ScriptDir(value, dir, overrides string) string {
	if overrides == "" {
		return dir
	}
	if st, err := os.Stat(overrides + "/" + firstWord(value)); err == nil && (st.IsDir() || st.Mode()&0o111 != 0) {
		return overrides
	}
	return dir
}

// RunScript runs a POST_ADD, PRE_INSTALL, POST_INSTALL or POST_REMOVE
// script from dir (or the override directory, ScriptDir) without a log:
// "Running the <kind> script:" then its output straight to out and errw,
// arguments split on blanks only. env is added to its environment, and
// PWD is the directory it runs from, as after the reference's `cd dir/`.
// It returns the script's exit status.
func RunScript(ctx context.Context, r *run.Runner, out, errw io.Writer, warn func(...string), kind, value, dir, overrides string, env ...string) int {
	if value == "" {
		return 0
	}
	dir = ScriptDir(value, dir, overrides)
	words := strings.Fields(value)
	path := dir + "/" + words[0]
	if !executable(path) {
		fmt.Fprintln(out)
		warn("The " + kind + " script is not executable.")
		return 0
	}
	fmt.Fprintf(out, "Running the %s script:\n", kind)
	env = append(append([]string(nil), env...), "PWD="+dir)
	err := r.Run(ctx, run.Cmd{Path: path, Args: words[1:], Dir: dir, Env: env, Stdout: out, Stderr: errw})
	if code := run.ExitCode(err); code != 0 {
		if code < 0 {
			return 1
		}
		return code
	}
	return 0
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func executable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
