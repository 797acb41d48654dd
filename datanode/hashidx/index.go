package hashidx

import (
	"fmt"
	"math"
)

// Matcher tells whether row r holds key. The storage engine implements it
// over row memory. The index calls it only for rows whose stored hash equals
// the probed one. It must not retain key. Since key reaches it through an
// interface call, escape analysis counts key as escaping: a caller that
// builds a key in a stack array gets that array moved to the heap, one
// allocation per call; keys already on the heap (a signal's buffer) cost
// nothing.
type Matcher interface {
	KeyEquals(r uint32, key []byte) bool
}

// Reserved row ids. The storage engine must never assign them.
const (
	// NoRow is returned by failed lookups; as part of the all-ones entry it
	// marks an empty slot.
	NoRow uint32 = 0xFFFFFFFF
	// tombstoneRow marks an old-array slot deleted during migration.
	tombstoneRow uint32 = 0xFFFFFFFE
	// MaxRow is the largest row id the index can store.
	MaxRow uint32 = 0xFFFFFFFD
)

// Tuning, checked with the benchmarks in hashidx_timing_test.go at
// 1,000,000 entries; see doc.go for the memory they cost.
const (
	// maxLoad is the load factor at which the index grows. Linear probing
	// at 0.8 averages 3 probed slots on a hit and 13 on a miss, which is
	// still one or two cache lines of 8 slots.
	maxLoad = 0.8
	// growth is the size ratio of the new array to the old. 1.5 keeps the
	// load between 0.53 and 0.8, 10 to 15 bytes per entry.
	growth = 1.5
	// stepSlots old slots are migrated by every Insert and Delete during
	// migration. Any value above 1/(maxLoad*(growth-1)) = 2.5 finishes the
	// migration before the new array fills. 64 finishes it after len(old)/64
	// operations, so the second array is short-lived, at about a microsecond
	// per operation (8 cache lines read in order, some 40 entries placed in
	// hash order, a page fault of the new array every few steps).
	stepSlots = 64
	// slotsPerPage is the number of slots in a 4 KiB page; tables are sized
	// in whole pages since a mapping takes whole pages anyway.
	slotsPerPage = 512
	// maxSlots bounds a table: fastrange over a 32-bit hash has 2^32 homes.
	maxSlots = min(1<<32, math.MaxInt>>4)
)

// Index is the primary-key hash index of one table fragment. It maps a key,
// through the high 32 bits of its hash and a caller-supplied Matcher, to the
// row id that holds it. The zero Index is not usable; call New.
type Index struct {
	cur table // the only array in the steady state; the new one during migration
	old table // the array being migrated; no slots outside migration
	// Migration order over old.slots starts at the empty slot start and wraps;
	// the first done slots in that order are migrated (and empty).
	start int
	done  int
	// releasedTo is the byte offset in the old mapping up to which the
	// migrated slots from start on were returned to the kernel.
	releasedTo int
}

// New returns an empty index sized to hold initialCapacity entries before it
// first grows. Close releases its memory.
func New(initialCapacity int) *Index {
	if initialCapacity < 0 {
		panic(fmt.Sprintf("hashidx: New(%d): negative capacity", initialCapacity))
	}
	x := &Index{cur: newTable(slotsFor(initialCapacity))}
	// A large initial capacity is a bulk load (restore, copy fragment), where
	// throughput matters more than the huge-page faults' latency.
	adviseHuge(x.cur.mem)
	return x
}

// Len returns the number of entries.
func (x *Index) Len() int { return x.cur.count + x.old.count }

// MemoryBytes returns the bytes of slot arrays currently held: both arrays
// during migration, less the migrated part of the old one already returned
// to the kernel.
func (x *Index) MemoryBytes() int64 { return x.cur.bytes() + x.old.bytes() }

// Migrating reports whether a growth migration is in progress.
func (x *Index) Migrating() bool { return x.old.slots != nil }

// Close releases the slot arrays. The index must not be used afterwards,
// except that Close may be called again.
func (x *Index) Close() {
	x.cur.free()
	x.old.free()
	x.start, x.done, x.releasedTo = 0, 0, 0
}

// Lookup returns the row holding key, whose hash has high 32 bits h32.
func (x *Index) Lookup(h32 uint32, key []byte, m Matcher) (row uint32, ok bool) {
	if x.old.slots != nil {
		return x.lookupMigrating(h32, key, m)
	}
	row, _, ok = x.cur.probe(h32, key, m)
	return row, ok
}

// Insert adds (h32,row) unless a row with an equal key exists; then it returns
// that row and false. Row must not be NoRow or another reserved id.
func (x *Index) Insert(h32 uint32, key []byte, row uint32, m Matcher) (existing uint32, inserted bool) {
	if row > MaxRow {
		panic(fmt.Sprintf("hashidx: Insert of reserved row id %#x", row))
	}
	if x.old.slots != nil {
		return x.insertMigrating(h32, key, row, m)
	}
	t := &x.cur
	existing, pos, found := t.probe(h32, key, m)
	if found {
		return existing, false
	}
	if t.count < t.limit {
		t.slots[pos] = encode(h32, row)
		t.count++
		return row, true
	}
	x.startMigration()
	x.cur.place(encode(h32, row))
	return row, true
}

// Delete removes the entry for exactly this row id (no key comparison).
// It returns false if absent.
func (x *Index) Delete(h32 uint32, row uint32) bool {
	if row > MaxRow {
		return false // reserved ids encode the empty and tombstone slots
	}
	if x.old.slots != nil {
		return x.deleteMigrating(h32, row)
	}
	i := x.cur.find(h32, encode(h32, row))
	if i < 0 {
		return false
	}
	x.cur.remove(i)
	return true
}
