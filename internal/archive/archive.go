// Package archive writes and reads dkms tarballs: tar streams, compressed
// or not, in the layout the reference's mktarball makes (dkms-behaviour
// §3.12), in pure Go.
//
// The reference shells out to `tar -caf` and `tar -xaf`. We write the same
// kind of stream (entries named "./...", as `tar -C dir .` names them), and
// we read any tar that GNU tar would, but extraction is safe by
// construction: every file operation goes through an os.Root, and entries
// that could reach outside the extraction directory, device nodes and
// absurd sizes are refused with an *EntryError before anything is written
// for them.
package archive

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/dkms-go/dkms/internal/compress"
)

// Limits bounds what Extract accepts, so that a hostile or corrupt tarball
// cannot fill the disk or take forever. A zero field means "use the
// default".
type Limits struct {
	MaxFileSize  int64 // bytes of one regular file
	MaxTotalSize int64 // bytes of all regular files together
	MaxEntries   int   // number of entries of any kind
}

// DefaultLimits are generous for kernel module sources and builds (the
// largest known DKMS packages are a few hundred MiB) and still far below
// what would hurt a machine.
var DefaultLimits = Limits{
	MaxFileSize:  1 << 30,
	MaxTotalSize: 4 << 30,
	MaxEntries:   200000,
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	return l
}

// EntryError is the refusal of one tar entry: its name as the archive
// spells it and why it is refused. Nothing has been written for the entry.
type EntryError struct {
	Entry  string
	Reason string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("archive entry %q: %s", e.Entry, e.Reason)
}

// ErrUnsupported is returned for an archive name whose compression this
// package cannot write (.tar.bz2, .tar.lz, ...).
var ErrUnsupported = errors.New("unsupported archive compression")

// MethodFor returns the compression an archive named name gets, by its
// extension, the way `tar -a` chooses: .gz/.tgz/.taz gzip, .xz/.txz xz,
// .zst/.tzst zstd; a name with no compression extension (".tar",
// ".dkms") is written uncompressed, as GNU tar does.
func MethodFor(name string) (compress.Method, error) {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".gz", ".tgz", ".taz":
		return compress.Gzip, nil
	case ".xz", ".txz":
		return compress.XZ, nil
	case ".zst", ".tzst":
		return compress.Zstd, nil
	case ".bz2", ".tbz", ".tbz2", ".tz2", ".lz", ".lzma", ".tlz", ".lzo", ".z", ".lz4":
		return compress.None, fmt.Errorf("%w %q", ErrUnsupported, ext)
	}
	return compress.None, nil
}
