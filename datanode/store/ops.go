package store

import (
	"encoding/binary"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// writeSlot allocates a slot and writes a checked row image into it with the
// given flags. On error nothing is kept.
func (f *Fragment) writeSlot(row []byte, flags byte) (RowID, error) {
	r, err := f.rows.alloc(0)
	if err != nil {
		return NoRow, err
	}
	s := f.rows.slot(r)
	binary.LittleEndian.PutUint64(s[hdrGCI:], 0)
	binary.LittleEndian.PutUint16(s[hdrVersion:], uint16(f.layout.Table.Version))
	s[hdrFlags+1] = 0
	copy(s[f.hdr:], row[:f.layout.FixedSize])
	if f.hasVar {
		ref, chained, err := f.vars.put(row[f.layout.FixedSize:])
		if err != nil {
			s[hdrFlags] = 0
			f.rows.free(r)
			return NoRow, err
		}
		binary.LittleEndian.PutUint32(s[hdrVarRef:], ref)
		if chained {
			flags |= flagVarChained
		}
	}
	s[hdrFlags] = flags
	return r, nil
}

// varRef returns slot s's var part reference and whether it is chained.
func varRef(s []byte) (RowID, bool) {
	return binary.LittleEndian.Uint32(s[hdrVarRef:]), s[hdrFlags]&flagVarChained != 0
}

// freeSlot releases slot r and, unless shared with keep, its var part.
func (f *Fragment) freeSlot(r RowID, keepVar RowID) {
	s := f.rows.slot(r)
	if f.hasVar {
		if ref, chained := varRef(s); ref != keepVar {
			f.vars.release(ref, chained)
		}
	}
	s[hdrFlags] = 0
	f.rows.free(r)
}

func (f *Fragment) newOp() OpRef {
	if n := len(f.freeOps); n > 0 {
		ref := f.freeOps[n-1]
		f.freeOps = f.freeOps[:n-1]
		return ref
	}
	f.ops = append(f.ops, opRecord{})
	return OpRef(len(f.ops) - 1)
}

// OpTag returns the tag set on operation ref (SetOpTag), 0 if none: the
// store's user finds its own record of an operation by it without a map.
// A released record's tag is 0 again.
func (f *Fragment) OpTag(ref OpRef) uint32 { return f.ops[ref].tag }

// SetOpTag tags operation ref.
func (f *Fragment) SetOpTag(ref OpRef, tag uint32) { f.ops[ref].tag = tag }

// releaseOp frees record ref and its hold on the row: the row stays locked
// (flagLocked) while other shared holders remain, and is unlocked otherwise.
func (f *Fragment) releaseOp(ref OpRef) {
	op := &f.ops[ref]
	r := op.row
	owner, _ := f.locks.get(r)
	switch {
	case owner != ref: // a shared holder behind the owner: unlink it
		for p := owner; p != noOp; p = f.ops[p].next {
			if f.ops[p].next == ref {
				f.ops[p].next = op.next
				break
			}
		}
	case op.shared && op.next != noOp: // the next shared holder owns the row now
		f.locks.set(r, op.next)
	default:
		f.locks.del(r)
		if op.shared {
			f.rows.slot(r)[hdrFlags] &^= flagLocked
		}
	}
	f.ops[ref] = opRecord{}
	f.freeOps = append(f.freeOps, ref)
}

// refuse counts a lock conflict on row r and remembers r for LastConflict.
func (f *Fragment) refuse(r RowID) error {
	f.stats.LockRefused++
	f.conflict = r
	return ErrRowLocked
}

// LastConflict is the row of the most recent ErrRowLocked: LQH queues the
// refused request on it until the row's holders finish.
func (f *Fragment) LastConflict() RowID { return f.conflict }

// OpRow is the row an operation record holds (NoRow if ref is not in use).
func (f *Fragment) OpRow(ref OpRef) RowID {
	if int(ref) >= len(f.ops) || !f.ops[ref].inUse {
		return NoRow
	}
	return f.ops[ref].row
}

// acquire locks committed row r exclusively for tx, or joins tx's record on
// it. A shared lock tx holds alone is upgraded; one shared with other
// transactions conflicts.
func (f *Fragment) acquire(tx TxID, r RowID, s []byte, h32 uint32) (ref OpRef, created bool, err error) {
	if s[hdrFlags]&flagLocked != 0 {
		ref, _ = f.locks.get(r)
		op := &f.ops[ref]
		if op.tx != tx || op.next != noOp {
			return 0, false, f.refuse(r)
		}
		op.shared = false
		return ref, false, nil
	}
	ref = f.newOp()
	f.ops[ref] = opRecord{tx: tx, row: r, image: NoRow, h32: h32, existedBefore: true, existsAfter: true, inUse: true, next: noOp}
	s[hdrFlags] |= flagLocked
	f.locks.put(r, ref)
	return ref, true, nil
}

// unacquire undoes a fresh acquire after a later step failed.
func (f *Fragment) unacquire(ref OpRef) {
	f.rows.slot(f.ops[ref].row)[hdrFlags] &^= flagLocked
	f.releaseOp(ref)
}

// PrepareInsert prepares inserting a row image. h is the key's partition hash.
func (f *Fragment) PrepareInsert(tx TxID, h uint64, row []byte) (OpRef, error) {
	if _, err := f.layout.CheckRow(row); err != nil {
		return 0, err
	}
	r, err := f.writeSlot(row, flagLive|flagLocked|flagUncommitted)
	if err != nil {
		return 0, err
	}
	h32 := uint32(h >> 32)
	existing, inserted := f.pk.Insert(h32, row[:f.layout.KeySize], r, f)
	if !inserted {
		f.freeSlot(r, NoRow)
		return f.insertOverExisting(tx, existing, row)
	}
	ref := f.newOp()
	f.ops[ref] = opRecord{tx: tx, row: r, image: NoRow, h32: h32, ops: 1, existsAfter: true, inUse: true, next: noOp}
	f.locks.put(r, ref)
	f.stats.Inserts++
	return ref, nil
}

// insertOverExisting inserts where the key's row exists: allowed only when
// tx itself deleted it earlier.
func (f *Fragment) insertOverExisting(tx TxID, r RowID, row []byte) (OpRef, error) {
	if f.rows.slot(r)[hdrFlags]&flagLocked == 0 {
		return 0, ndberr.ErrRowExists
	}
	ref, _ := f.locks.get(r)
	op := &f.ops[ref]
	if op.tx != tx || op.next != noOp {
		return 0, f.refuse(r)
	}
	if op.existsAfter {
		return 0, ndberr.ErrRowExists
	}
	if op.existedBefore {
		img, err := f.writeSlot(row, flagLive|flagCopy)
		if err != nil {
			return 0, err
		}
		op.image = img
	} else if err := f.replaceContent(r, row); err != nil {
		return 0, err
	}
	op.existsAfter = true
	op.ops++
	f.stats.Inserts++
	return ref, nil
}

// replaceContent overwrites row r's fixed and var parts with a checked image.
func (f *Fragment) replaceContent(r RowID, row []byte) error {
	s := f.rows.slot(r)
	if f.hasVar {
		ref, chained, err := f.vars.put(row[f.layout.FixedSize:])
		if err != nil {
			return err
		}
		old, oldChained := varRef(s)
		f.vars.release(old, oldChained)
		binary.LittleEndian.PutUint32(s[hdrVarRef:], ref)
		setFlag(s, flagVarChained, chained)
	}
	copy(s[f.hdr:], row[:f.layout.FixedSize])
	return nil
}

func setFlag(s []byte, flag byte, on bool) {
	if on {
		s[hdrFlags] |= flag
	} else {
		s[hdrFlags] &^= flag
	}
}

// PrepareUpdate prepares writing the columns in cols of row (a full, checked
// row image whose key names the row). Key columns are never changed.
func (f *Fragment) PrepareUpdate(tx TxID, h uint64, row []byte, cols *schema.ColumnSet) (OpRef, error) {
	if _, err := f.layout.CheckRow(row); err != nil {
		return 0, err
	}
	r, ok := f.lookup(h, row[:f.layout.KeySize])
	if !ok {
		return 0, ndberr.ErrNoSuchRow
	}
	s := f.rows.slot(r)
	ref, created, err := f.acquire(tx, r, s, uint32(h>>32))
	if err != nil {
		return 0, err
	}
	if err := f.update(ref, s, row, cols); err != nil {
		if created {
			f.unacquire(ref)
		}
		return 0, err
	}
	f.stats.Updates++
	return ref, nil
}

// update applies cols of row to op ref's prepared image; s is the row's slot.
func (f *Fragment) update(ref OpRef, s []byte, row []byte, cols *schema.ColumnSet) error {
	op := &f.ops[ref]
	if !op.existsAfter {
		return ndberr.ErrNoSuchRow
	}
	target, ts := op.row, s
	newImage := false
	if op.existedBefore {
		if op.image == NoRow {
			img, d, err := f.cloneSlot(s)
			if err != nil {
				return err
			}
			op.image, newImage, ts = img, true, d
		} else {
			ts = f.rows.slot(op.image)
		}
		target = op.image
	}
	if f.hasVar && f.touchesVar(cols) {
		if err := f.updateVar(op, target, row, cols); err != nil {
			if newImage {
				f.freeSlot(op.image, f.sharedVar(op))
				op.image = NoRow
			}
			return err
		}
	}
	f.applyFixed(ts, row, cols)
	op.ops++
	return nil
}

// sharedVar is the var reference an op's image may share with its row.
func (f *Fragment) sharedVar(op *opRecord) RowID {
	if !f.hasVar {
		return NoRow
	}
	ref, _ := varRef(f.rows.slot(op.row))
	return ref
}

// cloneSlot copies row slot s into a new image slot that shares the row's
// var part, and returns the image and its bytes.
func (f *Fragment) cloneSlot(s []byte) (RowID, []byte, error) {
	img, err := f.rows.alloc(0)
	if err != nil {
		return NoRow, nil, err
	}
	d := f.rows.slot(img)
	copy(d, s)
	d[hdrFlags] = flagLive | flagCopy | s[hdrFlags]&flagVarChained
	return img, d, nil
}

func (f *Fragment) touchesVar(cols *schema.ColumnSet) bool {
	for _, c := range f.layout.VarCols {
		if cols.Has(c) {
			return true
		}
	}
	return false
}

// applyFixed copies the fixed columns and null bits in cols from row into
// slot s, skipping key columns.
func (f *Fragment) applyFixed(s []byte, row []byte, cols *schema.ColumnSet) {
	l := f.layout
	fixed := s[f.hdr:]
	if cols.Contains(&f.valueCols) {
		// Every column: the non-key columns and the null bitmap (key
		// columns are never null) lie together after the key.
		copy(fixed[l.KeySize:l.FixedSize], row[l.KeySize:l.FixedSize])
		return
	}
	for c := cols.Next(0); c >= 0 && c < len(l.Cols); c = cols.Next(c + 1) {
		cl := &l.Cols[c]
		if cl.Offset >= l.KeySize {
			copy(fixed[cl.Offset:cl.Offset+cl.Size], row[cl.Offset:cl.Offset+cl.Size])
		}
		if cl.NullBit >= 0 {
			i, m := l.NullOffset+cl.NullBit>>3, byte(1)<<(cl.NullBit&7)
			fixed[i] = fixed[i]&^m | row[i]&m
		}
	}
}

// updateVar builds target's new var part from row (columns in cols) and its
// current var part, then swaps it in. On error target is unchanged.
func (f *Fragment) updateVar(op *opRecord, target RowID, row []byte, cols *schema.ColumnSet) error {
	l := f.layout
	newVar := row[l.FixedSize:]
	cur := f.view(target).Var
	// Merge into its own buffer: cur may live in f.scratch.
	merged := append(f.merge[:0], make([]byte, f.vhdr)...)
	end := uint32(0)
	for vi, c := range l.VarCols {
		var v []byte
		if cols.Has(c) {
			v = l.VarValue(newVar, vi)
		} else {
			v = l.VarValue(cur, vi)
		}
		merged = append(merged, v...)
		end += uint32(len(v))
		binary.LittleEndian.PutUint32(merged[4*vi:], end)
	}
	ref, chained, err := f.vars.put(merged)
	if err != nil {
		return err
	}
	s := f.rows.slot(target)
	old, oldChained := varRef(s)
	if target == op.row || old != f.sharedVar(op) {
		f.vars.release(old, oldChained)
	}
	binary.LittleEndian.PutUint32(s[hdrVarRef:], ref)
	setFlag(s, flagVarChained, chained)
	return nil
}

// PrepareWrite prepares an upsert: insert if the row does not exist (as tx
// sees it), else update every column.
func (f *Fragment) PrepareWrite(tx TxID, h uint64, row []byte) (OpRef, error) {
	if _, err := f.layout.CheckRow(row); err != nil {
		return 0, err
	}
	r, ok := f.lookup(h, row[:f.layout.KeySize])
	if !ok {
		return f.PrepareInsert(tx, h, row)
	}
	if f.rows.slot(r)[hdrFlags]&flagLocked != 0 {
		ref, _ := f.locks.get(r)
		if op := &f.ops[ref]; op.tx == tx && !op.existsAfter {
			return f.insertOverExisting(tx, r, row)
		}
	}
	return f.PrepareUpdate(tx, h, row, &f.allCols)
}

// lockKey finds the row with key and locks it for tx.
func (f *Fragment) lockKey(tx TxID, h uint64, key []byte) (ref OpRef, created bool, err error) {
	if len(key) != f.layout.KeySize {
		return 0, false, ndberr.ErrWrongKeyLength
	}
	r, ok := f.lookup(h, key)
	if !ok {
		return 0, false, ndberr.ErrNoSuchRow
	}
	return f.acquire(tx, r, f.rows.slot(r), uint32(h>>32))
}

// PrepareDelete prepares deleting the row with key.
func (f *Fragment) PrepareDelete(tx TxID, h uint64, key []byte) (OpRef, error) {
	ref, _, err := f.lockKey(tx, h, key)
	if err != nil {
		return 0, err
	}
	op := &f.ops[ref]
	if !op.existsAfter {
		return 0, ndberr.ErrNoSuchRow
	}
	op.existsAfter = false
	if op.image != NoRow {
		f.freeSlot(op.image, f.sharedVar(op))
		op.image = NoRow
	}
	op.ops++
	f.stats.Deletes++
	return ref, nil
}

// PrepareLock takes tx's exclusive lock on the row with key without changing
// it (a read with exclusive lock, or a lock for a later update).
func (f *Fragment) PrepareLock(tx TxID, h uint64, key []byte) (OpRef, error) {
	ref, created, err := f.lockKey(tx, h, key)
	if err != nil {
		return 0, err
	}
	if !f.ops[ref].existsAfter {
		if created {
			f.unacquire(ref)
		}
		return 0, ndberr.ErrNoSuchRow
	}
	f.ops[ref].ops++
	return ref, nil
}

// PrepareLockShared takes a shared lock for tx on the row with key: other
// transactions may share it, none may write the row until every holder
// finishes. A transaction that already holds the row (in any mode) joins its
// record. Commit or Abort releases it.
func (f *Fragment) PrepareLockShared(tx TxID, h uint64, key []byte) (OpRef, error) {
	if len(key) != f.layout.KeySize {
		return 0, ndberr.ErrWrongKeyLength
	}
	r, ok := f.lookup(h, key)
	if !ok {
		return 0, ndberr.ErrNoSuchRow
	}
	s := f.rows.slot(r)
	owner := noOp
	if s[hdrFlags]&flagLocked != 0 {
		owner, _ = f.locks.get(r)
		for p := owner; p != noOp; p = f.ops[p].next {
			if op := &f.ops[p]; op.tx == tx {
				if !op.existsAfter {
					return 0, ndberr.ErrNoSuchRow
				}
				op.ops++
				return p, nil
			}
		}
		if !f.ops[owner].shared {
			return 0, f.refuse(r)
		}
	}
	ref := f.newOp()
	f.ops[ref] = opRecord{tx: tx, row: r, image: NoRow, h32: uint32(h >> 32), ops: 1,
		existedBefore: true, existsAfter: true, inUse: true, shared: true, next: noOp}
	if owner == noOp {
		s[hdrFlags] |= flagLocked
		f.locks.put(r, ref)
	} else { // join the holders, behind the owner
		f.ops[ref].next = f.ops[owner].next
		f.ops[owner].next = ref
	}
	return ref, nil
}

// Commit makes op ref's prepared state the committed state, stamps the row
// with gci and releases the lock. It cannot fail on a valid ref.
func (f *Fragment) Commit(ref OpRef, gci uint64) error {
	if int(ref) >= len(f.ops) || !f.ops[ref].inUse {
		return ndberr.ErrNoSuchOperation
	}
	op := &f.ops[ref]
	r := op.row
	s := f.rows.slot(r)
	switch {
	case op.shared: // a read lock: releaseOp unlocks the row if it was the last holder
	case op.existedBefore && op.existsAfter:
		if op.image != NoRow {
			if gci < rowGCI(s) {
				f.stats.GCIRegressions++
			}
			f.installImage(op, s)
			binary.LittleEndian.PutUint64(s[hdrGCI:], gci)
		}
		s[hdrFlags] &^= flagLocked
	case op.existedBefore:
		f.deleteCommitted(r, op.h32)
	case op.existsAfter:
		s[hdrFlags] &^= flagLocked | flagUncommitted
		binary.LittleEndian.PutUint64(s[hdrGCI:], gci)
		f.ordInsert(r)
		f.stats.Rows++
	default: // inserted and deleted by the same transaction
		f.pk.Delete(op.h32, r)
		f.freeSlot(r, NoRow)
	}
	f.releaseOp(ref)
	f.stats.Commits++
	return nil
}

// deleteCommitted removes committed row r (h32: its key's hash) from the
// ordered indexes and the hash index and frees it: a delete's commit, and
// a node restart's sweep (nrcopy.go).
func (f *Fragment) deleteCommitted(r RowID, h32 uint32) {
	f.ordRemove(r)
	f.pk.Delete(h32, r)
	f.freeSlot(r, NoRow)
	f.stats.Rows--
}

// installImage copies op's prepared image over its committed row s.
func (f *Fragment) installImage(op *opRecord, s []byte) {
	r := op.row
	img := f.rows.slot(op.image)
	reindex := len(f.ord) > 0 && f.ordKeysDiffer(r, op.image)
	if reindex {
		f.ordRemove(r)
	}
	copy(s[f.hdr:], img[f.hdr:])
	if f.hasVar {
		old, oldChained := varRef(s)
		nw, chained := varRef(img)
		if nw != old {
			f.vars.release(old, oldChained)
			binary.LittleEndian.PutUint32(s[hdrVarRef:], nw)
			setFlag(s, flagVarChained, chained)
		}
	}
	img[hdrFlags] = 0
	f.rows.free(op.image)
	if reindex {
		f.ordInsert(r)
	}
}

// Abort throws op ref's prepared state away and releases the lock.
func (f *Fragment) Abort(ref OpRef) error {
	if int(ref) >= len(f.ops) || !f.ops[ref].inUse {
		return ndberr.ErrNoSuchOperation
	}
	op := &f.ops[ref]
	r := op.row
	switch {
	case op.shared: // releaseOp unlocks the row if it was the last holder
	case op.existedBefore:
		if op.image != NoRow {
			f.freeSlot(op.image, f.sharedVar(op))
		}
		f.rows.slot(r)[hdrFlags] &^= flagLocked
	default:
		f.pk.Delete(op.h32, r)
		f.freeSlot(r, NoRow)
	}
	f.releaseOp(ref)
	f.stats.Aborts++
	return nil
}

// OpTx returns the transaction of op ref.
func (f *Fragment) OpTx(ref OpRef) (TxID, bool) {
	if int(ref) >= len(f.ops) || !f.ops[ref].inUse {
		return 0, false
	}
	return f.ops[ref].tx, true
}

// LockedRows returns how many rows are held by prepared operations.
func (f *Fragment) LockedRows() int { return f.locks.len() }

// Effect is what committing an operation does to its row: what the redo
// log and a local checkpoint must record.
type Effect uint8

// Effects of Fragment.OpEffect.
const (
	EffectNone   Effect = iota // a lock, or a write that changed nothing visible
	EffectPut                  // the row exists afterwards with a new image
	EffectDelete               // a committed row is removed
)

// OpEffect says what committing op ref will do; ask before Commit. (An
// update that rewrote the row with the same values is still EffectPut.)
func (f *Fragment) OpEffect(ref OpRef) Effect {
	if int(ref) >= len(f.ops) || !f.ops[ref].inUse {
		return EffectNone
	}
	op := &f.ops[ref]
	switch {
	case op.shared:
		return EffectNone
	case op.existedBefore && op.existsAfter:
		if op.image == NoRow {
			return EffectNone // an exclusive lock only
		}
		return EffectPut
	case op.existedBefore:
		return EffectDelete
	case op.existsAfter:
		return EffectPut
	}
	return EffectNone // inserted and deleted by the same transaction
}
