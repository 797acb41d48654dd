package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
)

func TestMain(m *testing.M) {
	slog.SetDefault(mgmtest.QuietLogger())
	mgmtest.Main(m)
}

// mgm runs `gondb mgm args...` and returns its exit code and output.
func mgm(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"mgm", "--wait", "5s", "--timeout", "3s", "--history-file", ""}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func mustMgm(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := mgm(t, args...)
	if code != 0 {
		t.Fatalf("gondb mgm %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errs)
	}
	return out
}

func showOutput(addr string, node2, node3 string) string {
	return fmt.Sprintf(`Connected to Management Server at: %s
Cluster Configuration
---------------------
[ndbd(NDB)]	2 node(s)
id=2	@127.0.0.1  (gondb-test, %sNodegroup: 0)
id=3	@127.0.0.1  (gondb-test, %sNodegroup: 0)

[ndb_mgmd(MGM)]	1 node(s)
id=1	@127.0.0.1  (gondb-test)

[mysqld(API)]	3 node(s)
id=4 (not connected, accepting connect from any host)
id=5 (not connected, accepting connect from any host)
id=6 (not connected, accepting connect from any host)

`, addr, node2, node3)
}

// SHOW lays the cluster out as ndb_mgm does; 2 STOP reaches node 2,
// which reports stopped, and SHOW says so; 2 START brings it back.
func TestMgmShowStopStart(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	d2 := mgmtest.StartDataNode(t, c.ConnectString, 2, true)
	mgmtest.StartDataNode(t, c.ConnectString, 3, true)
	addr := c.Addrs[0]

	if got, want := mustMgm(t, "-c", addr, "-e", "SHOW"), showOutput(addr, "", ""); got != want {
		t.Fatalf("SHOW:\n%s\nwant:\n%s", got, want)
	}
	if got := mustMgm(t, "-c", addr, "-e", "2 STOP"); !strings.Contains(got, "Node 2 has shutdown.\n") {
		t.Fatalf("2 STOP:\n%s", got)
	}
	if cmds := d2.Commands(); len(cmds) != 1 || cmds[0].Name != mgmapi.CmdStop {
		t.Fatalf("node 2 got %+v", cmds)
	}
	if got, want := mustMgm(t, "-c", addr, "-e", "show"), showOutput(addr, "not started, ", ""); got != want {
		t.Fatalf("SHOW after 2 STOP:\n%s\nwant:\n%s", got, want)
	}
	if got := mustMgm(t, "-c", addr, "-e", "2 status"); !strings.Contains(got, "Node 2: not started (gondb-test)\n") {
		t.Fatalf("2 STATUS:\n%s", got)
	}
	if got := mustMgm(t, "-c", addr, "-e", "2 START"); !strings.Contains(got, "Database node 2 is being started.\nNode 2: Started\n") {
		t.Fatalf("2 START:\n%s", got)
	}
	if cmds := d2.Commands(); len(cmds) != 2 || cmds[1].Name != mgmapi.CmdStart {
		t.Fatalf("node 2 got %+v", cmds)
	}
	if got, want := mustMgm(t, addr, "-e", "SHOW"), showOutput(addr, "", ""); got != want {
		t.Fatalf("SHOW after 2 START (connect string as argument):\n%s\nwant:\n%s", got, want)
	}
}

func TestMgmCommands(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	mgmtest.StartDataNode(t, c.ConnectString, 2, true)
	d3 := mgmtest.StartDataNode(t, c.ConnectString, 3, false) // connected, not started
	_ = d3
	addr := c.Addrs[0]
	tests := []struct {
		cmd      string
		code     int
		inStdout []string
		inStderr string
	}{
		{"ALL STATUS", 0, []string{"Node 2: started (gondb-test)\nNode 3: not started (gondb-test)\n"}, ""},
		{"1 STATUS", 0, []string{"Node 1: connected (gondb-test)\n"}, ""},
		{"5 STATUS", 0, []string{"Node 5: not connected\n"}, ""},
		{"ALL REPORT MEMORYUSAGE", 0, []string{
			"Node 2: Data usage is 5%(177 32K pages of total 3200)\n",
			"Node 2: Index usage is 0%(108 8K pages of total 12832)\n"}, ""},
		{"3 RESTART -n", 0, []string{"Node 3 is being restarted\nNode 3: Node shutdown completed, restarting, no start.\n"}, ""},
		{"CLUSTERLOG 100", 0, []string{"[MgmtSrvr] INFO     -- Node 2: Started (gondb-test)\n", "Node 3: RESTART -n requested"}, ""},
		{"HELP", 0, []string{"SHOW                                   Print information about the cluster"}, ""},
		{"2 START", 1, nil, "node 2 is started; START starts a node that is not started"},
		{"5 STOP", 1, nil, "node 5 is a api node"},
		{"99 STOP", 1, nil, "node 99 is not in the configuration"},
		{"2 RESTART -x", 1, nil, `unknown option "-x" (allowed: -a -n -i)`},
		{"2 REPORT BACKUPSTATUS", 1, nil, "REPORT takes MEMORYUSAGE"},
		{"FROB", 1, nil, "invalid command: FROB (type HELP for help)"},
		{"SHOW; FROB; 1 STATUS", 1, []string{"Cluster Configuration", "Node 1: connected"}, "invalid command: FROB"},
		{"QUIT", 0, nil, ""},
	}
	for _, tt := range tests {
		code, out, errs := mgm(t, "-c", addr, "-e", tt.cmd)
		if code != tt.code || !strings.Contains(errs, tt.inStderr) {
			t.Errorf("%q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.cmd, code, tt.code, out, errs)
			continue
		}
		for _, w := range tt.inStdout {
			if !strings.Contains(out, w) {
				t.Errorf("%q: stdout lacks %q:\n%s", tt.cmd, w, out)
			}
		}
		if tt.code != 0 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%q: the reason is not one line:\n%s", tt.cmd, errs)
		}
	}
}

func TestMgmFlags(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"mgm", "--help"}, 0, "usage: gondb mgm", ""},
		{[]string{"mgm", "--bogus"}, 1, "", "gondb mgm: flag provided but not defined: -bogus"},
		{[]string{"mgm", "-c", "a:1:2", "-e", "SHOW"}, 1, "", `connect string "a:1:2"`},
		{[]string{"mgm", "-c", "127.0.0.1:1", "--timeout", "1s", "-e", "SHOW"}, 1, "", "no management server answered (127.0.0.1:1:"},
		{[]string{"mgm", "a:1", "b:2"}, 1, "", `unexpected argument "b:2"`},
		{[]string{"mgm", "--wait", "-1s"}, 1, "", "--wait must not be negative"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("gondb %v: exit %d\nstdout %q\nstderr %q", tt.args, code, out.String(), errb.String())
		}
		if code != 0 && strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
			t.Errorf("gondb %v: the reason is not one line: %q", tt.args, errb.String())
		}
	}
}

