package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// TestDoctorAfterKill kills each mutating action at each side effect, as
// TestKillAtEveryStep does, and then, instead of rerunning the action,
// runs `dkms doctor --fix`: whatever a kill leaves must be something
// doctor repairs without a person, after which doctor finds nothing, the
// trees are consistent and status shows one of the states the kill test
// allows.
func TestDoctorAfterKill(t *testing.T) {
	testenv.SkipIfShort(t, "builds and runs dkms hundreds of times")
	bin := dkmsBinary(t)
	for _, c := range killCases() {
		t.Run(c.name, func(t *testing.T) {
			n := countSteps(t, bin, c)
			for i := 1; i <= n; i++ {
				if err := doctorAfterKill(t, bin, c, i); err != nil {
					t.Errorf("kill at step %d of %d: %v", i, n, err)
				}
			}
		})
	}
}

func doctorAfterKill(t *testing.T, bin string, c killCase, step int) error {
	s := newSandbox(t, bin)
	s.addSource("hello")
	s.addOriginal("hello")
	c.setup(s)
	out, err := s.dkms([]string{fmt.Sprintf("DKMS_TEST_KILL_AT=%d", step)}, s.args(c.args)...)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		return fmt.Errorf("expected a kill, got %v\n%s", err, out)
	}
	report, _ := s.dkms(nil, "doctor")
	if out, err := s.dkms(nil, "doctor", "--fix"); err != nil {
		return fmt.Errorf("doctor --fix: %v\n%s", err, out)
	}
	if out, err := s.dkms(nil, "doctor"); err != nil || out != "doctor: no problems found\n" {
		return fmt.Errorf("doctor after --fix: %v\n%s\nfirst report:\n%s", err, out, report)
	}
	if err := s.consistent(); err != nil {
		return fmt.Errorf("%v\nfirst report:\n%s", err, report)
	}
	if st, err := s.status(); err != nil || !contains(c.states, st) {
		return fmt.Errorf("status after doctor --fix %q (%v), want one of %q\nfirst report:\n%s", st, err, c.states, report)
	}
	return nil
}
