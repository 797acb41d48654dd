package store

import (
	"encoding/binary"
	"errors"

	"github.com/gondb/gondb/ndberr"
)

// A node restart's partial copy (datanode/lqh/copyfrag.go). A restarted
// node keeps the rows its disk restored, every committed change up to its
// restored GCI R. The fragment's primary sends whole only the rows changed
// after R; of each other row it sends the key and GCI, which MarkCopied
// checks against this replica and marks (a header flag bit: no memory, no
// allocation, nothing on the Go heap). When the fragment's copy ends,
// SweepUncopied deletes every row with GCI <= R that nothing marked: the
// primary no longer had it (it was deleted after R), and clears the marks.
// Rows written while the copy runs carry GCIs above R, so the sweep never
// takes them.

// ErrCopyMismatch: a node restart's copy named a row by key and GCI, and
// this replica's row with that key has another GCI, so its restored state
// is not the one the copy assumed.
var ErrCopyMismatch = errors.New("store: the copied row's GCI differs from this replica's")

// MarkCopied marks the committed row with key as confirmed by a node
// restart's copy, if it was last written in gci (h is the key's partition
// hash). A row that is not there (or whose insert is not committed) is
// ndberr.ErrNoSuchRow; one with another GCI is ErrCopyMismatch. Only the
// committed row counts: a write prepared on it does not change its GCI.
func (f *Fragment) MarkCopied(h uint64, key []byte, gci uint64) error {
	if len(key) != f.layout.KeySize {
		return ndberr.ErrWrongKeyLength
	}
	r, ok := f.lookup(h, key)
	if !ok {
		return ndberr.ErrNoSuchRow
	}
	s := f.rows.slot(r)
	if s[hdrFlags]&flagUncommitted != 0 {
		return ndberr.ErrNoSuchRow
	}
	if rowGCI(s) != gci {
		return ErrCopyMismatch
	}
	s[hdrFlags] |= flagCopied
	return nil
}

// PutCopied installs a row a node restart's copy sent whole (the
// primary's committed row, last written in gci) as this replica's
// committed row, and marks it as confirmed when mark is set. h is the
// key's partition hash; tx is the copy's transaction.
//
// The row may be held by a transaction still prepared here whose outcome
// the primary already applied: a takeover TC commits or aborts each
// replica's record straight, not along the chain, so the primary may have
// finished the transaction, released the row and copied it first. The
// copied row then replaces the committed row under that transaction's
// record, which ends here as it did on the primary: a commit installs its
// image (the one the primary copied), an abort leaves the copied row. A
// row whose insert is prepared here is left to that insert, which the
// primary committed.
func (f *Fragment) PutCopied(tx TxID, h uint64, row []byte, gci uint64, mark bool) error {
	if _, err := f.layout.CheckRow(row); err != nil {
		return err
	}
	r, ok := f.lookup(h, row[:f.layout.KeySize])
	if !ok || f.rows.slot(r)[hdrFlags]&flagLocked == 0 {
		ref, err := f.PrepareWrite(tx, h, row)
		if err != nil {
			return err
		}
		if err := f.Commit(ref, gci); err != nil {
			return err
		}
		if mark {
			r, _ = f.lookup(h, row[:f.layout.KeySize])
			f.rows.slot(r)[hdrFlags] |= flagCopied
		}
		return nil
	}
	s := f.rows.slot(r)
	if s[hdrFlags]&flagUncommitted != 0 {
		return nil
	}
	var ref RowID
	var chained bool
	if f.hasVar {
		var err error
		if ref, chained, err = f.vars.put(row[f.layout.FixedSize:]); err != nil {
			return err
		}
	}
	f.ordRemove(r) // before the row changes: the index compares its columns
	if f.hasVar {
		// Keep the old var part if the holder's prepared image still
		// shares it: the holder's commit or abort releases it.
		keep := NoRow
		if owner, ok := f.locks.get(r); ok && f.ops[owner].image != NoRow {
			keep, _ = varRef(f.rows.slot(f.ops[owner].image))
		}
		if old, oldChained := varRef(s); old != keep {
			f.vars.release(old, oldChained)
		}
		binary.LittleEndian.PutUint32(s[hdrVarRef:], ref)
		setFlag(s, flagVarChained, chained)
	}
	copy(s[f.hdr:], row[:f.layout.FixedSize])
	f.ordInsert(r)
	if gci < rowGCI(s) {
		f.stats.GCIRegressions++
	}
	binary.LittleEndian.PutUint64(s[hdrGCI:], gci)
	if mark {
		s[hdrFlags] |= flagCopied
	}
	return nil
}

// CopiedMarks counts the rows MarkCopied marked and no sweep has cleared
// (tests).
func (f *Fragment) CopiedMarks() int {
	n := 0
	for pi := range f.rows.pages {
		p := &f.rows.pages[pi]
		if !p.live {
			continue
		}
		for slot := 0; slot < int(p.bump); slot++ {
			if f.rows.slot(RowID(pi)<<slotBits | RowID(slot))[hdrFlags]&(flagLive|flagCopied) == flagLive|flagCopied {
				n++
			}
		}
	}
	return n
}

// SweepUncopied ends a node restart's copy of the fragment: it deletes
// every committed row last written in maxGCI or before that MarkCopied did
// not mark, through the same path as a delete's commit (hash and ordered
// indexes included), and clears every mark. hash returns a key's partition
// hash. It returns how many rows it took.
//
// A row a prepared operation holds cannot be deleted under it. Such a row
// is stale too (the primary lacked it during the whole copy), and the
// operation is a write the primary prepared as an insert (an upsert, or an
// insert a filling replica applied leniently as an overwrite). So it
// becomes what it is on the primary, a pending insert of the operation's
// image: its commit keeps the row, its abort removes it. Rows only shared
// locks hold stay (a filling replica takes none).
func (f *Fragment) SweepUncopied(maxGCI uint64, hash func(key []byte) uint64) int {
	n := 0
	for pi := range f.rows.pages {
		p := &f.rows.pages[pi]
		// A delete may hand the page back (p.live turns false): stop there.
		for slot := 0; p.live && slot < int(p.bump); slot++ {
			r := RowID(pi)<<slotBits | RowID(slot)
			s := f.rows.slot(r)
			fl := s[hdrFlags]
			if fl&flagCopied != 0 {
				s[hdrFlags] = fl &^ flagCopied
				continue
			}
			if fl&(flagLive|flagCopy|flagUncommitted) != flagLive || rowGCI(s) > maxGCI {
				continue
			}
			if fl&flagLocked == 0 {
				f.deleteCommitted(r, uint32(hash(s[f.hdr:f.hdr+f.layout.KeySize])>>32))
				n++
			} else if f.orphan(r, s) {
				n++
			}
		}
	}
	return n
}

// orphan turns stale committed row r (slot s), which an exclusive
// operation record holds, into that operation's pending insert: the row
// takes the prepared image (or, for a pending delete, stays as it is
// until the record ends), leaves the ordered indexes and the row count,
// and is uncommitted. Commit then inserts it, Abort frees it.
func (f *Fragment) orphan(r RowID, s []byte) bool {
	ref, ok := f.locks.get(r)
	if !ok {
		return false
	}
	op := &f.ops[ref]
	if op.shared || op.next != noOp || !op.existedBefore || op.row != r {
		return false
	}
	if op.image != NoRow {
		f.installImage(op, s) // keeps the ordered indexes in step; frees the image
		op.image = NoRow
	}
	f.ordRemove(r)
	f.stats.Rows--
	s[hdrFlags] |= flagUncommitted
	op.existedBefore = false
	return true
}
