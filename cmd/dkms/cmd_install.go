package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/kbuild"
	"github.com/dkms-go/dkms/internal/kernel"
)

// cmdInstall installs the module on each kernel, building (and adding) it
// first when needed (§3.6 install).
func (a *app) cmdInstall() error {
	err := a.eachKernel(a.installOne)
	if err == nil {
		a.postTransaction()
	}
	return err
}

func (a *app) installOne(k, arch string) error {
	m, v := a.o.module, a.o.version
	if m != "" && v != "" && a.layout.IsInstalled(m, v, k, arch) {
		if !a.o.force {
			a.rep.say("Module %s already installed on kernel %s (%s), skip. You may override by specifying --force.", moduleVersion(m, v), k, arch)
			return nil
		}
		if err := a.doUninstall(k, arch); err != nil {
			return err
		}
		a.rep.say("")
	}
	return a.doInstall(k, arch)
}

// doInstall is the reference's do_install: install (building first when
// needed), then rebuild the modules whose BUILD_DEPENDS changed (§7.7).
func (a *app) doInstall(k, arch string) error {
	if err := a.installBuilt(k, arch); err != nil {
		return err
	}
	return a.rebuildDependents(k, arch)
}

// installBuilt is do_install without the dependency rebuilds.
func (a *app) installBuilt(k, arch string) error {
	o := a.o
	if o.module == "" || o.version == "" || !a.layout.IsBuilt(o.module, o.version, k, arch) {
		if err := a.doBuild(k, arch); err != nil {
			return err
		}
	}
	m, v := o.module, o.version
	if !isDir(a.layout.KernelDir(k)) {
		return errf(exitInstall, "The directory "+a.layout.KernelDir(k)+" doesn't exist.",
			"You cannot install a module onto a non-existant kernel.")
	}
	cfg, err := a.readConf(confRequest{module: m, version: v, kernel: k, arch: arch, strict: true})
	if err != nil {
		return err
	}
	req := a.installRequest(cfg.Config, k, arch)
	if code := a.runScript("pre_install", cfg.PreInstall); code != 0 && !o.force {
		return errf(exitPreInstall, "pre_install failed, aborting install.", "You may override by specifying --force.")
	}
	inst := a.installer()
	// The marker makes the next run's recovery run depmod if this one is
	// killed after the install and before depmod.
	marker := a.layout.DepmodMarker(k, arch)
	if err := a.runner.WriteFile(marker, nil, 0o644); err != nil {
		return err
	}
	if err := inst.Install(a.ctx, req); err != nil {
		a.runner.Remove(marker)
		return err
	}
	if err := a.writeModulesConf(m, cfg.Values); err != nil {
		a.rep.warn(err.Error())
	}
	a.runScript("post_install", cfg.PostInstall)
	if err := a.depmod(k); err != nil {
		inst.Out = discard{}
		inst.Uninstall(req)
		a.installer().Depmod(a.ctx, k)
		a.runner.Remove(marker)
		return err
	}
	if a.batchDepmod {
		return nil // the marker goes when the batch's depmod has run
	}
	return a.runner.Remove(marker)
}

// finishDepmod runs the depmods a batch deferred, once per kernel, and
// clears their markers.
func (a *app) finishDepmod() error {
	a.batchDepmod = false
	for k := range a.pendingDepmod {
		if err := a.installer().Depmod(a.ctx, k); err != nil {
			return err
		}
		for _, mk := range a.layout.DepmodMarkers(k) {
			a.runner.Remove(mk.Path)
		}
		delete(a.pendingDepmod, k)
	}
	return nil
}

// installRequest turns a conf into the install package's request.
func (a *app) installRequest(cfg *conf.Config, k, arch string) install.Request {
	req := install.Request{Module: a.o.module, Version: a.o.version, Kernel: k, Arch: arch,
		Force: a.o.force, ForceVersion: a.o.forceVersion, ObsoleteBy: cfg.ObsoleteBy}
	for _, mod := range cfg.Modules {
		req.Modules = append(req.Modules, install.Module{DestName: mod.DestName, DestLocation: mod.DestLocation})
	}
	return req
}

// installer is the install package configured for this run.
func (a *app) installer() *install.Env {
	return &install.Env{
		Layout: a.layout, Runner: a.runner, Out: a.rep.out, Err: a.rep.err,
		Location: func(raw string) string {
			return kernel.InstallLocation(a.distro, addonModulesDir(), raw)
		},
		Symlink:    a.o.symlinkModules,
		NoDepmod:   a.o.noDepmod,
		BootDir:    a.bootDir(),
		ErrorBlock: a.rep.errorBlock,
		Warn:       a.rep.warn,
	}
}

