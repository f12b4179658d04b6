package install

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// Uninstall takes module/version out of kernel/arch if it is the
// installed version there, putting archived originals back. It reports
// whether the version was active and returns the uninstall Pending: the
// module's files and kernel link are set aside, not yet deleted, so that
// the caller can run depmod and then Commit, or Revert if depmod fails.
// With a manifest it replays exactly what the install did; without one
// (an install made by the reference dkms) it finds the files the way the
// reference does. The weak-modules tool is told the files go before
// anything changes, and told they are back if the uninstall is reverted.
func (e *Env) Uninstall(ctx context.Context, req Request) (wasActive bool, p *Pending, err error) {
	l := e.Layout
	if l.InstalledVersion(req.Module, req.Kernel, req.Arch) != req.Version {
		fmt.Fprintln(e.Out, "This module version was INACTIVE for this kernel.")
		return false, nil, nil
	}
	fmt.Fprintln(e.Out, "Before uninstall, this module version was ACTIVE on this kernel.")
	man, err := l.ReadManifest(req.Module, req.Kernel, req.Arch)
	if err != nil {
		return true, nil, err
	}
	if man == nil || man.Version != req.Version {
		man = e.legacyManifest(req)
	}
	p = &Pending{e: e}
	marker := l.UninstallMarker(req.Module, req.Kernel, req.Arch)
	if err := e.Runner.WriteFile(marker, nil, 0o644); err != nil {
		return true, nil, err
	}
	p.onRevert(func() error { return e.Runner.Remove(marker) })
	e.weakModules(ctx, req, man.Files, false)
	p.onRevert(func() error { e.weakModules(ctx, req, man.Files, true); return nil })
	if err := e.uninstall(ctx, req, man, p); err != nil {
		p.Revert()
		return true, nil, err
	}
	p.onCommit(func() error {
		e.cleanOriginals(man.Module, man.Kernel, man.Arch)
		err := e.Runner.Remove(l.Manifest(req.Module, req.Kernel, req.Arch))
		return cmp.Or(err, e.Runner.Remove(marker))
	})
	return true, p, nil
}

// uninstall does the changes of Uninstall into p. Originals go back
// first, while the module is still installed, so that one that cannot
// (its file system is full or read-only) fails the uninstall with nothing
// else changed; an original whose place one of our files takes can only
// go back after it. They are announced in the reference's order, after
// the deletions. Originals archived by the reference (not in our
// manifest) are found by their .origin notes and put back by moving. The
// kernel link is set aside before the files: from
// then on status shows the module built, and a run killed before Commit
// is finished by Recover, which sees a manifest without its link.
func (e *Env) uninstall(ctx context.Context, req Request, man *tree.Manifest, p *Pending) error {
	before, after := splitOriginals(man)
	var restored []string
	for _, o := range before {
		back, err := p.putBack(o)
		if err != nil {
			return err
		}
		if back {
			restored = append(restored, o.From)
		}
	}
	if err := p.setAside(e.Layout.KernelLink(req.Module, req.Kernel, req.Arch)); err != nil {
		return err
	}
	if err := e.setAsideFiles(ctx, man, p); err != nil {
		return err
	}
	for _, f := range restored {
		fmt.Fprintf(e.Out, "Restoring archived original module %s\n", f)
	}
	for _, o := range after {
		fmt.Fprintf(e.Out, "Restoring archived original module %s\n", o.From)
		if _, err := p.putBack(o); err != nil {
			return err
		}
	}
	e.restoreLegacyOriginals(req, man)
	return nil
}

// setAsideFiles sets aside the files an install wrote, announcing each
// as the reference announces its deletion; the directories they leave
// empty, up to IT/K, go on Commit, but for one an rpm package owns where
// the distribution asks (KeepPackagedDirs).
func (e *Env) setAsideFiles(ctx context.Context, man *tree.Manifest, p *Pending) error {
	kdir := e.Layout.KernelDir(man.Kernel)
	for _, f := range man.Files {
		if !fileutil.Exists(f.Path) {
			fmt.Fprintf(e.Out, "Module %s was not found within %s/\n", filepath.Base(f.Path), kdir)
			continue
		}
		fmt.Fprintf(e.Out, "Deleting %s\n", f.Path)
		if err := p.setAside(f.Path); err != nil {
			return fmt.Errorf("deleting %s: %w", f.Path, err)
		}
		p.onCommit(func() error {
			if dir := filepath.Dir(f.Path); !e.packaged(ctx, dir) {
				fileutil.RemoveEmptyParents(dir, kdir)
			}
			return nil
		})
	}
	return nil
}

// splitOriginals divides the originals of man into those whose place is
// free while the module is installed and those one of its files takes.
func splitOriginals(man *tree.Manifest) (before, after []tree.Original) {
	ours := map[string]bool{}
	for _, f := range man.Files {
		ours[f.Path] = true
	}
	for _, o := range man.Originals {
		if ours[o.From] {
			after = append(after, o)
		} else {
			before = append(before, o)
		}
	}
	return before, after
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
// dkms (those man does not list): each <file>.origin names the absolute
// path to put <file> back to.
func (e *Env) restoreLegacyOriginals(req Request, man *tree.Manifest) {
	dir := e.Layout.Originals(req.Module, req.Kernel, req.Arch)
	origins, _ := filepath.Glob(filepath.Join(dir, "*.origin"))
	kdir := e.Layout.KernelDir(req.Kernel) + "/"
	ours := map[string]bool{}
	for _, o := range man.Originals {
		ours[o.Archived+".origin"] = true
	}
	for _, o := range origins {
		if ours[o] {
			continue
		}
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
		if e.Runner.Move(strings.TrimSuffix(o, ".origin"), dst) == nil {
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
