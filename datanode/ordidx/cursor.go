package ordidx

// Bound is one end of a scan range. Key is encoded for
// Comparator.CompareKey and may be a prefix of the index's columns: an
// inclusive prefix bound takes in every row whose leading columns match it,
// an exclusive one leaves them all out.
type Bound struct {
	Key       []byte
	Inclusive bool
	Unbounded bool // no limit at this end; Key and Inclusive are ignored
}

// Cursor states.
const (
	cursorUnplaced uint8 = 0 // must (re)descend before reading
	cursorPlaced   uint8 = 1 // leaf/idx valid while mod matches the tree's
	cursorDone     uint8 = 2 // reached the end of the range
)

// Cursor is a range scan over a Tree, read in batches with Next. It stays
// valid across Insert and Delete between calls (see the package comment
// for what the storage engine must keep readable meanwhile). The zero
// Cursor returns nothing. A Cursor keeps references to its bound keys and
// to a key given to ResumeAfterKey: do not change them while it is in use.
type Cursor struct {
	t      *Tree
	lo, hi Bound
	desc   bool
	state  uint8

	hasLast   bool
	last      uint32 // the last row id returned
	resumeKey []byte // set by ResumeAfterKey: re-seek by key, not by last's row memory

	leaf int32  // the next entry to read, valid in cursorPlaced while
	idx  int32  // mod == t.mod; idx may run one past either end of the leaf
	mod  uint64 // t.mod when leaf/idx were last valid
}

// Seek returns a cursor over the entries whose keys lie between lo and hi,
// in ascending order or, with descending, descending. It does no work: the
// first Next finds the start.
func (t *Tree) Seek(lo, hi Bound, descending bool) Cursor {
	return Cursor{t: t, lo: lo, hi: hi, desc: descending}
}

// Position returns the row id last returned by Next (or given to
// ResumeAfterKey); ok is false before the first row. The cursor may read
// that row's key through Comparator.CompareRows on its next Next call if
// the tree changed meanwhile, unless ResumeAfterKey gave it the key or Next
// has already returned 0.
func (c *Cursor) Position() (lastRow uint32, ok bool) {
	return c.last, c.hasLast
}

// ResumeAfterKey places the cursor just beyond the entry (key, row) in its
// scan direction: the next row returned is the first entry after it. key
// must be the row's full index key encoded for Comparator.CompareKey; the
// row need not be in the tree nor readable. Use it when the row the cursor
// last returned is deleted and its memory must be released before the
// next batch, or to rebuild a cursor at a saved position. A position before
// the range's start is moved up to the start. It revives a finished cursor.
func (c *Cursor) ResumeAfterKey(key []byte, row uint32) {
	c.last, c.hasLast = row, true
	c.resumeKey = key
	c.state = cursorUnplaced
}

// Next fills dst with up to len(dst) row ids in scan order and returns how
// many it wrote; 0 means the scan is over (or dst is empty). It allocates
// nothing.
func (c *Cursor) Next(dst []uint32) int {
	t := c.t
	if t == nil || c.state == cursorDone || len(dst) == 0 {
		return 0
	}
	if c.state == cursorUnplaced || c.mod != t.mod {
		c.place()
	}
	var n int
	if c.desc {
		n = c.readDesc(dst)
	} else {
		n = c.readAsc(dst)
	}
	if n > 0 {
		c.last, c.hasLast = dst[n-1], true
		c.resumeKey = nil
	}
	c.mod = t.mod
	return n
}

// place finds the next entry to read: just beyond the last row returned
// when there is one, else the start of the range.
func (c *Cursor) place() {
	t := c.t
	c.state = cursorPlaced
	if !c.hasLast {
		c.placeAtStart()
		return
	}
	// Ascending: first entry after (last's key, last). Descending: the entry
	// before the first one at or after it.
	p := probe{row: c.last, idTie: true, tie: 1}
	if c.desc {
		p.tie = -1
	}
	if c.resumeKey != nil {
		p.byKey, p.key = true, c.resumeKey
	}
	lf, pos := t.descend(&p)
	if c.desc {
		pos--
	}
	c.leaf, c.idx = lf, int32(pos)
	if c.resumeKey != nil && !c.startOK() {
		c.placeAtStart()
	}
}

