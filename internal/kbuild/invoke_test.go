package kbuild

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
)

var dashes = strings.Repeat("-", 64)

func TestInvokeLog(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     string
		verbose bool
		out     string // printed to Out
		block   string // appended to the log after "head\n"
		code    int
	}{
		{
			name:  "success",
			cmd:   "echo hi; echo err >&2",
			out:   "Building module(s)... done.\n",
			block: "\nBuilding module(s)\n# command: echo hi; echo err >&2\nhi\nerr\n\n# exit code: 0\n# elapsed time: 00:00:00\n" + dashes + "\n",
		},
		{
			name:  "failure",
			cmd:   "echo oops; exit 3",
			out:   "Building module(s)...(bad exit status: 3)\nFailed command:\necho oops; exit 3\n",
			block: "\nBuilding module(s)\n# command: echo oops; exit 3\noops\n\n# exit code: 3\n# elapsed time: 00:00:00\n" + dashes + "\n",
			code:  3,
		},
		{
			name:    "verbose success",
			cmd:     "echo hi",
			verbose: true,
			out:     "echo hi\n done.\n",
			block:   "\nBuilding module(s)\n# command: echo hi\nhi\n\n# exit code: 0\n# elapsed time: 00:00:00\n" + dashes + "\n",
		},
		{
			name:    "verbose failure",
			cmd:     "exit 2",
			verbose: true,
			out:     "exit 2\n(bad exit status: 2)",
			block:   "\nBuilding module(s)\n# command: exit 2\n\n# exit code: 2\n# elapsed time: 00:00:00\n" + dashes + "\n",
			code:    2,
		},
		{
			name:  "bash syntax",
			cmd:   "for i in 1 2; do echo $i; done | tr '\\n' ,",
			out:   "Building module(s)... done.\n",
			block: "\nBuilding module(s)\n# command: for i in 1 2; do echo $i; done | tr '\\n' ,\n1,2,\n# exit code: 0\n# elapsed time: 00:00:00\n" + dashes + "\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "make.log")
			if err := os.WriteFile(log, []byte("head\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			iv := &Invoker{Runner: &run.Runner{}, Out: &out, Verbose: tc.verbose}
			err := iv.Invoke(t.Context(), "Building module(s)", tc.cmd, dir, log, false)
			if got := run.ExitCode(err); got != tc.code {
				t.Fatalf("exit code %d (%v), want %d", got, err, tc.code)
			}
			if tc.code != 0 {
				var ee *run.ExitError
				if !errors.As(err, &ee) || ee.Cmd != tc.cmd || ee.Output != "" {
					t.Errorf("err = %#v, want an ExitError for the command line", err)
				}
			}
			if out.String() != tc.out {
				t.Errorf("Out = %q, want %q", out.String(), tc.out)
			}
			b, _ := os.ReadFile(log)
			if want := "head\n" + tc.block; string(b) != want {
				t.Errorf("make.log:\n%q\nwant\n%q", b, want)
			}
		})
	}
}

func TestInvokeNoLog(t *testing.T) {
	for _, tc := range []struct {
		name          string
		show, verbose bool
		out           string
	}{
		{"quiet", false, false, "Running... done.\n"},
		{"show", true, false, "Running...visible\n done.\n"},
		{"verbose", false, true, "echo visible\nvisible\n done.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			iv := &Invoker{Runner: &run.Runner{}, Out: &out, Verbose: tc.verbose}
			if err := iv.Invoke(t.Context(), "Running", "echo visible", t.TempDir(), "", tc.show); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.out {
				t.Errorf("Out = %q, want %q", out.String(), tc.out)
			}
		})
	}
}

func TestInvokeEnvAndDir(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	iv := &Invoker{Runner: &run.Runner{}, Out: &out, Env: []string{"DKMS_X=42"}}
	if err := iv.Invoke(t.Context(), "Env", `echo "$DKMS_X $PWD"`, dir, "", true); err != nil {
		t.Fatal(err)
	}
	if want := "Env..." + "42 " + dir + "\n done.\n"; out.String() != want {
		t.Errorf("Out = %q, want %q", out.String(), want)
	}
}

func TestInvokeCannotStart(t *testing.T) {
	var out bytes.Buffer
	iv := &Invoker{Runner: &run.Runner{}, Out: &out}
	err := iv.Invoke(t.Context(), "Building module(s)", "true", filepath.Join(t.TempDir(), "missing"), "", false)
	if run.ExitCode(err) != -1 {
		t.Errorf("err = %v, want a start failure", err)
	}
	var ee *run.ExitError
	if errors.As(err, &ee) {
		t.Errorf("start failure reported as an exit status: %v", err)
	}

	// A log that cannot be opened is an error before anything runs.
	out.Reset()
	err = iv.Invoke(t.Context(), "Building module(s)", "true", t.TempDir(), filepath.Join(t.TempDir(), "no", "make.log"), false)
	if err == nil || !strings.Contains(err.Error(), "opening ") {
		t.Errorf("err = %v, want an error opening the log", err)
	}
}

// TestInvokeStep checks that Invoke goes through the Runner, so the kill
// harness counts it, and that it does not echo the command twice.
func TestInvokeStep(t *testing.T) {
	var echo, out bytes.Buffer
	r := run.New(&echo, nil)
	iv := &Invoker{Runner: r, Out: &out, Verbose: true}
	if err := iv.Invoke(t.Context(), "x", "true", t.TempDir(), "", false); err != nil {
		t.Fatal(err)
	}
	if r.Steps() != 1 {
		t.Errorf("Steps = %d, want 1", r.Steps())
	}
	if echo.Len() != 0 {
		t.Errorf("runner echoed %q besides Invoke's own line", echo.String())
	}
}
