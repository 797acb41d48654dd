package sqlnode_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The comparison suite (docs/sql-compare.md): the statements of
// testdata/compare/queries.sql run on the SQL node (ENGINE=NDB) and on a
// private MariaDB server (ENGINE=InnoDB) started by the test, over the
// same schema and data, and their results are compared.

// compareSQLMode is the sql_mode of both sides: strict, as the SQL node
// always is.
const compareSQLMode = "STRICT_TRANS_TABLES,STRICT_ALL_TABLES,ONLY_FULL_GROUP_BY,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

// minMatching is the number of compared statements that must give the
// same result on both sides.
const minMatching = 200

// compareStmt is one statement of a testdata file.
type compareStmt struct {
	line   int    // where it starts in its file
	group  string // the last "-- group:" heading above it
	sql    string
	differ string // "-- expect-differ: reason": the sides legitimately differ
	errNo  uint16 // "-- expect-error: N": both sides fail with MySQL error N
}

// parseCompareFile reads statements ending with ';' at the end of a line.
// Lines starting with "--" are comments; "-- group: name" names the
// statements that follow; "-- expect-differ: reason" and "-- expect-error:
// N" annotate the next statement.
func parseCompareFile(t *testing.T, path string) []compareStmt {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []compareStmt
	var cur compareStmt
	var buf []string
	group := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "--") {
			c := strings.TrimSpace(strings.TrimPrefix(line, "--"))
			switch {
			case strings.HasPrefix(c, "group:"):
				group = strings.TrimSpace(strings.TrimPrefix(c, "group:"))
			case strings.HasPrefix(c, "expect-differ:"):
				cur.differ = strings.TrimSpace(strings.TrimPrefix(c, "expect-differ:"))
				if cur.differ == "" {
					t.Fatalf("%s:%d: expect-differ needs a reason", path, n)
				}
			case strings.HasPrefix(c, "expect-error:"):
				v, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(c, "expect-error:")), 10, 16)
				if err != nil {
					t.Fatalf("%s:%d: %v", path, n, err)
				}
				cur.errNo = uint16(v)
			}
			continue
		}
		if len(buf) == 0 {
			cur.line = n
		}
		buf = append(buf, line)
		if strings.HasSuffix(line, ";") {
			cur.sql = strings.TrimSuffix(strings.Join(buf, " "), ";")
			cur.group = group
			out = append(out, cur)
			cur, buf = compareStmt{}, nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(buf) > 0 {
		t.Fatalf("%s: statement at line %d has no ';'", path, cur.line)
	}
	return out
}

// cell is one value of a result; null is distinct from the string "NULL".
type cell struct {
	null bool
	s    string
}

func (c cell) String() string {
	if c.null {
		return "NULL"
	}
	return strconv.Quote(c.s)
}

// outcome is what a statement gave: rows (queries), affected rows
// (other statements), or a MySQL error number (0 with err set: another
// error).
type outcome struct {
	cols     int
	rows     [][]cell
	affected int64
	isQuery  bool
	errNo    uint16
	err      error
}

func (o *outcome) String() string {
	if o.err != nil {
		return fmt.Sprintf("error %d: %v", o.errNo, o.err)
	}
	if !o.isQuery {
		return fmt.Sprintf("%d rows affected", o.affected)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows", len(o.rows))
	for i, r := range o.rows {
		if i == 12 {
			fmt.Fprintf(&b, "\n      ... %d more", len(o.rows)-i)
			break
		}
		b.WriteString("\n      ")
		for j, c := range r {
			if j > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(c.String())
		}
	}
	return b.String()
}

// rowKey encodes a row so that rows sort and compare as tuples of cells.
func rowKey(r []cell) string {
	var b strings.Builder
	for _, c := range r {
		if c.null {
			b.WriteString("N\x1f")
			continue
		}
		b.WriteString("V")
		b.WriteString(c.s)
		b.WriteString("\x1f")
	}
	return b.String()
}

// isQuery reports whether a statement returns rows.
func isQuery(q string) bool {
	w := strings.ToUpper(strings.TrimLeft(q, " ("))
	for _, p := range []string{"SELECT", "WITH", "SHOW", "DESCRIBE", "EXPLAIN", "VALUES", "TABLE"} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// topLevelOrderBy reports whether q has an ORDER BY outside parentheses:
// its rows are compared in order, else as multisets.
func topLevelOrderBy(q string) bool {
	depth, quote := 0, byte(0)
	u := strings.ToUpper(q)
	for i := 0; i < len(u); i++ {
		ch := u[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case depth == 0 && strings.HasPrefix(u[i:], "ORDER BY"):
			return true
		}
	}
	return false
}

// runCompareStmt runs one statement (text protocol) and collects what it
// gave.
func runCompareStmt(ctx context.Context, conn *sql.Conn, q string) *outcome {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	o := &outcome{isQuery: isQuery(q)}
	fail := func(err error) *outcome {
		o.err = err
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			o.errNo = me.Number
		}
		return o
	}
	if !o.isQuery {
		res, err := conn.ExecContext(ctx, q)
		if err != nil {
			return fail(err)
		}
		o.affected, _ = res.RowsAffected()
		return o
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fail(err)
	}
	o.cols = len(cols)
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fail(err)
		}
		r := make([]cell, len(cols))
		for i, v := range vals {
			if v == nil {
				r[i].null = true
			} else {
				r[i].s = string(v)
			}
		}
		o.rows = append(o.rows, r)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return o
}

