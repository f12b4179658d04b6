package compress

import (
	"bytes"
	"io"
	"os"

	"github.com/dkms-go/dkms/internal/compress/xz"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	ulxz "github.com/ulikunitz/xz"
)

const (
	// gzipLevel is the gzip CLI's default, which dkms (`gzip -f`) and
	// kbuild (`gzip -n -f`) both use.
	gzipLevel = 6
	// gzipOSUnix is the OS header byte the gzip CLI writes on Linux.
	gzipOSUnix = 3
	// xzDictCap is kbuild's --lzma2=dict=1MiB.
	xzDictCap = 1 << 20
	// zstdWindow is the window of zstd level 3 for inputs over 256 KiB
	// (windowLog 21); smaller inputs get a window fitted to their size.
	zstdWindow = 1 << 21
	// zstdMaxWindow bounds decoder memory like the zstd CLI's default
	// --memory=128MB, so a hostile frame cannot ask for gigabytes.
	zstdMaxWindow = 128 << 20
)

func compressGzip(dst io.Writer, src io.Reader) error {
	w, err := gzip.NewWriterLevel(dst, gzipLevel)
	if err != nil {
		return err
	}
	w.OS = gzipOSUnix
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	return w.Close()
}

func decompressGzip(r io.Reader) (io.ReadCloser, error) {
	return gzip.NewReader(r)
}

func compressXZ(dst io.Writer, src io.Reader) error {
	w, err := xz.NewWriter(dst, xz.Options{DictSize: xzDictCap})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	return w.Close()
}

// TODO: ulikunitz/xz allocates the dictionary a block header asks for (up
// to 4 GiB) with no memory limit; modules are trusted local files, but a
// limit like xz's --memlimit would be safer.
func decompressXZ(r io.Reader) (io.ReadCloser, error) {
	xr, err := ulxz.NewReader(r)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(xr), nil
}

func compressZstd(dst io.Writer, src io.Reader) error {
	size, ok := knownSize(src)
	if !ok {
		data, err := io.ReadAll(src)
		if err != nil {
			return err
		}
		src, size = bytes.NewReader(data), int64(len(data))
	}
	w, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(true),
		zstd.WithWindowSize(zstdWindow))
	if err != nil {
		return err
	}
	w.ResetContentSize(dst, size)
	if _, err := io.Copy(w, src); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func decompressZstd(r io.Reader) (io.ReadCloser, error) {
	d, err := zstd.NewReader(r,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return nil, err
	}
	return d.IOReadCloser(), nil
}

// knownSize returns how many bytes src will still yield, when src can
// tell without being read.
func knownSize(src io.Reader) (int64, bool) {
	switch s := src.(type) {
	case interface{ Len() int }:
		return int64(s.Len()), true
	case *os.File:
		fi, err := s.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		off, err := s.Seek(0, io.SeekCurrent)
		if err != nil || off > fi.Size() {
			return 0, false
		}
		return fi.Size() - off, true
	}
	return 0, false
}
