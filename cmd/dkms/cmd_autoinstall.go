package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dkms-go/dkms/internal/conf"
)

// autoEntry is one module autoinstall considers.
type autoEntry struct {
	module, version string
	deps            []string
}

// autoResult collects what autoinstall did on one kernel.
type autoResult struct {
	installed, skipped, failed []string
	pending                    []autoEntry
	// why holds a line per module not installed, for the detailed
	// summary: "m/v: reason".
	why []string
}

// cmdAutoinstall installs the newest version of every AUTOINSTALL module
// on one kernel (§3.9), in BUILD_DEPENDS order; a failing module is
// reported and the others still install, then the run exits 11.
func (a *app) cmdAutoinstall() error {
	if isFile(filepath.Join(a.confDir, "no-autoinstall")) {
		a.rep.say("Automatic installation of modules has been disabled.")
		return nil
	}
	k, arch := a.o.kernels[0], a.o.arches[0]
	queue, res, err := a.autoQueue(k, arch)
	if err != nil || len(queue) == 0 {
		return err
	}
	a.batchDepmod, a.pendingDepmod = true, map[string]bool{}
	err = a.autoRounds(queue, res, k, arch)
	if derr := a.finishDepmod(); err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	a.updateInitramfs(k, len(res.installed) > 0)
	a.autoSummary(res, k)
	if len(res.failed) > 0 || len(res.pending) > 0 {
		return errf(exitAutoinstall, "One or more modules failed to install during autoinstall.",
			"Refer to previous errors for more information.")
	}
	if len(res.installed) > 0 {
		a.postTransaction()
	}
	return nil
}

// autoQueue picks the newest version of each module and queues the ones
// with AUTOINSTALL set that are not installed on k yet.
func (a *app) autoQueue(k, arch string) ([]autoEntry, *autoResult, error) {
	res := &autoResult{}
	var order []string
	latest := map[string]string{}
	for _, e := range a.statusEntries("", "", "", "", false) {
		if e.State == "broken" {
			a.rep.errorBlock(moduleVersion(e.Module, e.Version)+" is broken! Missing the source directory or the symbolic link pointing to it.",
				"Manual intervention is required!")
			continue
		}
		cur, seen := latest[e.Module]
		if !seen {
			order = append(order, e.Module)
		}
		if !seen || conf.VerLess(cur, e.Version) {
			latest[e.Module] = e.Version
		}
	}
	var queue []autoEntry
	for _, m := range order {
		v := latest[m]
		if a.layout.IsInstalled(m, v, k, arch) {
			res.installed = append(res.installed, m)
			continue
		}
		cfg, err := a.readConf(confRequest{module: m, version: v, kernel: k, arch: arch})
		if err != nil {
			return nil, nil, err
		}
		if cfg.AutoInstall {
			queue = append(queue, autoEntry{module: m, version: v, deps: cfg.BuildDepends})
		} else {
			res.why = append(res.why, moduleVersion(m, v)+": not installed: AUTOINSTALL is not set")
		}
	}
	return queue, res, nil
}

// autoRounds installs queued modules whose dependencies are satisfied,
// round after round, until a round makes no progress.
func (a *app) autoRounds(queue []autoEntry, res *autoResult, k, arch string) error {
	for len(queue) > 0 {
		done := map[string]bool{}
		for _, m := range append(res.installed, res.skipped...) {
			done[m] = true
		}
		var ready, next []autoEntry
		for _, e := range queue {
			if e.deps = without(e.deps, done); len(e.deps) > 0 {
				next = append(next, e)
			} else {
				ready = append(ready, e)
			}
		}
		if len(ready) == 0 {
			break
		}
		if err := a.autoRound(ready, res, k, arch); err != nil {
			return err
		}
		queue = next
	}
	res.pending = queue
	return nil
}