// Without -e, commands come from stdin (here a pipe, so no editing) and
// go to the history file.
func TestMgmInteractive(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	old := mgmStdin
	mgmStdin = r
	defer func() { mgmStdin = old }()
	fmt.Fprint(w, "show\n\n1 status\nnope\nquit\nSHOW\n")
	w.Close()
	hist := filepath.Join(t.TempDir(), "hist")
	var out, errb bytes.Buffer
	code := run([]string{"mgm", "-c", c.Addrs[0], "--history-file", hist}, &out, &errb)
	if code != 1 || strings.Count(out.String(), "Cluster Configuration") != 1 || !strings.Contains(out.String(), "Node 1: connected") ||
		!strings.Contains(errb.String(), "* invalid command: nope") || !strings.Contains(errb.String(), "1 command(s) failed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	b, err := os.ReadFile(hist)
	if err != nil || string(b) != "show\n1 status\nnope\nquit\n" {
		t.Fatalf("history file %q, %v", b, err)
	}
}

// The client fails over along the connect string.
func TestMgmFailover(t *testing.T) {
	endpoints := mgmtest.ExternalEtcd(t)
	c := mgmtest.Start(t, mgmtest.Options{MgmNodes: 2, Endpoints: endpoints})
	c.StopServer(0)
	out := mustMgm(t, "-c", c.ConnectString, "-e", "SHOW")
	if !strings.Contains(out, "Connected to Management Server at: "+c.Addrs[1]) ||
		!strings.Contains(out, "id=1 (not connected, accepting connect from 127.0.0.1)") ||
		!strings.Contains(out, "id=2\t@127.0.0.1  (gondb-test)") {
		t.Fatalf("SHOW through the second server:\n%s", out)
	}
}
