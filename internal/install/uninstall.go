package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// Uninstall removes module/version from kernel/arch if it is the installed
// version there, putting archived originals back. It reports whether the
// version was active. With a manifest it replays exactly what the install
// did; without one (an install made by the reference dkms) it finds the
// files the way the reference does.
func (e *Env) Uninstall(ctx context.Context, req Request) (wasActive bool, err error) {
	l := e.Layout
	if l.InstalledVersion(req.Module, req.Kernel, req.Arch) != req.Version {
		fmt.Fprintln(e.Out, "This module version was INACTIVE for this kernel.")
		return false, nil
	}
	fmt.Fprintln(e.Out, "Before uninstall, this module version was ACTIVE on this kernel.")
	man, err := l.ReadManifest(req.Module, req.Kernel, req.Arch)
	if err != nil {
		return true, err
	}
	if man == nil || man.Version != req.Version {
		man = e.legacyManifest(req)
	}
	e.weakModules(ctx, req, man.Files, false)
	// The link goes first: from here on, an interrupted run is finished by
	// Recover, which sees a manifest without its link.
	if err := e.Runner.Remove(l.KernelLink(req.Module, req.Kernel, req.Arch)); err != nil {
		return true, err
	}
	e.removeFiles(ctx, man, false)
	e.restoreOriginals(man, false)
	e.restoreLegacyOriginals(req)
	return true, e.Runner.Remove(l.Manifest(req.Module, req.Kernel, req.Arch))
}

// removeFiles deletes the files an install wrote and the directories that
// become empty, up to IT/K, but for one an rpm package owns where the
// distribution asks (KeepPackagedDirs). A file changed since install is
// still ours to delete only if it still holds a module of that name.
func (e *Env) removeFiles(ctx context.Context, man *tree.Manifest, quiet bool) {
	kdir := e.Layout.KernelDir(man.Kernel)
	for _, f := range man.Files {
		if !fileutil.Exists(f.Path) {
			if !quiet {
				fmt.Fprintf(e.Out, "Module %s was not found within %s/\n", filepath.Base(f.Path), kdir)
			}
			continue
		}
		if !quiet {
			fmt.Fprintf(e.Out, "Deleting %s\n", f.Path)
		}
		e.Runner.Remove(f.Path)
		if dir := filepath.Dir(f.Path); !e.packaged(ctx, dir) {
			fileutil.RemoveEmptyParents(dir, kdir)
		}
	}
}

// packaged reports whether dir is empty and owned by an rpm package,
// which the reference asks `rpm -qf` before it removes the directory a
// module leaves empty, on the distributions that keep such directories
// (KeepPackagedDirs): /lib/modules/K/extra is the kernel package's on
// Fedora and RHEL. No rpm, or no owner, and the directory goes.
func (e *Env) packaged(ctx context.Context, dir string) bool {
	if !e.KeepPackagedDirs {
		return false
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) > 0 {
		return false // nothing to remove anyway
	}
	return e.Runner.Run(ctx, run.Cmd{Path: "rpm", Args: []string{"-qf", dir}}) == nil
}

// legacyManifest reconstructs what an install without a manifest placed:
// for each module, the distribution location or the raw one, whichever
// holds a file whose version matches the built module (§3.6 uninstall).
func (e *Env) legacyManifest(req Request) *tree.Manifest {
	man := &tree.Manifest{Module: req.Module, Version: req.Version, Kernel: req.Kernel, Arch: req.Arch}
	builtDir := e.Layout.BuiltModules(req.Module, req.Version, req.Kernel, req.Arch)
	for _, m := range req.Modules {
		p := e.InstalledFile(req, m, builtDir)
		if p == "" {
			p = filepath.Join(e.Layout.KernelDir(req.Kernel), e.location(m.DestLocation), m.DestName+".ko")
		}
		man.Files = append(man.Files, tree.File{Path: p})
	}
	return man
}

// InstalledFile finds where module m of req is really installed: the
// distribution location, then the raw DEST_MODULE_LOCATION, counting a
// place only if its module has the built module's version.
func (e *Env) InstalledFile(req Request, m Module, builtDir string) string {
	kdir := e.Layout.KernelDir(req.Kernel)
	built := FindModule(builtDir, m.DestName)
	var places []string
	for _, loc := range uniq(e.location(m.DestLocation), m.DestLocation) {
		if p := FindModule(filepath.Join(kdir, loc), m.DestName); p != "" {
			if fileutil.SameContent(built, p) {
				return p // the same bytes: no need to decompress and compare versions
			}
			places = append(places, p)
		}
	}
	want, _ := ModuleVersion(built)
	for _, p := range places {
		if v, _ := ModuleVersion(p); v == want {
			return p
		}
	}
	return ""
}

// restoreLegacyOriginals restores originals archived by the reference
// dkms: each <file>.origin names the absolute path to put <file> back to.
func (e *Env) restoreLegacyOriginals(req Request) {
	dir := e.Layout.Originals(req.Module, req.Kernel, req.Arch)
	origins, _ := filepath.Glob(filepath.Join(dir, "*.origin"))
	kdir := e.Layout.KernelDir(req.Kernel) + "/"
	for _, o := range origins {
		b, err := os.ReadFile(o)
		if err != nil {
			continue
		}
		dst := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		if !strings.HasPrefix(dst, kdir) || strings.Contains(dst, "/../") {
			e.Warn("Bad original location '" + dst + "' in " + o)
			continue
		}
		fmt.Fprintf(e.Out, "Restoring archived original module %s\n", dst)
		e.Runner.MkdirAll(filepath.Dir(dst))
		if e.Runner.Rename(strings.TrimSuffix(o, ".origin"), dst) == nil {
			e.Runner.Remove(o)
		}
	}
	e.cleanOriginals(req.Module, req.Kernel, req.Arch)
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}
