package hashidx

import (
	"fmt"
	"testing"
)

// fill inserts keys [0, n) with row = key and hash hash(key).
func fill(t *testing.T, x *Index, m *keyRows, n int, hash func(uint64) uint32) {
	t.Helper()
	for k := range uint64(n) {
		m.keys = append(m.keys, k)
		if _, ok := x.Insert(hash(k), keyBytes(k), uint32(k), m); !ok {
			t.Fatalf("Insert(%d) refused", k)
		}
	}
}

func TestHome(t *testing.T) {
	for _, tc := range []struct {
		h32  uint32
		n    int
		want int
	}{
		{0, 512, 0},
		{0xFFFFFFFF, 512, 511},
		{0x80000000, 512, 256},
		{0x80000000, 768, 384},
		{0xFFFFFFFF, 1_250_304, 1_250_303},
		{0x7FFFFFFF, 3, 1},
	} {
		if got := home(tc.h32, tc.n); got != tc.want {
			t.Errorf("home(%#x, %d) = %d, want %d", tc.h32, tc.n, got, tc.want)
		}
	}
}

func TestSlotsFor(t *testing.T) {
	for _, tc := range []struct{ entries, want int }{
		{0, 512},
		{409, 512},  // 409/0.8 = 511.25 -> 512 slots
		{410, 1024}, // rounded up to whole pages of 512 slots
		{1_000_000, 1_250_304},
	} {
		got := slotsFor(tc.entries)
		if got != tc.want {
			t.Errorf("slotsFor(%d) = %d, want %d", tc.entries, got, tc.want)
		}
		if limit := int(float64(got) * maxLoad); limit < tc.entries {
			t.Errorf("slotsFor(%d) = %d slots hold only %d entries", tc.entries, got, limit)
		}
	}
}

