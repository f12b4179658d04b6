package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
)

// killCase is one mutating action to interrupt at each side effect.
//
// Each module's state, as status shows it, is "" (not in the tree),
// "added", "built" or "installed". An action moves each module along its
// chain, from the old state (chain[0]) to the new one (the last). Most
// actions are one step, so right after a kill status must show exactly
// the old or the new state. A few are, as in the reference, a sequence of
// steps each committed on its own (install of a module not yet built
// adds, builds, then installs; remove of an installed module uninstalls,
// unbuilds, then removes): a kill then leaves the state before or after
// the step it interrupted, which the test checks as "the first kill shows
// the old state and no later kill shows an earlier state than a previous
// one", i.e. the states seen walk the chain forward.
//
// steps is the exact number of side effects (kill points) the action
// performs, counted by the runner's trace. When a change adds or removes
// side effects on purpose, the test fails naming the new count and
// listing the trace: check that each listed step belongs there, then set
// steps to the new count. A count of 0 means the trace is broken.
type killCase struct {
	name     string
	modules  []string // sources in the sandbox; nil means just hello
	setup    func(s *sandbox)
	args     []string
	env      []string // extra environment of every run of the action
	steps    int
	chain    []string
	parallel bool // kill points interleave between modules: the states need not walk forward across kills
	// again is the exit status of a rerun that finds the action already
	// done, as the reference answers a second remove (3) or ldtarball (8);
	// 0 when such a rerun always succeeds.
	again int
	check func(s *sandbox) error
}

// killModules returns the modules of the case: hello, which has an
// original module in the kernel's tree, unless the case says otherwise.
func (c killCase) killModules() []string {
	if c.modules == nil {
		return []string{"hello"}
	}
	return c.modules
}

func killCases() []killCase {
	k := []string{"-k", fakeK, "-a", "x86_64"}
	inst := append([]string{"install", "hello/1.0"}, k...)
	build := func(s *sandbox) { s.mustDkms(append([]string{"build", "hello/1.0"}, k...)...) }
	installed := func(s *sandbox) { s.mustDkms(inst...) }
	originalBack := func(s *sandbox) error {
		b, err := os.ReadFile(filepath.Join(s.root, "modules", fakeK, "kernel", "drivers", "hello.ko"))
		if err != nil || string(b) != "original hello" {
			return fmt.Errorf("original module not restored: %v", err)
		}
		return nil
	}
	return []killCase{
		{name: "add", setup: func(s *sandbox) {}, args: []string{"add", "hello/1.0"},
			steps: 4, chain: []string{"", "added"}},
		{name: "build", setup: func(s *sandbox) { s.mustDkms("add", "hello/1.0") }, args: append([]string{"build", "hello/1.0"}, k...),
			steps: 11, chain: []string{"added", "built"}},
		{name: "install", setup: build, args: inst,
			steps: 11, chain: []string{"built", "installed"}},
		{name: "install_unbuilt", setup: func(s *sandbox) {}, args: inst,
			steps: 26, chain: []string{"", "added", "built", "installed"}},
		{name: "uninstall", setup: installed, args: append([]string{"uninstall", "hello/1.0"}, k...),
			steps: 14, chain: []string{"installed", "built"}, check: originalBack},
		{name: "unbuild", setup: build, args: append([]string{"unbuild", "hello/1.0"}, k...),
			steps: 4, chain: []string{"built", "added"}},
		{name: "unbuild_installed", setup: installed, args: append([]string{"unbuild", "hello/1.0"}, k...),
			steps: 18, chain: []string{"installed", "built", "added"}, check: originalBack},
		{name: "remove", setup: func(s *sandbox) { s.mustDkms("add", "hello/1.0") }, args: []string{"remove", "hello/1.0", "--all"},
			steps: 5, chain: []string{"added", ""}, again: 3},
		{name: "remove_installed", setup: installed, args: []string{"remove", "hello/1.0", "--all"},
			steps: 22, chain: []string{"installed", "built", "added", ""}, again: 3, check: originalBack},
		{name: "autoinstall", setup: func(s *sandbox) { s.mustDkms("add", "hello/1.0") }, args: append([]string{"autoinstall"}, k...),
			steps: 22, chain: []string{"added", "built", "installed"}},
		{name: "autoinstall_parallel", modules: []string{"hello", "world"}, setup: func(s *sandbox) {
			s.mustDkms("add", "hello/1.0")
			s.mustDkms("add", "world/1.0")
		}, args: append([]string{"autoinstall"}, k...), env: []string{"parallel_jobs=2"},
			steps: 39, chain: []string{"added", "built", "installed"}, parallel: true},
		{name: "ldtarball", setup: func(s *sandbox) {
			build(s)
			s.mustDkms(append([]string{"mktarball", "hello/1.0", "--archive", filepath.Join(s.root, "hello.dkms.tar.gz")}, k...)...)
			s.mustDkms("remove", "hello/1.0", "--all")
			must(s.t, os.RemoveAll(filepath.Join(s.root, "src", "hello-1.0")))
		}, args: []string{"ldtarball", "--archive", "ARCHIVE"},
			steps: 19, chain: []string{"", "added", "built"}, again: 8},
	}
}

