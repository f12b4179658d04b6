package archive

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/dkms-go/dkms/internal/compress"
)

// maxNameLen bounds entry names and link targets: PATH_MAX on Linux. A
// longer name cannot be a real file of a module tree, and a megabyte-long
// one would make thousands of nested directories.
const maxNameLen = 4096

// ExtractFile extracts the tarball at file into dir, like Extract.
func ExtractFile(file, dir string, lim Limits) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return Extract(f, dir, lim)
}

// Extract reads a tar stream from r and recreates its directories, regular
// files, symlinks and hard links under dir, which must exist. Like `tar
// -xaf`, it tells gzip, xz, zstd, bzip2 and plain tar apart by their magic
// numbers, whatever the file is called.
//
// Nothing is ever written outside dir: every operation goes through an
// os.Root, and an entry with an absolute name, a ".." component, a symlink
// or hard link leading outside dir, a device or fifo type, or a size over
// lim is refused with an *EntryError. Ownership is not restored and
// set-id bits are dropped. On error dir may hold part of the archive
// (but no escaping symlink); the caller removes it.
func Extract(r io.Reader, dir string, lim Limits) error {
	tr, dec, err := openStream(r)
	if err != nil {
		return err
	}
	defer dec.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extractor{root: root, lim: lim.withDefaults(), links: map[string]string{}}
	err = x.extractAll(tr)
	// Even a failed extraction must not leave an escaping link behind.
	if lerr := x.checkLinks(); err == nil {
		err = lerr
	}
	return err
}

// extractAll extracts every entry of tr.
func (x *extractor) extractAll(tr *tar.Reader) error {
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading archive: %w", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return err
		}
	}
}

// openStream returns a tar reader over r, decompressed as its first bytes
// say, and the decompressor to close when done.
//
// TODO: an xz header can ask for a dictionary of up to 4 GiB, which the
// xz decoder allocates without a memory limit (see package compress); the
// size limits here bound what is written, not that allocation.
func openStream(r io.Reader) (*tar.Reader, io.Closer, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(6) // a shorter stream is a plain (and broken) tar
	if strings.HasPrefix(string(head), "BZh") {
		return tar.NewReader(bzip2.NewReader(br)), io.NopCloser(nil), nil
	}
	dec, err := compress.Decompress(compress.Sniff(head), br)
	if err != nil {
		return nil, nil, fmt.Errorf("reading archive: %w", err)
	}
	return tar.NewReader(dec), dec, nil
}

// extractor is the state of one extraction: the root every write goes
// through, the limits and what has been counted against them, and the
// symlinks made so far (name in the root → name in the archive), checked
// again at the end because a later entry can change where an earlier
// link leads.
type extractor struct {
	root  *os.Root
	lim   Limits
	count int
	total int64
	links map[string]string
}

// entry checks and extracts one tar entry.
func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	x.count++
	if x.count > x.lim.MaxEntries {
		return &EntryError{hdr.Name, fmt.Sprintf("more than %d entries in the archive", x.lim.MaxEntries)}
	}
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // pax global metadata, not a file
	}
	name, reason := localName(hdr.Name)
	if reason != "" {
		return &EntryError{hdr.Name, reason}
	}
	if name == "." && hdr.Typeflag != tar.TypeDir {
		return &EntryError{hdr.Name, "entry would replace the extraction directory itself"}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.mkdir(name, hdr)
	case tar.TypeReg:
		return x.file(name, hdr, r)
	case tar.TypeSymlink:
		return x.symlink(name, hdr)
	case tar.TypeLink:
		return x.hardlink(name, hdr)
	case tar.TypeChar, tar.TypeBlock:
		return &EntryError{hdr.Name, "device files are not allowed in a dkms tarball"}
	case tar.TypeFifo:
		return &EntryError{hdr.Name, "fifos are not allowed in a dkms tarball"}
	}
	return &EntryError{hdr.Name, fmt.Sprintf("unsupported entry type %q", hdr.Typeflag)}
}

// localName turns an entry name into a clean slash path relative to the
// root, or says why it cannot be one. GNU tar strips a leading "/" and
// skips members with "..", then carries on; we refuse the whole archive,
// since a dkms tarball never holds such names.
func localName(name string) (string, string) {
	switch {
	case name == "":
		return "", "empty name"
	case len(name) > maxNameLen:
		return "", fmt.Sprintf("name longer than %d bytes", maxNameLen)
	case strings.HasPrefix(name, "/"):
		return "", "absolute path"
	case strings.ContainsRune(name, 0):
		return "", "NUL byte in name"
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", `".." path component`
		}
	}
	return path.Clean(name), ""
}

// mkdir creates a directory entry (and its parents). The owner always
// keeps full access, so the rest of the archive can be written and the
// tree removed later.
func (x *extractor) mkdir(name string, hdr *tar.Header) error {
	if err := x.root.MkdirAll(name, fs.FileMode(hdr.Mode)&0o777|0o700); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	return nil
}

