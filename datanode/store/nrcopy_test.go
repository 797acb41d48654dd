package store

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

func i32(v int32) *int32 { return &v }

// TestMarkCopied checks each answer MarkCopied gives a node restart's
// key-only copy entry.
func TestMarkCopied(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 1<<20)
	b := schema.NewRowBuilder(f.Layout())
	put := func(id int64, gci uint64) {
		_, h := keyOf(id)
		ref, err := f.PrepareWrite(1, h, encode(b, id, val{a: i32(int32(id))}))
		must(err)
		must(f.Commit(ref, gci))
	}
	put(1, 5)
	put(2, 7)
	k3, h3 := keyOf(3)
	if _, err := f.PrepareInsert(9, h3, encode(b, 3, val{})); err != nil { // pending insert
		t.Fatal(err)
	}
	k1, h1 := keyOf(1)
	k2, h2 := keyOf(2)
	k4, h4 := keyOf(4)
	for _, c := range []struct {
		name string
		key  []byte
		h    uint64
		gci  uint64
		want error
	}{
		{"same GCI", k1, h1, 5, nil},
		{"other GCI", k2, h2, 5, ErrCopyMismatch},
		{"missing", k4, h4, 5, ndberr.ErrNoSuchRow},
		{"insert not committed", k3, h3, 0, ndberr.ErrNoSuchRow},
		{"short key", k1[:4], h1, 5, ndberr.ErrWrongKeyLength},
	} {
		if err := f.MarkCopied(c.h, c.key, c.gci); !errors.Is(err, c.want) {
			t.Errorf("%s: MarkCopied = %v, want %v", c.name, err, c.want)
		}
	}
	if n := f.CopiedMarks(); n != 1 {
		t.Fatalf("%d rows marked, want 1", n)
	}
	// A mark changes nothing a reader or a scan sees.
	if got, err := f.GCI(h1, k1); err != nil || got != 5 {
		t.Fatalf("GCI of a marked row = %d, %v", got, err)
	}
	if rows := scanAll(f); len(rows) != 2 {
		t.Fatalf("scan returned %d rows, want 2", len(rows))
	}
}

func scanAll(f *Fragment) []RowID {
	var pos ScanPos
	out := make([]RowID, 64)
	var all []RowID
	for !pos.Done() {
		n := f.ScanNext(&pos, nil, out, 1<<20)
		all = append(all, out[:n]...)
	}
	return all
}

