package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
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

// TestInPlaceMatchesTwoSteps runs the same random inserts, updates and
// deletes on two fragments: one through InsertCommitted, UpdateCommitted
// and DeleteCommitted (the two steps where UpdateCommitted says
// ErrNotInPlace), the other through the Prepare calls and Commit. Every
// row, its GCI, the row count and the ordered index's order must stay
// the same in both.
func TestInPlaceMatchesTwoSteps(t *testing.T) {
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
	twoSteps := func(f *Fragment, op string, h uint64, row []byte, cols *schema.ColumnSet, gci uint64) error {
		var ref OpRef
		var err error
		switch op {
		case "insert":
			ref, err = f.PrepareInsert(9, h, row)
		case "update":
			ref, err = f.PrepareUpdate(9, h, row, cols)
		case "delete":
			ref, err = f.PrepareDelete(9, h, row[:f.Layout().KeySize])
		}
		if err == nil {
			err = f.Commit(ref, gci)
		}
		return err
	}
	rng := rand.New(rand.NewPCG(7, 0))
	present := make([]bool, rows)
	counts := map[string]int{}
	for step := 0; step < 4000; step++ {
		id := rng.Int64N(rows)
		key, h := keyOf(id)
		row := rowOf(id, rng)
		var cols schema.ColumnSet
		for c := 1; c < len(tbl.Columns); c++ {
			if rng.IntN(2) == 0 {
				cols.Add(c)
			}
		}
		op := "insert"
		if present[id] {
			op = []string{"update", "update", "delete"}[rng.IntN(3)]
		}
		gci := uint64(2 + step/10)
		var err error
		switch op {
		case "insert":
			_, err = a.InsertCommitted(h, row, gci)
		case "update":
			_, err = a.UpdateCommitted(h, row, &cols, gci)
			if errors.Is(err, ErrNotInPlace) {
				op, err = "update (two steps)", twoSteps(a, "update", h, row, &cols, gci)
			}
		case "delete":
			var got []byte
			got, err = a.DeleteCommitted(h, key, nil)
			if err == nil && !bytes.Equal(got, key) {
				t.Fatalf("step %d: DeleteCommitted gave key %x, want %x", step, got, key)
			}
		}
		if err != nil {
			t.Fatalf("step %d: %s of row %d: %v", step, op, id, err)
		}
		counts[op]++
		if err := twoSteps(b, strings.Fields(op)[0], h, row, &cols, gci); err != nil {
			t.Fatal(err)
		}
		present[id] = op != "delete"
		ra, ea := a.Read(h, key, nil)
		rbb, eb := b.Read(h, key, nil)
		ga, _ := a.GCI(h, key)
		gb, _ := b.GCI(h, key)
		if !bytes.Equal(ra, rbb) || ga != gb || (ea == nil) != present[id] || (eb == nil) != present[id] {
			t.Fatalf("step %d, %s of row %d, columns %v: in place %x at GCI %d (%v), two steps %x at GCI %d (%v)",
				step, op, id, cols, ra, ga, ea, rbb, gb, eb)
		}
	}
	for _, op := range []string{"insert", "update", "update (two steps)", "delete"} {
		if counts[op] == 0 {
			t.Fatalf("no %s among %v", op, counts)
		}
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
	sa, sb := a.Stats(), b.Stats()
	if oa, ob := order(a), order(b); fmt.Sprint(oa) != fmt.Sprint(ob) || int64(len(oa)) != sa.Rows {
		t.Fatalf("ordered index: %d rows in place, %d two steps, or another order", len(oa), len(ob))
	}
	inPlace := uint64(counts["insert"] + counts["update"] + counts["delete"])
	if sa.InPlace != inPlace || sb.InPlace != 0 {
		t.Fatalf("InPlace %d and %d, want %d and 0", sa.InPlace, sb.InPlace, inPlace)
	}
	if sa.Rows != sb.Rows || sa.Inserts != sb.Inserts || sa.Updates != sb.Updates || sa.Deletes != sb.Deletes || sa.Commits != sb.Commits {
		t.Fatalf("stats differ: %+v, %+v", sa, sb)
	}
}

// TestInPlaceRefuses: a locked row, a missing one, an existing one for an
// insert and a bad row image are refused and change nothing.
func TestInPlaceRefuses(t *testing.T) {
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
	if _, err := f.InsertCommitted(h, row, 3); !errors.Is(err, ErrRowLocked) {
		t.Fatalf("an insert over a locked row: %v, want ErrRowLocked", err)
	}
	if _, err := f.DeleteCommitted(h, key, nil); !errors.Is(err, ErrRowLocked) {
		t.Fatalf("a delete of a locked row: %v, want ErrRowLocked", err)
	}
	if err := f.Abort(held); err != nil {
		t.Fatal(err)
	}
	if _, err := f.InsertCommitted(h, row, 3); !errors.Is(err, ndberr.ErrRowExists) {
		t.Fatalf("an insert over a row: %v, want ErrRowExists", err)
	}
	k2, h2 := keyOf(2)
	if _, err := f.DeleteCommitted(h2, k2, nil); !errors.Is(err, ndberr.ErrNoSuchRow) {
		t.Fatalf("a delete of a missing row: %v, want ErrNoSuchRow", err)
	}
	rb.SetInt64(0, 2)
	if _, err := f.UpdateCommitted(h2, rb.AppendRow(nil), &cols, 3); !errors.Is(err, ndberr.ErrNoSuchRow) {
		t.Fatalf("a missing row: %v, want ErrNoSuchRow", err)
	}
	if _, err := f.UpdateCommitted(h, row[:3], &cols, 3); err == nil {
		t.Fatal("a truncated row image was taken")
	}
	if g, _ := f.GCI(h, key); g != 1 || f.Stats().Rows != 1 || f.Stats().InPlace != 0 {
		t.Fatalf("GCI %d, %d rows, %d in place after refusals; want 1, 1, 0", g, f.Stats().Rows, f.Stats().InPlace)
	}
}
