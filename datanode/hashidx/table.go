package hashidx

import "fmt"

// Physical slot values. A slot holds ^(uint64(h32)<<32 | uint64(row)), the
// complement of the logical entry, so that the logical all-ones empty entry
// (hash 0xFFFFFFFF, row NoRow) is physical zero: freshly mapped pages are
// empty without a memset.
const (
	slotEmpty     uint64 = 0 // ^(all ones): never used
	slotTombstone uint64 = 1 // ^(0xFFFFFFFF<<32 | tombstoneRow): deleted from the old array during migration
)

// liveSlot reports whether physical slot value e holds an entry. The low word
// of a live slot is ^row with row <= MaxRow, hence >= 2.
func liveSlot(e uint64) bool { return uint32(e) >= 2 }

// encode returns the physical slot value of (h32, row).
func encode(h32, row uint32) uint64 { return ^(uint64(h32)<<32 | uint64(row)) }

// slotHash returns the h32 stored in live physical slot value e.
func slotHash(e uint64) uint32 { return ^uint32(e >> 32) }

// slotRow returns the row id stored in live physical slot value e.
func slotRow(e uint64) uint32 { return ^uint32(e) }

// home maps h32 onto [0, n) by fastrange: monotone in h32, so a table keeps
// its entries in hash order and n need not be a power of two.
func home(h32 uint32, n int) int { return int((uint64(h32) * uint64(n)) >> 32) }

// table is one open-addressing array with linear probing. Outside migration
// it is the whole index; during migration it is either the new array (no
// tombstones, backward-shift deletion) or the old one (see migration.go).
type table struct {
	slots    []uint64 // physical slot values, see encode
	mem      []byte   // mapping that backs slots; nil when slots live on the Go heap
	released int      // bytes of mem returned to the kernel (old array only)
	count    int      // live entries
	limit    int      // largest count allowed before the index must grow; < len(slots)
}

// releaseBytes is the unit in which the migrated part of an old array is
// returned to the kernel. Freeing 4 KiB pages costs 0.2 to 0.6 µs each, so
// one 256 KiB block (64 pages) pauses an operation for 10 to 40 µs; one
// munmap of a whole 16 MiB array at the end would pause it for milliseconds.
const releaseBytes = 256 << 10

// newTable allocates an empty table of n slots.
func newTable(n int) table {
	slots, mem := allocSlots(n)
	return table{slots: slots, mem: mem, limit: int(float64(n) * maxLoad)}
}

// free releases the table's memory and leaves it without slots.
func (t *table) free() {
	freeSlots(t.mem)
	*t = table{}
}

// bytes returns the memory held by the slot array.
func (t *table) bytes() int64 {
	if t.mem != nil {
		return int64(len(t.mem) - t.released)
	}
	return int64(len(t.slots)) * 8
}

// probe looks for key. It returns the matching row and found=true, or the
// position of the first empty slot of the probe sequence (where the key would
// be placed) and found=false. The table must hold no tombstones.
func (t *table) probe(h32 uint32, key []byte, m Matcher) (row uint32, pos int, found bool) {
	s := t.slots
	n := len(s)
	hx := ^h32
	i := home(h32, n)
	for {
		e := s[i]
		if uint32(e>>32) == hx && e != slotEmpty && m.KeyEquals(slotRow(e), key) {
			return slotRow(e), i, true
		}
		if e == slotEmpty {
			return NoRow, i, false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// place stores live physical value e in the first empty slot from its home.
// The caller guarantees the entry's key is absent and the table not full.
func (t *table) place(e uint64) {
	s := t.slots
	n := len(s)
	i := home(slotHash(e), n)
	for s[i] != slotEmpty {
		if i++; i == n {
			i = 0
		}
	}
	s[i] = e
	t.count++
}

// find returns the position of physical value want, or -1.
func (t *table) find(h32 uint32, want uint64) int {
	s := t.slots
	n := len(s)
	i := home(h32, n)
	for {
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

// remove empties slot i by backward-shift deletion: each later entry of the
// cluster whose home does not lie cyclically in (hole, its position] moves
// back into the hole, so probe sequences stay unbroken without tombstones.
func (t *table) remove(i int) {
	s := t.slots
	n := len(s)
	hole := i
	j := i
	for {
		if j++; j == n {
			j = 0
		}
		e := s[j]
		if e == slotEmpty {
			break
		}
		h := home(slotHash(e), n)
		// Leave e where it is if its home is in the cyclic range (hole, j].
		if hole <= j {
			if hole < h && h <= j {
				continue
			}
		} else if hole < h || h <= j {
			continue
		}
		s[hole] = e
		hole = j
	}
	s[hole] = slotEmpty
	t.count--
}

// slotsFor returns the slot count of a table that may hold entries entries
// before growing: entries/maxLoad, rounded up to whole 4 KiB pages of slots.
func slotsFor(entries int) int {
	n := int(float64(entries)/maxLoad) + 1
	n = (n + slotsPerPage - 1) / slotsPerPage * slotsPerPage
	if n > maxSlots {
		panic(fmt.Sprintf("hashidx: %d entries need %d slots, more than the %d a 32-bit hash can address", entries, n, maxSlots))
	}
	return n
}
