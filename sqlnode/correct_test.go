package sqlnode_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// TestUnsignedReals: FLOAT, DOUBLE and DECIMAL columns declared UNSIGNED
// keep the attribute (SHOW CREATE TABLE says so) and refuse negative
// values with 1264, as MySQL and MariaDB do in strict mode: INSERT and
// UPDATE through the engine, through the fast path (text and prepared
// statements), and a multi-row INSERT writes none of its rows. Zero and
// positive values, and signed columns, are unaffected.
func TestUnsignedReals(t *testing.T) {
	_, _, srv, conn := startSession(t)
	x := int64(-1)
	run(t, conn, srv, []step{
		{name: "create database", sql: "CREATE DATABASE ur", affected: x},
		{name: "create table", sql: "CREATE TABLE ur.t (id INT PRIMARY KEY, f FLOAT UNSIGNED, d DOUBLE UNSIGNED, " +
			"m DECIMAL(6,2) UNSIGNED, z DECIMAL(4,1) ZEROFILL, s DOUBLE)", affected: x},
		{name: "show create table", sql: "SHOW CREATE TABLE ur.t", contains: []string{
			"`f` float unsigned", "`d` double unsigned", "`m` decimal(6,2) unsigned", "`z` decimal(4,1) unsigned", "`s` double,"}},
		{name: "zero and positive", sql: "INSERT INTO ur.t VALUES (1, 0, 1.5, 2.25, 3.5, -4)", affected: 1},
		{name: "negative float (fast path)", sql: "INSERT INTO ur.t VALUES (2, -1, 1, 1, 1, 1)", code: 1264},
		{name: "negative double (fast path, prepared)", sql: "INSERT INTO ur.t VALUES (?, ?, ?, ?, ?, ?)",
			args: []any{3, 1.0, -0.5, 1.0, 1.0, 1.0}, code: 1264},
		{name: "negative decimal (fast path, prepared)", sql: "INSERT INTO ur.t (id, m) VALUES (?, ?)", args: []any{4, "-0.01"}, code: 1264},
		{name: "negative zerofill decimal", sql: "INSERT INTO ur.t (id, z) VALUES (5, -2)", code: 1264},
		{name: "multi-row insert, third row negative", sql: "INSERT INTO ur.t (id, d) VALUES (6, 1), (7, 2), (8, -3), (9, 4)", code: 1264},
		{name: "update by key (fast path)", sql: "UPDATE ur.t SET d = -2 WHERE id = 1", code: 1264},
		{name: "update by expression (engine)", sql: "UPDATE ur.t SET m = m - 10 WHERE id > 0", code: 1264},
		{name: "update to zero", sql: "UPDATE ur.t SET f = 0, d = 0 WHERE id = 1", affected: 1},
		{name: "nothing else written", sql: "SELECT id, f, d, m, z, s FROM ur.t ORDER BY id", rows: []string{"1|0|0|2.25|3.5|-4"}},
		{name: "drop database", sql: "DROP DATABASE ur", affected: x},
	})
}

// TestEngineErrorNumbers: the engine's generic error 1105 for an unknown
// column, an ambiguous column and a syntax error reaches clients as
// MySQL's 1054, 1052 and 1064, in text and prepared statements (but a
// syntax error in COM_STMT_PREPARE, which the protocol layer parses and
// answers itself, stays 1105).
func TestEngineErrorNumbers(t *testing.T) {
	_, _, srv, conn := startSession(t)
	x := int64(-1)
	run(t, conn, srv, []step{
		{name: "create database", sql: "CREATE DATABASE en", affected: x},
		{name: "create a", sql: "CREATE TABLE en.a (id INT PRIMARY KEY, v INT)", affected: x},
		{name: "create b", sql: "CREATE TABLE en.b (id INT PRIMARY KEY, w INT)", affected: x},
		{name: "unknown column in select list", sql: "SELECT nosuch FROM en.a", rows: []string{}, code: 1054},
		{name: "unknown column in where", sql: "SELECT id FROM en.a WHERE nosuch = 1", rows: []string{}, code: 1054},
		{name: "unknown column in order by", sql: "SELECT id FROM en.a ORDER BY nosuch", rows: []string{}, code: 1054},
		{name: "unknown column in update", sql: "UPDATE en.a SET nosuch = 1 WHERE id = 1", code: 1054},
		{name: "unknown column, prepared", sql: "SELECT nosuch FROM en.a WHERE id = ?", args: []any{1}, rows: []string{}, code: 1054},
		{name: "ambiguous column", sql: "SELECT id FROM en.a JOIN en.b ON a.id = b.id", rows: []string{}, code: 1052},
		{name: "ambiguous column in where", sql: "SELECT v FROM en.a, en.b WHERE id = 1", rows: []string{}, code: 1052},
		{name: "syntax error", sql: "SELEC 1", rows: []string{}, code: 1064},
		{name: "syntax error at the end", sql: "SELECT * FROM en.a WHERE", rows: []string{}, code: 1064},
		{name: "unknown table is still 1146", sql: "SELECT * FROM en.nosuch", rows: []string{}, code: 1146},
		{name: "drop database", sql: "DROP DATABASE en", affected: x},
	})
}

