package ordidx

import (
	"errors"
	"fmt"
)

// ErrCorrupt marks every error Check returns.
var ErrCorrupt = errors.New("ordidx: index corrupt")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// Check verifies the whole tree: uniform depth, node fill, separators equal
// to the first entry of the subtree on their right, the leaf chain against
// the tree order, strict (key, row id) order of all entries, the count, and
// that every node is either reachable once or on a free list. It costs
// O(n) comparator calls and allocates; it is meant for tests and debugging.
func (t *Tree) Check() error {
	c := checker{
		t:           t,
		leafSeen:    make([]bool, len(t.leaves)),
		innerSeen:   make([]bool, len(t.inners)),
		leavesOrder: make([]int32, 0, len(t.leaves)),
	}
	if t.height < 0 || t.height > maxHeight {
		return corrupt("height %d", t.height)
	}
	if _, _, err := c.walk(t.root, 0); err != nil {
		return err
	}
	if err := c.checkChain(); err != nil {
		return err
	}
	if err := c.checkFree(); err != nil {
		return err
	}
	return nil
}

type checker struct {
	t           *Tree
	leafSeen    []bool
	innerSeen   []bool
	leavesOrder []int32
	entries     int
}

// walk checks the subtree at node, depth levels below the root, and returns
// its first entry (ok false for an empty root leaf).
func (c *checker) walk(node int32, depth int) (first uint32, ok bool, err error) {
	t := c.t
	root := depth == 0
	if depth == t.height {
		if node < 0 || int(node) >= len(t.leaves) {
			return 0, false, corrupt("leaf number %d out of range", node)
		}
		if c.leafSeen[node] {
			return 0, false, corrupt("leaf %d reached twice", node)
		}
		c.leafSeen[node] = true
		l := &t.leaves[node]
		if l.n == freed {
			return 0, false, corrupt("freed leaf %d is in the tree", node)
		}
		if l.n < 0 || l.n > t.leafMax || !root && l.n < t.leafMin {
			return 0, false, corrupt("leaf %d holds %d entries, want %d..%d", node, l.n, t.leafMin, t.leafMax)
		}
		c.leavesOrder = append(c.leavesOrder, node)
		c.entries += int(l.n)
		if l.n == 0 {
			return 0, false, nil
		}
		return l.rows[0], true, nil
	}
	if node < 0 || int(node) >= len(t.inners) {
		return 0, false, corrupt("inner node number %d out of range", node)
	}
	if c.innerSeen[node] {
		return 0, false, corrupt("inner node %d reached twice", node)
	}
	c.innerSeen[node] = true
	in := &t.inners[node]
	if in.n == freed {
		return 0, false, corrupt("freed inner node %d is in the tree", node)
	}
	lo := t.innerMin
	if root {
		lo = 1
	}
	if in.n < lo || in.n > t.innerMax {
		return 0, false, corrupt("inner node %d holds %d separators, want %d..%d", node, in.n, lo, t.innerMax)
	}
	for i := int32(0); i <= in.n; i++ {
		f, ok, err := c.walk(in.child[i], depth+1)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			return 0, false, corrupt("inner node %d child %d is empty", node, i)
		}
		if i == 0 {
			first = f
		} else if in.seps[i-1] != f {
			return 0, false, corrupt("inner node %d separator %d is row %d, child starts with row %d",
				node, i-1, in.seps[i-1], f)
		}
	}
	return first, true, nil
}

// checkChain compares the leaf chain with the tree order and checks that
// the entries along it are strictly increasing.
func (c *checker) checkChain() error {
	t := c.t
	if c.entries != t.count {
		return corrupt("leaves hold %d entries, count is %d", c.entries, t.count)
	}
	prev := nilNode
	var last uint32
	have := false
	for k, lf := range c.leavesOrder {
		l := &t.leaves[lf]
		if l.prev != prev {
			return corrupt("leaf %d prev is %d, want %d", lf, l.prev, prev)
		}
		want := nilNode
		if k+1 < len(c.leavesOrder) {
			want = c.leavesOrder[k+1]
		}
		if l.next != want {
			return corrupt("leaf %d next is %d, want %d", lf, l.next, want)
		}
		for _, r := range l.rows[:l.n] {
			if have && !t.entryLess(last, r) {
				return corrupt("row %d does not sort after row %d (leaf %d)", r, last, lf)
			}
			last, have = r, true
		}
		prev = lf
	}
	return nil
}

// entryLess orders two entries by key, then row id.
func (t *Tree) entryLess(a, b uint32) bool {
	if c := t.cmp.CompareRows(a, b); c != 0 {
		return c < 0
	}
	return a < b
}

// checkFree checks that the free lists hold exactly the unreachable nodes.
func (c *checker) checkFree() error {
	t := c.t
	for i := t.freeLeaf; i != nilNode; i = t.leaves[i].next {
		if i < 0 || int(i) >= len(t.leaves) || c.leafSeen[i] {
			return corrupt("free leaf list reaches leaf %d twice or out of range", i)
		}
		if t.leaves[i].n != freed {
			return corrupt("free leaf %d is not marked freed", i)
		}
		c.leafSeen[i] = true
	}
	for i := t.freeInner; i != nilNode; i = t.inners[i].child[0] {
		if i < 0 || int(i) >= len(t.inners) || c.innerSeen[i] {
			return corrupt("free inner list reaches node %d twice or out of range", i)
		}
		if t.inners[i].n != freed {
			return corrupt("free inner node %d is not marked freed", i)
		}
		c.innerSeen[i] = true
	}
	for i, seen := range c.leafSeen {
		if !seen {
			return corrupt("leaf %d is lost: neither in the tree nor free", i)
		}
	}
	for i, seen := range c.innerSeen {
		if !seen {
			return corrupt("inner node %d is lost: neither in the tree nor free", i)
		}
	}
	return nil
}
