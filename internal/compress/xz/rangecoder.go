package xz

// prob is an adaptive probability that the next bit is 0, in units of
// 1/2048, as the LZMA format defines it.
type prob uint16

const (
	probBits  = 11
	probInit  = prob(1 << probBits / 2)
	moveBits  = 5 // adaptation speed
	topValue  = 1 << 24
	flushSize = 5 // bytes flush adds beyond those already counted
)

// rangeEncoder is LZMA's binary arithmetic coder writing into a byte
// slice. low carries one bit past 32 for the carry into bytes not yet
// written: cache holds the last byte that a carry may still change and
// pending counts it plus the 0xFF bytes behind it.
type rangeEncoder struct {
	out     []byte
	low     uint64
	rng     uint32
	cache   byte
	pending int
}

// reset starts a new range-coded stream (each LZMA2 chunk has its own),
// keeping out's capacity.
func (e *rangeEncoder) reset() {
	*e = rangeEncoder{out: e.out[:0], rng: 0xFFFFFFFF, pending: 1}
}

// size is the number of bytes the stream will have when flushed now.
func (e *rangeEncoder) size() int { return len(e.out) + e.pending + flushSize - 1 }

func (e *rangeEncoder) shiftLow() {
	if uint32(e.low) < 0xFF000000 || e.low >= 1<<32 {
		carry := byte(e.low >> 32)
		b := e.cache
		for ; e.pending > 0; e.pending-- {
			e.out = append(e.out, b+carry)
			b = 0xFF
		}
		e.cache = byte(e.low >> 24)
	}
	e.pending++
	e.low = (e.low & 0x00FFFFFF) << 8
}

// encode codes bit with probability p and adapts p.
func (e *rangeEncoder) encode(p *prob, bit uint32) {
	bound := (e.rng >> probBits) * uint32(*p)
	if bit == 0 {
		e.rng = bound
		*p += (1<<probBits - *p) >> moveBits
	} else {
		e.low += uint64(bound)
		e.rng -= bound
		*p -= *p >> moveBits
	}
	for e.rng < topValue {
		e.rng <<= 8
		e.shiftLow()
	}
}

// direct codes the low n bits of v, high bit first, at probability 1/2.
func (e *rangeEncoder) direct(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		e.rng >>= 1
		if v>>uint(i)&1 != 0 {
			e.low += uint64(e.rng)
		}
		for e.rng < topValue {
			e.rng <<= 8
			e.shiftLow()
		}
	}
}

// flush writes out the rest of the stream.
func (e *rangeEncoder) flush() {
	for range flushSize {
		e.shiftLow()
	}
}

// tree codes the low n bits of v, high bit first, with the bit tree
// probs[1:1<<n].
func (e *rangeEncoder) tree(probs []prob, v uint32, n int) {
	m := uint32(1)
	for i := n - 1; i >= 0; i-- {
		bit := v >> uint(i) & 1
		e.encode(&probs[m], bit)
		m = m<<1 | bit
	}
}

// reverseTree codes the low n bits of v, low bit first, with the bit tree
// probs[1:1<<n].
func (e *rangeEncoder) reverseTree(probs []prob, v uint32, n int) {
	m := uint32(1)
	for range n {
		bit := v & 1
		v >>= 1
		e.encode(&probs[m], bit)
		m = m<<1 | bit
	}
}
