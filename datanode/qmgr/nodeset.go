package qmgr

import (
	"math/bits"
	"strconv"

	"github.com/gondb/gondb/signal"
)

// NodeSet is a set of node ids 1..signal.MaxNodeID. It is also the wire
// form of a node list: 8 words, node n is bit n%32 of word n/32 (NDB's
// NodeBitmask).
type NodeSet [setWords]uint32

const setWords = (signal.MaxNodeID + 1) / 32

// Add puts n in the set; 0 and ids beyond signal.MaxNodeID are ignored.
func (s *NodeSet) Add(n signal.NodeID) {
	if n != 0 && n <= signal.MaxNodeID {
		s[n>>5] |= 1 << (n & 31)
	}
}

// Remove takes n out of the set.
func (s *NodeSet) Remove(n signal.NodeID) {
	if n <= signal.MaxNodeID {
		s[n>>5] &^= 1 << (n & 31)
	}
}

// Has reports whether n is in the set.
func (s NodeSet) Has(n signal.NodeID) bool {
	return n <= signal.MaxNodeID && s[n>>5]&(1<<(n&31)) != 0
}

// Count is the number of nodes in the set.
func (s NodeSet) Count() int {
	c := 0
	for _, w := range s {
		c += bits.OnesCount32(w)
	}
	return c
}

// Empty reports whether the set has no node.
func (s NodeSet) Empty() bool { return s == NodeSet{} }

// Union is s ∪ o.
func (s NodeSet) Union(o NodeSet) NodeSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

// Intersect is s ∩ o.
func (s NodeSet) Intersect(o NodeSet) NodeSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

// Minus is s \ o.
func (s NodeSet) Minus(o NodeSet) NodeSet {
	for i := range s {
		s[i] &^= o[i]
	}
	return s
}

// Nodes lists the set's nodes in ascending order.
func (s NodeSet) Nodes() []signal.NodeID {
	out := make([]signal.NodeID, 0, s.Count())
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros32(w)
			out = append(out, signal.NodeID(i*32+b))
			w &^= 1 << b
		}
	}
	return out
}

// String is the set as "{1,3,4}".
func (s NodeSet) String() string {
	b := []byte{'{'}
	for i, n := range s.Nodes() {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(n), 10)
	}
	return string(append(b, '}'))
}

// SetOf returns the set of the given nodes.
func SetOf(nodes ...signal.NodeID) NodeSet {
	var s NodeSet
	for _, n := range nodes {
		s.Add(n)
	}
	return s
}

// each calls fn for every node of the set, in ascending order.
func (s NodeSet) each(fn func(n signal.NodeID)) {
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros32(w)
			fn(signal.NodeID(i*32 + b))
			w &^= 1 << b
		}
	}
}

// put writes the set into w[0:8].
func (s NodeSet) put(w []uint32) { copy(w[:setWords], s[:]) }

// setFrom reads a set from w[0:8]; bit 0 (node 0, never a node) is
// cleared.
// SetFromWords reads a node set from its 8-word wire form (at least 8
// words), as NODE_FAILREP and NODE_INCLREP carry it.
func SetFromWords(w []uint32) NodeSet { return setFrom(w) }

func setFrom(w []uint32) NodeSet {
	var s NodeSet
	copy(s[:], w[:setWords])
	s[0] &^= 1
	return s
}
