package sqlnode_test

import (
	"testing"
)

// Regressions found by the MariaDB comparison suite (compare_test.go),
// each checked against a real cluster.

// TestReadRangesOrderAndOverlap: a descending lookup of several keys or
// ranges returns them in descending order (the engine hands the ranges
// already reversed), and ranges whose bounds overlap on the index's
// prefix (b = 10 OR b = 20 on an index (g, b)) return each row once.
func TestReadRangesOrderAndOverlap(t *testing.T) {
	_, _, srv, conn := startSession(t)
	x := int64(-1)
	run(t, conn, srv, []step{
		{name: "create database", sql: "CREATE DATABASE rr", affected: x},
		{name: "create table", sql: "CREATE TABLE rr.t (id INT PRIMARY KEY, g VARCHAR(4), b INT, u VARCHAR(8) NOT NULL, " +
			"UNIQUE KEY u (u), KEY gb (g, b))", affected: x},
		{name: "insert", sql: "INSERT INTO rr.t VALUES (1,'x',10,'u1'),(2,'y',20,'u2'),(3,'x',20,'u3'),(4,NULL,10,'u4')," +
			"(5,'y',30,'u5'),(6,'z',10,'u6'),(7,'x',30,'u7'),(8,'y',10,'u8')", affected: 8},
		{name: "pk IN, descending: one batch", sql: "SELECT id FROM rr.t WHERE id IN (3, 1, 5, 8) ORDER BY id DESC",
			rows: []string{"8", "5", "3", "1"}, checkStats: true, batches: 1},
		{name: "pk IN, descending, limit", sql: "SELECT id FROM rr.t WHERE id IN (3, 1, 5, 8) ORDER BY id DESC LIMIT 2",
			rows: []string{"8", "5"}},
		{name: "unique IN, descending", sql: "SELECT id FROM rr.t WHERE u IN ('u2', 'u7', 'u4') ORDER BY u DESC",
			rows: []string{"7", "4", "2"}},
		{name: "pk ranges, descending", sql: "SELECT id FROM rr.t WHERE id < 3 OR id > 6 ORDER BY id DESC",
			rows: []string{"8", "7", "2", "1"}, checkStats: true, indexScans: 2},
		{name: "pk ranges, ascending", sql: "SELECT id FROM rr.t WHERE id < 3 OR id > 6 ORDER BY id",
			rows: []string{"1", "2", "7", "8"}},
		{name: "index ranges, descending", sql: "SELECT id FROM rr.t WHERE g IN ('x', 'z') ORDER BY g DESC, b DESC",
			rows: []string{"6", "7", "3", "1"}},
		{name: "overlapping bounds: each row once", sql: "SELECT id FROM rr.t WHERE b = 10 OR b = 20", sorted: true,
			rows: []string{"1", "2", "3", "4", "6", "8"}},
		{name: "overlapping bounds with IN", sql: "SELECT id FROM rr.t WHERE b IN (30, 10)", sorted: true,
			rows: []string{"1", "4", "5", "6", "7", "8"}},
		{name: "overlapping bounds, counted", sql: "SELECT COUNT(*) FROM rr.t WHERE b = 10 OR b = 20 OR b = 30",
			rows: []string{"8"}},
		{name: "inexact bound per range", sql: "SELECT id FROM rr.t WHERE g IN ('x', 'y') AND b > 15.5 ORDER BY g, b",
			rows: []string{"3", "7", "2", "5"}},
		{name: "drop database", sql: "DROP DATABASE rr", affected: x},
	})
}

// TestUpdateStrictAndKeyMove: in strict mode an UPDATE that sets a number
// out of its column's range is error 1264 and writes nothing (the engine
// clamped it); an UPDATE that moves rows to new primary keys of a table
// with a unique index moves every row (the insert no longer races the
// delete's unique-index entry).
func TestUpdateStrictAndKeyMove(t *testing.T) {
	_, _, srv, conn := startSession(t)
	x := int64(-1)
	run(t, conn, srv, []step{
		{name: "create database", sql: "CREATE DATABASE us", affected: x},
		{name: "create table", sql: "CREATE TABLE us.t (id TINYINT UNSIGNED PRIMARY KEY, v TINYINT, d DECIMAL(4,1), " +
			"name VARCHAR(8) NOT NULL, UNIQUE KEY name (name))", affected: x},
		{name: "insert", sql: "INSERT INTO us.t VALUES (1,1,1.5,'a'),(2,2,2.5,'b'),(3,3,3.5,'c'),(4,4,4.5,'d')," +
			"(5,5,5.5,'e'),(6,6,6.5,'f'),(7,7,7.5,'g'),(8,8,8.5,'h')", affected: 8},
		{name: "key out of range", sql: "UPDATE us.t SET id = 300 WHERE id = 1", code: 1264},
		{name: "key above range by arithmetic", sql: "UPDATE us.t SET id = id + 250 WHERE name = 'h'", code: 1264},
		{name: "value below range", sql: "UPDATE us.t SET v = v - 200 WHERE v > 2", code: 1264},
		{name: "value above range", sql: "UPDATE us.t SET v = 128 WHERE name = 'a'", code: 1264},
		{name: "decimal above range", sql: "UPDATE us.t SET d = 1000 WHERE name = 'a'", code: 1264},
		{name: "nothing written", sql: "SELECT id, v, d FROM us.t WHERE name IN ('a', 'h') ORDER BY id",
			rows: []string{"1|1|1.5", "8|8|8.5"}},
		{name: "in range: rounded as MySQL", sql: "UPDATE us.t SET v = 126.6 WHERE name = 'a'", affected: 1},
		{name: "rounded", sql: "SELECT v FROM us.t WHERE name = 'a'", rows: []string{"127"}},
		{name: "move every key", sql: "UPDATE us.t SET id = id + 100", affected: 8},
		{name: "moved", sql: "SELECT id, name FROM us.t ORDER BY id", rows: []string{
			"101|a", "102|b", "103|c", "104|d", "105|e", "106|f", "107|g", "108|h"}},
		{name: "move back", sql: "UPDATE us.t SET id = id - 100 WHERE id > 104", affected: 4},
		{name: "moved back", sql: "SELECT id FROM us.t WHERE name IN ('e', 'h') ORDER BY id", rows: []string{"5", "8"}},
		{name: "unique clash still refused", sql: "UPDATE us.t SET name = 'b' WHERE id = 101", code: 1062},
		{name: "drop database", sql: "DROP DATABASE us", affected: x},
	})
}