// sameOutcome compares two outcomes: the same error number, or the same
// affected rows, or the same rows (in order when ordered).
func sameOutcome(a, b *outcome, ordered bool) bool {
	if (a.err != nil) != (b.err != nil) {
		return false
	}
	if a.err != nil {
		return a.errNo != 0 && a.errNo == b.errNo
	}
	if a.isQuery != b.isQuery {
		return false
	}
	if !a.isQuery {
		return a.affected == b.affected
	}
	if a.cols != b.cols || len(a.rows) != len(b.rows) {
		return false
	}
	ka, kb := make([]string, len(a.rows)), make([]string, len(b.rows))
	for i := range a.rows {
		ka[i], kb[i] = rowKey(a.rows[i]), rowKey(b.rows[i])
	}
	if !ordered {
		slices.Sort(ka)
		slices.Sort(kb)
	}
	return slices.Equal(ka, kb)
}

// TestCompareMariaDB runs the comparison suite. It needs mariadbd (or
// mysqld) and mariadb-install-db installed (Debian's mariadb-server); it
// skips without them.
func TestCompareMariaDB(t *testing.T) {
	maria := startMariaDB(t)
	tc := startCompareCluster(t)
	gdb, _ := tc.sqlNode(t)
	ctx := context.Background()
	gconn, err := gdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gconn.Close() })
	mconn, err := maria.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mconn.Close() })

	dir := filepath.Join("testdata", "compare")
	setup := []string{
		"SET SESSION sql_mode = '" + compareSQLMode + "'",
		"SET time_zone = '+00:00'",
		"SET NAMES utf8mb4 COLLATE utf8mb4_bin",
		"CREATE DATABASE cmp",
		"USE cmp",
	}
	sides := []struct {
		name, engine string
		conn         *sql.Conn
	}{
		{"gondb", "ENGINE=NDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", gconn},
		{"mariadb", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", mconn},
	}
	schema := parseCompareFile(t, filepath.Join(dir, "schema.sql"))
	for _, side := range sides {
		stmts := slices.Clone(setup)
		for _, st := range schema {
			stmts = append(stmts, strings.ReplaceAll(st.sql, "{ENGINE}", side.engine))
		}
		stmts = append(stmts, compareData()...)
		for _, q := range stmts {
			if _, err := side.conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %s: %v", side.name, q, err)
			}
		}
	}

	queries := parseCompareFile(t, filepath.Join(dir, "queries.sql"))
	var fails []string
	matched, differed := 0, 0
	for _, st := range queries {
		g := runCompareStmt(ctx, gconn, strings.ReplaceAll(st.sql, "{ENGINE}", sides[0].engine))
		m := runCompareStmt(ctx, mconn, strings.ReplaceAll(st.sql, "{ENGINE}", sides[1].engine))
		same := sameOutcome(g, m, topLevelOrderBy(st.sql))
		where := fmt.Sprintf("queries.sql:%d [%s] %s", st.line, st.group, st.sql)
		switch {
		case st.differ != "":
			if same {
				fails = append(fails, fmt.Sprintf("%s\n    marked expect-differ (%s) but both give: %v", where, st.differ, g))
			} else {
				differed++
			}
		case !same:
			fails = append(fails, fmt.Sprintf("%s\n    gondb:   %v\n    mariadb: %v", where, g, m))
		case st.errNo != 0 && g.errNo != st.errNo:
			fails = append(fails, fmt.Sprintf("%s\n    both give %v, want error %d", where, g, st.errNo))
		case st.errNo == 0 && g.err != nil:
			fails = append(fails, fmt.Sprintf("%s\n    both fail (%v); mark it expect-error if meant", where, g))
		default:
			matched++
		}
	}
	t.Logf("%d statements: %d give the same result on both, %d differ as marked", len(queries), matched, differed)
	if len(fails) > 0 {
		t.Errorf("%d of %d statements differ from MariaDB:\n  %s", len(fails), len(queries), strings.Join(fails, "\n  "))
	}
	if matched < minMatching {
		t.Errorf("only %d statements match, want at least %d", matched, minMatching)
	}
}

