package ndbapi_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema/filter"
)

// fragOps sums the numeric columns of operations_per_fragment over the
// fragments of table id (the filter goes to the data nodes), and counts
// the rows.
func fragOps(t *testing.T, c *ndbapi.Cluster, id uint32) (map[string]uint64, int) {
	t.Helper()
	it, _ := ndbapi.InfoTable("operations_per_fragment")
	b := filter.NewBuilder(it.Layout)
	b.Cmp(it.Column("table_id"), filter.Eq, filter.Uint(uint64(id)))
	prog, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	r := info(t, c, "operations_per_fragment", ndbapi.InfoOptions{Filter: prog})
	sum := map[string]uint64{}
	for _, m := range r.Maps() {
		if m["fq_name"] != "item" || m["type"] != "User table" || m["parent_fq_name"] != nil {
			t.Fatalf("row of table %d: %v", id, m)
		}
		for k, v := range m {
			if u, ok := v.(uint64); ok && k != "node_id" && k != "table_id" && k != "fragment_num" {
				sum[k] += u
			}
		}
	}
	return sum, len(r.Rows)
}

// diff is b - a for every column of b.
func diff(a, b map[string]uint64) map[string]uint64 {
	d := map[string]uint64{}
	for k, v := range b {
		d[k] = v - a[k]
	}
	return d
}

