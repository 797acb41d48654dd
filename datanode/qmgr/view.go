package qmgr

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gondb/gondb/signal"
)

// Member is one data node of a view.
type Member struct {
	Node signal.NodeID
	// Dyn is the dynamic id (NDB's): the order in which nodes were
	// admitted, smallest oldest. The ring and the succession of presidents
	// follow it.
	Dyn uint64
	// Start is the StartID of the incarnation admitted: a node that
	// restarts joins again as a new member.
	Start uint64
}

// view is a committed membership: the live data nodes in start order,
// numbered by FailNo, which every view change (failure or join) raises by
// one. A FailNo names one membership on every node that commits it.
type view struct {
	failNo  uint64
	members []Member // ordered by Dyn
}

func (v *view) set() NodeSet {
	var s NodeSet
	for _, m := range v.members {
		s.Add(m.Node)
	}
	return s
}

func (v *view) find(n signal.NodeID) *Member {
	for i := range v.members {
		if v.members[i].Node == n {
			return &v.members[i]
		}
	}
	return nil
}

func (v *view) has(n signal.NodeID) bool { return v.find(n) != nil }

// presidentExcept is the oldest member not in out (0: none).
func (v *view) presidentExcept(out NodeSet) signal.NodeID {
	for _, m := range v.members {
		if !out.Has(m.Node) {
			return m.Node
		}
	}
	return 0
}

// neighbours are self's left and right neighbours on the ring of the
// members not in out (0 when self is alone or not a member).
func (v *view) neighbours(self signal.NodeID, out NodeSet) (left, right signal.NodeID) {
	i := -1
	for j, m := range v.members {
		if m.Node == self {
			i = j
		}
	}
	if i < 0 {
		return 0, 0
	}
	n := len(v.members)
	for k := 1; k < n; k++ {
		if m := v.members[(i+k)%n].Node; !out.Has(m) {
			right = m
			break
		}
	}
	for k := 1; k < n; k++ {
		if m := v.members[(i-k+n)%n].Node; !out.Has(m) {
			left = m
			break
		}
	}
	return left, right
}

func (v *view) copyFrom(o *view) {
	v.failNo = o.failNo
	v.members = append(v.members[:0], o.members...)
}

func (v *view) equal(o *view) bool {
	if v.failNo != o.failNo || len(v.members) != len(o.members) {
		return false
	}
	for i := range v.members {
		if v.members[i] != o.members[i] {
			return false
		}
	}
	return true
}

func (v *view) maxDyn() uint64 {
	if len(v.members) == 0 {
		return 0
	}
	return v.members[len(v.members)-1].Dyn
}

// The view's wire form, carried in a section, little-endian:
//
//	| failNo (8B) | count (2B) | count x ( node (2B) | dyn (8B) | start (8B) ) |
const (
	viewHeader = 10
	memberSize = 18
)

var errBadView = errors.New("qmgr: malformed view section")

func appendView(dst []byte, v *view) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, v.failNo)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(v.members)))
	for _, m := range v.members {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(m.Node))
		dst = binary.LittleEndian.AppendUint64(dst, m.Dyn)
		dst = binary.LittleEndian.AppendUint64(dst, m.Start)
	}
	return dst
}

// decodeView reads b into v (reusing v's slice). It checks every length,
// that node ids are valid and distinct, and that dynamic ids increase: b
// comes from the network.
func decodeView(b []byte, v *view) error {
	if len(b) < viewHeader {
		return errBadView
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if n == 0 || n > signal.MaxNodeID || len(b) != viewHeader+n*memberSize {
		return fmt.Errorf("%w: %d members in %d bytes", errBadView, n, len(b))
	}
	v.failNo = binary.LittleEndian.Uint64(b)
	v.members = v.members[:0]
	var seen NodeSet
	p := b[viewHeader:]
	for i := 0; i < n; i++ {
		m := Member{
			Node:  signal.NodeID(binary.LittleEndian.Uint16(p)),
			Dyn:   binary.LittleEndian.Uint64(p[2:]),
			Start: binary.LittleEndian.Uint64(p[10:]),
		}
		p = p[memberSize:]
		if m.Node == 0 || m.Node > signal.MaxNodeID || seen.Has(m.Node) {
			return fmt.Errorf("%w: bad or repeated node %d", errBadView, m.Node)
		}
		if i > 0 && m.Dyn <= v.members[i-1].Dyn {
			return fmt.Errorf("%w: dynamic ids out of order", errBadView)
		}
		seen.Add(m.Node)
		v.members = append(v.members, m)
	}
	return nil
}
