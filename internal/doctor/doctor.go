// Package doctor finds what is wrong with a dkms tree and repairs what can
// be repaired without guessing.
//
// It understands trees made by the reference dkms as well as ours: the
// reference's "broken" modules (§3.8), its half-made adds and failed
// builds, its installs (which have no manifest) and its original-module
// archive. Check only reads; Fix makes every change through the install
// package's Runner, so --verbose, tracing and the kill-point harness see
// it like any other side effect.
package doctor

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dkms-go/dkms/internal/tree"
)

// Kind is the stable code of a finding; scripts match on it, so a Kind
// is never renamed.
type Kind string

// The kinds of finding, in the order a reader meets them in a tree.
const (
	SourceDangling     Kind = "source-dangling"      // DT/m/v/source points to nothing (reference: broken)
	SourceNotLink      Kind = "source-not-link"      // DT/m/v/source is not a link while ST/m-v exists (reference: broken)
	NoSource           Kind = "no-source"            // DT/m/v without source and without ST/m-v: a half-made add
	FailedBuild        Kind = "failed-build"         // DT/m/v/build/make.log with a failed command: a build that failed
	InterruptedBuild   Kind = "interrupted-build"    // DT/m/v/build/make.log with no failed command: a build that was killed
	TempLeftover       Kind = "temp-leftover"        // .tmp_* staging or .dkms-tmp-* names of a killed run
	KernelLinkDangling Kind = "kernel-link-dangling" // DT/m/kernel-K-A points to nothing
	KernelLinkUnbuilt  Kind = "kernel-link-unbuilt"  // DT/m/kernel-K-A points to something not built for K/A
	InterruptedInstall Kind = "interrupted-install"  // a manifest whose kernel link does not point at its version
	ManifestUnreadable Kind = "manifest-unreadable"  // a manifest that is not valid JSON
	InstalledMissing   Kind = "installed-missing"    // a file a manifest lists is gone
	InstalledChanged   Kind = "installed-changed"    // a file a manifest lists has other content
	UnmanagedModule    Kind = "unmanaged-module"     // a dkms-looking module in no manifest
	OriginalNoOrigin   Kind = "original-no-origin"   // an archived original without its .origin note
	OriginalBadOrigin  Kind = "original-bad-origin"  // a .origin note naming a path outside IT/K
	StaleLock          Kind = "stale-lock"           // lock holder text of a process that is gone
	DepmodPending      Kind = "depmod-pending"       // DT/depmod-pending-K-A of a run that died before depmod
)

// Finding is one problem in the trees. Action says what Fix would do or,
// when NeedsPerson is set, what a person should do instead.
type Finding struct {
	Kind        Kind   `json:"kind"`
	Path        string `json:"path"`
	Message     string `json:"message"`
	Action      string `json:"action"`
	NeedsPerson bool   `json:"needs_person"`

	// What Fix needs, worked out by Check so that Fix does not guess.
	target string         // the link target to make, or the built file to copy back
	kernel string         // the kernel whose install tree a fix changes
	adopt  *tree.Manifest // the manifest that adopts a reference install
}

// Check examines the trees of l and returns what it finds, sorted by path
// and kind. It only reads. Modules are looked for in tree.ModuleLocations and
// in extraLocations (such as ADDON_MODULES_DIR), relative to IT/K.
func Check(l tree.Layout, extraLocations ...string) []Finding {
	var out []Finding
	for _, m := range l.Modules() {
		for _, v := range versions(l, m) {
			out = append(out, checkVersion(l, m, v)...)
		}
		out = append(out, checkKernelLinks(l, m)...)
		out = append(out, checkOriginals(l, m)...)
	}
	out = append(out, checkManifests(l)...)
	out = append(out, checkUnmanaged(l, append(append([]string(nil), tree.ModuleLocations...), extraLocations...))...)
	out = append(out, checkTemps(l, extraLocations)...)
	out = append(out, checkLock(l)...)
	out = append(out, checkDepmodMarkers(l)...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// versions lists the version directories of m, without the original-module
// archive, which tree.Versions keeps because the reference's glob does.
func versions(l tree.Layout, m string) []string {
	var out []string
	for _, v := range l.Versions(m) {
		if v != "original_module" {
			out = append(out, v)
		}
	}
	return out
}

// isLink reports whether path is a symbolic link, without following it.
func isLink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}

// under reports whether path lies strictly inside dir, lexically.
func under(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel)
}
