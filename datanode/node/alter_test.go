package node_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// accountV2 is the account table with an ordered index on value.
func accountV2() *schema.Table {
	t := accountTable()
	t.Version = 2
	t.Indexes = []schema.Index{{Name: "by_value", Kind: schema.IndexOrdered, Columns: []int{1}}}
	return t
}

// byValue reads the table through index by_value (merged into index
// order) and checks it returns want, in value order.
func (d *durableNode) byValue(t *testing.T, tbl *ndbapi.Table, want map[int64]int64) {
	t.Helper()
	tx, err := d.ndb.StartTransaction(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	s, err := tx.ScanIndex(tbl, tbl.Index("by_value"), ndbapi.ScanOptions{Ordered: true, BatchRows: 50})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	last := int64(-1 << 62)
	for r, ok := s.Next(); ok; r, ok = s.Next() {
		if v := r.Int64(1); v < last {
			t.Fatalf("out of order: value %d after %d", v, last)
		} else {
			last = v
		}
		got[r.Int64(0)] = r.Int64(1)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("index scan: %d rows, want %d", len(got), len(want))
	}
	for id, v := range want {
		if got[id] != v {
			t.Fatalf("index scan: row %d = %d, want %d", id, got[id], v)
		}
	}
}

func waitBuilt(t *testing.T, n *node.Node) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		left, err := n.IndexBuildsPending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d index builds still pending", left)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestAlterTableAddIndex adds an ordered index to a table with rows on a
// running node, writes while it builds, and restarts the node from its
// file system with the new version: the restore builds the index again
// and it returns the same rows.
func TestAlterTableAddIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ndb_1_fs")
	d := startDurable(t, dir, true)
	want := map[int64]int64{}
	var last uint64
	for i := int64(0); i < 3000; i += 100 {
		ids := make([]int64, 100)
		for j := range ids {
			ids[j] = i + int64(j)
			want[ids[j]] = i % 700
		}
		last = d.apply(t, ids, i%700, "write")
	}
	ctx := context.Background()
	if err := d.n.AlterTable(ctx, accountV2()); err != nil {
		t.Fatal(err)
	}
	// Writes while it builds (or just after: the build is fast).
	for i := int64(0); i < 3000; i += 250 {
		last = d.apply(t, []int64{i, i + 1, 5000 + i}, -i, "write")
		want[i], want[i+1], want[5000+i] = -i, -i, -i
		last = d.apply(t, []int64{i + 2}, 0, "delete")
		delete(want, i+2)
	}
	waitBuilt(t, d.n)
	tbl, err := d.c.AddTable(accountV2())
	if err != nil {
		t.Fatal(err)
	}
	d.byValue(t, tbl, want)

	// The same version again does nothing; an older one, or a change of
	// anything but indexes, is refused.
	if err := d.n.AlterTable(ctx, accountV2()); err != nil {
		t.Fatalf("the same version again: %v", err)
	}
	if err := d.n.AlterTable(ctx, accountTable()); !errors.Is(err, node.ErrTableExists) {
		t.Fatalf("an older version: %v", err)
	}
	bad := accountV2()
	bad.Version = 3
	bad.Columns[1].Nullable = true
	if err := d.n.AlterTable(ctx, bad); !errors.Is(err, schema.ErrUnsupportedChange) {
		t.Fatalf("a column change: %v", err)
	}
	missing := accountV2()
	missing.ID = 999
	if err := d.n.AlterTable(ctx, missing); !errors.Is(err, node.ErrNoSuchTable) {
		t.Fatalf("an unknown table: %v", err)
	}

	d.waitSaved(t, last)
	d.stop()
	d = startDurableWith(t, dir, false, func(c *node.Config) { c.Tables = []*schema.Table{accountV2()} })
	defer d.stop()
	if tbl, err = d.c.AddTable(accountV2()); err != nil {
		t.Fatal(err)
	}
	d.byValue(t, tbl, want)

	// Dropping it: scans of the old number are refused, rows stay.
	v3 := accountV2()
	v3.Version = 3
	v3.Indexes[0] = schema.Index{Kind: schema.IndexDropped}
	if err := d.n.AlterTable(ctx, v3); err != nil {
		t.Fatal(err)
	}
	tx, err := d.ndb.StartTransaction(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tx.ScanIndex(tbl, 0, ndbapi.ScanOptions{})
	if err == nil {
		for _, ok := s.Next(); ok; _, ok = s.Next() {
		}
		err = s.Err()
	}
	tx.Close()
	if ndbapi.Code(err) != 241 {
		t.Fatalf("scan of the dropped index: %v, want 241", err)
	}
	if got := d.contents(t); len(got) != len(want) {
		t.Fatalf("%d rows after the drop, want %d", len(got), len(want))
	}
}
