// Package install places built modules into the install tree and takes them
// out again: the reference's version checks, the archiving and restoring of
// original modules, depmod, and an install manifest that makes both steps
// exact and safe to interrupt.
//
// Every change is journalled: the manifest is written before the first file
// is placed and the kernel link (the "installed" mark) is made last, so a
// run killed half way is rolled back by Recover on the next run.
package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/distro"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// Env is what installing needs from the outside world.
type Env struct {
	Layout   tree.Layout
	Runner   *run.Runner
	Out, Err io.Writer
	// Location maps a DEST_MODULE_LOCATION to where this distribution puts
	// dkms modules (§6); nil keeps the location as written.
	Location func(raw string) string
	Symlink  bool   // --symlink-modules: link instead of copy
	NoDepmod bool   // --no-depmod
	BootDir  string // where System.map-K is looked for; empty for none
	// ErrorBlock prints a non-fatal "Error!" block; the CLI owns that text.
	ErrorBlock func(lines ...string)
	// Warn prints a "Warning:" block.
	Warn func(lines ...string)
	// Weak is the distribution's weak-modules tool, told about the module
	// files of every install and uninstall; nil for none.
	Weak *distro.WeakModules
	// KeepPackagedDirs keeps a directory an rpm package owns when
	// uninstall empties it (distro.Name.KeepsPackagedDirs).
	KeepPackagedDirs bool
}

// Module is one kernel module of a package, as dkms.conf names it.
type Module struct {
	DestName     string // file name without .ko
	DestLocation string // raw DEST_MODULE_LOCATION, e.g. /updates
	// Excluded marks a module BUILD_EXCLUSIVE_* keeps off this kernel: it
	// was not built, so install neither looks for it nor installs it.
	// Uninstall without a manifest still looks for it, as the reference.
	Excluded bool
}

// Request is one install of module/version on one kernel/arch.
type Request struct {
	Module, Version, Kernel, Arch string
	Modules                       []Module
	Force                         bool // install over equal or newer modules
	ForceVersion                  bool // --force-version-override
	ObsoleteBy                    string
	NoWeakModules                 bool // the module's NO_WEAK_MODULES: keep it from the weak-modules tool
}

// Sentinel conditions the CLI words itself.
var (
	ErrNoKernelDir   = errors.New("install tree has no directory for this kernel")
	ErrAborted       = errors.New("installation aborted: every module was refused")
	ErrDepmod        = errors.New("depmod failed")
	ErrMissingModule = errors.New("built module missing")
)

// MissingError names a built module that is not in the tree.
type MissingError struct{ Name, Dir string }

func (e *MissingError) Error() string { return "missing module " + e.Name + " in " + e.Dir }
func (e *MissingError) Unwrap() error { return ErrMissingModule }

// placement is one module file to put into the install tree.
type placement struct {
	mod      Module
	src, dst string
	// existing is the first same-named module already in IT/K, found once
	// and used by both the version check and original archiving.
	existing string
}

// Install installs req's built modules. Refused modules (version checks)
// are reported and skipped, excluded ones skipped silently; if none is
// left to install it returns ErrAborted.
func (e *Env) Install(ctx context.Context, req Request) error {
	l := e.Layout
	if !fileutil.IsDir(l.KernelDir(req.Kernel)) {
		return ErrNoKernelDir
	}
	places, err := e.plan(req)
	if err != nil {
		return err
	}
	if len(req.Modules) > 0 && len(places) == 0 {
		return ErrAborted
	}
	prev, err := l.ReadManifest(req.Module, req.Kernel, req.Arch)
	if err != nil {
		return err
	}
	man := &tree.Manifest{Module: req.Module, Version: req.Version, Kernel: req.Kernel, Arch: req.Arch}
	if prev != nil {
		man.Originals = prev.Originals
		man.Previous = prev
	}
	if l.InstalledVersion(req.Module, req.Kernel, req.Arch) == "" {
		if err := e.archiveOriginals(req, places, man); err != nil {
			return err
		}
	} else if isDirNonEmpty(l.Originals(req.Module, req.Kernel, req.Arch)) {
		fmt.Fprintln(e.Out, "An original module was already stored during a previous install")
	}
	for _, p := range places {
		sum, err := fileutil.HashFile(p.src)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p.src, err)
		}
		man.Files = append(man.Files, tree.File{Path: p.dst, SHA256: sum, Source: p.src})
	}
	if err := e.writeManifest(man); err != nil {
		return err
	}
	copied, err := e.moveOriginals(man)
	if err == nil {
		e.dropStale(ctx, man)
		err = e.place(man, places)
	}
	if err == nil {
		err = e.setAsideOriginals(copied)
	}
	if err == nil {
		err = e.Runner.Symlink(filepath.Join(req.Version, req.Kernel, req.Arch), l.KernelLink(req.Module, req.Kernel, req.Arch))
	}
	if err != nil {
		e.rollback(ctx, man)
		return err
	}
	e.weakModules(ctx, req, man.Files, true)
	return nil
}

