// Package compress compresses and decompresses kernel modules with gzip, xz
// and zstd, in pure Go, with parameters the kernel's module loader and kmod
// accept.
//
// The reference dkms runs `gzip -f`, `xz --check=crc32 --lzma2=dict=1MiB -f`
// and `zstd -q --rm -T0 -f` (its compress_*_opts defaults). A Compressor
// can be handed such a program as a Tool (dkms does so for xz, whose
// native encoder makes larger files); the package itself never runs one.
// The native output is not byte-identical to those tools (different match
// finders), but it has the same format parameters, which are what the
// kernel checks:
//
//   - gzip: level 6 (the gzip CLI default, used by both dkms and kbuild's
//     `gzip -n -f`), no file name and no timestamp like `gzip -n`, so builds
//     are reproducible; OS byte Unix like the CLI.
//   - xz: CRC32 check and a 1 MiB LZMA2 dictionary, as kbuild and dkms pass:
//     the in-kernel XZ decoder (CONFIG_MODULE_DECOMPRESS) knows no CRC64 and
//     preallocates for small dictionaries; a CRC64 .ko.xz does not load.
//     The encoder is our compress/xz (binary tree, optimal parse: within
//     about 1% of xz -6's size); ulikunitz/xz decodes.
//   - zstd: the CLI's default level 3 (klauspost SpeedDefault), frame content
//     size in the header and a content checksum, as the CLI writes for a
//     regular file; window at most 2 MiB (level 3's windowLog 21), so the
//     decoder needs no more memory than for a CLI-made file.
package compress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Method names a module compression by its file extension without the dot,
// as dkms stores it; None is an uncompressed module.
type Method string

// The supported methods.
const (
	None Method = ""
	Gzip Method = "gz"
	XZ   Method = "xz"
	Zstd Method = "zst"
)

// Methods lists every method, None first, in the reference's preference
// order (a kernel with .ko.gz, .ko.xz and .ko.zst modules gets zst).
var Methods = []Method{None, Gzip, XZ, Zstd}

// ErrUnknownMethod is returned for a Method value outside Methods.
var ErrUnknownMethod = errors.New("unknown compression method")

// Ext returns the file name suffix for m: "", ".gz", ".xz" or ".zst".
func (m Method) Ext() string {
	if m == None {
		return ""
	}
	return "." + string(m)
}

// String returns the method's name for messages ("none" for None).
func (m Method) String() string {
	if m == None {
		return "none"
	}
	return string(m)
}

// FromName returns the method a module file name implies by its extension
// (foo.ko.gz, foo.ko.xz, foo.ko.zst), None for anything else.
func FromName(path string) Method {
	switch filepath.Ext(path) {
	case ".gz":
		return Gzip
	case ".xz":
		return XZ
	case ".zst":
		return Zstd
	}
	return None
}

// Parse accepts a method as an extension with or without the dot, or as
// the tool name ("gzip", "zstd"); "" and "none" are None.
func Parse(s string) (Method, error) {
	switch strings.TrimPrefix(strings.ToLower(s), ".") {
	case "", "none":
		return None, nil
	case "gz", "gzip":
		return Gzip, nil
	case "xz":
		return XZ, nil
	case "zst", "zstd":
		return Zstd, nil
	}
	return None, fmt.Errorf("%w %q", ErrUnknownMethod, s)
}

// Sniff returns the method whose magic number starts data (at least 6
// bytes are needed to tell xz), None if none matches.
func Sniff(data []byte) Method {
	switch {
	case strings.HasPrefix(string(data), "\x1f\x8b"):
		return Gzip
	case strings.HasPrefix(string(data), "\xfd7zXZ\x00"):
		return XZ
	case strings.HasPrefix(string(data), "\x28\xb5\x2f\xfd"):
		return Zstd
	}
	return None
}

// Compress writes src compressed with m to dst. dst is not closed. For
// zstd the content size must be known up front; it is taken from src when
// src reports it (*os.File, *bytes.Reader, *bytes.Buffer, *strings.Reader),
// otherwise src is read into memory first.
func Compress(m Method, dst io.Writer, src io.Reader) error {
	var err error
	switch m {
	case None:
		_, err = io.Copy(dst, src)
	case Gzip:
		err = compressGzip(dst, src)
	case XZ:
		err = compressXZ(dst, src)
	case Zstd:
		err = compressZstd(dst, src)
	default:
		return fmt.Errorf("compressing: %w %q", ErrUnknownMethod, string(m))
	}
	if err != nil {
		return fmt.Errorf("compressing with %s: %w", m, err)
	}
	return nil
}

// Decompress returns a reader of r's data decompressed with m, which also
// verifies the format's checksum when it reaches the end (a truncated or
// corrupt file fails on Read, not silently). Closing it releases decoder
// resources; it does not close r.
func Decompress(m Method, r io.Reader) (io.ReadCloser, error) {
	var (
		rc  io.ReadCloser
		err error
	)
	switch m {
	case None:
		return io.NopCloser(r), nil
	case Gzip:
		rc, err = decompressGzip(r)
	case XZ:
		rc, err = decompressXZ(r)
	case Zstd:
		rc, err = decompressZstd(r)
	default:
		return nil, fmt.Errorf("decompressing: %w %q", ErrUnknownMethod, string(m))
	}
	if err != nil {
		return nil, fmt.Errorf("decompressing %s: %w", m, err)
	}
	return rc, nil
}

// Tool compresses src into dst with an external program. This package
// never runs programs: the caller builds a Tool on its own command runner.
type Tool func(ctx context.Context, dst io.Writer, src io.Reader) error

// Compressor compresses each method with its Tool when it has one, as the
// reference dkms runs xz(1), and with the native encoder otherwise. The
// zero value is all native.
type Compressor struct {
	Tools map[Method]Tool
}

// Compress writes src compressed with m to dst, like the package's
// Compress but through m's Tool when there is one.
func (c Compressor) Compress(ctx context.Context, m Method, dst io.Writer, src io.Reader) error {
	tool := c.Tools[m]
	if tool == nil {
		return Compress(m, dst, src)
	}
	if err := tool(ctx, dst, src); err != nil {
		return fmt.Errorf("compressing with %s: %w", m, err)
	}
	return nil
}
