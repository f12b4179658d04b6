package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a small program that performs
// helperSteps file writes through a Runner built from its environment, so
// the kill hook can be observed from outside.
const (
	helperEnv   = "DKMS_RUN_TEST_HELPER"
	helperSteps = 5
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		r := New(nil, os.Environ())
		for i := 1; i <= helperSteps; i++ {
			if err := r.WriteFile(filepath.Join(dir, "f"+strconv.Itoa(i)), []byte("x"), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		path     string
		args     []string
		code     int    // ExitCode of the result
		output   string // ExitError.Output, when the command ran and failed
		contains string // part of Error(), when failing
	}{
		{name: "success", path: "true"},
		{name: "false", path: "false", code: 1, contains: "false: exit status 1"},
		{name: "exit 3 with output", path: "sh", args: []string{"-c", "echo out; echo err >&2; exit 3"},
			code: 3, output: "out\nerr\n", contains: "exit status 3\nout\nerr"},
		{name: "killed by signal", path: "sh", args: []string{"-c", "kill -KILL $$"}, code: 128 + 9},
		{name: "terminated", path: "sh", args: []string{"-c", "kill -TERM $$"}, code: 128 + 15},
		{name: "cannot start", path: filepath.Join(t.TempDir(), "missing"), code: -1, contains: "running "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Runner{}
			err := r.Run(t.Context(), Cmd{Path: tc.path, Args: tc.args})
			if got := ExitCode(err); got != tc.code {
				t.Fatalf("ExitCode = %d, want %d (err %v)", got, tc.code, err)
			}
			if tc.code == 0 {
				return
			}
			if tc.contains != "" && !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
			var ee *ExitError
			if tc.code < 0 {
				if errors.As(err, &ee) {
					t.Errorf("a command that did not start gave an ExitError: %v", err)
				}
				return
			}
			if !errors.As(err, &ee) {
				t.Fatalf("error %T is not an *ExitError", err)
			}
			if ee.Output != tc.output {
				t.Errorf("Output = %q, want %q", ee.Output, tc.output)
			}
			if want := Quote(append([]string{tc.path}, tc.args...)); ee.Cmd != want {
				t.Errorf("Cmd = %q, want %q", ee.Cmd, want)
			}
		})
	}
}

