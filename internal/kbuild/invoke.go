package kbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dkms-go/dkms/internal/run"
)

// Invoker runs shell command lines the way the reference's invoke_command
// does (dkms-behaviour §2.3): "<what>..." then " done." or the failure
// lines on Out, the command's output appended to a log with the command,
// exit code and elapsed time around it.
type Invoker struct {
	Runner  *run.Runner
	Out     io.Writer
	Env     []string // extra variables for the command
	Verbose bool
	Dots    bool // print a dot every 3 seconds while it runs
}

// Invoke runs cmdline with bash in dir. With a log, output goes there;
// without one it is discarded (quiet) or shown (show). It returns the
// command's exit status as a *run.ExitError.
func (iv *Invoker) Invoke(ctx context.Context, what, cmdline, dir, log string, show bool) error {
	if iv.Verbose {
		fmt.Fprintln(iv.Out, cmdline)
	} else {
		fmt.Fprintf(iv.Out, "%s...", what)
	}
	stop := iv.dots()
	err := iv.exec(ctx, what, cmdline, dir, log, show)
	stop()
	if code := run.ExitCode(err); code != 0 {
		fmt.Fprintf(iv.Out, "(bad exit status: %d)", code)
		if !iv.Verbose {
			fmt.Fprintf(iv.Out, "\nFailed command:\n%s\n", cmdline)
		}
		if code < 0 {
			return err
		}
		return &run.ExitError{Cmd: cmdline, Code: code}
	}
	fmt.Fprintln(iv.Out, " done.")
	return nil
}

func (iv *Invoker) exec(ctx context.Context, what, cmdline, dir, log string, show bool) error {
	// The command line was already echoed (under --verbose) in place of
	// the description, as the reference does.
	c := run.Cmd{Path: "bash", Args: []string{"-c", cmdline}, Dir: dir, Env: iv.Env, Show: cmdline, NoEcho: true}
	if log == "" {
		if show || iv.Verbose {
			c.Stdout, c.Stderr = iv.Out, iv.Out
		} else {
			c.Stdout, c.Stderr = io.Discard, io.Discard
		}
		return iv.Runner.Run(ctx, c)
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", log, err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\n%s\n# command: %s\n", what, cmdline)
	start := time.Now()
	c.Stdout, c.Stderr = f, f
	err = iv.Runner.Run(ctx, c)
	code := run.ExitCode(err)
	el := time.Duration(time.Since(start).Seconds()) * time.Second
	fmt.Fprintf(f, "\n# exit code: %d\n# elapsed time: %02d:%02d:%02d\n%s\n", code,
		int(el.Hours()), int(el.Minutes())%60, int(el.Seconds())%60, strings.Repeat("-", 64))
	return err
}

// dots prints a progress dot every 3 seconds until the returned func is
// called.
func (iv *Invoker) dots() func() {
	if !iv.Dots || iv.Verbose {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprint(iv.Out, ".")
			}
		}
	}()
	return func() { close(done); <-finished }
}