// plan checks every module and returns where each accepted one goes.
func (e *Env) plan(req Request) ([]placement, error) {
	var out []placement
	builtDir := e.Layout.BuiltModules(req.Module, req.Version, req.Kernel, req.Arch)
	for _, m := range req.Modules {
		if m.Excluded {
			continue
		}
		src := FindModule(builtDir, m.DestName)
		if src == "" {
			return nil, &MissingError{Name: m.DestName, Dir: e.Layout.Built(req.Module, req.Version, req.Kernel, req.Arch)}
		}
		existing := SearchModule(e.Layout.KernelDir(req.Kernel), m.DestName)
		if !e.versionOK(req, m, src, existing) {
			continue
		}
		dir := filepath.Join(e.Layout.KernelDir(req.Kernel), e.location(m.DestLocation))
		out = append(out, placement{mod: m, src: src, dst: filepath.Join(dir, filepath.Base(src)), existing: existing})
	}
	return out, nil
}

// dropStale removes the files of the install this one replaces that it
// does not overwrite (an upgrade whose modules moved or went away), so no
// old module is left for modprobe to find. An interrupted run puts them
// back from their built copies (rollback).
func (e *Env) dropStale(ctx context.Context, man *tree.Manifest) {
	if man.Previous == nil {
		return
	}
	kept := map[string]bool{}
	for _, f := range man.Files {
		kept[f.Path] = true
	}
	var stale []tree.File
	for _, f := range man.Previous.Files {
		if !kept[f.Path] && (f.SHA256 == "" || sameHash(f.Path, f.SHA256)) {
			stale = append(stale, f)
		}
	}
	e.removeFiles(ctx, &tree.Manifest{Kernel: man.Kernel, Files: stale}, true)
}

// place copies (or links) each module into the install tree under a
// temporary name and renames it into place.
func (e *Env) place(man *tree.Manifest, places []placement) error {
	for _, p := range places {
		fmt.Fprintf(e.Out, "Installing %s\n", p.dst)
		if err := e.Runner.MkdirAll(filepath.Dir(p.dst)); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Dir(p.dst), err)
		}
		var err error
		if e.Symlink {
			err = e.Runner.Symlink(p.src, p.dst)
		} else {
			err = e.Runner.CopyFile(p.src, p.dst, 0o644)
		}
		if err != nil {
			return &CopyError{Src: p.src, Err: err}
		}
	}
	return nil
}

// CopyError is the reference's "Copying '<src>' failed".
type CopyError struct {
	Src string
	Err error
}

func (e *CopyError) Error() string { return "copying " + e.Src + ": " + e.Err.Error() }
func (e *CopyError) Unwrap() error { return e.Err }

func (e *Env) writeManifest(man *tree.Manifest) error {
	if err := e.Runner.MkdirAll(e.Layout.Module(man.Module)); err != nil {
		return err
	}
	return e.Runner.WriteFile(e.Layout.Manifest(man.Module, man.Kernel, man.Arch), man.Encode(), 0o644)
}

// location applies the distribution's mapping to a DEST_MODULE_LOCATION.
func (e *Env) location(raw string) string {
	if e.Location != nil {
		return e.Location(raw)
	}
	return raw
}

// Suffixes are the module file endings dkms knows, plain first.
var Suffixes = []string{".ko", ".ko.gz", ".ko.xz", ".ko.zst"}

// IsModuleFile reports whether name is a kernel module file: a name
// with one of Suffixes after it.
func IsModuleFile(name string) bool {
	for _, s := range Suffixes {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}

// FindModule returns dir/name.ko or its compressed form, plain first, or
// "" when none exists.
func FindModule(dir, name string) string {
	for _, s := range Suffixes {
		p := filepath.Join(dir, name+s)
		if fileutil.Exists(p) {
			return p
		}
	}
	return ""
}

func isDirNonEmpty(dir string) bool {
	ents, err := os.ReadDir(dir)
	return err == nil && len(ents) > 0
}

// moduleBase strips any module suffix from a file name.
func moduleBase(name string) string {
	for i := len(Suffixes) - 1; i >= 0; i-- {
		if strings.HasSuffix(name, Suffixes[i]) {
			return strings.TrimSuffix(name, Suffixes[i])
		}
	}
	return name
}
