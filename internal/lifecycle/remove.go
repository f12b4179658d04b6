package lifecycle

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/kbuild"
)

// Uninstall uninstalls from each kernel (§3.6 uninstall); the first
// failure ends the run, as in the reference.
func (s *Session) Uninstall(ctx context.Context, req Request) error {
	return s.newAction().eachTarget(ctx, req, true, (*action).maybeUninstall)
}

// Unbuild uninstalls and deletes the build of each kernel.
func (s *Session) Unbuild(ctx context.Context, req Request) error {
	return s.newAction().eachTarget(ctx, req, true, (*action).uninstallAndUnbuild)
}

// eachTarget runs step on every kernel of req in one scope, the first
// failure ending the run; then post_transaction. With gap, an empty line
// separates the kernels.
func (a *action) eachTarget(ctx context.Context, req Request, gap bool, step func(*action, context.Context, *conf.Scope, Target) error) error {
	sc := &conf.Scope{}
	for i, k := range req.Kernels {
		if i > 0 && gap {
			a.Rep.Say("")
		}
		if err := step(a, ctx, sc, Target{Module: req.Module, Version: req.Version, Kernel: k, Arch: req.Arches[i]}); err != nil {
			return err
		}
	}
	a.postTransaction(ctx, sc, req)
	return nil
}

// Remove unbuilds each kernel and drops the version from the tree when
// nothing else is built (§3.6 remove).
func (s *Session) Remove(ctx context.Context, req Request) error {
	a := s.newAction()
	m, v := req.Module, req.Version
	a.cleanLeftovers(m, v)
	if a.Flags.RPMSafeUpgrade && a.rpmUpgrade(m, v) {
		return &Error{Kind: RemoveCancelled}
	}
	sc := &conf.Scope{}
	for i, k := range req.Kernels {
		if err := a.uninstallAndUnbuild(ctx, sc, Target{Module: m, Version: v, Kernel: k, Arch: req.Arches[i]}); err != nil {
			return err
		}
		a.Rep.Say("")
	}
	if !hasBuildDirs(a.Layout.Version(m, v)) {
		a.Rep.Say("Deleting module %s completely from the DKMS tree.", m+"/"+v)
		if err := a.Runner.RemoveTree(a.Layout.Version(m, v)); err != nil {
			return err
		}
	}
	if countVisible(a.Layout.Module(m)) == 0 {
		a.Runner.RemoveAll(a.Layout.Module(m))
	}
	a.postTransaction(ctx, sc, req)
	return nil
}

func (a *action) uninstallAndUnbuild(ctx context.Context, sc *conf.Scope, t Target) error {
	if err := a.maybeUninstall(ctx, sc, t); err != nil {
		return err
	}
	if !a.Layout.IsBuilt(t.Module, t.Version, t.Kernel, t.Arch) {
		a.Rep.Say("Module %s is not built for kernel %s (%s). Skipping...", t.mv(), t.Kernel, t.Arch)
		return nil
	}
	return a.unbuild(t)
}

// unbuild deletes the build of t, and its kernel directory when no other
// arch is built there.
func (a *action) unbuild(t Target) error {
	built := a.Layout.Built(t.Module, t.Version, t.Kernel, t.Arch)
	if err := a.Runner.RemoveTree(built); err != nil {
		return err
	}
	if kdir := filepath.Dir(built); len(fileutil.Subdirs(kdir)) == 0 {
		a.Runner.RemoveAll(kdir)
	}
	return nil
}

func (a *action) maybeUninstall(ctx context.Context, sc *conf.Scope, t Target) error {
	if !a.Layout.IsInstalled(t.Module, t.Version, t.Kernel, t.Arch) {
		if !a.mayBeExcluded(ctx, sc, t) {
			a.Rep.Say("Module %s is not installed for kernel %s (%s). Skipping...", t.mv(), t.Kernel, t.Arch)
		}
		return nil
	}
	return a.doUninstall(ctx, sc, t)
}

// mayBeExcluded reports whether t's module version has BUILD_EXCLUSIVE
// directives (OBSOLETE_BY included), on any kernel: dkms 3.3 then keeps
// quiet about it not being installed, since that can be expected. As the
// reference, it reads DT/m/v/source/dkms.conf leniently, with its errors
// discarded, and keeps the scope's cache as it was.
func (a *action) mayBeExcluded(ctx context.Context, sc *conf.Scope, t Target) bool {
	r := a.confRequest(t, false)
	r.Path = filepath.Join(a.Layout.SourceLink(t.Module, t.Version), "dkms.conf")
	if !isFile(r.Path) {
		return false
	}
	res, err := a.Loader.ReadAside(ctx, sc, r, a.Rep.Stdout(), io.Discard)
	return err == nil && res.Exclusive()
}

