package status

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/tree"
)

// weakSet is one module version installed for kernel From/Arch whose
// files are linked into kernel Kernel's weak-updates: the names linked.
type weakSet struct {
	owner  Entry // Module, Version, Kernel (the one it is installed for), Arch
	kernel string
	names  map[string]bool
}

// Weak lists the module versions weak-installed on kernel k ("" for every
// kernel of the install tree), within the m, v and arch filters: the
// distribution's weak-modules tool linked every module file of a version
// installed for another kernel into k's weak-updates directory. Each is
// an InstalledWeak entry whose From names the kernel it was built and
// installed for. A link counts for the installed version whose built
// module has the same name and content as the file it points to, as the
// reference's find_module_from_ko decides.
//
// The reference meant to show these lines, but its test is inverted
// (it requires NO_WEAK_MODULES to be set, which also turns the tool off)
// and its filters only match a literal "*", so it never does; this is
// what its code sets out to do (dkms-behaviour §7.6, §10.9).
func Weak(l tree.Layout, m, v, k, arch string) []Entry {
	installed := installedBuilds(l)
	kernels := []string{k}
	if k == "" {
		kernels = l.Kernels()
	}
	sets := map[string]*weakSet{}
	for _, kern := range kernels {
		for _, link := range weakLinks(l.WeakUpdates(kern)) {
			owner, ok := linkOwner(l, installed, link)
			if !ok || owner.Kernel == kern || !matches(owner, m, v, arch) {
				continue
			}
			key := owner.Module + "/" + owner.Version + "/" + owner.Kernel + "/" + owner.Arch + "/" + kern
			if sets[key] == nil {
				sets[key] = &weakSet{owner: owner, kernel: kern, names: map[string]bool{}}
			}
			sets[key].names[filepath.Base(link)] = true
		}
	}
	var out []Entry
	for _, s := range sets {
		if allLinked(l, s) {
			out = append(out, Entry{Module: s.owner.Module, Version: s.owner.Version, Kernel: s.kernel,
				Arch: s.owner.Arch, State: InstalledWeak, From: s.owner.Kernel})
		}
	}
	sort.Slice(out, func(i, j int) bool { return weakKey(out[i]) < weakKey(out[j]) })
	return out
}

func weakKey(e Entry) string {
	return e.Module + "\x00" + e.Version + "\x00" + e.Kernel + "\x00" + e.Arch + "\x00" + e.From
}

func matches(e Entry, m, v, arch string) bool {
	return (m == "" || e.Module == m) && (v == "" || e.Version == v) && (arch == "" || e.Arch == arch)
}

// installedBuilds lists every module version installed on some kernel.
func installedBuilds(l tree.Layout) []Entry {
	var out []Entry
	for _, m := range l.Modules() {
		for _, v := range l.Versions(m) {
			for _, ka := range l.Builds(m, v) {
				if l.IsInstalled(m, v, ka.Kernel, ka.Arch) {
					out = append(out, Entry{Module: m, Version: v, Kernel: ka.Kernel, Arch: ka.Arch})
				}
			}
		}
	}
	return out
}

// weakLinks lists the symbolic links below a weak-updates directory.
func weakLinks(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// linkOwner finds the installed module version whose built module has the
// link's name and the content of the file it points to.
func linkOwner(l tree.Layout, installed []Entry, link string) (Entry, bool) {
	target, err := filepath.EvalSymlinks(link)
	if err != nil {
		return Entry{}, false
	}
	for _, e := range installed {
		built := filepath.Join(l.BuiltModules(e.Module, e.Version, e.Kernel, e.Arch), filepath.Base(link))
		if fileutil.SameContent(built, target) {
			return e, true
		}
	}
	return Entry{}, false
}

// allLinked reports whether every module file of s's build is linked.
func allLinked(l tree.Layout, s *weakSet) bool {
	ents, err := os.ReadDir(l.BuiltModules(s.owner.Module, s.owner.Version, s.owner.Kernel, s.owner.Arch))
	if err != nil {
		return false
	}
	for _, e := range ents {
		if install.IsModuleFile(e.Name()) && !s.names[e.Name()] {
			return false
		}
	}
	return true
}
