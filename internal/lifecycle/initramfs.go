package lifecycle

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/run"
)

// updateInitramfs regenerates kernel k's initramfs after autoinstall
// changed its modules, with the tool this system uses, so a module needed
// at boot is in it. The reference never does this (§7.5). It is skipped
// when framework.conf sets initramfs=no, when no tool is installed, or
// when the kernel has no initramfs yet (the kernel's own hooks will make
// it, with our modules). Failures are reported with the tool's output;
// they do not fail the run.
func (s *Session) updateInitramfs(ctx context.Context, k string) {
	if strings.EqualFold(s.Framework["initramfs"], "no") {
		return
	}
	boot := s.sysPath("/boot")
	var cmd run.Cmd
	switch {
	case s.has("update-initramfs") && isFile(filepath.Join(boot, "initrd.img-"+k)):
		cmd = run.Cmd{Path: "update-initramfs", Args: []string{"-u", "-k", k}}
	case s.has("dracut") && isFile(filepath.Join(boot, "initramfs-"+k+".img")):
		cmd = run.Cmd{Path: "dracut", Args: []string{"-f", "--kver", k}}
	case s.has("mkinitcpio") && isFile(filepath.Join(boot, "initramfs-linux.img")):
		cmd = run.Cmd{Path: "mkinitcpio", Args: []string{"-P"}}
	default:
		return
	}
	if !sameDir(s.Layout.Install, s.sysPath("/lib/modules")) {
		return // a sandbox install tree is not what the initramfs tools read
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	s.Rep.Say("Updating the initramfs of kernel %s with %s...", k, cmd.Path)
	if err := s.Runner.Run(ctx, cmd); err != nil {
		s.Rep.Warn("Updating the initramfs of kernel "+k+" failed: "+err.Error(), strings.TrimSpace(out.String()))
	}
}

// sameDir reports whether two paths name the same directory.
func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}
