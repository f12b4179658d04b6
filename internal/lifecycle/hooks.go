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
// req.TemplateKernel (§3.11; 3.2.2's was broken by a status format
// change, 3.4 parses the status again). With a module given, only its
// versions. The exit status is the last failure's, not the last
// module's as in the reference (see §10.5).
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
	sc := &conf.Scope{}
	last := 0
	for _, e := range todo {
		s.Rep.Say("Module:  %s", e.Module)
		s.Rep.Say("Version: %s", e.Version)
		req.Module, req.Version = e.Module, e.Version
		if err := s.matchOne(ctx, sc.Fork(), req, Target{Module: e.Module, Version: e.Version, Kernel: k, Arch: arch}); err != nil {
			last = s.Rep.Fail(err)
		}
	}
	if last != 0 {
		return Status(last)
	}
	return nil
}

// matchOne builds t (or says it is built already, or rebuilds it with
// --force) and then installs it (the same), as the reference's match
// does with a subshell for each: every module prepares the kernel anew,
// so each build shows its signing prologue. Unlike the reference, a
// failed build is not tried again by the install, and --force rebuilds
// and reinstalls the module named by the template kernel's entry (the
// reference's uses the command line's module and fails).
func (s *Session) matchOne(ctx context.Context, sc *conf.Scope, req Request, t Target) error {
	a := s.newAction()
	if err := a.buildOne(ctx, sc, req, t); err != nil {
		return err
	}
	return a.installOne(ctx, sc, req, t)
}
