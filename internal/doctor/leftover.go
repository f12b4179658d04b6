package doctor

import (
	"fmt"
	"os"
	"path/filepath"
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

// checkTemps reports the temporaries of killed runs, found by the rule
// recovery uses (tree.Layout.Temporaries).
func checkTemps(l tree.Layout, extraLocations []string) []Finding {
	var out []Finding
	for _, p := range l.Temporaries(extraLocations...) {
		msg := "temporary file of a dkms run that was killed"
		if strings.HasPrefix(filepath.Base(p), ".tmp_") {
			msg = "build staging directory of a build that was killed"
		}
		out = append(out, Finding{Kind: TempLeftover, Path: p, Message: msg, Action: "delete it"})
	}
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
	var out []Finding
	for _, mk := range l.DepmodMarkers("") {
		action := "run depmod for " + mk.Kernel + " and delete the marker"
		if !fileutil.IsDir(l.KernelDir(mk.Kernel)) {
			action = "delete the marker: the kernel is gone" // Depmod skips it
		}
		out = append(out, Finding{Kind: DepmodPending, Path: mk.Path, kernel: mk.Kernel,
			Message: "a dkms run died before running depmod for " + mk.Kernel + " (" + mk.Arch + ")", Action: action})
	}
	return out
}
