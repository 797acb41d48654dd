package store

// lockTable maps the row ids of locked rows to their operation records. It
// holds only rows with a prepared operation, so it stays small and in cache;
// a Go map costs several times more per insert and delete on this path.
//
// Open addressing with linear probing over uint64 slots (row id << 32 | op
// ref); an empty slot is all ones (row id NoRow is never locked). Deletion
// shifts the cluster back, so no tombstones build up. The table doubles at
// half full and never shrinks below its high-water mark.
type lockTable struct {
	slots []uint64
	mask  uint32
	n     int
}

const lockEmpty = ^uint64(0)

func newLockTable() lockTable {
	t := lockTable{}
	t.resize(64)
	return t
}

func (t *lockTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	for i := range t.slots {
		t.slots[i] = lockEmpty
	}
	t.mask = uint32(size - 1)
	t.n = 0
	for _, e := range old {
		if e != lockEmpty {
			t.put(RowID(e>>32), OpRef(e))
		}
	}
}

// home spreads row ids (which come in runs) with a multiplicative hash.
func (t *lockTable) home(r RowID) uint32 { return (uint32(r) * 0x9E3779B1) >> 8 & t.mask }

func (t *lockTable) get(r RowID) (OpRef, bool) {
	for i := t.home(r); ; i = (i + 1) & t.mask {
		e := t.slots[i]
		if e == lockEmpty {
			return 0, false
		}
		if RowID(e>>32) == r {
			return OpRef(e), true
		}
	}
}

// put adds r, which must not be present.
func (t *lockTable) put(r RowID, ref OpRef) {
	if 2*(t.n+1) > len(t.slots) {
		t.resize(2 * len(t.slots))
	}
	i := t.home(r)
	for t.slots[i] != lockEmpty {
		i = (i + 1) & t.mask
	}
	t.slots[i] = uint64(r)<<32 | uint64(ref)
	t.n++
}

// set replaces the record of r, which must be present.
func (t *lockTable) set(r RowID, ref OpRef) {
	for i := t.home(r); ; i = (i + 1) & t.mask {
		if RowID(t.slots[i]>>32) == r && t.slots[i] != lockEmpty {
			t.slots[i] = uint64(r)<<32 | uint64(ref)
			return
		}
	}
}

func (t *lockTable) del(r RowID) {
	i := t.home(r)
	for {
		e := t.slots[i]
		if e == lockEmpty {
			return
		}
		if RowID(e>>32) == r {
			break
		}
		i = (i + 1) & t.mask
	}
	// Backward-shift deletion: move later members of the cluster into the
	// hole when their home does not lie cyclically in (hole, their slot].
	hole := i
	for j := (i + 1) & t.mask; t.slots[j] != lockEmpty; j = (j + 1) & t.mask {
		h := t.home(RowID(t.slots[j] >> 32))
		if (j-h)&t.mask >= (j-hole)&t.mask {
			t.slots[hole] = t.slots[j]
			hole = j
		}
	}
	t.slots[hole] = lockEmpty
	t.n--
}

func (t *lockTable) len() int { return t.n }
