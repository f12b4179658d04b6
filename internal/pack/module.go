package pack

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"

	"github.com/dkms-go/dkms/internal/archive"
	"github.com/dkms-go/dkms/internal/run"
)

// plan checks o and describes the packages to make, before anything is
// written: a name or version the format cannot carry is refused here.
func plan(o Options) ([]*spec, error) {
	if o.Kind == BinaryDeb {
		if len(o.Builds) == 0 {
			return nil, ErrNothing
		}
		var specs []*spec
		for _, b := range o.Builds {
			s, err := binarySpec(o, b)
			if err != nil {
				return nil, err
			}
			specs = append(specs, s)
		}
		return specs, nil
	}
	if o.SourceOnly {
		o.Builds = nil
	} else if len(o.Builds) == 0 && o.BinariesOnly {
		return nil, ErrNothing
	}
	s, err := sourceSpec(o)
	if err != nil {
		return nil, err
	}
	return []*spec{s}, nil
}

// names maps PACKAGE_NAME and PACKAGE_VERSION for the format.
func names(format, name, version string) (string, string, error) {
	mapName, mapVersion := DebName, DebVersion
	if format == "rpm" {
		mapName, mapVersion = RPMName, RPMVersion
	}
	n, err := mapName(name)
	if err != nil {
		return "", "", err
	}
	v, err := mapVersion(version)
	return n, v, err
}

// sourceSpec describes the source form: <name>-dkms, holding the source
// (or only its dkms.conf), the dkms tarball of the builds, and scripts
// that hand them to common.postinst and remove the module again.
func sourceSpec(o Options) (*spec, error) {
	format := "deb"
	if o.Kind == RPM {
		format = "rpm"
	}
	name, version, err := names(format, o.Name, o.PackageVersion)
	if err != nil {
		return nil, err
	}
	name += "-dkms"
	s := &spec{format: format, info: baseInfo(o, name, version)}
	s.info.Description = sourceDescription(o)
	s.info.Depends = []string{"dkms"}
	s.info.Arch = "all"
	if len(o.Builds) > 0 {
		s.info.Arch = o.Builds[0].Arch
	}
	s.info.Deb.Arch, s.info.RPM.Arch = debArch(s.info.Arch), rpmArch(s.info.Arch)
	if s.info.Arch == "all" {
		s.info.RPM.Arch = "noarch"
	}
	src := target(o.Target.SourceTree, o.Module+"-"+o.Version)
	if o.BinariesOnly {
		s.add(&files.Content{Source: o.Conf, Destination: target(src, "dkms.conf"), FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	} else if err := s.addTree(o.SourceDir, src); err != nil {
		return nil, err
	}
	share := target(o.Target.ShareDir, name)
	if len(o.Builds) > 0 {
		tarball := o.Module + "-" + o.Version + archive.Suffix
		s.gen = append(s.gen, generated{name: tarball, fill: func(r *run.Runner, file string) error { return writeTarball(r, o, file) }})
		s.add(&files.Content{Source: tarball, Destination: target(share, tarball), FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	}
	if format == "deb" {
		s.debScripts(sourcePostinst(o, share), sourcePrerm(o))
		s.moduleDocs(o)
	} else {
		s.rpmScripts(rpmPost(o, share), rpmPreun(o, name, version))
	}
	return s, nil
}

// binarySpec describes one binary package: <name>-modules-<kernel>, the
// modules built for that kernel at their installed paths, and depmod.
func binarySpec(o Options, b Build) (*spec, error) {
	name, version, err := names("deb", o.Name, o.PackageVersion)
	if err != nil {
		return nil, err
	}
	kname, err := DebName(name + "-modules-" + b.Kernel)
	if err != nil {
		return nil, err
	}
	if len(b.Modules) == 0 {
		return nil, fmt.Errorf("kernel %s: %w", b.Kernel, ErrNothing)
	}
	s := &spec{format: "deb", info: baseInfo(o, kname, version)}
	s.info.Description = binaryDescription(o, b)
	s.info.Depends = []string{"kmod"}
	s.info.Arch = b.Arch
	s.info.Deb.Arch = debArch(b.Arch)
	for _, m := range b.Modules {
		s.add(&files.Content{Source: m.Src, Destination: m.Dest, FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	}
	s.debScripts(binaryDepmod(o, b.Kernel, "configure"), "")
	s.info.Scripts.PostRemove = s.script("postrm", binaryDepmod(o, b.Kernel, "remove|purge"))
	s.moduleDocs(o)
	return s, nil
}

// baseInfo is what every module package says about itself.
func baseInfo(o Options, name, version string) *nfpm.Info {
	return &nfpm.Info{
		Name:     name,
		Version:  version,
		Platform: "linux",
		Section:  "kernel",
		Priority: "optional",
		// nfpm would read the version as semver and rewrite it.
		VersionSchema: "none",
		Maintainer:    o.Maintainer,
		MTime:         o.MTime,
		Overridables:  nfpm.Overridables{RPM: nfpm.RPM{Group: "System Environment/Kernel", Summary: ""}},
	}
}

func (s *spec) add(c *files.Content) { s.info.Contents = append(s.info.Contents, c) }

// addTree adds the directories, files and symlinks under dir as dst.
func (s *spec) addTree(dir, dst string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		to := target(dst, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			s.add(&files.Content{Destination: to, Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: info.Mode().Perm() | 0o755}})
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			s.add(&files.Content{Source: link, Destination: to, Type: files.TypeSymlink})
		case info.Mode().IsRegular():
			s.add(&files.Content{Source: p, Destination: to, FileInfo: &files.ContentFileInfo{Mode: info.Mode().Perm()&0o755 | 0o644}})
		}
		return nil
	})
}

// sourceDescription is the source form's summary line and text.
func sourceDescription(o Options) string {
	d := fmt.Sprintf("This package holds the source of the %s kernel module, version %s, for DKMS, which builds and installs it for each installed kernel.", o.Module, o.Version)
	summary := o.Name + " driver in DKMS format"
	if o.BinariesOnly {
		summary = o.Name + " prebuilt driver for DKMS"
		d = fmt.Sprintf("This package holds the %s kernel module, version %s, prebuilt without its source, for DKMS to install.", o.Module, o.Version)
	}
	if len(o.Builds) > 0 {
		var ks []string
		for _, b := range o.Builds {
			ks = append(ks, b.Kernel+" ("+b.Arch+")")
		}
		d += " It comes prebuilt for Linux " + strings.Join(ks, ", ") + "."
	}
	return summary + "\n" + wrap(d, 72)
}

// binaryDescription is the binary form's summary line and text.
func binaryDescription(o Options, b Build) string {
	return fmt.Sprintf("%s kernel modules for Linux %s\n", o.Name, b.Kernel) + wrap(fmt.Sprintf(
		"This package holds the %s kernel modules, version %s, built by DKMS for the Linux kernel %s (%s). "+
			"It needs neither DKMS nor a compiler or kernel headers.", o.Module, o.Version, b.Kernel, b.Arch), 72)
}

// wrap breaks text into lines of at most width columns (longer words
// stay whole), as Debian wants extended descriptions.
func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}
