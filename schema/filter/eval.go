package filter

import (
	"cmp"

	"github.com/gondb/gondb/schema"
)

// Truth values of three-valued logic, ordered so that AND is the minimum,
// OR the maximum and NOT is tvTrue minus the value.
const (
	tvFalse   uint8 = 0
	tvUnknown uint8 = 1
	tvTrue    uint8 = 2
)

func tv(b bool) uint8 {
	if b {
		return tvTrue
	}
	return tvFalse
}

// Match reports whether row r satisfies the filter: whether the program is
// TRUE (neither FALSE nor UNKNOWN) for r. r must be a row of the filter's
// layout. It allocates nothing; it is datanode/store's RowFilter.
func (f *Filter) Match(r schema.Row) bool {
	return f.eval(0, &r) == tvTrue
}

// eval returns the truth value of node i for row r.
func (f *Filter) eval(i uint32, r *schema.Row) uint8 {
	n := &f.nodes[i]
	switch n.op {
	case byte(And), byte(Nand):
		v := tvTrue
		for j := i + 1; j < n.end && v != tvFalse; j = f.nodes[j].end {
			v = min(v, f.eval(j, r))
		}
		if n.op == byte(Nand) {
			v = tvTrue - v
		}
		return v
	case byte(Or), byte(Nor):
		v := tvFalse
		for j := i + 1; j < n.end && v != tvTrue; j = f.nodes[j].end {
			v = max(v, f.eval(j, r))
		}
		if n.op == byte(Nor) {
			v = tvTrue - v
		}
		return v
	case opIsNull:
		return tv(r.IsNull(int(n.col)))
	case opIsNotNull:
		return tv(!r.IsNull(int(n.col)))
	}
	col := int(n.col)
	if r.IsNull(col) {
		return tvUnknown
	}
	switch n.op {
	case opCmp:
		return tv(Cmp(n.sub).holds(f.l.CompareValues(col, r.Raw(col), n.a)))
	case opCmpCols:
		col2 := int(n.col2)
		if r.IsNull(col2) {
			return tvUnknown
		}
		return tv(Cmp(n.sub).holds(f.compareCols(n, r, col, col2)))
	case opBetween:
		v := r.Raw(col)
		return tv(f.l.CompareValues(col, v, n.a) >= 0 && f.l.CompareValues(col, v, n.b) <= 0)
	case opBits:
		return tv(BitTest(n.sub).holds(r.Uint64(col), n.mask))
	case opLike, opNotLike:
		v := r.Raw(col)
		if n.trim {
			for len(v) > 0 && v[len(v)-1] == ' ' {
				v = v[:len(v)-1]
			}
		}
		return tv(likeMatch(n.like, v, n.utf8) == (n.op == opLike))
	}
	return tvUnknown // unreachable: Compile accepts no other opcode
}

// compareCols orders two non-NULL columns of r.
func (f *Filter) compareCols(n *node, r *schema.Row, a, b int) int {
	switch n.pair {
	case pairInt:
		cols := f.l.Table.Columns
		ua, ub := cols[a].Unsigned, cols[b].Unsigned
		switch {
		case ua && ub:
			return cmp.Compare(r.Uint64(a), r.Uint64(b))
		case !ua && !ub:
			return cmp.Compare(r.Int64(a), r.Int64(b))
		case ua: // unsigned a, signed b
			s := r.Int64(b)
			if s < 0 {
				return 1
			}
			return cmp.Compare(r.Uint64(a), uint64(s))
		default: // signed a, unsigned b
			s := r.Int64(a)
			if s < 0 {
				return -1
			}
			return cmp.Compare(uint64(s), r.Uint64(b))
		}
	case pairFloat:
		return cmp.Compare(r.Float64(a), r.Float64(b))
	}
	return f.l.CompareValues(a, r.Raw(a), r.Raw(b))
}