// TestKillAtEveryStep kills dkms with SIGKILL right before each side
// effect of each mutating action, then checks that status works and shows
// the old or the new state (see killCase), that rerunning the action
// completes, and that the trees are then consistent, modules.dep
// included.
func TestKillAtEveryStep(t *testing.T) {
	bin := dkmsBinary(t)
	total := 0
	for _, c := range killCases() {
		t.Run(c.name, func(t *testing.T) {
			n := countSteps(t, bin, c)
			var seen []map[string]int
			for i := 1; i <= n; i++ {
				total++
				at, err := killOnce(t, bin, c, i)
				if err != nil {
					t.Errorf("kill at step %d of %d: %v", i, n, err)
					continue
				}
				if err := walksForward(c, seen, at); err != nil {
					t.Errorf("kill at step %d of %d: %v", i, n, err)
				}
				seen = append(seen, at)
			}
		})
	}
	t.Logf("kill points covered: %d", total)
}

// countSteps runs the action once with the runner's trace on and returns
// its number of side effects, failing the test when it is not c.steps.
func countSteps(t *testing.T, bin string, c killCase) int {
	t.Helper()
	s := newKillSandbox(t, bin, c)
	trace := filepath.Join(t.TempDir(), "trace")
	if out, err := s.dkms(append([]string{run.TraceEnv + "=" + trace}, c.env...), s.args(c.args)...); err != nil {
		t.Fatalf("dkms %v: %v\n%s", c.args, err, out)
	}
	return traceSteps(t, c.name, trace, c.steps)
}

// traceSteps counts the side effects in a runner trace and fails the test
// when they are not want, with what to do about it.
func traceSteps(t *testing.T, name, trace string, want int) int {
	t.Helper()
	b, _ := os.ReadFile(trace)
	n := bytes.Count(b, []byte("\n"))
	if n == 0 {
		t.Errorf("%s has no kill points: the runner wrote no trace (is %s honoured?)", name, run.TraceEnv)
	} else if n != want {
		t.Errorf("%s has %d kill points, want %d. If the change of side effects is intended, check that each step of the trace belongs there and set %s's count to %d (kill_test.go, kill_real_test.go). Trace:\n%s",
			name, n, want, name, n, b)
	}
	return n
}

// newKillSandbox makes a sandbox with the case's module sources, hello's
// original module, and the case's setup done.
func newKillSandbox(t *testing.T, bin string, c killCase) *sandbox {
	s := newSandbox(t, bin)
	for _, m := range c.killModules() {
		s.addSource(m)
	}
	s.addOriginal("hello")
	c.setup(s)
	return s
}

