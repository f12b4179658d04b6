package doctor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/tree"
)

// checkManifests checks each install manifest against the trees: a
// manifest without its kernel link is an interrupted run (tree.Manifest's
// invariant); a finished one must match the files on disk.
func checkManifests(l tree.Layout) []Finding {
	out := unreadableManifests(l)
	for _, man := range l.Manifests() {
		mv := man.Module + "/" + man.Version
		if l.InstalledVersion(man.Module, man.Kernel, man.Arch) != man.Version {
			out = append(out, Finding{Kind: InterruptedInstall, Path: l.Manifest(man.Module, man.Kernel, man.Arch), kernel: man.Kernel,
				Message: "an install or uninstall of " + mv + " on " + man.Kernel + " (" + man.Arch + ") did not finish",
				Action:  "roll it back as the next dkms run would: delete the files it placed and restore what it replaced"})
			continue
		}
		if unfinished(l, man) {
			out = append(out, Finding{Kind: InterruptedInstall, Path: l.Manifest(man.Module, man.Kernel, man.Arch), kernel: man.Kernel,
				Message: "an install or uninstall of " + mv + " on " + man.Kernel + " (" + man.Arch + ") was interrupted while it stayed installed",
				Action:  "finish or undo it as the next dkms run would: delete the originals it set aside, or archive again those it put back"})
			continue
		}
		for _, f := range man.Files {
			if fd, ok := checkInstalledFile(man, f); ok {
				out = append(out, fd)
			}
		}
	}
	return out
}

// unfinished reports an installed module's run that recovery still has
// to settle: an uninstall that began (its marker), or an install whose
// set-aside originals were not deleted yet.
func unfinished(l tree.Layout, man *tree.Manifest) bool {
	if fileutil.Exists(l.UninstallMarker(man.Module, man.Kernel, man.Arch)) {
		return true
	}
	for _, o := range man.Originals {
		if fileutil.Exists(tree.Aside(o.From)) {
			return true
		}
	}
	return false
}

// checkInstalledFile compares one installed file with its manifest entry.
// A missing file is copied back only from a built file that still has the
// recorded content; anything else is for a person.
func checkInstalledFile(man *tree.Manifest, f tree.File) (Finding, bool) {
	reinstall := "run `dkms install " + man.Module + "/" + man.Version + " -k " + man.Kernel + "/" + man.Arch + " --force`"
	sum, err := fileutil.HashFile(f.Path)
	switch {
	case fileutil.IsNotExist(err) && f.Source != "" && f.SHA256 != "" && hashOf(f.Source) == f.SHA256:
		return Finding{Kind: InstalledMissing, Path: f.Path, target: f.Source, kernel: man.Kernel,
			Message: "installed module of " + man.Module + "/" + man.Version + " is missing",
			Action:  "copy it back from " + f.Source}, true
	case fileutil.IsNotExist(err):
		return Finding{Kind: InstalledMissing, Path: f.Path, NeedsPerson: true,
			Message: "installed module of " + man.Module + "/" + man.Version + " is missing and its built copy changed or is gone",
			Action:  reinstall}, true
	case err != nil || (f.SHA256 != "" && sum != f.SHA256):
		return Finding{Kind: InstalledChanged, Path: f.Path, NeedsPerson: true,
			Message: "installed module of " + man.Module + "/" + man.Version + " differs from what dkms installed",
			Action:  "if nobody changed it on purpose, " + reinstall}, true
	}
	return Finding{}, false
}

