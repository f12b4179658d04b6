package compress

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/compress/compresstest"
)

func moduleLike(n int) []byte { return compresstest.ModuleLike(n, 1) }

func randomBytes(n int) []byte { return compresstest.Random(n, 2) }

var inputs = map[string][]byte{
	"empty":  {},
	"byte":   {0},
	"text":   bytes.Repeat([]byte("dkms module compression\n"), 1000),
	"module": moduleLike(256 << 10),
	"random": randomBytes(100_000),
}

// bigInput is larger than the zstd window and several xz dictionaries;
// it runs through one source only, as pure Go xz is slow under -race.
var bigInput = moduleLike(2<<20 + 12345)

// opaqueReader hides Len and Stat, forcing the unknown-size paths.
type opaqueReader struct{ io.Reader }

func compressed(t testing.TB, m Method, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Compress(m, &buf, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decompressed(m Method, data []byte) ([]byte, error) {
	rc, err := Decompress(m, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// TestRoundTrip is the shared suite every method passes: sized, unsized
// and file sources all decompress to the input.
func TestRoundTrip(t *testing.T) {
	for _, m := range Methods {
		t.Run(m.String()+"/big", func(t *testing.T) {
			t.Parallel()
			if got, err := decompressed(m, compressed(t, m, bigInput)); err != nil || !bytes.Equal(got, bigInput) {
				t.Fatalf("round trip gave %d bytes, %v; want %d", len(got), err, len(bigInput))
			}
		})
		for name, data := range inputs {
			t.Run(m.String()+"/"+name, func(t *testing.T) {
				t.Parallel()
				path := filepath.Join(t.TempDir(), "in")
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				for srcName, src := range map[string]io.Reader{
					"bytes": bytes.NewReader(data), "opaque": opaqueReader{bytes.NewReader(data)}, "file": f,
				} {
					var buf bytes.Buffer
					if err := Compress(m, &buf, src); err != nil {
						t.Fatalf("%s: %v", srcName, err)
					}
					if got := Sniff(buf.Bytes()); len(data) > 0 && got != m {
						t.Errorf("%s: Sniff = %v", srcName, got)
					}
					got, err := decompressed(m, buf.Bytes())
					if err != nil || !bytes.Equal(got, data) {
						t.Fatalf("%s: round trip gave %d bytes, %v; want %d", srcName, len(got), err, len(data))
					}
				}
			})
		}
	}
}

// TestCorruptionDetected checks that every compressed method rejects a
// truncated stream and a flipped bit instead of returning wrong bytes.
func TestCorruptionDetected(t *testing.T) {
	data := inputs["module"]
	for _, m := range Methods[1:] {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			c := compressed(t, m, data)
			if got, err := decompressed(m, c[:len(c)-5]); err == nil {
				t.Errorf("truncated: no error, %d bytes", len(got))
			}
			bad := bytes.Clone(c)
			bad[len(bad)/2] ^= 0x10
			if got, err := decompressed(m, bad); err == nil && bytes.Equal(got, data) {
				t.Errorf("bit flip went unnoticed")
			} else if err == nil {
				t.Errorf("bit flip: wrong data without error")
			}
		})
	}
}

func TestUnknownMethod(t *testing.T) {
	if err := Compress("bz2", io.Discard, bytes.NewReader(nil)); !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("Compress: %v", err)
	}
	if _, err := Decompress("bz2", bytes.NewReader(nil)); !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("Decompress: %v", err)
	}
	if _, err := Parse("bz2"); !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("Parse: %v", err)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		path  string
		parse string
		want  Method
		ext   string
	}{
		{"/lib/modules/6.1/updates/dkms/foo.ko", "", None, ""},
		{"foo.ko.gz", "gzip", Gzip, ".gz"},
		{"foo.ko.xz", ".xz", XZ, ".xz"},
		{"foo.ko.zst", "zstd", Zstd, ".zst"},
		{"foo.ko.bz2", "none", None, ""},
	} {
		if got := FromName(c.path); got != c.want {
			t.Errorf("FromName(%q) = %v, want %v", c.path, got, c.want)
		}
		if got, err := Parse(c.parse); err != nil || got != c.want {
			t.Errorf("Parse(%q) = %v, %v", c.parse, got, err)
		}
		if got := c.want.Ext(); got != c.ext {
			t.Errorf("%v.Ext() = %q, want %q", c.want, got, c.ext)
		}
		if got := FromName("x.ko" + c.want.Ext()); got != c.want {
			t.Errorf("FromName(Ext(%v)) = %v", c.want, got)
		}
	}
}

