package main

import (
	"fmt"
	"strings"
)

// cmdKernelRemove is kernel_prerm (and kernel_preinst, which only takes
// AUTOINSTALL modules): it unbuilds every module built for the kernel,
// then runs depmod once. The reference prints "Running depmod... done."
// without running it (§10.2); we run it. Only directories our removals
// emptied are deleted, not every empty directory of the kernel.
func (a *app) cmdKernelRemove() error {
	k, arch := a.o.kernels[0], a.o.arches[0]
	pre := a.o.action == "kernel_preinst"
	a.deferDepmod, a.pendingDepmod = true, map[string]bool{}
	var failed []string
	for _, e := range a.statusEntries("", "", k, arch, false) {
		if e.State != "built" && e.State != "installed" {
			continue
		}
		if pre {
			cfg, err := a.readConf(confRequest{module: e.Module, version: e.Version, kernel: k, arch: arch})
			if err != nil {
				return err
			}
			if !cfg.AutoInstall {
				continue
			}
		}
		fmt.Fprintf(a.rep.err, "dkms: removing module %s for kernel %s (%s)\n", moduleVersion(e.Module, e.Version), k, arch)
		a.o.module, a.o.version = e.Module, e.Version
		if err := a.uninstallAndUnbuild(k, arch); err != nil {
			failed = append(failed, fmt.Sprintf("%s(%d)", moduleVersion(e.Module, e.Version), a.report(err)))
		}
		if !pre {
			a.rep.say("")
		}
	}
	a.deferDepmod = false
	if a.pendingDepmod[k] {
		if err := a.depmod(k); err != nil {
			a.report(err)
		} else {
			a.runner.Remove(a.depmodMarker(k, arch))
		}
	}
	if len(failed) > 0 {
		return errf(exitKernelHook, fmt.Sprintf("dkms %s for kernel %s (%s) failed for module(s) %s.", a.o.action, k, arch, strings.Join(failed, " ")))
	}
	return nil
}

// cmdMatch installs on -k every module/version installed on
// --templatekernel, as the original dkms did; the reference's version is
// broken by a status format change (§3.11).
func (a *app) cmdMatch() error {
	o := a.o
	k, arch := o.kernels[0], o.arches[0]
	if o.templateKernel == "" {
		return errf(exitGeneric, "Invalid number of parameters passed.",
			"Usage: match --templatekernel=<kernel-version> -k <kernel-version>",
			"   or: match --templatekernel=<kernel-version> -k <kernel-version> <module>")
	}
	if o.templateKernel == k {
		return errf(exitUsage, "The templatekernel and the specified kernel version are the same.")
	}
	if o.module != "" && !isDir(a.layout.Module(o.module)) {
		return errf(exitState, "The module: "+o.module+" is not located in the DKMS tree.")
	}
	var todo []statusEntry
	for _, e := range a.statusEntries(o.module, "", o.templateKernel, arch, false) {
		if e.State == "installed" {
			todo = append(todo, e)
		}
	}
	a.rep.say("")
	a.rep.say("Matching modules in kernel: %s (%s)", k, arch)
	a.rep.say("to the configuration of kernel: %s (%s)", o.templateKernel, arch)
	if len(todo) == 0 {
		a.rep.say("")
		a.rep.say("There is nothing to be done for this match.")
		return nil
	}
	last := 0
	for _, e := range todo {
		a.rep.say("Module:  %s", e.Module)
		a.rep.say("Version: %s", e.Version)
		a.o.module, a.o.version = e.Module, e.Version
		if err := a.installOne(k, arch); err != nil {
			last = a.report(err)
		}
	}
	if last != 0 {
		return silent(last)
	}
	return nil
}
