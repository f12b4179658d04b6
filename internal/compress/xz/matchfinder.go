package xz

import (
	"encoding/binary"
	"math/bits"
)

const (
	hash3Bits = 16
	hash4Bits = 18
	maxDepth  = 1024
)

// pair is one match: n bytes at distance dist+1.
type pair struct{ n, dist uint32 }

// matchFinder finds matches in the window buf[:end], as xz's hc4 or bt4
// do: exact two-byte heads, hashed three- and four-byte heads, and behind
// each four-byte head either a chain through every earlier position with
// that hash (hash chain, cheap to update) or a binary tree of them sorted
// by what follows (binary tree, every update is a search, but a search
// finds the longest matches in few steps); at most depth steps either way.
// Positions are indexes into buf, stored plus one so that zero (fresh
// memory) means none. The chain or tree is indexed by position modulo its
// power-of-two size, so the window slides by multiples of that size only.
// buf grows up to its maximum as input arrives.
type matchFinder struct {
	buf      []byte
	bufMax   int
	end      int32 // valid bytes in buf
	pos      int32 // next position to index
	dictSize int32 // matches are shorter than this distance
	nice     int32 // a match this long ends the search
	depth    int
	tree     bool
	head2    []int32
	head3    []int32
	head4    []int32
	chain    []int32 // hash chain links, or binary tree child pairs
	mask     int32
	found    [maxMatchLen]pair
}

func newMatchFinder(dictSize, bufMax, nice, depth int, tree bool) *matchFinder {
	chainSize := 1 << bits.Len32(uint32(dictSize-1))
	links := chainSize
	if tree {
		links *= 2
	}
	return &matchFinder{
		buf:      make([]byte, min(bufMax, 1<<16)),
		bufMax:   bufMax,
		dictSize: int32(dictSize),
		nice:     int32(nice),
		depth:    depth,
		tree:     tree,
		head2:    make([]int32, 1<<16),
		head3:    make([]int32, 1<<hash3Bits),
		head4:    make([]int32, 1<<hash4Bits),
		chain:    make([]int32, links),
		mask:     int32(chainSize - 1),
	}
}

// grow makes room for more input, up to bufMax; false when full.
func (mf *matchFinder) grow() bool {
	if len(mf.buf) >= mf.bufMax {
		return false
	}
	mf.buf = append(mf.buf, make([]byte, min(len(mf.buf), mf.bufMax-len(mf.buf)))...)
	return true
}

func hashes(b []byte) (h2, h3, h4 uint32) {
	v := binary.LittleEndian.Uint32(b)
	return v & 0xFFFF, (v & 0xFFFFFF) * 2654435761 >> (32 - hash3Bits), v * 2654435761 >> (32 - hash4Bits)
}

// heads makes p the head for its two-, three- and four-byte prefixes and
// returns the previous heads; false when fewer than four bytes follow p,
// which are never indexed.
func (mf *matchFinder) heads(p int32) (c2, c3, c4 int32, ok bool) {
	if mf.end-p < 4 {
		return 0, 0, 0, false
	}
	h2, h3, h4 := hashes(mf.buf[p:])
	c2, c3, c4 = mf.head2[h2]-1, mf.head3[h3]-1, mf.head4[h4]-1
	mf.head2[h2], mf.head3[h3], mf.head4[h4] = p+1, p+1, p+1
	return c2, c3, c4, true
}

// skip indexes the next n positions without searching them (the binary
// tree searches all the same, to keep its order).
func (mf *matchFinder) skip(n int32) {
	for range n {
		p := mf.pos
		mf.pos++
		_, _, c4, ok := mf.heads(p)
		switch {
		case !ok:
		case mf.tree:
			mf.treeSearch(p, c4, nil, maxMatchLen)
		default:
			mf.chain[p&mf.mask] = c4 + 1
		}
	}
}