// bootDir is where System.map files are looked for: /boot for the real
// install tree only, since a System.map of the host does not describe a
// sandbox tree.
func (a *app) bootDir() string {
	if filepath.Clean(a.layout.Install) == "/lib/modules" {
		return a.sysPath("/boot")
	}
	return ""
}

// depmod prints "Running depmod..." and runs it for k. During autoinstall
// (batchDepmod) the line is printed as the reference prints it for each
// module, but depmod itself runs once for the kernel at the end.
func (a *app) depmod(k string) error {
	if a.batchDepmod {
		a.pendingDepmod[k] = true
		a.rep.say("Running depmod... done.")
		return nil
	}
	if a.o.verbose {
		a.rep.say("depmod %s", k)
	} else {
		fmt.Fprint(a.rep.out, "Running depmod...")
	}
	if err := a.installer().Depmod(a.ctx, k); err != nil {
		fmt.Fprintln(a.rep.out, "(bad exit status: 1)")
		return err
	}
	fmt.Fprintln(a.rep.out, " done.")
	return nil
}

// recover finishes what interrupted runs left (install.Env.Recover)
// before every mutating action, under the tree lock.
func (a *app) recover() {
	inst := a.installer()
	inst.Out = discard{}
	for _, what := range inst.Recover(a.ctx, a.doctorLocations()...) {
		a.rep.warn("Rolled back an interrupted install of " + what + ".")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// describeDomain words the errors of the internal packages (§2.5).
func describeDomain(err error) (int, []string, bool, bool) {
	var (
		missing *install.MissingError
		cp      *install.CopyError
		mk      *kbuild.MakeError
		bm      *kbuild.BuiltMissingError
		sc      *kbuild.ScriptError
		pe      *kbuild.PatchError
		se      *kbuild.StageError
		cm      *conf.MissingError
		ci      *conf.InvalidError
		ce      *conf.EvalError
	)
	switch {
	case errors.As(err, &cm):
		return exitConfMissing, []string{"Could not locate dkms.conf file.", "File: " + cm.File + " does not exist."}, false, true
	case errors.As(err, &ci):
		return exitBadConf, []string{"Bad conf file.", "File: " + ci.Shown + " does not represent a valid dkms.conf file."}, false, true
	case errors.As(err, &ce):
		return exitBadConf, []string{"Could not evaluate " + ce.Error() + "."}, false, true
	case errors.As(err, &missing):
		return exitInstall, []string{"Missing module " + missing.Name + " in " + missing.Dir + "/module"}, false, true
	case errors.Is(err, install.ErrAborted):
		return exitInstall, []string{"Installation aborted."}, false, true
	case errors.Is(err, install.ErrDepmod):
		return exitInstall, []string{"Problems with depmod detected. Automatically uninstalling this module.",
			"Install Failed (depmod problems). Module rolled back to built state.", err.Error()}, false, true
	case errors.As(err, &cp):
		return exitInstall, []string{"Copying '" + cp.Src + "' failed"}, false, true
	case errors.As(err, &mk):
		return exitMake, []string{"Bad return status for module build on kernel: " + mk.Kernel + " (" + mk.Arch + ")",
			"Consult " + mk.Log + " for more information."}, false, true
	case errors.As(err, &bm):
		return exitModuleMissing, []string{"Build of " + bm.Path + " failed for: " + bm.Kernel + " (" + bm.Arch + ")",
			"Make sure the name and location of the generated module are correct,",
			"or consult " + bm.Log + " for more information."}, false, true
	case errors.As(err, &sc):
		return sc.Code, nil, false, true
	case errors.As(err, &se):
		return exitModuleMissing, []string{err.Error()}, false, true
	case errors.As(err, &pe):
		return describePatch(pe)
	}
	return 0, nil, false, false
}

func describePatch(pe *kbuild.PatchError) (int, []string, bool, bool) {
	switch pe.Kind {
	case kbuild.PatchDotDot:
		return exitNotAllowed, []string{"Patch " + pe.Patch + " as specified in dkms.conf contains '..' path component."}, false, true
	case kbuild.PatchMissing:
		return exitNotAllowed, []string{"Patch " + pe.Patch + " as specified in dkms.conf cannot be",
			"found in " + pe.Dir + "."}, false, true
	}
	return exitInstall, []string{"Application of patch " + pe.Patch + " failed.",
		"Consult " + pe.Log + " for more information."}, false, true
}