// TestSweepUncopied sweeps a fragment after a partial copy with R = 10:
// marked rows and rows written after R stay, unmarked rows at or below R
// go (also out of the ordered index), and rows that prepared writes hold
// end as those writes end.
func TestSweepUncopied(t *testing.T) {
	const R = 10
	f, _ := newTestFragment(t, testTable(), 4<<20)
	b := schema.NewRowBuilder(f.Layout())
	committed := map[int64]val{}
	put := func(id int64, x val, gci uint64) {
		_, h := keyOf(id)
		ref, err := f.PrepareWrite(1, h, encode(b, id, x))
		must(err)
		must(f.Commit(ref, gci))
		committed[id] = x
	}
	// 1..600: restored rows (GCI <= R); even ones confirmed by the copy.
	for id := int64(1); id <= 600; id++ {
		put(id, val{a: i32(int32(id % 7))}, uint64(1+id%R))
	}
	for id := int64(2); id <= 600; id += 2 {
		k, h := keyOf(id)
		must(f.MarkCopied(h, k, uint64(1+id%R)))
	}
	// 601..650: written after R (by the copy or live writes), unmarked.
	for id := int64(601); id <= 650; id++ {
		put(id, val{a: i32(1)}, R+3)
	}
	// Stale rows held by prepared writes: an upsert that commits, one that
	// aborts, and a delete that commits.
	upsert := func(tx TxID, id int64, x val) OpRef {
		_, h := keyOf(id)
		ref, err := f.PrepareWrite(tx, h, encode(b, id, x))
		must(err)
		return ref
	}
	commitUp := upsert(100, 1, val{a: i32(99), v: strp("new")})
	abortUp := upsert(101, 3, val{a: i32(98)})
	k5, h5 := keyOf(5)
	del, err := f.PrepareDelete(102, h5, k5)
	must(err)

	swept := f.SweepUncopied(R, func(k []byte) uint64 { return partition.Hash(k) })
	if swept != 300 {
		t.Fatalf("swept %d rows, want 300 (297 unlocked, 3 held)", swept)
	}
	for id := int64(1); id <= 600; id += 2 {
		delete(committed, id)
	}
	if n := f.CopiedMarks(); n != 0 {
		t.Fatalf("%d marks left after the sweep", n)
	}
	if got := f.Stats().Rows; got != int64(len(committed)) {
		t.Fatalf("Rows = %d, want %d", got, len(committed))
	}
	checkOrdered(t, f, 0, committed)
	// The held rows are pending inserts now: invisible to committed reads.
	k1, h1 := keyOf(1)
	if _, err := f.Read(h1, k1, nil); !errors.Is(err, ndberr.ErrNoSuchRow) {
		t.Fatalf("read of a swept row held by an upsert: %v", err)
	}
	must(f.Commit(commitUp, R+5))
	committed[1] = val{a: i32(99), v: strp("new")}
	must(f.Abort(abortUp))
	must(f.Commit(del, R+5))
	if got, err := f.GCI(h1, k1); err != nil || got != R+5 {
		t.Fatalf("upserted row: GCI %d, %v", got, err)
	}
	for _, id := range []int64{3, 5} {
		k, h := keyOf(id)
		if _, err := f.Read(h, k, nil); !errors.Is(err, ndberr.ErrNoSuchRow) {
			t.Fatalf("row %d still there: %v", id, err)
		}
	}
	if got := f.Stats().Rows; got != int64(len(committed)) {
		t.Fatalf("Rows = %d after the held writes ended, want %d", got, len(committed))
	}
	checkOrdered(t, f, 0, committed)
	if f.LockedRows() != 0 {
		t.Fatalf("%d rows still locked", f.LockedRows())
	}
	// No row has GCI 0: a sweep at 0 takes nothing.
	if n := f.SweepUncopied(0, func(k []byte) uint64 { return partition.Hash(k) }); n != 0 {
		t.Fatalf("a sweep below every GCI took %d rows", n)
	}
}

// TestSweepReleasesPages sweeps every row of a fragment, so pages are
// handed back while the sweep walks them; the fragment stays usable.
func TestSweepReleasesPages(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 4<<20)
	b := schema.NewRowBuilder(f.Layout())
	for id := int64(0); id < 3000; id++ {
		_, h := keyOf(id)
		ref, err := f.PrepareInsert(1, h, encode(b, id, val{a: i32(1)}))
		must(err)
		must(f.Commit(ref, 2))
	}
	if n := f.SweepUncopied(2, func(k []byte) uint64 { return partition.Hash(k) }); n != 3000 {
		t.Fatalf("swept %d rows, want 3000", n)
	}
	if f.Stats().Rows != 0 || len(scanAll(f)) != 0 || f.Memory().FixedPages > 1 {
		t.Fatalf("after sweeping all: %d rows, %d scanned, %d pages", f.Stats().Rows, len(scanAll(f)), f.Memory().FixedPages)
	}
	checkOrdered(t, f, 0, map[int64]val{})
	_, h := keyOf(7)
	ref, err := f.PrepareInsert(1, h, encode(b, 7, val{}))
	must(err)
	must(f.Commit(ref, 3))
	if f.Stats().Rows != 1 {
		t.Fatal("insert after the sweep failed")
	}
}

// TestMarkCopiedAllocatesNothing: marking is on the copy's per-row path.
func TestMarkCopiedAllocatesNothing(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 1<<20)
	b := schema.NewRowBuilder(f.Layout())
	k, h := keyOf(1)
	ref, err := f.PrepareInsert(1, h, encode(b, 1, val{}))
	must(err)
	must(f.Commit(ref, 4))
	if n := testing.AllocsPerRun(100, func() { _ = f.MarkCopied(h, k, 4) }); n != 0 {
		t.Fatalf("MarkCopied allocates %.1f times", n)
	}
}

