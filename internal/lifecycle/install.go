package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"io"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
)

// Install installs the module on each kernel, building (and adding) it
// first when needed (§3.6 install).
func (s *Session) Install(ctx context.Context, req Request) error {
	a := s.newAction()
	sc := &conf.Scope{}
	req, err := a.eachKernel(ctx, sc, req, a.installOne)
	if err == nil {
		a.postTransaction(ctx, sc, req)
	}
	return err
}

func (a *action) installOne(ctx context.Context, sc *conf.Scope, req Request, t Target) error {
	if t.Module != "" && t.Version != "" && a.Layout.IsInstalled(t.Module, t.Version, t.Kernel, t.Arch) {
		if !a.Flags.Force {
			a.Rep.Say("Module %s already installed on kernel %s (%s), skip. You may override by specifying --force.", t.mv(), t.Kernel, t.Arch)
			return nil
		}
		if err := a.doUninstall(ctx, sc, t); err != nil {
			return err
		}
		a.Rep.Say("")
	}
	return a.doInstall(ctx, sc, req, t)
}

// doInstall is the reference's do_install: install (building first when
// needed), then rebuild the modules whose BUILD_DEPENDS changed (§7.7).
func (a *action) doInstall(ctx context.Context, sc *conf.Scope, req Request, t Target) error {
	if _, err := a.installBuilt(ctx, sc, req, t); err != nil {
		return err
	}
	return a.rebuildDependents(ctx, sc, req, t.Kernel, t.Arch)
}

// installBuilt is do_install without the dependency rebuilds. It returns
// the target with the module an implicit add named.
func (a *action) installBuilt(ctx context.Context, sc *conf.Scope, req Request, t Target) (Target, error) {
	if t.Module == "" || t.Version == "" || !a.Layout.IsBuilt(t.Module, t.Version, t.Kernel, t.Arch) {
		var err error
		if t, err = a.doBuild(ctx, sc, req, t); err != nil {
			return t, err
		}
	}
	if !fileutil.IsDir(a.Layout.KernelDir(t.Kernel)) {
		return t, &Error{Kind: NoKernelDir, Target: t, Path: a.Layout.KernelDir(t.Kernel)}
	}
	cfg, err := a.readConf(ctx, sc, t, true)
	if err != nil {
		return t, err
	}
	ireq := a.installRequest(cfg.Config, t)
	if code := a.runScript(ctx, t, "pre_install", cfg.PreInstall); code != 0 && !ireq.Force {
		return t, &Error{Kind: PreInstallFailed, Target: t}
	}
	return t, a.place(ctx, t, ireq, cfg)
}

// place installs the built modules, writes MODULES_CONF, runs
// POST_INSTALL and depmod. The depmod marker, written first, makes the
// next run's recovery run depmod if this one is killed after the install
// and before depmod; in a batch it stays until the batch's depmod.
func (a *action) place(ctx context.Context, t Target, ireq install.Request, cfg *conf.Result) error {
	inst := a.installer()
	marker := a.Layout.DepmodMarker(t.Kernel, t.Arch)
	if err := a.Runner.WriteFile(marker, nil, 0o644); err != nil {
		return installFailed(err)
	}
	if err := inst.Install(ctx, ireq); err != nil {
		a.Runner.Remove(marker)
		return installFailed(err)
	}
	if err := a.writeModulesConf(t.Module, cfg.Values); err != nil {
		a.Rep.Warn(err.Error())
	}
	a.runScript(ctx, t, "post_install", cfg.PostInstall)
	if err := a.runDepmod(ctx, t.Kernel); err != nil {
		a.undoInstall(ctx, ireq)
		return err
	}
	if a.depmod != nil {
		a.depmod.installs = append(a.depmod.installs, ireq)
		return nil
	}
	inst.Finish(ireq)
	return a.Runner.Remove(marker)
}

// installFailed gives a failure of the install step that the install
// package does not word itself (a file it could not write) the
// reference's status for a failed install.
func installFailed(err error) error {
	var (
		cp *install.CopyError
		me *install.MissingError
	)
	if errors.As(err, &cp) || errors.As(err, &me) || errors.Is(err, install.ErrAborted) || errors.Is(err, install.ErrDepmod) {
		return err
	}
	return &Error{Kind: InstallFailed, Err: err}
}

// undoInstall takes back an install whose depmod failed (install.Undo)
// and makes modules.dep again for the old state; when that fails too,
// the depmod marker stays for the next run.
func (a *action) undoInstall(ctx context.Context, ireq install.Request) {
	inst := a.installer()
	inst.Out = io.Discard
	inst.Undo(ctx, ireq)
	if inst.Depmod(ctx, ireq.Kernel) == nil {
		a.Runner.Remove(a.Layout.DepmodMarker(ireq.Kernel, ireq.Arch))
	}
}

// finishDepmod runs the depmods a batch deferred, once per kernel, and
// clears their markers. The batch's installs on a kernel whose depmod
// fails are taken back (undoInstall), the others finished.
func (a *action) finishDepmod(ctx context.Context) error {
	batch := a.depmod
	a.depmod = nil
	var first error
	for k := range batch.pending {
		err := a.installer().Depmod(ctx, k)
		for i := len(batch.installs) - 1; i >= 0; i-- {
			if ireq := batch.installs[i]; ireq.Kernel == k && err != nil {
				a.undoInstall(ctx, ireq)
			} else if ireq.Kernel == k {
				a.installer().Finish(ireq)
			}
		}
		if err != nil {
			first = cmp.Or(first, err)
			continue
		}
		for _, mk := range a.Layout.DepmodMarkers(k) {
			a.Runner.Remove(mk.Path)
		}
	}
	return first
}

// installRequest turns a conf into the install package's request for t,
// each module marked when BUILD_EXCLUSIVE_* excludes it on t's kernel.
func (s *Session) installRequest(cfg *conf.Config, t Target) install.Request {
	// --rpm_safe_upgrade forces, so that the first half of an rpm upgrade
	// installs whatever the second half then removes.
	req := install.Request{Module: t.Module, Version: t.Version, Kernel: t.Kernel, Arch: t.Arch,
		Force: s.Flags.Force || s.Flags.RPMSafeUpgrade, ForceVersion: s.Flags.ForceVersion, ObsoleteBy: cfg.ObsoleteBy, NoWeakModules: cfg.NoWeakModules}
	ex := s.exclusion(cfg, t)
	for i, mod := range cfg.Modules {
		req.Modules = append(req.Modules, install.Module{DestName: mod.DestName, DestLocation: mod.DestLocation, Excluded: ex.Excluded[i]})
	}
	return req
}

// Recover finishes what interrupted runs left (install.Env.Recover)
// before a mutating action, under the tree lock.
func (s *Session) Recover(ctx context.Context) {
	inst := s.installer()
	inst.Out = io.Discard
	for _, what := range inst.Recover(ctx, s.extraLocations()...) {
		s.Rep.Warn("Rolled back an interrupted install of " + what + ".")
	}
}
