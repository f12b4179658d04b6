// Package archivetest builds tar streams for tests, including hostile ones
// that no tar program would write (".." names, escaping links, devices,
// headers that lie about their size), so that the extraction code and the
// ldtarball scripts can be fed exactly the entry they must refuse.
package archivetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dkms-go/dkms/internal/compress"
)

// Entry is one tar entry to write.
type Entry struct {
	Name string
	Type byte // a tar.Type* constant; 0 means a regular file
	Body string
	Link string // symlink or hard link target
	// Lie, when positive, is the size the header claims instead of
	// len(Body); the stream ends right after that header.
	Lie int64
}

// Tar returns the uncompressed tar stream of entries.
func Tar(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: 0o644,
			Size: int64(len(e.Body)), ModTime: time.Unix(1700000000, 0), Format: tar.FormatGNU}
		switch e.Type {
		case 0:
			hdr.Typeflag = tar.TypeReg
		case tar.TypeDir:
			hdr.Mode, hdr.Size = 0o755, 0
		case tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			hdr.Size = 0
		}
		if e.Lie > 0 {
			hdr.Size = e.Lie
			if err := tw.WriteHeader(hdr); err != nil {
				return nil, err
			}
			return buf.Bytes(), nil // no data and no end blocks: a truncated stream
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(e.Body)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Compressed returns data compressed as the file name out implies
// (.gz, .xz, .zst; anything else stays plain).
func Compressed(out string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := compress.Compress(compress.FromName(out), &buf, bytes.NewReader(data)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FromDir lists the tree at dir as entries named "./rel", as `tar -C dir
// .` would, following no links.
func FromDir(dir string) ([]Entry, error) {
	var out []Entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		e := Entry{Name: "./" + filepath.ToSlash(rel)}
		switch {
		case d.IsDir():
			e.Type, e.Name = tar.TypeDir, e.Name+"/"
		case d.Type()&fs.ModeSymlink != 0:
			e.Type = tar.TypeSymlink
			e.Link, err = os.Readlink(p)
		default:
			var b []byte
			b, err = os.ReadFile(p)
			e.Body = string(b)
		}
		out = append(out, e)
		return err
	})
	return out, err
}

// Parse reads one entry spec of the form KIND:NAME or KIND:NAME=VALUE:
// file:NAME=CONTENT, dir:NAME, symlink:NAME=TARGET, link:NAME=TARGET
// (hard link), char:NAME, block:NAME, fifo:NAME, and huge:NAME=SIZE (a
// header claiming SIZE bytes, with nothing after it).
func Parse(spec string) (Entry, error) {
	kind, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return Entry{}, fmt.Errorf("entry %q: want KIND:NAME[=VALUE]", spec)
	}
	name, val, _ := strings.Cut(rest, "=")
	e := Entry{Name: name}
	switch kind {
	case "file":
		e.Body = val
	case "dir":
		e.Type = tar.TypeDir
	case "symlink":
		e.Type, e.Link = tar.TypeSymlink, val
	case "link":
		e.Type, e.Link = tar.TypeLink, val
	case "char", "block", "fifo":
		e.Type = map[string]byte{"char": tar.TypeChar, "block": tar.TypeBlock, "fifo": tar.TypeFifo}[kind]
	case "huge":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n <= 0 {
			return Entry{}, fmt.Errorf("entry %q: bad size", spec)
		}
		e.Lie = n
	default:
		return Entry{}, fmt.Errorf("entry %q: unknown kind %q", spec, kind)
	}
	return e, nil
}
