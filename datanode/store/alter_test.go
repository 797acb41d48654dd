package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// alteredTable is testTable at version 2 with two ordered indexes added:
// one on the VARCHAR column, one on (c, a).
func alteredTable() *schema.Table {
	t := testTable()
	t.Version = 2
	t.Indexes = append(t.Indexes,
		schema.Index{Name: "iv", Kind: schema.IndexOrdered, Columns: []int{2}},
		schema.Index{Name: "ica", Kind: schema.IndexOrdered, Columns: []int{4, 1}})
	return t
}

func mustLayout(t testing.TB, tbl *schema.Table) *schema.Layout {
	t.Helper()
	l, err := schema.NewLayout(tbl)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// writer drives random single-row writes through transactions that stay
// open across build steps, against a model of the committed rows.
type writer struct {
	t         *testing.T
	f         *Fragment
	rng       *rand.Rand
	b         *schema.RowBuilder
	committed map[int64]val
	open      []*modelTx
	next      TxID
	gci       uint64
	keys      int
}

func (w *writer) step() {
	switch op := w.rng.IntN(10); {
	case op < 2 && len(w.open) < 4:
		w.open = append(w.open, &modelTx{id: w.next, overlay: map[int64]*val{}, refs: map[OpRef]bool{}})
		w.next++
	case op < 7 && len(w.open) > 0:
		tx := w.open[w.rng.IntN(len(w.open))]
		k := int64(w.rng.IntN(w.keys))
		key, h := keyOf(k)
		x := w.randVal()
		var ref OpRef
		var err error
		var after *val
		_, inTx := tx.overlay[k]
		_, exists := w.committed[k]
		if p, ok := tx.overlay[k]; ok {
			exists = p != nil
		}
		switch w.rng.IntN(4) {
		case 0:
			if exists {
				return
			}
			ref, err = w.f.PrepareInsert(tx.id, h, encode(w.b, k, x))
			after = &x
		case 1:
			if !exists {
				return
			}
			cols := schema.AllColumns(5)
			ref, err = w.f.PrepareUpdate(tx.id, h, encode(w.b, k, x), &cols)
			after = &x
		case 2:
			ref, err = w.f.PrepareWrite(tx.id, h, encode(w.b, k, x))
			after = &x
		case 3:
			if !exists {
				return
			}
			ref, err = w.f.PrepareDelete(tx.id, h, key)
		}
		if errors.Is(err, ErrRowLocked) {
			return // another open transaction holds the row
		}
		if err != nil {
			w.t.Fatalf("key %d (in tx %v): %v", k, inTx, err)
		}
		tx.overlay[k] = after
		tx.refs[ref] = true
	case len(w.open) > 0:
		w.finish(w.rng.IntN(len(w.open)), w.rng.IntN(4) > 0)
	}
}

// randVal is randVal with short BLOBs: the test is about indexes.
func (w *writer) randVal() val {
	x := randVal(w.rng)
	if x.b != nil && len(*x.b) > 100 {
		s := (*x.b)[:100]
		x.b = &s
	}
	return x
}

func (w *writer) finish(i int, commit bool) {
	tx := w.open[i]
	w.open = append(w.open[:i], w.open[i+1:]...)
	for ref := range tx.refs {
		var err error
		if commit {
			err = w.f.Commit(ref, w.gci)
		} else {
			err = w.f.Abort(ref)
		}
		if err != nil {
			w.t.Fatal(err)
		}
	}
	if !commit {
		return
	}
	for k, p := range tx.overlay {
		if p == nil {
			delete(w.committed, k)
		} else {
			w.committed[k] = *p
		}
	}
	w.gci++
}

func (w *writer) finishAll() {
	for len(w.open) > 0 {
		w.finish(0, true)
	}
}

// checkOrdered checks ordered index ix against the committed rows: the
// tree's invariants, one entry per row, and an unbounded scan (in small
// batches) that returns every row once in index order.
func checkOrdered(t *testing.T, f *Fragment, ix int, committed map[int64]val) {
	t.Helper()
	var o *orderedIndex
	for _, c := range f.ord {
		if c.number == ix {
			o = c
		}
	}
	if o == nil {
		t.Fatalf("no ordered index %d", ix)
	}
	if err := o.tree.Check(); err != nil {
		t.Fatalf("index %d: %v", ix, err)
	}
	if o.tree.Len() != len(committed) {
		t.Fatalf("index %d holds %d entries, %d committed rows", ix, o.tree.Len(), len(committed))
	}
	if o.building {
		t.Fatalf("index %d is still building", ix)
	}
	// Straight on the index, so a retired one can be read too.
	all := Bound{Unbounded: true}
	s := &IndexScan{f: f, o: o, cur: o.tree.Seek(all, all, false), lo: all, hi: all}
	seen := map[int64]bool{}
	out := make([]RowID, 7)
	prev := NoRow
	for n := s.Next(out); n > 0; n = s.Next(out) {
		for _, r := range out[:n] {
			id := f.RowView(r).Int64(0)
			if seen[id] {
				t.Fatalf("index %d returned row %d twice", ix, id)
			}
			seen[id] = true
			want, ok := committed[id]
			if !ok {
				t.Fatalf("index %d returned row %d, which is not committed", ix, id)
			}
			if got := decode(f.Layout(), f.ReadRow(r, nil)); got.String() != want.String() {
				t.Fatalf("index %d row %d = %v, want %v", ix, id, got, want)
			}
			if prev != NoRow && o.CompareRows(prev, r) > 0 {
				t.Fatalf("index %d out of order at row %d", ix, id)
			}
			prev = r
		}
	}
	if len(seen) != len(committed) {
		t.Fatalf("index %d scan found %d rows, %d committed", ix, len(seen), len(committed))
	}
}

// TestAlterAddIndexWhileWriting adds two ordered indexes to a fragment
// with rows and builds them a few slots at a time while transactions
// insert, update, write and delete rows before and behind the build and
// commit or abort across build steps: once built, each index holds
// exactly the committed rows, in order.
func TestAlterAddIndexWhileWriting(t *testing.T) {
	rows := 3000
	if testing.Short() {
		rows = 600
	}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			f, _ := newTestFragment(t, testTable(), 64<<20)
			w := &writer{t: t, f: f, rng: rand.New(rand.NewPCG(seed, 99)), b: schema.NewRowBuilder(f.Layout()),
				committed: map[int64]val{}, next: 1, gci: 1, keys: rows * 2}
			for i := 0; i < rows; i++ { // half the key space, then holes
				k := int64(w.rng.IntN(w.keys))
				if _, ok := w.committed[k]; ok {
					continue
				}
				key, h := keyOf(k)
				x := w.randVal()
				ref, err := f.PrepareInsert(0, h, encode(w.b, k, x))
				must(err)
				must(f.Commit(ref, 1))
				w.committed[k] = x
				if i%5 == 0 { // leave free slots behind
					ref, err := f.PrepareDelete(0, h, key)
					must(err)
					must(f.Commit(ref, 1))
					delete(w.committed, k)
				}
			}
			for range 20 {
				w.step()
			}
			if err := f.Alter(mustLayout(t, alteredTable())); err != nil {
				t.Fatal(err)
			}
			if f.IndexesBuilding() != 2 || f.IndexOnline(1) || !f.IndexOnline(0) {
				t.Fatalf("after Alter: %d building, online 0/1 %v/%v", f.IndexesBuilding(), f.IndexOnline(0), f.IndexOnline(1))
			}
			if _, err := f.OrderedScan(1, Bound{Unbounded: true}, Bound{Unbounded: true}, false, nil); !errors.Is(err, ndberr.ErrIndexNotOnline) {
				t.Fatalf("scan of a building index: %v, want ErrIndexNotOnline", err)
			}
			steps := 0
			for f.BuildIndexes(1 + w.rng.IntN(40)) {
				for range w.rng.IntN(6) {
					w.step()
				}
				steps++
			}
			if steps < 10 {
				t.Fatalf("the build took %d steps; the test wants writes between many", steps)
			}
			for range 200 {
				w.step()
			}
			w.finishAll()
			for ix := 0; ix < 3; ix++ {
				checkOrdered(t, f, ix, w.committed)
			}
		})
	}
}

