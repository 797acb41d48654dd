package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// val is the model's view of a row.
type val struct {
	a    *int32
	v, b *string
	c    string
}

func (x val) String() string {
	s := func(p *string) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprintf("%d bytes %.8q", len(*p), *p)
	}
	a := "NULL"
	if x.a != nil {
		a = fmt.Sprint(*x.a)
	}
	return fmt.Sprintf("{a=%s v=%s b=%s c=%q}", a, s(x.v), s(x.b), x.c)
}

func randVal(rng *rand.Rand) val {
	var x val
	if rng.IntN(4) > 0 {
		a := int32(rng.IntN(20) - 10) // few values: many duplicates in the index
		x.a = &a
	}
	if rng.IntN(4) > 0 {
		s := string(bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(41)))
		x.v = &s
	}
	if rng.IntN(3) == 0 {
		n := rng.IntN(200)
		if rng.IntN(10) == 0 {
			n = 32<<10 + rng.IntN(32<<10) // chained var part
		}
		s := string(bytes.Repeat([]byte{byte('A' + rng.IntN(26))}, n))
		x.b = &s
	}
	x.c = string(bytes.Repeat([]byte{'x'}, rng.IntN(11)))
	return x
}

func encode(b *schema.RowBuilder, id int64, x val) []byte {
	b.Reset()
	must(b.SetInt64(0, id))
	if x.a != nil {
		must(b.SetInt64(1, int64(*x.a)))
	}
	if x.v != nil {
		must(b.SetString(2, *x.v))
	}
	if x.b != nil {
		must(b.SetString(3, *x.b))
	}
	must(b.SetString(4, x.c))
	return b.AppendRow(nil)
}