func strp(s string) *string { return &s }

// TestPutCopiedUnderALock installs copied rows over rows that prepared
// transactions hold (a takeover finished them on the primary first): the
// transaction's commit installs its image, its abort leaves the copied
// row, and var parts shared with a prepared image survive either way.
func TestPutCopiedUnderALock(t *testing.T) {
	long := string(bytes.Repeat([]byte{'L'}, 40<<10)) // a chained var part
	for _, c := range []struct {
		name   string
		commit bool
		prep   func(f *Fragment, b *schema.RowBuilder, h uint64, k []byte) (OpRef, error)
		after  func(commit bool) (val, bool) // the row afterwards, and whether it exists
	}{
		{"update, commit", true,
			func(f *Fragment, b *schema.RowBuilder, h uint64, k []byte) (OpRef, error) {
				cols := schema.AllColumns(1)
				cols.Add(1)
				cols.Add(3)
				return f.PrepareUpdate(7, h, encode(b, 1, val{a: i32(50), b: &long}), &cols)
			},
			func(bool) (val, bool) { return val{a: i32(50), b: &long}, true }},
		{"update, abort", false,
			func(f *Fragment, b *schema.RowBuilder, h uint64, k []byte) (OpRef, error) {
				cols := schema.AllColumns(1)
				cols.Add(1)
				cols.Add(3)
				return f.PrepareUpdate(7, h, encode(b, 1, val{a: i32(50), b: &long}), &cols)
			},
			func(bool) (val, bool) { return val{a: i32(60), v: strp("copied")}, true }},
		{"delete, commit", true,
			func(f *Fragment, b *schema.RowBuilder, h uint64, k []byte) (OpRef, error) {
				return f.PrepareDelete(7, h, k)
			},
			func(bool) (val, bool) { return val{}, false }},
		{"delete, abort", false,
			func(f *Fragment, b *schema.RowBuilder, h uint64, k []byte) (OpRef, error) {
				return f.PrepareDelete(7, h, k)
			},
			func(bool) (val, bool) { return val{a: i32(60), v: strp("copied")}, true }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, _ := newTestFragment(t, testTable(), 4<<20)
			b := schema.NewRowBuilder(f.Layout())
			k, h := keyOf(1)
			ref, err := f.PrepareInsert(1, h, encode(b, 1, val{a: i32(40), b: &long}))
			must(err)
			must(f.Commit(ref, 3))
			held, err := c.prep(f, b, h, k)
			must(err)
			// The primary's row, as the copy sends it.
			must(f.PutCopied(2, h, encode(b, 1, val{a: i32(60), v: strp("copied")}), 8, true))
			if got, err := f.GCI(h, k); err != nil || got != 8 {
				t.Fatalf("copied row: GCI %d, %v", got, err)
			}
			if c.commit {
				must(f.Commit(held, 8))
			} else {
				must(f.Abort(held))
			}
			want, exists := c.after(c.commit)
			got, err := f.Read(h, k, nil)
			switch {
			case !exists:
				if !errors.Is(err, ndberr.ErrNoSuchRow) {
					t.Fatalf("row still there: %v", err)
				}
				checkOrdered(t, f, 0, map[int64]val{})
			case err != nil:
				t.Fatal(err)
			default:
				if d := decode(f.Layout(), got); d.String() != want.String() {
					t.Fatalf("row = %v, want %v", d, want)
				}
				checkOrdered(t, f, 0, map[int64]val{1: want})
			}
			if f.Stats().GCIRegressions != 0 {
				t.Fatal("GCI went back")
			}
			marks := 0
			if exists {
				marks = 1
			}
			if f.LockedRows() != 0 || f.CopiedMarks() != marks {
				t.Fatalf("%d rows locked, %d marked", f.LockedRows(), f.CopiedMarks())
			}
		})
	}
}
