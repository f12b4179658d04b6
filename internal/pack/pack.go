// Package pack writes packages: of a dkms module (the mkdeb, mkbmdeb and
// mkrpm actions that dkms 2.x had and 3.0 dropped) and of this dkms
// itself, as .deb, .rpm and Arch Linux packages. It uses nfpm as a
// library, so neither dpkg-deb nor rpmbuild is needed.
//
// A module package comes in two forms. The source form (Deb, RPM) ships
// the module source in the source tree and, unless it is source-only, a
// dkms tarball of the modules built for chosen kernels; its maintainer
// scripts hand both to dkms's common.postinst, as Debian's dh_dkms
// packages do, and remove the module from dkms when the package goes.
// The binary form (BinaryDeb) ships the built modules at their installed
// paths, one package per kernel, and needs neither dkms nor a compiler
// on the target: its scripts only run depmod.
//
// Nothing is written unless every package could be made: packages are
// built in a work directory and copied into the output directory under a
// temporary name that is renamed into place.
package pack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/arch" // registers the archlinux packager
	_ "github.com/goreleaser/nfpm/v2/deb"  // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm"  // registers the rpm packager

	"github.com/dkms-go/dkms/internal/run"
)

// Kind is the kind of module package to make.
type Kind int

const (
	Deb       Kind = iota // mkdeb: source (and prebuilt modules) for dkms, as a .deb
	BinaryDeb             // mkbmdeb: prebuilt modules only, one .deb per kernel
	RPM                   // mkrpm: as Deb, as an .rpm
)

// Module is one built module file and the path it is installed at.
type Module struct {
	Src  string // DT/m/v/K/A/module/<name>.ko[.xz]
	Dest string // on the target, e.g. /lib/modules/K/updates/dkms/<name>.ko.xz
}

// Build is the module built for one kernel.
type Build struct {
	Kernel, Arch string
	Dir          string   // DT/m/v/K/A, copied into a source package's tarball
	Modules      []Module // placed by a binary package
}

// Target holds the paths of the system a package is installed on, which
// its contents and scripts name. The CLI fills it; this package never
// assumes one.
type Target struct {
	SourceTree     string // where module sources go, /usr/src
	ShareDir       string // where a package's data goes, /usr/share (then <package>/)
	DocDir         string // /usr/share/doc (then <package>/copyright, changelog.gz)
	CommonPostinst string // dkms's helper for package scripts, /usr/lib/dkms/common.postinst
	ModuleRoot     string // the kernels' module trees, /lib/modules
}

// Options says which packages of one module/version to make.
type Options struct {
	Kind            Kind
	Module, Version string // as dkms knows them: DT/m/v, ST/m-v
	// Name and PackageVersion are dkms.conf's PACKAGE_NAME and
	// PACKAGE_VERSION, which name the package.
	Name, PackageVersion string
	SourceDir            string // the module source tree
	Conf                 string // its dkms.conf, shipped alone when BinariesOnly
	Builds               []Build
	SourceOnly           bool   // no prebuilt modules
	BinariesOnly         bool   // no source but the dkms.conf
	OutDir               string // DT/m/v/deb or DT/m/v/rpm
	TmpDir               string // where the work directory is made
	Maintainer           string // "Name <address>"
	MTime                time.Time
	Target               Target
}

// ErrNothing is returned for a package that would hold no modules: a
// binary package without builds, or a binaries-only one.
var ErrNothing = errors.New("no built modules to package")

// Write makes the packages o asks for and returns the paths written, in
// order. On error nothing is left in o.OutDir.
func Write(ctx context.Context, r *run.Runner, o Options) ([]string, error) {
	specs, err := plan(o)
	if err != nil {
		return nil, err
	}
	return writeSpecs(ctx, r, specs, o.TmpDir, o.OutDir)
}

// writeSpecs makes each package in a work directory under tmp, then
// publishes them all into out.
func writeSpecs(ctx context.Context, r *run.Runner, specs []*spec, tmp, out string) ([]string, error) {
	work, err := workDir(r, tmp)
	if err != nil {
		return nil, err
	}
	defer r.RemoveAll(work)
	var made []string
	for i, s := range specs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := filepath.Join(work, fmt.Sprint(i))
		if err := s.stage(r, dir); err != nil {
			return nil, err
		}
		f, err := build(s.format, s.info, dir)
		if err != nil {
			return nil, fmt.Errorf("making %s: %w", s.info.Name, err)
		}
		made = append(made, f)
	}
	return publish(r, made, out)
}

// spec is one package to make: nfpm's description of it, and the files
// its contents and scripts need that must first be written to disk.
type spec struct {
	format string // nfpm packager name
	info   *nfpm.Info
	gen    []generated
}

// generated is a file made for a package: a script, a document, the
// dkms tarball. Exactly one of data and fill is set.
type generated struct {
	name string // in the spec's work directory
	data []byte
	fill func(r *run.Runner, file string) error
}

// stage writes the spec's generated files into dir and points the
// package description at them.
func (s *spec) stage(r *run.Runner, dir string) error {
	if err := r.MkdirAll(dir); err != nil {
		return err
	}
	for _, g := range s.gen {
		file := filepath.Join(dir, g.name)
		var err error
		if g.fill != nil {
			err = g.fill(r, file)
		} else {
			err = r.WriteFile(file, g.data, 0o644)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", g.name, err)
		}
	}
	return nil
}

// workDir makes the work directory of one Write.
func workDir(r *run.Runner, tmp string) (string, error) {
	r.Step("mkdtemp " + filepath.Join(tmp, "dkms-pack.XXXXXX"))
	dir, err := os.MkdirTemp(tmp, "dkms-pack.")
	if err != nil {
		return "", fmt.Errorf("making a work directory: %w", err)
	}
	return dir, nil
}

// build writes the package s describes into dir and returns its path.
func build(format string, info *nfpm.Info, dir string) (string, error) {
	p, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(resolve(info, dir))
	file := filepath.Join(dir, p.ConventionalFileName(info))
	f, err := os.Create(file)
	if err != nil {
		return "", err
	}
	err = p.Package(info, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return file, err
}

// resolve makes the relative sources and scripts of info (the generated
// files) absolute in dir.
func resolve(info *nfpm.Info, dir string) *nfpm.Info {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	for _, c := range info.Contents {
		if c.Type != "dir" && c.Type != "symlink" {
			abs(&c.Source)
		}
	}
	s := &info.Scripts
	for _, p := range []*string{&s.PreInstall, &s.PostInstall, &s.PreRemove, &s.PostRemove} {
		abs(p)
	}
	return info
}

// publish copies the packages made into out, each under a temporary name
// renamed into place. Should one fail, the ones this run placed are
// removed again, and out too if this run made it and it is empty.
func publish(r *run.Runner, made []string, out string) ([]string, error) {
	var done []string
	undo := func(err error) ([]string, error) {
		for _, p := range done {
			r.Remove(p)
		}
		r.Remove(out) // fails, harmlessly, unless empty
		return nil, err
	}
	if err := r.MkdirAll(out); err != nil {
		return undo(fmt.Errorf("creating %s: %w", out, err))
	}
	for _, f := range made {
		dst := filepath.Join(out, filepath.Base(f))
		if err := r.CopyFile(f, dst, 0o644); err != nil {
			return undo(fmt.Errorf("writing %s: %w", dst, err))
		}
		done = append(done, dst)
	}
	return done, nil
}

// target joins a target-system path.
func target(elem ...string) string { return path.Join(elem...) }
