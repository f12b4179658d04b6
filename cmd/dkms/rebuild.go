package main

import (
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/kernel"
)

// BUILD_DEPENDS_REBUILD (dkms-behaviour §7.7). A module that sets it
// records, in DT/m/v/K/A/.dep_<dep>, the version of each BUILD_DEPENDS
// module it was built against; after every successful install on K/A the
// modules whose recorded versions are stale are rebuilt and reinstalled.

// depRecords returns the .dep_<dep> files a successful build of cfg
// leaves in DT/m/v/K/A: the highest version (sort -V) of each dependency
// present in the tree in any state, as the reference's module_status
// listing gives it. None after a --force build, as in the reference. They
// are committed with the build (kbuild.Job.Extra), by the same rename.
func (a *app) depRecords(cfg *conf.Config) map[string][]byte {
	if !cfg.BuildDependsRebuild || a.o.force {
		return nil
	}
	out := map[string][]byte{}
	for _, dep := range cfg.BuildDepends {
		if v := a.depVersion(dep); v != "" {
			out[tree.DepRecordName(dep)] = []byte(v + "\n")
		}
	}
	return out
}

// depVersion is the highest version (sort -V) of module dep that is added
// (or broken) in the tree; "" when there is none.
func (a *app) depVersion(dep string) string {
	if dep == "" || strings.Contains(dep, "/") || !isDir(a.layout.Module(dep)) {
		return ""
	}
	var vs []string
	for _, v := range a.layout.Versions(dep) {
		if a.layout.IsAdded(dep, v) || a.layout.IsBroken(dep, v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return ""
	}
	kernel.SortV(vs)
	return vs[len(vs)-1]
}

// depsUpdated reports whether m/v, built on K/A, was built against other
// versions of its dependencies than the tree now holds: a recorded version
// differs, or a dependency present now has no record.
func (a *app) depsUpdated(cfg *conf.Config, m, v, k, arch string) bool {
	for _, dep := range cfg.BuildDepends {
		now := a.depVersion(dep)
		if now == "" {
			continue
		}
		if rec, ok := a.layout.DepRecord(m, v, k, arch, dep); !ok || rec != now {
			return true
		}
	}
	return false
}

// staleDependents lists, in the tree's order, the modules built or
// installed on K/A that ask for BUILD_DEPENDS_REBUILD and whose
// dependencies changed since they were built.
func (a *app) staleDependents(k, arch string) []moduleRef {
	var out []moduleRef
	for _, m := range a.layout.Modules() {
		for _, v := range a.layout.Versions(m) {
			if !a.layout.IsAdded(m, v) || !a.layout.IsBuilt(m, v, k, arch) {
				continue
			}
			cfg, err := a.readConf(confRequest{module: m, version: v, kernel: k, arch: arch})
			if err != nil || len(cfg.BuildDepends) == 0 || !cfg.BuildDependsRebuild {
				continue
			}
			if a.depsUpdated(cfg.Config, m, v, k, arch) {
				out = append(out, moduleRef{m, v})
			}
		}
	}
	return out
}

// moduleRef is one module/version.
type moduleRef struct{ module, version string }

// rebuildDependents is the reference's check_and_rebuild_dependent_modules,
// run after every successful install on K/A that was not forced: each
// stale dependent is uninstalled, unbuilt, built and installed again,
// announced by "Rebuilding module m/v due to updated dependencies".
// A failure there fails the whole command, as in the reference.
//
// We differ from the reference in one way: it runs the check again from
// inside each rebuild's own install, so a module can be rebuilt twice; we
// run one pass, rebuilding each stale module once.
func (a *app) rebuildDependents(k, arch string) error {
	if a.o.force {
		return nil
	}
	stale := a.staleDependents(k, arch)
	if len(stale) == 0 {
		return nil
	}
	saved := *a.o
	defer func() { *a.o = saved }()
	for _, ref := range stale {
		a.o.module, a.o.version = ref.module, ref.version
		a.rep.say("")
		a.rep.say("Rebuilding module %s due to updated dependencies", moduleVersion(ref.module, ref.version))
		a.rep.say("")
		if err := a.rebuildOne(k, arch); err != nil {
			return err
		}
	}
	return nil
}

// rebuildOne is do_uninstall, do_unbuild, do_build and do_install of the
// current module on K/A.
func (a *app) rebuildOne(k, arch string) error {
	if err := a.doUninstall(k, arch); err != nil {
		return err
	}
	m, v := a.o.module, a.o.version
	if err := a.runner.RemoveTree(a.layout.Built(m, v, k, arch)); err != nil {
		return err
	}
	if kdir := filepath.Dir(a.layout.Built(m, v, k, arch)); len(fileutil.Subdirs(kdir)) == 0 {
		a.runner.RemoveAll(kdir)
	}
	if err := a.doBuild(k, arch); err != nil {
		return err
	}
	return a.installBuilt(k, arch)
}