// placeAtStart places the cursor at the first entry within the start bound.
func (c *Cursor) placeAtStart() {
	t := c.t
	if !c.desc {
		if c.lo.Unbounded {
			c.leaf, c.idx = t.edgeLeaf(false), 0
			return
		}
		// Inclusive: first entry with key >= lo; exclusive: key > lo.
		p := probe{key: c.lo.Key, byKey: true, tie: 1}
		if c.lo.Inclusive {
			p.tie = -1
		}
		lf, pos := t.descend(&p)
		c.leaf, c.idx = lf, int32(pos)
		return
	}
	if c.hi.Unbounded {
		lf := t.edgeLeaf(true)
		c.leaf, c.idx = lf, t.leaves[lf].n-1
		return
	}
	// Inclusive: last entry with key <= hi; exclusive: key < hi.
	p := probe{key: c.hi.Key, byKey: true, tie: -1}
	if c.hi.Inclusive {
		p.tie = 1
	}
	lf, pos := t.descend(&p)
	c.leaf, c.idx = lf, int32(pos-1)
}

// startOK reports whether the next entry to read, if any, is within the
// start bound; only a position given by ResumeAfterKey can be before it.
func (c *Cursor) startOK() bool {
	t := c.t
	leaf, idx := c.leaf, c.idx
	if !c.desc {
		if c.lo.Unbounded {
			return true
		}
		for idx >= t.leaves[leaf].n {
			if leaf = t.leaves[leaf].next; leaf == nilNode {
				return true
			}
			idx = 0
		}
		return c.aboveLo(t.leaves[leaf].rows[idx])
	}
	if c.hi.Unbounded {
		return true
	}
	for idx < 0 {
		if leaf = t.leaves[leaf].prev; leaf == nilNode {
			return true
		}
		idx = t.leaves[leaf].n - 1
	}
	return c.belowHi(t.leaves[leaf].rows[idx])
}

// aboveLo reports whether row r is within the lower bound.
func (c *Cursor) aboveLo(r uint32) bool {
	if c.lo.Unbounded {
		return true
	}
	k := c.t.cmp.CompareKey(c.lo.Key, r)
	return k < 0 || k == 0 && c.lo.Inclusive
}

// belowHi reports whether row r is within the upper bound.
func (c *Cursor) belowHi(r uint32) bool {
	if c.hi.Unbounded {
		return true
	}
	k := c.t.cmp.CompareKey(c.hi.Key, r)
	return k > 0 || k == 0 && c.hi.Inclusive
}

// readAsc copies entries forward from the cursor's place. Entries within
// the upper bound form a prefix of what is left, so it checks the last
// entry of each leaf segment and searches for the cut only in the segment
// that crosses the bound.
func (c *Cursor) readAsc(dst []uint32) int {
	t := c.t
	leaf, idx := c.leaf, c.idx
	n := 0
	for n < len(dst) {
		l := &t.leaves[leaf]
		if idx >= l.n {
			if l.next == nilNode {
				c.state = cursorDone
				break
			}
			leaf, idx = l.next, 0
			continue
		}
		end := min(l.n, idx+int32(len(dst)-n))
		seg := l.rows[idx:end]
		if !c.belowHi(seg[len(seg)-1]) {
			lo, hi := 0, len(seg)-1 // seg[hi] is out
			for lo < hi {
				m := int(uint(lo+hi) >> 1)
				if c.belowHi(seg[m]) {
					lo = m + 1
				} else {
					hi = m
				}
			}
			n += copy(dst[n:], seg[:lo])
			c.state = cursorDone
			break
		}
		n += copy(dst[n:], seg)
		idx = end
	}
	c.leaf, c.idx = leaf, idx
	return n
}

// readDesc is readAsc backwards: entries within the lower bound form a
// suffix of each segment.
func (c *Cursor) readDesc(dst []uint32) int {
	t := c.t
	leaf, idx := c.leaf, c.idx
	n := 0
	for n < len(dst) {
		l := &t.leaves[leaf]
		if idx < 0 {
			if l.prev == nilNode {
				c.state = cursorDone
				break
			}
			leaf = l.prev
			idx = t.leaves[leaf].n - 1
			continue
		}
		start := max(0, idx+1-int32(len(dst)-n))
		seg := l.rows[start : idx+1]
		cut := 0
		if !c.aboveLo(seg[0]) {
			lo, hi := 1, len(seg) // seg[0] is out; find the first that is in
			for lo < hi {
				m := int(uint(lo+hi) >> 1)
				if c.aboveLo(seg[m]) {
					hi = m
				} else {
					lo = m + 1
				}
			}
			cut = lo
			c.state = cursorDone
		}
		for k := len(seg) - 1; k >= cut; k-- {
			dst[n] = seg[k]
			n++
		}
		if cut > 0 {
			break
		}
		idx = start - 1
	}
	c.leaf, c.idx = leaf, idx
	return n
}
