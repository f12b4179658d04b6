package tree

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
)

// ModuleLocations are the directories below IT/K where dkms puts modules
// on the distributions it knows (§6): /updates and /updates/dkms, /extra,
// and /kernel/extra.
var ModuleLocations = []string{"updates", "extra", "kernel/extra"}

// Temporaries lists, sorted, the temporary names killed runs leave: ours
// (fileutil.TempPrefix) anywhere in the dkms tree, at the top of the
// source tree, in the module locations of every kernel of the install
// tree (ModuleLocations and extraLocations, relative to IT/K) and next to
// every file a manifest lists; and the build staging directories
// DT/m/v/K/.tmp_* that the reference and we both use. A module's build
// directory (DT/m/v/build, a copy of its source, where kbuild keeps .tmp_
// files of its own) is not searched. This is the one rule recovery and
// doctor share.
func (l Layout) Temporaries(extraLocations ...string) []string {
	seen := map[string]bool{}
	filepath.WalkDir(l.DKMS, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == l.DKMS {
			return nil
		}
		rel, _ := filepath.Rel(l.DKMS, p)
		depth := strings.Count(rel, "/")
		switch name := d.Name(); {
		case strings.HasPrefix(name, fileutil.TempPrefix),
			strings.HasPrefix(name, ".tmp_") && depth == 3 && d.IsDir():
			seen[p] = true
			return skipDir(d)
		case name == "build" && depth == 2 && d.IsDir():
			return filepath.SkipDir
		}
		return nil
	})
	globTemps(seen, filepath.Join(l.Source, fileutil.TempPrefix+"*"))
	locations := append(append([]string(nil), ModuleLocations...), extraLocations...)
	for _, k := range l.Kernels() {
		for _, loc := range locations {
			walkTemps(seen, filepath.Join(l.KernelDir(k), loc))
		}
	}
	for _, man := range l.Manifests() {
		for _, f := range man.Files {
			globTemps(seen, filepath.Join(filepath.Dir(f.Path), fileutil.TempPrefix+"*"))
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Kernels lists the kernel directories of the install tree.
func (l Layout) Kernels() []string {
	ents, _ := os.ReadDir(l.Install)
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") && fileutil.IsDir(filepath.Join(l.Install, e.Name())) {
			out = append(out, e.Name())
		}
	}
	return out
}

func skipDir(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

func globTemps(seen map[string]bool, pattern string) {
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		seen[m] = true
	}
}

func walkTemps(seen map[string]bool, dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), fileutil.TempPrefix) {
			seen[p] = true
			return skipDir(d)
		}
		return nil
	})
}
