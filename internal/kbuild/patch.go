package kbuild

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
)

// PatchError is a patch problem; Kind tells which.
type PatchError struct {
	Kind  PatchProblem
	Patch string
	Dir   string // the patches directory
	Log   string
}

// PatchProblem enumerates what can be wrong with a patch.
type PatchProblem int

const (
	PatchDotDot  PatchProblem = iota // the name has a ".." component: exit 5
	PatchMissing                     // the file is not in patches/: exit 5
	PatchFailed                      // patch(1) failed: exit 6
)

func (e *PatchError) Error() string {
	switch e.Kind {
	case PatchDotDot:
		return "patch " + e.Patch + " contains a '..' path component"
	case PatchMissing:
		return "patch " + e.Patch + " not found in " + e.Dir
	}
	return "patch " + e.Patch + " did not apply"
}

// patch applies each patch with -p1 from the build directory's patches/,
// in order, logging to make.log (§7.8).
func (b *Builder) patch(ctx context.Context, patches []string, dir, log string) error {
	pdir := filepath.Join(dir, "patches")
	for _, p := range patches {
		if hasDotDot(p) {
			return &PatchError{Kind: PatchDotDot, Patch: p}
		}
		if !fileutil.Exists(filepath.Join(pdir, p)) {
			return &PatchError{Kind: PatchMissing, Patch: p, Dir: pdir + "/"}
		}
		cmd := "patch -p1 < ./patches/" + p
		if err := b.Inv.Invoke(ctx, "Applying patch "+p, cmd, dir, log, false); err != nil {
			return &PatchError{Kind: PatchFailed, Patch: p, Log: log}
		}
	}
	return nil
}

// hasDotDot is the reference's test, `patches/<p>` containing "/../";
// it is enough to keep a patch name from leaving the build directory.
func hasDotDot(p string) bool {
	return strings.Contains("patches/"+p, "/../")
}