func TestRunWriters(t *testing.T) {
	var out, errb bytes.Buffer
	r := &Runner{}
	err := r.Run(t.Context(), Cmd{Path: "sh", Args: []string{"-c", "echo o; echo e >&2; exit 2"}, Stdout: &out, Stderr: &errb})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 2 {
		t.Fatalf("err = %v, want exit status 2", err)
	}
	if ee.Output != "" {
		t.Errorf("Output = %q, want nothing captured when the caller gave writers", ee.Output)
	}
	if out.String() != "o\n" || errb.String() != "e\n" {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}

	// Only Stdout given: stderr follows it.
	out.Reset()
	if err := r.Run(t.Context(), Cmd{Path: "sh", Args: []string{"-c", "echo o; echo e >&2"}, Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "o\ne\n" {
		t.Errorf("combined output %q", out.String())
	}
}

func TestRunEnvDirStdin(t *testing.T) {
	dir := t.TempDir()
	r := &Runner{Env: []string{"A=base", "PATH=" + os.Getenv("PATH")}}
	out, err := r.Output(t.Context(), Cmd{
		Path:  "sh",
		Args:  []string{"-c", `echo "$A $B $(pwd)"; cat`},
		Dir:   dir,
		Env:   []string{"B=extra"},
		Stdin: strings.NewReader("in\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "base extra " + dir + "\nin\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestOutput(t *testing.T) {
	r := &Runner{}
	out, err := r.Output(t.Context(), Cmd{Path: "sh", Args: []string{"-c", "echo stdout; echo stderr >&2; exit 4"}})
	if string(out) != "stdout\n" {
		t.Errorf("stdout %q", out)
	}
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 4 || ee.Output != "stderr\n" {
		t.Errorf("err = %#v, want code 4 with stderr kept", err)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	r := &Runner{}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, Cmd{Path: "sleep", Args: []string{"30"}}) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		// sleep dies of the SIGINT sent on cancellation.
		if got := ExitCode(err); got != 128+int(syscall.SIGINT) {
			t.Errorf("ExitCode = %d (%v), want %d", got, err, 128+int(syscall.SIGINT))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled command still running")
	}
}

func TestEcho(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  Cmd
		want string
	}{
		{"argv", Cmd{Path: "echo", Args: []string{"a", "b c"}}, "echo a 'b c'\n"},
		{"show", Cmd{Path: "echo", Args: []string{"x"}, Show: "make -j4"}, "make -j4\n"},
		{"noecho", Cmd{Path: "echo", Args: []string{"x"}, NoEcho: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var echo bytes.Buffer
			r := New(&echo, nil)
			if err := r.Run(t.Context(), tc.cmd); err != nil {
				t.Fatal(err)
			}
			if echo.String() != tc.want {
				t.Errorf("echo %q, want %q", echo.String(), tc.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"make", "-j4", "KERNELRELEASE=6.1.0-13-amd64"}, "make -j4 KERNELRELEASE=6.1.0-13-amd64"},
		{[]string{"a b"}, "'a b'"},
		{[]string{""}, "''"},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{"$HOME"}, "'$HOME'"},
		{[]string{"a*"}, "'a*'"},
		{[]string{"x;y"}, "'x;y'"},
		{[]string{"tab\there"}, "'tab\there'"},
		{[]string{"~"}, "'~'"},
		{[]string{"/usr/src/m-1.0", "M=/a/b", "--x=y,z"}, "/usr/src/m-1.0 M=/a/b --x=y,z"},
		{nil, ""},
	} {
		if got := Quote(tc.argv); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.argv, got, tc.want)
		}
	}
}

func TestExitError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{nil, 0, ""},
		{errors.New("plain"), -1, "plain"},
		{&ExitError{Cmd: "make", Code: 2}, 2, "make: exit status 2"},
		{&ExitError{Cmd: "make", Code: 2, Output: "  \n"}, 2, "make: exit status 2"},
		{&ExitError{Cmd: "make", Code: 2, Output: "\nerror: x\n"}, 2, "make: exit status 2\nerror: x"},
		{fmt.Errorf("wrapped: %w", &ExitError{Cmd: "m", Code: 7}), 7, "wrapped: m: exit status 7"},
	} {
		if got := ExitCode(tc.err); got != tc.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		if tc.err != nil && tc.err.Error() != tc.msg {
			t.Errorf("Error() = %q, want %q", tc.err.Error(), tc.msg)
		}
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		env            []string
		killAt, stopAt int64
		trace          string
	}{
		{nil, 0, 0, ""},
		{[]string{KillAfterEnv + "=3", TraceEnv + "=/t"}, 3, 0, "/t"},
		{[]string{KillAfterEnv + "=junk"}, 0, 0, ""},
		{[]string{"X" + KillAfterEnv + "=3"}, 0, 0, ""},
		{[]string{StopAtEnv + "=5"}, 0, 5, ""},
	} {
		r := New(nil, tc.env)
		if r.killAt != tc.killAt || r.stopAt != tc.stopAt || r.trace != tc.trace {
			t.Errorf("New(%q): killAt %d stopAt %d trace %q, want %d %d %q", tc.env, r.killAt, r.stopAt, r.trace, tc.killAt, tc.stopAt, tc.trace)
		}
	}
}

func TestStepNil(t *testing.T) {
	var r *Runner
	r.Step("nothing") // must not panic
}

func TestStepTrace(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace")
	r := New(nil, []string{TraceEnv + "=" + trace})
	r.Step("one")
	r.Step("two words")
	if err := r.Run(t.Context(), Cmd{Path: "true", Args: []string{"a b"}}); err != nil {
		t.Fatal(err)
	}
	if r.Steps() != 3 {
		t.Errorf("Steps = %d, want 3", r.Steps())
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 one\n2 two words\n3 exec true 'a b'\n"; string(b) != want {
		t.Errorf("trace %q, want %q", b, want)
	}
}

// TestStepConcurrent checks that concurrent steps get distinct numbers and
// whole trace lines.
func TestStepConcurrent(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace")
	r := New(nil, []string{TraceEnv + "=" + trace})
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { r.Step("s" + strconv.Itoa(i)) })
	}
	wg.Wait()
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != n || r.Steps() != n {
		t.Fatalf("%d trace lines, %d steps, want %d", len(lines), r.Steps(), n)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		num, _, ok := strings.Cut(l, " ")
		if !ok || seen[num] {
			t.Errorf("bad or repeated trace line %q", l)
		}
		seen[num] = true
	}
}

