package xz

// optMax bounds how many positions one optimisation spans.
const optMax = 1 << 11

// optNode is the cheapest known way to reach a position of the span:
// from node prev by op back (literalOp, a rep index into prev's reps, or
// a new distance + 4). state and reps are those after it,
// worked out when the node's turn comes.
type optNode struct {
	price uint32
	prev  int32
	back  int32
	state uint32
	reps  [4]uint32
}

// optimalParser chooses operations by price: from the current position it
// extends a graph of every literal, short rep, rep match and new match
// (each length) the match finder offers, position by position, keeping
// the cheapest path to each, until no path reaches farther or a match at
// least nice long turns up; then it returns that path's operations one by
// one. This is the dynamic programming of the LZMA SDK and of xz's
// "normal" mode, without their shortcuts through unvisited positions
// (literal then rep0, match then literal then rep0): tried, the first
// gained nothing on kernel modules.
type optimalParser struct {
	mf     *matchFinder // buf, end, nice: read only
	src    matchSource
	prices priceTables
	nodes  [optMax + maxMatchLen + 1]optNode
	queue  []operation // the rest of the chosen path
	path   [optMax + 1]operation
	ahead  []pair // with looked: the matches at the next position
	looked bool
	// Operations since the price tables were refreshed.
	since int
}

// priceRefresh is how many operations the price tables serve before
// they are recomputed from the drifting model.
const priceRefresh = 128

// next returns the operation at cur, absolute position pos.
func (p *optimalParser) next(cur, stop int32, pos int64, enc *encoder) operation {
	if len(p.queue) == 0 {
		if p.since <= 0 {
			p.prices.update(&enc.m)
			p.since = priceRefresh
		}
		p.queue = p.optimize(cur, stop, pos, enc)
	}
	op := p.queue[0]
	p.queue = p.queue[1:]
	if op.back != literalOp {
		p.since--
	}
	return op
}

// optimize returns the cheapest path from start found as described on
// the type, ending before stop.
func (p *optimalParser) optimize(start, stop int32, pos int64, enc *encoder) []operation {
	mf := p.mf
	matches := p.ahead
	if !p.looked {
		matches = p.src.find()
	}
	p.looked = false
	avail := min(mf.end-start, maxMatchLen)
	if avail < 2 {
		return p.single(operation{literalOp, 1})
	}
	nice := min(mf.nice, avail)
	if op, ok := p.long(start, matches, nice, &enc.reps); ok {
		return p.single(op)
	}
	first := &p.nodes[0]
	first.state, first.reps, first.price = enc.state, enc.reps, 0
	p.nodes[1].price = infinity
	lenEnd := p.relax(0, start, pos, matches, &enc.m, 1)
	for cur := int32(1); ; cur++ {
		if cur >= lenEnd || cur >= optMax || start+cur >= stop {
			return p.backtrack(cur)
		}
		matches = p.src.find()
		if len(matches) > 0 && int32(matches[len(matches)-1].n) >= min(mf.nice, mf.end-(start+cur)) {
			p.ahead, p.looked = matches, true
			return p.backtrack(cur)
		}
		p.settle(cur)
		lenEnd = p.relax(cur, start+cur, pos+int64(cur), matches, &enc.m, lenEnd)
	}
}

func (p *optimalParser) single(op operation) []operation {
	p.path[0] = op
	return p.path[:1]
}

// long returns a rep or new match at start at least nice long, which is
// taken without weighing alternatives, as xz does.
func (p *optimalParser) long(start int32, matches []pair, nice int32, reps *[4]uint32) (operation, bool) {
	if n, i := longestRep(p.mf.buf, start, min(p.mf.end-start, maxMatchLen), nice, reps); n >= nice {
		p.src.skip(n - 1)
		return operation{int32(reps[i]) + 4, n}, true
	}
	if len(matches) > 0 {
		if last := matches[len(matches)-1]; int32(last.n) >= nice {
			p.src.skip(int32(last.n) - 1)
			return operation{int32(last.dist) + 4, int32(last.n)}, true
		}
	}
	return operation{}, false
}

// settle works out the state and recent distances after node i's
// operation.
func (p *optimalParser) settle(i int32) {
	n := &p.nodes[i]
	from := &p.nodes[n.prev]
	switch {
	case n.back == literalOp:
		n.state, n.reps = nextLiteral[from.state], from.reps
	case n.back < 4 && i-n.prev == 1:
		n.state, n.reps = nextShortRep[from.state], from.reps
	case n.back < 4:
		n.state, n.reps = nextRep[from.state], from.reps
		d := n.reps[n.back]
		copy(n.reps[1:n.back+1], n.reps[:n.back])
		n.reps[0] = d
	default:
		n.state = nextMatch[from.state]
		n.reps = [4]uint32{uint32(n.back - 4), from.reps[0], from.reps[1], from.reps[2]}
	}
}

// relax prices every way to leave node i (window position at, absolute
// position pos) and lowers the price of the nodes they reach; it returns
// the new end of the graph, whose new nodes start at infinity.
func (p *optimalParser) relax(i, at int32, pos int64, matches []pair, m *model, lenEnd int32) int32 {
	n := &p.nodes[i]
	buf, ps, s := p.mf.buf, uint32(pos)&(posStates-1), n.state
	avail := min(p.mf.end-at, maxMatchLen, optMax+maxMatchLen-i)
	reach := func(to int32, price uint32, back int32) {
		for ; lenEnd < to; lenEnd++ {
			p.nodes[lenEnd+1].price = infinity
		}
		if t := &p.nodes[to]; price < t.price {
			t.price, t.prev, t.back = price, i, back
		}
	}
	var prev, match byte
	if pos > 0 {
		prev = buf[at-1]
	}
	r0 := at - int32(n.reps[0]) - 1
	if r0 >= 0 {
		match = buf[r0]
	}
	lit := price0(m.isMatch[s][ps]) + m.literalPrice(s, litCtx(pos, prev), buf[at], match)
	reach(i+1, n.price+lit, literalOp)
	if r0 >= 0 && match == buf[at] {
		reach(i+1, n.price+m.shortRepPrice(s, ps), 0)
	}
	if avail < 2 {
		return lenEnd
	}
	for ri, r := range n.reps {
		b := at - int32(r) - 1
		if b < 0 || buf[b] != buf[at] || buf[b+1] != buf[at+1] {
			continue
		}
		base := n.price + m.repPrice(ri, s, ps)
		for l, end := int32(2), matchLen(buf, b, at, 2, avail); l <= end; l++ {
			reach(i+l, base+p.prices.repLen[ps][l-minMatchLen], int32(ri))
		}
	}
	base := n.price + price1(m.isMatch[s][ps]) + price0(m.isRep[s])
	l := int32(2)
	for _, mt := range matches {
		for end := min(int32(mt.n), avail); l <= end; l++ {
			price := base + p.prices.matchLen[ps][l-minMatchLen] + p.prices.distPrice(mt.dist, uint32(l))
			reach(i+l, price, int32(mt.dist)+4)
		}
	}
	return lenEnd
}

// backtrack returns the operations of the cheapest path to node end, in
// order, with rep indexes turned into distances (the coder turns them
// back, see lzma2.emit).
func (p *optimalParser) backtrack(end int32) []operation {
	k := len(p.path)
	for i := end; i > 0; {
		n := &p.nodes[i]
		op := operation{n.back, i - n.prev}
		if n.back >= 0 && n.back < 4 {
			op.back = int32(p.nodes[n.prev].reps[n.back]) + 4
		}
		k--
		p.path[k] = op
		i = n.prev
	}
	return p.path[k:]
}
