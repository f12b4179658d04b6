package main

import (
	"fmt"
	"path/filepath"
	"strings"

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
	if err := a.autoRounds(queue, res, k, arch); err != nil {
		return err
	}
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
		var next []autoEntry
		progress := false
		for _, e := range queue {
			e.deps = without(e.deps, done)
			if len(e.deps) > 0 {
				next = append(next, e)
				continue
			}
			if err := a.autoOne(e, res, k, arch); err != nil {
				return err
			}
			progress = true
		}
		queue = next
		if !progress {
			break
		}
	}
	res.pending = queue
	return nil
}

// autoOne installs one module as a separate step whose failure is recorded,
// not fatal; only missing headers end the whole run (§2.4).
func (a *app) autoOne(e autoEntry, res *autoResult, k, arch string) error {
	if !a.layout.IsBuilt(e.module, e.version, k, arch) {
		if _, err := a.prepareKernel(k, arch); err != nil {
			return err
		}
	}
	a.rep.say("Autoinstall of module %s for kernel %s (%s)", moduleVersion(e.module, e.version), k, arch)
	a.o.module, a.o.version = e.module, e.version
	code := 0
	if err := a.installOne(k, arch); err != nil {
		code = a.report(err)
	}
	switch code {
	case 0:
		res.installed = append(res.installed, e.module)
	case exitBuildExclusive:
		res.skipped = append(res.skipped, e.module)
	default:
		res.failed = append(res.failed, fmt.Sprintf("%s(%d)", e.module, code))
		a.recordFailure(e.module, e.version, k, arch, code)
	}
	a.rep.say("")
	return nil
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