// TestKillAt re-executes the test binary as a helper that performs
// helperSteps writes, and checks that DKMS_TEST_KILL_AT=n kills it by
// SIGKILL right before the n-th write: writes 1..n-1 happened, n did not.
func TestKillAt(t *testing.T) {
	for n := 0; n <= helperSteps+1; n++ {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			dir := t.TempDir()
			trace := filepath.Join(t.TempDir(), "trace")
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+dir, KillAfterEnv+"="+strconv.Itoa(n), TraceEnv+"="+trace)
			out, err := cmd.CombinedOutput()
			killed := n >= 1 && n <= helperSteps
			var ee *exec.ExitError
			switch {
			case killed:
				if !errors.As(err, &ee) {
					t.Fatalf("helper was not killed: err %v, output %s", err, out)
				}
				ws, ok := ee.Sys().(syscall.WaitStatus)
				if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
					t.Fatalf("helper ended with %v, want SIGKILL; output %s", err, out)
				}
			case err != nil:
				t.Fatalf("helper failed: %v\n%s", err, out)
			}
			last := helperSteps
			if killed {
				last = n - 1
			}
			for i := 1; i <= helperSteps; i++ {
				_, err := os.Stat(filepath.Join(dir, "f"+strconv.Itoa(i)))
				if exists := err == nil; exists != (i <= last) {
					t.Errorf("f%d exists = %v, want %v", i, exists, i <= last)
				}
			}
			b, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			wantLines := helperSteps
			if killed {
				wantLines = n // the fatal step is traced before the kill
			}
			if len(lines) != wantLines {
				t.Fatalf("trace has %d lines, want %d:\n%s", len(lines), wantLines, b)
			}
			want := fmt.Sprintf("%d write %s", wantLines, filepath.Join(dir, "f"+strconv.Itoa(wantLines)))
			if lines[len(lines)-1] != want {
				t.Errorf("last trace line %q, want %q", lines[len(lines)-1], want)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".dkms-tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

// TestProgramPath checks that a PATH in the command's environment picks
// the program, as it would in a shell (build_environment can set one).
func TestProgramPath(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "tool")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho from-dir\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"tool", []string{"PATH=/nonexistent:" + dir}, prog},
		{"tool", []string{"PATH=" + dir, "PATH=/nonexistent"}, "tool"},
		{"tool", nil, "tool"},
		{"/bin/sh", []string{"PATH=" + dir}, "/bin/sh"},
		{"sh", []string{"PATH=" + dir}, "sh"},
	} {
		if got := programPath(tc.name, tc.env); got != tc.want {
			t.Errorf("programPath(%q, %q) = %q, want %q", tc.name, tc.env, got, tc.want)
		}
	}
	var out bytes.Buffer
	if err := (&Runner{}).Run(t.Context(), Cmd{Path: "tool", Env: []string{"PATH=" + dir + ":/bin:/usr/bin"}, Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "from-dir\n" {
		t.Errorf("ran %q", out.String())
	}
}
