// Package kbuild turns a module's source into finished module files for one
// kernel: it prepares the build directory, applies patches, runs the
// PRE_BUILD script, make and POST_BUILD with a make.log as the reference
// writes it, then strips, signs and compresses each module and commits the
// result into the tree with one rename.
package kbuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dkms-go/dkms/internal/compress"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// Module is one module a package builds.
type Module struct {
	BuiltName, BuiltLocation string // BUILT_MODULE_NAME / _LOCATION
	DestName                 string // DEST_MODULE_NAME
	Strip                    bool
}

// Job is one build of module/version for kernel/arch.
type Job struct {
	Module, Version, Kernel, Arch string
	Release                       string // program release for the make.log header
	MakeCmd                       string // from MakeCommand
	Patches                       []string
	PreBuild, PostBuild           string
	Modules                       []Module
	StripTool                     string // "strip" or "llvm-strip"
	// Sign signs one built module in place; nil leaves modules unsigned.
	Sign func(ctx context.Context, path string) error
	// CompressExt is "", ".gz", ".xz" or ".zst".
	CompressExt string
	// Extra files written into DT/m/v/K/A with the build (name -> content),
	// committed by the same rename.
	Extra map[string][]byte
	// Overrides is the module's override directory, /etc/dkms/<module>
	// (dkms 3.4): its patches/ are laid over the build's, and an
	// executable there named by a PRE_BUILD or POST_BUILD value is run
	// instead of the source's. Empty for none.
	Overrides string
}

// Builder runs jobs against a tree.
type Builder struct {
	Layout tree.Layout
	Inv    *Invoker
	Now    func() time.Time
	Warn   func(lines ...string) // prints a "Warning:" block
	// Compressor compresses built modules: xz(1) when the CLI found it,
	// as the reference does, else natively.
	Compressor compress.Compressor
}

// Build runs job and commits DT/m/v/K/A. On a make or script failure the
// build directory stays, with its make.log, for troubleshooting.
func (b *Builder) Build(ctx context.Context, job Job) error {
	l := b.Layout
	dir := l.BuildDir(job.Module, job.Version)
	if err := b.prepare(job, dir); err != nil {
		return &PrepareError{Err: err}
	}
	log := filepath.Join(dir, "make.log")
	if err := b.compile(ctx, job, dir, log); err != nil {
		return err
	}
	for _, m := range job.Modules {
		p := filepath.Join(dir, m.BuiltLocation, m.BuiltName+".ko")
		if !fileutil.Exists(p) {
			return &BuiltMissingError{Path: m.BuiltLocation + m.BuiltName + ".ko", Kernel: job.Kernel, Arch: job.Arch, Log: log}
		}
	}
	if err := b.stage(ctx, job, dir); err != nil {
		var se *StageError
		if !errors.As(err, &se) {
			err = &StageError{Err: err}
		}
		return err
	}
	if err := b.script(ctx, "post_build", job.PostBuild, dir, job.Overrides, log); err != nil {
		return err
	}
	// The build is committed: like the reference, keeping its make.log
	// is best effort (a full file system cannot fail a finished build).
	final := filepath.Join(l.Built(job.Module, job.Version, job.Kernel, job.Arch), "log", "make.log")
	b.Inv.Runner.Move(log, final)
	return clearDir(b.Inv.Runner, dir)
}

// clearDir removes the build directory dir, or only what it holds when it
// is a mount point (a build directory on a file system of its own), which
// cannot be removed.
func clearDir(r *run.Runner, dir string) error {
	if err := r.RemoveAll(dir); err != nil && !errors.Is(err, syscall.EBUSY) {
		return err
	}
	return nil
}

// prepare replaces the build directory with a fresh copy of the source and
// starts make.log.
func (b *Builder) prepare(job Job, dir string) error {
	r := b.Inv.Runner
	src, err := filepath.EvalSymlinks(b.Layout.SourceLink(job.Module, job.Version))
	if err != nil {
		return fmt.Errorf("resolving module source: %w", err)
	}
	if err := clearDir(r, dir); err != nil {
		return fmt.Errorf("cleaning build directory: %w", err)
	}
	if err := r.CopyTree(src, dir); err != nil {
		return fmt.Errorf("copying %s to %s: %w", src, dir, err)
	}
	// The override directory's patches join the source's, replacing
	// those of the same path (cp -a, as the reference).
	if p := filepath.Join(job.Overrides, "patches"); job.Overrides != "" && fileutil.IsDir(p) {
		if err := r.CopyTree(p, filepath.Join(dir, "patches")); err != nil {
			return fmt.Errorf("copying %s to %s: %w", p, filepath.Join(dir, "patches"), err)
		}
	}
	head := fmt.Sprintf("DKMS (%s) make.log for %s/%s for kernel %s (%s)\n%s\n",
		job.Release, job.Module, job.Version, job.Kernel, job.Arch, b.now().Format("Mon Jan _2 15:04:05 MST 2006"))
	return os.WriteFile(filepath.Join(dir, "make.log"), []byte(head), 0o644)
}

// compile applies the patches, runs PRE_BUILD and make.
func (b *Builder) compile(ctx context.Context, job Job, dir, log string) error {
	if err := b.patch(ctx, job.Patches, dir, log); err != nil {
		return err
	}
	if err := b.script(ctx, "pre_build", job.PreBuild, dir, job.Overrides, log); err != nil {
		return err
	}
	err := b.Inv.Invoke(ctx, "Building module(s)", job.MakeCmd, dir, log, false)
	if err != nil {
		return &MakeError{Kernel: job.Kernel, Arch: job.Arch, Log: log, Err: err, NoSpace: noSpace(log, dir)}
	}
	return nil
}

// noSpace explains a make that failed for want of space: the first line
// of its make.log that says so (the compiler names the file it could not
// write), or, when the log could not take it, a line naming the build
// directory if its file system is full; "" otherwise.
func noSpace(log, dir string) string {
	if b, err := os.ReadFile(log); err == nil {
		for line := range strings.Lines(string(b)) {
			if strings.Contains(line, "No space left on device") {
				return strings.TrimSpace(line)
			}
		}
	}
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) == nil && (st.Bfree == 0 || st.Ffree == 0) {
		return "No space left on device: the file system holding " + dir + " is full."
	}
	return ""
}

func (b *Builder) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// MakeError is make's failure: the reference's exit 10. NoSpace, when
// set, is why: a line saying which file system was full.
type MakeError struct {
	Kernel, Arch, Log string
	Err               error
	NoSpace           string
}

func (e *MakeError) Error() string { return "make failed for " + e.Kernel + ": " + e.Err.Error() }
func (e *MakeError) Unwrap() error { return e.Err }

// PrepareError is a build directory that could not be prepared (the
// source copied, make.log started): the build fails before make, with
// make's status (10), where the reference's unchecked copy would have
// made make fail.
type PrepareError struct{ Err error }

func (e *PrepareError) Error() string { return "preparing the build: " + e.Err.Error() }
func (e *PrepareError) Unwrap() error { return e.Err }

// BuiltMissingError is a module make did not produce: exit 7.
type BuiltMissingError struct{ Path, Kernel, Arch, Log string }

func (e *BuiltMissingError) Error() string { return "build of " + e.Path + " failed for " + e.Kernel }

// ScriptError is a PRE_BUILD or POST_BUILD failure; dkms exits with the
// script's own status.
type ScriptError struct {
	Type, Log string
	Code      int
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("%s script failed with status %d", e.Type, e.Code)
}

// ErrNotExecutable marks a script that is not executable (a warning only).
var ErrNotExecutable = errors.New("script is not executable")
