package xz

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"io"
	"testing"

	"github.com/dkms-go/dkms/internal/compress/compresstest"
	ulxz "github.com/ulikunitz/xz"
)

func moduleLike(n int, seed uint64) []byte { return compresstest.ModuleLike(n, seed) }

func randomBytes(n int) []byte { return compresstest.Random(n, 7) }

// encode compresses data with o, in writes of at most step bytes (all at
// once when step is 0).
func encode(t testing.TB, data []byte, o Options, step int) []byte {
	t.Helper()
	return encodeChunks(t, data, o, step, chunkInMax)
}

// encodeChunks is encode with LZMA chunks of at most chunkIn input bytes
// and a window sized for them, so that a little data makes it slide.
func encodeChunks(t testing.TB, data []byte, o Options, step, chunkIn int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := newWriter(&out, o, chunkIn)
	if err != nil {
		t.Fatal(err)
	}
	if step == 0 {
		step = max(len(data), 1)
	}
	for p := data; len(p) > 0; p = p[min(step, len(p)):] {
		if n, err := w.Write(p[:min(step, len(p))]); err != nil || n != min(step, len(p)) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// decode decompresses with github.com/ulikunitz/xz, which checks the
// container, the LZMA2 chunk rules and the CRC32.
func decode(data []byte) ([]byte, error) {
	r, err := ulxz.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// slidingChunk is an LZMA chunk size that makes a window with a 4 KiB
// dictionary slide every 128 KiB or so.
const slidingChunk = 1 << 16

var roundTrips = []struct {
	name    string
	data    []byte
	o       Options
	step    int
	chunkIn int
}{
	{"empty", nil, Options{}, 0, chunkInMax},
	{"one byte", []byte{'a'}, Options{}, 0, chunkInMax},
	{"text", bytes.Repeat([]byte("dkms module compression\n"), 1000), Options{}, 7, chunkInMax},
	{"random: stored chunks", randomBytes(200_000), Options{}, 0, chunkInMax},
	{"module-like", moduleLike(300_000, 1), Options{}, 4096, chunkInMax},
	{"zeros: longest matches, full chunks", make([]byte, 300_000), Options{}, 0, slidingChunk},
	{"random then text: stored chunk then state reset",
		append(randomBytes(70_000), bytes.Repeat([]byte("abc"), 100_000)...), Options{}, 0, chunkInMax},
	{"window slides", moduleLike(400_000, 2), Options{DictSize: 4096, Nice: 273}, 50_000, slidingChunk},
	{"window slides, random parts stored", append(moduleLike(300_000, 7), randomBytes(300_000)...),
		Options{DictSize: 4096}, 0, slidingChunk},
	{"fast: module-like", moduleLike(300_000, 1), Options{Fast: true}, 4096, chunkInMax},
	{"fast: random then text", append(randomBytes(70_000), bytes.Repeat([]byte("abc"), 100_000)...),
		Options{Fast: true}, 0, chunkInMax},
	{"fast: window slides", moduleLike(400_000, 2), Options{DictSize: 4096, Fast: true}, 50_000, slidingChunk},
}

// TestRoundTrip decodes what the encoder writes, for inputs that reach
// each path: stored chunks, full chunks, state resets, window slides.
func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTrips {
		t.Run(tc.name, func(t *testing.T) {
			enc := encodeChunks(t, tc.data, tc.o, tc.step, tc.chunkIn)
			got, err := decode(enc)
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Fatalf("round trip differs: %d bytes in, %d out", len(tc.data), len(got))
			}
			checkStream(t, enc, tc.o.DictSize)
		})
	}
}

// TestSameOutputWhateverTheWrites checks that the output depends on the
// data only, not on how it was handed in or when the window slides.
func TestSameOutputWhateverTheWrites(t *testing.T) {
	data := moduleLike(400_000, 3)
	for _, o := range []Options{{DictSize: 4096}, {DictSize: 4096, Fast: true}} {
		want := encodeChunks(t, data, o, 0, slidingChunk)
		for _, step := range []int{65_537, 1000} {
			if got := encodeChunks(t, data, o, step, slidingChunk); !bytes.Equal(got, want) {
				t.Errorf("%+v, writes of %d bytes: %d bytes of output, want the %d of one write", o, step, len(got), len(want))
			}
		}
	}
}

// TestOptimalBeatsFast checks that the default (binary tree, optimal
// parse) does what it is there for on module-like data: clearly smaller
// output than fast mode.
func TestOptimalBeatsFast(t *testing.T) {
	data := moduleLike(300_000, 4)
	optimal, fast := len(encode(t, data, Options{}, 0)), len(encode(t, data, Options{Fast: true}, 0))
	t.Logf("optimal %d bytes, fast %d", optimal, fast)
	if float64(optimal) > 0.98*float64(fast) {
		t.Errorf("optimal parse gives %d bytes, fast mode %d: want at least 2%% less", optimal, fast)
	}
}

// TestTinyInputsAsXZUtils compares with what xz --check=crc32
// --lzma2=dict=1MiB writes for an empty and a one-byte input: the same
// container, byte for byte.
func TestTinyInputsAsXZUtils(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "fd377a585a0000016922de36000000001cdf44219042990d010000000001595a"},
		{"a", "fd377a585a0000016922de360200210110000000a8708e86010000610000000043beb7e800011501a96334609042990d010000000001595a"},
	} {
		want, err := hex.DecodeString(tc.want)
		if err != nil {
			t.Fatal(err)
		}
		if got := encode(t, []byte(tc.in), Options{}, 0); !bytes.Equal(got, want) {
			t.Errorf("%q:\n got %x\nwant %x", tc.in, got, want)
		}
	}
}

