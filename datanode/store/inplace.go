package store

import (
	"encoding/binary"
	"errors"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// ErrNotInPlace is UpdateCommitted's refusal of an update it cannot make
// in place; nothing changed, and the caller prepares and commits the
// update the usual way.
var ErrNotInPlace = errors.New("store: the update cannot be made in place")

// UpdateCommitted updates the columns cols of the row with row's key in
// place and commits the change at gci: the prepare and the commit of an
// update in one step, for a transaction whose commit is already decided
// and whose only operation it is (LQH's commit with the prepare). No
// operation record, lock or before image is made; the row ends as
// PrepareUpdate and Commit would leave it. It returns the row. A locked
// row gives ErrRowLocked (LastConflict names it) and a missing one
// ErrNoSuchRow. An update of var-size columns or of an ordered index's
// columns gives ErrNotInPlace: those need the before image.
func (f *Fragment) UpdateCommitted(h uint64, row []byte, cols *schema.ColumnSet, gci uint64) (RowID, error) {
	if _, err := f.layout.CheckRow(row); err != nil {
		return NoRow, err
	}
	if (f.hasVar && f.touchesVar(cols)) || f.touchesOrdered(cols) {
		return NoRow, ErrNotInPlace
	}
	r, ok := f.lookup(h, row[:f.layout.KeySize])
	if !ok {
		return NoRow, ndberr.ErrNoSuchRow
	}
	s := f.rows.slot(r)
	if s[hdrFlags]&flagLocked != 0 {
		return NoRow, f.refuse(r)
	}
	if gci < rowGCI(s) {
		f.stats.GCIRegressions++
	}
	f.applyFixed(s, row, cols)
	binary.LittleEndian.PutUint64(s[hdrGCI:], gci)
	f.stats.Updates++
	f.stats.Commits++
	f.stats.UpdatesInPlace++
	return r, nil
}

// touchesOrdered reports whether cols has a column of an ordered index.
func (f *Fragment) touchesOrdered(cols *schema.ColumnSet) bool {
	for _, o := range f.ord {
		for _, c := range o.cols {
			if cols.Has(c) {
				return true
			}
		}
	}
	return false
}