// TestGzipHeader pins the `gzip -n` header: no name, no mtime, OS Unix.
func TestGzipHeader(t *testing.T) {
	c := compressed(t, Gzip, []byte("x"))
	if flags, mtime, os := c[3], c[4:8], c[9]; flags != 0 || !bytes.Equal(mtime, []byte{0, 0, 0, 0}) || os != 3 {
		t.Errorf("gzip header flags %#x mtime %x os %d", flags, mtime, os)
	}
}

// FuzzDecompress feeds arbitrary bytes to every decoder: no panics, and
// output bounded by what we read. Seeds (valid streams of each method and
// some junk) run as ordinary tests.
func FuzzDecompress(f *testing.F) {
	for _, m := range Methods {
		f.Add(byte(0), compressed(f, m, []byte("seed module data seed module data")))
		f.Add(byte(1), compressed(f, m, moduleLike(4096)))
	}
	f.Add(byte(2), []byte("\xfd7zXZ\x00\x00\x01"))
	f.Add(byte(3), []byte("\x28\xb5\x2f\xfd\x00\x00"))
	f.Add(byte(1), []byte("\x1f\x8b\x08"))
	f.Fuzz(func(t *testing.T, pick byte, data []byte) {
		m := Methods[int(pick)%len(Methods)]
		if m == XZ && hugeXZDict(data) {
			return // the dictionary would allocate more than the fuzzer's memory
		}
		rc, err := Decompress(m, bytes.NewReader(data))
		if err != nil {
			return
		}
		defer rc.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(rc, 8<<20))
	})
}

// hugeXZDict reports whether data may hold an LZMA2 filter (id 0x21, one
// property byte) asking for a dictionary over 8 MiB; see decompressXZ.
func hugeXZDict(data []byte) bool {
	for i := 0; i+2 < len(data); i++ {
		if data[i] == 0x21 && data[i+1] == 0x01 && data[i+2] > 22 {
			return true
		}
	}
	return false
}

// TestCompressorTools checks that a Compressor hands a method to its Tool
// when it has one, wrapping the Tool's error, and is native otherwise.
func TestCompressorTools(t *testing.T) {
	failed := errors.New("xz: out of memory")
	tools := map[Method]Tool{
		XZ: func(_ context.Context, dst io.Writer, src io.Reader) error {
			_, err := io.Copy(dst, io.MultiReader(strings.NewReader("tool:"), src))
			return err
		},
		Zstd: func(context.Context, io.Writer, io.Reader) error { return failed },
	}
	c := Compressor{Tools: tools}
	var buf bytes.Buffer
	if err := c.Compress(t.Context(), XZ, &buf, strings.NewReader("data")); err != nil || buf.String() != "tool:data" {
		t.Errorf("xz with a tool: %q, %v; want the tool's output", buf.String(), err)
	}
	if err := c.Compress(t.Context(), Zstd, io.Discard, strings.NewReader("data")); !errors.Is(err, failed) ||
		err.Error() != "compressing with zst: xz: out of memory" {
		t.Errorf("failing tool: %v", err)
	}
	buf.Reset()
	if err := c.Compress(t.Context(), Gzip, &buf, strings.NewReader("data")); err != nil || Sniff(buf.Bytes()) != Gzip {
		t.Errorf("gzip without a tool: %v, %q; want native gzip", err, buf.Bytes())
	}
}
