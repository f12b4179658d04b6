package xz

// matchSource gives the matches at each next position in turn.
type matchSource interface {
	find() []pair
	skip(n int32)
}

const (
	prefetchBlock = 4096 // positions per block handed over
	prefetchAhead = 8    // blocks the match finder may run ahead
)

// matchBlock holds the matches of consecutive positions: those of the
// i-th are pairs[offs[i]:offs[i+1]].
type matchBlock struct {
	offs  []int32
	pairs []pair
}

// prefetcher runs the binary-tree match finder in a goroutine ahead of
// the optimal parser, which needs the matches at (nearly) every position
// anyway: the tree is updated by a full search even where the parser
// skips, so searching every position costs nothing extra, and on two
// cores the search, about half the work, overlaps the parse. The results
// are the same as searching in the parser's own goroutine.
//
// Between start and finish the goroutine owns the match finder's tables
// and position; buf and end are read by both and written by neither.
type prefetcher struct {
	mf      *matchFinder
	ready   chan *matchBlock
	free    chan *matchBlock
	pending []*matchBlock // handed over, not yet read: they outlive finish
	cur     *matchBlock
	next    int
}

func newPrefetcher(mf *matchFinder) *prefetcher {
	return &prefetcher{mf: mf, free: make(chan *matchBlock, prefetchAhead+2)}
}

// start searches every position before bound in the background.
func (pf *prefetcher) start(bound int32) {
	ready := make(chan *matchBlock, prefetchAhead)
	pf.ready = ready
	mf := pf.mf
	go func() {
		defer close(ready)
		for mf.pos < bound {
			var b *matchBlock
			select {
			case b = <-pf.free:
				b.offs, b.pairs = b.offs[:0], b.pairs[:0]
			default:
				b = &matchBlock{}
			}
			b.offs = append(b.offs, 0)
			for n := 0; n < prefetchBlock && mf.pos < bound; n++ {
				b.pairs = append(b.pairs, mf.find()...)
				b.offs = append(b.offs, int32(len(b.pairs)))
			}
			ready <- b
		}
	}()
}

// finish waits for the search to reach its bound and keeps what the
// parser has not read yet for the next start.
func (pf *prefetcher) finish() {
	for b := range pf.ready {
		pf.pending = append(pf.pending, b)
	}
	pf.ready = nil
}

// find returns the matches at the next position.
func (pf *prefetcher) find() []pair {
	for pf.cur == nil || pf.next == len(pf.cur.offs)-1 {
		if pf.cur != nil {
			select {
			case pf.free <- pf.cur:
			default:
			}
		}
		pf.cur, pf.next = pf.block(), 0
	}
	b, i := pf.cur, pf.next
	pf.next++
	return b.pairs[b.offs[i]:b.offs[i+1]:b.offs[i+1]]
}

func (pf *prefetcher) block() *matchBlock {
	if len(pf.pending) > 0 {
		b := pf.pending[0]
		pf.pending = pf.pending[1:]
		return b
	}
	b, ok := <-pf.ready
	if !ok {
		panic("xz: parser ran past the match finder")
	}
	return b
}

// skip passes over n positions.
func (pf *prefetcher) skip(n int32) {
	for range n {
		pf.find()
	}
}
