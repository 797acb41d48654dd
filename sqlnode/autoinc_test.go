package sqlnode_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/gondb/gondb/sqlnode"
)

// TestAutoIncrement: AUTO_INCREMENT values come from the cluster-wide
// counter (another SQL node continues where the first stopped), explicit
// values move it forward, 0 and NULL generate, LAST_INSERT_ID() and the
// protocol's insert id report the first generated value; column defaults
// are kept with the table and seen by every SQL node.
func TestAutoIncrement(t *testing.T) {
	tc, db, srv, conn := startSession(t)
	ctx := context.Background()
	x := int64(-1)
	run(t, conn, srv, []step{
		{name: "create database", sql: "CREATE DATABASE ai", affected: x},
		{name: "create", sql: "CREATE TABLE ai.t (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10) NOT NULL DEFAULT 'dflt', n INT NOT NULL DEFAULT 7, d DECIMAL(5,2) DEFAULT 1.50)", affected: x},
		{name: "generated", sql: "INSERT INTO ai.t (v) VALUES ('a')", affected: 1},
		{name: "last_insert_id", sql: "SELECT LAST_INSERT_ID()", rows: []string{"1"}},
		{name: "multi-row", sql: "INSERT INTO ai.t (v) VALUES ('b'), ('c')", affected: 2},
		{name: "last_insert_id is the first of them", sql: "SELECT LAST_INSERT_ID()", rows: []string{"2"}},
		{name: "explicit value above the counter", sql: "INSERT INTO ai.t (id, v) VALUES (100, 'e')", affected: 1},
		{name: "zero generates", sql: "INSERT INTO ai.t (id, v) VALUES (0, 'zero')", affected: 1},
		{name: "NULL generates", sql: "INSERT INTO ai.t (id, v) VALUES (NULL, 'null')", affected: 1},
		{name: "explicit value below", sql: "INSERT INTO ai.t (id, v) VALUES (50, 'below')", affected: 1},
		{name: "defaults", sql: "INSERT INTO ai.t () VALUES ()", affected: 1},
		{name: "rows", sql: "SELECT id, v, n, d FROM ai.t ORDER BY id", rows: []string{
			"1|a|7|1.50", "2|b|7|1.50", "3|c|7|1.50", "50|below|7|1.50", "100|e|7|1.50", "101|zero|7|1.50", "102|null|7|1.50", "103|dflt|7|1.50"}},
		{name: "show create table", sql: "SHOW CREATE TABLE ai.t", contains: []string{"AUTO_INCREMENT", "DEFAULT 'dflt'", "DEFAULT '7'", "AUTO_INCREMENT=104"}},
		{name: "describe", sql: "DESCRIBE ai.t", contains: []string{"id|bigint unsigned|NO|PRI|NULL|auto_increment"}},
		{name: "start value", sql: "CREATE TABLE ai.s (id INT AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT=1000", affected: x},
		{name: "from the start value", sql: "INSERT INTO ai.s (v) VALUES (1), (2)", affected: 2},
		{name: "start value rows", sql: "SELECT id FROM ai.s ORDER BY id", rows: []string{"1000", "1001"}},
		{name: "alter auto_increment", sql: "ALTER TABLE ai.s AUTO_INCREMENT = 5000", affected: x},
		{name: "after alter", sql: "INSERT INTO ai.s (v) VALUES (3)", affected: 1},
		{name: "after alter rows", sql: "SELECT MAX(id) FROM ai.s", rows: []string{"5000"}},
		{name: "tinyint full", sql: "CREATE TABLE ai.tiny (id TINYINT AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT=127", affected: x},
		{name: "last tinyint", sql: "INSERT INTO ai.tiny () VALUES ()", affected: 1},
		{name: "tinyint exhausted", sql: "INSERT INTO ai.tiny () VALUES ()", code: 1467},
		{name: "float refused", sql: "CREATE TABLE ai.f (id DOUBLE AUTO_INCREMENT PRIMARY KEY)", code: 1063},
	})
	// The driver's insert id.
	res, err := conn.ExecContext(ctx, "INSERT INTO ai.t (v) VALUES (?)", "drv")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := res.LastInsertId(); err != nil || id != 104 {
		t.Errorf("driver insert id %d, %v; want 104", id, err)
	}

	// A second SQL node continues from the cluster counter; one with a
	// prefetch of 10 reserves ranges, and values stay unique.
	db2, _ := tc.sqlNode(t)
	db3, _ := tc.sqlNodeWith(t, sqlnode.Config{AutoIncrementPrefetch: 10})
	var got []int64
	for i := 0; i < 12; i++ {
		d := db
		switch i % 3 {
		case 1:
			d = db2
		case 2:
			d = db3
		}
		res, err := d.ExecContext(ctx, "INSERT INTO ai.t (v) VALUES (?)", "n"+strconv.Itoa(i%3))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		got = append(got, id)
	}
	if got[0] != 105 || got[1] != 106 || got[2] != 107 {
		t.Errorf("ids %v: want 105, 106, 107 first (prefetch 1 on the first two nodes)", got)
	}
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(got) {
		t.Errorf("ids %v are not unique", got)
	}
	for n := 0; n < 3; n++ {
		for i := n + 3; i < len(got); i += 3 {
			if got[i] <= got[i-3] {
				t.Errorf("node %d: ids %v not increasing", n, got)
			}
		}
	}
	// Dropped with the table.
	run(t, conn, srv, []step{
		{name: "drop", sql: "DROP TABLE ai.t", affected: x},
		{name: "again, without", sql: "CREATE TABLE ai.t (id BIGINT PRIMARY KEY, v VARCHAR(10))", affected: x},
		{name: "no auto_increment any more", sql: "SHOW CREATE TABLE ai.t", contains: []string{"`id` bigint NOT NULL,"}},
		{name: "hidden tables stay hidden", sql: "SHOW DATABASES LIKE 'sys'", rows: []string{}},
	})
}
