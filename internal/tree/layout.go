// Package tree knows the dkms state tree on disk: where every file of a
// module lives (Layout), what state a module/version is in, the lock that
// serialises mutating runs, the install manifests that record what an
// install wrote, and every other marker and record dkms keeps there.
//
// The layout is the reference dkms's (see dkms-behaviour §6), so a tree made
// by either program is read and changed correctly by the other. Files the
// reference also knows: the depmod markers (DT/depmod-pending-K-A) and
// the BUILD_DEPENDS_REBUILD records (DT/m/v/K/A/.dep_<dep>). Our additions
// are dot-files the reference never looks at: the lock (DT/.dkms.lock),
// the manifests (DT/<m>/.manifest-<K>-<A>.json), the build records
// (DT/m/v/K/A/.dkms-build.json), the failure records
// (DT/m/v/.last-failure-K-A), the ldtarball marker
// (DT/.ldtarball-pending-m-v), the conf cache (DT/.dkms-conf-cache.json),
// the set-aside names of Aside (which install recovery handles) and the
// temporary names of fileutil.TempPrefix, which Temporaries finds for
// recovery and doctor. Every record is written through the run.Runner;
// the build and .dep_ records are staged with the build and committed by
// the same rename.
package tree

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Layout holds the three roots every path is derived from.
type Layout struct {
	DKMS    string // the dkms tree, /var/lib/dkms by default
	Source  string // the source tree, /usr/src by default
	Install string // the install tree, /lib/modules by default
}

// Module returns DT/m.
func (l Layout) Module(m string) string { return filepath.Join(l.DKMS, m) }

// Version returns DT/m/v.
func (l Layout) Version(m, v string) string { return filepath.Join(l.DKMS, m, v) }

// SourceLink returns DT/m/v/source, the link whose target marks "added".
func (l Layout) SourceLink(m, v string) string { return filepath.Join(l.Version(m, v), "source") }

// BuildDir returns DT/m/v/build, where sources are compiled.
func (l Layout) BuildDir(m, v string) string { return filepath.Join(l.Version(m, v), "build") }

// Built returns DT/m/v/K/A, which exists once m/v is built for K/A.
func (l Layout) Built(m, v, k, a string) string { return filepath.Join(l.Version(m, v), k, a) }

// BuiltModules returns DT/m/v/K/A/module, holding the finished .ko files.
func (l Layout) BuiltModules(m, v, k, a string) string {
	return filepath.Join(l.Built(m, v, k, a), "module")
}

// KernelLink returns DT/m/kernel-K-A, the link that marks a version installed.
func (l Layout) KernelLink(m, k, a string) string {
	return filepath.Join(l.Module(m), "kernel-"+k+"-"+a)
}

// Originals returns DT/m/original_module/K/A, the archive of modules that
// an install displaced.
func (l Layout) Originals(m, k, a string) string {
	return filepath.Join(l.Module(m), "original_module", k, a)
}

// Manifest returns the path of the install manifest of m on K/A.
func (l Layout) Manifest(m, k, a string) string {
	return filepath.Join(l.Module(m), ".manifest-"+k+"-"+a+".json")
}

// SourceDir returns ST/m-v, the module's pristine source.
func (l Layout) SourceDir(m, v string) string { return filepath.Join(l.Source, m+"-"+v) }

// KernelDir returns IT/K.
func (l Layout) KernelDir(k string) string { return filepath.Join(l.Install, k) }

// WeakUpdates is IT/K/weak-updates, where the RHEL and SUSE weak-modules
// tools link modules installed for other kernels whose kABI K shares.
func (l Layout) WeakUpdates(k string) string { return filepath.Join(l.KernelDir(k), "weak-updates") }

// LockFile returns the lock that serialises mutating runs on the tree.
func (l Layout) LockFile() string { return filepath.Join(l.DKMS, ".dkms.lock") }

// AsidePrefix starts the name a file gets while it is set aside: an
// install's original module or an uninstall's module file (and kernel
// link) renamed in place until depmod has run, so that a failure can put
// them back with a rename, without needing space. The name ends in "~"
// so depmod, which indexes *.ko files, never lists it.
const AsidePrefix = ".dkms-aside-"

// Aside returns the set-aside name of path, in the same directory.
func Aside(path string) string {
	return filepath.Join(filepath.Dir(path), AsidePrefix+filepath.Base(path)+"~")
}

// ConfCache returns DT/.dkms-conf-cache.json, where status keeps the
// values of dkms.conf files it evaluated (conf.Cache). Ours only: the
// reference never reads it and, being a dot file, never lists it.
func (l Layout) ConfCache() string { return filepath.Join(l.DKMS, ".dkms-conf-cache.json") }

// ErrBadName is returned for a module, version, kernel or arch name that
// could escape the tree ("..", a slash where none belongs, a NUL).
var ErrBadName = errors.New("invalid name")

// CheckName refuses names that would make a path outside the tree. The
// reference accepts them and writes wherever they point; we do not.
func CheckName(kind, name string) error {
	bad := name == "." || name == ".." || strings.ContainsAny(name, "/\x00") ||
		strings.HasPrefix(name, ".")
	if bad {
		return fmt.Errorf("%s %q: %w", kind, name, ErrBadName)
	}
	return nil
}

// SplitKernelArch splits the "K-A" part of kernel-K-A links and of the
// other per-kernel names of the tree at the last dash: arch names have
// none, kernel releases often do.
func SplitKernelArch(ka string) (kernel, arch string) {
	i := strings.LastIndex(ka, "-")
	if i < 0 {
		return ka, ""
	}
	return ka[:i], ka[i+1:]
}
