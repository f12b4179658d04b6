package doctor

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// checkVersion looks at one DT/m/v: its source link, the reference's two
// "broken" conditions (§3.8) and what a failed build left.
func checkVersion(l tree.Layout, m, v string) []Finding {
	var out []Finding
	if f, ok := checkSource(l, m, v); ok {
		out = append(out, f)
	}
	if f, ok := checkBuildDir(l, m, v); ok {
		out = append(out, f)
	}
	return out
}

// checkBuildDir reports a make.log left in DT/m/v/build. The reference
// and we remove the build directory after a successful build and keep it
// after a failed one (§6); a log in which no command failed is a build
// that was killed, whose directory the next build starts over anyway.
func checkBuildDir(l tree.Layout, m, v string) (Finding, bool) {
	log := filepath.Join(l.BuildDir(m, v), "make.log")
	if !fileutil.Exists(log) {
		return Finding{}, false
	}
	target, failed := readMakeLog(log)
	mv := m + "/" + v
	if !failed {
		return Finding{Kind: InterruptedBuild, Path: l.BuildDir(m, v),
			Message: "a build of " + mv + target + " was interrupted and left its build directory",
			Action:  "delete the build directory; the next build starts afresh"}, true
	}
	return Finding{Kind: FailedBuild, Path: log, NeedsPerson: true,
		Message: "a build of " + mv + target + " failed and left its build directory",
		Action: "read the log, fix the cause and run `dkms build " + mv + "`," +
			" or run `dkms remove " + mv + " --all` if the module is no longer wanted"}, true
}

// checkSource classifies DT/m/v/source, returning a finding when it is not
// a link to a directory (the "added" mark).
func checkSource(l tree.Layout, m, v string) (Finding, bool) {
	link, src := l.SourceLink(m, v), l.SourceDir(m, v)
	haveSrc := fileutil.IsDir(src)
	_, lerr := os.Lstat(link)
	mv := m + "/" + v
	switch {
	case isLink(link) && fileutil.IsDir(link):
		return Finding{}, false
	case isLink(link) && haveSrc:
		target, _ := os.Readlink(link)
		return Finding{Kind: SourceDangling, Path: link, target: src,
			Message: "link to " + target + " points to nothing; " + mv + " is broken",
			Action:  "point it at " + src}, true
	case isLink(link):
		target, _ := os.Readlink(link)
		return Finding{Kind: SourceDangling, Path: link, NeedsPerson: true,
			Message: "link to " + target + " points to nothing and " + src + " does not exist; " + mv + " is broken",
			Action:  "restore " + src + " (reinstall the package that ships it) and run `dkms doctor --fix`, or delete " + l.Version(m, v) + " by hand"}, true
	case haveSrc && lerr != nil:
		return Finding{Kind: SourceNotLink, Path: link, target: src,
			Message: "missing while " + src + " exists (an add that did not finish); " + mv + " is broken",
			Action:  "link it to " + src + ", as `dkms add` does"}, true
	case haveSrc:
		return Finding{Kind: SourceNotLink, Path: link, NeedsPerson: true,
			Message: "not a link while " + src + " exists; " + mv + " is broken",
			Action:  "move " + link + " aside, then run `dkms add " + mv + "` to link the source"}, true
	case lerr != nil:
		return noSource(l, m, v), true
	}
	return Finding{}, false // a real directory: what a binaries-only tarball leaves
}

// noSource reports DT/m/v with neither source link nor source tree: a
// half-made add. It is removed only when it holds nothing but empty
// directories, so nothing built or installed is lost.
func noSource(l tree.Layout, m, v string) Finding {
	dir := l.Version(m, v)
	f := Finding{Kind: NoSource, Path: dir,
		Message: "version directory without source link and without " + l.SourceDir(m, v) + " (an add that did not finish)"}
	if onlyEmptyDirs(dir) {
		f.Action = "delete the empty version directory"
		return f
	}
	f.NeedsPerson = true
	f.Action = "restore " + l.SourceDir(m, v) + " and run `dkms add " + m + "/" + v + "`, or delete " + dir + " by hand"
	return f
}

// onlyEmptyDirs reports whether dir holds nothing but directories.
func onlyEmptyDirs(dir string) bool {
	empty := true
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			empty = false
			return filepath.SkipAll
		}
		return nil
	})
	return empty
}

var (
	makeLogHeader   = regexp.MustCompile(`for kernel (\S+) \((\S+)\)`)
	makeLogExitCode = regexp.MustCompile(`^# exit code: (\d+)$`)
)

// readMakeLog reads the kernel a build was for from its make.log header
// and whether a command in it failed: each command the reference and we
// log ends with "# exit code: N".
func readMakeLog(log string) (target string, failed bool) {
	f, err := os.Open(log)
	if err != nil {
		return "", true
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if m := makeLogHeader.FindStringSubmatch(sc.Text()); m != nil && target == "" {
			target = fmt.Sprintf(" for %s (%s)", m[1], m[2])
		}
		if m := makeLogExitCode.FindStringSubmatch(sc.Text()); m != nil && m[1] != "0" {
			failed = true
		}
	}
	return target, failed
}

// checkKernelLinks checks each DT/m/kernel-K-A: it must point at a
// version built for exactly K/A, else status and uninstall cannot use it.
func checkKernelLinks(l tree.Layout, m string) []Finding {
	ents, _ := os.ReadDir(l.Module(m))
	var out []Finding
	for _, e := range ents {
		link := filepath.Join(l.Module(m), e.Name())
		if !strings.HasPrefix(e.Name(), "kernel-") || !isLink(link) {
			continue
		}
		k, a := tree.SplitKernelArch(strings.TrimPrefix(e.Name(), "kernel-"))
		target, _ := os.Readlink(link)
		switch {
		case !fileutil.Exists(link):
			out = append(out, Finding{Kind: KernelLinkDangling, Path: link, kernel: k,
				Message: "install mark for " + k + " (" + a + ") points to " + target + ", which does not exist",
				Action:  "delete the link"})
		case l.InstalledVersion(m, k, a) == "":
			out = append(out, Finding{Kind: KernelLinkUnbuilt, Path: link, kernel: k,
				Message: "install mark for " + k + " (" + a + ") points to " + target + ", which is not a build of " + m + " for that kernel",
				Action:  "delete the link"})
		}
	}
	return out
}
