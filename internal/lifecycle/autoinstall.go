package lifecycle

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/status"
)

// outcome collects what autoinstall did on one kernel.
type outcome struct {
	installed, skipped, failed []string
	// known holds every module dkms has (any version or state).
	known map[string]bool
	// left holds the modules no round could start, settled (settle).
	left []queued
	// why holds a line per module not installed, for the detailed
	// summary: "m/v: reason".
	why []string
}

// Autoinstall installs the newest version of every AUTOINSTALL module on
// kernel k/arch (§3.9), in BUILD_DEPENDS order; a failing module is
// reported and the others still install, then the run fails with
// AutoinstallFailed. It is also kernel_postinst.
func (s *Session) Autoinstall(ctx context.Context, req Request) error {
	if isFile(filepath.Join(s.ConfDir, "no-autoinstall")) {
		s.Rep.Say("Automatic installation of modules has been disabled.")
		return nil
	}
	a := s.newAction()
	sc := &conf.Scope{}
	k, arch := req.Kernels[0], req.Arches[0]
	queue, res, err := a.autoQueue(ctx, sc, k, arch)
	if err != nil || len(queue) == 0 {
		return err
	}
	a.depmod = &depmods{announce: true, pending: map[string]bool{}}
	err = a.autoRounds(ctx, sc, req, queue, res, k, arch)
	if derr := a.finishDepmod(ctx); derr != nil && err == nil {
		// Its installs were taken back (finishDepmod): a failure of the
		// run, as the reference's per-module depmod failure is.
		a.Rep.Fail(derr)
		return &Error{Kind: AutoinstallFailed}
	}
	if err != nil {
		return err
	}
	if len(res.installed) > 0 {
		a.updateInitramfs(ctx, k)
	}
	a.autoSummary(res, k)
	if len(res.failed) > 0 || res.unresolved() {
		return &Error{Kind: AutoinstallFailed}
	}
	if len(res.installed) > 0 {
		a.postTransaction(ctx, sc, req)
	}
	return nil
}

// autoQueue picks the newest version of each module and queues the ones
// with AUTOINSTALL set that are not installed on k yet.
func (a *action) autoQueue(ctx context.Context, sc *conf.Scope, k, arch string) ([]queued, *outcome, error) {
	res := &outcome{known: map[string]bool{}}
	var order []string
	latest := map[string]string{}
	for _, e := range status.Entries(a.Layout, "", "", "", "") {
		if e.State == status.Broken {
			a.Rep.Fail(&Error{Kind: Broken, Target: Target{Module: e.Module, Version: e.Version}})
			continue
		}
		res.known[e.Module] = true
		cur, seen := latest[e.Module]
		if !seen {
			order = append(order, e.Module)
		}
		if !seen || conf.VerLess(cur, e.Version) {
			latest[e.Module] = e.Version
		}
	}
	var queue []queued
	for _, m := range order {
		t := Target{Module: m, Version: latest[m], Kernel: k, Arch: arch}
		if a.Layout.IsInstalled(m, t.Version, k, arch) || a.weakInstalled(t) {
			res.installed = append(res.installed, m)
			continue
		}
		cfg, err := a.readConf(ctx, sc, t, false)
		if err != nil {
			return nil, nil, err
		}
		if cfg.AutoInstall {
			queue = append(queue, queued{module: m, version: t.Version, deps: cfg.BuildDepends})
		} else {
			res.why = append(res.why, t.mv()+": not installed: AUTOINSTALL is not set")
		}
	}
	return queue, res, nil
}

// weakInstalled reports whether t's module version is weak-installed on
// its kernel (status.Weak): the weak-modules tool found the modules built
// for another kernel fit this one's kABI, so autoinstall leaves it, as
// the reference means to (its check never matches, §10.9).
func (s *Session) weakInstalled(t Target) bool {
	return s.Weak != nil && len(status.Weak(s.Layout, t.Module, t.Version, t.Kernel, t.Arch)) > 0
}

// autoRounds installs the queued modules round by round (nextRound)
// until a round has nothing ready. What is left is settled (settle) with
// the dependencies it waited for when the last round began.
func (a *action) autoRounds(ctx context.Context, sc *conf.Scope, req Request, queue []queued, res *outcome, k, arch string) error {
	for len(queue) > 0 {
		done := map[string]bool{}
		for _, m := range append(res.installed, res.skipped...) {
			done[m] = true
		}
		ready, waiting := nextRound(queue, done)
		if len(ready) == 0 {
			break
		}
		if err := a.autoRound(ctx, sc, req, ready, res, k, arch); err != nil {
			return err
		}
		queue = waiting
	}
	res.left = settle(queue, res.known)
	return nil
}

// unresolved reports a module left waiting for a module dkms knows: that
// fails autoinstall, a deferred one does not.
func (res *outcome) unresolved() bool {
	for _, e := range res.left {
		if !e.deferred {
			return true
		}
	}
	return false
}

