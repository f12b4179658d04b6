package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/pack"
)

// mkdeb, mkbmdeb and mkrpm: packages of an added module (ours; dkms 2.x
// had them, 3.0 removed them). The packages are written by package pack
// into DT/m/v/deb/ or DT/m/v/rpm/, where dkms 2.x put them; each path is
// printed as "Wrote: <path>".

// pkgTarget is where packages put things on the system they are
// installed on: the standard locations, whatever this host's
// framework.conf says about its own trees.
var pkgTarget = pack.Target{
	SourceTree:     "/usr/src",
	ShareDir:       "/usr/share",
	DocDir:         "/usr/share/doc",
	CommonPostinst: "/usr/lib/dkms/common.postinst",
	ModuleRoot:     "/lib/modules",
}

func (a *app) cmdMkdeb() error   { return a.mkpkg("mkdeb", pack.Deb, "deb") }
func (a *app) cmdMkbmdeb() error { return a.mkpkg("mkbmdeb", pack.BinaryDeb, "deb") }
func (a *app) cmdMkrpm() error   { return a.mkpkg("mkrpm", pack.RPM, "rpm") }

// mkpkg gathers what the package of kind needs and has pack write it.
func (a *app) mkpkg(action string, kind pack.Kind, sub string) error {
	m, v := a.o.module, a.o.version
	if kind == pack.BinaryDeb && a.o.sourceOnly {
		return errf(exitNotAllowed, "The action mkbmdeb packages built modules only: --source-only does not apply.")
	}
	cfg, err := a.readConf(confRequest{module: m, version: v, kernel: a.firstKernel(), arch: a.firstArch()})
	if err != nil {
		return err
	}
	src, err := filepath.EvalSymlinks(a.layout.SourceLink(m, v))
	if err != nil {
		return brokenError(m, v)
	}
	o := pack.Options{Kind: kind, Module: m, Version: v, Name: cfg.PackageName, PackageVersion: cfg.PackageVersion,
		SourceDir: src, Conf: a.pick(a.o.confFile, filepath.Join(src, "dkms.conf")),
		SourceOnly: a.o.sourceOnly, BinariesOnly: a.o.binariesOnly,
		OutDir: filepath.Join(a.layout.Version(m, v), sub), TmpDir: a.tmp,
		Maintainer: pkgMaintainer(), MTime: pkgTime(), Target: pkgTarget}
	if kind == pack.BinaryDeb || !a.o.sourceOnly {
		if o.Builds, err = a.pkgBuilds(action); err != nil {
			return err
		}
	}
	paths, err := pack.Write(a.ctx, a.runner, o)
	if err != nil {
		return pkgError(err, o.Conf)
	}
	for _, p := range paths {
		a.rep.say("Wrote: %s", p)
	}
	a.rep.say("DKMS: %s completed.", action)
	return nil
}

// pkgBuilds lists the builds of the requested kernels, each module with
// the path install would give it. Every kernel must be built already.
func (a *app) pkgBuilds(action string) ([]pack.Build, error) {
	m, v := a.o.module, a.o.version
	var builds []pack.Build
	for i, k := range a.o.kernels {
		arch := a.o.arches[i]
		dir := a.layout.Built(m, v, k, arch)
		if !isDir(dir) {
			return nil, errf(exitInstall, fmt.Sprintf("No modules built for %s (%s).", k, arch),
				"Modules must already be in the built state before using "+action+".")
		}
		cfg, err := a.readConf(confRequest{module: m, version: v, kernel: k, arch: arch})
		if err != nil {
			return nil, err
		}
		b := pack.Build{Kernel: k, Arch: arch, Dir: dir}
		for _, mod := range cfg.Modules {
			file := install.FindModule(a.layout.BuiltModules(m, v, k, arch), mod.DestName)
			if file == "" {
				return nil, &install.MissingError{Name: mod.DestName, Dir: dir}
			}
			loc := kernel.InstallLocation(a.distro, addonModulesDir(), mod.DestLocation)
			b.Modules = append(b.Modules, pack.Module{Src: file, Dest: path.Join(pkgTarget.ModuleRoot, k, loc, filepath.Base(file))})
		}
		a.rep.say("Including the modules built for %s (%s)", k, arch)
		builds = append(builds, b)
	}
	return builds, nil
}

// pkgError words what pack refused.
func pkgError(err error, conf string) error {
	var ne *pack.NameError
	switch {
	case errors.As(err, &ne):
		field := map[string]string{"name": "PACKAGE_NAME", "version": "PACKAGE_VERSION"}[ne.What]
		return errf(exitBadConf, fmt.Sprintf("Invalid %s in %s for a package: %s.", field, conf, ne.Error()))
	case errors.Is(err, pack.ErrNothing):
		return errf(exitInstall, "There are no built modules to package.")
	}
	return errf(exitInstall, "Failed to make package.", err.Error())
}

// pkgMaintainer names the maintainer as Debian's tools do: DEBFULLNAME
// and DEBEMAIL (or EMAIL), else root of this host.
func pkgMaintainer() string {
	name := getenvDefault("DEBFULLNAME", "Dynamic Kernel Module Support")
	mail := getenvDefault("DEBEMAIL", os.Getenv("EMAIL"))
	if mail == "" {
		host, _ := os.Hostname()
		mail = "root@" + host
	}
	return name + " <" + mail + ">"
}

// pkgTime is the packages' time stamp: SOURCE_DATE_EPOCH when set, so a
// build can be reproduced, else now.
func pkgTime() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Now().UTC()
}
