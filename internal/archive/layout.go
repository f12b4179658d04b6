package archive

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
)

// The layout of a dkms tarball, the reference's (dkms-behaviour §3.12):
// builds under MainTree/K/A, the module source under SourceTree, or, for
// a binaries-only tarball, BinariesOnly holding files PACKAGE_NAME and
// PACKAGE_VERSION and the dkms.conf. mktarball writes it, ldtarball reads
// it, and module packages carry one for common.postinst to load.
const (
	MainTree     = "dkms_main_tree"
	SourceTree   = "dkms_source_tree"
	BinariesOnly = "dkms_binaries_only"
)

// Suffix ends the name of a dkms tarball: common.postinst loads
// <TARBALL_ROOT>/<module>-<version>.dkms.tar.gz.
const Suffix = ".dkms.tar.gz"

// ConfDirs are the directories of a made tarball whose dkms.conf names
// the module, in the order they are tried.
var ConfDirs = []string{SourceTree, BinariesOnly}

// Name is the file name mktarball gives the tarball of m/v made of the
// builds named by tags ("kernel<K>-<A>" each, or "source-only"): the
// tags are joined with dashes, and replaced by "manykernels" when that
// would make a name of 200 characters or more (the reference counts the
// newline of its echo too).
func Name(m, v string, tags []string) string {
	tag := strings.Join(tags, "-")
	if len(tag) >= 200 {
		tag = "manykernels"
	}
	return m + "-" + v + "-" + tag + Suffix
}

// Location splits where mktarball writes: into the default directory
// under the default name, or where --archive (arc) says: its last element
// is the name and what comes before a slash the directory (which may be
// empty, for /x.tar.gz).
func Location(defaultDir, defaultName, arc string) (dir, name string) {
	if arc == "" {
		return defaultDir, defaultName
	}
	if i := strings.LastIndex(arc, "/"); i >= 0 {
		return arc[:i], arc[i+1:]
	}
	return defaultDir, arc
}

// kernelRe is what a dkms_main_tree/K directory must look like to be
// loaded: a kernel release, as status requires. It keeps a hostile
// tarball from loading into DT/m/v/source or DT/m/v/build.
var kernelRe = regexp.MustCompile(`^[0-9]+\.`)

// Build is one build a made tarball carries: dkms_main_tree/K/A.
type Build struct {
	Kernel, Arch string
	From         string // the directory in the extracted tarball
	// Release is false for a directory named like no kernel release,
	// which is never loaded.
	Release bool
}

// Builds lists the builds in the extracted tarball at dir, in the
// reference's (glob) order: kernels, then arches, by name. Symlinks and
// hidden names are not builds.
func Builds(dir string) []Build {
	main := filepath.Join(dir, MainTree)
	var out []Build
	for _, k := range fileutil.Subdirs(main) {
		for _, a := range fileutil.Subdirs(filepath.Join(main, k)) {
			out = append(out, Build{Kernel: k, Arch: a, From: filepath.Join(main, k, a), Release: kernelRe.MatchString(k)})
		}
	}
	return out
}

// FindConf returns the shallowest file named dkms.conf under dir, the
// first by name among equals: the source of a tarball mktarball did not
// make. The reference takes whatever `find` lists first; this choice does
// not depend on directory order. "" when there is none.
func FindConf(dir string) string {
	best, depth := "", -1
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "dkms.conf" && !d.IsDir() {
			if n := strings.Count(p, "/"); depth < 0 || n < depth {
				best, depth = p, n
			}
		}
		return nil
	})
	return best
}

// Skip says why ldtarball does not load a build.
type Skip int

// The reasons; Load means the build is loaded.
const (
	Load       Skip = iota
	NotRelease      // the directory is named like no kernel release
	Exists          // the build is there already and --force is not given
)

// Planned is one build of a tarball, where it goes, and whether it is
// loaded.
type Planned struct {
	Build
	To   string
	Skip Skip
}

// Plan is ldtarball's load plan for the extracted tarball at dir: each
// build it carries (Builds), where it goes (dest(kernel, arch)), and
// whether it is loaded: never a directory named like no kernel release,
// a build that is there already only with force.
func Plan(dir string, dest func(k, a string) string, force bool) []Planned {
	var out []Planned
	for _, b := range Builds(dir) {
		p := Planned{Build: b, To: dest(b.Kernel, b.Arch)}
		switch {
		case !b.Release:
			p.Skip = NotRelease
		case fileutil.IsDir(p.To) && !force:
			p.Skip = Exists
		}
		out = append(out, p)
	}
	return out
}
