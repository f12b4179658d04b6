package lifecycle

import (
	"context"
	"fmt"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/status"
)

// KernelRemove is kernel_prerm, and kernel_preinst when preinst is set
// (which only takes AUTOINSTALL modules): it unbuilds every module built
// for the kernel, then runs depmod once. The reference prints "Running
// depmod... done." without running it (§10.2); we run it. Only
// directories our removals emptied are deleted, not every empty directory
// of the kernel.
func (s *Session) KernelRemove(ctx context.Context, req Request, preinst bool) error {
	a := s.newAction()
	sc := &conf.Scope{}
	k, arch := req.Kernels[0], req.Arches[0]
	a.depmod = &depmods{pending: map[string]bool{}}
	var failed []string
	for _, e := range status.Entries(a.Layout, "", "", k, arch) {
		if e.State != status.Built && e.State != status.Installed {
			continue
		}
		t := Target{Module: e.Module, Version: e.Version, Kernel: k, Arch: arch}
		if preinst {
			cfg, err := a.readConf(ctx, sc, t, false)
			if err != nil {
				return err
			}
			if !cfg.AutoInstall {
				continue
			}
		}
		fmt.Fprintf(a.Rep.Stderr(), "dkms: removing module %s for kernel %s (%s)\n", t.mv(), k, arch)
		if err := a.uninstallAndUnbuild(ctx, sc, t); err != nil {
			failed = append(failed, fmt.Sprintf("%s(%d)", t.mv(), a.Rep.Fail(err)))
		}
		if !preinst {
			a.Rep.Say("")
		}
	}
	pending := a.depmod.pending[k]
	a.depmod = nil
	if pending {
		if err := a.runDepmod(ctx, k); err != nil {
			a.Rep.Fail(err)
		} else {
			a.Runner.Remove(a.Layout.DepmodMarker(k, arch))
		}
	}
	if len(failed) > 0 {
		return &Error{Kind: KernelHookFailed, Target: Target{Kernel: k, Arch: arch}, Detail: req.Action, Names: failed}
	}
	return nil
}

// Match installs on the kernel of req every module version installed on
// req.TemplateKernel, as the original dkms did; the reference's version
// is broken by a status format change (§3.11). With a module given, only
// its versions.
func (s *Session) Match(ctx context.Context, req Request) error {
	k, arch := req.Kernels[0], req.Arches[0]
	switch {
	case req.TemplateKernel == "":
		return &Error{Kind: MatchUsage}
	case req.TemplateKernel == k:
		return &Error{Kind: MatchSameKernel}
	case req.Module != "" && !fileutil.IsDir(s.Layout.Module(req.Module)):
		return &Error{Kind: ModuleNotInTree, Target: Target{Module: req.Module}}
	}
	var todo []status.Entry
	for _, e := range status.Entries(s.Layout, req.Module, "", req.TemplateKernel, arch) {
		if e.State == status.Installed {
			todo = append(todo, e)
		}
	}
	s.Rep.Say("")
	s.Rep.Say("Matching modules in kernel: %s (%s)", k, arch)
	s.Rep.Say("to the configuration of kernel: %s (%s)", req.TemplateKernel, arch)
	if len(todo) == 0 {
		s.Rep.Say("")
		s.Rep.Say("There is nothing to be done for this match.")
		return nil
	}
	a := s.newAction()
	sc := &conf.Scope{}
	last := 0
	for _, e := range todo {
		s.Rep.Say("Module:  %s", e.Module)
		s.Rep.Say("Version: %s", e.Version)
		req.Module, req.Version = e.Module, e.Version
		if err := a.installOne(ctx, sc, req, Target{Module: e.Module, Version: e.Version, Kernel: k, Arch: arch}); err != nil {
			last = a.Rep.Fail(err)
		}
	}
	if last != 0 {
		return Status(last)
	}
	return nil
}