// killOnce kills the action at step, checks the state status shows, reruns
// the action and checks the final state and the trees. It returns each
// module's position in the chain right after the kill.
func killOnce(t *testing.T, bin string, c killCase, step int) (map[string]int, error) {
	s := newKillSandbox(t, bin, c)
	out, err := s.dkms(append([]string{fmt.Sprintf("%s=%d", run.KillAfterEnv, step)}, c.env...), s.args(c.args)...)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		return nil, fmt.Errorf("expected a kill, got %v\n%s", err, out)
	}
	at, err := s.chainPositions(c)
	if err != nil {
		return nil, fmt.Errorf("after the kill: %v", err)
	}
	// Rerun: it must complete. One whose kill came after the state was
	// committed either finishes what the kill left (exit 0) or finds the
	// work done and says so with the reference's status (c.again); either
	// way it recovers.
	out, err = s.dkms(c.env, s.args(c.args)...)
	if code := exitCode(err); code != 0 && (code != c.again || !allAt(at, len(c.chain)-1)) {
		return nil, fmt.Errorf("rerun: %v\n%s", err, out)
	}
	end, err := s.chainPositions(c)
	if err != nil || !allAt(end, len(c.chain)-1) {
		return nil, fmt.Errorf("after the rerun, want every module %q: %v %v", c.chain[len(c.chain)-1], end, err)
	}
	if err := s.consistent(); err != nil {
		return nil, err
	}
	if c.check != nil {
		if err := c.check(s); err != nil {
			return nil, err
		}
	}
	return at, nil
}

// walksForward checks the positions after one kill against those of the
// kills before it: the first kill shows the old state; in a serial run no
// module is ever behind where an earlier kill found it.
func walksForward(c killCase, seen []map[string]int, at map[string]int) error {
	if len(seen) == 0 && !allAt(at, 0) {
		return fmt.Errorf("a kill before the first side effect shows %v, want the old state %q", at, c.chain[0])
	}
	if c.parallel || len(seen) == 0 {
		return nil
	}
	prev := seen[len(seen)-1]
	for m, i := range at {
		if i < prev[m] {
			return fmt.Errorf("%s is back at %q after an earlier kill showed %q", m, c.chain[i], c.chain[prev[m]])
		}
	}
	return nil
}

// chainPositions reads status and returns, for each module of the case,
// its state's index in the chain; a state off the chain is an error.
func (s *sandbox) chainPositions(c killCase) (map[string]int, error) {
	listing, err := s.status()
	if err != nil {
		return nil, fmt.Errorf("status: %v", err)
	}
	states, err := moduleStates(listing, c.killModules())
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	for m, st := range states {
		i := slices.Index(c.chain, st)
		if i < 0 {
			return nil, fmt.Errorf("status shows %s %q, not one of %q:\n%s", m, st, c.chain, listing)
		}
		at[m] = i
	}
	return at, nil
}

// moduleStates parses a status listing of the sandbox's modules (version
// 1.0, the fake kernel) into each module's state; a module without a line
// is "". Any other line is an error.
func moduleStates(listing string, modules []string) (map[string]string, error) {
	states := map[string]string{}
	for _, m := range modules {
		states[m] = ""
	}
	for line := range strings.Lines(listing) {
		line = strings.TrimSuffix(line, "\n")
		m, st := parseStatusLine(line, modules)
		if st == "" {
			return nil, fmt.Errorf("unexpected status line %q in:\n%s", line, listing)
		}
		states[m] = st
	}
	return states, nil
}

// parseStatusLine recognizes the exact lines status prints for a module
// of the sandbox; hello alone has an original module.
func parseStatusLine(line string, modules []string) (module, state string) {
	for _, m := range modules {
		orig := ""
		if m == "hello" {
			orig = " (Original modules exist)"
		}
		switch line {
		case m + "/1.0: added":
			return m, "added"
		case m + "/1.0, " + fakeK + ", x86_64: built":
			return m, "built"
		case m + "/1.0, " + fakeK + ", x86_64: installed" + orig:
			return m, "installed"
		}
	}
	return "", ""
}

func allAt(at map[string]int, i int) bool {
	for _, j := range at {
		if j != i {
			return false
		}
	}
	return true
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

// exitCode is the exit status carried by err from exec: 0 for nil, -1
// when the program did not exit normally.
func exitCode(err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