// TestAlterEmptyFragment: an index added to a fragment that never had a
// row is online at once; one added to a fragment whose rows were all
// deleted builds over the empty pages.
func TestAlterEmptyFragment(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 16<<20)
	if err := f.Alter(mustLayout(t, alteredTable())); err != nil {
		t.Fatal(err)
	}
	if f.IndexesBuilding() != 0 || !f.IndexOnline(1) || !f.IndexOnline(2) {
		t.Fatalf("empty fragment: %d building", f.IndexesBuilding())
	}
	w := &writer{t: t, f: f, rng: rand.New(rand.NewPCG(5, 5)), b: schema.NewRowBuilder(f.Layout()),
		committed: map[int64]val{}, next: 1, gci: 1, keys: 50}
	for range 300 {
		w.step()
	}
	w.finishAll()
	for ix := 0; ix < 3; ix++ {
		checkOrdered(t, f, ix, w.committed)
	}
}

// TestAlterDropIndex: a dropped index refuses new scans with
// ErrSchemaVersion, while a scan opened before the drop reads on and
// commits keep the index in step until ReleaseRetired frees it.
func TestAlterDropIndex(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 16<<20)
	w := &writer{t: t, f: f, rng: rand.New(rand.NewPCG(7, 7)), b: schema.NewRowBuilder(f.Layout()),
		committed: map[int64]val{}, next: 1, gci: 1, keys: 200}
	for range 600 {
		w.step()
	}
	w.finishAll()
	open, err := f.OrderedScan(0, Bound{Unbounded: true}, Bound{Unbounded: true}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if open.Index() != 0 {
		t.Fatalf("scan index %d", open.Index())
	}
	v3 := testTable()
	v3.Version = 3
	v3.Indexes[0] = schema.Index{Kind: schema.IndexDropped}
	if err := f.Alter(mustLayout(t, v3)); err != nil {
		t.Fatal(err)
	}
	for _, ix := range []int{0, 1, 7} {
		if _, err := f.OrderedScan(ix, Bound{Unbounded: true}, Bound{Unbounded: true}, false, nil); !errors.Is(err, ndberr.ErrSchemaVersion) {
			t.Fatalf("scan of index %d after the drop: %v, want ErrSchemaVersion", ix, err)
		}
	}
	for range 300 {
		w.step()
	}
	w.finishAll()
	checkOrdered(t, f, 0, w.committed) // still exact: the open scan may read it
	out := make([]RowID, 1000)
	if n := open.Next(out); n != len(w.committed) {
		t.Fatalf("the scan opened before the drop read %d rows, %d committed", n, len(w.committed))
	}
	if left := f.ReleaseRetired(func(ix int) bool { return ix == open.Index() }); left != 1 || len(f.ord) != 1 {
		t.Fatalf("released an index in use: %d retired left, %d indexes", left, len(f.ord))
	}
	if left := f.ReleaseRetired(func(int) bool { return false }); left != 0 || len(f.ord) != 0 {
		t.Fatalf("after release: %d retired left, %d indexes", left, len(f.ord))
	}
	for range 100 {
		w.step()
	}
	w.finishAll()
	// Changing anything else is refused and changes nothing.
	bad := testTable()
	bad.Version = 4
	bad.Columns[1].Nullable = false
	if err := f.Alter(mustLayout(t, bad)); !errors.Is(err, schema.ErrUnsupportedChange) || f.Layout().Table.Version != 3 {
		t.Fatalf("a column change: %v, version %d", err, f.Layout().Table.Version)
	}
}

