package sqlnode_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/sqlnode"
)

// errNo is err's MySQL error number (0: no error, or not a MySQL error).
func errNo(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// connectAs opens one connection to the SQL node at addr as user with
// password pw (the handshake's error if it is refused); closed when the
// test ends.
func connectAs(t testing.TB, addr, user, pw string, adjust ...func(*mysql.Config)) (*sql.Conn, error) {
	t.Helper()
	db := openDB(t, addr, user, pw, adjust...)
	db.SetMaxIdleConns(0)
	conn, err := db.Conn(context.Background())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	return conn, nil
}

// mustConnectAs is connectAs that fails the test when refused.
func mustConnectAs(t testing.TB, addr, user, pw string, adjust ...func(*mysql.Config)) *sql.Conn {
	t.Helper()
	conn, err := connectAs(t, addr, user, pw, adjust...)
	if err != nil {
		t.Fatalf("%s connecting to %s: %v", user, addr, err)
	}
	return conn
}

// login is a connection attempt and its wanted outcome.
type login struct {
	name, user, pw string
	code           uint16 // wanted MySQL error (0: accepted)
}

// checkLogins connects once per attempt and checks each outcome: refused
// with the wanted error, or accepted and the session's user the one
// asked for.
func checkLogins(t *testing.T, addr string, logins []login, adjust ...func(*mysql.Config)) {
	t.Helper()
	for _, l := range logins {
		conn, err := connectAs(t, addr, l.user, l.pw, adjust...)
		if l.code != 0 {
			if errNo(err) != l.code {
				t.Errorf("%s: %s with password %q: %v, want MySQL error %d", l.name, l.user, l.pw, err, l.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %s with password %q: %v", l.name, l.user, l.pw, err)
			continue
		}
		var who string
		if err := conn.QueryRowContext(context.Background(), "SELECT CURRENT_USER()").Scan(&who); err != nil || !strings.HasPrefix(who, l.user+"@") {
			t.Errorf("%s: CURRENT_USER() = %q, %v; want %s@...", l.name, who, err, l.user)
		}
	}
}

// appSchema is what the users tests grant on: two databases, rows in
// app.t.
var appSchema = []step{
	{name: "create app", sql: "CREATE DATABASE app", affected: -1},
	{name: "create app.t", sql: "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)", affected: -1},
	{name: "fill app.t", sql: "INSERT INTO app.t VALUES (1, 10), (2, 20)", affected: 2},
	{name: "create other", sql: "CREATE DATABASE other", affected: -1},
	{name: "create other.t", sql: "CREATE TABLE other.t (id INT PRIMARY KEY)", affected: -1},
	{name: "fill other.t", sql: "INSERT INTO other.t VALUES (1)", affected: 1},
}

// Users and grants on one SQL node: wrong passwords and unknown users are
// refused with 1045; a user granted SELECT on a database reads it (on the
// fast path too) and nothing else (1142, 1044), and REVOKE and GRANT take
// effect on the user's open connection at once, as does DROP USER.
func TestUsersAndPrivileges(t *testing.T) {
	tc := startCluster(t)
	db, srv := tc.sqlNode(t)
	ctx := context.Background()
	root, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	run(t, root, srv, append(appSchema,
		step{name: "create alice", sql: "CREATE USER 'alice'@'%' IDENTIFIED BY 'alice-pw'", affected: -1},
		step{name: "grant select", sql: "GRANT SELECT ON app.* TO 'alice'@'%'", affected: -1},
		step{name: "alice listed", sql: "SELECT user, host, plugin FROM mysql.user WHERE user = 'alice'", rows: []string{"alice|%|mysql_native_password"}},
		step{name: "create again", sql: "CREATE USER 'alice'@'%' IDENTIFIED BY 'x'", code: 1396},
	))
	checkLogins(t, srv.Addr(), []login{
		{"root, wrong password", "root", "nope", 1045},
		{"root, no password", "root", "", 1045},
		{"unknown user", "mallory", "x", 1045},
		{"unknown user, no password", "mallory", "", 1045},
		{"alice, wrong password", "alice", "bad", 1045},
		{"alice, password of root", "alice", testRootPassword, 1045},
		{"alice", "alice", "alice-pw", 0},
		{"root", "root", testRootPassword, 0},
	})

	alice := mustConnectAs(t, srv.Addr(), "alice", "alice-pw")
	fast0 := srv.Stats().FastPath.Load()
	run(t, alice, srv, []step{
		{name: "point select", sql: "SELECT v FROM app.t WHERE id = 1", rows: []string{"10"}},
		{name: "point select, prepared", sql: "SELECT v FROM app.t WHERE id = ?", args: []any{2}, rows: []string{"20"}},
	})
	if n := srv.Stats().FastPath.Load() - fast0; n != 2 {
		t.Errorf("alice's point selects: %d on the fast path, want 2", n)
	}
	fast0 = srv.Stats().FastPath.Load()
	run(t, alice, srv, []step{
		{name: "scan", sql: "SELECT COUNT(*), SUM(v) FROM app.t", rows: []string{"2|30"}},
		{name: "insert refused", sql: "INSERT INTO app.t VALUES (3, 30)", code: 1142},
		{name: "insert refused, prepared", sql: "INSERT INTO app.t VALUES (?, ?)", args: []any{3, 30}, code: 1142},
		{name: "update refused", sql: "UPDATE app.t SET v = 0 WHERE id = 1", code: 1142},
		{name: "update by range refused", sql: "UPDATE app.t SET v = 0 WHERE id > 0", code: 1142},
		{name: "delete refused", sql: "DELETE FROM app.t WHERE id = 1", code: 1142},
		{name: "replace refused", sql: "REPLACE INTO app.t VALUES (1, 11)", code: 1142},
		{name: "create table refused", sql: "CREATE TABLE app.u (id INT PRIMARY KEY)", code: 1142},
		{name: "drop table refused", sql: "DROP TABLE app.t", code: 1142},
		{name: "other database refused", sql: "SELECT id FROM other.t WHERE id = 1", code: 1044},
		{name: "other database scan refused", sql: "SELECT COUNT(*) FROM other.t", code: 1044},
		{name: "use other refused", sql: "USE other", code: 1044},
		{name: "create user refused", sql: "CREATE USER eve IDENTIFIED BY 'x'", code: 1142},
		{name: "grant refused", sql: "GRANT INSERT ON app.* TO 'alice'@'%'", code: 1142},
		{name: "grant tables hidden", sql: "SELECT user FROM mysql.user", code: 1044},
		// The engine lists the mysql database to everyone (MySQL only to
		// users with privileges on it); its tables stay refused.
		{name: "databases she sees", sql: "SHOW DATABASES", sorted: true, rows: []string{"app", "information_schema", "mysql"}},
	})
	if n := srv.Stats().FastPath.Load() - fast0; n != 0 {
		t.Errorf("%d refused or engine statements ran on the fast path", n)
	}
	run(t, root, srv, []step{
		{name: "nothing written", sql: "SELECT id, v FROM app.t ORDER BY id", rows: []string{"1|10", "2|20"}},
		{name: "revoke", sql: "REVOKE SELECT ON app.* FROM 'alice'@'%'", affected: -1},
	})
	run(t, alice, srv, []step{
		{name: "revoked: point select", sql: "SELECT v FROM app.t WHERE id = 1", code: 1044},
		{name: "revoked: prepared", sql: "SELECT v FROM app.t WHERE id = ?", args: []any{2}, code: 1044},
		{name: "revoked: scan", sql: "SELECT COUNT(*) FROM app.t", code: 1044},
	})
	run(t, root, srv, []step{{name: "grant insert on the table", sql: "GRANT INSERT ON app.t TO 'alice'@'%'", affected: -1}})
	run(t, alice, srv, []step{
		{name: "granted: insert", sql: "INSERT INTO app.t VALUES (3, 30)", affected: 1},
		{name: "granted: insert, prepared", sql: "INSERT INTO app.t VALUES (?, ?)", args: []any{4, 40}, affected: 1},
		{name: "still no select", sql: "SELECT v FROM app.t WHERE id = 3", code: 1142},
	})
	run(t, root, srv, []step{
		{name: "rows inserted", sql: "SELECT id, v FROM app.t ORDER BY id", rows: []string{"1|10", "2|20", "3|30", "4|40"}},
		{name: "show grants", sql: "SHOW GRANTS FOR 'alice'@'%'", sorted: true, rows: []string{"GRANT USAGE ON *.* TO `alice`@`%`", "GRANT INSERT ON `app`.`t` TO `alice`@`%`"}},
		{name: "drop alice", sql: "DROP USER 'alice'@'%'", affected: -1},
	})
	run(t, alice, srv, []step{{name: "dropped: her session", sql: "INSERT INTO app.t VALUES (5, 50)", code: 1045}})
	checkLogins(t, srv.Addr(), []login{{"dropped alice", "alice", "alice-pw", 1045}})
}

// Users and grants are the cluster's: a user created on SQL node A logs
// in on SQL node B at once (B checks the version at each connection's
// authentication), a REVOKE on A reaches B's open sessions within B's
// poll interval, and two SQL nodes changing privileges at the same time
// cannot lose a change (the second is refused and reloads).
func TestUsersAcrossSQLNodes(t *testing.T) {
	tc := startCluster(t)
	dbA, a := tc.sqlNodeWith(t, sqlnode.Config{PrivilegePollInterval: 20 * time.Millisecond})
	_, b := tc.sqlNodeWith(t, sqlnode.Config{PrivilegePollInterval: 20 * time.Millisecond})
	if !a.CreatedRoot() || b.CreatedRoot() {
		t.Fatalf("created root: A %v, B %v; want only A, the first", a.CreatedRoot(), b.CreatedRoot())
	}
	ctx := context.Background()
	rootA, err := dbA.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rootA.Close()
	run(t, rootA, a, append(appSchema,
		step{name: "create bob on A", sql: "CREATE USER bob IDENTIFIED BY 'bob-pw'", affected: -1},
		step{name: "grant on A", sql: "GRANT SELECT ON app.* TO bob", affected: -1},
	))
	bobB := mustConnectAs(t, b.Addr(), "bob", "bob-pw")
	run(t, bobB, b, []step{
		{name: "bob reads on B", sql: "SELECT v FROM app.t WHERE id = 2", rows: []string{"20"}},
		{name: "bob scans on B", sql: "SELECT COUNT(*) FROM app.t", rows: []string{"2"}},
		{name: "bob cannot write on B", sql: "DELETE FROM app.t WHERE id = 2", code: 1142},
	})
	run(t, rootA, a, []step{{name: "revoke on A", sql: "REVOKE SELECT ON app.* FROM bob", affected: -1}})
	// B's poll reloads within its interval; wait well beyond it.
	if err := waitErr(10*time.Second, func() error {
		_, err := query(ctx, bobB, "SELECT v FROM app.t WHERE id = 2")
		return err
	}); errNo(err) != 1044 {
		t.Fatalf("bob's point select on B after the REVOKE on A: %v, want 1044", err)
	}
	run(t, bobB, b, []step{{name: "revoked on B: scan", sql: "SELECT COUNT(*) FROM app.t", code: 1044}})
	run(t, rootA, a, []step{{name: "new password on A", sql: "ALTER USER bob IDENTIFIED BY 'bob-pw2'", affected: -1}})
	checkLogins(t, b.Addr(), []login{
		{"old password on B", "bob", "bob-pw", 1045},
		{"new password on B", "bob", "bob-pw2", 0},
	})

	// C polls once an hour: only its connections' checks and its own
	// writes read the cluster. Its root session opens now, before A's
	// next change, so C's next write is based on a stale version.
	dbC, c := tc.sqlNodeWith(t, sqlnode.Config{PrivilegePollInterval: time.Hour})
	rootC, err := dbC.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rootC.Close()
	run(t, rootA, a, []step{{name: "A creates x1", sql: "CREATE USER x1 IDENTIFIED BY 'p1'", affected: -1}})
	_, err = rootC.ExecContext(ctx, "CREATE USER x2 IDENTIFIED BY 'p2'")
	if err == nil || !strings.Contains(err.Error(), "changed by another SQL node") {
		t.Fatalf("C creating x2 on a stale version: %v, want the conflict error", err)
	}
	run(t, rootC, c, []step{
		{name: "C reloaded: x1 there", sql: "SELECT user FROM mysql.user WHERE user LIKE 'x%'", rows: []string{"x1"}},
		{name: "C creates x2 again", sql: "CREATE USER x2 IDENTIFIED BY 'p2'", affected: -1},
	})
	checkLogins(t, a.Addr(), []login{{"x1 on A", "x1", "p1", 0}, {"x2 on A", "x2", "p2", 0}})
	run(t, rootA, a, []step{{name: "A has both", sql: "SELECT user FROM mysql.user WHERE user LIKE 'x%' ORDER BY user", rows: []string{"x1", "x2"}}})
	if a.PrivilegeReloads() < 1 || b.PrivilegeReloads() < 2 {
		t.Errorf("privilege reloads: A %d, B %d; want A to have loaded C's change and B each of A's", a.PrivilegeReloads(), b.PrivilegeReloads())
	}
}

// waitErr calls f until it returns an error or the time is up; it returns
// the last error (nil: f never failed).
func waitErr(within time.Duration, f func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err != nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The first SQL node of a new cluster creates root: with the password it
// is given, or a generated one it reports; a later SQL node ignores its
// password (it never resets root's), and users outlive SQL node restarts
// since they are stored in the cluster.
func TestRootPassword(t *testing.T) {
	t.Run("given", func(t *testing.T) {
		tc := startCluster(t)
		srv := tc.startServer(t, sqlnode.Config{RootPassword: "first-pw"})
		if !srv.CreatedRoot() || srv.GeneratedRootPassword() != "" {
			t.Fatalf("created %v, generated %q; want created with the given password", srv.CreatedRoot(), srv.GeneratedRootPassword())
		}
		checkLogins(t, srv.Addr(), []login{
			{"given password", "root", "first-pw", 0},
			{"no password", "root", "", 1045},
		})
	})
	t.Run("generated, ignored, restarted", func(t *testing.T) {
		tc := startCluster(t)
		s1, stop1 := tc.startStoppable(t, sqlnode.Config{})
		pw := s1.GeneratedRootPassword()
		if !s1.CreatedRoot() || len(pw) != 20 {
			t.Fatalf("created %v, generated %q; want a created root with a 20-character password", s1.CreatedRoot(), pw)
		}
		s2, stop2 := tc.startStoppable(t, sqlnode.Config{RootPassword: "ignored-pw"})
		if s2.CreatedRoot() || s2.GeneratedRootPassword() != "" {
			t.Fatalf("second SQL node: created %v, generated %q; want neither", s2.CreatedRoot(), s2.GeneratedRootPassword())
		}
		checkLogins(t, s1.Addr(), []login{
			{"generated", "root", pw, 0},
			{"empty", "root", "", 1045},
		})
		checkLogins(t, s2.Addr(), []login{
			{"generated, on the second", "root", pw, 0},
			{"the ignored password", "root", "ignored-pw", 1045},
		})
		root := mustConnectAs(t, s1.Addr(), "root", pw)
		run(t, root, s1, []step{
			{name: "create carol", sql: "CREATE USER carol IDENTIFIED BY 'carol-pw'", affected: -1},
			{name: "grant carol", sql: "GRANT SELECT ON *.* TO carol", affected: -1},
		})
		root.Close()
		stop1()
		stop2()
		s3 := tc.startServer(t, sqlnode.Config{RootPassword: "third-pw"})
		if s3.CreatedRoot() {
			t.Fatal("a restarted SQL node created root again")
		}
		checkLogins(t, s3.Addr(), []login{
			{"carol after the restart", "carol", "carol-pw", 0},
			{"root after the restart", "root", pw, 0},
			{"the third's password", "root", "third-pw", 1045},
		})
		carol := mustConnectAs(t, s3.Addr(), "carol", "carol-pw")
		run(t, carol, s3, []step{{name: "carol's grant kept", sql: "SHOW GRANTS", rows: []string{"GRANT SELECT ON *.* TO `carol`@`%`"}}})
	})
}

// Privileges larger than a chunk are stored in several rows, read back
// whole by another SQL node, and rows no longer needed are deleted when
// they shrink.
func TestPrivilegesInChunks(t *testing.T) {
	t.Cleanup(sqlnode.SetPrivChunkBytes(100))
	tc := startCluster(t)
	dbA, a := tc.sqlNode(t)
	_, b := tc.sqlNode(t)
	ctx := context.Background()
	rootA, err := dbA.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rootA.Close()
	var steps []step
	for i := range 30 {
		steps = append(steps, step{name: "create", sql: fmt.Sprintf("CREATE USER u%02d IDENTIFIED BY 'pw%02d'", i, i), affected: -1})
	}
	run(t, rootA, a, steps)
	checkLogins(t, b.Addr(), []login{{"first on B", "u00", "pw00", 0}, {"last on B", "u29", "pw29", 0}, {"wrong on B", "u15", "pw14", 1045}})
	steps = steps[:0]
	for i := 1; i < 30; i++ {
		steps = append(steps, step{name: "drop", sql: fmt.Sprintf("DROP USER u%02d", i), affected: -1})
	}
	run(t, rootA, a, steps)
	checkLogins(t, b.Addr(), []login{{"kept on B", "u00", "pw00", 0}, {"dropped on B", "u29", "pw29", 1045}})
	rootB := mustConnectAs(t, b.Addr(), "root", testRootPassword)
	run(t, rootB, b, []step{{name: "users on B", sql: "SELECT user FROM mysql.user ORDER BY user", rows: []string{"root", "u00"}}})
}

// TestMariaDBClientUsers logs in with the mariadb command-line client
// (if installed) as a created user, and with a wrong password.
func TestMariaDBClientUsers(t *testing.T) {
	bin, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("no mariadb client installed")
	}
	tc := startCluster(t)
	db, srv := tc.sqlNode(t)
	for _, q := range []string{"CREATE DATABASE m", "CREATE TABLE m.t (id INT PRIMARY KEY)", "INSERT INTO m.t VALUES (7)",
		"CREATE USER u IDENTIFIED BY 'u-pw'", "GRANT SELECT ON m.* TO u"} {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	host, port, _ := strings.Cut(srv.Addr(), ":")
	tests := []struct {
		pw, sql string
		want    string // output, or the error text
		ok      bool
	}{
		{"u-pw", "SELECT id FROM m.t WHERE id = 7; SELECT CURRENT_USER()", "7\nu@%", true},
		{"u-pw", "INSERT INTO m.t VALUES (8)", "ERROR 1142 (42000)", false},
		{"bad", "SELECT 1", "ERROR 1045 (28000)", false},
	}
	for _, tt := range tests {
		out, err := exec.Command(bin, "-h", host, "-P", port, "-u", "u", "-p"+tt.pw, "--batch", "--skip-column-names", "-e", tt.sql).CombinedOutput()
		if got := strings.TrimSpace(string(out)); (err == nil) != tt.ok || !strings.Contains(got, tt.want) {
			t.Errorf("mariadb -u u -p%s -e %q: %v\n%s\nwant ok=%v and %q", tt.pw, tt.sql, err, got, tt.ok, tt.want)
		}
	}
}

// privRow is a row of the stored privileges' table.
type privRow struct {
	chunk, version uint64
	data           []byte
}

// privRows reads every row of the stored privileges through c.
func privRows(t *testing.T, c *ndbapi.Cluster) []privRow {
	t.Helper()
	ctx := context.Background()
	tbl, err := c.Table(ctx, "mysql/gondb_privileges")
	if err != nil {
		t.Fatal(err)
	}
	ndb, err := c.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	tx, err := ndb.StartTransaction(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	s, err := tx.ScanTable(tbl, ndbapi.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []privRow
	for r, ok := s.Next(); ok; r, ok = s.Next() {
		out = append(out, privRow{r.Uint64(0), r.Uint64(1), bytes.Clone(r.Raw(2))})
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// writePrivRows writes rows into the stored privileges' table through c,
// deleting the rows not among them: the table as it was when they were
// read.
func writePrivRows(t *testing.T, c *ndbapi.Cluster, rows []privRow) {
	t.Helper()
	ctx := context.Background()
	tbl, err := c.Table(ctx, "mysql/gondb_privileges")
	if err != nil {
		t.Fatal(err)
	}
	keep := map[uint64]bool{}
	for _, r := range rows {
		keep[r.chunk] = true
	}
	now := privRows(t, c)
	ndb, err := c.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	err = ndbapi.RunTransaction(ctx, ndb, nil, nil, func(tx *ndbapi.Transaction) error {
		rb := tbl.NewRowBuilder()
		for _, r := range now {
			if !keep[r.chunk] {
				rb.Reset()
				rb.SetUint64(0, r.chunk)
				tx.Delete(tbl, rb)
			}
		}
		for _, r := range rows {
			rb.Reset()
			rb.SetUint64(0, r.chunk)
			rb.SetUint64(1, r.version)
			if err := rb.SetBytes(2, r.data); err != nil {
				return err
			}
			tx.Write(tbl, rb)
		}
		return nil
	}, ndbapi.DefaultRetryPolicy())
	if err != nil {
		t.Fatal(err)
	}
}

// When the cluster's privileges go back (a system restart that lost the
// last change, simulated by writing an older copy of the rows back), a SQL
// node follows them back; and a SQL node that held the lost change tells
// it apart from a different change stored later under the same version.
func TestPrivilegesGoBack(t *testing.T) {
	tc := startCluster(t)
	dbA, a := tc.sqlNodeWith(t, sqlnode.Config{PrivilegePollInterval: 20 * time.Millisecond})
	ctx := context.Background()
	rootA, err := dbA.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rootA.Close()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts := ndbapi.DefaultTestOptions()
	opts.Client = client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
	c, err := ndbapi.Connect(cctx, tc.mc.ConnectString, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	run(t, rootA, a, []step{{name: "create p1", sql: "CREATE USER p1 IDENTIFIED BY 'p1-pw'", affected: -1}})
	older := privRows(t, c)
	run(t, rootA, a, []step{{name: "create p2", sql: "CREATE USER p2 IDENTIFIED BY 'p2-pw'", affected: -1}})
	// B loads the version with p2 and then only checks at connections.
	_, b := tc.sqlNodeWith(t, sqlnode.Config{PrivilegePollInterval: time.Hour})
	checkLogins(t, b.Addr(), []login{{"p2 on B", "p2", "p2-pw", 0}})

	writePrivRows(t, c, older)
	checkLogins(t, a.Addr(), []login{{"p2 gone on A", "p2", "p2-pw", 1045}, {"p1 on A", "p1", "p1-pw", 0}})
	run(t, rootA, a, []step{{name: "create p3", sql: "CREATE USER p3 IDENTIFIED BY 'p3-pw'", affected: -1}})
	if got, want := privRows(t, c)[0].version, older[0].version+1; got != want {
		t.Fatalf("stored version %d, want %d (the lost change's)", got, want)
	}
	checkLogins(t, b.Addr(), []login{{"p3 on B", "p3", "p3-pw", 0}, {"p2 gone on B", "p2", "p2-pw", 1045}})
}

// Two SQL nodes starting at once on a new cluster race to create the
// privileges table and root: exactly one creates root, and both take its
// password.
func TestRootRace(t *testing.T) {
	tc := startCluster(t)
	type started struct {
		srv *sqlnode.Server
		err error
	}
	res := make([]started, 2)
	var wg sync.WaitGroup
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			opts := ndbapi.DefaultTestOptions()
			opts.Client = client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
			c, err := ndbapi.Connect(ctx, tc.mc.ConnectString, opts)
			if err != nil {
				res[i].err = err
				return
			}
			srv, err := sqlnode.New(c, sqlnode.Config{Addr: "127.0.0.1:0", Logger: mgmtest.QuietLogger(), RootPassword: fmt.Sprintf("pw%d", i)})
			if err != nil {
				c.Close()
				res[i].err = err
				return
			}
			served := make(chan error, 1)
			go func() { served <- srv.Serve() }()
			t.Cleanup(func() { srv.Close(); <-served; c.Close() })
			res[i].srv = srv
		}()
	}
	wg.Wait()
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("SQL node %d: %v", i, r.err)
		}
	}
	won := -1
	for i, r := range res {
		if r.srv.CreatedRoot() {
			if won >= 0 {
				t.Fatal("both SQL nodes created root")
			}
			won = i
		}
	}
	if won < 0 {
		t.Fatal("neither SQL node created root")
	}
	winner, loser := fmt.Sprintf("pw%d", won), fmt.Sprintf("pw%d", 1-won)
	for _, r := range res {
		checkLogins(t, r.srv.Addr(), []login{{"winner's password", "root", winner, 0}, {"loser's password", "root", loser, 1045}})
	}
}
