package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/testenv"
)

// TestDoctorAfterKill kills each mutating action at each side effect, as
// TestKillAtEveryStep does, and then, instead of rerunning the action,
// runs `dkms doctor --fix`: whatever a kill leaves must be something
// doctor repairs without a person, after which doctor finds nothing, the
// trees are consistent (modules.dep included) and each module is where
// the kill left it on its chain, or one step further (doctor finishing
// the interrupted step).
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
	s := newKillSandbox(t, bin, c)
	out, err := s.dkms(append([]string{fmt.Sprintf("%s=%d", run.KillAfterEnv, step)}, c.env...), s.args(c.args)...)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		return fmt.Errorf("expected a kill, got %v\n%s", err, out)
	}
	killed, err := s.chainPositions(c)
	if err != nil {
		return fmt.Errorf("after the kill: %v", err)
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
	fixed, err := s.chainPositions(c)
	if err != nil {
		return fmt.Errorf("after doctor --fix: %v\nfirst report:\n%s", err, report)
	}
	for m, i := range fixed {
		if i != killed[m] && i != killed[m]+1 {
			return fmt.Errorf("doctor --fix took %s from %q to %q\nfirst report:\n%s", m, c.chain[killed[m]], c.chain[i], report)
		}
	}
	return nil
}
