package store

import (
	"testing"

	"github.com/gondb/gondb/schema"
)

// TestOpEffect: what each kind of operation will do to its row when it
// commits, as the redo log records it.
func TestOpEffect(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 4<<20)
	b := schema.NewRowBuilder(f.Layout())
	all := schema.AllColumns(len(f.Layout().Cols))
	existing, hx := keyOf(1)
	ref, err := f.PrepareInsert(1, hx, encode(b, 1, val{}))
	must(err)
	must(f.Commit(ref, 1))
	_, hn := keyOf(2)

	cases := []struct {
		name    string
		prepare func(tx TxID) (OpRef, error)
		want    Effect
	}{
		{"insert", func(tx TxID) (OpRef, error) { return f.PrepareInsert(tx, hn, encode(b, 2, val{})) }, EffectPut},
		{"update", func(tx TxID) (OpRef, error) { return f.PrepareUpdate(tx, hx, encode(b, 1, val{}), &all) }, EffectPut},
		{"write", func(tx TxID) (OpRef, error) { return f.PrepareWrite(tx, hx, encode(b, 1, val{})) }, EffectPut},
		{"delete", func(tx TxID) (OpRef, error) { return f.PrepareDelete(tx, hx, existing) }, EffectDelete},
		{"exclusive lock", func(tx TxID) (OpRef, error) { return f.PrepareLock(tx, hx, existing) }, EffectNone},
		{"shared lock", func(tx TxID) (OpRef, error) { return f.PrepareLockShared(tx, hx, existing) }, EffectNone},
	}
	for i, c := range cases {
		tx := TxID(100 + i)
		ref, err := c.prepare(tx)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := f.OpEffect(ref); got != c.want {
			t.Errorf("%s: effect %d, want %d", c.name, got, c.want)
		}
		must(f.Abort(ref))
	}
	// Inserted and deleted by one transaction: nothing to record.
	ref, err = f.PrepareInsert(200, hn, encode(b, 2, val{}))
	must(err)
	key2, _ := keyOf(2)
	ref2, err := f.PrepareDelete(200, hn, key2)
	must(err)
	if ref2 != ref {
		t.Fatalf("delete joined a new record %d, not %d", ref2, ref)
	}
	if got := f.OpEffect(ref); got != EffectNone {
		t.Errorf("insert+delete: effect %d, want none", got)
	}
	if got := f.OpEffect(OpRef(9999)); got != EffectNone {
		t.Errorf("unknown op: effect %d", got)
	}
}

// TestOpTag: a tag set on an operation stays while it lives, is seen by a
// second operation of the same transaction on the row (which joins the
// record), and is gone from a record released by the commit and reused.
func TestOpTag(t *testing.T) {
	f, _ := newTestFragment(t, testTable(), 4<<20)
	b := schema.NewRowBuilder(f.Layout())
	all := schema.AllColumns(len(f.Layout().Cols))
	_, h := keyOf(1)
	ref, err := f.PrepareInsert(1, h, encode(b, 1, val{}))
	must(err)
	if tag := f.OpTag(ref); tag != 0 {
		t.Fatalf("a new operation's tag: %d, want 0", tag)
	}
	f.SetOpTag(ref, 42)
	again, err := f.PrepareUpdate(1, h, encode(b, 1, val{}), &all)
	must(err)
	if again != ref || f.OpTag(again) != 42 {
		t.Fatalf("the transaction's second operation: ref %d tag %d, want ref %d tag 42", again, f.OpTag(again), ref)
	}
	must(f.Commit(ref, 1))
	next, err := f.PrepareUpdate(2, h, encode(b, 1, val{}), &all)
	must(err)
	if f.OpTag(next) != 0 {
		t.Fatalf("an operation after the commit: tag %d (ref %d, the old one %d), want 0", f.OpTag(next), next, ref)
	}
}