// find indexes the next position and returns its matches, longest last,
// each longer and farther than the one before. The slice is reused by
// the next call.
func (mf *matchFinder) find() []pair {
	p := mf.pos
	mf.pos++
	c2, c3, c4, ok := mf.heads(p)
	if !ok {
		return nil
	}
	limit := min(mf.end-p, maxMatchLen)
	nice := min(mf.nice, limit)
	buf, found := mf.buf, mf.found[:0]
	best, bestAt := int32(1), int32(-1)
	if c2 >= 0 && p-c2 < mf.dictSize {
		best, bestAt = 2, c2
		found = append(found, pair{2, uint32(p - c2 - 1)})
	}
	if c3 >= 0 && c3 != c2 && p-c3 < mf.dictSize && buf[c3] == buf[p] && buf[c3+1] == buf[p+1] && buf[c3+2] == buf[p+2] {
		best, bestAt = 3, c3
		found = append(found, pair{3, uint32(p - c3 - 1)})
	}
	if bestAt >= 0 {
		best = matchLen(buf, bestAt, p, best, limit)
		found[len(found)-1].n = uint32(best)
	}
	if mf.tree {
		found = mf.treeSearch(p, c4, found, best)
		if last := len(found) - 1; last >= 0 && int32(found[last].n) == nice {
			d := int32(found[last].dist)
			found[last].n = uint32(matchLen(buf, p-d-1, p, nice, limit))
		}
		return found
	}
	mf.chain[p&mf.mask] = c4 + 1
	if best >= nice {
		return found
	}
	return mf.chainSearch(p, c4, found, max(best, 3), limit)
}

// chainSearch follows the hash chain from c, p's previous four-byte
// head, appending to found each match longer than best, up to limit
// bytes; a nice one ends the search.
func (mf *matchFinder) chainSearch(p, c int32, found []pair, best, limit int32) []pair {
	buf, nice := mf.buf, min(mf.nice, limit)
	for d := mf.depth; c >= 0 && d > 0 && p-c < mf.dictSize; c, d = mf.chain[c&mf.mask]-1, d-1 {
		if buf[c+best] != buf[p+best] || buf[c] != buf[p] {
			continue
		}
		if n := matchLen(buf, c, p, 0, limit); n > best {
			best = n
			found = append(found, pair{uint32(n), uint32(p - c - 1)})
			if n >= nice {
				break
			}
		}
	}
	return found
}

// treeSearch makes p the root of its four-byte hash's binary tree, whose
// old root is c, appending to found each match longer than best on the
// way down. The tree orders positions by the (up to nice) bytes that
// follow them; walking it from the root, p's bytes are compared with
// positions ever closer to them in that order, and the nodes passed are
// hung left or right of p. A position whose bytes equal p's up to nice is
// replaced by p. As in xz, lengths stop at nice; find extends the last.
func (mf *matchFinder) treeSearch(p, c int32, found []pair, best int32) []pair {
	buf, son := mf.buf, mf.chain
	limit := min(mf.end-p, mf.nice)
	left, right := 2*(p&mf.mask), 2*(p&mf.mask)+1 // slots for smaller, larger
	lenLeft, lenRight := int32(0), int32(0)       // bytes known equal there
	for d := mf.depth; ; d-- {
		if c < 0 || d == 0 || p-c >= mf.dictSize {
			son[left], son[right] = 0, 0
			return found
		}
		node := 2 * (c & mf.mask)
		n := min(lenLeft, lenRight)
		if buf[c+n] == buf[p+n] {
			n = matchLen(buf, c, p, n+1, limit)
			if n > best {
				best = n
				found = append(found, pair{uint32(n), uint32(p - c - 1)})
			}
			if n == limit {
				son[left], son[right] = son[node], son[node+1]
				return found
			}
		}
		if buf[c+n] < buf[p+n] {
			son[left] = c + 1
			left, lenLeft = node+1, n
			c = son[node+1] - 1
		} else {
			son[right] = c + 1
			right, lenRight = node, n
			c = son[node] - 1
		}
	}
}

// matchLen returns how many bytes at a and b agree, counting from n (which
// already agree) up to limit bytes from b, where b > a.
func matchLen(buf []byte, a, b, n, limit int32) int32 {
	for n+8 <= limit {
		if x := binary.LittleEndian.Uint64(buf[a+n:]) ^ binary.LittleEndian.Uint64(buf[b+n:]); x != 0 {
			return n + int32(bits.TrailingZeros64(x)>>3)
		}
		n += 8
	}
	for n < limit && buf[a+n] == buf[b+n] {
		n++
	}
	return n
}

// slide drops the first shift bytes of the window (a multiple of the
// chain size, so chain slots stay put) and moves every position by it.
func (mf *matchFinder) slide(shift int32) {
	copy(mf.buf, mf.buf[shift:mf.end])
	mf.end -= shift
	mf.pos -= shift
	for _, t := range [][]int32{mf.head2, mf.head3, mf.head4, mf.chain} {
		for i, v := range t {
			t[i] = max(v-shift, 0)
		}
	}
}
