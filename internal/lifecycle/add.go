package lifecycle

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/kbuild"
)

// Request is what the command line names for an action: the module
// version (or the directory or archive it comes from) and the kernels.
type Request struct {
	Module, Version string
	// SourceDir is a directory argument holding a dkms.conf, which names
	// the module and version.
	SourceDir string
	// Archive is --archive or a file argument.
	Archive string
	// Arg is the word the module/version came from, for messages.
	Arg string
	// Kernels and Arches are -k and -a, paired by index for the actions
	// that work per kernel (the CLI fills them in).
	Kernels, Arches []string
	// TemplateKernel is match's --templatekernel.
	TemplateKernel string
	// Action is the action's name, for the messages that carry it.
	Action string
}

// first is the kernel and arch of steps that need one: the first given,
// else the running kernel and its machine.
func (s *Session) first(req Request) (k, arch string) {
	k, arch = s.Host.Release, s.Host.Machine
	if len(req.Kernels) > 0 {
		k = req.Kernels[0]
	}
	if len(req.Arches) > 0 {
		arch = req.Arches[0]
	}
	return k, arch
}

// Add registers a module version (dkms-behaviour §3.6 add). A tarball
// argument is loaded, as the reference's add does with ldtarball.
func (s *Session) Add(ctx context.Context, req Request) error {
	_, err := s.newAction().add(ctx, &conf.Scope{}, req)
	return err
}

// add is shared by add and the implicit add of build and install. It
// returns the request with the module and version it added.
func (a *action) add(ctx context.Context, sc *conf.Scope, req Request) (Request, error) {
	if req.Archive != "" && req.Module == "" {
		return req, a.ldtarball(ctx, sc, req)
	}
	req, err := a.namedBySource(ctx, sc, req)
	if err != nil {
		return req, err
	}
	if req.Module == "" || req.Version == "" {
		return req, &Error{Kind: NoModuleVersion}
	}
	m, v := req.Module, req.Version
	if a.Flags.RPMSafeUpgrade {
		if err := a.rpmLock(m, v); err != nil {
			return req, err
		}
	}
	if a.Layout.IsAdded(m, v) {
		return req, &Error{Kind: AlreadyAdded, Target: Target{Module: m, Version: v}}
	}
	src := a.Layout.SourceDir(m, v)
	if !fileutil.IsDir(src) {
		return req, &Error{Kind: NoSourceDir, Path: src}
	}
	k, arch := a.first(req)
	path := a.Loader.ConfFile
	if path == "" {
		path = filepath.Join(src, "dkms.conf")
	}
	r := a.confRequest(Target{Module: m, Version: v, Kernel: k, Arch: arch}, true)
	r.Path = path
	cfg, err := a.Loader.Read(ctx, sc, r, a.Rep.Stdout(), a.Rep.Stderr())
	if err != nil {
		return req, err
	}
	if err := a.link(m, v, src); err != nil {
		return req, err
	}
	if code := a.runScript(ctx, Target{Module: m, Version: v}, "post_add", cfg.PostAdd); code != 0 {
		return req, Status(code)
	}
	return req, nil
}

// namedBySource resolves a directory argument to the module and version
// its dkms.conf names, copying the tree into the source tree.
func (a *action) namedBySource(ctx context.Context, sc *conf.Scope, req Request) (Request, error) {
	if req.SourceDir == "" || (req.Module != "" && req.Version != "") {
		return req, nil
	}
	m, v, err := a.addSourceTree(ctx, sc, req, req.SourceDir)
	req.Module, req.Version = m, v
	return req, err
}

