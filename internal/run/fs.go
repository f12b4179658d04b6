package run

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/dkms-go/dkms/internal/fileutil"
)

// The methods below are the file side effects of dkms. Each records one
// Step before acting, so the kill-point harness can stop a run between any
// two of them.

// MkdirAll creates dir and its parents.
func (r *Runner) MkdirAll(dir string) error {
	r.Step("mkdir " + dir)
	return os.MkdirAll(dir, 0o755)
}

// WriteFile writes path atomically (temporary name, sync, rename).
func (r *Runner) WriteFile(path string, data []byte, perm fs.FileMode) error {
	r.Step("write " + path)
	return fileutil.WriteAtomic(path, data, perm)
}

// CopyFile copies src to dst atomically.
func (r *Runner) CopyFile(src, dst string, perm fs.FileMode) error {
	r.Step("copy " + src + " " + dst)
	return fileutil.CopyAtomic(src, dst, perm)
}

// CopyTree copies a directory tree; it is not atomic by itself: callers
// copy into a staging name and Rename it.
func (r *Runner) CopyTree(src, dst string) error {
	r.Step("copytree " + src + " " + dst)
	return fileutil.CopyTree(src, dst)
}

// Rename moves oldpath to newpath in one step.
func (r *Runner) Rename(oldpath, newpath string) error {
	r.Step("rename " + oldpath + " " + newpath)
	return os.Rename(oldpath, newpath)
}

// Move renames the file oldpath to newpath like Rename; where the two are
// on different file systems (EXDEV), it copies oldpath to newpath
// atomically and then removes oldpath, as mv(1) does. Either way it is
// one side effect, and a failed copy leaves oldpath as it was.
func (r *Runner) Move(oldpath, newpath string) error {
	r.Step("rename " + oldpath + " " + newpath)
	err := os.Rename(oldpath, newpath)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	st, err := os.Lstat(oldpath)
	if err != nil {
		return err
	}
	if err := fileutil.CopyAtomic(oldpath, newpath, st.Mode().Perm()); err != nil {
		return err
	}
	return os.Remove(oldpath)
}

// Remove deletes one file or empty directory; a missing one is no error.
func (r *Runner) Remove(path string) error {
	r.Step("remove " + path)
	if err := os.Remove(path); err != nil && !fileutil.IsNotExist(err) {
		return err
	}
	return nil
}

// RemoveAll deletes a tree.
func (r *Runner) RemoveAll(path string) error {
	r.Step("removeall " + path)
	return os.RemoveAll(path)
}

// Symlink points path at target, replacing an existing link atomically.
func (r *Runner) Symlink(target, path string) error {
	r.Step("symlink " + path + " -> " + target)
	return fileutil.SymlinkAtomic(target, path)
}

// RemoveTree deletes dir so that it vanishes in one step: it is renamed
// to a hidden temporary name first (fileutil.TempPrefix + "rm-"), which
// status never shows and the next run's recovery finishes deleting if
// this one is killed.
func (r *Runner) RemoveTree(dir string) error {
	tmp := filepath.Join(filepath.Dir(dir), fileutil.TempPrefix+"rm-"+filepath.Base(dir))
	if err := r.RemoveAll(tmp); err != nil {
		return err
	}
	if err := r.Rename(dir, tmp); err != nil {
		return err
	}
	return r.RemoveAll(tmp)
}