// unreadableManifests reports manifest files that tree.Manifests skips
// because they cannot be parsed or do not match their name.
func unreadableManifests(l tree.Layout) []Finding {
	var out []Finding
	for _, m := range l.Modules() {
		paths, _ := filepath.Glob(filepath.Join(l.Module(m), ".manifest-*.json"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			var man tree.Manifest
			if err == nil && json.Unmarshal(b, &man) == nil && man.Module == m &&
				p == l.Manifest(m, man.Kernel, man.Arch) {
				continue
			}
			out = append(out, Finding{Kind: ManifestUnreadable, Path: p, NeedsPerson: true,
				Message: "install manifest cannot be read",
				Action:  "delete it; the install is then handled like one made by the reference dkms"})
		}
	}
	return out
}

// built is one module file in a build directory DT/m/v/K/A/module.
type built struct{ m, v, a, path string }

// checkUnmanaged finds module files in the dkms locations of each kernel
// that are in no manifest but share their name with a built module of
// the tree: installs of the reference dkms (adoptable when their content
// is the build of the installed version) and leftovers.
func checkUnmanaged(l tree.Layout, locations []string) []Finding {
	managed := managedFiles(l)
	adopt := map[string]*tree.Manifest{}
	var out []Finding
	for _, k := range l.Kernels() {
		idx := builtIndex(l, k)
		if len(idx) == 0 {
			continue
		}
		for _, p := range moduleFiles(l.KernelDir(k), locations) {
			if managed[p] {
				continue
			}
			if f, ok := classify(l, k, p, idx[filepath.Base(p)], adopt); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// classify decides what an unmanaged module file p of kernel k is, given
// the same-named built modules cands. Adoption manifests are shared
// through adopt, one per module and kernel/arch.
func classify(l tree.Layout, k, p string, cands []built, adopt map[string]*tree.Manifest) (Finding, bool) {
	sum := hashOf(p)
	if sum == "" || len(cands) == 0 {
		return Finding{}, false
	}
	var same, active []built
	for _, c := range cands {
		if hashOf(c.path) == sum {
			same = append(same, c)
		}
		if l.InstalledVersion(c.m, k, c.a) != "" {
			active = append(active, c)
		}
	}
	del := "delete it and run `depmod -a " + k + "`"
	if len(same) == 0 {
		if len(active) == 0 {
			return Finding{}, false // not dkms-made: someone else's module of that name
		}
		c := active[0]
		return Finding{Kind: UnmanagedModule, Path: p, NeedsPerson: true,
			Message: "in no install manifest and unlike every build of " + c.m + ", which is installed on " + k + " (" + c.a + "): modprobe may load either",
			Action:  "check it with modinfo; if it is stale, " + del}, true
	}
	c := same[0]
	what := c.m + "/" + c.v + " for " + k + " (" + c.a + ")"
	man, err := l.ReadManifest(c.m, k, c.a)
	switch {
	case err != nil:
		return Finding{}, false // its manifest is reported as unreadable
	case len(same) == 1 && l.InstalledVersion(c.m, k, c.a) == c.v && man == nil:
		man := adoptManifest(l, adopt, c, k)
		man.Files = append(man.Files, tree.File{Path: p, SHA256: sum, Source: c.path})
		return Finding{Kind: UnmanagedModule, Path: p, adopt: man,
			Message: "installed without a manifest (by the reference dkms); same as the build of " + what,
			Action:  "adopt it into " + l.Manifest(c.m, k, c.a)}, true
	case l.InstalledVersion(c.m, k, c.a) == c.v:
		return Finding{Kind: UnmanagedModule, Path: p, NeedsPerson: true,
			Message: "a second copy of the build of " + what + ", which is installed elsewhere",
			Action:  del}, true
	}
	return Finding{Kind: UnmanagedModule, Path: p, NeedsPerson: true,
		Message: "same as the build of " + what + ", which is not installed there: a leftover",
		Action:  del + ", or run `dkms install " + c.m + "/" + c.v + " -k " + k + "/" + c.a + "` after deleting it"}, true
}

// adoptManifest returns the manifest that adopts the install of c on k,
// creating it with the originals the reference archived.
func adoptManifest(l tree.Layout, adopt map[string]*tree.Manifest, c built, k string) *tree.Manifest {
	path := l.Manifest(c.m, k, c.a)
	if man := adopt[path]; man != nil {
		return man
	}
	man := &tree.Manifest{Module: c.m, Version: c.v, Kernel: k, Arch: c.a}
	for _, o := range archived(l, c.m, k, c.a) {
		if o.from != "" && under(o.from, l.KernelDir(k)) {
			man.Originals = append(man.Originals, tree.Original{From: o.from, Archived: o.path, SHA256: hashOf(o.path)})
		}
	}
	adopt[path] = man
	return man
}

// managedFiles is the set of install-tree files some manifest lists,
// including those of the previous installs manifests remember.
func managedFiles(l tree.Layout) map[string]bool {
	out := map[string]bool{}
	for _, man := range l.Manifests() {
		for m := man; m != nil; m = m.Previous {
			for _, f := range m.Files {
				out[filepath.Clean(f.Path)] = true
			}
		}
	}
	return out
}

// builtIndex maps each module file name built for kernel k, on any arch
// and by any module of the tree, to where it was built.
func builtIndex(l tree.Layout, k string) map[string][]built {
	idx := map[string][]built{}
	for _, m := range l.Modules() {
		for _, v := range versions(l, m) {
			for _, ka := range l.Builds(m, v) {
				if ka.Kernel != k {
					continue
				}
				dir := l.BuiltModules(m, v, k, ka.Arch)
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					if install.IsModuleFile(e.Name()) {
						idx[e.Name()] = append(idx[e.Name()], built{m, v, ka.Arch, filepath.Join(dir, e.Name())})
					}
				}
			}
		}
	}
	return idx
}

// moduleFiles lists the module files below kdir/<loc> for each location,
// once each and sorted, skipping temporaries.
func moduleFiles(kdir string, locations []string) []string {
	seen := map[string]bool{}
	for _, loc := range locations {
		filepath.WalkDir(filepath.Join(kdir, loc), func(p string, d os.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil
			case strings.HasPrefix(d.Name(), fileutil.TempPrefix) && d.IsDir():
				return filepath.SkipDir
			case !d.IsDir() && install.IsModuleFile(d.Name()) && !strings.HasPrefix(d.Name(), "."):
				seen[p] = true
			}
			return nil
		})
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// hashOf is the SHA-256 of a file, or "" when it cannot be read (which
// never equals a recorded hash).
func hashOf(path string) string {
	h, err := fileutil.HashFile(path)
	if err != nil {
		return ""
	}
	return h
}
