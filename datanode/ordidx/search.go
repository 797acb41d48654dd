package ordidx

// probe is a search target: a row (compared through CompareRows) or an
// encoded key (through CompareKey), optionally followed by a row id. A probe
// never compares equal to an entry: where everything it holds is equal,
// tie decides which side of the entry it sorts on. Every search is thus
// "first entry that sorts after the probe".
type probe struct {
	key   []byte
	row   uint32
	byKey bool // compare key with CompareKey; else row with CompareRows
	idTie bool // break key ties by comparing row with the entry's row id
	tie   int8 // result when all of the above compare equal: -1 or +1
}

// compare returns <0 if p sorts before entry e, >0 if after; never 0.
func (t *Tree) compare(p *probe, e uint32) int {
	var c int
	if p.byKey {
		c = t.cmp.CompareKey(p.key, e)
	} else {
		c = t.cmp.CompareRows(p.row, e)
	}
	if c != 0 {
		return c
	}
	if p.idTie {
		if p.row < e {
			return -1
		}
		if p.row > e {
			return 1
		}
	}
	return int(p.tie)
}

// search returns the index of the first of rows that sorts after p.
func (t *Tree) search(p *probe, rows []uint32) int {
	lo, hi := 0, len(rows)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.compare(p, rows[m]) < 0 {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// descend walks from the root to the leaf where p belongs, recording the
// path in t.path, and returns the leaf and the index of its first entry
// that sorts after p (l.n when none does).
func (t *Tree) descend(p *probe) (int32, int) {
	node := t.root
	for h := 0; h < t.height; h++ {
		in := &t.inners[node]
		i := t.search(p, in.seps[:in.n])
		t.path[h] = step{node: node, idx: int32(i)}
		node = in.child[i]
	}
	l := &t.leaves[node]
	return node, t.search(p, l.rows[:l.n])
}

// entryProbe locates row's own entry: with tie +1 the search lands just
// after it.
func entryProbe(row uint32) probe {
	return probe{row: row, idTie: true, tie: 1}
}
