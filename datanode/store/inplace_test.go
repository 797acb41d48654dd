package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// inPlaceTable has fixed columns, nullable and not, one under an ordered
// index, and a var column.
func inPlaceTable() *schema.Table {
	return &schema.Table{
		ID: 2, Name: "p", Version: 1,
		Columns: []schema.Column{
			{Name: "id", Type: schema.TypeBigInt},
			{Name: "x", Type: schema.TypeInt, Nullable: true},
			{Name: "y", Type: schema.TypeChar, Length: 8, Charset: schema.CharsetLatin1},
			{Name: "z", Type: schema.TypeBigInt},
			{Name: "v", Type: schema.TypeVarchar, Length: 20, Nullable: true},
		},
		PrimaryKey: []int{0},
		Indexes:    []schema.Index{{Name: "iz", Kind: schema.IndexOrdered, Columns: []int{3}}},
	}
}

// TestUpdateCommittedMatchesTwoSteps runs the same random updates on two
// fragments: one through UpdateCommitted (the two steps where it says
// ErrNotInPlace), the other through PrepareUpdate and Commit. Every row,
// its GCI and the ordered index's order must stay the same in both.
func TestUpdateCommittedMatchesTwoSteps(t *testing.T) {
	tbl := inPlaceTable()
	a, _ := newTestFragment(t, tbl, 8<<20)
	b, _ := newTestFragment(t, tbl, 8<<20)
	rb := schema.NewRowBuilder(a.Layout())
	const rows = 200
	rowOf := func(id int64, rng *rand.Rand) []byte {
		rb.Reset()
		rb.SetInt64(0, id)
		if rng.IntN(4) == 0 {
			rb.SetNull(1)
		} else {
			rb.SetInt64(1, rng.Int64N(1000))
		}
		rb.SetString(2, fmt.Sprint(rng.IntN(100000)))
		rb.SetInt64(3, rng.Int64N(50))
		if rng.IntN(3) > 0 {
			rb.SetString(4, fmt.Sprint("v", rng.IntN(1e6)))
		}
		return rb.AppendRow(nil)
	}
	rng := rand.New(rand.NewPCG(7, 0))
	for id := int64(0); id < rows; id++ {
		row := rowOf(id, rng)
		_, h := keyOf(id)
		for _, f := range []*Fragment{a, b} {
			ref, err := f.PrepareInsert(1, h, row)
			if err == nil {
				err = f.Commit(ref, 1)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	inPlace, fallback := 0, 0
	for step := 0; step < 3000; step++ {
		id := rng.Int64N(rows)
		key, h := keyOf(id)
		row := rowOf(id, rng)
		var cols schema.ColumnSet
		for c := 1; c < len(tbl.Columns); c++ {
			if rng.IntN(2) == 0 {
				cols.Add(c)
			}
		}
		gci := uint64(2 + step/10)
		if _, err := a.UpdateCommitted(h, row, &cols, gci); errors.Is(err, ErrNotInPlace) {
			fallback++
			ref, err := a.PrepareUpdate(9, h, row, &cols)
			if err == nil {
				err = a.Commit(ref, gci)
			}
			if err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatalf("step %d: %v", step, err)
		} else {
			inPlace++
		}
		ref, err := b.PrepareUpdate(9, h, row, &cols)
		if err == nil {
			err = b.Commit(ref, gci)
		}
		if err != nil {
			t.Fatal(err)
		}
		ra, _ := a.Read(h, key, nil)
		rbb, _ := b.Read(h, key, nil)
		ga, _ := a.GCI(h, key)
		gb, _ := b.GCI(h, key)
		if !bytes.Equal(ra, rbb) || ga != gb {
			t.Fatalf("step %d, row %d, columns %v: in place %x at GCI %d, two steps %x at GCI %d", step, id, cols, ra, ga, rbb, gb)
		}
	}
	if inPlace == 0 || fallback == 0 {
		t.Fatalf("%d updates in place, %d the two-step way: want both", inPlace, fallback)
	}
	// The ordered index lists the same keys in the same order.
	order := func(f *Fragment) (keys []string) {
		sc, err := f.OrderedScan(0, Bound{Unbounded: true}, Bound{Unbounded: true}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]RowID, 64)
		for n := sc.Next(out); n > 0; n = sc.Next(out) {
			for _, r := range out[:n] {
				keys = append(keys, fmt.Sprintf("%x", f.ReadRow(r, nil)))
			}
		}
		return keys
	}
	if oa, ob := order(a), order(b); fmt.Sprint(oa) != fmt.Sprint(ob) || len(oa) != rows {
		t.Fatalf("ordered index: %d rows in place, %d two steps, or another order", len(oa), len(ob))
	}
	if a.Stats().UpdatesInPlace != uint64(inPlace) || b.Stats().UpdatesInPlace != 0 {
		t.Fatalf("UpdatesInPlace %d and %d, want %d and 0", a.Stats().UpdatesInPlace, b.Stats().UpdatesInPlace, inPlace)
	}
	if a.Stats().Updates != b.Stats().Updates || a.Stats().Commits != b.Stats().Commits {
		t.Fatalf("stats differ: %+v, %+v", a.Stats(), b.Stats())
	}
}

// TestUpdateCommittedRefuses: a locked row, a missing one and a bad row
// image are refused and change nothing.
func TestUpdateCommittedRefuses(t *testing.T) {
	f, _ := newTestFragment(t, inPlaceTable(), 8<<20)
	rb := schema.NewRowBuilder(f.Layout())
	rb.SetInt64(0, 1)
	rb.SetInt64(1, 5)
	rb.SetString(2, "a")
	rb.SetInt64(3, 7)
	row := rb.AppendRow(nil)
	key, h := keyOf(1)
	ref, err := f.PrepareInsert(1, h, row)
	if err == nil {
		err = f.Commit(ref, 1)
	}
	if err != nil {
		t.Fatal(err)
	}
	var cols schema.ColumnSet
	cols.Add(1)
	held, err := f.PrepareUpdate(2, h, row, &cols)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateCommitted(h, row, &cols, 3); !errors.Is(err, ErrRowLocked) {
		t.Fatalf("a locked row: %v, want ErrRowLocked", err)
	}
	r, _ := f.lookup(h, key)
	if f.LastConflict() != r {
		t.Fatalf("LastConflict %d, want row %d", f.LastConflict(), r)
	}
	if err := f.Abort(held); err != nil {
		t.Fatal(err)
	}
	_, h2 := keyOf(2)
	rb.SetInt64(0, 2)
	if _, err := f.UpdateCommitted(h2, rb.AppendRow(nil), &cols, 3); !errors.Is(err, ndberr.ErrNoSuchRow) {
		t.Fatalf("a missing row: %v, want ErrNoSuchRow", err)
	}
	if _, err := f.UpdateCommitted(h, row[:3], &cols, 3); err == nil {
		t.Fatal("a truncated row image was taken")
	}
	if g, _ := f.GCI(h, key); g != 1 {
		t.Fatalf("GCI %d after refusals, want 1", g)
	}
}
