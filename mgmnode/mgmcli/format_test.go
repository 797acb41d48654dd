package mgmcli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
)

var cluster = []mgmapi.NodeInfo{
	{NodeID: 1, Type: mgmapi.TypeMgm, Host: "10.0.0.1", Status: mgmapi.StatusStarted, NodeGroup: -1, Version: "gondb-1.0"},
	{NodeID: 2, Type: mgmapi.TypeData, Host: "10.0.0.2", Status: mgmapi.StatusStarted, NodeGroup: 0, Version: "gondb-1.0", Master: true,
		Memory: []mgmapi.MemoryUsage{{Resource: "Data", Used: 177, Total: 3200, PageSize: 32768}, {Resource: "Hash", Used: 10, Total: 40}}},
	{NodeID: 3, Type: mgmapi.TypeData, Host: "10.0.0.3", Status: mgmapi.StatusStarting, StartPhase: 4, NodeGroup: 0, Version: "gondb-1.0"},
	{NodeID: 4, Type: mgmapi.TypeData, ConfigHost: "db4", Status: mgmapi.StatusNotConnected, NodeGroup: 1},
	{NodeID: 5, Type: mgmapi.TypeData, Host: "10.0.0.5", Status: mgmapi.StatusNotStarted, NodeGroup: 1},
	{NodeID: 6, Type: mgmapi.TypeSQL, Host: "10.0.0.9", Status: mgmapi.StatusStarted, NodeGroup: -1, Version: "gondb-1.0"},
	{NodeID: 7, Type: mgmapi.TypeAPI, Status: mgmapi.StatusNotConnected, NodeGroup: -1},
}

func TestWriteShow(t *testing.T) {
	var b bytes.Buffer
	WriteShow(&b, cluster)
	want := "Cluster Configuration\n" +
		"---------------------\n" +
		"[ndbd(NDB)]\t4 node(s)\n" +
		"id=2\t@10.0.0.2  (gondb-1.0, Nodegroup: 0, *)\n" +
		"id=3\t@10.0.0.3  (gondb-1.0, starting, Nodegroup: 0)\n" +
		"id=4 (not connected, accepting connect from db4)\n" +
		"id=5\t@10.0.0.5  (gondb, not started, Nodegroup: 1)\n" +
		"\n" +
		"[ndb_mgmd(MGM)]\t1 node(s)\n" +
		"id=1\t@10.0.0.1  (gondb-1.0)\n" +
		"\n" +
		"[mysqld(API)]\t2 node(s)\n" +
		"id=6\t@10.0.0.9  (gondb-1.0)\n" +
		"id=7 (not connected, accepting connect from any host)\n" +
		"\n"
	if b.String() != want {
		t.Fatalf("SHOW:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteStatusAndMemory(t *testing.T) {
	var b bytes.Buffer
	for _, n := range cluster {
		WriteStatus(&b, n)
	}
	want := "Node 1: connected (gondb-1.0)\n" +
		"Node 2: started (gondb-1.0)\n" +
		"Node 3: starting (Last completed phase 4) (gondb-1.0)\n" +
		"Node 4: not connected\n" +
		"Node 5: not started (gondb)\n" +
		"Node 6: connected (gondb-1.0)\n" +
		"Node 7: not connected\n"
	if b.String() != want {
		t.Fatalf("STATUS:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	for _, n := range cluster[1:5] {
		WriteMemoryUsage(&b, n)
	}
	want = "Node 2: Data usage is 5%(177 32K pages of total 3200)\n" +
		"Node 2: Hash usage is 25%(10 bytes of total 40)\n" +
		"Node 3: no memory usage reported\n" +
		"Node 4: not connected\n" +
		"Node 5: no memory usage reported\n"
	if b.String() != want {
		t.Fatalf("REPORT MEMORYUSAGE:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteMemoryUsage(&b, mgmapi.NodeInfo{NodeID: 9, Status: mgmapi.StatusStarted,
		Memory: []mgmapi.MemoryUsage{{Resource: "Data", Used: 0, Total: 0, PageSize: 100}}})
	if b.String() != "Node 9: Data usage is 0%(0 100-byte pages of total 0)\n" {
		t.Fatalf("odd page size, zero total: %q", b.String())
	}
}

func TestWriteClusterLog(t *testing.T) {
	var b bytes.Buffer
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.Local)
	WriteClusterLog(&b, []mgmapi.LogEvent{
		{Time: at, Severity: mgmapi.SeverityInfo, Text: "Node 2: Started (gondb-1.0)"},
		{Time: at, Severity: mgmapi.SeverityWarning, Text: "Node 3: disconnected"},
	})
	want := "2025-03-04 05:06:07 [MgmtSrvr] INFO     -- Node 2: Started (gondb-1.0)\n" +
		"2025-03-04 05:06:07 [MgmtSrvr] WARNING  -- Node 3: disconnected\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// Commands that fail to parse never reach the server (Conn is nil here).
func TestParseErrors(t *testing.T) {
	in := &Interpreter{Out: new(bytes.Buffer)}
	tests := []struct {
		line string
		err  string
	}{
		{"", ""},
		{"   ;  ", ""},
		{"help", ""},
		{"quit", "quit"},
		{"Exit", "quit"},
		{"bogus", "invalid command: bogus"},
		{"SHOW me", "invalid command: SHOW me"},
		{"0 STOP", "invalid command: 0 STOP"},
		{"256 STOP", "invalid command: 256 STOP"},
		{"2", "invalid command: 2"},
		{"2 FLY", "invalid command: 2 FLY"},
		{"ALL STATUS now", "invalid command"},
		{"2 STOP -n", `STOP: unknown option "-n" (allowed: -a)`},
		{"2 RESTART -q", `RESTART: unknown option "-q" (allowed: -a -n -i)`},
		{"2 START -i", "invalid command"},
		{"2 REPORT", "REPORT takes MEMORYUSAGE"},
		{"CLUSTERLOG ON", "CLUSTERLOG [<n>|ALL]"},
		{"CLUSTERLOG 1 2", "CLUSTERLOG [<n>|ALL]"},
		{"SHUTDOWN now", "invalid command"},
	}
	for _, tt := range tests {
		err := in.Execute(context.Background(), tt.line)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%q: %v, want %q", tt.line, err, tt.err)
		}
	}
	if !strings.Contains(in.Out.(*bytes.Buffer).String(), "gondb -- management client -- Help") {
		t.Error("HELP printed nothing")
	}
}
