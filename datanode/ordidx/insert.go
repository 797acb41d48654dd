package ordidx

import "fmt"

// Insert adds row to the index. The row's key must be readable through the
// comparator. Inserting a row id that is already present is a caller bug
// and panics.
func (t *Tree) Insert(row uint32) {
	p := entryProbe(row)
	lf, pos := t.descend(&p)
	l := &t.leaves[lf]
	if pos > 0 && l.rows[pos-1] == row {
		panic(fmt.Sprintf("ordidx: row %d inserted twice", row))
	}
	t.count++
	t.mod++
	if l.n < t.leafMax {
		copy(l.rows[pos+1:l.n+1], l.rows[pos:l.n])
		l.rows[pos] = row
		l.n++
		return
	}
	// An append at the right edge: the leaf is the last one and row goes at
	// its end, so every node on the path takes its last child.
	appendEdge := l.next == nilNode && pos == int(l.n)
	right, sep := t.splitLeaf(lf, pos, row, appendEdge)
	t.insertUp(sep, right, appendEdge)
}

// splitLeaf moves the upper part of the full leaf lf, with row added at
// pos, into a new leaf linked after it, and returns the new leaf and its
// first row id, the separator for the parent.
func (t *Tree) splitLeaf(lf int32, pos int, row uint32, appendEdge bool) (int32, uint32) {
	r := t.newLeaf() // may move t.leaves: take pointers after it
	l, rl := &t.leaves[lf], &t.leaves[r]
	n := int(l.n)
	total := n + 1
	leftN := total / 2
	if appendEdge {
		// Keys keep growing: leave the left leaf nearly full, as it will
		// not be inserted into again.
		leftN = total - int(t.leafMin)
	}
	if pos < leftN {
		copy(rl.rows[:], l.rows[leftN-1:n])
		copy(l.rows[pos+1:leftN], l.rows[pos:leftN-1])
		l.rows[pos] = row
	} else {
		copy(rl.rows[:], l.rows[leftN:pos])
		rl.rows[pos-leftN] = row
		copy(rl.rows[pos-leftN+1:], l.rows[pos:n])
	}
	l.n = int32(leftN)
	rl.n = int32(total - leftN)

	rl.prev, rl.next = lf, l.next
	if l.next != nilNode {
		t.leaves[l.next].prev = r
	}
	l.next = r
	return r, rl.rows[0]
}

// insertUp adds separator sep and child right (the new right half of the
// child the path took) to the parents along t.path, splitting full ones,
// and grows a new root when the old one splits.
func (t *Tree) insertUp(sep uint32, right int32, appendEdge bool) {
	for h := t.height - 1; h >= 0; h-- {
		st := t.path[h]
		in := &t.inners[st.node]
		if in.n < t.innerMax {
			i, n := st.idx, in.n
			copy(in.seps[i+1:n+1], in.seps[i:n])
			in.seps[i] = sep
			copy(in.child[i+2:n+2], in.child[i+1:n+1])
			in.child[i+1] = right
			in.n++
			return
		}
		sep, right = t.splitInner(st, sep, right, appendEdge)
	}
	if t.height+1 > maxHeight {
		panic("ordidx: tree height exceeds maxHeight")
	}
	nr := t.newInner()
	in := &t.inners[nr]
	in.n = 1
	in.seps[0] = sep
	in.child[0] = t.root
	in.child[1] = right
	t.root = nr
	t.height++
}

// splitInner adds (sep, right) after child st.idx of the full node
// st.node, moves the upper part into a new node and returns the separator
// that moves up to the parent and the new node.
func (t *Tree) splitInner(st step, sep uint32, right int32, appendEdge bool) (uint32, int32) {
	nr := t.newInner() // may move t.inners: take pointers after it
	in, rn := &t.inners[st.node], &t.inners[nr]
	n, i := int(in.n), int(st.idx)

	// Merge into scratch: n+1 separators, n+2 children.
	copy(t.tmpSeps[:i], in.seps[:i])
	t.tmpSeps[i] = sep
	copy(t.tmpSeps[i+1:n+1], in.seps[i:n])
	copy(t.tmpChild[:i+1], in.child[:i+1])
	t.tmpChild[i+1] = right
	copy(t.tmpChild[i+2:n+2], in.child[i+1:n+1])

	// Left keeps m separators, tmpSeps[m] goes up, right gets n-m.
	m := n / 2
	if appendEdge {
		m = n - int(t.innerMin)
	}
	copy(in.seps[:m], t.tmpSeps[:m])
	copy(in.child[:m+1], t.tmpChild[:m+1])
	in.n = int32(m)
	copy(rn.seps[:n-m], t.tmpSeps[m+1:n+1])
	copy(rn.child[:n-m+1], t.tmpChild[m+1:n+2])
	rn.n = int32(n - m)
	return t.tmpSeps[m], nr
}