// doUninstall is the reference's do_uninstall: take the module out of the
// install tree, run POST_REMOVE and depmod. Without a readable dkms.conf
// our install manifest is enough.
func (a *action) doUninstall(ctx context.Context, sc *conf.Scope, t Target) error {
	a.Rep.Say("Module %s for kernel %s (%s):", t.mv(), t.Kernel, t.Arch)
	cfg, err := a.readConf(ctx, sc, t, false)
	if err != nil {
		man, _ := a.Layout.ReadManifest(t.Module, t.Kernel, t.Arch)
		if man == nil || man.Version != t.Version {
			return err
		}
	}
	req := install.Request{Module: t.Module, Version: t.Version, Kernel: t.Kernel, Arch: t.Arch}
	postRemove := ""
	if cfg != nil {
		req = a.installRequest(cfg.Config, t)
		postRemove = cfg.PostRemove
	}
	// As for install, the marker makes the next run's recovery run depmod
	// if this one is killed before its depmod, so modules.dep never keeps
	// naming a module file that is gone. In a batch it stays until the
	// batch's depmod.
	marker := a.Layout.DepmodMarker(t.Kernel, t.Arch)
	if err := a.Runner.WriteFile(marker, nil, 0o644); err != nil {
		return err
	}
	wasActive, p, err := a.installer().Uninstall(ctx, req)
	if err != nil {
		a.Runner.Remove(marker)
		return err
	}
	if wasActive {
		a.removeModulesConf(t.Module)
	}
	a.runScript(ctx, t, "post_remove", postRemove)
	if a.depmod != nil && p != nil {
		p.Commit() // a batch's one depmod comes at its end
	}
	if err := a.runDepmod(ctx, t.Kernel); err != nil {
		// The old state comes back whole (no space needed); modules.dep
		// is made again for it, or the marker stays for the next run.
		if p != nil {
			p.Revert()
		}
		if a.installer().Depmod(ctx, t.Kernel) == nil {
			a.Runner.Remove(marker)
		}
		return &Error{Kind: UninstallUndone, Target: t, Err: err}
	}
	if a.depmod == nil {
		if p != nil {
			p.Commit()
		}
		a.Runner.Remove(marker)
	}
	a.dropOriginals(wasActive, t)
	return nil
}

// dropOriginals deletes what is left of the original-module archive once
// the module is no longer active on K/A, as the reference does.
func (a *action) dropOriginals(wasActive bool, t Target) {
	dir := a.Layout.Originals(t.Module, t.Kernel, t.Arch)
	if wasActive && fileutil.IsDir(dir) {
		a.Rep.Say("Removing original module(s) from DKMS tree for kernel %s (%s)", t.Kernel, t.Arch)
		a.Runner.RemoveAll(dir)
		if len(fileutil.Subdirs(filepath.Dir(dir))) == 0 {
			a.Runner.RemoveAll(filepath.Dir(dir))
		}
	}
	top := filepath.Join(a.Layout.Module(t.Module), "original_module")
	if fileutil.IsDir(top) && len(fileutil.Subdirs(top)) == 0 {
		a.Runner.RemoveAll(top)
	}
}

// cleanLeftovers removes staging directories of interrupted builds and
// empty first-level directories of DT/m/v.
func (a *action) cleanLeftovers(m, v string) {
	tmps, _ := filepath.Glob(filepath.Join(a.Layout.Version(m, v), "*", ".tmp_*"))
	for _, t := range tmps {
		a.Runner.RemoveAll(t)
	}
	for _, d := range fileutil.Subdirs(a.Layout.Version(m, v)) {
		p := filepath.Join(a.Layout.Version(m, v), d)
		if ents, err := os.ReadDir(p); err == nil && len(ents) == 0 {
			a.Runner.Remove(p)
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
// successful change, with its output in DT/post_transaction.log (§5). It
// is read late, in the context of the first kernel, and runs with the
// environment of scope sc.
func (a *action) postTransaction(ctx context.Context, sc *conf.Scope, req Request) {
	k, arch := "", ""
	if len(req.Kernels) > 0 {
		k, arch = req.Kernels[0], req.Arches[0]
	}
	cmd := a.frameworkFor(ctx, sc, k, arch)["post_transaction"]
	if cmd == "" {
		return
	}
	log := filepath.Join(a.Layout.DKMS, "post_transaction.log")
	a.Runner.WriteFile(log, nil, 0o644)
	inv := &kbuild.Invoker{Runner: a.Runner, Out: a.Rep.Stdout(), Env: a.Loader.Environ(sc), Verbose: a.Flags.Verbose}
	inv.Invoke(ctx, "Executing post-transaction command", cmd, "", log, false)
}
