package hashidx

import (
	"math/rand/v2"
	"testing"
)

// modelCase drives the index and a Go map with the same random operations.
type modelCase struct {
	name     string
	seed     uint64
	hash     func(k uint64) uint32
	initial  int    // New's capacity
	keySpace uint64 // keys are drawn from [0, keySpace): inserts of present keys must be refused
	ops      int
	// insertPct and deletePct split the operations; the rest are lookups.
	// Unless noChurn, the second half of every 10000 operations churns:
	// inserts and deletes at the same rate.
	insertPct, deletePct int
	noChurn              bool
	stepPct              int // chance of an interleaved MigrateStep per operation
	checkEvery           int // operations between full invariant checks
	midCheck             int // one in midCheck operations during a migration is checked too
	minMigrations        int
}

var modelCases = []modelCase{
	{name: "xxh3", seed: 1, hash: xxh3High, keySpace: 30000, ops: 40000,
		insertPct: 55, deletePct: 15, stepPct: 10, checkEvery: 5000, midCheck: 20, minMigrations: 6},
	{name: "xxh3-no-idle-steps", seed: 2, hash: xxh3High, keySpace: 20000, ops: 40000,
		insertPct: 60, deletePct: 20, stepPct: 0, checkEvery: 4000, midCheck: 20, minMigrations: 6},
	// Large enough for mmap-backed arrays (mmapMinBytes), grown and unmapped.
	{name: "mmap-arrays", seed: 7, hash: xxh3High, initial: 27000, keySpace: 100000, ops: 40000,
		insertPct: 85, deletePct: 10, noChurn: true, stepPct: 10, checkEvery: 20000, midCheck: 100, minMigrations: 1},
	{name: "delete-heavy", seed: 3, hash: xxh3High, keySpace: 6000, ops: 40000,
		insertPct: 45, deletePct: 40, stepPct: 5, checkEvery: 2000, midCheck: 5, minMigrations: 3},
	// Homes crowd into the last 1/16 of the array: long clusters that wrap
	// from the end to the start, in both arrays and across migrations.
	{name: "wrapping-clusters", seed: 4, hash: func(k uint64) uint32 { return xxh3High(k) | 0xF0000000 },
		keySpace: 1500, ops: 5000, insertPct: 60, deletePct: 20, stepPct: 10, checkEvery: 500, midCheck: 2, minMigrations: 2},
	// Seven distinct hashes: only the matcher tells keys apart.
	{name: "seven-hashes", seed: 5, hash: func(k uint64) uint32 { return uint32(k%7) * 0x24924924 },
		keySpace: 1500, ops: 5000, insertPct: 60, deletePct: 20, stepPct: 10, checkEvery: 500, midCheck: 2, minMigrations: 2},
	// The extreme hashes: 0xFFFFFFFF is also the hash half of an empty slot.
	{name: "extreme-hashes", seed: 6, hash: func(k uint64) uint32 {
		switch k % 4 {
		case 0:
			return 0xFFFFFFFF
		case 1:
			return 0
		}
		return xxh3High(k)
	}, keySpace: 1600, ops: 6000, insertPct: 60, deletePct: 20, stepPct: 10, checkEvery: 1000, midCheck: 2, minMigrations: 2},
}

func TestModel(t *testing.T) {
	for _, tc := range modelCases {
		t.Run(tc.name, func(t *testing.T) { runModel(t, tc) })
	}
}