// TestCollidingHashes stores many keys under few h32 values: only the
// matcher can tell them apart, and it must be asked.
func TestCollidingHashes(t *testing.T) {
	for _, distinct := range []uint64{1, 3, 64} {
		t.Run(fmt.Sprintf("%d-hashes", distinct), func(t *testing.T) {
			hash := func(k uint64) uint32 { return uint32(k%distinct) * 0x9E3779B1 }
			x := New(0)
			defer x.Close()
			m := &keyRows{}
			const n = 600 // past the first growth
			fill(t, x, m, n, hash)
			for k := range uint64(n) {
				m.calls = 0
				if row, ok := x.Lookup(hash(k), keyBytes(k), m); !ok || row != uint32(k) {
					t.Fatalf("Lookup(%d) = %d,%v", k, row, ok)
				}
				if m.calls == 0 {
					t.Fatalf("Lookup(%d) found a row without asking the matcher", k)
				}
				if existing, ok := x.Insert(hash(k), keyBytes(k), uint32(n), m); ok || existing != uint32(k) {
					t.Fatalf("Insert(dup %d) = %d,%v, want %d,false", k, existing, ok, k)
				}
			}
			for k := uint64(n); k < n+50; k++ { // absent keys under the same hashes
				if row, ok := x.Lookup(hash(k), keyBytes(k), m); ok {
					t.Fatalf("Lookup(absent %d) = %d", k, row)
				}
			}
			for k := uint64(0); k < n; k += 2 {
				if !x.Delete(hash(k), uint32(k)) {
					t.Fatalf("Delete(%d) = false", k)
				}
			}
			for k := range uint64(n) {
				_, ok := x.Lookup(hash(k), keyBytes(k), m)
				if want := k%2 == 1; ok != want {
					t.Fatalf("after deletes Lookup(%d) found=%v, want %v", k, ok, want)
				}
			}
			if err := x.checkInvariants(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMatcherOnlyOnHashMatch checks that slots with another h32 never reach
// the matcher.
func TestMatcherOnlyOnHashMatch(t *testing.T) {
	hash := func(k uint64) uint32 { return uint32(2*k+1) * 0x9E3779B1 } // distinct, odd multiples
	x := New(1000)
	defer x.Close()
	m := &keyRows{}
	fill(t, x, m, 1000, hash)
	m.calls = 0
	for k := range uint64(1000) {
		if _, ok := x.Lookup(hash(k), keyBytes(k), m); !ok {
			t.Fatalf("Lookup(%d) missed", k)
		}
	}
	if m.calls != 1000 {
		t.Fatalf("1000 hits called the matcher %d times, want 1000", m.calls)
	}
	m.calls = 0
	for k := range uint64(1000) {
		absent := uint32(2*k) * 0x9E3779B1 // even multiples: no stored hash
		if _, ok := x.Lookup(absent, keyBytes(k), m); ok {
			t.Fatalf("Lookup(hash %#x) hit", absent)
		}
	}
	if m.calls != 0 {
		t.Fatalf("misses on unstored hashes called the matcher %d times", m.calls)
	}
}

// TestBackwardShiftWrap deletes from a cluster that wraps from the last slot
// to the first and checks every survivor stays reachable.
func TestBackwardShiftWrap(t *testing.T) {
	for del := range 8 {
		t.Run(fmt.Sprintf("delete-%d", del), func(t *testing.T) {
			x := New(0) // 512 slots
			defer x.Close()
			m := &keyRows{}
			// Homes 510, 510, 511, 511, 0, 0, 1, 509: the cluster runs 509..511, 0..4.
			hashes := []uint32{0xFF7FFFFF, 0xFF7FFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0, 0x00800000, 0xFE800000}
			hash := func(k uint64) uint32 { return hashes[k] }
			fill(t, x, m, len(hashes), hash)
			if !x.Delete(hashes[del], uint32(del)) {
				t.Fatalf("Delete(%d) = false", del)
			}
			if err := x.checkInvariants(); err != nil {
				t.Fatal(err)
			}
			for k := range uint64(len(hashes)) {
				_, ok := x.Lookup(hashes[k], keyBytes(k), m)
				if want := k != uint64(del); ok != want {
					t.Fatalf("Lookup(%d) found=%v, want %v", k, ok, want)
				}
			}
		})
	}
}

// startedMigration returns an index whose first growth has just begun, with
// keys [0, n) all still in the old array.
func startedMigration(t *testing.T, n int) (*Index, *keyRows) {
	t.Helper()
	x := New(n - 1)
	m := &keyRows{}
	limit := x.cur.limit
	fill(t, x, m, limit+1, xxh3High)
	if !x.Migrating() || x.old.count != limit || x.cur.count != 1 {
		t.Fatalf("after %d inserts: migrating=%v old=%d new=%d", limit+1, x.Migrating(), x.old.count, x.cur.count)
	}
	return x, m
}

func TestDeleteDuringMigration(t *testing.T) {
	for _, tc := range []struct {
		name   string
		delete func(k uint64) bool // which of the pre-migration keys to delete
	}{
		// Each Delete migrates stepSlots slots: 100 pairs of them leave
		// half of the old array unmigrated.
		{"every-third-of-300", func(k uint64) bool { return k%3 == 0 && k < 300 }},
		{"none", func(k uint64) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, m := startedMigration(t, 20000)
			defer x.Close()
			oldKeys := uint64(x.old.count)
			deleted, fromOld := 0, 0
			for k := range oldKeys {
				if !tc.delete(k) {
					continue
				}
				if !x.Migrating() {
					t.Fatalf("migration ended after %d deletes", deleted)
				}
				// Find the entry in the old array beyond what the Delete's
				// own migration step will move: it must become a tombstone.
				h, n := xxh3High(k), len(x.old.slots)
				p := x.oldFind(x.oldScanPos(h), encode(h, uint32(k)))
				inOld := p >= 0 && (p-x.start+n)%n >= x.done+stepSlots
				if !x.Delete(h, uint32(k)) {
					t.Fatalf("Delete(%d) = false", k)
				}
				if inOld {
					if x.old.slots[p] != slotTombstone {
						t.Fatalf("Delete(%d) left old slot %d = %#x, want a tombstone", k, p, x.old.slots[p])
					}
					fromOld++
				}
				if x.Delete(xxh3High(k), uint32(k)) {
					t.Fatalf("second Delete(%d) = true", k)
				}
				deleted++
			}
			if fromOld < deleted/2 {
				t.Fatalf("%d of %d deletes hit the old array, want most", fromOld, deleted)
			}
			if err := x.checkInvariants(); err != nil {
				t.Fatal(err)
			}
			total := int(oldKeys) + 1
			if x.Len() != total-deleted {
				t.Fatalf("Len() = %d, want %d", x.Len(), total-deleted)
			}
			check := func(stage string) {
				t.Helper()
				for k := range uint64(total) {
					_, ok := x.Lookup(xxh3High(k), keyBytes(k), m)
					if want := k == oldKeys || !tc.delete(k); ok != want {
						t.Fatalf("%s: Lookup(%d) found=%v, want %v", stage, k, ok, want)
					}
				}
			}
			check("mid-migration")
			if !x.Migrating() {
				t.Fatal("migration ended early")
			}
			for x.MigrateStep(97) {
			}
			if err := x.checkInvariants(); err != nil {
				t.Fatal(err)
			}
			check("after migration")
		})
	}
}

// TestTombstonesKeepOldRuns deletes the first entry of every old run that
// has a successor, so later entries are reachable only across tombstones.
func TestTombstonesKeepOldRuns(t *testing.T) {
	x, m := startedMigration(t, 3000)
	defer x.Close()
	o := x.old.slots
	var victims []uint32
	for p := 0; p+1 < len(o); p++ {
		if liveSlot(o[p]) && liveSlot(o[p+1]) && (p == 0 || o[p-1] == slotEmpty) {
			victims = append(victims, slotRow(o[p]))
		}
	}
	if len(victims) < 10 {
		t.Fatalf("only %d runs to cut", len(victims))
	}
	for _, r := range victims {
		// Lookups do not migrate: every victim is still in the old array.
		if !x.deleteOld(x.oldScanPos(xxh3High(uint64(r))), encode(xxh3High(uint64(r)), r)) {
			t.Fatalf("row %d not in the old array", r)
		}
	}
	gone := map[uint32]bool{}
	for _, r := range victims {
		gone[r] = true
	}
	for k := range uint64(x.Len() + len(victims)) {
		_, ok := x.Lookup(xxh3High(k), keyBytes(k), m)
		if ok == gone[uint32(k)] {
			t.Fatalf("Lookup(%d) found=%v, deleted=%v", k, ok, gone[uint32(k)])
		}
	}
	if err := x.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteLastOldEntryEndsMigration empties the old array by deletes
// alone: the migration ends at the last one, not after a full scan.
func TestDeleteLastOldEntryEndsMigration(t *testing.T) {
	x, m := startedMigration(t, 3000)
	defer x.Close()
	var rows []uint32
	for _, e := range x.old.slots {
		if liveSlot(e) {
			rows = append(rows, slotRow(e))
		}
	}
	for i, r := range rows {
		h := xxh3High(uint64(r))
		if !x.deleteOld(x.oldScanPos(h), encode(h, r)) {
			t.Fatalf("row %d not in the old array", r)
		}
		if x.Migrating() != (i < len(rows)-1) {
			t.Fatalf("after %d of %d old deletes Migrating() = %v", i+1, len(rows), x.Migrating())
		}
	}
	if err := x.checkInvariants(); err != nil {
		t.Fatal(err)
	}
	if x.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", x.Len())
	}
	k := uint64(len(rows))
	if _, ok := x.Lookup(xxh3High(k), keyBytes(k), m); !ok {
		t.Fatalf("Lookup(%d) of the entry inserted during migration missed", k)
	}
}

// oldScanPos is oldScan without the migrated flag.
func (x *Index) oldScanPos(h32 uint32) int {
	p, _ := x.oldScan(h32)
	return p
}

func TestReservedRows(t *testing.T) {
	x := New(0)
	defer x.Close()
	m := &keyRows{keys: []uint64{7}}
	x.Insert(0xFFFFFFFF, keyBytes(7), 0, m)
	for _, row := range []uint32{NoRow, tombstoneRow} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Insert(row %#x) did not panic", row)
				}
			}()
			x.Insert(0xFFFFFFFF, keyBytes(8), row, m)
		}()
		// Under hash 0xFFFFFFFF these rows encode the empty and tombstone slots.
		if x.Delete(0xFFFFFFFF, row) {
			t.Errorf("Delete(row %#x) = true", row)
		}
	}
	if x.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", x.Len())
	}
	if err := x.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryBytes(t *testing.T) {
	x := New(1_000_000)
	if got, want := x.MemoryBytes(), int64(slotsFor(1_000_000))*8; got != want {
		t.Fatalf("MemoryBytes() = %d, want %d", got, want)
	}
	x.Close()
	if got := x.MemoryBytes(); got != 0 {
		t.Fatalf("MemoryBytes() after Close = %d", got)
	}
	y, _ := startedMigration(t, 3000)
	if got, want := y.MemoryBytes(), int64(len(y.cur.slots)+len(y.old.slots))*8; got != want {
		t.Fatalf("MemoryBytes() while migrating = %d, want %d", got, want)
	}
	y.Close()
	if got := y.MemoryBytes(); got != 0 {
		t.Fatalf("MemoryBytes() after Close while migrating = %d", got)
	}
}

func TestMigrateStep(t *testing.T) {
	idle := New(0)
	defer idle.Close()
	if idle.MigrateStep(10) {
		t.Fatal("MigrateStep without migration = true")
	}
	x, m := startedMigration(t, 3000)
	defer x.Close()
	if !x.MigrateStep(0) || !x.MigrateStep(-1) {
		t.Fatal("MigrateStep(<=0) during migration = false")
	}
	oldSlots := len(x.old.slots)
	steps := 1
	for x.MigrateStep(100) {
		steps++
	}
	if x.Migrating() || x.old.slots != nil {
		t.Fatal("migration not finished")
	}
	if want := (oldSlots + 99) / 100; steps > want {
		t.Fatalf("%d steps of 100 slots for an old array of %d", steps, oldSlots)
	}
	for k := range uint64(x.Len()) {
		if _, ok := x.Lookup(xxh3High(k), keyBytes(k), m); !ok {
			t.Fatalf("Lookup(%d) missed", k)
		}
	}
	// Close is idempotent; a closed index holds no memory.
	x.Close()
	x.Close()
	if x.MemoryBytes() != 0 || x.Len() != 0 {
		t.Fatalf("closed index: MemoryBytes %d Len %d", x.MemoryBytes(), x.Len())
	}
}

func TestNoAllocs(t *testing.T) {
	for _, migrating := range []bool{false, true} {
		t.Run(fmt.Sprintf("migrating=%v", migrating), func(t *testing.T) {
			var x *Index
			m := &keyRows{}
			if migrating {
				x, m = startedMigration(t, 30000) // lasts ~ 37000/128 insert+delete pairs
			} else {
				x = New(30000)
				fill(t, x, m, 30000, xxh3High)
			}
			defer x.Close()
			n := uint64(x.Len())
			k := n + 1
			m.keys = append(m.keys, make([]uint64, 201)...)
			hit, miss := keyBytes(5), keyBytes(k)
			batchHashes := []uint32{xxh3High(5), xxh3High(k)}
			batchKeys := [][]byte{hit, miss}
			batchOut := make([]uint32, 2)
			var fresh [201][]byte
			for i := range fresh {
				fresh[i] = keyBytes(k + uint64(i))
				m.keys[n+uint64(i)] = k + uint64(i)
			}
			for _, tc := range []struct {
				name string
				f    func()
			}{
				{"lookup-hit", func() { x.Lookup(xxh3High(5), hit, m) }},
				{"lookup-miss", func() { x.Lookup(xxh3High(k), miss, m) }},
				{"lookup-batch", func() { x.LookupBatch(batchHashes, batchKeys, m, batchOut) }},
				{"insert-delete", func() {
					i := uint64(0)
					x.Insert(xxh3High(k+i), fresh[i], uint32(n+i), m)
					x.Delete(xxh3High(k+i), uint32(n+i))
				}},
			} {
				if a := testing.AllocsPerRun(100, tc.f); a != 0 {
					t.Errorf("%s: %v allocs per run", tc.name, a)
				}
			}
			if x.Migrating() != migrating {
				t.Fatalf("Migrating() = %v, want %v", x.Migrating(), migrating)
			}
		})
	}
}

// TestLookupBatch compares LookupBatch with Lookup, hits and misses mixed,
// in the steady state, during migration, and with colliding hashes.
func TestLookupBatch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		hash      func(uint64) uint32
		migrating bool
	}{
		{"steady", xxh3High, false},
		{"migrating", xxh3High, true},
		{"two-hashes", func(k uint64) uint32 { return uint32(k%2) * 0x9E3779B1 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := New(2000)
			defer x.Close()
			m := &keyRows{}
			n := 1000
			if tc.migrating {
				n = x.cur.limit + 1
			}
			fill(t, x, m, n, tc.hash)
			if x.Migrating() != tc.migrating {
				t.Fatalf("Migrating() = %v", x.Migrating())
			}
			// Keys [0, 2n): every other batch position misses.
			for _, size := range []int{0, 1, 7, batchGroup, batchGroup + 1, 100} {
				hs := make([]uint32, size)
				ks := make([][]byte, size)
				out := make([]uint32, size)
				for start := 0; start+size <= 2*n; start += max(size, 1) * 5 {
					for i := range size {
						k := uint64(start + i)
						hs[i], ks[i] = tc.hash(k), keyBytes(k)
					}
					x.LookupBatch(hs, ks, m, out)
					for i := range size {
						want, _ := x.Lookup(hs[i], ks[i], m)
						if out[i] != want {
							t.Fatalf("size %d: LookupBatch(key %d) = %d, Lookup = %d", size, start+i, out[i], want)
						}
					}
				}
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("LookupBatch with mismatched lengths did not panic")
		}
	}()
	x := New(0)
	defer x.Close()
	x.LookupBatch(make([]uint32, 2), make([][]byte, 2), &keyRows{}, make([]uint32, 1))
}

// TestCandidate: Candidate names the row Lookup finds for a present key
// (distinct hashes here, so no earlier entry of the same hash), and NoRow
// for an absent one; Touch reads without changing anything.
func TestCandidate(t *testing.T) {
	x := New(1 << 12)
	defer x.Close()
	m := &keyRows{}
	for r := uint32(0); r < 2000; r++ {
		m.keys = append(m.keys, uint64(r))
		x.Insert(xxh3High(uint64(r)), keyBytes(uint64(r)), r, m)
	}
	missed := 0
	for r := uint32(0); r < 2000; r++ {
		h := xxh3High(uint64(r))
		x.Touch(h)
		switch got := x.Candidate(h); got {
		case r:
		case NoRow: // beyond candidateProbes slots from home
			missed++
		default:
			t.Fatalf("Candidate of row %d's hash = %d", r, got)
		}
	}
	if missed > 100 {
		t.Fatalf("Candidate gave up on %d of 2000 keys", missed)
	}
	if got := x.Candidate(xxh3High(99999)); got != NoRow {
		t.Fatalf("Candidate of an absent hash = %d, want NoRow", got)
	}
	if x.Len() != 2000 {
		t.Fatalf("Len %d after Touch and Candidate, want 2000", x.Len())
	}
}