func decode(l *schema.Layout, img []byte) val {
	r := l.RowOf(img)
	var x val
	if !r.IsNull(1) {
		a := int32(r.Int64(1))
		x.a = &a
	}
	if !r.IsNull(2) {
		s := r.String(2)
		x.v = &s
	}
	if !r.IsNull(3) {
		s := r.String(3)
		x.b = &s
	}
	x.c = r.String(4)
	return x
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// mask merges the columns in cols of y over x.
func merge(x, y val, cols *schema.ColumnSet) val {
	if cols.Has(1) {
		x.a = y.a
	}
	if cols.Has(2) {
		x.v = y.v
	}
	if cols.Has(3) {
		x.b = y.b
	}
	if cols.Has(4) {
		x.c = y.c
	}
	return x
}

type modelTx struct {
	id      TxID
	overlay map[int64]*val // nil value: deleted by the tx
	refs    map[OpRef]bool
}

type model struct {
	committed map[int64]val
	txs       []*modelTx
}

func (m *model) holder(k int64) *modelTx {
	for _, t := range m.txs {
		if _, ok := t.overlay[k]; ok {
			return t
		}
	}
	return nil
}

// sees returns the row as tx t sees it.
func (m *model) sees(t *modelTx, k int64) (val, bool) {
	if p, ok := t.overlay[k]; ok {
		if p == nil {
			return val{}, false
		}
		return *p, true
	}
	x, ok := m.committed[k]
	return x, ok
}

// TestFragmentModel runs long random sequences of prepare/commit/abort,
// reads and scans and checks every result against a Go map model.
func TestFragmentModel(t *testing.T) {
	steps := 20000
	if testing.Short() {
		steps = 3000
	}
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runModel(t, seed, steps) })
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	f, pool := newTestFragment(t, testTable(), 64<<20)
	l := f.Layout()
	b := schema.NewRowBuilder(l)
	m := &model{committed: map[int64]val{}}
	nextTx := TxID(1)
	gci := uint64(1)
	const keys = 150
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed=%d: "+format, append([]any{seed}, args...)...)
	}
	for step := 0; step < steps; step++ {
		switch op := rng.IntN(100); {
		case op < 5 && len(m.txs) < 3:
			m.txs = append(m.txs, &modelTx{id: nextTx, overlay: map[int64]*val{}, refs: map[OpRef]bool{}})
			nextTx++
		case op < 55 && len(m.txs) > 0:
			tx := m.txs[rng.IntN(len(m.txs))]
			k := int64(rng.IntN(keys))
			key, h := keyOf(k)
			holder := m.holder(k)
			cur, exists := m.sees(tx, k)
			x := randVal(rng)
			var ref OpRef
			var err error
			var want error
			var after *val
			kind := rng.IntN(5)
			switch kind {
			case 0:
				ref, err = f.PrepareInsert(tx.id, h, encode(b, k, x))
				if exists {
					want = ndberr.ErrRowExists
				}
				after = &x
			case 1:
				var cols schema.ColumnSet
				for c := 1; c < 5; c++ {
					if rng.IntN(2) == 0 {
						cols.Add(c)
					}
				}
				ref, err = f.PrepareUpdate(tx.id, h, encode(b, k, x), &cols)
				if !exists {
					want = ndberr.ErrNoSuchRow
				}
				y := merge(cur, x, &cols)
				after = &y
			case 2:
				ref, err = f.PrepareWrite(tx.id, h, encode(b, k, x))
				after = &x
			case 3:
				ref, err = f.PrepareDelete(tx.id, h, key)
				if !exists {
					want = ndberr.ErrNoSuchRow
				}
			case 4:
				ref, err = f.PrepareLock(tx.id, h, key)
				if !exists {
					want = ndberr.ErrNoSuchRow
				}
				after = &cur
			}
			if holder != nil && holder != tx {
				// Another transaction holds the row: refused unless the
				// error is decided before the lock (no such committed row
				// and the holder is inserting it counts as locked).
				if !errors.Is(err, ErrRowLocked) {
					fail("step %d: op %d on key %d held by tx %d: err %v, want ErrRowLocked", step, kind, k, holder.id, err)
				}
				continue
			}
			if want != nil {
				if !errors.Is(err, want) {
					fail("step %d: op %d key %d: err %v, want %v", step, kind, k, err, want)
				}
				continue
			}
			if err != nil {
				fail("step %d: op %d key %d: unexpected %v", step, kind, k, err)
			}
			tx.overlay[k] = after
			tx.refs[ref] = true
		case op < 65 && len(m.txs) > 0:
			i := rng.IntN(len(m.txs))
			tx := m.txs[i]
			m.txs = slices.Delete(m.txs, i, i+1)
			if rng.IntN(3) > 0 {
				for ref := range tx.refs {
					if err := f.Commit(ref, gci); err != nil {
						fail("commit: %v", err)
					}
				}
				for k, p := range tx.overlay {
					if p == nil {
						delete(m.committed, k)
					} else {
						m.committed[k] = *p
					}
				}
				gci++
			} else {
				for ref := range tx.refs {
					if err := f.Abort(ref); err != nil {
						fail("abort: %v", err)
					}
				}
			}
		case op < 80:
			k := int64(rng.IntN(keys))
			key, h := keyOf(k)
			img, err := f.Read(h, key, nil)
			want, ok := m.committed[k]
			if ok != (err == nil) {
				fail("step %d: read %d: err %v, model has=%v", step, k, err, ok)
			}
			if ok && decode(l, img).String() != want.String() {
				fail("step %d: read %d: got %v want %v", step, k, decode(l, img), want)
			}
			if len(m.txs) > 0 {
				tx := m.txs[rng.IntN(len(m.txs))]
				img, err := f.ReadTx(tx.id, h, key, nil)
				want, ok := m.sees(tx, k)
				if ok != (err == nil) || ok && decode(l, img).String() != want.String() {
					fail("step %d: readtx %d: err %v model %v/%v", step, k, err, ok, want)
				}
			}
		case op < 85:
			checkFullScan(t, f, m, rng)
		case op < 90:
			checkIndexScan(t, f, m, rng)
		}
	}
	for _, tx := range m.txs {
		for ref := range tx.refs {
			must(f.Abort(ref))
		}
	}
	checkFullScan(t, f, m, rng)
	if f.LockedRows() != 0 {
		t.Fatalf("%d rows still locked", f.LockedRows())
	}
	if got := f.Stats().Rows; got != int64(len(m.committed)) {
		t.Fatalf("Stats.Rows = %d, model %d", got, len(m.committed))
	}
	// Deleting everything returns the pages (but one spare per class).
	for k := range m.committed {
		key, h := keyOf(k)
		ref, err := f.PrepareDelete(999999, h, key)
		must(err)
		must(f.Commit(ref, gci))
	}
	if used := pool.Stats().UsedPages; used > 40 {
		t.Fatalf("%d pages still used after deleting every row", used)
	}
}

