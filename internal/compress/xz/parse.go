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
	nice := min(mf.nice, avail)
	repLen, repIdx := longestRep(mf.buf, cur, avail, nice, reps)
	if repLen >= nice {
		mf.skip(repLen - 1)
		return operation{repIdx, repLen}
	}
	if n := len(matches); n > 0 && int32(matches[n-1].n) >= nice {
		mf.skip(int32(matches[n-1].n) - 1)
		return operation{int32(matches[n-1].dist) + 4, int32(matches[n-1].n)}
	}
	mainLen, mainDist := mainMatch(matches)
	if repLen >= 2 && (repLen+1 >= mainLen ||
		repLen+2 >= mainLen && mainDist > 1<<9 ||
		repLen+3 >= mainLen && mainDist > 1<<15) {
		mf.skip(repLen - 1)
		return operation{repIdx, repLen}
	}
	if mainLen < 2 || avail <= 2 || p.lookAhead(mainLen, mainDist) || p.repNext(cur+1, mainLen, reps) {
		return operation{literalOp, 1}
	}
	mf.skip(mainLen - 2)
	return operation{int32(mainDist) + 4, mainLen}
}

// longestRep returns the longest match at cur, of at most avail bytes, at
// one of the recent distances, and the distance's index; the first that
// is nice long, as the lower indexes are cheaper to code.
func longestRep(buf []byte, cur, avail, nice int32, reps *[4]uint32) (n, idx int32) {
	for i, r := range reps {
		b := cur - int32(r) - 1
		if b < 0 || buf[b] != buf[cur] || buf[b+1] != buf[cur+1] {
			continue
		}
		if l := matchLen(buf, b, cur, 2, avail); l >= nice {
			return l, int32(i)
		} else if l > n {
			n, idx = l, int32(i)
		}
	}
	return n, idx
}

// mainMatch picks the match fast mode codes from those found (longest
// last): the longest, unless one a byte shorter is much nearer; a short
// far match is not worth it (length 1 then).
func mainMatch(matches []pair) (n int32, dist uint32) {
	k := len(matches) - 1
	if k < 0 {
		return 0, 0
	}
	for k > 0 && matches[k].n == matches[k-1].n+1 && farther(matches[k-1].dist, matches[k].dist) {
		k--
	}
	n, dist = int32(matches[k].n), matches[k].dist
	if n == 2 && dist >= 0x80 {
		n = 1
	}
	return n, dist
}

// repNext reports whether the position next starts a match at a recent
// distance almost as long as the main match; the current byte is then
// better a literal. The lookahead's matches are kept for the next call.
func (p *fastParser) repNext(next, mainLen int32, reps *[4]uint32) bool {
	limit := max(2, mainLen-1)
	for _, r := range reps {
		b := next - int32(r) - 1
		if b >= 0 && matchLen(p.mf.buf, b, next, 0, limit) == limit {
			p.looked = true
			return true
		}
	}
	return false
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
