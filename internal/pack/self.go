package pack

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"

	"github.com/dkms-go/dkms/internal/run"
)

// SelfOptions describes the package of this dkms: what a distribution's
// dkms package installs, staged by scripts/install.sh --destdir, packed
// under our own name. It provides, conflicts with and replaces "dkms" at
// the version of the reference it stands in for, so a package manager
// takes it for every module package's dependency on dkms and never pulls
// the reference back in.
type SelfOptions struct {
	StageDir    string   // the staged tree (DESTDIR)
	Name        string   // the package name, not "dkms"
	Version     string   // the package version
	DKMSVersion string   // the reference release it stands in for (Provides)
	Arch        string   // the binary's machine (uname -m style)
	Formats     []string // "deb", "rpm", "archlinux"
	Summary     string   // one line
	Description string   // a paragraph
	Homepage    string
	License     string
	Copyright   string // text of the Debian copyright file
	PostInstall string // maintainer script files: postinst (every format)
	PostRemove  string // and postrm (deb "purge", rpm "0": the last removal)
	DocDir      string // the target's /usr/share/doc
	OutDir      string
	TmpDir      string
	Maintainer  string
	MTime       time.Time
}

// selfSkip lists, per format, staged paths (prefixes) its distributions'
// dkms packages do not carry: pacman hooks only on Arch; the Debian
// kernel hooks and dkms_autoinstaller only on Debian and its derivatives
// (Fedora and Arch kernels call kernel-install or pacman hooks instead);
// common.postinst where no module package calls it.
var selfSkip = map[string][]string{
	"deb":       {"/usr/share/libalpm/", "/usr/lib/dkms/alpm-hook"},
	"rpm":       {"/usr/share/libalpm/", "/usr/lib/dkms/alpm-hook", "/etc/kernel/", "/usr/lib/dkms/dkms_autoinstaller"},
	"archlinux": {"/etc/kernel/", "/usr/lib/dkms/dkms_autoinstaller", "/usr/lib/dkms/common.postinst"},
}

// selfMove maps staged paths to where a format's distributions look:
// Debian's zsh reads vendor completions from vendor-completions.
var selfMove = map[string]map[string]string{
	"deb": {"/usr/share/zsh/site-functions/_dkms": "/usr/share/zsh/vendor-completions/_dkms"},
}

// selfDepends is what building and installing a module needs, in each
// format's package names, as Debian's dkms package declares it (make,
// a C compiler, kmod, patch); signing and compression need nothing, they
// are built in.
var selfDepends = map[string][]string{
	"deb":       {"kmod", "gcc | c-compiler", "make | build-essential", "patch"},
	"rpm":       {"kmod", "gcc", "make", "patch"},
	"archlinux": {"kmod", "gcc", "make", "patch"},
}

var selfRecommends = map[string][]string{
	"deb":       {"linux-headers-amd64 | linux-headers-generic | linux-headers"},
	"rpm":       {"kernel-devel"},
	"archlinux": {"linux-headers"},
}

// WriteSelf writes our package in each format of o and returns the paths.
func WriteSelf(ctx context.Context, r *run.Runner, o SelfOptions) ([]string, error) {
	var specs []*spec
	for _, f := range o.Formats {
		s, err := selfSpec(o, f)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return writeSpecs(ctx, r, specs, o.TmpDir, o.OutDir)
}

// selfSpec describes our package in format f.
func selfSpec(o SelfOptions, f string) (*spec, error) {
	name, version, err := selfNames(f, o.Name, o.Version)
	if err != nil {
		return nil, err
	}
	provides := map[string]string{"deb": "dkms (= %s)", "rpm": "dkms = %s", "archlinux": "dkms=%s"}[f]
	info := &nfpm.Info{Name: name, Version: version, VersionSchema: "none", Platform: "linux",
		Arch: o.Arch, Section: "kernel", Priority: "optional", Maintainer: o.Maintainer, MTime: o.MTime,
		Description: o.Summary + "\n" + wrap(o.Description, 72), Homepage: o.Homepage, License: o.License,
		Overridables: nfpm.Overridables{
			Provides:   []string{fmt.Sprintf(provides, o.DKMSVersion)},
			Conflicts:  []string{"dkms"},
			Replaces:   []string{"dkms"},
			Depends:    selfDepends[f],
			Recommends: selfRecommends[f],
			RPM:        nfpm.RPM{Group: "System Environment/Kernel", Summary: o.Summary},
		}}
	info.Deb.Arch, info.RPM.Arch = debArch(o.Arch), rpmArch(o.Arch)
	if f == "archlinux" { // pkgdesc is one line
		info.Description = o.Summary
		info.ArchLinux.Packager = o.Maintainer
	}
	s := &spec{format: f, info: info}
	if err := s.addStaged(o.StageDir, f); err != nil {
		return nil, err
	}
	info.Scripts.PostInstall, info.Scripts.PostRemove = o.PostInstall, o.PostRemove
	if f == "deb" {
		s.debDocs(target(o.DocDir, name), o.Copyright, "Built from the dkms Go sources.")
		s.lintianOverride(name)
	}
	return s, nil
}

func selfNames(f, name, version string) (string, string, error) {
	if f == "archlinux" {
		n, err := ArchName(name)
		if err != nil {
			return "", "", err
		}
		v, err := ArchVersion(version)
		return n, v, err
	}
	return names(f, name, version)
}

// addStaged adds the staged tree as format f ships it: files keep their
// modes, everything under /etc is a configuration file the package
// manager keeps when changed, empty directories (the dkms tree,
// framework.conf.d) are owned as directories.
func (s *spec) addStaged(stage, f string) error {
	return filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == stage {
			return err
		}
		dst := "/" + filepath.ToSlash(strings.TrimPrefix(p, stage+"/"))
		for _, skip := range selfSkip[f] {
			if strings.HasPrefix(dst, skip) || dst+"/" == skip {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		if to, ok := selfMove[f][dst]; ok {
			dst = to
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if ents, _ := os.ReadDir(p); len(ents) == 0 {
				s.add(&files.Content{Destination: dst, Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755}})
			}
		case info.Mode().IsRegular() && strings.HasPrefix(dst, "/usr/share/man/") && !strings.HasSuffix(dst, ".gz"):
			return s.addManPage(p, dst)
		case info.Mode().IsRegular():
			typ := files.TypeFile
			if strings.HasPrefix(dst, "/etc/") {
				typ = files.TypeConfigNoReplace
			}
			s.add(&files.Content{Source: p, Destination: dst, Type: typ, FileInfo: &files.ContentFileInfo{Mode: info.Mode().Perm()}})
		default:
			return fmt.Errorf("%s: only files and directories can be packaged", p)
		}
		return nil
	})
}

// addManPage adds a manual page compressed, as distributions ship them.
func (s *spec) addManPage(p, dst string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	name := "man-" + filepath.Base(p) + ".gz"
	s.gen = append(s.gen, generated{name: name, data: gzipped(b)})
	s.add(&files.Content{Source: name, Destination: dst + ".gz", FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	return nil
}

// lintianOverride says why the static binary is fine: Go programs are
// static, and lintian exempts Debian's own Go packages by their build
// dependency on golang-go, which a package made without a Debian source
// package cannot show.
func (s *spec) lintianOverride(name string) {
	text := "# Go programs are statically linked.\n" + name + ": statically-linked-binary\n"
	s.gen = append(s.gen, generated{name: "lintian-overrides", data: []byte(text)})
	s.add(&files.Content{Source: "lintian-overrides", Destination: target("/usr/share/lintian/overrides", name), FileInfo: &files.ContentFileInfo{Mode: 0o644}})
}
