package lifecycle

import (
	"context"
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/tree"
)

// BUILD_DEPENDS_REBUILD (dkms-behaviour §7.7). A module that sets it
// records, in DT/m/v/K/A/.dep_<dep>, the version of each BUILD_DEPENDS
// module it was built against; after every successful install on K/A the
// modules whose recorded versions are stale are rebuilt and reinstalled.

// depRecords returns the files a successful build of cfg leaves in
// DT/m/v/K/A besides its modules, starting with its .dep_<dep> records:
// the highest version (sort -V) of each dependency present in the tree in
// any state, as the reference's module_status listing gives it. None
// after a --force build, as in the reference. They are committed with the
// build (kbuild.Job.Extra), by the same rename.
func (a *action) depRecords(cfg *conf.Config) map[string][]byte {
	out := map[string][]byte{}
	if !cfg.BuildDependsRebuild || a.Flags.Force {
		return out
	}
	for _, dep := range cfg.BuildDepends {
		if v := a.depVersion(dep); v != "" {
			out[tree.DepRecordName(dep)] = []byte(v + "\n")
		}
	}
	return out
}

// depVersion is the highest version (sort -V) of module dep that is added
// (or broken) in the tree; "" when there is none.
func (a *action) depVersion(dep string) string {
	if dep == "" || strings.Contains(dep, "/") || !fileutil.IsDir(a.Layout.Module(dep)) {
		return ""
	}
	var vs []string
	for _, v := range a.Layout.Versions(dep) {
		if a.Layout.IsAdded(dep, v) || a.Layout.IsBroken(dep, v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return ""
	}
	kernel.SortV(vs)
	return vs[len(vs)-1]
}

// depsUpdated reports whether t, built on K/A, was built against other
// versions of its dependencies than the tree now holds: a recorded version
// differs, or a dependency present now has no record.
func (a *action) depsUpdated(cfg *conf.Config, t Target) bool {
	for _, dep := range cfg.BuildDepends {
		now := a.depVersion(dep)
		if now == "" {
			continue
		}
		if rec, ok := a.Layout.DepRecord(t.Module, t.Version, t.Kernel, t.Arch, dep); !ok || rec != now {
			return true
		}
	}
	return false
}

// staleDependents lists, in the tree's order, the modules built or
// installed on K/A that ask for BUILD_DEPENDS_REBUILD and whose
// dependencies changed since they were built.
func (a *action) staleDependents(ctx context.Context, sc *conf.Scope, k, arch string) []Target {
	var out []Target
	for _, m := range a.Layout.Modules() {
		for _, v := range a.Layout.Versions(m) {
			if !a.Layout.IsAdded(m, v) || !a.Layout.IsBuilt(m, v, k, arch) {
				continue
			}
			t := Target{Module: m, Version: v, Kernel: k, Arch: arch}
			cfg, err := a.readConf(ctx, sc, t, false)
			if err != nil || len(cfg.BuildDepends) == 0 || !cfg.BuildDependsRebuild {
				continue
			}
			if a.depsUpdated(cfg.Config, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// rebuildDependents is the reference's check_and_rebuild_dependent_modules,
// run after every successful install on K/A that was not forced: each
// stale dependent is uninstalled, unbuilt, built and installed again,
// announced by "Rebuilding module m/v due to updated dependencies".
// A failure there fails the whole command, as in the reference.
//
// We differ from the reference in one way: it runs the check again from
// inside each rebuild's own install, so a module can be rebuilt twice; we
// run one pass, rebuilding each stale module once.
func (a *action) rebuildDependents(ctx context.Context, sc *conf.Scope, req Request, k, arch string) error {
	if a.Flags.Force {
		return nil
	}
	for _, t := range a.staleDependents(ctx, sc, k, arch) {
		a.Rep.Say("")
		a.Rep.Say("Rebuilding module %s due to updated dependencies", t.mv())
		a.Rep.Say("")
		if err := a.rebuildOne(ctx, sc, req, t); err != nil {
			return err
		}
	}
	return nil
}

// rebuildOne is do_uninstall, do_unbuild, do_build and do_install of t.
func (a *action) rebuildOne(ctx context.Context, sc *conf.Scope, req Request, t Target) error {
	if err := a.doUninstall(ctx, sc, t); err != nil {
		return err
	}
	if err := a.unbuild(t); err != nil {
		return err
	}
	req.Module, req.Version = t.Module, t.Version
	if _, err := a.doBuild(ctx, sc, req, t); err != nil {
		return err
	}
	_, err := a.installBuilt(ctx, sc, req, t)
	return err
}
