package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/fileutil"
)

// cmdAdd registers a module/version (dkms-behaviour §3.6 add).
func (a *app) cmdAdd() error {
	return a.add("add")
}

// add is shared by add and the implicit add of build and install.
func (a *app) add(action string) error {
	o := a.o
	if o.archive != "" && o.module == "" {
		return a.cmdLdtarball() // add of a tarball is ldtarball, as in the reference
	}
	if o.sourceDir != "" && (o.module == "" || o.version == "") {
		if err := a.addSourceTree(o.sourceDir); err != nil {
			return err
		}
	}
	if o.module == "" || o.version == "" {
		return missingModuleVersion(action)
	}
	m, v := o.module, o.version
	if a.layout.IsAdded(m, v) {
		return errf(exitState, "DKMS tree already contains: "+moduleVersion(m, v),
			"You cannot add the same module/version combo more than once.")
	}
	src := a.layout.SourceDir(m, v)
	if !isDir(src) {
		return errf(exitUsage, "Could not find module source directory.", "Directory: "+src+" does not exist.")
	}
	cfg, err := a.readConf(confRequest{module: m, version: v, kernel: a.firstKernel(), arch: a.firstArch(),
		path: a.pick(o.confFile, filepath.Join(src, "dkms.conf")), strict: true})
	if err != nil {
		return err
	}
	if err := a.link(m, v, src); err != nil {
		return err
	}
	if code := a.runScript("post_add", cfg.PostAdd); code != 0 {
		return silent(code)
	}
	return nil
}

// link creates DT/m/v with its build directory and the source link that
// marks the module added. A new version directory is put together under a
// temporary name and renamed into place, so that no run killed half way
// leaves a version directory without its link (which would read as
// "broken").
func (a *app) link(m, v, src string) error {
	link := a.layout.SourceLink(m, v)
	a.rep.say("Creating symlink %s -> %s", link, src)
	dir := a.layout.Version(m, v)
	if isDir(dir) {
		if err := a.runner.MkdirAll(a.layout.BuildDir(m, v)); err != nil {
			return fmt.Errorf("creating %s: %w", a.layout.BuildDir(m, v), err)
		}
		return a.runner.Symlink(src, link)
	}
	tmp := filepath.Join(a.layout.Module(m), fileutil.TempPrefix+"add-"+v)
	a.runner.RemoveAll(tmp)
	if err := a.runner.MkdirAll(filepath.Join(tmp, "build")); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := a.runner.Symlink(src, filepath.Join(tmp, "source")); err != nil {
		return fmt.Errorf("creating %s: %w", link, err)
	}
	if err := a.runner.Rename(tmp, dir); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return nil
}

// addSourceTree reads a source directory's dkms.conf for its name and
// version and copies the tree to ST/m-v, unless it already is there.
func (a *app) addSourceTree(dir string) error {
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil || !isFile(filepath.Join(abs, "dkms.conf")) {
		return errf(exitNoConf, dir+" must contain a dkms.conf file!")
	}
	cfg, err := a.readConf(confRequest{kernel: a.firstKernel(), arch: a.firstArch(), path: filepath.Join(abs, "dkms.conf")})
	if err != nil {
		return err
	}
	m, v := cfg.PackageName, cfg.PackageVersion
	if err := checkNames(m, v); err != nil {
		return err
	}
	a.o.module, a.o.version = m, v
	dst := a.layout.SourceDir(m, v)
	if a.o.force && isDir(dst) {
		fmt.Fprintln(a.rep.err)
		a.rep.say("Forcing install of %s", moduleVersion(m, v))
		if err := a.runner.RemoveAll(dst); err != nil {
			return err
		}
	}
	for _, same := range []string{dst, a.layout.SourceLink(m, v), a.layout.BuildDir(m, v)} {
		if r, err := filepath.EvalSymlinks(same); err == nil && r == abs {
			return nil
		}
	}
	return a.copySource(abs, dst)
}

// copySource copies a module source into ST/m-v through a temporary name,
// so a killed copy never looks like a complete source tree. An existing
// tree is merged into, as the reference does.
func (a *app) copySource(from, dst string) error {
	if isDir(dst) {
		return a.runner.CopyTree(from, dst)
	}
	if err := a.runner.MkdirAll(filepath.Dir(dst)); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(dst), fileutil.TempPrefix+filepath.Base(dst))
	a.runner.RemoveAll(tmp)
	if err := a.runner.CopyTree(from, tmp); err != nil {
		a.runner.RemoveAll(tmp)
		return fmt.Errorf("copying %s to %s: %w", from, dst, err)
	}
	return a.runner.Rename(tmp, dst)
}

func checkNames(m, v string) error {
	for _, n := range []string{m, v} {
		if n == "" || n == "." || n == ".." || filepath.Base(n) != n || n[0] == '.' {
			return errf(exitBadConf, fmt.Sprintf("Invalid PACKAGE_NAME or PACKAGE_VERSION %q in dkms.conf: it must be a plain name.", n))
		}
	}
	return nil
}

func (a *app) firstKernel() string {
	if len(a.o.kernels) > 0 {
		return a.o.kernels[0]
	}
	return kernelRunning()
}

func (a *app) firstArch() string {
	if len(a.o.arches) > 0 {
		return a.o.arches[0]
	}
	return kernelMachine()
}

// pick returns the first non-empty string.
func (a *app) pick(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

var _ = os.Stat
