package kbuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/compress"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
)

// stage finishes each built module (strip, sign, compress) into a staging
// directory DT/m/v/K/.tmp_<A>_XXXXXX and renames it to DT/m/v/K/A, so the
// built state appears whole or not at all.
func (b *Builder) stage(ctx context.Context, job Job, dir string) error {
	r := b.Inv.Runner
	kdir := filepath.Join(b.Layout.Version(job.Module, job.Version), job.Kernel)
	if err := r.MkdirAll(kdir); err != nil {
		return err
	}
	r.Step("mkdtemp " + kdir)
	tmp, err := os.MkdirTemp(kdir, ".tmp_"+job.Arch+"_")
	if err != nil {
		return fmt.Errorf("creating staging directory: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up on failure
	for _, sub := range []string{"log", "module"} {
		if err := os.Mkdir(filepath.Join(tmp, sub), 0o755); err != nil {
			return err
		}
	}
	if sym := filepath.Join(dir, "Module.symvers"); fileutil.Exists(sym) {
		if err := r.CopyFile(sym, filepath.Join(tmp, "module", "Module.symvers"), 0o644); err != nil {
			return err
		}
	}
	for _, m := range job.Modules {
		if err := b.finish(ctx, job, m, dir, filepath.Join(tmp, "module")); err != nil {
			return err
		}
	}
	for name, data := range job.Extra {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := r.Rename(tmp, b.Layout.Built(job.Module, job.Version, job.Kernel, job.Arch)); err != nil {
		return &StageError{Err: err, Final: true}
	}
	return nil
}

// finish strips, signs and compresses one module into the staging module
// directory under its destination name.
func (b *Builder) finish(ctx context.Context, job Job, m Module, dir, out string) error {
	r := b.Inv.Runner
	src := filepath.Join(dir, m.BuiltLocation, m.BuiltName+".ko")
	if m.Strip && job.StripTool != "" {
		r.Run(ctx, run.Cmd{Path: job.StripTool, Args: []string{"-g", src}, Env: b.Inv.Env})
	}
	if job.Sign != nil {
		fmt.Fprintf(b.Inv.Out, "Signing module %s\n", src)
		if err := job.Sign(ctx, src); err != nil && b.Warn != nil {
			b.Warn("Failed to sign module '"+src+"'!", signFailure(err))
		}
	}
	dst := filepath.Join(out, m.DestName+".ko"+job.CompressExt)
	if job.CompressExt == "" {
		return r.CopyFile(src, dst, 0o644)
	}
	r.Step("compress " + dst)
	if err := b.compressFile(ctx, src, dst, compress.FromName(dst)); err != nil {
		// Like the reference, fall back to the uncompressed module.
		os.Remove(dst)
		return r.CopyFile(src, filepath.Join(out, m.DestName+".ko"), 0o644)
	}
	return nil
}

func (b *Builder) compressFile(ctx context.Context, src, dst string, m compress.Method) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = b.Compressor.Compress(ctx, m, out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// StageError is a failure to finish the built modules into the tree
// (exit 7, as the reference's "Missing module" and "final mv failed"):
// Final is the last rename.
type StageError struct {
	Err   error
	Final bool
}

func (e *StageError) Error() string {
	if e.Final {
		return "do_build: final mv failed: " + e.Err.Error()
	}
	return "staging the built modules: " + e.Err.Error()
}
func (e *StageError) Unwrap() error { return e.Err }

// signFailure is the second line of the signing warning: what an external
// signing tool printed, as the reference shows it (possibly nothing), or
// our own error.
func signFailure(err error) string {
	var ee *run.ExitError
	if errors.As(err, &ee) {
		return strings.TrimRight(ee.Output, "\n")
	}
	return err.Error()
}
