package xz

import (
	"bytes"
	"testing"
)

// FuzzRoundTrip encodes arbitrary data with arbitrary settings and
// requires the decoder to give it back from a stream the kernel would
// accept. Its seeds run with the ordinary tests.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{}, uint8(0), uint8(0), uint8(0), false)
	f.Add([]byte("a"), uint8(0), uint8(0), uint8(0), false)
	f.Add(bytes.Repeat([]byte("abcab"), 300), uint8(0), uint8(200), uint8(1), false)
	f.Add(bytes.Repeat([]byte("abcab"), 300), uint8(0), uint8(200), uint8(1), true)
	f.Add(moduleLike(50_000, 9), uint8(0), uint8(0), uint8(200), false)
	f.Add(moduleLike(50_000, 9), uint8(0), uint8(0), uint8(200), true)
	f.Add(randomBytes(70_000), uint8(1), uint8(8), uint8(3), false)
	f.Fuzz(func(t *testing.T, data []byte, dictShift, nice, depth uint8, fast bool) {
		o := Options{
			DictSize: 1 << (12 + dictShift%9),
			Nice:     8 + int(nice)%(maxMatchLen-7),
			Depth:    1 + int(depth),
			Fast:     fast,
		}
		enc := encode(t, data, o, 0)
		got, err := decode(enc)
		if err != nil {
			t.Fatalf("decoding: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("round trip differs")
		}
		checkStream(t, enc, o.DictSize)
	})
}
