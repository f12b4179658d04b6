package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/run"
)

// updateInitramfs regenerates kernel k's initramfs after autoinstall
// changed its modules, with the tool this system uses, so a module needed
// at boot is in it. The reference never does this (§7.5). It is skipped
// when nothing was installed, when framework.conf sets initramfs=no, when
// no tool is installed, or when the kernel has no initramfs yet (the
// kernel's own hooks will make it, with our modules). Failures are
// reported with the tool's output; they do not fail the run.
func (a *app) updateInitramfs(k string, changed bool) {
	if !changed || strings.EqualFold(a.fw["initramfs"], "no") {
		return
	}
	boot := a.sysPath("/boot")
	var cmd run.Cmd
	switch {
	case has("update-initramfs") && isFile(filepath.Join(boot, "initrd.img-"+k)):
		cmd = run.Cmd{Path: "update-initramfs", Args: []string{"-u", "-k", k}}
	case has("dracut") && isFile(filepath.Join(boot, "initramfs-"+k+".img")):
		cmd = run.Cmd{Path: "dracut", Args: []string{"-f", "--kver", k}}
	case has("mkinitcpio") && isFile(filepath.Join(boot, "initramfs-linux.img")):
		cmd = run.Cmd{Path: "mkinitcpio", Args: []string{"-P"}}
	default:
		return
	}
	if !sameDir(a.layout.Install, a.sysPath("/lib/modules")) {
		return // a sandbox install tree is not what the initramfs tools read
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	a.rep.say("Updating the initramfs of kernel %s with %s...", k, cmd.Path)
	if err := a.runner.Run(a.ctx, cmd); err != nil {
		a.rep.warn("Updating the initramfs of kernel "+k+" failed: "+err.Error(), strings.TrimSpace(out.String()))
	}
}

func has(tool string) bool {
	_, err := exec.LookPath(tool)
	return err == nil
}

// sameDir reports whether two paths name the same directory.
func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}
