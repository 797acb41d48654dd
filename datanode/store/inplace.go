package store

import (
	"encoding/binary"
	"errors"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// In-place operations: the prepare and the commit of a transaction's only
// operation in one step, for a transaction whose commit is already
// decided (LQH's commit with the prepare). No operation record, lock or
// before image is made; the row ends as the Prepare call and Commit would
// leave it.

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
	f.stats.InPlace++
	return r, nil
}

// InsertCommitted inserts row and commits it at gci in one step, as
// UpdateCommitted does for updates: no operation record or lock. A row
// with the key gives ErrRowExists, or ErrRowLocked while another
// transaction holds it (its insert or delete not yet committed).
func (f *Fragment) InsertCommitted(h uint64, row []byte, gci uint64) (RowID, error) {
	if _, err := f.layout.CheckRow(row); err != nil {
		return NoRow, err
	}
	r, err := f.writeSlot(row, flagLive)
	if err != nil {
		return NoRow, err
	}
	h32 := uint32(h >> 32)
	existing, inserted := f.pk.Insert(h32, row[:f.layout.KeySize], r, f)
	if !inserted {
		f.freeSlot(r, NoRow)
		if f.rows.slot(existing)[hdrFlags]&flagLocked != 0 {
			return NoRow, f.refuse(existing)
		}
		return NoRow, ndberr.ErrRowExists
	}
	binary.LittleEndian.PutUint64(f.rows.slot(r)[hdrGCI:], gci)
	f.ordInsert(r)
	f.stats.Rows++
	f.stats.Inserts++
	f.stats.Commits++
	f.stats.InPlace++
	return r, nil
}

// DeleteCommitted deletes the row with key and commits the delete in one
// step, as UpdateCommitted does for updates. It appends the row's key to
// dst (the redo log's record needs it once the row is gone) and returns
// it. A locked row gives ErrRowLocked, a missing one ErrNoSuchRow.
func (f *Fragment) DeleteCommitted(h uint64, key []byte, dst []byte) ([]byte, error) {
	if len(key) != f.layout.KeySize {
		return dst, ndberr.ErrWrongKeyLength
	}
	r, ok := f.lookup(h, key)
	if !ok {
		return dst, ndberr.ErrNoSuchRow
	}
	if f.rows.slot(r)[hdrFlags]&flagLocked != 0 {
		return dst, f.refuse(r)
	}
	dst = append(dst, f.RowKey(r)...)
	f.deleteCommitted(r, uint32(h>>32))
	f.stats.Deletes++
	f.stats.Commits++
	f.stats.InPlace++
	return dst, nil
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
