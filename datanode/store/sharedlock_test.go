package store

import (
	"errors"
	"testing"

	"github.com/gondb/gondb/schema"
)

// TestSharedLocks walks the lock modes through one row: shared holders
// coexist, writers wait for all of them, a lone holder upgrades, and the row
// unlocks only when its last holder finishes, in any order.
func TestSharedLocks(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 4<<20)
	b := schema.NewRowBuilder(f.Layout())
	key, h := keyOf(7)
	ref, err := f.PrepareInsert(1, h, encode(b, 7, val{}))
	must(err)
	must(f.Commit(ref, 1))

	type step struct {
		do      string // shared, excl, update, commit, abort
		tx      TxID
		wantErr error
	}
	refs := map[TxID]OpRef{}
	run := func(t *testing.T, steps []step, lockedAfter []bool) {
		for i, s := range steps {
			var err error
			var r OpRef
			switch s.do {
			case "shared":
				r, err = f.PrepareLockShared(s.tx, h, key)
			case "excl":
				r, err = f.PrepareLock(s.tx, h, key)
			case "update":
				all := schema.AllColumns(len(f.Layout().Cols))
				r, err = f.PrepareUpdate(s.tx, h, encode(b, 7, val{}), &all)
			case "commit":
				err = f.Commit(refs[s.tx], 2)
			case "abort":
				err = f.Abort(refs[s.tx])
			}
			if !errors.Is(err, s.wantErr) && !(err == nil && s.wantErr == nil) {
				t.Fatalf("step %d %s by %d: err %v, want %v", i, s.do, s.tx, err, s.wantErr)
			}
			if err == nil && (s.do == "shared" || s.do == "excl" || s.do == "update") {
				if prev, ok := refs[s.tx]; ok && prev != r {
					t.Fatalf("step %d: tx %d got a second record %d (had %d)", i, s.tx, r, prev)
				}
				refs[s.tx] = r
			}
			if err == nil && (s.do == "commit" || s.do == "abort") {
				delete(refs, s.tx)
			}
			if err != nil && errors.Is(err, ErrRowLocked) && f.LastConflict() != f.OpRow(firstRef(refs)) {
				t.Fatalf("step %d: LastConflict %d is not the locked row", i, f.LastConflict())
			}
			_, locked := f.LockHolder(h, key)
			if locked != lockedAfter[i] {
				t.Fatalf("step %d %s by %d: locked=%v, want %v", i, s.do, s.tx, locked, lockedAfter[i])
			}
		}
		if f.LockedRows() != 0 || len(refs) != 0 {
			t.Fatalf("left locked: %d rows, %d records", f.LockedRows(), len(refs))
		}
	}
	tests := []struct {
		name   string
		steps  []step
		locked []bool
	}{
		{"readers share, writer waits for all", []step{
			{"shared", 1, nil}, {"shared", 2, nil}, {"shared", 3, nil},
			{"excl", 4, ErrRowLocked}, {"update", 4, ErrRowLocked},
			{"commit", 1, nil}, {"excl", 4, ErrRowLocked},
			{"abort", 3, nil}, {"commit", 2, nil},
			{"excl", 4, nil}, {"shared", 5, ErrRowLocked}, {"commit", 4, nil},
		}, []bool{true, true, true, true, true, true, true, true, false, true, true, false}},
		{"lone holder upgrades, shared one cannot", []step{
			{"shared", 1, nil}, {"shared", 1, nil}, {"shared", 2, nil},
			{"update", 1, ErrRowLocked}, {"commit", 2, nil},
			{"update", 1, nil}, {"shared", 2, ErrRowLocked}, {"shared", 1, nil}, {"commit", 1, nil},
		}, []bool{true, true, true, true, true, true, true, true, false}},
		{"owner leaves first, later holders keep the row", []step{
			{"shared", 1, nil}, {"shared", 2, nil}, {"commit", 1, nil},
			{"excl", 3, ErrRowLocked}, {"shared", 3, nil}, {"abort", 3, nil}, {"abort", 2, nil},
		}, []bool{true, true, true, true, true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.steps, tt.locked) })
	}
}

func firstRef(refs map[TxID]OpRef) OpRef {
	for _, r := range refs {
		return r
	}
	return noOp
}
