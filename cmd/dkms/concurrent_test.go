package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentRuns starts eight mutating runs at once on one tree (mixed
// modules and kernels' worth of work, some on the same module) while
// status runs in a loop alongside. Every run must finish successfully,
// waiting for the tree lock in turn; status must never fail nor show a
// broken entry; the tree must end consistent with every module installed.
func TestConcurrentRuns(t *testing.T) {
	bin := dkmsBinary(t)
	reps := 2
	if testing.Short() {
		reps = 1
	}
	if n, err := strconv.Atoi(os.Getenv("DKMS_TEST_CONCURRENT_REPS")); err == nil && n > 0 {
		reps = n // the closing notes' 20 repetitions
	}
	for r := 0; r < reps; r++ {
		s := newSandbox(t, bin)
		mods := []string{"alpha", "beta", "gamma", "delta"}
		for _, m := range mods {
			s.addSource(m)
		}
		var runs [][]string
		for _, m := range mods {
			runs = append(runs, []string{"install", m + "/1.0", "-k", fakeK, "-a", "x86_64"})
		}
		runs = append(runs,
			[]string{"install", "alpha/1.0", "-k", fakeK, "-a", "x86_64"},
			[]string{"build", "beta/1.0", "-k", fakeK, "-a", "x86_64"},
			[]string{"add", "gamma/1.0"},
			[]string{"install", "delta/1.0", "-k", fakeK, "-a", "x86_64"})
		var stop atomic.Bool
		statusErr := make(chan error, 1)
		go func() {
			statusErr <- watchStatus(s, &stop)
		}()
		var wg sync.WaitGroup
		errs := make([]string, len(runs))
		for i, args := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := s.dkms(nil, args...); err != nil && !acceptableRace(args, out) {
					errs[i] = fmt.Sprintf("dkms %v: %v\n%s", args, err, out)
				}
			}()
		}
		wg.Wait()
		stop.Store(true)
		if err := <-statusErr; err != nil {
			t.Error(err)
		}
		for _, e := range errs {
			if e != "" {
				t.Error(e)
			}
		}
		st, _ := s.status()
		for _, m := range mods {
			if !strings.Contains(st, m+"/1.0, "+fakeK+", x86_64: installed") {
				t.Errorf("%s not installed:\n%s", m, st)
			}
		}
		if err := s.consistent(); err != nil {
			t.Error(err)
		}
	}
}

// acceptableRace: an add that comes after the install that already added
// the module is refused with the reference's message, which is correct.
func acceptableRace(args []string, out string) bool {
	return args[0] == "add" && strings.Contains(out, "DKMS tree already contains")
}

// watchStatus runs status until stop and reports the first failure.
func watchStatus(s *sandbox, stop *atomic.Bool) error {
	for n := 0; !stop.Load(); n++ {
		out, err := s.status()
		if err != nil {
			return fmt.Errorf("status run %d failed: %v", n, err)
		}
		if strings.Contains(out, "broken") {
			return fmt.Errorf("status run %d shows a broken entry:\n%s", n, out)
		}
	}
	return nil
}
