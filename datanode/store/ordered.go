package store

import (
	"github.com/gondb/gondb/datanode/ordidx"
	"github.com/gondb/gondb/schema"
)

// orderedIndex is one ordered index of a fragment. Its entries are the
// fragment's committed rows: a row enters at commit of its insert and
// leaves at commit of its delete (or moves when an update changes its
// indexed columns), so committed-read scans see exactly committed rows.
type orderedIndex struct {
	f      *Fragment
	number int // position in Table.Indexes
	cols   []int
	tree   *ordidx.Tree
	// Comparisons view two rows at once; a chained var part of the first
	// is moved out of the fragment's scratch buffer into this one.
	scratchA []byte

	// building: the index was added to a fragment that had rows (Alter)
	// and holds only the committed rows whose id is below built;
	// BuildIndexes moves built up in row-id order. Commits keep that part
	// exact (covers), and the build enters the rest as it reaches them,
	// so the index is complete when built passes the last page. Scans are
	// refused until then.
	building bool
	built    uint64
	// retired: the table's new version dropped the index. It is kept in
	// step, refusing new scans, until no running scan uses it
	// (ReleaseRetired).
	retired bool
}

// covers reports whether the index holds row r's entry when r is a
// committed row: always, except above a build's position.
func (o *orderedIndex) covers(r RowID) bool { return !o.building || uint64(r) < o.built }

func newOrderedIndex(f *Fragment, number int) *orderedIndex {
	o := &orderedIndex{f: f, number: number, cols: f.layout.Table.Indexes[number].Columns}
	o.tree = ordidx.New(o)
	return o
}

func (o *orderedIndex) viewA(r RowID) schema.Row {
	row := o.f.view(r)
	if len(o.f.scratch) > 0 && len(row.Var) > 0 && &row.Var[0] == &o.f.scratch[0] {
		o.scratchA = append(o.scratchA[:0], row.Var...)
		row.Var = o.scratchA
	}
	return row
}

// CompareRows implements ordidx.Comparator.
func (o *orderedIndex) CompareRows(a, b uint32) int {
	ra := o.viewA(a)
	rb := o.f.view(b)
	return o.f.layout.CompareRows(o.cols, ra, rb)
}

// CompareKey implements ordidx.Comparator over schema's search-key format.
func (o *orderedIndex) CompareKey(key []byte, r uint32) int {
	return o.f.layout.CompareSearchKey(o.cols, key, o.f.view(r))
}

var _ ordidx.Comparator = (*orderedIndex)(nil)

// appendKey appends row r's full search key to dst.
func (o *orderedIndex) appendKey(dst []byte, r RowID) []byte {
	row := o.f.view(r)
	for _, c := range o.cols {
		dst = o.f.layout.AppendSearchKeyValue(dst, c, row.Raw(c), row.IsNull(c))
	}
	return dst
}

// ordInsert enters committed row r in the ordered indexes that cover it.
func (f *Fragment) ordInsert(r RowID) {
	for _, o := range f.ord {
		if o.covers(r) {
			o.tree.Insert(r)
		}
	}
}

// ordRemove takes row r out of the ordered indexes that cover it.
func (f *Fragment) ordRemove(r RowID) {
	for _, o := range f.ord {
		if o.covers(r) {
			o.tree.Delete(r)
		}
	}
}

// ordKeysDiffer reports whether row r and image img differ in any column of
// any ordered index that covers r.
func (f *Fragment) ordKeysDiffer(r, img RowID) bool {
	for _, o := range f.ord {
		if !o.covers(r) {
			continue
		}
		a := o.viewA(r)
		b := f.view(img)
		for _, c := range o.cols {
			if a.IsNull(c) != b.IsNull(c) || f.layout.CompareValues(c, a.Raw(c), b.Raw(c)) != 0 {
				return true
			}
			// CompareValues treats 'a' and 'a ' as equal; the index order
			// does too, so such a change needs no move.
		}
	}
	return false
}
