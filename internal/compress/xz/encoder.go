package xz

import "math/bits"

// The LZMA model with the parameters kbuild and xz(1) use: lc=3 literal
// context bits, lp=0, pb=2 position bits.
const (
	lc          = 3
	lp          = 0
	pb          = 2
	posStates   = 1 << pb
	propsByte   = (pb*5+lp)*9 + lc
	numStates   = 12
	minMatchLen = 2
	maxMatchLen = 273

	lenLowBits  = 3
	lenMidBits  = 3
	lenHighBits = 8
	lenLow      = 1 << lenLowBits
	lenMid      = 1 << lenMidBits

	distStates     = 4  // length contexts of the distance slot
	slotBits       = 6  // distance slots
	endPosModel    = 14 // first slot whose low bits are coded by alignProbs
	fullDistances  = 1 << (endPosModel / 2)
	alignBits      = 4
	firstPosSlotNo = 4 // slots below this are the distance itself
)

// lengthCoder codes match lengths 2..273 in three ranges.
type lengthCoder struct {
	choice, choice2 prob
	low             [posStates][lenLow]prob
	mid             [posStates][lenMid]prob
	high            [1 << lenHighBits]prob
}

func (c *lengthCoder) encode(e *rangeEncoder, n uint32, posState uint32) {
	n -= minMatchLen
	switch {
	case n < lenLow:
		e.encode(&c.choice, 0)
		e.tree(c.low[posState][:], n, lenLowBits)
	case n < lenLow+lenMid:
		e.encode(&c.choice, 1)
		e.encode(&c.choice2, 0)
		e.tree(c.mid[posState][:], n-lenLow, lenMidBits)
	default:
		e.encode(&c.choice, 1)
		e.encode(&c.choice2, 1)
		e.tree(c.high[:], n-lenLow-lenMid, lenHighBits)
	}
}

// model is every adaptive probability of an LZMA stream; a state reset
// sets them all back to probInit.
type model struct {
	isMatch    [numStates][posStates]prob
	isRep      [numStates]prob
	isRepG0    [numStates]prob
	isRepG1    [numStates]prob
	isRepG2    [numStates]prob
	isRep0Long [numStates][posStates]prob
	literal    [1 << (lc + lp)][0x300]prob
	slot       [distStates][1 << slotBits]prob
	special    [1 + fullDistances - endPosModel]prob // [0] unused: trees start at 1
	align      [1 << alignBits]prob
	matchLen   lengthCoder
	repLen     lengthCoder
}

// freshModel is the model after a state reset: every probability 1/2.
var freshModel = func() (m model) {
	for _, p := range [][]prob{m.isRep[:], m.isRepG0[:], m.isRepG1[:], m.isRepG2[:],
		m.special[:], m.align[:], m.matchLen.high[:], m.repLen.high[:]} {
		fill(p)
	}
	for s := range numStates {
		fill(m.isMatch[s][:])
		fill(m.isRep0Long[s][:])
	}
	for i := range m.literal {
		fill(m.literal[i][:])
	}
	for i := range m.slot {
		fill(m.slot[i][:])
	}
	for _, c := range []*lengthCoder{&m.matchLen, &m.repLen} {
		c.choice, c.choice2 = probInit, probInit
		for ps := range posStates {
			fill(c.low[ps][:])
			fill(c.mid[ps][:])
		}
	}
	return m
}()

func fill(p []prob) {
	for i := range p {
		p[i] = probInit
	}
}

// encoder writes LZMA symbols: it holds the model, the state machine and
// the four most recent distances (as distance-1, like the format).
type encoder struct {
	rc    rangeEncoder
	m     model
	state uint32
	reps  [4]uint32
}

// resetState starts the model afresh (an LZMA2 state reset).
func (enc *encoder) resetState() {
	enc.m = freshModel
	enc.state = 0
	enc.reps = [4]uint32{}
}

func (enc *encoder) posState(pos int64) uint32 { return uint32(pos) & (posStates - 1) }

