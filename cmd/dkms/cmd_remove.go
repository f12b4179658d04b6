package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/kbuild"
)

// cmdUninstall uninstalls from each kernel (§3.6 uninstall); the first
// failure ends the run, as in the reference.
func (a *app) cmdUninstall() error {
	for i, k := range a.o.kernels {
		if i > 0 {
			a.rep.say("")
		}
		if err := a.maybeUninstall(k, a.o.arches[i]); err != nil {
			return err
		}
	}
	a.postTransaction()
	return nil
}

// cmdUnbuild uninstalls and deletes the build of each kernel.
func (a *app) cmdUnbuild() error {
	for i, k := range a.o.kernels {
		if i > 0 {
			a.rep.say("")
		}
		if err := a.uninstallAndUnbuild(k, a.o.arches[i]); err != nil {
			return err
		}
	}
	a.postTransaction()
	return nil
}

// cmdRemove unbuilds each kernel and drops the version from the tree when
// nothing else is built (§3.6 remove).
func (a *app) cmdRemove() error {
	m, v := a.o.module, a.o.version
	a.cleanLeftovers(m, v)
	for i, k := range a.o.kernels {
		if err := a.uninstallAndUnbuild(k, a.o.arches[i]); err != nil {
			return err
		}
		a.rep.say("")
	}
	if !hasBuildDirs(a.layout.Version(m, v)) {
		a.rep.say("Deleting module %s completely from the DKMS tree.", moduleVersion(m, v))
		if err := a.runner.RemoveTree(a.layout.Version(m, v)); err != nil {
			return err
		}
	}
	if countVisible(a.layout.Module(m)) == 0 {
		a.runner.RemoveAll(a.layout.Module(m))
	}
	a.postTransaction()
	return nil
}

func (a *app) uninstallAndUnbuild(k, arch string) error {
	if err := a.maybeUninstall(k, arch); err != nil {
		return err
	}
	m, v := a.o.module, a.o.version
	if !a.layout.IsBuilt(m, v, k, arch) {
		a.rep.say("Module %s is not built for kernel %s (%s). Skipping...", moduleVersion(m, v), k, arch)
		return nil
	}
	if err := a.runner.RemoveTree(a.layout.Built(m, v, k, arch)); err != nil {
		return err
	}
	kdir := filepath.Dir(a.layout.Built(m, v, k, arch))
	if len(fileutil.Subdirs(kdir)) == 0 {
		a.runner.RemoveAll(kdir)
	}
	return nil
}

func (a *app) maybeUninstall(k, arch string) error {
	m, v := a.o.module, a.o.version
	if !a.layout.IsInstalled(m, v, k, arch) {
		a.rep.say("Module %s is not installed for kernel %s (%s). Skipping...", moduleVersion(m, v), k, arch)
		return nil
	}
	return a.doUninstall(k, arch)
}

// doUninstall is the reference's do_uninstall: take the module out of the
// install tree, run POST_REMOVE and depmod.
func (a *app) doUninstall(k, arch string) error {
	m, v := a.o.module, a.o.version
	a.rep.say("Module %s for kernel %s (%s):", moduleVersion(m, v), k, arch)
	cfg, err := a.readConf(confRequest{module: m, version: v, kernel: k, arch: arch})
	if err != nil {
		man, _ := a.layout.ReadManifest(m, k, arch)
		if man == nil || man.Version != v {
			return err
		}
	}
	req := install.Request{Module: m, Version: v, Kernel: k, Arch: arch}
	postRemove := ""
	if cfg != nil {
		req = a.installRequest(cfg.Config, k, arch)
		postRemove = cfg.PostRemove
	}
	wasActive, err := a.installer().Uninstall(req)
	if err != nil {
		return err
	}
	if wasActive {
		a.removeModulesConf(m)
	}
	a.runScript("post_remove", postRemove)
	if a.deferDepmod {
		a.pendingDepmod[k] = true
	} else if err := a.depmod(k); err != nil {
		return err
	}
	a.dropOriginals(wasActive, m, k, arch)
	return nil
}

// dropOriginals deletes what is left of the original-module archive once
// the module is no longer active on K/A, as the reference does.
func (a *app) dropOriginals(wasActive bool, m, k, arch string) {
	dir := a.layout.Originals(m, k, arch)
	if wasActive && isDir(dir) {
		a.rep.say("Removing original module(s) from DKMS tree for kernel %s (%s)", k, arch)
		a.runner.RemoveAll(dir)
		if len(fileutil.Subdirs(filepath.Dir(dir))) == 0 {
			a.runner.RemoveAll(filepath.Dir(dir))
		}
	}
	top := filepath.Join(a.layout.Module(m), "original_module")
	if isDir(top) && len(fileutil.Subdirs(top)) == 0 {
		a.runner.RemoveAll(top)
	}
}

// cleanLeftovers removes staging directories of interrupted builds and
// empty first-level directories of DT/m/v.
func (a *app) cleanLeftovers(m, v string) {
	tmps, _ := filepath.Glob(filepath.Join(a.layout.Version(m, v), "*", ".tmp_*"))
	for _, t := range tmps {
		a.runner.RemoveAll(t)
	}
	for _, d := range fileutil.Subdirs(a.layout.Version(m, v)) {
		p := filepath.Join(a.layout.Version(m, v), d)
		if ents, err := os.ReadDir(p); err == nil && len(ents) == 0 {
			a.runner.Remove(p)
		}
	}
}

// hasBuildDirs reports whether DT/m/v holds a directory other than the
// reference's bookkeeping ones (build, tarball, source, ...).
func hasBuildDirs(dir string) bool {
	for _, d := range fileutil.Subdirs(dir) {
		keep := false
		for _, suffix := range []string{"build", "tarball", "driver_disk", "rpm", "deb", "source"} {
			keep = keep || strings.HasSuffix(d, suffix)
		}
		if !keep {
			return true
		}
	}
	return false
}

// postTransaction runs framework.conf's post_transaction command after a
// successful change, with its output in DT/post_transaction.log (§5).
func (a *app) postTransaction() {
	k, arch := "", ""
	if len(a.o.kernels) > 0 {
		k, arch = a.o.kernels[0], a.o.arches[0]
	}
	cmd := a.frameworkFor(k, arch)["post_transaction"]
	if cmd == "" {
		return
	}
	log := filepath.Join(a.layout.DKMS, "post_transaction.log")
	os.WriteFile(log, nil, 0o644)
	inv := &kbuild.Invoker{Runner: a.runner, Out: a.rep.out, Env: a.loader.Environ(a.scope), Verbose: a.o.verbose}
	inv.Invoke(a.ctx, "Executing post-transaction command", cmd, "", log, false)
}
