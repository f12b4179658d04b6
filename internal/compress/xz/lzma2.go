package xz

import "encoding/binary"

// LZMA2 chunk limits: an LZMA chunk holds at most 2 MiB of input and
// 64 KiB of output, an uncompressed chunk at most 64 KiB.
const (
	chunkInMax  = 1 << 21
	chunkOutMax = 1 << 16
	rawChunkMax = 1 << 16
	opOutMax    = 32 // bytes one operation can add to a chunk, rounded up
	// lookaheadMin is how many bytes must follow the next byte to code
	// before more input is awaited: a search (at most at the position
	// before that one, see the parsers) and every position a match then
	// skips see at least maxMatchLen bytes. A binary tree must never
	// order positions by fewer bytes than the nice length while more data
	// may still come.
	lookaheadMin = 2*maxMatchLen + 8
)

// lzma2 turns the window into LZMA2 chunks. coded is the absolute stream
// position of the next byte to code, chunkStart that of the open chunk's
// first byte; base is the absolute position of buf[0].
type lzma2 struct {
	mf     *matchFinder
	parser parser
	pf     *prefetcher // with the optimal parser
	enc    encoder
	base   int64
	coded  int64
	start  int64
	out    []byte // finished chunks not yet written
	// chunkIn is the most input an LZMA chunk takes: chunkInMax, less in
	// tests, which then see the window slide on little data.
	chunkIn int64

	needProps, needDictReset, needStateReset bool
}

func newLZMA2(mf *matchFinder, fast bool, chunkIn int) *lzma2 {
	z := &lzma2{mf: mf, chunkIn: int64(chunkIn), needProps: true, needDictReset: true}
	if fast {
		z.parser = &fastParser{mf: mf}
	} else {
		z.pf = newPrefetcher(mf)
		z.parser = &optimalParser{mf: mf, src: z.pf}
	}
	z.enc.resetState()
	z.enc.rc.reset()
	return z
}

// code codes the window up to lookaheadMin bytes before its end, or to
// its end when final, closing chunks as they fill.
func (z *lzma2) code(final bool) {
	mf := z.mf
	stop := mf.end - lookaheadMin
	if final {
		stop = mf.end
	}
	if z.pf != nil {
		// Positions a match may skip lie before stop + maxMatchLen - 1.
		z.pf.start(min(stop+maxMatchLen, mf.end))
		defer z.pf.finish()
	}
	for cur := int32(z.coded - z.base); cur < stop; cur = int32(z.coded - z.base) {
		if z.coded-z.start > z.chunkIn-maxMatchLen || z.enc.rc.size() > chunkOutMax-opOutMax {
			z.closeChunk()
		}
		op := z.parser.next(cur, stop, z.coded, &z.enc)
		z.emit(cur, op)
		z.coded += int64(op.n)
	}
	if final {
		z.closeChunk()
	}
}

// emit codes op at window position cur. A new distance that is one of
// the recent ones is coded as a rep, which is cheaper, and a one-byte
// match at rep0 as a short rep (the optimal parser returns distances).
func (z *lzma2) emit(cur int32, op operation) {
	buf, pos, enc := z.mf.buf, z.coded, &z.enc
	if op.back >= 4 {
		dist := uint32(op.back - 4)
		for i, r := range enc.reps {
			if r == dist && (op.n > 1 || i == 0) {
				enc.rep(pos, i, uint32(op.n))
				return
			}
		}
		if op.n > 1 {
			enc.match(pos, dist, uint32(op.n))
			return
		}
		op.back = literalOp // a short rep whose distance is no longer rep0
	}
	if op.back == literalOp {
		var prev, match byte
		if pos > 0 {
			prev = buf[cur-1]
		}
		if enc.state >= 7 {
			match = buf[cur-int32(enc.reps[0])-1]
		}
		enc.literal(pos, buf[cur], prev, match)
		return
	}
	enc.rep(pos, int(op.back), uint32(op.n))
}

// closeChunk appends the open chunk to out, as LZMA or, when that does not
// pay, as uncompressed chunks, and opens the next.
func (z *lzma2) closeChunk() {
	n := int(z.coded - z.start)
	if n == 0 {
		return
	}
	rc := &z.enc.rc
	rc.flush()
	if len(rc.out) >= n {
		z.rawChunks(z.mf.buf[z.start-z.base : z.coded-z.base])
	} else {
		control := byte(0x80)
		switch {
		case z.needDictReset:
			control = 0xE0
		case z.needProps:
			control = 0xC0
		case z.needStateReset:
			control = 0xA0
		}
		u, c := n-1, len(rc.out)-1
		z.out = append(z.out, control|byte(u>>16), byte(u>>8), byte(u), byte(c>>8), byte(c))
		if control >= 0xC0 {
			z.out = append(z.out, propsByte)
		}
		z.out = append(z.out, rc.out...)
		z.needProps, z.needDictReset, z.needStateReset = false, false, false
	}
	z.start = z.coded
	rc.reset()
	if z.needStateReset {
		z.enc.resetState()
	}
}

// rawChunks stores data uncompressed. The decoder's model is then out of
// step with ours, so the next LZMA chunk resets the state.
func (z *lzma2) rawChunks(data []byte) {
	for len(data) > 0 {
		n := min(len(data), rawChunkMax)
		control := byte(2)
		if z.needDictReset {
			control = 1
		}
		z.out = append(z.out, control)
		z.out = binary.BigEndian.AppendUint16(z.out, uint16(n-1))
		z.out = append(z.out, data[:n]...)
		data = data[n:]
		z.needDictReset = false
	}
	z.needStateReset = true
}

// slide drops window bytes that can no longer be matched or stored
// uncompressed, keeping the window's first byte on a chain-size boundary.
func (z *lzma2) slide() {
	mf := z.mf
	keep := min(z.coded-int64(mf.dictSize), z.start) - z.base
	shift := int32(keep) &^ mf.mask
	if shift <= 0 {
		return
	}
	mf.slide(shift)
	z.base += int64(shift)
}
