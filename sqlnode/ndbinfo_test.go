package sqlnode_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/sqlnode"
)

// infoSnap is the SQL node's ndbinfo counters at one moment.
type infoSnap struct{ reads, rowsIn, pushed uint64 }

func infoStats(srv *sqlnode.Server) infoSnap {
	s := srv.Stats()
	return infoSnap{s.InfoReads.Load(), s.InfoRowsIn.Load(), s.PushedScans.Load()}
}

func (a infoSnap) sub(b infoSnap) infoSnap {
	return infoSnap{a.reads - b.reads, a.rowsIn - b.rowsIn, a.pushed - b.pushed}
}

// queryNums runs q and returns its rows keyed by their first nkey
// columns (joined with '|'), each value the last column as a number.
func queryNums(t *testing.T, conn *sql.Conn, q string, nkey int) map[string]uint64 {
	t.Helper()
	rows, err := query(context.Background(), conn, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := map[string]uint64{}
	for _, r := range rows {
		parts := strings.Split(r, "|")
		v, err := strconv.ParseUint(parts[len(parts)-1], 10, 64)
		if err != nil {
			t.Fatalf("%s: row %q: %v", q, r, err)
		}
		out[strings.Join(parts[:nkey], "|")] = v
	}
	return out
}

// TestNdbinfoSQL reads the ndbinfo tables through the MySQL protocol:
// live values that move with the workload, WHERE pushed to the data
// nodes, the catalog in SHOW TABLES, DESCRIBE and information_schema,
// joins with ordinary tables, and writes refused with 1036.
func TestNdbinfoSQL(t *testing.T) {
	tc, db, srv, conn := startSession(t)
	ctx := context.Background()
	dataNodes := len(tc.mc.DataNodeIDs)
	nodeIDs := make([]string, dataNodes)
	for i, id := range tc.mc.DataNodeIDs {
		nodeIDs[i] = strconv.Itoa(int(id))
	}
	slices.Sort(nodeIDs)
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE DATABASE app")
	exec("CREATE TABLE app.kv (id INT PRIMARY KEY, v VARCHAR(200) NOT NULL)")

	t.Run("memoryusage grows with inserts", func(t *testing.T) {
		const q = "SELECT node_id, used FROM ndbinfo.memoryusage WHERE memory_type = 'Data memory'"
		before := queryNums(t, conn, q, 1)
		if got := slices.Sorted(maps.Keys(before)); !slices.Equal(got, nodeIDs) {
			t.Fatalf("Data memory rows for nodes %v, want one per data node %v", got, nodeIDs)
		}
		var vals []string
		for i := range 2000 {
			vals = append(vals, fmt.Sprintf("(%d, '%s')", i, strings.Repeat("x", 150+i%50)))
		}
		for i := 0; i < len(vals); i += 500 {
			exec("INSERT INTO app.kv VALUES " + strings.Join(vals[i:i+500], ","))
		}
		after := queryNums(t, conn, q, 1)
		for _, n := range nodeIDs {
			// NoOfReplicas=2 on two nodes: every node holds every row.
			if after[n] <= before[n] {
				t.Errorf("node %s: Data memory used %d after 2000 inserts, was %d", n, after[n], before[n])
			}
		}
	})

	t.Run("counters rise with operations", func(t *testing.T) {
		const q = "SELECT node_id, counter_name, val FROM ndbinfo.counters WHERE counter_name IN ('READS', 'SIMPLE_READS', 'OPERATIONS')"
		sum := func(m map[string]uint64, name string) (s uint64) {
			for k, v := range m {
				if strings.HasSuffix(k, "|"+name) {
					s += v
				}
			}
			return s
		}
		before := queryNums(t, conn, q, 2)
		for i := range 20 {
			if _, err := query(ctx, conn, fmt.Sprintf("SELECT v FROM app.kv WHERE id = %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		exec("UPDATE app.kv SET v = 'y' WHERE id = 1")
		after := queryNums(t, conn, q, 2)
		for _, name := range []string{"READS", "SIMPLE_READS", "OPERATIONS"} {
			if b, a := sum(before, name), sum(after, name); a < b+20 {
				t.Errorf("%s: %d -> %d after 20 key reads and an update, want +20 or more", name, b, a)
			}
		}
	})

	t.Run("WHERE is pushed to the data nodes", func(t *testing.T) {
		all, err := query(ctx, conn, "SELECT node_id, counter_name FROM ndbinfo.counters")
		if err != nil {
			t.Fatal(err)
		}
		first := nodeIDs[0]
		for _, tcase := range []struct {
			where string
			match func(node, name string) bool
			extra string // in EXPLAIN
		}{
			{"node_id = " + first, func(n, _ string) bool { return n == first },
				"Using pushed condition (`counters`.`node_id` = " + first + ")"},
			{"counter_name = 'READS'", func(_, c string) bool { return c == "READS" },
				"Using pushed condition (`counters`.`counter_name` = 'READS')"},
			{"node_id = " + first + " AND counter_name IN ('READS', 'WRITES')", func(n, c string) bool { return n == first && (c == "READS" || c == "WRITES") },
				"Using pushed condition ((`counters`.`node_id` = " + first + ") and (`counters`.`counter_name` in ('READS','WRITES')))"},
		} {
			var want []string
			for _, r := range all {
				n, c, _ := strings.Cut(r, "|")
				if tcase.match(n, c) {
					want = append(want, r)
				}
			}
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("%s: %d of %d rows match: not a test of pushdown", tcase.where, len(want), len(all))
			}
			s0 := infoStats(srv)
			got, err := query(ctx, conn, "SELECT node_id, counter_name FROM ndbinfo.counters WHERE "+tcase.where)
			if err != nil {
				t.Fatal(err)
			}
			d := infoStats(srv).sub(s0)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("WHERE %s: %q, want %q", tcase.where, got, want)
			}
			if d != (infoSnap{reads: 1, rowsIn: uint64(len(want)), pushed: 1}) {
				t.Errorf("WHERE %s: reads, rows sent, pushed = %+v, want 1 read of the %d matching rows (of %d), pushed", tcase.where, d, len(want), len(all))
			}
			plan, err := query(ctx, conn, "EXPLAIN SELECT node_id, counter_name FROM ndbinfo.counters WHERE "+tcase.where)
			if err != nil {
				t.Fatal(err)
			}
			if len(plan) != 1 || !strings.HasSuffix(plan[0], "|ALL|NULL|NULL|NULL|NULL|NULL|NULL|"+tcase.extra) {
				t.Errorf("EXPLAIN ... WHERE %s: %q, want a table scan with %s", tcase.where, plan, tcase.extra)
			}
		}
		// A condition the data nodes cannot evaluate stays in the engine:
		// every row is sent.
		s0 := infoStats(srv)
		got, err := query(ctx, conn, "SELECT counter_name FROM ndbinfo.counters WHERE LOWER(counter_name) = 'reads'")
		if err != nil {
			t.Fatal(err)
		}
		if d := infoStats(srv).sub(s0); len(got) != dataNodes || d.rowsIn != uint64(len(all)) || d.pushed != 0 {
			t.Errorf("WHERE LOWER(...): %d rows, %+v; want %d rows of %d sent, nothing pushed", len(got), d, dataNodes, len(all))
		}
		// LIMIT: the engine stops taking rows, and the read stops with
		// it: the data nodes' next batches are never asked for.
		got, err = query(ctx, conn, "SELECT node_id FROM ndbinfo.counters WHERE counter_name = 'READS' LIMIT 1")
		if err != nil || len(got) != 1 {
			t.Errorf("LIMIT 1: %q, %v", got, err)
		}
		got, err = query(ctx, conn, "SELECT node_id, counter_name FROM ndbinfo.counters LIMIT 3")
		if err != nil || len(got) != 3 || got[0] != all[0] {
			t.Errorf("LIMIT 3: %q, %v; want the first 3 of %q", got, err, all)
		}
		// The limit reaches the data nodes: each sends at most 3 rows.
		s0 = infoStats(srv)
		if _, err = query(ctx, conn, "SELECT node_id, counter_name FROM ndbinfo.counters LIMIT 3"); err != nil {
			t.Fatal(err)
		}
		if d := infoStats(srv).sub(s0); d.rowsIn > uint64(3*dataNodes) {
			t.Errorf("LIMIT 3: the data nodes sent %d rows, want at most %d", d.rowsIn, 3*dataNodes)
		}
		plan, err := query(ctx, conn, "EXPLAIN PLAN SELECT node_id FROM ndbinfo.counters LIMIT 3")
		if err != nil || !strings.Contains(strings.Join(plan, "\n"), "reads at most: 3 rows") {
			t.Errorf("EXPLAIN PLAN with LIMIT 3: %q %v", plan, err)
		}
	})

	t.Run("catalog: SHOW TABLES, DESCRIBE, information_schema", func(t *testing.T) {
		want := []string{"server_locks"} // the SQL node's own
		for _, it := range ndbinfo.Tables() {
			want = append(want, it.Name)
		}
		slices.Sort(want)
		got, err := query(ctx, conn, "SHOW TABLES FROM ndbinfo")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SHOW TABLES FROM ndbinfo: %q, %v; want the catalog's %d tables", got, err, len(want))
		}
		got, err = query(ctx, conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ndbinfo'")
		if slices.Sort(got); err != nil || !slices.Equal(got, want) {
			t.Errorf("information_schema.tables: %q, %v", got, err)
		}
		dbs, err := query(ctx, conn, "SHOW DATABASES LIKE 'ndbinfo'")
		if err != nil || !slices.Equal(dbs, []string{"ndbinfo"}) {
			t.Errorf("SHOW DATABASES LIKE 'ndbinfo': %q, %v", dbs, err)
		}
		it, _ := ndbinfo.ByName("counters")
		var desc []string
		for _, c := range it.Columns {
			typ := "int unsigned"
			switch {
			case strings.HasPrefix(c.Type.String(), "BIGINT"):
				typ = "bigint unsigned"
			case c.Length > 0:
				typ = fmt.Sprintf("varchar(%d) COLLATE utf8mb4_bin", c.Length)
			}
			null := "NO"
			if c.Nullable {
				null = "YES"
			}
			desc = append(desc, c.Name+"|"+typ+"|"+null+"||NULL|")
		}
		got, err = query(ctx, conn, "DESCRIBE ndbinfo.counters")
		if err != nil || !slices.Equal(got, desc) {
			t.Errorf("DESCRIBE ndbinfo.counters:\n got  %q, %v\n want %q", got, err, desc)
		}
		got, err = query(ctx, conn, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ndbinfo' AND table_name = 'memoryusage' ORDER BY ordinal_position")
		if want := []string{"node_id", "memory_type", "used", "used_pages", "total", "total_pages"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("information_schema.columns of memoryusage: %q, %v; want %q", got, err, want)
		}
	})

	t.Run("join with an ordinary table", func(t *testing.T) {
		exec("CREATE TABLE app.one (id INT PRIMARY KEY, node INT NOT NULL)")
		exec("INSERT INTO app.one VALUES (7, " + nodeIDs[len(nodeIDs)-1] + ")")
		got, err := query(ctx, conn, "SELECT o.id, m.node_id, m.memory_type FROM app.one o JOIN ndbinfo.memoryusage m ON m.node_id = o.node ORDER BY m.memory_type")
		last := nodeIDs[len(nodeIDs)-1]
		if want := []string{"7|" + last + "|Data memory", "7|" + last + "|Index memory"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("join: %q, %v; want %q", got, err, want)
		}
		got, err = query(ctx, conn, "SELECT COUNT(*) FROM app.one o, ndbinfo.nodes n WHERE n.node_id <> o.node")
		if want := []string{strconv.Itoa(dataNodes - 1)}; err != nil || !slices.Equal(got, want) {
			t.Errorf("cross join: %q, %v; want %q", got, err, want)
		}
		// ndbinfo as the source of a write to an ordinary table.
		exec("INSERT INTO app.one SELECT node_id + 100, node_id FROM ndbinfo.nodes")
		got, err = query(ctx, conn, "SELECT COUNT(*) FROM app.one")
		if want := []string{strconv.Itoa(1 + dataNodes)}; err != nil || !slices.Equal(got, want) {
			t.Errorf("INSERT ... SELECT FROM ndbinfo: %q, %v; want %q rows", got, err, want)
		}
	})

	t.Run("server_locks shows this SQL node's connections' locks", func(t *testing.T) {
		holder, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		ids, err := query(ctx, holder, "SELECT CONNECTION_ID()")
		if err != nil || len(ids) != 1 {
			t.Fatalf("CONNECTION_ID(): %q, %v", ids, err)
		}
		id := ids[0]
		const locks = "SELECT mysql_connection_id, mode, state, op FROM ndbinfo.server_locks"
		before, err := query(ctx, conn, locks)
		if err != nil || len(before) != 0 {
			t.Fatalf("server_locks with no transaction open: %q, %v", before, err)
		}
		for _, q := range []string{"BEGIN", "SELECT v FROM app.kv WHERE id = 5 FOR UPDATE"} {
			if _, err := holder.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		got, err := query(ctx, conn, locks)
		if err != nil || len(got) == 0 {
			t.Fatalf("server_locks while connection %s holds a row lock: %q, %v", id, got, err)
		}
		for _, r := range got {
			if !strings.HasPrefix(r, id+"|X|H|") {
				t.Errorf("server_locks row %q, want connection %s holding an exclusive lock", r, id)
			}
		}
		// The same locks in cluster_locks, by transaction id; the engine
		// filters server_locks like any table.
		got, err = query(ctx, conn, "SELECT COUNT(*) FROM ndbinfo.server_locks s JOIN ndbinfo.cluster_locks c "+
			"ON c.transid = s.transid AND c.rowid = s.rowid AND c.node_id = s.node_id WHERE s.mysql_connection_id = "+id)
		if err != nil || len(got) != 1 || got[0] == "0" {
			t.Errorf("server_locks joined to cluster_locks: %q, %v", got, err)
		}
		if got, err := query(ctx, conn, locks+" WHERE mysql_connection_id <> "+id); err != nil || len(got) != 0 {
			t.Errorf("locks of other connections: %q, %v", got, err)
		}
		// Another SQL node's server_locks has none of them.
		db2, _ := tc.sqlNode(t)
		other, err := db2.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if got, err := query(ctx, other, locks); err != nil || len(got) != 0 {
			t.Errorf("server_locks of another SQL node: %q, %v", got, err)
		}
		if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := query(ctx, conn, locks)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server_locks after ROLLBACK: %q", got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})

	t.Run("writes refused", func(t *testing.T) {
		for _, c := range []struct {
			sql  string
			code uint16
			name string // named in the message
		}{
			{"INSERT INTO ndbinfo.memoryusage (node_id, memory_type, used, used_pages, total, total_pages) VALUES (1, 'x', 1, 1, 1, 1)", 1036, "memoryusage"},
			{"REPLACE INTO ndbinfo.memoryusage (node_id, memory_type, used, used_pages, total, total_pages) VALUES (1, 'x', 1, 1, 1, 1)", 1036, "memoryusage"},
			{"UPDATE ndbinfo.counters SET val = 0", 1036, "counters"},
			{"UPDATE ndbinfo.counters SET val = 0 WHERE 1 = 0", 1036, "counters"},
			{"DELETE FROM ndbinfo.counters WHERE node_id = " + nodeIDs[0], 1036, "counters"},
			{"DELETE FROM ndbinfo.server_locks", 1036, "server_locks"},
			{"TRUNCATE TABLE ndbinfo.counters", 1036, "counters"},
			{"DROP TABLE ndbinfo.counters", 1036, "counters"},
			{"ALTER TABLE ndbinfo.counters ADD COLUMN z INT", 1036, "counters"},
			{"CREATE INDEX i ON ndbinfo.counters (node_id)", 1036, "counters"},
			{"CREATE TABLE ndbinfo.mine (a INT PRIMARY KEY)", 1036, "ndbinfo"},
			{"CREATE DATABASE ndbinfo", 1007, "ndbinfo"},
			{"DROP DATABASE ndbinfo", 1044, "ndbinfo"},
		} {
			// Through the fast path's shapes too: prepared, then text.
			for _, prepared := range []bool{false, true} {
				var err error
				if prepared && strings.HasPrefix(c.sql, "INSERT") {
					_, err = conn.ExecContext(ctx, strings.Replace(c.sql, "VALUES (1,", "VALUES (?,", 1), 1)
				} else if prepared {
					continue
				} else {
					_, err = conn.ExecContext(ctx, c.sql)
				}
				var me *mysql.MySQLError
				if !errors.As(err, &me) || me.Number != c.code || !strings.Contains(me.Message, c.name) {
					t.Errorf("%s (prepared %v): %v; want error %d naming %q", c.sql, prepared, err, c.code, c.name)
				}
			}
		}
		// Nothing changed: the tables read as before, and no dictionary
		// table was created.
		got, err := query(ctx, conn, "SELECT COUNT(*) FROM ndbinfo.memoryusage")
		if want := []string{strconv.Itoa(2 * dataNodes)}; err != nil || !slices.Equal(got, want) {
			t.Errorf("memoryusage after the refused writes: %q, %v; want %q rows", got, err, want)
		}
		if _, err := srv.Cluster().Table(ctx, "ndbinfo/mine"); !errors.Is(err, ndbapi.ErrNoSuchTable) {
			t.Errorf("dictionary table ndbinfo/mine: %v, want none", err)
		}
		got, err = query(ctx, conn, "SHOW TABLES FROM ndbinfo")
		if err != nil || len(got) != len(ndbinfo.Tables())+1 {
			t.Errorf("SHOW TABLES FROM ndbinfo after the refused writes: %d tables, %v", len(got), err)
		}
	})

	t.Run("USE ndbinfo", func(t *testing.T) {
		c2, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		if _, err := c2.ExecContext(ctx, "USE ndbinfo"); err != nil {
			t.Fatal(err)
		}
		got, err := query(ctx, c2, "SELECT node_id FROM nodes ORDER BY node_id")
		if err != nil || !slices.Equal(got, nodeIDs) {
			t.Errorf("SELECT node_id FROM nodes: %q, %v; want %q", got, err, nodeIDs)
		}
		// A key-shaped statement (the fast path's) goes to the engine.
		got, err = query(ctx, c2, "SELECT memory_type FROM memoryusage WHERE node_id = "+nodeIDs[0]+" AND memory_type = 'Data memory'")
		if err != nil || !slices.Equal(got, []string{"Data memory"}) {
			t.Errorf("key-shaped SELECT: %q, %v", got, err)
		}
	})
}
