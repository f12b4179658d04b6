package xz

// parser chooses how the bytes at window position cur (absolute position
// pos) are coded, given the coder's model and recent distances. It
// searches for matches at positions before stop only, except for the
// one after cur.
type parser interface {
	next(cur, stop int32, pos int64, enc *encoder) operation
}

// An operation the parser chose: a literal (back < 0), a repeat of the
// recent distance reps[back] (back < 4), or a new match at distance
// back-4+1; n bytes long.
type operation struct {
	back int32
	n    int32
}

const literalOp = -1

// farther reports whether a match at big is so much farther than one at
// small that one byte more of length does not pay for it (xz's
// change_pair).
func farther(small, big uint32) bool { return big>>7 > small }

// fastParser chooses operations greedily with one byte of lookahead, by
// the heuristics of xz's "fast" mode (liblzma's lzma_lzma_optimum_fast,
// itself from the LZMA SDK): prefer a repeated distance unless a new
// match is clearly longer, drop matches whose extra length costs more
// distance bits than it saves, and code a literal when the next position
// starts a better match.
type fastParser struct {
	mf     *matchFinder
	ahead  []pair // with looked: the matches at cur, found by the lookahead
	looked bool
}

// next returns the operation at cur, the next position to code, and
// leaves the match finder indexed up to its end.
func (p *fastParser) next(cur, _ int32, _ int64, enc *encoder) operation {
	mf, reps := p.mf, &enc.reps
	matches := p.ahead
	if !p.looked {
		matches = mf.find()
	}
	p.looked = false
	avail := min(mf.end-cur, maxMatchLen)
	if avail < 2 {
		return operation{literalOp, 1}
	}
	buf, nice := mf.buf, min(mf.nice, avail)
	repLen, repIdx := int32(0), int32(0)
	for i, r := range reps {
		b := cur - int32(r) - 1
		if b < 0 || buf[b] != buf[cur] || buf[b+1] != buf[cur+1] {
			continue
		}
		n := matchLen(buf, b, cur, 2, avail)
		if n >= nice {
			mf.skip(n - 1)
			return operation{int32(i), n}
		}
		if n > repLen {
			repLen, repIdx = n, int32(i)
		}
	}
	mainLen, mainDist := int32(0), uint32(0)
	if len(matches) > 0 {
		last := matches[len(matches)-1]
		mainLen, mainDist = int32(last.n), last.dist
		if mainLen >= nice {
			mf.skip(mainLen - 1)
			return operation{int32(mainDist) + 4, mainLen}
		}
		for len(matches) > 1 && mainLen == int32(matches[len(matches)-2].n)+1 {
			if !farther(matches[len(matches)-2].dist, mainDist) {
				break
			}
			matches = matches[:len(matches)-1]
			last = matches[len(matches)-1]
			mainLen, mainDist = int32(last.n), last.dist
		}
		if mainLen == 2 && mainDist >= 0x80 {
			mainLen = 1
		}
	}
	if repLen >= 2 && (repLen+1 >= mainLen ||
		repLen+2 >= mainLen && mainDist > 1<<9 ||
		repLen+3 >= mainLen && mainDist > 1<<15) {
		mf.skip(repLen - 1)
		return operation{repIdx, repLen}
	}
	if mainLen < 2 || avail <= 2 {
		return operation{literalOp, 1}
	}
	if p.lookAhead(mainLen, mainDist) {
		return operation{literalOp, 1}
	}
	next := cur + 1
	limit := max(2, mainLen-1)
	for _, r := range reps {
		b := next - int32(r) - 1
		if b >= 0 && matchLen(buf, b, next, 0, limit) == limit {
			p.looked = true
			return operation{literalOp, 1}
		}
	}
	mf.skip(mainLen - 2)
	return operation{int32(mainDist) + 4, mainLen}
}

// lookAhead finds the matches at the position after the current one and
// reports whether one of them beats the current best match, so that the
// current byte is better coded as a literal; the matches are then kept
// for the next call.
func (p *fastParser) lookAhead(mainLen int32, mainDist uint32) bool {
	p.ahead = p.mf.find()
	p.looked = false
	if len(p.ahead) == 0 {
		return false
	}
	last := p.ahead[len(p.ahead)-1]
	n, d := int32(last.n), last.dist
	p.looked = n >= mainLen && d < mainDist ||
		n == mainLen+1 && !farther(mainDist, d) ||
		n > mainLen+1 ||
		n+1 >= mainLen && mainLen >= 3 && farther(d, mainDist)
	return p.looked
}
