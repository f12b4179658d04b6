// Package fileutil holds small file helpers that know nothing about dkms:
// atomic writes, tree copies, hashing. They exist so that every writer in
// the program shares one careful implementation of "write to a temporary
// name, sync, rename".
package fileutil

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place, so a reader (or a run killed
// half way) sees either the old content or the new one.
func WriteAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// CopyAtomic copies src to dst the way WriteAtomic writes.
func CopyAtomic(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeAtomic(dst, perm, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

func writeAtomic(path string, perm fs.FileMode, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".dkms-tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = fill(f)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// TempPrefix is the name prefix of WriteAtomic's temporary files, so that a
// checker can recognise the leftovers of a killed run.
const TempPrefix = ".dkms-tmp-"

// SymlinkAtomic points path at target, replacing whatever link was there in
// one rename.
func SymlinkAtomic(target, path string) error {
	tmp := filepath.Join(filepath.Dir(path), TempPrefix+filepath.Base(path))
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// CopyTree copies the directory src into dst (created if needed), keeping
// file modes and modification times and recreating symlinks as links. It
// refuses to follow a symlink loop because it never follows links at all.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			if err := os.Chmod(target, info.Mode().Perm()|0o700); err != nil {
				return err
			}
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			os.Remove(target)
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			if err := copyFile(p, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return nil // devices, sockets and fifos have no place in a module source
		}
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(perm) // the mode as it was, not as the umask left it
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// HashFile returns the hex SHA-256 of the file at path.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SameContent reports whether two files hold the same bytes; a missing
// file is never the same as anything.
func SameContent(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil || sa.Size() != sb.Size() {
		return false
	}
	ba, err1 := os.ReadFile(a)
	bb, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && bytes.Equal(ba, bb)
}

// Exists reports whether path names anything, following links.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// IsDir reports whether path is a directory, following links.
func IsDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// RemoveEmptyParents removes dir and then each parent up to (not including)
// stop, for as long as they are empty.
func RemoveEmptyParents(dir, stop string) {
	stop = filepath.Clean(stop)
	for d := filepath.Clean(dir); strings.HasPrefix(d, stop+"/"); d = filepath.Dir(d) {
		if err := os.Remove(d); err != nil {
			return
		}
	}
}

// IsNotExist is errors.Is(err, fs.ErrNotExist), shortened for call sites
// that test it often.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// Subdirs lists the visible (not dot-named) directories in dir, not
// following links, in the order ReadDir gives (sorted by name).
func Subdirs(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}
