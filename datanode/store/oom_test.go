package store

import (
	"errors"
	"testing"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// TestOutOfDataMemory fills a small pool: the insert that finds no page gets
// ErrOutOfDataMemory and changes nothing; reads, updates that need no new
// memory... and deletes keep working, after which inserts succeed again.
func TestOutOfDataMemory(t *testing.T) {
	f, pool := newTestFragment(t, testTable(), 8*32<<10) // 8 pages
	b := schema.NewRowBuilder(f.Layout())
	val := func(s string) val { return val{v: &s, c: "c"} }
	inserted := 0
	var oomErr error
	for id := int64(0); id < 100000; id++ {
		_, h := keyOf(id)
		ref, err := f.PrepareInsert(1, h, encode(b, id, val("some text")))
		if err != nil {
			oomErr = err
			break
		}
		must(f.Commit(ref, 1))
		inserted++
	}
	if !errors.Is(oomErr, ndberr.ErrOutOfDataMemory) {
		t.Fatalf("after %d rows: err %v, want ErrOutOfDataMemory", inserted, oomErr)
	}
	if pool.Stats().UsedPages != pool.Stats().TotalPages {
		t.Fatalf("pool not full: %+v", pool.Stats())
	}
	if f.Stats().Rows != int64(inserted) || f.LockedRows() != 0 {
		t.Fatalf("failed insert left state: rows %d, locked %d", f.Stats().Rows, f.LockedRows())
	}
	// The failed key is not there; every inserted row reads back.
	key, h := keyOf(int64(inserted))
	if _, err := f.Read(h, key, nil); !errors.Is(err, ndberr.ErrNoSuchRow) {
		t.Fatalf("failed insert is visible: %v", err)
	}
	for id := int64(0); id < int64(inserted); id++ {
		key, h := keyOf(id)
		if _, err := f.Read(h, key, nil); err != nil {
			t.Fatalf("read %d on a full pool: %v", id, err)
		}
	}
	// An update needs a copy slot: on a full pool it may fail, cleanly.
	key0, h0 := keyOf(0)
	all := schema.AllColumns(5)
	if _, err := f.PrepareUpdate(2, h0, encode(b, 0, val("changed")), &all); err != nil {
		if !errors.Is(err, ndberr.ErrOutOfDataMemory) || f.LockedRows() != 0 {
			t.Fatalf("update on full pool: %v, locked %d", err, f.LockedRows())
		}
		img, _ := f.Read(h0, key0, nil)
		if got := decode(f.Layout(), img); *got.v != "some text" {
			t.Fatalf("failed update changed the row: %v", got)
		}
	}
	// Deletes free memory; inserts work again.
	for id := int64(0); id < int64(inserted)/2; id++ {
		key, h := keyOf(id)
		ref, err := f.PrepareDelete(3, h, key)
		if err != nil {
			t.Fatalf("delete %d: %v", id, err)
		}
		must(f.Commit(ref, 2))
	}
	_, h = keyOf(int64(inserted))
	ref, err := f.PrepareInsert(4, h, encode(b, int64(inserted), val("again")))
	if err != nil {
		t.Fatalf("insert after deletes: %v", err)
	}
	must(f.Commit(ref, 3))
}
