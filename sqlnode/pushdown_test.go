package sqlnode_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gondb/gondb/sqlnode"
)

// prow is a row of the pushdown test table, for the reference answers.
type prow struct {
	id, a int
	b     string
	c     *int // NULL when id%5 == 0
	d     float64
	f     float64
	day   int // dt is 2024-01-<day>
}

const pushRows = 200

func pushData() []prow {
	out := make([]prow, 0, pushRows)
	prefixes := []string{"ab", "Ab", "xy"}
	for id := 1; id <= pushRows; id++ {
		r := prow{id: id, a: id % 7, b: fmt.Sprintf("%s%03d", prefixes[id%3], id), d: float64(id) * 1.25, f: float64(id) / 4, day: id%28 + 1}
		if id%5 != 0 {
			c := id % 10
			r.c = &c
		}
		out = append(out, r)
	}
	return out
}

func createPushTable(t *testing.T, conn *sql.Conn) []prow {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"CREATE DATABASE p",
		"CREATE TABLE p.t (id INT PRIMARY KEY, a INT NOT NULL, b VARCHAR(20) NOT NULL, c INT, d DECIMAL(8,2), f DOUBLE, dt DATE, KEY (a))",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	data := pushData()
	var vals []string
	for _, r := range data {
		c := "NULL"
		if r.c != nil {
			c = strconv.Itoa(*r.c)
		}
		vals = append(vals, fmt.Sprintf("(%d,%d,'%s',%s,%.2f,%g,'2024-01-%02d')", r.id, r.a, r.b, c, r.d, r.f, r.day))
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO p.t VALUES "+strings.Join(vals, ",")); err != nil {
		t.Fatal(err)
	}
	return data
}

type pushSnap struct{ scanIn, scanRows, keyBatches, indexScans, tableScans, pushed uint64 }

func pushStats(srv *sqlnode.Server) pushSnap {
	s := srv.Stats()
	return pushSnap{s.ScanRowsIn.Load(), s.ScanRows.Load(), s.KeyBatches.Load(), s.IndexScans.Load(), s.TableScans.Load(), s.PushedScans.Load()}
}

func (a pushSnap) sub(b pushSnap) pushSnap {
	return pushSnap{a.scanIn - b.scanIn, a.scanRows - b.scanRows, a.keyBatches - b.keyBatches, a.indexScans - b.indexScans, a.tableScans - b.tableScans, a.pushed - b.pushed}
}

func ids(rows []prow, match func(prow) bool) []string {
	out := []string{}
	for _, r := range rows {
		if match(r) {
			out = append(out, strconv.Itoa(r.id))
		}
	}
	return out
}

func cIs(f func(int) bool) func(prow) bool {
	return func(r prow) bool { return r.c != nil && f(*r.c) }
}