// rowIDOf finds the row id of committed key k by a full scan.
func rowIDOf(f *Fragment, k int64) RowID {
	var pos ScanPos
	out := make([]RowID, 64)
	for !pos.Done() {
		n := f.ScanNext(&pos, nil, out, 1<<20)
		for _, r := range out[:n] {
			if f.RowView(r).Int64(0) == k {
				return r
			}
		}
	}
	return NoRow
}

// TestAlterBuildBoundary commits writes to the very row id where the build
// stopped: the row belongs to the build, not to the commit, and must be
// entered once.
func TestAlterBuildBoundary(t *testing.T) {
	for _, op := range []string{"insert", "update", "delete"} {
		t.Run(op, func(t *testing.T) {
			f, _ := newTestFragment(t, testTable(), 16<<20)
			w := &writer{t: t, f: f, b: schema.NewRowBuilder(f.Layout()), committed: map[int64]val{}, gci: 1}
			a := int32(1)
			for k := int64(0); k < 100; k++ {
				_, h := keyOf(k)
				x := val{a: &a, c: "x"}
				ref, err := f.PrepareInsert(0, h, encode(w.b, k, x))
				must(err)
				must(f.Commit(ref, 1))
				w.committed[k] = x
			}
			at := rowIDOf(f, 50)
			if op == "insert" { // free the slot the insert will reuse
				key, h := keyOf(50)
				ref, err := f.PrepareDelete(0, h, key)
				must(err)
				must(f.Commit(ref, 1))
				delete(w.committed, 50)
			}
			if err := f.Alter(mustLayout(t, alteredTable())); err != nil {
				t.Fatal(err)
			}
			if !f.BuildIndexes(int(at)) {
				t.Fatal("the build finished early")
			}
			key, h := keyOf(50)
			b := val{a: &a, c: "moved"}
			var ref OpRef
			var err error
			switch op {
			case "insert":
				_, h = keyOf(1000)
				ref, err = f.PrepareInsert(1, h, encode(w.b, 1000, b))
			case "update":
				cols := schema.AllColumns(5)
				ref, err = f.PrepareUpdate(1, h, encode(w.b, 50, b), &cols)
				w.committed[50] = b
			case "delete":
				ref, err = f.PrepareDelete(1, h, key)
				delete(w.committed, 50)
			}
			must(err)
			must(f.Commit(ref, 2))
			if op == "insert" {
				if got := rowIDOf(f, 1000); got != at {
					t.Fatalf("the insert took row id %d, not the freed %d: the test needs the slot reused", got, at)
				}
				w.committed[1000] = b
			}
			for f.BuildIndexes(7) {
			}
			for ix := 0; ix < 3; ix++ {
				checkOrdered(t, f, ix, w.committed)
			}
		})
	}
}