// autoRound builds the ready modules in parallel, then shows each one's
// output and installs it, in queue order: the output is the same as a
// serial run's (-j1), only sooner. Missing headers end the whole run, as
// in the reference (§2.4).
func (a *action) autoRound(ctx context.Context, sc *conf.Scope, req Request, ready []queued, res *outcome, k, arch string) error {
	var targets []Target
	for _, e := range ready {
		if t := (Target{Module: e.module, Version: e.version, Kernel: k, Arch: arch}); !a.Layout.IsBuilt(t.Module, t.Version, k, arch) {
			targets = append(targets, t)
		}
	}
	builds := map[Target]*autoBuild{}
	if len(targets) > 0 {
		kt, err := a.prepare(ctx, sc, k, arch)
		if err != nil {
			return err
		}
		builds = a.parallelBuilds(ctx, sc, req, kt, targets)
	}
	for _, e := range ready {
		t := Target{Module: e.module, Version: e.version, Kernel: k, Arch: arch}
		a.Rep.Say("Autoinstall of module %s for kernel %s (%s)", t.mv(), k, arch)
		code := 0
		if b, ok := builds[t]; ok {
			b.tape.replay(a.Rep.Stdout(), a.Rep.Stderr())
			code = b.code
		}
		if code == 0 {
			if err := a.installOne(ctx, sc, req, t); err != nil {
				code = a.Rep.Fail(err)
			}
		}
		a.autoRecord(res, t, code)
		a.Rep.Say("")
	}
	return nil
}

// autoBuild is one module's build done in the background: its output
// on a tape and the exit status its failure was reported with.
type autoBuild struct {
	tape tape
	code int
}

// parallelBuilds builds each target on the workers budget allows,
// sharing the -j budget with make. Each build runs in an action and a
// scope of its own, reporting to its own tape.
func (a *action) parallelBuilds(ctx context.Context, sc *conf.Scope, req Request, kt *resolved, targets []Target) map[Target]*autoBuild {
	out := map[Target]*autoBuild{}
	workers, jobs := budget(len(targets), a.Jobs)
	work := make(chan Target)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				b := a.buildInBackground(ctx, sc.Fork(), req, kt, t, jobs)
				mu.Lock()
				out[t] = b
				mu.Unlock()
			}
		}()
	}
	for _, t := range targets {
		work <- t
	}
	close(work)
	wg.Wait()
	return out
}

// buildInBackground builds one target, recording its output on a tape.
func (a *action) buildInBackground(ctx context.Context, sc *conf.Scope, req Request, kt *resolved, t Target, jobs int) *autoBuild {
	b := &autoBuild{}
	out, errw := b.tape.writers()
	bg := a.background(a.Rep.To(out, errw), kt, jobs)
	req.Module, req.Version = t.Module, t.Version
	if _, err := bg.doBuild(ctx, sc, req, t); err != nil {
		b.code = bg.Rep.Fail(err)
	}
	return b
}

// skipStatus is the exit status the reference's autoinstall counts as a
// skipped module rather than a failed one: BUILD_EXCLUSIVE's (Excluded),
// whichever step returned it.
const skipStatus = 77

// autoRecord files one module's outcome.
func (a *action) autoRecord(res *outcome, t Target, code int) {
	switch {
	case code == 0:
		res.installed = append(res.installed, t.Module)
		a.Layout.ClearFailure(a.Runner, t.Module, t.Version, t.Kernel, t.Arch)
	case code == skipStatus:
		res.skipped = append(res.skipped, t.Module)
		res.why = append(res.why, t.mv()+": skipped: BUILD_EXCLUSIVE does not match this kernel")
	default:
		res.failed = append(res.failed, fmt.Sprintf("%s(%d)", t.Module, code))
		a.Layout.RecordFailure(a.Runner, t.Module, t.Version, t.Kernel, t.Arch, code, a.now())
		why := fmt.Sprintf("%s: failed (exit %d)", t.mv(), code)
		if log := filepath.Join(a.Layout.BuildDir(t.Module, t.Version), "make.log"); isFile(log) {
			why += ", log: " + log
		}
		res.why = append(res.why, why)
	}
}

func (a *action) autoSummary(res *outcome, k string) {
	if len(res.installed) > 0 {
		a.Rep.Say("Autoinstall on %s succeeded for module(s) %s.", k, strings.Join(res.installed, " "))
	}
	if len(res.skipped) > 0 {
		a.Rep.Say("Autoinstall on %s was skipped for module(s) %s.", k, strings.Join(res.skipped, " "))
	}
	if len(res.failed) > 0 {
		a.Rep.Say("Autoinstall on %s failed for module(s) %s.", k, strings.Join(res.failed, " "))
	}
	var deferred []string
	for _, e := range res.left {
		mv := e.module + "/" + e.version
		if e.deferred {
			a.Rep.Say("%s autoinstall deferred: BUILD_DEPENDS not registered with DKMS: %s.", mv, strings.Join(e.deps, " "))
			deferred = append(deferred, mv)
		} else {
			a.Rep.Say("%s autoinstall failed due to missing dependencies: %s.", mv, strings.Join(e.deps, " "))
		}
	}
	if len(deferred) > 0 {
		a.Rep.Say("Autoinstall on %s deferred module(s) %s due to BUILD_DEPENDS not yet registered with DKMS.", k, strings.Join(deferred, " "))
		a.Rep.Say("These may be provided externally or by a package not yet configured; autoinstall will retry on the next trigger.")
	}
	// The reference's lines above are an interface; the reasons are ours
	// and shown under --verbose (status --json has them too).
	if a.Flags.Verbose {
		for _, w := range res.why {
			a.Rep.Say("  %s", w)
		}
	}
}
