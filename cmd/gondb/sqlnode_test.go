package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Bad gondb sqlnode flags end it with status 1 and a one-line reason,
// before it connects; --help lists every flag.
func TestSQLNodeFlags(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"sqlnode", "--help"}, 0, "-auto-increment-prefetch", ""},
		{[]string{"sqlnode", "--help"}, 0, "-no-fast-path", ""},
		{[]string{"sqlnode", "--help"}, 0, "-root-password", ""},
		{[]string{"sqlnode", "--help"}, 0, "-tls-cert", ""},
		{[]string{"sqlnode", "--help"}, 0, "-tls-key", ""},
		{[]string{"sqlnode", "--help"}, 0, "-require-secure-transport", ""},
		{[]string{"demo", "--help"}, 0, "-root-password", ""},
		{[]string{"sqlnode", "--auto-increment-prefetch", "0"}, 1, "", "gondb sqlnode: --auto-increment-prefetch 0 out of range (allowed 1..65536)"},
		{[]string{"sqlnode", "--auto-increment-prefetch", "65537"}, 1, "", "--auto-increment-prefetch 65537 out of range"},
		{[]string{"sqlnode", "--auto-increment-prefetch", "x"}, 1, "", "invalid value \"x\" for flag -auto-increment-prefetch"},
		{[]string{"sqlnode", "--no-fast-path=maybe"}, 1, "", "invalid boolean value \"maybe\" for -no-fast-path"},
		{[]string{"sqlnode", "--port", "70000"}, 1, "", "--port 70000 out of range"},
		{[]string{"sqlnode", "--no-fast-path", "extra"}, 1, "", `unexpected argument "extra"`},
		{[]string{"sqlnode", "--tls-cert", "c.pem"}, 1, "", "gondb sqlnode: --tls-cert and --tls-key go together"},
		{[]string{"sqlnode", "--tls-key", "k.pem"}, 1, "", "--tls-cert and --tls-key go together"},
		{[]string{"sqlnode", "--require-secure-transport"}, 1, "", "--require-secure-transport needs --tls-cert and --tls-key"},
		{[]string{"sqlnode", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"}, 1, "", "--tls-cert/--tls-key: open /nonexistent/c.pem"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("gondb %v: code %d\nstdout %q\nstderr %q", tt.args, code, out.String(), errb.String())
		}
	}
}

var (
	rootPasswordRE = regexp.MustCompile(`(?m)^root password: (\S+)$`)
	demoSQLLineRE  = regexp.MustCompile(`(?m)^  sql: .*-u root (.*)\)$`)
)

// gondb demo on a new cluster creates root with a generated password,
// prints it once on stderr and in its example command; started again on
// its datadir with --root-password, it keeps root's password (the flag
// applies to a new cluster only) and says so.
func TestDemoRootPassword(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs gondb demo twice")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "demo")
	demo := startProcess(t, bin, "demo", "demo", "--datadir", dir)
	m := demo.waitFor(t, demoReadyRE, 60*time.Second)
	pw := rootPasswordRE.FindStringSubmatch(demo.err.String())
	if pw == nil || len(pw[1]) != 20 {
		t.Fatalf("stderr has no root password line:\n%s", demo.err.String())
	}
	if n := strings.Count(demo.err.String(), pw[1]); n != 1 {
		t.Errorf("the password appears %d times on stderr, want once:\n%s", n, demo.err.String())
	}
	if l := demoSQLLineRE.FindStringSubmatch(demo.out.String()); l == nil || l[1] != "-p"+pw[1] {
		t.Errorf("sql line %q, want -u root -p%s", l, pw[1])
	}
	checkSQLLogin(t, m[3], "root", pw[1], 0)
	checkSQLLogin(t, m[3], "root", "", 1045)
	if code := demo.stop(t, os.Interrupt); code != 0 {
		t.Fatalf("demo exited %d on SIGINT", code)
	}

	demo = startProcess(t, bin, "demo again", "demo", "--datadir", dir, "--root-password", "other-pw")
	m = demo.waitFor(t, demoReadyRE, 60*time.Second)
	if rootPasswordRE.MatchString(demo.err.String()) {
		t.Errorf("restarted demo printed a root password:\n%s", demo.err.String())
	}
	if l := demoSQLLineRE.FindStringSubmatch(demo.out.String()); l == nil || !strings.Contains(l[1], "--root-password was ignored") {
		t.Errorf("sql line %q, want it to say --root-password was ignored", l)
	}
	checkSQLLogin(t, m[3], "root", pw[1], 0)
	checkSQLLogin(t, m[3], "root", "other-pw", 1045)
	if code := demo.stop(t, os.Interrupt); code != 0 {
		t.Fatalf("demo exited %d on SIGINT", code)
	}
}

// checkSQLLogin connects to the SQL node at addr as user: refused with
// MySQL error code, or (code 0) accepted.
func checkSQLLogin(t *testing.T, addr, user, pw string, code uint16) {
	t.Helper()
	dsn := mysql.NewConfig()
	dsn.User, dsn.Passwd, dsn.Net, dsn.Addr, dsn.Timeout = user, pw, "tcp", addr, 10*time.Second
	db, err := sql.Open("mysql", dsn.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var who string
	err = db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&who)
	var me *mysql.MySQLError
	switch {
	case code == 0 && (err != nil || who != user+"@%"):
		t.Errorf("%s with password %q: %q, %v; want accepted", user, pw, who, err)
	case code != 0 && (!errors.As(err, &me) || me.Number != code):
		t.Errorf("%s with password %q: %v; want MySQL error %d", user, pw, err, code)
	}
}