// autoRound builds the ready modules in parallel, then shows each one's
// output and installs it, in queue order: the output is the same as a
// serial run's (-j1), only sooner. Missing headers end the whole run, as
// in the reference (§2.4).
func (a *app) autoRound(ready []autoEntry, res *autoResult, k, arch string) error {
	var needBuild []int
	for i, e := range ready {
		if !a.layout.IsBuilt(e.module, e.version, k, arch) {
			needBuild = append(needBuild, i)
		}
	}
	if len(needBuild) > 0 {
		if _, err := a.prepareKernel(k, arch); err != nil {
			return err
		}
	}
	builds := a.parallelBuilds(ready, needBuild, k, arch)
	for i, e := range ready {
		a.rep.say("Autoinstall of module %s for kernel %s (%s)", moduleVersion(e.module, e.version), k, arch)
		code := 0
		if b, ok := builds[i]; ok {
			b.tape.replay(a.rep.out, a.rep.err)
			code = b.code
		}
		a.o.module, a.o.version = e.module, e.version
		if code == 0 {
			if err := a.installOne(k, arch); err != nil {
				code = a.report(err)
			}
		}
		a.autoRecord(res, e, k, arch, code)
		a.rep.say("")
	}
	return nil
}

// autoBuild is one module's build done in the background.
type autoBuild struct {
	tape tape
	code int
}

// parallelBuilds builds ready[i] for each i in idx on up to -j workers,
// sharing the job budget with make: with w builds at once each make gets
// -j(jobs/w).
func (a *app) parallelBuilds(ready []autoEntry, idx []int, k, arch string) map[int]*autoBuild {
	out := map[int]*autoBuild{}
	if len(idx) == 0 {
		return out
	}
	workers := min(len(idx), max(1, a.jobs))
	work := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				b := a.buildInBackground(ready[i], k, arch, max(1, a.jobs/workers))
				mu.Lock()
				out[i] = b
				mu.Unlock()
			}
		}()
	}
	for _, i := range idx {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

// buildInBackground builds one module with its own copy of the run's
// state, recording its output on a tape.
func (a *app) buildInBackground(e autoEntry, k, arch string, jobs int) *autoBuild {
	b := &autoBuild{}
	w := *a
	o := *a.o
	o.module, o.version = e.module, e.version
	w.o = &o
	w.jobs = jobs
	w.scope = a.scope.Fork()
	out, errw := b.tape.writers()
	w.rep = reporter{out: out, err: errw}
	if err := w.doBuild(k, arch); err != nil {
		b.code = w.report(err)
	}
	return b
}

// autoRecord files one module's outcome.
func (a *app) autoRecord(res *autoResult, e autoEntry, k, arch string, code int) {
	switch code {
	case 0:
		res.installed = append(res.installed, e.module)
		a.clearFailure(e.module, e.version, k, arch)
	case exitBuildExclusive:
		res.skipped = append(res.skipped, e.module)
		res.why = append(res.why, moduleVersion(e.module, e.version)+": skipped: BUILD_EXCLUSIVE does not match this kernel")
	default:
		res.failed = append(res.failed, fmt.Sprintf("%s(%d)", e.module, code))
		a.recordFailure(e.module, e.version, k, arch, code)
		why := fmt.Sprintf("%s: failed (exit %d)", moduleVersion(e.module, e.version), code)
		if log := filepath.Join(a.layout.BuildDir(e.module, e.version), "make.log"); isFile(log) {
			why += ", log: " + log
		}
		res.why = append(res.why, why)
	}
}

func (a *app) autoSummary(res *autoResult, k string) {
	if len(res.installed) > 0 {
		a.rep.say("Autoinstall on %s succeeded for module(s) %s.", k, strings.Join(res.installed, " "))
	}
	if len(res.skipped) > 0 {
		a.rep.say("Autoinstall on %s was skipped for module(s) %s.", k, strings.Join(res.skipped, " "))
	}
	if len(res.failed) > 0 {
		a.rep.say("Autoinstall on %s failed for module(s) %s.", k, strings.Join(res.failed, " "))
	}
	for _, e := range res.pending {
		a.rep.say("%s autoinstall failed due to missing dependencies: %s.", moduleVersion(e.module, e.version), strings.Join(e.deps, " "))
	}
	// The reference's lines above are an interface; the reasons are ours
	// and shown under --verbose (status --json has them too).
	if a.o.verbose {
		for _, w := range res.why {
			a.rep.say("  %s", w)
		}
	}
}

func without(list []string, drop map[string]bool) []string {
	var out []string
	for _, s := range list {
		if !drop[s] {
			out = append(out, s)
		}
	}
	return out
}
