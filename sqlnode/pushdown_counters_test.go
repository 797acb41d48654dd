package sqlnode_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestPushdownCounters proves pushdown on the data nodes' own counters
// (ndbinfo.operations_per_fragment), not the SQL node's: a table scan
// with a pushed condition examines every row of the table on the data
// nodes and sends only the rows that match, and EXPLAIN shows the
// condition as pushed. A condition the data nodes cannot evaluate makes
// them send every row.
func TestPushdownCounters(t *testing.T) {
	_, _, _, conn := startSession(t)
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE DATABASE pc")
	exec("CREATE TABLE pc.t (id INT PRIMARY KEY, grp INT NOT NULL, note VARCHAR(20))")
	const rows = 1000
	for i := 0; i < rows; i += 250 {
		var vals []string
		for j := i; j < i+250; j++ {
			vals = append(vals, fmt.Sprintf("(%d, %d, 'n%d')", j, j%100, j))
		}
		exec("INSERT INTO pc.t VALUES " + strings.Join(vals, ","))
	}

	// counters sums operations_per_fragment's columns over the table's
	// fragment replicas on every data node.
	cols := []string{"tot_frag_scans", "tot_scan_rows_examined", "tot_scan_rows_returned", "tot_key_inserts", "tot_commits"}
	counters := func() map[string]uint64 {
		t.Helper()
		q := "SELECT " + strings.Join(cols, ", ") + " FROM ndbinfo.operations_per_fragment WHERE fq_name = 'pc/t'"
		got, err := query(ctx, conn, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(got) == 0 {
			t.Fatalf("%s: no rows", q)
		}
		sum := map[string]uint64{}
		for _, r := range got {
			for i, v := range strings.Split(r, "|") {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					t.Fatalf("%s: row %q: %v", q, r, err)
				}
				sum[cols[i]] += n
			}
		}
		return sum
	}
	loaded := counters()
	// NoOfReplicas=2: each insert is applied, and committed, on both
	// replicas.
	if loaded["tot_key_inserts"] != 2*rows || loaded["tot_commits"] != 2*rows {
		t.Errorf("after %d inserts on two replicas: %v", rows, loaded)
	}

	for _, c := range []struct {
		where   string
		matches int
		pushed  bool
	}{
		{"grp = 42", rows / 100, true},
		{"grp = 42 OR note = 'n7'", rows/100 + 1, true},
		{"grp BETWEEN 10 AND 12 AND note LIKE 'n1%'", 6, true},
		{"grp = 1000", 0, true},
		{"ABS(grp) = 42", rows / 100, false}, // the data nodes cannot evaluate ABS: every row comes back
	} {
		q := "SELECT id FROM pc.t WHERE " + c.where
		before := counters()
		got, err := query(ctx, conn, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		after := counters()
		if len(got) != c.matches {
			t.Errorf("%s: %d rows, want %d", q, len(got), c.matches)
		}
		examined := after["tot_scan_rows_examined"] - before["tot_scan_rows_examined"]
		returned := after["tot_scan_rows_returned"] - before["tot_scan_rows_returned"]
		scans := after["tot_frag_scans"] - before["tot_frag_scans"]
		wantReturned := uint64(c.matches)
		if !c.pushed {
			wantReturned = rows
		}
		if examined != rows || returned != wantReturned || scans == 0 {
			t.Errorf("%s: the data nodes examined %d rows and returned %d in %d fragment scans; want %d examined, %d returned",
				q, examined, returned, scans, rows, wantReturned)
		}

		plan, err := query(ctx, conn, "EXPLAIN "+q)
		if err != nil || len(plan) != 1 {
			t.Fatalf("EXPLAIN %s: %q, %v", q, plan, err)
		}
		if got := strings.Contains(plan[0], "Using pushed condition ("); got != c.pushed {
			t.Errorf("EXPLAIN %s: %q; pushed condition shown: %v, want %v", q, plan[0], got, c.pushed)
		}
		if !strings.Contains(plan[0], "|ALL|") {
			t.Errorf("EXPLAIN %s: %q, want a table scan (ALL)", q, plan[0])
		}
	}

	// The counters belong to the table: another table's scan leaves them.
	exec("CREATE TABLE pc.other (id INT PRIMARY KEY, v INT)")
	exec("INSERT INTO pc.other VALUES (1, 1), (2, 2)")
	before := counters()
	if got, err := query(ctx, conn, "SELECT id FROM pc.other WHERE v = 2"); err != nil || !slices.Equal(got, []string{"2"}) {
		t.Fatalf("other table: %q, %v", got, err)
	}
	if after := counters(); after["tot_frag_scans"] != before["tot_frag_scans"] {
		t.Errorf("a scan of another table counted on pc.t: %v -> %v", before, after)
	}
}
