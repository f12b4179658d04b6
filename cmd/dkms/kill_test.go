package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
)

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
