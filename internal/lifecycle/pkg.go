package lifecycle

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"time"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/pack"
)

// mkdeb, mkbmdeb and mkrpm: packages of an added module (ours; dkms 2.x
// had them, 3.0 removed them). Package pack writes them into DT/m/v/deb/
// or DT/m/v/rpm/, where dkms 2.x put them; each path is printed as
// "Wrote: <path>".

// PackageTarget is where packages put things on the system they are
// installed on: the standard locations, whatever this host's
// framework.conf says about its own trees.
var PackageTarget = pack.Target{
	SourceTree:     "/usr/src",
	ShareDir:       "/usr/share",
	DocDir:         "/usr/share/doc",
	CommonPostinst: "/usr/lib/dkms/common.postinst",
	ModuleRoot:     "/lib/modules",
}

// PackageMeta is what a package says about who made it and when; the CLI
// takes it from the environment (DEBFULLNAME, SOURCE_DATE_EPOCH, ...).
type PackageMeta struct {
	Maintainer string
	Time       time.Time
}

// packageKinds maps each action to the package it makes and the
// directory of DT/m/v it goes to.
var packageKinds = map[string]struct {
	kind pack.Kind
	sub  string
}{
	"mkdeb":   {pack.Deb, "deb"},
	"mkbmdeb": {pack.BinaryDeb, "deb"},
	"mkrpm":   {pack.RPM, "rpm"},
}

// Package carries out mkdeb, mkbmdeb or mkrpm (req.Action) for the module
// of req and the kernels it names.
func (s *Session) Package(ctx context.Context, req Request, meta PackageMeta) error {
	pk := packageKinds[req.Action]
	if pk.kind == pack.BinaryDeb && s.Flags.SourceOnly {
		return &Error{Kind: PackageSourceOnly, Detail: req.Action}
	}
	m, v := req.Module, req.Version
	k, arch := s.first(req)
	cfg, err := s.readConf(ctx, &conf.Scope{}, Target{Module: m, Version: v, Kernel: k, Arch: arch}, false)
	if err != nil {
		return err
	}
	src, err := filepath.EvalSymlinks(s.Layout.SourceLink(m, v))
	if err != nil {
		return &Error{Kind: Broken, Target: Target{Module: m, Version: v}}
	}
	confFile := s.Loader.ConfFile
	if confFile == "" {
		confFile = filepath.Join(src, "dkms.conf")
	}
	o := pack.Options{Kind: pk.kind, Module: m, Version: v, Name: cfg.PackageName, PackageVersion: cfg.PackageVersion,
		SourceDir: src, Conf: confFile, SourceOnly: s.Flags.SourceOnly, BinariesOnly: s.Flags.BinariesOnly,
		OutDir: filepath.Join(s.Layout.Version(m, v), pk.sub), TmpDir: s.Tmp,
		Maintainer: meta.Maintainer, MTime: meta.Time, Target: PackageTarget}
	if pk.kind == pack.BinaryDeb || !s.Flags.SourceOnly {
		if o.Builds, err = s.packageBuilds(ctx, req); err != nil {
			return err
		}
	}
	paths, err := pack.Write(ctx, s.Runner, o)
	if err != nil {
		return packageError(err, confFile)
	}
	for _, p := range paths {
		s.Rep.Say("Wrote: %s", p)
	}
	s.Rep.Say("DKMS: %s completed.", req.Action)
	return nil
}

// packageBuilds lists the builds of the requested kernels, each module
// with the path install would give it. Every kernel must be built already.
func (s *Session) packageBuilds(ctx context.Context, req Request) ([]pack.Build, error) {
	var builds []pack.Build
	for i, k := range req.Kernels {
		t := Target{Module: req.Module, Version: req.Version, Kernel: k, Arch: req.Arches[i]}
		dir := s.Layout.Built(t.Module, t.Version, k, t.Arch)
		if !fileutil.IsDir(dir) {
			return nil, &Error{Kind: NotBuiltFor, Target: t, Detail: req.Action}
		}
		cfg, err := s.readConf(ctx, &conf.Scope{}, t, false)
		if err != nil {
			return nil, err
		}
		b := pack.Build{Kernel: k, Arch: t.Arch, Dir: dir}
		for _, mod := range s.installRequest(cfg.Config, t).Modules {
			if mod.Excluded {
				continue
			}
			file := install.FindModule(s.Layout.BuiltModules(t.Module, t.Version, k, t.Arch), mod.DestName)
			if file == "" {
				return nil, &install.MissingError{Name: mod.DestName, Dir: dir}
			}
			loc := s.Distro.InstallLocation(s.AddonModulesDir, mod.DestLocation)
			b.Modules = append(b.Modules, pack.Module{Src: file, Dest: path.Join(PackageTarget.ModuleRoot, k, loc, filepath.Base(file))})
		}
		s.Rep.Say("Including the modules built for %s (%s)", k, t.Arch)
		builds = append(builds, b)
	}
	return builds, nil
}

// packageError turns what pack refused into the condition the CLI words.
func packageError(err error, confFile string) error {
	var ne *pack.NameError
	switch {
	case errors.As(err, &ne):
		field := map[string]string{"name": "PACKAGE_NAME", "version": "PACKAGE_VERSION"}[ne.What]
		return &Error{Kind: PackageBadField, Path: confFile, Names: []string{field}, Detail: ne.Error()}
	case errors.Is(err, pack.ErrNothing):
		return &Error{Kind: PackageEmpty}
	}
	return &Error{Kind: PackageFailed, Detail: err.Error()}
}
