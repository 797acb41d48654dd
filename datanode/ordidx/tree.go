package ordidx

import (
	"fmt"
	"math"
	"unsafe"
)

// Comparator orders rows by the index's key columns. The storage engine
// implements it; it reads row memory. Implementations must be cheap and
// allocation-free, and must not change the tree.
type Comparator interface {
	// CompareRows compares the index keys of rows a and b (NOT including the
	// row id tie-break) and returns <0, 0 or >0.
	CompareRows(a, b uint32) int
	// CompareKey compares a search key (an encoded bound, possibly a prefix
	// of the index's columns; its format is the comparator's business) with
	// row r's key. A prefix key compares equal to every row whose leading
	// columns match.
	CompareKey(key []byte, r uint32) int
}

const (
	// leafCap makes a leaf exactly 256 bytes, four cache lines:
	// 61*4 bytes of row ids + n + next + prev.
	leafCap = 61
	// innerCap makes an inner node exactly 512 bytes, eight cache lines:
	// 63*4 bytes of separators + 64*4 of children + n.
	innerCap = 63
	// maxHeight bounds the inner levels. Production nodes have at least
	// 16 children, so 8 levels would hold 2^32 rows; the test geometry has
	// as few as 2, hence the margin.
	maxHeight = 32

	nilNode int32 = -1
	// freed marks the n of a node on a free list, so that Check catches a
	// freed node that is still linked in.
	freed int32 = -1
)

// leaf holds up to leafCap row ids in key order and links to its neighbours.
type leaf struct {
	rows       [leafCap]uint32
	n          int32
	next, prev int32 // nilNode at the ends; next threads the free list
}

// inner holds n separators and n+1 children. seps[i] is the row id of the
// first entry under child[i+1]; entries under child[i] sort before it.
type inner struct {
	seps  [innerCap]uint32
	child [innerCap + 1]int32 // child[0] threads the free list
	n     int32
}

const (
	leafBytes  = int64(unsafe.Sizeof(leaf{}))
	innerBytes = int64(unsafe.Sizeof(inner{}))
)

// step is one level of the path from the root to a leaf.
type step struct {
	node int32 // inner node
	idx  int32 // child index taken
}

// Tree is an ordered index over row ids. Create it with New.
type Tree struct {
	cmp    Comparator
	leaves []leaf
	inners []inner

	freeLeaf, freeInner int32 // heads of the free lists
	root                int32 // a leaf when height == 0, else an inner node
	height              int   // inner levels above the leaves
	count               int
	mod                 uint64 // bumped by every change; cursors re-seek when it moved

	// Fill limits. They equal the array capacities in production; tests
	// shrink them to build deep trees from few rows.
	leafMax, leafMin   int32
	innerMax, innerMin int32

	// Scratch, kept here so that no operation allocates.
	path     [maxHeight]step
	tmpSeps  [innerCap + 1]uint32
	tmpChild [innerCap + 2]int32
}

// New returns an empty tree ordered by cmp.
func New(cmp Comparator) *Tree {
	return newTree(cmp, leafCap, innerCap)
}

// newTree builds a tree whose nodes hold at most leafMax and innerMax
// entries. Non-root nodes keep at least a quarter: a leaf at least 2 so it
// never empties on one delete, an inner node at least 1 separator.
func newTree(cmp Comparator, leafMax, innerMax int) *Tree {
	if leafMax < 8 || leafMax > leafCap || innerMax < 4 || innerMax > innerCap {
		panic(fmt.Sprintf("ordidx: bad node geometry leaf=%d inner=%d", leafMax, innerMax))
	}
	t := &Tree{
		cmp:       cmp,
		freeLeaf:  nilNode,
		freeInner: nilNode,
		leafMax:   int32(leafMax),
		leafMin:   int32(max(2, leafMax/4)),
		innerMax:  int32(innerMax),
		innerMin:  int32(max(1, innerMax/4)),
	}
	t.root = t.newLeaf()
	return t
}

// Len returns the number of entries.
func (t *Tree) Len() int { return t.count }

// MemoryBytes returns the bytes held by the node slices, free nodes and
// spare capacity included, for memory accounting.
func (t *Tree) MemoryBytes() int64 {
	return int64(cap(t.leaves))*leafBytes + int64(cap(t.inners))*innerBytes
}

// First returns the smallest entry's row id, or ok == false when empty.
func (t *Tree) First() (row uint32, ok bool) {
	l := &t.leaves[t.edgeLeaf(false)]
	if l.n == 0 {
		return 0, false
	}
	return l.rows[0], true
}

// Last returns the largest entry's row id, or ok == false when empty.
func (t *Tree) Last() (row uint32, ok bool) {
	l := &t.leaves[t.edgeLeaf(true)]
	if l.n == 0 {
		return 0, false
	}
	return l.rows[l.n-1], true
}

// edgeLeaf returns the leftmost or rightmost leaf.
func (t *Tree) edgeLeaf(right bool) int32 {
	node := t.root
	for h := 0; h < t.height; h++ {
		in := &t.inners[node]
		if right {
			node = in.child[in.n]
		} else {
			node = in.child[0]
		}
	}
	return node
}

func (t *Tree) newLeaf() int32 {
	if i := t.freeLeaf; i != nilNode {
		t.freeLeaf = t.leaves[i].next
		t.leaves[i] = leaf{next: nilNode, prev: nilNode}
		return i
	}
	if len(t.leaves) >= math.MaxInt32 {
		panic("ordidx: too many leaves")
	}
	t.leaves = append(t.leaves, leaf{next: nilNode, prev: nilNode})
	return int32(len(t.leaves) - 1)
}

func (t *Tree) freeLeafNode(i int32) {
	t.leaves[i] = leaf{n: freed, next: t.freeLeaf, prev: nilNode}
	t.freeLeaf = i
}

func (t *Tree) newInner() int32 {
	if i := t.freeInner; i != nilNode {
		t.freeInner = t.inners[i].child[0]
		t.inners[i].n = 0
		return i
	}
	if len(t.inners) >= math.MaxInt32 {
		panic("ordidx: too many inner nodes")
	}
	t.inners = append(t.inners, inner{})
	return int32(len(t.inners) - 1)
}

func (t *Tree) freeInnerNode(i int32) {
	in := &t.inners[i]
	in.n = freed
	in.child[0] = t.freeInner
	t.freeInner = i
}