func runModel(t *testing.T, tc modelCase) {
	rng := rand.New(rand.NewPCG(tc.seed, 0x9e3779b97f4a7c15))
	x := New(tc.initial)
	defer x.Close()
	m := &keyRows{}
	model := map[uint64]uint32{} // key -> row
	var free []uint32            // row ids released by deletes, reused like a storage engine would
	migrations, midChecks := 0, 0
	wasMigrating := false
	fail := func(op int, format string, args ...any) {
		t.Helper()
		t.Fatalf("seed=%d op=%d: "+format, append([]any{tc.seed, op}, args...)...)
	}
	for op := 0; op < tc.ops; op++ {
		k := rng.Uint64N(tc.keySpace)
		h := tc.hash(k)
		key := keyBytes(k)
		insertPct := tc.insertPct
		if !tc.noChurn && op%10000 >= 5000 {
			insertPct = tc.deletePct
		}
		switch r := rng.IntN(100); {
		case r < insertPct:
			row := uint32(len(m.keys))
			if len(free) > 0 {
				row, free = free[len(free)-1], free[:len(free)-1]
				m.keys[row] = k
			} else {
				m.keys = append(m.keys, k)
			}
			got, inserted := x.Insert(h, key, row, m)
			if want, dup := model[k]; dup {
				if inserted || got != want {
					fail(op, "Insert(dup key %d) = %d,%v, want %d,false", k, got, inserted, want)
				}
				m.keys[row] = ^uint64(0)
				free = append(free, row)
			} else {
				if !inserted || got != row {
					fail(op, "Insert(key %d row %d) = %d,%v, want %d,true", k, row, got, inserted, row)
				}
				model[k] = row
			}
		case r < insertPct+tc.deletePct:
			row, present := model[k]
			if !present {
				// A row id that is live nowhere: never assigned, or released.
				unused := uint32(len(m.keys))
				if len(free) > 0 && rng.IntN(2) == 0 {
					unused = free[rng.IntN(len(free))]
				}
				if x.Delete(h, unused) {
					fail(op, "Delete(absent key %d, unused row %d) = true", k, unused)
				}
				break
			}
			// The row is stored under h only.
			if x.Delete(h+1, row) {
				fail(op, "Delete(key %d row %d) under hash %#x != %#x = true", k, row, h+1, h)
			}
			if !x.Delete(h, row) {
				fail(op, "Delete(key %d row %d) = false", k, row)
			}
			delete(model, k)
			m.keys[row] = ^uint64(0)
			free = append(free, row)
		default:
			got, ok := x.Lookup(h, key, m)
			want, present := model[k]
			if ok != present || (ok && got != want) {
				fail(op, "Lookup(%d) = %d,%v, want %d,%v", k, got, ok, want, present)
			}
		}
		if rng.IntN(100) < tc.stepPct {
			x.MigrateStep(1 + rng.IntN(200))
		}
		if x.Migrating() && !wasMigrating {
			migrations++
		}
		wasMigrating = x.Migrating()
		if x.Len() != len(model) {
			fail(op, "Len() = %d, model holds %d", x.Len(), len(model))
		}
		// Full checks at fixed intervals, and now and then mid-migration,
		// which the intervals would rarely hit.
		if (op+1)%tc.checkEvery == 0 || (x.Migrating() && rng.IntN(tc.midCheck) == 0) {
			if err := x.checkInvariants(); err != nil {
				fail(op, "%v", err)
			}
			checkContents(t, x, m, model, tc.hash)
			if x.Migrating() {
				midChecks++
			}
		}
	}
	t.Logf("%d migrations, %d entries, %d slots, %d checks mid-migration", migrations, x.Len(), len(x.cur.slots), midChecks)
	if migrations < tc.minMigrations || midChecks < tc.minMigrations {
		t.Fatalf("seed=%d: %d migrations and %d checks during them, want at least %d", tc.seed, migrations, midChecks, tc.minMigrations)
	}
	for x.MigrateStep(100) {
	}
	if err := x.checkInvariants(); err != nil {
		t.Fatalf("seed=%d after migration: %v", tc.seed, err)
	}
	checkContents(t, x, m, model, tc.hash)
}

// checkContents compares every entry of the index with the model.
func checkContents(t *testing.T, x *Index, m *keyRows, model map[uint64]uint32, hash func(uint64) uint32) {
	t.Helper()
	got, err := x.entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(model) {
		t.Fatalf("index holds %d entries, model %d", len(got), len(model))
	}
	for k, row := range model {
		h, ok := got[row]
		if !ok || h != hash(k) {
			t.Fatalf("key %d row %d: index has hash %#x present %v, want %#x", k, row, h, ok, hash(k))
		}
		if r, ok := x.Lookup(hash(k), keyBytes(k), m); !ok || r != row {
			t.Fatalf("Lookup(%d) = %d,%v, want %d", k, r, ok, row)
		}
	}
}
