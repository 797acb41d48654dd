package hashidx

import (
	"fmt"
	"math"
)

// startMigration makes the current array the old one and allocates a new
// array growth times larger. Nothing is copied here: every later Insert and
// Delete migrates stepSlots old slots, and MigrateStep lets an idle owner
// migrate more.
func (x *Index) startMigration() {
	if x.old.slots != nil {
		panic("hashidx: growth started while a migration is in progress")
	}
	old := x.cur
	// Migration order starts at an empty slot, so that no probe run of the
	// old array wraps across the start of that order. limit < len(slots)
	// guarantees one exists.
	start := -1
	for i, e := range old.slots {
		if e == slotEmpty {
			start = i
			break
		}
	}
	if start < 0 {
		panic(fmt.Sprintf("hashidx: no empty slot among %d with %d entries", len(old.slots), old.count))
	}
	x.cur = newTable(slotsFor(int(float64(old.limit)*growth) + 1))
	// Ask for huge pages now. Each first touch of 2 MiB during migration
	// zeroes a huge page (a few hundred microseconds, a handful of times
	// per growth); leaving it to khugepaged after migration would keep the
	// array on 4 KiB pages for minutes, and nearly every probe of a
	// multi-megabyte array would miss the TLB until then.
	adviseHuge(x.cur.mem)
	x.old = old
	x.start, x.done, x.releasedTo = start, 0, 0
}

// MigrateStep migrates up to slots old-array slots into the new array and
// returns true while more remains. The owner's idle loop may call it to end a
// migration sooner than mutations alone would.
func (x *Index) MigrateStep(slots int) bool {
	if x.old.slots == nil {
		return false
	}
	o := x.old.slots
	n := len(o)
	p := x.start + x.done
	if p >= n {
		p -= n
	}
	for ; slots > 0 && x.done < n; slots-- {
		e := o[p]
		if liveSlot(e) {
			// Rehash from the stored h32 only: no row access.
			x.cur.place(e)
			x.old.count--
		}
		// No probe reads a migrated slot; clearing it keeps the invariant
		// "the migrated prefix is empty" checkable.
		o[p] = slotEmpty
		x.done++
		if p++; p == n {
			p = 0
		}
	}
	if x.old.count == 0 || x.done == n {
		// Whatever was not visited holds only tombstones and empty slots.
		// (finishMigration panics if the count disagrees.)
		x.finishMigration()
		return false
	}
	x.releaseMigrated()
	return true
}

// releaseMigrated returns blocks of migrated old slots to the kernel as the
// migration passes them, so that the old array shrinks while it drains and
// no single operation pays for freeing all of it. A released page reads as zeros,
// the empty slots that invariant 4 requires of migrated slots. Only the
// stretch from start to the end of the array is released; the wrapped part
// before start is left to the munmap.
func (x *Index) releaseMigrated() {
	from := max(x.releasedTo, 8*x.start)
	to := 8 * min(x.start+x.done, len(x.old.slots))
	if x.old.mem == nil || to-from < releaseBytes {
		return
	}
	lo, hi := releaseRange(x.old.mem, from, to)
	if hi > lo {
		x.old.released += hi - lo
		x.releasedTo = hi
	}
}

// finishMigration drops the old array once it holds no live entry.
func (x *Index) finishMigration() {
	if x.old.count != 0 {
		panic(fmt.Sprintf("hashidx: finishing a migration with %d live old entries", x.old.count))
	}
	x.old.free()
	x.start, x.done, x.releasedTo = 0, 0, 0
}

// oldScan returns where a probe for h32 starts in the old array: at its home
// unless that slot is already migrated, then at the first unmigrated slot,
// since every slot before it is empty. migrated reports the latter case.
// No run of the old array wraps across start (invariant 3), so a probe
// ends at an empty slot at the latest when it comes back to start.
func (x *Index) oldScan(h32 uint32) (pos int, migrated bool) {
	n := len(x.old.slots)
	r := home(h32, n) - x.start
	if r < 0 {
		r += n
	}
	if r < x.done {
		r, migrated = x.done, true
	}
	pos = x.start + r
	if pos >= n {
		pos -= n
	}
	return pos, migrated
}

