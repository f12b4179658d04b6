package lifecycle

// Autoinstall scheduling. Modules are installed in rounds: a round takes
// every queued module whose BUILD_DEPENDS are all done (installed or
// skipped), builds those that need it in parallel, and installs them in
// queue order; what is still waiting goes to the next round, until a
// round has nothing ready. What is left then is settled: a module that
// waits for a module dkms knows has failed, one that waits only for
// modules dkms does not know (yet) is deferred (dkms 3.4.1). The
// functions here decide; autoinstall.go carries the decisions out.

// queued is one module version autoinstall considers, with the
// BUILD_DEPENDS it still waits for.
type queued struct {
	module, version string
	deps            []string
	// deferred marks a module left over (settle) that waits only for
	// modules dkms does not know.
	deferred bool
}

// nextRound splits the queue into the modules ready now (no dependency
// left that is not done) and those still waiting, each with the
// dependencies it still waits for, both in queue order.
func nextRound(queue []queued, done map[string]bool) (ready, waiting []queued) {
	for _, e := range queue {
		var left []string
		for _, d := range e.deps {
			if !done[d] {
				left = append(left, d)
			}
		}
		e.deps = left
		if len(left) > 0 {
			waiting = append(waiting, e)
		} else {
			ready = append(ready, e)
		}
	}
	return ready, waiting
}

// settle classifies the modules left when no round can start, in queue
// order. One waiting for some module of known (every module dkms has, in
// any version or state) has failed: its deps are narrowed to those
// known ones. One waiting only for modules dkms does not know is
// deferred: they may come with a package not configured yet, and the
// next trigger retries.
func settle(left []queued, known map[string]bool) []queued {
	out := make([]queued, 0, len(left))
	for _, e := range left {
		var isKnown, unknown []string
		for _, d := range e.deps {
			if known[d] {
				isKnown = append(isKnown, d)
			} else {
				unknown = append(unknown, d)
			}
		}
		e.deferred = len(isKnown) == 0
		e.deps = isKnown
		if e.deferred {
			e.deps = unknown
		}
		out = append(out, e)
	}
	return out
}

// budget shares the -j budget among n builds: how many run at once, and
// the -j each one's make gets. jobs 0 (make's unlimited -j) runs one
// build at a time, with -j1, as a budget of one.
func budget(n, jobs int) (workers, makeJobs int) {
	if n == 0 {
		return 0, 0
	}
	workers = min(n, max(1, jobs))
	return workers, max(1, jobs/workers)
}