// TestFailedAutocommitRollback: an autocommit statement that fails half
// way leaves nothing behind, at once: a multi-row INSERT whose third row
// is a duplicate (and one of 401 rows whose last is, after three batches
// were sent) writes no row, and an UPDATE, or a SELECT ... FOR UPDATE,
// that fails after its locking scan locked rows releases them when it
// fails, so another connection updates and inserts those rows while the
// failed session sits idle.
func TestFailedAutocommitRollback(t *testing.T) {
	_, db, srv, conn := startSession(t)
	ctx := context.Background()
	other, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	x := int64(-1)
	run(t, conn, srv, []step{
		{name: "create database", sql: "CREATE DATABASE fa", affected: x},
		{name: "create table", sql: "CREATE TABLE fa.t (id INT PRIMARY KEY, v TINYINT, u VARCHAR(8), UNIQUE KEY u (u))", affected: x},
		{name: "create numbers", sql: "CREATE TABLE fa.n (i INT PRIMARY KEY)", affected: x},
		{name: "numbers", sql: "INSERT INTO fa.n VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19)", affected: 20},
		{name: "rows", sql: "INSERT INTO fa.t VALUES (1, 1, 'a'), (2, 100, 'b'), (3, 3, 'c')", affected: 3},
		{name: "third row a duplicate key", sql: "INSERT INTO fa.t VALUES (10, 1, 'x'), (11, 1, 'y'), (1, 1, 'z'), (12, 1, 'w')", code: 1062},
		{name: "third row a duplicate unique value", sql: "INSERT INTO fa.t VALUES (20, 1, 'p'), (21, 1, 'q'), (22, 1, 'a')", code: 1062},
		{name: "last of 401 rows a duplicate", sql: "INSERT INTO fa.t SELECT 100 + a.i * 20 + b.i, 1, NULL FROM fa.n a, fa.n b UNION ALL SELECT 3, 1, NULL", code: 1062},
		{name: "none of them written", sql: "SELECT id FROM fa.t ORDER BY id", rows: []string{"1", "2", "3"}},
		// id 2's v + 100 is out of range: the scan has locked rows 1 and
		// 2 (and maybe 3) when the SET fails.
		{name: "update fails after its locking scan", sql: "UPDATE fa.t SET v = v + 100 WHERE id > 0", code: 1264},
		// The engine fails on row 2 of a locking read: rows 1 and 2 (at
		// least) are locked by then.
		{name: "locking read fails half way", sql: "SELECT id, JSON_EXTRACT(IF(id = 2, 'bad', '[1]'), '$') FROM fa.t WHERE id > 0 ORDER BY id FOR UPDATE",
			rows: []string{}, code: 3141},
	})
	// conn is idle now; its failed statement must hold no lock.
	run(t, other, srv, []step{
		{name: "other connection updates the rows (fast path)", sql: "UPDATE fa.t SET v = 7 WHERE id = 1", affected: 1},
		{name: "other connection updates the rows (engine)", sql: "UPDATE fa.t SET v = 8 WHERE id >= 2", affected: 2},
		{name: "other connection locks them", sql: "SELECT id FROM fa.t WHERE id > 0 FOR UPDATE", rows: []string{"1", "2", "3"}},
		{name: "other connection inserts the keys of the failed insert", sql: "INSERT INTO fa.t VALUES (10, 1, 'x'), (11, 1, 'y'), (12, 1, 'w')", affected: 3},
		{name: "and the unique values", sql: "INSERT INTO fa.t VALUES (20, 1, 'p'), (21, 1, 'q')", affected: 2},
	})
	run(t, conn, srv, []step{
		{name: "failed session sees the other's rows", sql: "SELECT id, v FROM fa.t ORDER BY id", rows: []string{
			"1|7", "2|8", "3|8", "10|1", "11|1", "12|1", "20|1", "21|1"}},
	})
	// Inside BEGIN a failed statement leaves the transaction to the
	// client (it is the whole NDB transaction that is gone after an NDB
	// error; ROLLBACK ends it).
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, "INSERT INTO fa.t VALUES (30, 1, NULL), (1, 1, NULL)")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1062 {
		t.Errorf("duplicate in a transaction: %v, want 1062", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	run(t, conn, srv, []step{
		{name: "rolled back", sql: "SELECT COUNT(*) FROM fa.t WHERE id = 30", rows: []string{"0"}},
		{name: "drop database", sql: "DROP DATABASE fa", affected: x},
	})
}
