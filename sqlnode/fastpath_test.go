package sqlnode_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// TestFastPath: the hot statement shapes run on the fast path (the
// FastPath counter moves) with the engine's results and errors, as text
// and as prepared statements; everything it must not take (other shapes,
// constants of another type, writes in transactions, reads of a table
// the transaction wrote) goes to the engine.
func TestFastPath(t *testing.T) {
	_, _, srv, conn := startSession(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE DATABASE f",
		"CREATE TABLE f.t (id INT PRIMARY KEY, u VARCHAR(8) NOT NULL, c CHAR(10), n INT NOT NULL DEFAULT 5, d DECIMAL(6,2), x DOUBLE, UNIQUE KEY (u))",
		"CREATE TABLE f.k (a INT, b VARCHAR(4), v INT, PRIMARY KEY (a, b))",
		"CREATE TABLE f.ai (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)",
		"INSERT INTO f.t VALUES (1,'one','c1',1,1.50,0.5),(2,'two',NULL,2,NULL,NULL),(3,'three','c3',3,3.25,1e10)",
		"INSERT INTO f.k VALUES (1,'a',10),(1,'b',11),(2,'a',20)",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	type fcase struct {
		name     string
		sql      string
		args     []any // prepared when set
		rows     []string
		cols     []string // result column names, if checked
		affected int64    // -1: not checked (queries: unused)
		code     uint16
		fast     bool
	}
	x := int64(-1)
	for _, c := range []fcase{
		{name: "pk point", sql: "SELECT c FROM f.t WHERE id = 1", rows: []string{"c1"}, fast: true},
		{name: "pk point, prepared", sql: "SELECT c FROM f.t WHERE id = ?", args: []any{3}, rows: []string{"c3"}, fast: true},
		{name: "star", sql: "SELECT * FROM f.t WHERE id = 2", rows: []string{"2|two|NULL|2|NULL|NULL"}, fast: true},
		{name: "alias and case", sql: "SELECT C AS cc, u FROM f.t t1 WHERE t1.ID = 1", rows: []string{"c1|one"}, cols: []string{"cc", "u"}, fast: true},
		{name: "types", sql: "SELECT d, x, n FROM f.t WHERE id = 3", rows: []string{"3.25|1e+10|3"}, fast: true},
		{name: "types, engine", sql: "SELECT d, x, n FROM f.t WHERE id = 3 FOR UPDATE", rows: []string{"3.25|1e+10|3"}},
		{name: "unique key", sql: "SELECT id FROM f.t WHERE u = 'two'", rows: []string{"2"}, fast: true},
		{name: "missing key", sql: "SELECT id FROM f.t WHERE id = 42", rows: []string{}, fast: true},
		{name: "IN list: ascending, once each", sql: "SELECT id FROM f.t WHERE id IN (3, 1, 3, 9)", rows: []string{"1", "3"}, fast: true},
		{name: "IN list, prepared", sql: "SELECT u FROM f.t WHERE id IN (?, ?)", args: []any{2, 1}, rows: []string{"one", "two"}, fast: true},
		{name: "composite key", sql: "SELECT v FROM f.k WHERE b = 'b' AND a = 1", rows: []string{"11"}, fast: true},
		{name: "part of a key: engine", sql: "SELECT v FROM f.k WHERE a = 1", rows: []string{"10", "11"}},
		{name: "string for an int: engine", sql: "SELECT id FROM f.t WHERE id = '2'", rows: []string{"2"}},
		{name: "locking read: engine", sql: "SELECT id FROM f.t WHERE id = 2 FOR UPDATE", rows: []string{"2"}},
		{name: "expression: engine", sql: "SELECT id + 1 FROM f.t WHERE id = 2", rows: []string{"3"}},
		{name: "insert", sql: "INSERT INTO f.t (id, u, c, d, x) VALUES (10, 'ten', 'c10', 10.5, 2.5)", affected: 1, fast: true},
		{name: "inserted, with the default", sql: "SELECT u, c, n, d, x FROM f.t WHERE id = 10", rows: []string{"ten|c10|5|10.50|2.5"}, fast: true},
		{name: "insert, prepared, NULL", sql: "INSERT INTO f.t (id, u, c) VALUES (?, ?, ?)", args: []any{11, "eleven", nil}, affected: 1, fast: true},
		{name: "duplicate key", sql: "INSERT INTO f.t (id, u) VALUES (1, 'dup')", code: 1062, fast: true},
		{name: "duplicate unique", sql: "INSERT INTO f.t (id, u) VALUES (12, 'one')", code: 1062, fast: true},
		{name: "out of range", sql: "INSERT INTO f.t (id, u) VALUES (3000000000, 'big')", code: 1264, fast: true},
		{name: "too long", sql: "INSERT INTO f.t (id, u) VALUES (13, 'much too long')", code: 1406, fast: true},
		{name: "NULL into NOT NULL", sql: "INSERT INTO f.t (id, u) VALUES (14, NULL)", code: 1048, fast: true},
		{name: "decimal that rounds: engine", sql: "INSERT INTO f.t (id, u, d) VALUES (15, 'fifteen', 1.234)", affected: 1},
		{name: "rounded by the engine", sql: "SELECT d FROM f.t WHERE id = 15", rows: []string{"1.23"}, fast: true},
		{name: "missing NOT NULL column: engine", sql: "INSERT INTO f.t (id) VALUES (16)", code: 1364},
		{name: "update by key", sql: "UPDATE f.t SET c = 'new', d = NULL WHERE id = 2", affected: 1, fast: true},
		{name: "updated", sql: "SELECT c, d FROM f.t WHERE id = 2", rows: []string{"new|NULL"}, fast: true},
		{name: "update of a missing row", sql: "UPDATE f.t SET c = 'x' WHERE id = 99", affected: 0, fast: true},
		{name: "update, prepared", sql: "UPDATE f.t SET n = ? WHERE id = ?", args: []any{7, 3}, affected: 1, fast: true},
		{name: "update with an expression: engine", sql: "UPDATE f.t SET n = n + 1 WHERE id = 3", affected: 1},
		{name: "update result", sql: "SELECT n FROM f.t WHERE id = 3", rows: []string{"8"}, fast: true},
		{name: "update of the key: engine", sql: "UPDATE f.t SET id = 30 WHERE id = 3", affected: 1},
		{name: "update too long", sql: "UPDATE f.t SET u = 'much too long' WHERE id = 1", code: 1406, fast: true},
		{name: "delete by key", sql: "DELETE FROM f.t WHERE id = 30", affected: 1, fast: true},
		{name: "delete of a missing row", sql: "DELETE FROM f.t WHERE id = 30", affected: 0, fast: true},
		{name: "delete by composite key", sql: "DELETE FROM f.k WHERE a = 1 AND b = 'a'", affected: 1, fast: true},
		{name: "auto_increment insert", sql: "INSERT INTO f.ai (v) VALUES (1)", affected: 1, fast: true},
		{name: "auto_increment insert 2", sql: "INSERT INTO f.ai (id, v) VALUES (NULL, 2)", affected: 1, fast: true},
		{name: "last_insert_id", sql: "SELECT LAST_INSERT_ID()", rows: []string{"2"}},
		{name: "begin", sql: "BEGIN", affected: x},
		{name: "write in a transaction: engine", sql: "UPDATE f.t SET c = 'tx' WHERE id = 1", affected: 1},
		{name: "read of the written table: engine", sql: "SELECT c FROM f.t WHERE id = 1", rows: []string{"tx"}},
		{name: "read of another table: fast", sql: "SELECT v FROM f.k WHERE a = 2 AND b = 'a'", rows: []string{"20"}, fast: true},
		{name: "insert in a transaction: engine", sql: "INSERT INTO f.k VALUES (3, 'z', 30)", affected: 1},
		{name: "rollback", sql: "ROLLBACK", affected: x},
		{name: "rolled back", sql: "SELECT c FROM f.t WHERE id = 1", rows: []string{"c1"}, fast: true},
		{name: "insert rolled back", sql: "SELECT v FROM f.k WHERE a = 3 AND b = 'z'", rows: []string{}, fast: true},
		{name: "autocommit off", sql: "SET autocommit = 0", affected: x},
		{name: "write without autocommit: engine", sql: "DELETE FROM f.k WHERE a = 2 AND b = 'a'", affected: 1},
		{name: "rollback 2", sql: "ROLLBACK", affected: x},
		{name: "autocommit on", sql: "SET autocommit = 1", affected: x},
		{name: "still there", sql: "SELECT v FROM f.k WHERE a = 2 AND b = 'a'", rows: []string{"20"}, fast: true},
		{name: "no warnings left", sql: "SHOW WARNINGS", rows: []string{}},
	} {
		before := srv.Stats().FastPath.Load()
		var err error
		if c.rows != nil {
			var got []string
			var cols []string
			got, cols, err = queryCols(ctx, conn, c.sql, c.args...)
			if err == nil {
				if !slices.Equal(got, c.rows) {
					t.Errorf("%s: %s: got %q, want %q", c.name, c.sql, got, c.rows)
				}
				if c.cols != nil && !slices.Equal(cols, c.cols) {
					t.Errorf("%s: columns %q, want %q", c.name, cols, c.cols)
				}
			}
		} else {
			res, e := conn.ExecContext(ctx, c.sql, c.args...)
			err = e
			if err == nil && c.affected >= 0 {
				if n, _ := res.RowsAffected(); n != c.affected {
					t.Errorf("%s: %s: %d rows affected, want %d", c.name, c.sql, n, c.affected)
				}
			}
		}
		var me *mysql.MySQLError
		switch {
		case c.code == 0 && err != nil:
			t.Errorf("%s: %s: %v", c.name, c.sql, err)
		case c.code != 0 && (!errors.As(err, &me) || me.Number != c.code):
			t.Errorf("%s: %s: error %v, want %d", c.name, c.sql, err, c.code)
		}
		if fast := srv.Stats().FastPath.Load() > before; fast != c.fast {
			t.Errorf("%s: %s: fast path %v, want %v", c.name, c.sql, fast, c.fast)
		}
	}
}
