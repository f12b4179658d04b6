package install

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
)

// Depmod runs kmod's depmod for kernel on the install tree in use. The
// reference never passes -b, so with --installtree it regenerates the
// host's maps instead (§7.5); we point depmod at the tree we installed
// into. Like the reference it skips kernels without modules.dep (no image
// installed). Unlike it, a depmod failure is returned, so the caller can
// roll the install back.
func (e *Env) Depmod(ctx context.Context, kernel string) error {
	if e.NoDepmod {
		return nil
	}
	kdir := e.Layout.KernelDir(kernel)
	if !fileutil.Exists(filepath.Join(kdir, "modules.dep")) {
		return nil
	}
	base, cleanup, err := depmodBase(e.Layout.Install)
	if err != nil {
		return err
	}
	defer cleanup()
	args := []string{"-a"}
	if base != "" {
		args = append(args, "-b", base)
	}
	args = append(args, kernel)
	if e.BootDir != "" {
		if m := filepath.Join(e.BootDir, "System.map-"+kernel); fileutil.Exists(m) {
			args = append(args, "-F", m)
		}
	}
	dep := filepath.Join(kdir, "modules.dep")
	before, _ := os.Stat(dep)
	var stderr bytes.Buffer
	if err := e.Runner.Run(ctx, run.Cmd{Path: "depmod", Args: args, Stderr: &stderr}); err != nil {
		return fmt.Errorf("%w: %w%s", ErrDepmod, err, said(&stderr))
	}
	// depmod writes modules.dep to a new file and renames it into place.
	// kmod's depmod exits 0 when it cannot write (a full or read-only
	// file system), leaving the old maps: that is a failure too.
	if after, err := os.Stat(dep); err != nil || (before != nil && os.SameFile(before, after)) {
		return fmt.Errorf("%w: %s was not rewritten%s", ErrDepmod, dep, said(&stderr))
	}
	e.dropEmptyMaps(kdir)
	return nil
}

// said is what depmod printed on its standard error, on lines of its own
// after the message it ends, or "".
func said(stderr *bytes.Buffer) string {
	if s := strings.TrimSpace(stderr.String()); s != "" {
		return "\n" + s
	}
	return ""
}

// depmodBase returns the -b argument that makes depmod read installTree as
// its /lib/modules: the parent of a tree named .../lib/modules, or else a
// temporary directory whose lib/modules links to it.
func depmodBase(installTree string) (string, func(), error) {
	it := filepath.Clean(installTree)
	if it == "/lib/modules" || it == "/usr/lib/modules" {
		return "", func() {}, nil
	}
	for _, suffix := range []string{"/usr/lib/modules", "/lib/modules"} {
		if strings.HasSuffix(it, suffix) {
			return strings.TrimSuffix(it, suffix), func() {}, nil
		}
	}
	tmp, err := os.MkdirTemp("", "dkms-depmod-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	if err := os.MkdirAll(filepath.Join(tmp, "lib"), 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	abs, _ := filepath.Abs(it)
	if err := os.Symlink(abs, filepath.Join(tmp, "lib", "modules")); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp, cleanup, nil
}

// dropEmptyMaps removes depmod's files when the last module of a kernel
// that is no longer installed went away, as the reference does.
func (e *Env) dropEmptyMaps(kdir string) {
	st, err := os.Stat(filepath.Join(kdir, "modules.dep"))
	if err != nil || st.Size() > 0 {
		return
	}
	for _, pat := range []string{"modules.alias", "modules.dep", "modules.devname", "modules.softdep", "modules.symbols", "modules.weakdep", "modules.*.bin"} {
		matches, _ := filepath.Glob(filepath.Join(kdir, pat))
		for _, m := range matches {
			e.Runner.Remove(m)
		}
	}
	e.Runner.Remove(kdir) // only when empty
}