// compareData is the deterministic bulk data of the suite: INSERTs into
// the tables of schema.sql (the edge rows are in schema.sql itself).
func compareData() []string {
	rng := rand.New(rand.NewPCG(9, 2024))
	var out []string
	var vals []string
	flush := func(table string) {
		if len(vals) > 0 {
			out = append(out, "INSERT INTO "+table+" VALUES "+strings.Join(vals, ","))
			vals = nil
		}
	}
	groups := []string{"'red'", "'green'", "'blue'", "'cyan'", "NULL"}
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"}
	nullOr := func(every int, i int, v string) string {
		if i%every == 0 {
			return "NULL"
		}
		return v
	}
	// emp: 300 rows.
	for i := 1; i <= 300; i++ {
		a := nullOr(11, i, strconv.Itoa(rng.IntN(100)-20))
		b := strconv.Itoa(rng.IntN(1000))
		name := fmt.Sprintf("'%s_%03d'", words[rng.IntN(len(words))], i)
		sal := nullOr(13, i, fmt.Sprintf("%d.%02d", rng.IntN(90000)+1000, rng.IntN(100)))
		score := nullOr(17, i, strconv.FormatFloat(float64(rng.IntN(2000))/8-50, 'f', -1, 64))
		grp := groups[rng.IntN(len(groups))]
		day := nullOr(19, i, fmt.Sprintf("'20%02d-%02d-%02d'", rng.IntN(25), rng.IntN(12)+1, rng.IntN(28)+1))
		dept := nullOr(23, i, strconv.Itoa(rng.IntN(8)+1))
		vals = append(vals, fmt.Sprintf("(%d,%s,%s,%s,%s,%s,%s,%s,%s)", i, a, b, name, sal, score, grp, day, dept))
		if len(vals) == 100 {
			flush("emp")
		}
	}
	flush("emp")
	// orders: 400 rows, some for employees that do not exist.
	for i := 1; i <= 400; i++ {
		emp := nullOr(29, i, strconv.Itoa(rng.IntN(330)+1))
		qty := nullOr(31, i, strconv.Itoa(rng.IntN(60)))
		price := fmt.Sprintf("%d.%03d", rng.IntN(500), rng.IntN(1000))
		status := []string{"'new'", "'paid'", "'shipped'", "'void'"}[rng.IntN(4)]
		at := fmt.Sprintf("'2024-%02d-%02d %02d:%02d:%02d'", rng.IntN(12)+1, rng.IntN(28)+1, rng.IntN(24), rng.IntN(60), rng.IntN(60))
		vals = append(vals, fmt.Sprintf("(%d,%s,%s,%s,%s,%s)", i, emp, qty, price, status, at))
		if len(vals) == 100 {
			flush("orders")
		}
	}
	flush("orders")
	return out
}

// startMariaDB starts a private MariaDB server on a Unix socket in a
// temporary directory, and returns a handle on it (the server is killed
// when the test ends). It skips the test when MariaDB is not installed.
func startMariaDB(t *testing.T) *sql.DB {
	t.Helper()
	server := findBinary("mariadbd", "mysqld")
	install := findBinary("mariadb-install-db", "mysql_install_db")
	if server == "" || install == "" {
		t.Skip("MariaDB server not installed (need mariadbd and mariadb-install-db; Debian: apt-get install mariadb-server)")
	}
	dir := t.TempDir()
	if len(dir) > 80 { // a Unix socket path holds at most 107 bytes
		d, err := os.MkdirTemp("", "mdb")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		dir = d
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "mariadb.sock")
	common := []string{
		"--datadir=" + data, "--user=" + u.Username,
		"--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M",
		"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
	}
	// --no-defaults must come first.
	args := append([]string{"--no-defaults", "--auth-root-authentication-method=normal", "--skip-test-db"}, common...)
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", install, err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "mariadb.log"))
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"--no-defaults"}, common...)
	args = append(args, "--socket="+sock, "--skip-networking", "--skip-grant-tables",
		"--pid-file="+filepath.Join(dir, "mariadb.pid"), "--log-error="+filepath.Join(dir, "mariadb.err"),
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin",
		"--default-time-zone=+00:00", "--sql-mode="+compareSQLMode)
	cmd := exec.Command(server, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", server, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return db
		}
		select {
		case werr := <-exited:
			exited <- werr
			msg, _ := os.ReadFile(filepath.Join(dir, "mariadb.err"))
			t.Fatalf("%s exited: %v\n%s", server, werr, msg)
		default:
		}
		if time.Now().After(deadline) {
			msg, _ := os.ReadFile(filepath.Join(dir, "mariadb.err"))
			t.Fatalf("%s does not answer on %s: %v\n%s", server, sock, err, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findBinary looks for the first of names on PATH, then in /usr/sbin and
// /usr/bin.
func findBinary(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

// startCompareCluster is startCluster without its -short skip: the
// comparison suite runs in -short too (one cluster, a few seconds).
func startCompareCluster(t *testing.T) *testCluster { return launchCluster(t, 2) }