// TestPushdown: WHERE conditions the data nodes can evaluate travel in
// the scan's filter program, so only matching rows leave the data nodes
// (rows received by the SQL node == rows that match), EXPLAIN shows them
// as "Using pushed condition", and what cannot be pushed is evaluated by
// the engine ("Using where", every row sent).
func TestPushdown(t *testing.T) {
	_, _, srv, conn := startSession(t)
	ctx := context.Background()
	data := createPushTable(t, conn)
	all := func(prow) bool { return true }
	_ = all

	type want int
	const (
		pushedAll  want = iota // every conjunct pushed: rows sent == rows that match
		pushedPart             // some pushed, the rest in the engine
		notPushed              // nothing pushed: every row sent
	)
	for _, tc := range []struct {
		where string
		match func(prow) bool
		want  want
	}{
		{"c > 5", cIs(func(c int) bool { return c > 5 }), pushedAll},
		{"5 < c", cIs(func(c int) bool { return c > 5 }), pushedAll},
		{"c = 3 OR b = 'xy002'", func(r prow) bool { return (r.c != nil && *r.c == 3) || r.b == "xy002" }, pushedAll},
		{"NOT (c > 5)", cIs(func(c int) bool { return c <= 5 }), pushedAll},
		{"c <> 4", cIs(func(c int) bool { return c != 4 }), pushedAll},
		{"c IS NULL", func(r prow) bool { return r.c == nil }, pushedAll},
		{"c IS NOT NULL AND c < 3", cIs(func(c int) bool { return c < 3 }), pushedAll},
		{"c <=> NULL", func(r prow) bool { return r.c == nil }, pushedAll},
		{"c <=> 4", cIs(func(c int) bool { return c == 4 }), pushedAll},
		{"b LIKE '_b1%'", func(r prow) bool { return len(r.b) > 2 && r.b[1:3] == "b1" }, pushedAll},
		{"b NOT LIKE 'x%'", func(r prow) bool { return !strings.HasPrefix(r.b, "x") }, pushedAll},
		{"b LIKE '%7'", func(r prow) bool { return strings.HasSuffix(r.b, "7") }, pushedAll},
		{"d BETWEEN 10 AND 20.5", func(r prow) bool { return r.d >= 10 && r.d <= 20.5 }, pushedAll},
		{"c IN (1, 3, 7)", cIs(func(c int) bool { return c == 1 || c == 3 || c == 7 }), pushedAll},
		{"c NOT IN (1, 3)", cIs(func(c int) bool { return c != 1 && c != 3 }), pushedAll},
		{"f >= 7.25 AND f < 9", func(r prow) bool { return r.f >= 7.25 && r.f < 9 }, pushedAll},
		{"dt = '2024-01-05'", func(r prow) bool { return r.day == 5 }, pushedAll},
		{"dt < '2024-01-03'", func(r prow) bool { return r.day < 3 }, pushedAll},
		{"(c > 7 OR c IS NULL) AND a <> 1", func(r prow) bool { return (r.c == nil || *r.c > 7) && r.a != 1 }, pushedAll},
		{"NOT (c = 3 OR b LIKE '%9')", func(r prow) bool { return r.c != nil && *r.c != 3 && !strings.HasSuffix(r.b, "9") }, pushedAll},
		{"c > 2.5", cIs(func(c int) bool { return c >= 3 }), pushedAll},
		{"c <= 2.5", cIs(func(c int) bool { return c <= 2 }), pushedAll},
		{"c = d", func(r prow) bool { return false }, notPushed}, // INT vs DECIMAL: not the program's comparison
		{"c = 2.5", func(prow) bool { return false }, notPushed},
		{"abs(c) > 3", cIs(func(c int) bool { return c > 3 }), notPushed},
		{"c > 5 AND abs(a) = 2", func(r prow) bool { return r.c != nil && *r.c > 5 && r.a == 2 }, pushedPart},
		{"b = 5", func(prow) bool { return false }, notPushed}, // a string compared with a number: MySQL's conversion
	} {
		q := "SELECT id FROM p.t WHERE " + tc.where
		before := pushStats(srv)
		got, err := query(ctx, conn, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		d := pushStats(srv).sub(before)
		want := ids(data, tc.match)
		slices.SortFunc(got, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got  %v\n want %v", q, got, want)
		}
		switch tc.want {
		case pushedAll:
			if d.scanIn != uint64(len(want)) || d.pushed == 0 {
				t.Errorf("%s: data nodes sent %d rows (%d pushed scans), want only the %d that match", q, d.scanIn, d.pushed, len(want))
			}
		case pushedPart:
			if d.scanIn >= pushRows || d.scanIn < uint64(len(want)) || d.pushed == 0 {
				t.Errorf("%s: data nodes sent %d rows (%d pushed scans), want fewer than %d and at least %d", q, d.scanIn, d.pushed, pushRows, len(want))
			}
		case notPushed:
			if d.scanIn != pushRows || d.pushed != 0 {
				t.Errorf("%s: data nodes sent %d rows (%d pushed scans), want all %d", q, d.scanIn, d.pushed, pushRows)
			}
		}
		ex, err := query(ctx, conn, "EXPLAIN "+q)
		if err != nil || len(ex) != 1 {
			t.Errorf("EXPLAIN %s: %v %v", q, ex, err)
			continue
		}
		hasPushed := strings.Contains(ex[0], "Using pushed condition (")
		hasWhere := strings.Contains(ex[0], "Using where")
		if hasPushed != (tc.want != notPushed) || hasWhere != (tc.want != pushedAll) {
			t.Errorf("EXPLAIN %s: %q", q, ex[0])
		}
	}
}

// TestPushdownAccessPaths: pushed conditions on index scans and key
// reads, in transactions that wrote the table (checked on the SQL node
// against the transaction's own rows), LIMIT stopping scans early, ORDER
// BY served by an ordered index, and EXPLAIN's access types.
func TestPushdownAccessPaths(t *testing.T) {
	_, _, srv, conn := startSession(t)
	ctx := context.Background()
	data := createPushTable(t, conn)
	x := int64(-1)
	aMatch := func(lo, hi, c int) []string {
		return ids(data, func(r prow) bool { return r.a >= lo && r.a <= hi && r.c != nil && *r.c == c })
	}
	run(t, conn, srv, []step{
		{name: "index range + pushed", sql: "SELECT id FROM p.t WHERE a BETWEEN 2 AND 3 AND c = 2", sorted: true,
			rows: aMatch(2, 3, 2), checkStats: true, indexScans: 1},
		{name: "explain index range", sql: "EXPLAIN SELECT id FROM p.t WHERE a BETWEEN 2 AND 3 AND c = 2", contains: []string{
			"|range|a|a|", "Using pushed condition ((`t`.`a` >= 2) and (`t`.`a` <= 3) and (`t`.`c` = 2))"}},
		{name: "key read + pushed, row fails", sql: "SELECT id FROM p.t WHERE id = 12 AND c = 9", rows: []string{}, checkStats: true, batches: 1},
		{name: "key read + pushed, row passes", sql: "SELECT id FROM p.t WHERE id = 12 AND c = 2", rows: []string{"12"}, checkStats: true, batches: 1},
		{name: "explain key read", sql: "EXPLAIN SELECT id FROM p.t WHERE id = 12 AND c = 2", contains: []string{"|const|PRIMARY|PRIMARY|", "|const|"}},
		{name: "explain IN list", sql: "EXPLAIN SELECT id FROM p.t WHERE id IN (1, 2, 3)", contains: []string{"|range|PRIMARY|"}},
		{name: "update with a pushed condition", sql: "UPDATE p.t SET b = 'upd' WHERE c = 9 AND d < 100", affected: int64(len(ids(data, func(r prow) bool { return r.c != nil && *r.c == 9 && r.d < 100 })))},
		{name: "updated", sql: "SELECT COUNT(*) FROM p.t WHERE b = 'upd'", rows: []string{strconv.Itoa(len(ids(data, func(r prow) bool { return r.c != nil && *r.c == 9 && r.d < 100 })))}},
		{name: "delete with a pushed condition", sql: "DELETE FROM p.t WHERE b = 'upd'", affected: x},
		{name: "begin", sql: "BEGIN", affected: x},
		{name: "own write", sql: "UPDATE p.t SET c = 999 WHERE id = 1", affected: 1},
		{name: "pushed condition sees own write", sql: "SELECT id FROM p.t WHERE c = 999", rows: []string{"1"}},
		{name: "and not the committed value", sql: "SELECT COUNT(*) FROM p.t WHERE c = 1", rows: []string{strconv.Itoa(len(ids(data, cIs(func(c int) bool { return c == 1 }))) - 1)}},
		{name: "rollback", sql: "ROLLBACK", affected: x},
		{name: "rolled back", sql: "SELECT id FROM p.t WHERE c = 999", rows: []string{}},
		{name: "order by index, ascending", sql: "SELECT a, id FROM p.t ORDER BY a LIMIT 3", contains: []string{"0|"}},
		{name: "order by pk, descending", sql: "SELECT id FROM p.t ORDER BY id DESC LIMIT 3", rows: []string{"200", "199", "198"}},
		{name: "explain order by index", sql: "EXPLAIN SELECT id FROM p.t ORDER BY a LIMIT 3", contains: []string{"|index|a|a|"}},
	})

	// A join: each side's conditions pushed to its own accesses (the
	// inner side read per outer row by key).
	var want []string
	for _, r1 := range data {
		for _, r2 := range data {
			if r2.id == r1.a && r1.c != nil && *r1.c == 3 && r2.c != nil && *r2.c > 2 {
				want = append(want, strconv.Itoa(r1.id)+"|"+strconv.Itoa(r2.id))
			}
		}
	}
	jq := "SELECT t1.id, t2.id FROM p.t t1 JOIN p.t t2 ON t2.id = t1.a WHERE t1.c = 3 AND t2.c > 2"
	got0, err := query(ctx, conn, jq)
	slices.Sort(got0)
	slices.Sort(want)
	if err != nil || !slices.Equal(got0, want) {
		t.Errorf("%s: got %v, %v; want %v", jq, got0, err, want)
	}
	ex, err := query(ctx, conn, "EXPLAIN "+jq)
	if err != nil || len(ex) != 2 || !strings.Contains(strings.Join(ex, "\n"), "Using pushed condition (`t1`.`c` = 3)") || !strings.Contains(strings.Join(ex, "\n"), "Using pushed condition (`t2`.`c` > 2)") {
		t.Errorf("EXPLAIN %s: %q %v", jq, ex, err)
	}

	// EXPLAIN PLAN: the whole tree.
	plan, err := query(ctx, conn, "EXPLAIN PLAN SELECT id FROM p.t WHERE c > 5 LIMIT 4")
	if err != nil || !strings.Contains(strings.Join(plan, "\n"), "pushed condition: (`t`.`c` > 5)") || !strings.Contains(strings.Join(plan, "\n"), "reads at most: 4 rows") {
		t.Errorf("EXPLAIN PLAN: %q %v", plan, err)
	}
	// EXPLAIN without tables, and sorting without an index.
	for q, want := range map[string]string{
		"EXPLAIN SELECT 1": "No tables used",
		"EXPLAIN SELECT id FROM p.t ORDER BY c LIMIT 2": "Using filesort",
	} {
		got, err := query(ctx, conn, q)
		if err != nil || len(got) == 0 || !strings.Contains(got[0], want) {
			t.Errorf("%s: %q %v, want %q", q, got, err, want)
		}
	}

	// LIMIT: the scan asks for batches of the limit and stops there.
	for _, q := range []string{
		"SELECT id FROM p.t LIMIT 3",
		"SELECT id FROM p.t WHERE c > 2 LIMIT 3",
		"SELECT id FROM p.t LIMIT 2 OFFSET 1",
		"SELECT id FROM p.t ORDER BY a LIMIT 3",
		"SELECT id FROM p.t ORDER BY id DESC LIMIT 3",
	} {
		before := pushStats(srv)
		got, err := query(ctx, conn, q)
		if err != nil || len(got) != 3 && !strings.Contains(q, "OFFSET") || strings.Contains(q, "OFFSET") && len(got) != 2 {
			t.Errorf("%s: %v %v", q, got, err)
			continue
		}
		d := pushStats(srv).sub(before)
		if d.scanRows > 3 || d.scanIn >= 40 {
			t.Errorf("%s: the SQL node took %d rows, the data nodes sent %d: the scan did not stop at the limit", q, d.scanRows, d.scanIn)
		}
	}
	// ORDER BY on an ordered index: index order, no sort.
	left := pushRows - len(ids(data, func(r prow) bool { return r.c != nil && *r.c == 9 && r.d < 100 }))
	got, err := query(ctx, conn, "SELECT a FROM p.t ORDER BY a DESC")
	if err != nil || !slices.IsSortedFunc(got, func(x, y string) int { return strings.Compare(y, x) }) || len(got) != left {
		t.Errorf("ORDER BY a DESC: %d rows, sorted %v, %v", len(got), slices.IsSortedFunc(got, func(x, y string) int { return strings.Compare(y, x) }), err)
	}
}