// link creates DT/m/v with its build directory and the source link that
// marks the module added. A new version directory is put together under a
// temporary name and renamed into place, so that no run killed half way
// leaves a version directory without its link (which would read as
// "broken").
func (a *action) link(m, v, src string) error {
	r := a.Runner
	link := a.Layout.SourceLink(m, v)
	a.Rep.Say("Creating symlink %s -> %s", link, src)
	dir := a.Layout.Version(m, v)
	if fileutil.IsDir(dir) {
		if err := r.MkdirAll(a.Layout.BuildDir(m, v)); err != nil {
			return fmt.Errorf("creating %s: %w", a.Layout.BuildDir(m, v), err)
		}
		return r.Symlink(src, link)
	}
	tmp := filepath.Join(a.Layout.Module(m), fileutil.TempPrefix+"add-"+v)
	r.RemoveAll(tmp)
	if err := r.MkdirAll(filepath.Join(tmp, "build")); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := r.Symlink(src, filepath.Join(tmp, "source")); err != nil {
		return fmt.Errorf("creating %s: %w", link, err)
	}
	if err := r.Rename(tmp, dir); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return nil
}

// addSourceTree reads a source directory's dkms.conf for its name and
// version and copies the tree to ST/m-v, unless it already is there.
func (a *action) addSourceTree(ctx context.Context, sc *conf.Scope, req Request, dir string) (m, v string, err error) {
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil || !isFile(filepath.Join(abs, "dkms.conf")) {
		return "", "", &Error{Kind: NoConfInDir, Path: dir}
	}
	k, arch := a.first(req)
	cfg, err := a.readConfFile(ctx, sc, filepath.Join(abs, "dkms.conf"), k, arch)
	if err != nil {
		return "", "", err
	}
	m, v = cfg.PackageName, cfg.PackageVersion
	if err := checkNames(m, v); err != nil {
		return "", "", err
	}
	dst := a.Layout.SourceDir(m, v)
	if a.Flags.Force && fileutil.IsDir(dst) {
		fmt.Fprintln(a.Rep.Stderr())
		a.Rep.Say("Forcing install of %s", m+"/"+v)
		if err := a.Runner.RemoveAll(dst); err != nil {
			return m, v, err
		}
	}
	for _, same := range []string{dst, a.Layout.SourceLink(m, v), a.Layout.BuildDir(m, v)} {
		if r, err := filepath.EvalSymlinks(same); err == nil && r == abs {
			return m, v, nil
		}
	}
	return m, v, a.copySource(abs, dst)
}

// copySource copies a module source into ST/m-v through a temporary name,
// so a killed copy never looks like a complete source tree. An existing
// tree is merged into, as the reference does.
func (a *action) copySource(from, dst string) error {
	r := a.Runner
	if fileutil.IsDir(dst) {
		return r.CopyTree(from, dst)
	}
	if err := r.MkdirAll(filepath.Dir(dst)); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(dst), fileutil.TempPrefix+filepath.Base(dst))
	r.RemoveAll(tmp)
	if err := r.CopyTree(from, tmp); err != nil {
		r.RemoveAll(tmp)
		return fmt.Errorf("copying %s to %s: %w", from, dst, err)
	}
	return r.Rename(tmp, dst)
}

// checkNames refuses a PACKAGE_NAME or PACKAGE_VERSION that is no plain
// name, since both become directory names.
func checkNames(m, v string) error {
	for _, n := range []string{m, v} {
		if n == "" || n == "." || n == ".." || filepath.Base(n) != n || n[0] == '.' {
			return &Error{Kind: BadPackageName, Detail: n}
		}
	}
	return nil
}

// runScript runs a POST_ADD, PRE_INSTALL, POST_INSTALL or POST_REMOVE
// script of t's module from its source directory (§7.10), with the
// --directive exports in its environment, and returns its status.
func (a *action) runScript(ctx context.Context, t Target, kind, value string) int {
	src := a.Layout.SourceLink(t.Module, t.Version)
	return kbuild.RunScript(ctx, a.Runner, a.Rep.Stdout(), a.Rep.Stderr(), a.Rep.Warn, kind, value, src, a.overrides(t.Module), a.Loader.ValidDirectives()...)
}
