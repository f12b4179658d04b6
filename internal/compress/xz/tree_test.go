package xz

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// nearCopies returns n bytes made of copies of one block, each with a
// byte changed somewhere between 40 and 110 bytes in: many long shared
// prefixes that differ just around the nice length, where a binary tree
// built on cut-short comparisons would go wrong.
func nearCopies(n int) []byte {
	rng := rand.New(rand.NewPCG(11, 12))
	block := make([]byte, 200)
	for i := range block {
		block[i] = byte(rng.IntN(4))
	}
	out := make([]byte, 0, n+len(block))
	for len(out) < n {
		b := append([]byte(nil), block...)
		b[40+rng.IntN(70)] ^= byte(1 + rng.IntN(3))
		out = append(out, b...)
	}
	return out[:n]
}

// TestTreeAtWindowEnd codes near-copies through a window that fills and
// slides often, so that searches happen close to the end of the data
// seen so far; the output must still decode.
func TestTreeAtWindowEnd(t *testing.T) {
	data := nearCopies(600_000)
	for _, nice := range []int{32, 64, 273} {
		enc := encodeChunks(t, data, Options{DictSize: 1 << 16, Nice: nice, Depth: 64}, 10_007, slidingChunk)
		if got, err := decode(enc); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("nice %d: round trip failed: %v", nice, err)
		}
	}
}