// file writes a regular file entry after checking its size against the
// limits; the tar reader never yields more than the header's size.
func (x *extractor) file(name string, hdr *tar.Header, r io.Reader) error {
	if hdr.Size > x.lim.MaxFileSize {
		return &EntryError{hdr.Name, fmt.Sprintf("size %d bytes exceeds the limit of %d bytes per file", hdr.Size, x.lim.MaxFileSize)}
	}
	if hdr.Size > x.lim.MaxTotalSize-x.total {
		return &EntryError{hdr.Name, fmt.Sprintf("archive content exceeds the limit of %d bytes in all", x.lim.MaxTotalSize)}
	}
	x.total += hdr.Size
	if err := x.clear(name); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	if err := x.writeFile(name, fs.FileMode(hdr.Mode)&0o777|0o600, r); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	if err := x.root.Chtimes(name, hdr.ModTime, hdr.ModTime); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	return nil
}

// writeFile creates name, which clear has made sure does not exist (so
// O_EXCL never follows a link someone put there), and fills it from r.
func (x *extractor) writeFile(name string, perm fs.FileMode, r io.Reader) error {
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// clear makes the parent directory of name and removes whatever an
// earlier entry put at name, as tar replaces files it extracts twice. A
// non-empty directory in the way is an error.
func (x *extractor) clear(name string) error {
	if dir := path.Dir(name); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if _, err := x.root.Lstat(name); err == nil {
		return x.root.Remove(name)
	}
	return nil
}

// symlink creates a symlink entry whose target, read relative to the
// link's directory, stays inside the root.
func (x *extractor) symlink(name string, hdr *tar.Header) error {
	if reason := symlinkReason(name, hdr.Linkname); reason != "" {
		return &EntryError{hdr.Name, reason}
	}
	if err := x.clear(name); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	if err := x.root.Symlink(hdr.Linkname, name); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	x.links[name] = hdr.Name
	return x.checkLink(name)
}

// symlinkReason says why a symlink target is refused by its text alone:
// absolute, or climbing above the root.
func symlinkReason(name, target string) string {
	switch {
	case target == "":
		return "symlink with an empty target"
	case len(target) > maxNameLen:
		return fmt.Sprintf("symlink target longer than %d bytes", maxNameLen)
	case strings.HasPrefix(target, "/"):
		return fmt.Sprintf("symlink to absolute path %q", target)
	case !filepath.IsLocal(path.Join(path.Dir(name), target)):
		return fmt.Sprintf("symlink target %q escapes the extraction directory", target)
	}
	return ""
}

// checkLink resolves a symlink made by this extraction through the root:
// the text check cannot see links that climb through other links
// ("a -> ." then "b -> a/.."). An escaping or looping link is removed and
// refused; one that dangles inside the root is allowed.
func (x *extractor) checkLink(name string) error {
	fi, err := x.root.Lstat(name)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil // replaced by a later entry
	}
	_, err = x.root.Stat(name)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	target, _ := x.root.Readlink(name)
	x.root.Remove(name)
	if errors.Is(err, syscall.ELOOP) {
		return &EntryError{x.links[name], fmt.Sprintf("symlink target %q loops", target)}
	}
	return &EntryError{x.links[name], fmt.Sprintf("symlink target %q escapes the extraction directory", target)}
}

// checkLinks checks every symlink again once all entries are in,
// removing each bad one, and returns the first refusal.
func (x *extractor) checkLinks() error {
	names := make([]string, 0, len(x.links))
	for name := range x.links {
		names = append(names, name)
	}
	slices.Sort(names)
	var first error
	for _, name := range names {
		if err := x.checkLink(name); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// hardlink creates a hard link entry to a regular file extracted earlier.
// Tar names hard link targets from the archive's top, not the link's
// directory.
func (x *extractor) hardlink(name string, hdr *tar.Header) error {
	target, reason := localName(hdr.Linkname)
	if reason != "" {
		return &EntryError{hdr.Name, fmt.Sprintf("hard link target %q: %s", hdr.Linkname, reason)}
	}
	fi, err := x.root.Lstat(target)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return &EntryError{hdr.Name, fmt.Sprintf("hard link target %q escapes the extraction directory", hdr.Linkname)}
	case err != nil:
		return &EntryError{hdr.Name, fmt.Sprintf("hard link target %q is not in the archive", hdr.Linkname)}
	case !fi.Mode().IsRegular():
		return &EntryError{hdr.Name, fmt.Sprintf("hard link target %q is not a regular file", hdr.Linkname)}
	case target == name:
		return &EntryError{hdr.Name, "hard link to itself"}
	}
	if err := x.clear(name); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	if err := x.root.Link(target, name); err != nil {
		return fmt.Errorf("extracting %s: %w", hdr.Name, err)
	}
	return nil
}