// checkFullScan scans in small batches, with committed writes between
// batches on keys outside the model's range, and compares to the model.
func checkFullScan(t *testing.T, f *Fragment, m *model, rng *rand.Rand) {
	t.Helper()
	var pos ScanPos
	out := make([]RowID, 1+rng.IntN(16))
	got := map[int64]string{}
	for !pos.Done() {
		n := f.ScanNext(&pos, nil, out, 1+rng.IntN(64))
		for _, r := range out[:n] {
			img := f.ReadRow(r, nil)
			id := f.Layout().RowOf(img).Int64(0)
			if _, dup := got[id]; dup {
				t.Fatalf("scan returned %d twice", id)
			}
			got[id] = decode(f.Layout(), img).String()
		}
	}
	if len(got) != len(m.committed) {
		t.Fatalf("scan found %d rows, model %d", len(got), len(m.committed))
	}
	for k, v := range m.committed {
		if got[k] != v.String() {
			t.Fatalf("scan row %d = %s, want %v", k, got[k], v)
		}
	}
}

// checkIndexScan runs a random range scan on index ia, both directions, in
// small batches, and compares with the sorted model.
func checkIndexScan(t *testing.T, f *Fragment, m *model, rng *rand.Rand) {
	t.Helper()
	l := f.Layout()
	lo, hi := int32(rng.IntN(24)-12), int32(rng.IntN(24)-12)
	loInc, hiInc := rng.IntN(2) == 0, rng.IntN(2) == 0
	bound := func(v int32, inc bool, unb bool) Bound {
		if unb {
			return Bound{Unbounded: true}
		}
		var raw [4]byte
		putI32(raw[:], v)
		return Bound{Key: l.AppendSearchKeyValue(nil, 1, raw[:], false), Inclusive: inc}
	}
	loUnb, hiUnb := rng.IntN(4) == 0, rng.IntN(4) == 0
	desc := rng.IntN(2) == 0
	s, err := f.OrderedScan(0, bound(lo, loInc, loUnb), bound(hi, hiInc, hiUnb), desc, nil)
	if err != nil {
		t.Fatal(err)
	}
	type ent struct {
		a  int32
		id int64
	}
	var got []ent
	out := make([]RowID, 1+rng.IntN(8))
	for {
		n := s.Next(out)
		if n == 0 {
			break
		}
		for _, r := range out[:n] {
			row := f.RowView(r)
			a := int32(-1 << 31) // NULL sorts first
			if !row.IsNull(1) {
				a = int32(row.Int64(1))
			} else if !loUnb {
				t.Fatalf("index scan with a low bound returned a NULL key")
			}
			got = append(got, ent{a, row.Int64(0)})
		}
	}
	var want []ent
	for k, v := range m.committed {
		if v.a == nil && !loUnb {
			continue // NULL sorts below every bound
		}
		if v.a != nil {
			a := *v.a
			if !loUnb && (a < lo || a == lo && !loInc) || !hiUnb && (a > hi || a == hi && !hiInc) {
				continue
			}
		}
		a := int32(-1 << 31)
		if v.a != nil {
			a = *v.a
		}
		want = append(want, ent{a, k})
	}
	// NULL sorts first; equal keys come in row-id order, which the model
	// does not know: compare as multisets plus key order.
	slices.SortFunc(want, func(x, y ent) int { return int(x.a) - int(y.a) })
	if len(got) != len(want) {
		t.Fatalf("index scan [%d,%d] inc %v/%v unb %v/%v desc %v: %d rows, want %d", lo, hi, loInc, hiInc, loUnb, hiUnb, desc, len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		if (!desc && got[i].a < got[i-1].a) || (desc && got[i].a > got[i-1].a) {
			t.Fatalf("index scan out of order at %d: %v", i, got)
		}
	}
	gotIDs := map[int64]bool{}
	for _, e := range got {
		gotIDs[e.id] = true
	}
	for _, e := range want {
		if !gotIDs[e.id] {
			t.Fatalf("index scan missed row %d", e.id)
		}
	}
}

func putI32(b []byte, v int32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
