package archive

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/compress"
)

// Write archives the directory dir into w as a tar stream compressed with
// m. Entries are named "./", "./sub/", "./sub/file", as `tar -C dir -caf
// out .` names them, so either program reads the other's tarballs; they
// come in lexical order, so the same tree gives the same stream.
// Directories, regular files and symlinks are archived; anything else
// (sockets, devices, fifos) has no place in a module tree and is skipped.
func Write(w io.Writer, dir string, m compress.Method) error {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeTar(pw, dir))
	}()
	err := compress.Compress(m, w, pr)
	pr.CloseWithError(err) // unblocks writeTar if Compress stopped early
	if err != nil {
		return fmt.Errorf("archiving %s: %w", dir, err)
	}
	return nil
}

// writeTar writes the uncompressed tar stream of dir to w.
func writeTar(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return writeEntry(tw, p, filepath.ToSlash(rel), d)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// writeEntry writes the file p, at rel in the tree, as one entry.
func writeEntry(tw *tar.Writer, p, rel string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	link := ""
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	case !info.IsDir() && !info.Mode().IsRegular():
		return nil
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = entryName(rel, info.IsDir())
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	return copyFileTo(tw, p)
}

// copyFileTo appends the content of the file at p to w.
func copyFileTo(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// entryName is GNU tar's name for the file at rel: "./" for the top
// directory, "./rel/" for a directory, "./rel" for anything else.
func entryName(rel string, dir bool) string {
	switch {
	case rel == ".":
		return "./"
	case dir:
		return "./" + rel + "/"
	}
	return "./" + rel
}