func TestWriteAfterClose(t *testing.T) {
	w, err := NewWriter(io.Discard, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err != ErrClosed {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{DictSize: 100}, {DictSize: 1 << 27}, {Nice: 4}, {Nice: 274}, {Depth: -1}, {Depth: maxDepth + 1}} {
		if _, err := NewWriter(io.Discard, o); err == nil {
			t.Errorf("NewWriter(%+v) accepted", o)
		}
	}
}

// checkStream checks what the kernel's XZ decoder (xz_dec, used for
// modules when CONFIG_MODULE_DECOMPRESS=y) requires of a file, reading
// it the way that decoder does: CRC32 check, at most one block whose
// only filter is LZMA2 with a dictionary of at most dict (1 MiB by
// default), and LZMA2 chunks within their limits, starting with a
// dictionary reset and setting properties before the first LZMA chunk.
func checkStream(t *testing.T, b []byte, dict int) {
	t.Helper()
	if dict == 0 {
		dict = DefaultDictSize
	}
	if len(b) < 24 || !bytes.Equal(b[:6], headerMagic) || b[7] != checkCRC32 {
		t.Fatalf("stream header % x: want the xz magic and a CRC32 check", b[:min(len(b), 12)])
	}
	if !bytes.Equal(b[len(b)-2:], footerMagic) || b[len(b)-3] != checkCRC32 {
		t.Fatalf("stream footer % x", b[len(b)-12:])
	}
	block := b[12:]
	if block[0] == 0 { // the index: no block (empty input)
		return
	}
	hdr := block[:int(block[0]+1)*4]
	if crc32.ChecksumIEEE(hdr[:len(hdr)-4]) != binary.LittleEndian.Uint32(hdr[len(hdr)-4:]) {
		t.Fatalf("block header CRC32 wrong")
	}
	if hdr[1] != 0 || hdr[2] != filterLZMA2 || hdr[3] != 1 {
		t.Fatalf("block header % x: want one filter, LZMA2, and no sizes", hdr)
	}
	if got := dictSizeOf(hdr[4]); got > dict {
		t.Fatalf("LZMA2 dictionary %d, want at most %d", got, dict)
	}
	checkChunks(t, block[len(hdr):])
}

// checkChunks walks the LZMA2 chunks up to the end marker.
func checkChunks(t *testing.T, b []byte) {
	t.Helper()
	first, props := true, false
	for {
		if len(b) == 0 {
			t.Fatal("LZMA2 data ends without an end marker")
		}
		c := b[0]
		switch {
		case c == 0:
			return
		case c == 1 || c == 2:
			if first != (c == 1) {
				t.Fatalf("stored chunk control %#x: a dictionary reset must come first and only once", c)
			}
			n := int(binary.BigEndian.Uint16(b[1:])) + 1
			b = b[3+n:]
		case c >= 0x80:
			u := int(c&0x1F)<<16 | int(binary.BigEndian.Uint16(b[1:])) + 1
			n := int(binary.BigEndian.Uint16(b[3:])) + 1
			if first != (c >= 0xE0) || !props && c < 0xC0 || u > chunkInMax || n > chunkOutMax {
				t.Fatalf("LZMA chunk control %#x (%d bytes from %d): bad reset or size", c, n, u)
			}
			hdr := 5
			if c >= 0xC0 {
				if b[5] != propsByte {
					t.Fatalf("LZMA properties %#x, want lc=3 lp=0 pb=2", b[5])
				}
				props, hdr = true, 6
			}
			b = b[hdr+n:]
		default:
			t.Fatalf("invalid LZMA2 control byte %#x", c)
		}
		first = false
	}
}