// literal codes byte b at pos; prev is the byte before it and match the
// byte at rep0, which after a match is coded against b.
func (enc *encoder) literal(pos int64, b, prev, match byte) {
	e := &enc.rc
	e.encode(&enc.m.isMatch[enc.state][enc.posState(pos)], 0)
	probs := &enc.m.literal[litCtx(pos, prev)]
	sym := uint32(b) | 0x100
	if enc.state < 7 {
		for sym < 0x10000 {
			e.encode(&probs[sym>>8], sym>>7&1)
			sym <<= 1
		}
	} else {
		offs, mb := uint32(0x100), uint32(match)
		for sym < 0x10000 {
			mb <<= 1
			e.encode(&probs[offs+mb&offs+sym>>8], sym>>7&1)
			sym <<= 1
			offs &^= mb ^ sym
		}
	}
	enc.state = nextLiteral[enc.state]
}

// litCtx selects the literal coder from the position and the byte
// before.
func litCtx(pos int64, prev byte) uint32 {
	return (uint32(pos)&(1<<lp-1))<<lc | uint32(prev)>>(8-lc)
}

var (
	nextLiteral  = [numStates]uint32{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 4, 5}
	nextMatch    = [numStates]uint32{7, 7, 7, 7, 7, 7, 7, 10, 10, 10, 10, 10}
	nextRep      = [numStates]uint32{8, 8, 8, 8, 8, 8, 8, 11, 11, 11, 11, 11}
	nextShortRep = [numStates]uint32{9, 9, 9, 9, 9, 9, 9, 11, 11, 11, 11, 11}
)

// match codes a new match of length n at distance dist+1.
func (enc *encoder) match(pos int64, dist, n uint32) {
	e, ps := &enc.rc, enc.posState(pos)
	e.encode(&enc.m.isMatch[enc.state][ps], 1)
	e.encode(&enc.m.isRep[enc.state], 0)
	enc.m.matchLen.encode(e, n, ps)
	slot := distSlot(dist)
	e.tree(enc.m.slot[lenState(n)][:], slot, slotBits)
	if slot >= firstPosSlotNo {
		footer := slot>>1 - 1
		base := (2 | slot&1) << footer
		reduced := dist - base
		if slot < endPosModel {
			e.reverseTree(enc.m.special[base-slot:], reduced, int(footer))
		} else {
			e.direct(reduced>>alignBits, int(footer)-alignBits)
			e.reverseTree(enc.m.align[:], reduced, alignBits)
		}
	}
	enc.reps = [4]uint32{dist, enc.reps[0], enc.reps[1], enc.reps[2]}
	enc.state = nextMatch[enc.state]
}

// rep codes a match of length n at the distance reps[i]; length 1 at
// rep0 is a short rep.
func (enc *encoder) rep(pos int64, i int, n uint32) {
	e, ps, s := &enc.rc, enc.posState(pos), enc.state
	e.encode(&enc.m.isMatch[s][ps], 1)
	e.encode(&enc.m.isRep[s], 1)
	if i == 0 {
		e.encode(&enc.m.isRepG0[s], 0)
		if n == 1 {
			e.encode(&enc.m.isRep0Long[s][ps], 0)
			enc.state = nextShortRep[s]
			return
		}
		e.encode(&enc.m.isRep0Long[s][ps], 1)
	} else {
		e.encode(&enc.m.isRepG0[s], 1)
		d := enc.reps[i]
		if i == 1 {
			e.encode(&enc.m.isRepG1[s], 0)
		} else {
			e.encode(&enc.m.isRepG1[s], 1)
			e.encode(&enc.m.isRepG2[s], uint32(i-2))
			if i == 3 {
				enc.reps[3] = enc.reps[2]
			}
			enc.reps[2] = enc.reps[1]
		}
		enc.reps[1] = enc.reps[0]
		enc.reps[0] = d
	}
	enc.m.repLen.encode(e, n, ps)
	enc.state = nextRep[s]
}

// lenState is the length context of a distance slot.
func lenState(n uint32) uint32 { return min(n-minMatchLen, distStates-1) }

// distSlot returns the slot of dist (distance-1): the distance's top two
// bits and their position.
func distSlot(dist uint32) uint32 {
	if dist < firstPosSlotNo {
		return dist
	}
	n := uint32(31 - bits.LeadingZeros32(dist))
	return n<<1 | dist>>(n-1)&1
}
