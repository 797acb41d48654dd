package ordidx

import "fmt"

// Delete removes row from the index and reports whether it was there. The
// row's key must still be readable through the comparator and unchanged
// since Insert.
func (t *Tree) Delete(row uint32) bool {
	p := entryProbe(row)
	lf, pos := t.descend(&p)
	l := &t.leaves[lf]
	if pos == 0 || l.rows[pos-1] != row {
		return false
	}
	pos--
	copy(l.rows[pos:l.n-1], l.rows[pos+1:l.n])
	l.n--
	t.count--
	t.mod++
	if t.height == 0 {
		return true // the root leaf may hold anything from 0 entries up
	}
	// A non-root leaf held at least leafMin >= 2 entries, so one is left.
	if pos == 0 {
		t.replaceSep(row, l.rows[0])
	}
	if l.n < t.leafMin {
		t.rebalanceLeaf(lf)
	}
	return true
}

// replaceSep swaps the separator old, which was the first entry of the leaf
// at the end of t.path, for that leaf's new first entry. It lives in the
// deepest node on the path where the path does not take the first child;
// if there is none the leaf is the leftmost and no separator names it.
func (t *Tree) replaceSep(old, new uint32) {
	for h := t.height - 1; h >= 0; h-- {
		st := t.path[h]
		if st.idx == 0 {
			continue
		}
		in := &t.inners[st.node]
		if in.seps[st.idx-1] != old {
			panic(fmt.Sprintf("ordidx: separator %d of node %d is %d, want deleted row %d",
				st.idx-1, st.node, in.seps[st.idx-1], old))
		}
		in.seps[st.idx-1] = new
		return
	}
}

// rebalanceLeaf refills the underfull leaf lf, the child the path took
// from its parent: evens out with a sibling that has entries to spare,
// else merges with one and removes the emptied node from the parent.
func (t *Tree) rebalanceLeaf(lf int32) {
	h := t.height - 1
	par := &t.inners[t.path[h].node]
	j := t.path[h].idx
	l := &t.leaves[lf]
	if j > 0 {
		ls := &t.leaves[par.child[j-1]]
		if ls.n > t.leafMin {
			k := (ls.n - l.n) / 2
			copy(l.rows[k:l.n+k], l.rows[:l.n])
			copy(l.rows[:k], ls.rows[ls.n-k:ls.n])
			ls.n -= k
			l.n += k
			par.seps[j-1] = l.rows[0]
			return
		}
	}
	if j < par.n {
		rs := &t.leaves[par.child[j+1]]
		if rs.n > t.leafMin {
			k := (rs.n - l.n) / 2
			copy(l.rows[l.n:l.n+k], rs.rows[:k])
			copy(rs.rows[:rs.n-k], rs.rows[k:rs.n])
			rs.n -= k
			l.n += k
			par.seps[j] = rs.rows[0]
			return
		}
	}
	// Neither sibling can lend, so both halves are at most leafMin and the
	// merge fits. Merge the right one of the pair into the left one.
	i := j
	if j > 0 {
		i = j - 1
	}
	t.mergeLeaves(par.child[i], par.child[i+1])
	t.removeChild(h, i)
}

// mergeLeaves appends leaf b's entries to its left neighbour a and frees b.
func (t *Tree) mergeLeaves(a, b int32) {
	la, lb := &t.leaves[a], &t.leaves[b]
	copy(la.rows[la.n:la.n+lb.n], lb.rows[:lb.n])
	la.n += lb.n
	la.next = lb.next
	if lb.next != nilNode {
		t.leaves[lb.next].prev = a
	}
	t.freeLeafNode(b)
}

// removeChild drops separator i and child i+1 (already merged away) from
// the inner node at path level h, then repairs that node: a root left with
// one child is replaced by it, an underfull non-root node is rebalanced.
func (t *Tree) removeChild(h int, i int32) {
	node := t.path[h].node
	in := &t.inners[node]
	copy(in.seps[i:in.n-1], in.seps[i+1:in.n])
	copy(in.child[i+1:in.n], in.child[i+2:in.n+1])
	in.n--
	if h == 0 {
		if in.n == 0 {
			t.root = in.child[0]
			t.height--
			t.freeInnerNode(node)
		}
		return
	}
	if in.n < t.innerMin {
		t.rebalanceInner(h)
	}
}

// rebalanceInner refills the underfull inner node at path level h >= 1 by
// rotating children through the parent from a sibling that has some to
// spare, else merges it with a sibling. Rotation keeps each separator equal
// to the first entry of the subtree on its right: the parent's separator
// comes down in front of the subtree it named, and the separator that named
// the subtree moving across goes up.
func (t *Tree) rebalanceInner(h int) {
	node := t.path[h].node
	pnode, j := t.path[h-1].node, t.path[h-1].idx
	par, in := &t.inners[pnode], &t.inners[node]
	if j > 0 {
		ls := &t.inners[par.child[j-1]]
		if ls.n > t.innerMin {
			// Move ls's last k children to the front of in.
			k := (ls.n - in.n) / 2
			copy(in.seps[k:in.n+k], in.seps[:in.n])
			copy(in.child[k:in.n+1+k], in.child[:in.n+1])
			in.seps[k-1] = par.seps[j-1]
			copy(in.seps[:k-1], ls.seps[ls.n-k+1:ls.n])
			copy(in.child[:k], ls.child[ls.n-k+1:ls.n+1])
			par.seps[j-1] = ls.seps[ls.n-k]
			ls.n -= k
			in.n += k
			return
		}
	}
	if j < par.n {
		rs := &t.inners[par.child[j+1]]
		if rs.n > t.innerMin {
			// Move rs's first k children to the end of in.
			k := (rs.n - in.n) / 2
			in.seps[in.n] = par.seps[j]
			copy(in.seps[in.n+1:in.n+k], rs.seps[:k-1])
			copy(in.child[in.n+1:in.n+1+k], rs.child[:k])
			par.seps[j] = rs.seps[k-1]
			copy(rs.seps[:rs.n-k], rs.seps[k:rs.n])
			copy(rs.child[:rs.n-k+1], rs.child[k:rs.n+1])
			rs.n -= k
			in.n += k
			return
		}
	}
	i := j
	if j > 0 {
		i = j - 1
	}
	a, b := &t.inners[par.child[i]], &t.inners[par.child[i+1]]
	a.seps[a.n] = par.seps[i]
	copy(a.seps[a.n+1:a.n+1+b.n], b.seps[:b.n])
	copy(a.child[a.n+1:a.n+2+b.n], b.child[:b.n+1])
	a.n += 1 + b.n
	t.freeInnerNode(par.child[i+1])
	t.removeChild(h-1, i)
}
