// Package run is the single door through which dkms performs side effects:
// external commands and changes to the file system.
//
// Going through one door gives three things the rest of the program relies
// on: --verbose echoes every command the way `go build -x` does, a command's
// failure becomes an error that carries its output, and tests can stop the
// process at the n-th side effect (see KillAfterEnv) to prove that a run
// killed at any point leaves a consistent tree.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// KillAfterEnv names the test-only environment variable that makes a Runner
// kill its own process with SIGKILL right before its n-th side effect
// (counting from 1). Production runs never set it.
const KillAfterEnv = "DKMS_TEST_KILL_AT"

// StopAtEnv names the test-only environment variable that makes a Runner
// stop its own process with SIGSTOP right before its n-th side effect,
// so that a harness can change the world at that point (fill a file
// system, make it read-only) and let it continue with SIGCONT.
const StopAtEnv = "DKMS_TEST_STOP_AT"

// TraceEnv names a test-only environment variable: when it holds a file
// path, each side effect appends one line describing it, so a harness can
// count the kill points of an action.
const TraceEnv = "DKMS_TEST_TRACE"

// Runner executes commands and file changes on behalf of dkms.
// The zero value is usable: it echoes nothing and never kills itself.
type Runner struct {
	// Echo, when non-nil, receives each command line before it runs
	// (--verbose).
	Echo io.Writer
	// Env is the environment commands start from; nil means os.Environ().
	Env []string

	killAt int64
	stopAt int64
	trace  string
	steps  atomic.Int64
	mu     sync.Mutex
}

// New returns a Runner that echoes to echo (nil for none) and honours the
// test-only kill and trace variables found in env.
func New(echo io.Writer, env []string) *Runner {
	r := &Runner{Echo: echo, Env: env}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case KillAfterEnv:
			r.killAt, _ = strconv.ParseInt(v, 10, 64)
		case StopAtEnv:
			r.stopAt, _ = strconv.ParseInt(v, 10, 64)
		case TraceEnv:
			r.trace = v
		}
	}
	return r
}

// Step records one side effect about to happen. It is called by every
// mutating method; packages that perform a side effect the Runner has no
// method for call it themselves.
func (r *Runner) Step(what string) {
	if r == nil {
		return
	}
	n := r.steps.Add(1)
	if r.trace != "" {
		r.mu.Lock()
		if f, err := os.OpenFile(r.trace, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "%d %s\n", n, what)
			f.Close()
		}
		r.mu.Unlock()
	}
	if r.killAt > 0 && n == r.killAt {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
	if r.stopAt > 0 && n == r.stopAt {
		stopSelf()
	}
}

// stopSelf stops the process and returns once it is continued. The signal
// goes to this very thread (tgkill), which takes it on its way back from
// the system call: sent to the process, it could be taken by another
// thread while this one goes on to the side effect.
func stopSelf() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_ = syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGSTOP)
}

// Steps reports how many side effects have been recorded so far.
func (r *Runner) Steps() int64 { return r.steps.Load() }

// Cmd describes one external command.
type Cmd struct {
	Path   string   // program name or path
	Args   []string // arguments, without the program
	Dir    string   // working directory; empty for the current one
	Env    []string // extra variables appended to the Runner's environment
	Stdin  io.Reader
	Stdout io.Writer // nil: captured into the error on failure, else dropped
	Stderr io.Writer // nil: same as Stdout
	// Show is the text echoed under --verbose; empty means the quoted argv.
	Show string
	// NoEcho keeps the command from being echoed, for callers that already
	// printed it in their own words.
	NoEcho bool
}

// ExitError is returned when a command ran but exited non-zero.
type ExitError struct {
	Cmd    string
	Code   int
	Output string // captured output when the caller gave no writers
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", e.Cmd, e.Code)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n" + out
	}
	return msg
}

// ExitCode returns the exit status carried by err, 0 for nil, and -1 when
// err is not an exit status (the command could not start).
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}

// Run executes c and waits for it. Cancelling ctx sends SIGINT, then SIGKILL
// after a grace period, so make can remove half-written objects.
func (r *Runner) Run(ctx context.Context, c Cmd) error {
	show := c.Show
	if show == "" {
		show = Quote(append([]string{c.Path}, c.Args...))
	}
	r.Step("exec " + show)
	if r.Echo != nil && !c.NoEcho {
		fmt.Fprintln(r.Echo, show)
	}
	cmd := exec.CommandContext(ctx, programPath(c.Path, c.Env), c.Args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = c.Dir
	base := r.Env
	if base == nil {
		base = os.Environ()
	}
	cmd.Env = append(append([]string(nil), base...), c.Env...)
	cmd.Stdin = c.Stdin
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = c.Stdout, c.Stderr
	if cmd.Stdout == nil {
		cmd.Stdout = &buf
	}
	if cmd.Stderr == nil {
		cmd.Stderr = cmd.Stdout
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 { // killed by a signal: report as the shell would
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
		return &ExitError{Cmd: show, Code: code, Output: buf.String()}
	}
	if err != nil {
		return fmt.Errorf("running %s: %w", show, err)
	}
	return nil
}

// programPath is where a shell would find the program name for a
// command whose environment sets PATH (as build_environment may): in that
// PATH. Otherwise (a path, no PATH in env, or no match there) exec looks
// it up in the process's PATH.
func programPath(name string, env []string) string {
	if strings.Contains(name, "/") {
		return name
	}
	path, ok := "", false
	for _, kv := range env {
		if v, found := strings.CutPrefix(kv, "PATH="); found {
			path, ok = v, true
		}
	}
	if !ok {
		return name
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return name
}

// Output runs c and returns its standard output; standard error is kept
// for the error message.
func (r *Runner) Output(ctx context.Context, c Cmd) ([]byte, error) {
	var out bytes.Buffer
	var errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := r.Run(ctx, c)
	var ee *ExitError
	if errors.As(err, &ee) {
		ee.Output = errb.String()
	}
	return out.Bytes(), err
}

// Quote renders argv as a shell would need it typed, for echoing.
func Quote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			parts[i] = a
			continue
		}
		parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(parts, " ")
}
