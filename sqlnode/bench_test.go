package sqlnode_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/gondb/gondb/sqlnode"
)

// The benchmarks run the hottest statement shapes through
// go-sql-driver/mysql against a SQL node over an in-process cluster (a
// management server and two data nodes): ns/op is one statement's round
// trip, allocs/op everything the process allocates for it (driver, SQL
// node, API and data nodes). Run them with
//
//	go test -tags gms_pure_go -run '^$' -bench . -benchmem ./sqlnode/
//
// The table is sysbench's.

const benchRows = 1000

// benchDB starts a cluster and a SQL node with a sysbench table; text
// makes the driver send statements as text (interpolateParams), as
// sysbench's --db-ps-mode=disable does.
func benchDB(b *testing.B, text bool) (*sql.DB, *sqlnode.Server) {
	return benchDBWith(b, text, sqlnode.Config{})
}

func benchDBWith(b *testing.B, text bool, cfg sqlnode.Config) (*sql.DB, *sqlnode.Server) {
	b.Helper()
	tc := startCluster(b)
	_, srv := tc.sqlNodeWith(b, cfg)
	dsn := mysql.NewConfig()
	dsn.User, dsn.Passwd, dsn.Net, dsn.Addr, dsn.InterpolateParams = "root", testRootPassword, "tcp", srv.Addr(), text
	db, err := sql.Open("mysql", dsn.FormatDSN())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxIdleConns(4)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE DATABASE sb",
		"CREATE TABLE sb.sbtest1 (id INT NOT NULL, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL, PRIMARY KEY (id), KEY k_1 (k))",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var vals []string
	for i := 1; i <= benchRows; i++ {
		vals = append(vals, fmt.Sprintf("(%d,%d,'%s','%s')", i, rand.IntN(benchRows), strings.Repeat("c", 119), strings.Repeat("p", 59)))
		if len(vals) == 200 || i == benchRows {
			if _, err := db.ExecContext(ctx, "INSERT INTO sb.sbtest1 VALUES "+strings.Join(vals, ",")); err != nil {
				b.Fatal(err)
			}
			vals = vals[:0]
		}
	}
	return db, srv
}

// paths runs f on the fast path and on the engine alone.
func paths(b *testing.B, f func(b *testing.B, cfg sqlnode.Config)) {
	b.Run("fast", func(b *testing.B) { f(b, sqlnode.Config{}) })
	b.Run("engine", func(b *testing.B) { f(b, sqlnode.Config{NoFastPath: true}) })
}

func benchPointSelect(b *testing.B, text bool, cfg sqlnode.Config) {
	db, _ := benchDBWith(b, text, cfg)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	const q = "SELECT c FROM sb.sbtest1 WHERE id = ?"
	var c string
	if text {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := conn.QueryRowContext(ctx, q, i%benchRows+1).Scan(&c); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	stmt, err := conn.PrepareContext(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := stmt.QueryRowContext(ctx, i%benchRows+1).Scan(&c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNdbapiRead: the same read through ndbapi, no SQL: the floor
// the SQL node's statements stand on.
func BenchmarkNdbapiRead(b *testing.B) {
	db, srv := benchDB(b, false)
	_ = db
	c := srv.Cluster()
	ctx := context.Background()
	t, err := c.Table(ctx, "sb/sbtest1")
	if err != nil {
		b.Fatal(err)
	}
	ndb, err := c.NewNdb()
	if err != nil {
		b.Fatal(err)
	}
	defer ndb.Close()
	rb := t.NewRowBuilder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rb.Reset()
		rb.SetInt64(0, int64(i%benchRows+1))
		tx, err := ndb.StartTransaction(t, rb.AppendKey(nil))
		if err != nil {
			b.Fatal(err)
		}
		op := tx.Read(t, rb, 0)
		if err := tx.Execute(2); err != nil {
			b.Fatal(err)
		}
		if _, ok := op.Row(); !ok {
			b.Fatal("no row")
		}
		tx.Close()
	}
}

// BenchmarkPointSelect: sysbench's point select, prepared.
func BenchmarkPointSelect(b *testing.B) {
	paths(b, func(b *testing.B, cfg sqlnode.Config) { benchPointSelect(b, false, cfg) })
}

// BenchmarkPointSelectText: the same as text statements.
func BenchmarkPointSelectText(b *testing.B) {
	paths(b, func(b *testing.B, cfg sqlnode.Config) { benchPointSelect(b, true, cfg) })
}

// BenchmarkInListSelect: ten primary keys in one IN list.
func BenchmarkInListSelect(b *testing.B) { paths(b, benchmarkInListSelect) }

func benchmarkInListSelect(b *testing.B, cfg sqlnode.Config) {
	db, _ := benchDBWith(b, false, cfg)
	ctx := context.Background()
	stmt, err := db.PrepareContext(ctx, "SELECT id, c FROM sb.sbtest1 WHERE id IN (?,?,?,?,?,?,?,?,?,?)")
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	args := make([]any, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range args {
			args[j] = (i*10+j)%benchRows + 1
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Close(); err != nil || n != 10 {
			b.Fatalf("%d rows, %v", n, err)
		}
	}
}

// BenchmarkUpdateByKey: sysbench's non-index update, autocommit.
func BenchmarkUpdateByKey(b *testing.B) { paths(b, benchmarkUpdateByKey) }

func benchmarkUpdateByKey(b *testing.B, cfg sqlnode.Config) {
	db, _ := benchDBWith(b, false, cfg)
	ctx := context.Background()
	stmt, err := db.PrepareContext(ctx, "UPDATE sb.sbtest1 SET c = ? WHERE id = ?")
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	c := strings.Repeat("u", 119)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := stmt.ExecContext(ctx, c, i%benchRows+1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertDelete: a single-row insert and a delete by key,
// autocommit (two statements per op).
func BenchmarkInsertDelete(b *testing.B) { paths(b, benchmarkInsertDelete) }

func benchmarkInsertDelete(b *testing.B, cfg sqlnode.Config) {
	db, _ := benchDBWith(b, false, cfg)
	ctx := context.Background()
	ins, err := db.PrepareContext(ctx, "INSERT INTO sb.sbtest1 (id, k, c, pad) VALUES (?, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()
	del, err := db.PrepareContext(ctx, "DELETE FROM sb.sbtest1 WHERE id = ?")
	if err != nil {
		b.Fatal(err)
	}
	defer del.Close()
	c, pad := strings.Repeat("c", 119), strings.Repeat("p", 59)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := benchRows + 1 + i
		if _, err := ins.ExecContext(ctx, id, i, c, pad); err != nil {
			b.Fatal(err)
		}
		if _, err := del.ExecContext(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRangeSelect: sysbench's simple range (100 rows by primary
// key), through the engine: an ordered index scan.
func BenchmarkRangeSelect(b *testing.B) {
	db, _ := benchDB(b, false)
	ctx := context.Background()
	stmt, err := db.PrepareContext(ctx, "SELECT c FROM sb.sbtest1 WHERE id BETWEEN ? AND ?")
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lo := i%(benchRows-100) + 1
		rows, err := stmt.QueryContext(ctx, lo, lo+99)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Close(); err != nil || n != 100 {
			b.Fatalf("%d rows, %v", n, err)
		}
	}
}