// TestNdbInfoOperationsPerFragment: the per-fragment counters move with
// key operations and scans, and a scan with a pushed filter examines
// every row but returns only the matching ones.
func TestNdbInfoOperationsPerFragment(t *testing.T) {
	tc := startInproc(t, 2, nil)
	n, tbl := tc.ndb(t), tc.t
	id := tbl.Def.ID
	before, frags := fragOps(t, tc.c, id)
	if frags < 2 {
		t.Fatalf("%d fragments of item, want one row per fragment replica on the two nodes", frags)
	}
	for k, v := range before {
		if v != 0 {
			t.Errorf("%s = %d before any operation", k, v)
		}
	}

	const rows = 1000
	insertN(t, n, tbl, rows)
	inserted, _ := fragOps(t, tc.c, id)
	if d := diff(before, inserted); d["tot_key_inserts"] != rows || d["tot_commits"] != rows || d["tot_key_reads"] != 0 {
		t.Errorf("after %d inserts (NoOfReplicas 1): %v", rows, d)
	}

	rb := tbl.NewRowBuilder()
	exec := func(define func(tx *ndbapi.Transaction), wantErr bool) {
		t.Helper()
		tx, err := n.StartTransaction(tbl, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Close()
		define(tx)
		if err := tx.Execute(ndbapi.Commit); (err != nil) != wantErr {
			t.Fatalf("execute: %v (want an error: %v)", err, wantErr)
		}
	}
	for i := int64(0); i < 5; i++ {
		exec(func(tx *ndbapi.Transaction) { tx.Read(tbl, keyOf(rb, i), ndbapi.CommittedRead) }, false)
	}
	exec(func(tx *ndbapi.Transaction) { tx.Read(tbl, keyOf(rb, 5000), ndbapi.CommittedRead) }, true) // no such row
	exec(func(tx *ndbapi.Transaction) {
		for i := int64(1); i <= 3; i++ {
			setItem(rb, i, i*10)
			tx.Update(tbl, rb)
		}
	}, false)
	exec(func(tx *ndbapi.Transaction) { setItem(rb, 4, 40); tx.Write(tbl, rb) }, false)
	exec(func(tx *ndbapi.Transaction) { tx.Delete(tbl, keyOf(rb, rows-1)); tx.Delete(tbl, keyOf(rb, rows-2)) }, false)
	keyed, _ := fragOps(t, tc.c, id)
	d := diff(inserted, keyed)
	want := map[string]uint64{"tot_key_reads": 6, "tot_key_refs": 1, "tot_key_updates": 3, "tot_key_writes": 1,
		"tot_key_deletes": 2, "tot_key_inserts": 0, "tot_commits": 6, "tot_frag_scans": 0}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("after the key operations: %s rose by %d, want %d (all: %v)", k, d[k], v, d)
		}
	}
	if d["tot_key_bytes_returned"] < 5*8 {
		t.Errorf("5 key reads returned %d bytes", d["tot_key_bytes_returned"])
	}

	// A scan with a pushed filter: val = id*10 < 100 holds for ids 0..9.
	b := filter.NewBuilder(tbl.Layout)
	b.Cmp(1, filter.Lt, filter.Int(100))
	prog, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := n.StartTransaction(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tx.ScanTable(tbl, ndbapi.ScanOptions{Filter: prog})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, ok := s.Next(); ok; _, ok = s.Next() {
		got++
	}
	if err := s.Err(); err != nil || got != 10 {
		t.Fatalf("scan: %d rows, %v; want 10", got, err)
	}
	tx.Close()
	scanned, _ := fragOps(t, tc.c, id)
	d = diff(keyed, scanned)
	want = map[string]uint64{"tot_frag_scans": uint64(frags), "tot_scan_rows_examined": rows - 2,
		"tot_scan_rows_returned": 10, "tot_scan_prog_bytes": uint64(frags * len(prog)), "tot_key_reads": 0}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("after the scan: %s rose by %d, want %d (all: %v)", k, d[k], v, d)
		}
	}
	if d["tot_scan_bytes_returned"] < 10*8 {
		t.Errorf("10 rows scanned, %d bytes returned", d["tot_scan_bytes_returned"])
	}
	if scanned["conc_frag_scans"] != 0 || scanned["tot_qd_frag_scans"] != 0 {
		t.Errorf("conc_frag_scans %d, tot_qd_frag_scans %d after the scan ended", scanned["conc_frag_scans"], scanned["tot_qd_frag_scans"])
	}

	// A scan left open shows in conc_frag_scans until it is closed.
	tx, err = n.StartTransaction(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	s, err = tx.ScanTable(tbl, ndbapi.ScanOptions{BatchRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Next(); !ok {
		t.Fatalf("open scan: %v", s.Err())
	}
	if open, _ := fragOps(t, tc.c, id); open["conc_frag_scans"] == 0 {
		t.Errorf("conc_frag_scans 0 while a scan is open")
	}
	tx.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, _ := fragOps(t, tc.c, id)
		if m["conc_frag_scans"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("conc_frag_scans %d after the scan was closed", m["conc_frag_scans"])
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestNdbInfoLimitAndScan: a limit ends a read early, and NdbInfoScan
// asks for a node's next batch only when its rows are taken.
func TestNdbInfoLimitAndScan(t *testing.T) {
	tc := startInproc(t, 2, nil)
	ctx := context.Background()
	for _, table := range []string{"error_messages", "config_values"} { // global, per node
		all := info(t, tc.c, table, ndbapi.InfoOptions{})
		if len(all.Rows) < 10 {
			t.Fatalf("%s: %d rows", table, len(all.Rows))
		}
		for _, limit := range []int{1, 3, len(all.Rows), len(all.Rows) + 5} {
			r := info(t, tc.c, table, ndbapi.InfoOptions{Limit: limit})
			want := all.Maps()[:min(limit, len(all.Rows))]
			if got := r.Maps(); !reflect.DeepEqual(got, want) {
				t.Errorf("%s LIMIT %d: %v, want the first rows %v", table, limit, got, want)
			}
		}

		s, err := tc.c.NdbInfoScan(ctx, table, ndbapi.InfoOptions{BatchRows: 4})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, ok := s.Next(); !ok {
				t.Fatalf("%s: row %d: %v", table, i, s.Err())
			}
		}
		nodes := uint64(1)
		if !s.Table().Global {
			nodes = 2
		}
		if got := s.Received(); got > 4*nodes {
			t.Errorf("%s: 3 rows taken in batches of 4, %d rows received from %d nodes", table, got, nodes)
		}
		s.Close()
		if _, ok := s.Next(); ok || s.Err() != nil {
			t.Errorf("%s: Next after Close: %v, %v", table, ok, s.Err())
		}

		// Read to the end, a batch at a time: the rows NdbInfo returns.
		s, err = tc.c.NdbInfoScan(ctx, table, ndbapi.InfoOptions{BatchRows: 3})
		if err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		for r, ok := s.Next(); ok; r, ok = s.Next() {
			got = append(got, ndbapi.RowMap(s.Table().Layout, r))
		}
		n := len(got)
		if !reflect.DeepEqual(got, all.Maps()) {
			t.Errorf("%s read a batch at a time: %v, want %v", table, got, all.Maps())
		}
		s.Close()
		if s.Err() != nil || n != len(all.Rows) || s.Received() != uint64(n) {
			t.Errorf("%s: %d rows (%d received), %v; want %d", table, n, s.Received(), s.Err(), len(all.Rows))
		}
	}
	var e *ndbapi.Error
	if _, err := tc.c.NdbInfo(ctx, "nodes", ndbapi.InfoOptions{Limit: -1}); !errors.As(err, &e) || e.Code != ndberr.ErrAPIUsage.Code {
		t.Errorf("negative limit: %v", err)
	}
}

// TestNdbReference: an Ndb's reference is the high half of its
// transactions' ids, different for each Ndb open at once.
func TestNdbReference(t *testing.T) {
	tc := startInproc(t, 1, nil)
	a, b := tc.ndb(t), tc.ndb(t)
	if a.Reference() == b.Reference() || a.Reference()>>16 != uint32(apiID) {
		t.Fatalf("references %#x and %#x, want distinct ones of API node %d", a.Reference(), b.Reference(), apiID)
	}
	for _, n := range []*ndbapi.Ndb{a, b} {
		tx, err := n.StartTransaction(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := uint32(tx.ID() >> 32); got != n.Reference() {
			t.Errorf("transaction %#x of Ndb %#x", tx.ID(), n.Reference())
		}
		tx.Close()
	}
}
