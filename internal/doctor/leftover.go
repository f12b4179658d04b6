package doctor

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// archivedFile is one module in DT/m/original_module/K/A and the path its
// .origin note gives ("" when there is no note).
type archivedFile struct {
	path, from string
	hasOrigin  bool
}

// archived lists the archived originals of m on K/A, as the reference and
// we both store them: <file> and <file>.origin holding its old path.
func archived(l tree.Layout, m, k, a string) []archivedFile {
	dir := l.Originals(m, k, a)
	ents, _ := os.ReadDir(dir)
	var out []archivedFile
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".origin") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f := archivedFile{path: filepath.Join(dir, e.Name())}
		if b, err := os.ReadFile(f.path + ".origin"); err == nil {
			f.hasOrigin = true
			f.from = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		}
		out = append(out, f)
	}
	return out
}

// checkOriginals reports archived originals that uninstall could not put
// back: without a .origin note, or with one naming a path outside IT/K
// (which we refuse to write to).
func checkOriginals(l tree.Layout, m string) []Finding {
	var out []Finding
	top := filepath.Join(l.Module(m), "original_module")
	for _, k := range fileutil.Subdirs(top) {
		for _, a := range fileutil.Subdirs(filepath.Join(top, k)) {
			for _, f := range archived(l, m, k, a) {
				back := ", move it back and run `depmod -a " + k + "`, or delete it"
				switch {
				case !f.hasOrigin:
					out = append(out, Finding{Kind: OriginalNoOrigin, Path: f.path, NeedsPerson: true,
						Message: "archived original module of " + m + " for " + k + " (" + a + ") has no .origin note saying where it came from",
						Action:  "find where it belongs (modinfo, the package that ships it)" + back})
				case !under(f.from, l.KernelDir(k)) || strings.Contains(f.from, "/../"):
					out = append(out, Finding{Kind: OriginalBadOrigin, Path: f.path + ".origin", NeedsPerson: true,
						Message: "names " + f.from + ", outside " + l.KernelDir(k) + ", so uninstall will not restore " + filepath.Base(f.path),
						Action:  "find where it belongs" + back})
				}
			}
		}
	}
	return out
}

// checkTemps finds the temporaries of killed runs: ours (.dkms-tmp-*)
// anywhere in the dkms tree, at the top of the source tree and next to
// installed modules, and the build staging directories DT/m/v/K/.tmp_*
// that the reference and we both use.
func checkTemps(l tree.Layout, extraLocations []string) []Finding {
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
			return filepath.SkipDir // a source copy: kbuild's own .tmp_ files live there
		}
		return nil
	})
	globTemps(seen, filepath.Join(l.Source, fileutil.TempPrefix+"*"))
	for _, k := range kernelDirs(l) {
		for _, loc := range append(append([]string(nil), DefaultLocations...), extraLocations...) {
			walkTemps(seen, filepath.Join(l.KernelDir(k), loc))
		}
	}
	for _, man := range l.Manifests() {
		for _, f := range man.Files {
			globTemps(seen, filepath.Join(filepath.Dir(f.Path), fileutil.TempPrefix+"*"))
		}
	}
	return tempFindings(seen)
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

func tempFindings(seen map[string]bool) []Finding {
	var out []Finding
	for p := range seen {
		msg := "temporary file of a dkms run that was killed"
		if strings.HasPrefix(filepath.Base(p), ".tmp_") {
			msg = "build staging directory of a build that was killed"
		}
		out = append(out, Finding{Kind: TempLeftover, Path: p, Message: msg, Action: "delete it"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// checkLock reports holder text in the lock file of a process that is
// gone. The flock itself dies with its process, so the text is only
// misleading (a waiter would name a dead holder), never blocking; and
// every Lock rewrites it, so under the lock this finds nothing.
func checkLock(l tree.Layout) []Finding {
	b, err := os.ReadFile(l.LockFile())
	text := strings.TrimSpace(string(b))
	if err != nil || text == "" {
		return nil
	}
	var pid int
	if _, err := fmt.Sscanf(text, "pid %d:", &pid); err == nil && alive(pid) {
		return nil
	}
	return []Finding{{Kind: StaleLock, Path: l.LockFile(),
		Message: "names a holder that is no longer running: " + firstLine(text),
		Action:  "clear the holder text"}}
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// checkDepmodMarkers reports DT/depmod-pending-K-A markers: a run (ours or
// the reference's kernel_preinst/prerm) died before it ran depmod.
func checkDepmodMarkers(l tree.Layout) []Finding {
	markers, _ := filepath.Glob(filepath.Join(l.DKMS, "depmod-pending-*"))
	var out []Finding
	for _, p := range markers {
		k, a := tree.SplitKernelArch(strings.TrimPrefix(filepath.Base(p), "depmod-pending-"))
		action := "run depmod for " + k + " and delete the marker"
		if !fileutil.IsDir(l.KernelDir(k)) {
			action = "delete the marker: the kernel is gone" // Depmod skips it
		}
		out = append(out, Finding{Kind: DepmodPending, Path: p, kernel: k,
			Message: "a dkms run died before running depmod for " + k + " (" + a + ")", Action: action})
	}
	return out
}