// oldLookup probes the old array from pos for key, skipping tombstones.
func (x *Index) oldLookup(pos int, h32 uint32, key []byte, m Matcher) (uint32, bool) {
	s := x.old.slots
	n := len(s)
	hx := ^h32
	for i := pos; ; {
		e := s[i]
		if uint32(e>>32) == hx && liveSlot(e) && m.KeyEquals(slotRow(e), key) {
			return slotRow(e), true
		}
		if e == slotEmpty {
			return NoRow, false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// oldFind returns the position of physical value want in the old array
// probing from pos, or -1.
func (x *Index) oldFind(pos int, want uint64) int {
	s := x.old.slots
	n := len(s)
	for i := pos; ; {
		e := s[i]
		if e == want {
			return i
		}
		if e == slotEmpty {
			return -1
		}
		if i++; i == n {
			i = 0
		}
	}
}

// lookupMigrating looks key up in both arrays. A key whose old home is not
// yet migrated and that existed before the migration can only be in the old
// array, so that array is probed first; otherwise the key most likely moved
// to the new array already, which is probed first.
func (x *Index) lookupMigrating(h32 uint32, key []byte, m Matcher) (uint32, bool) {
	pos, migrated := x.oldScan(h32)
	if !migrated {
		if row, ok := x.oldLookup(pos, h32, key, m); ok {
			return row, true
		}
		row, _, ok := x.cur.probe(h32, key, m)
		return row, ok
	}
	if row, _, ok := x.cur.probe(h32, key, m); ok {
		return row, true
	}
	return x.oldLookup(pos, h32, key, m)
}

// insertMigrating inserts into the new array after checking both arrays for
// an equal key.
func (x *Index) insertMigrating(h32 uint32, key []byte, row uint32, m Matcher) (uint32, bool) {
	if !x.MigrateStep(stepSlots) {
		return x.Insert(h32, key, row, m)
	}
	oldPos, migrated := x.oldScan(h32)
	if !migrated {
		if existing, ok := x.oldLookup(oldPos, h32, key, m); ok {
			return existing, false
		}
	}
	existing, pos, found := x.cur.probe(h32, key, m)
	if found {
		return existing, false
	}
	if migrated {
		if existing, ok := x.oldLookup(oldPos, h32, key, m); ok {
			return existing, false
		}
	}
	t := &x.cur
	if t.count < t.limit {
		t.slots[pos] = encode(h32, row)
		t.count++
		return row, true
	}
	// Unreachable with stepSlots > 1/(maxLoad*(growth-1)); kept so that a
	// retuned constant degrades to one long step instead of corruption.
	for x.MigrateStep(math.MaxInt) {
	}
	x.startMigration()
	x.cur.place(encode(h32, row))
	return row, true
}

// deleteMigrating removes the entry from whichever array holds it: by
// backward shift in the new array, by a tombstone in the old one, whose
// runs must stay intact while it is being migrated.
func (x *Index) deleteMigrating(h32 uint32, row uint32) bool {
	if !x.MigrateStep(stepSlots) {
		return x.Delete(h32, row)
	}
	want := encode(h32, row)
	oldPos, migrated := x.oldScan(h32)
	if !migrated && x.deleteOld(oldPos, want) {
		return true
	}
	if i := x.cur.find(h32, want); i >= 0 {
		x.cur.remove(i)
		return true
	}
	return migrated && x.deleteOld(oldPos, want)
}

// deleteOld tombstones want in the old array if present there.
func (x *Index) deleteOld(pos int, want uint64) bool {
	i := x.oldFind(pos, want)
	if i < 0 {
		return false
	}
	x.old.slots[i] = slotTombstone
	if x.old.count--; x.old.count == 0 {
		x.finishMigration()
	}
	return true
}
