package sqlnode_test

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSysbench runs sysbench's OLTP tests of issue 9's acceptance through
// the SQL node, if sysbench is installed: prepare (a table with its
// secondary index), then oltp_point_select with and without server-side
// prepared statements, oltp_read_only, oltp_read_write, oltp_insert and
// oltp_delete, 2 threads for 2 s each. Each must exit cleanly and commit
// transactions; sysbench itself stops at the first error it does not
// ignore (it ignores deadlocks and lock wait time-outs, which it retries).
func TestSysbench(t *testing.T) {
	bin, err := exec.LookPath("sysbench")
	if err != nil {
		t.Skip("sysbench is not installed (apt-get install sysbench)")
	}
	tc := startCluster(t)
	db, srv := tc.sqlNode(t)
	if _, err := db.Exec("CREATE DATABASE sbtest"); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(srv.Addr(), ":")
	common := []string{"--db-driver=mysql", "--mysql-host=" + host, "--mysql-port=" + port,
		"--mysql-user=root", "--mysql-password=" + testRootPassword, "--mysql-db=sbtest",
		"--tables=1", "--table-size=1000"}
	sysbench := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(args, common...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("sysbench %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	sysbench("oltp_read_write", "prepare")
	txs := regexp.MustCompile(`transactions:\s+(\d+)`)
	ignored := regexp.MustCompile(`ignored errors:\s+(\d+)`)
	for _, tt := range []struct{ test, psMode string }{
		{"oltp_point_select", "auto"},
		{"oltp_point_select", "disable"},
		{"oltp_read_only", "auto"},
		{"oltp_read_write", "auto"},
		{"oltp_insert", "auto"},
		{"oltp_delete", "auto"},
	} {
		out := sysbench(tt.test, "run", "--threads=2", "--time=2", "--db-ps-mode="+tt.psMode)
		m := txs.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s (ps-mode %s): no transaction count in\n%s", tt.test, tt.psMode, out)
		}
		n, _ := strconv.Atoi(m[1])
		if n == 0 {
			t.Errorf("%s (ps-mode %s): no transaction committed\n%s", tt.test, tt.psMode, out)
		}
		ign := "0"
		if m := ignored.FindStringSubmatch(out); m != nil {
			ign = m[1]
		}
		t.Logf("%s (ps-mode %s): %d transactions in 2 s, %s ignored errors (deadlocks, lock wait time-outs)", tt.test, tt.psMode, n, ign)
	}
}
