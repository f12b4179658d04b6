package xz

import "math"

// Prices are costs in 1/16 bit, as in xz, estimated from the current
// model; the optimal parser adds them up to compare ways of coding the
// same bytes.
const (
	priceShift = 4 // probabilities are looked up in buckets of 16
	infinity   = 1 << 30
)

// probPrices[p>>priceShift] is the price of a bit whose probability is p.
var probPrices = func() (t [1 << (probBits - priceShift)]uint32) {
	for i := range t {
		p := float64(i<<priceShift+1<<(priceShift-1)) / (1 << probBits)
		t[i] = uint32(math.Round(-math.Log2(p) * 16))
	}
	return t
}()

func price0(p prob) uint32 { return probPrices[p>>priceShift] }
func price1(p prob) uint32 { return probPrices[(1<<probBits-p)>>priceShift] }

func priceBit(p prob, bit uint32) uint32 {
	if bit == 0 {
		return price0(p)
	}
	return price1(p)
}

func treePrice(probs []prob, v uint32, n int) uint32 {
	price, m := uint32(0), uint32(1)
	for i := n - 1; i >= 0; i-- {
		bit := v >> uint(i) & 1
		price += priceBit(probs[m], bit)
		m = m<<1 | bit
	}
	return price
}

func reverseTreePrice(probs []prob, v uint32, n int) uint32 {
	price, m := uint32(0), uint32(1)
	for range n {
		bit := v & 1
		v >>= 1
		price += priceBit(probs[m], bit)
		m = m<<1 | bit
	}
	return price
}

// priceTables caches what the parser prices most often: lengths, and
// distances by length context. They are refreshed after a number of
// symbols, like xz's, as the model drifts slowly.
type priceTables struct {
	matchLen, repLen [posStates][maxMatchLen - minMatchLen + 1]uint32
	slot             [distStates][1 << slotBits]uint32 // with direct bits
	dist             [distStates][fullDistances]uint32
	align            [1 << alignBits]uint32
}

func (t *priceTables) update(m *model) {
	for ps := range uint32(posStates) {
		lengthPrices(&m.matchLen, ps, t.matchLen[ps][:])
		lengthPrices(&m.repLen, ps, t.repLen[ps][:])
	}
	for ls := range distStates {
		for s := range uint32(1 << slotBits) {
			t.slot[ls][s] = treePrice(m.slot[ls][:], s, slotBits)
			if s >= endPosModel {
				t.slot[ls][s] += (s>>1 - 1 - alignBits) << priceShift
			}
		}
		for d := range uint32(fullDistances) {
			s := distSlot(d)
			t.dist[ls][d] = t.slot[ls][s]
			if s >= firstPosSlotNo {
				footer := s>>1 - 1
				base := (2 | s&1) << footer
				t.dist[ls][d] += reverseTreePrice(m.special[base-s:], d-base, int(footer))
			}
		}
	}
	for i := range uint32(1 << alignBits) {
		t.align[i] = reverseTreePrice(m.align[:], i, alignBits)
	}
}

func lengthPrices(c *lengthCoder, ps uint32, out []uint32) {
	a0, a1 := price0(c.choice), price1(c.choice)
	b0, b1 := a1+price0(c.choice2), a1+price1(c.choice2)
	for i := range uint32(len(out)) {
		switch {
		case i < lenLow:
			out[i] = a0 + treePrice(c.low[ps][:], i, lenLowBits)
		case i < lenLow+lenMid:
			out[i] = b0 + treePrice(c.mid[ps][:], i-lenLow, lenMidBits)
		default:
			out[i] = b1 + treePrice(c.high[:], i-lenLow-lenMid, lenHighBits)
		}
	}
}

// distPrice is the price of distance dist+1 (without the length).
func (t *priceTables) distPrice(dist, n uint32) uint32 {
	ls := lenState(n)
	if dist < fullDistances {
		return t.dist[ls][dist]
	}
	return t.slot[ls][distSlot(dist)] + t.align[dist&(1<<alignBits-1)]
}

// literalPrice is the price of coding b as a literal in state with the
// given literal context; match is the byte at rep0, which after a match
// the literal is coded against.
func (m *model) literalPrice(state, ctx uint32, b, match byte) uint32 {
	probs := &m.literal[ctx]
	price, sym := uint32(0), uint32(b)|0x100
	if state < 7 {
		for sym < 0x10000 {
			price += priceBit(probs[sym>>8], sym>>7&1)
			sym <<= 1
		}
		return price
	}
	offs, mb := uint32(0x100), uint32(match)
	for sym < 0x10000 {
		mb <<= 1
		price += priceBit(probs[offs+mb&offs+sym>>8], sym>>7&1)
		sym <<= 1
		offs &^= mb ^ sym
	}
	return price
}

// repPrice is the price of choosing the recent distance reps[i] (i > 0,
// or i == 0 for a long rep0) in state at posState, without the length.
func (m *model) repPrice(i int, state, ps uint32) uint32 {
	price := price1(m.isMatch[state][ps]) + price1(m.isRep[state])
	switch i {
	case 0:
		return price + price0(m.isRepG0[state]) + price1(m.isRep0Long[state][ps])
	case 1:
		return price + price1(m.isRepG0[state]) + price0(m.isRepG1[state])
	default:
		return price + price1(m.isRepG0[state]) + price1(m.isRepG1[state]) + priceBit(m.isRepG2[state], uint32(i-2))
	}
}

// shortRepPrice is the price of one byte at rep0.
func (m *model) shortRepPrice(state, ps uint32) uint32 {
	return price1(m.isMatch[state][ps]) + price1(m.isRep[state]) +
		price0(m.isRepG0[state]) + price0(m.isRep0Long[state][ps])
}
