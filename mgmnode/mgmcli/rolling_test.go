package mgmcli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
)

func TestMain(m *testing.M) {
	mgmtest.Main(m)
}

// STATUS and SHOW of a node whose node restart copies its replicas.
func TestWriteStatusNodeRestart(t *testing.T) {
	n := func(p *mgmapi.NodeRestartProgress, phase int) mgmapi.NodeInfo {
		return mgmapi.NodeInfo{NodeID: 2, Type: mgmapi.TypeData, Host: "10.0.0.2", Status: mgmapi.StatusStarting, StartPhase: phase,
			NodeGroup: 0, Version: "gondb-1.0", NodeRestart: p}
	}
	tests := []struct {
		node       mgmapi.NodeInfo
		status     string
		showSuffix string
	}{
		{n(nil, 2), "Node 2: starting (Last completed phase 2) (gondb-1.0)\n", "(gondb-1.0, starting, Nodegroup: 0)"},
		{n(&mgmapi.NodeRestartProgress{Step: "emptying"}, 3),
			"Node 2: starting (Last completed phase 3) (node restart: emptying) (gondb-1.0)\n",
			"(gondb-1.0, starting, node restart: emptying, Nodegroup: 0)"},
		{n(&mgmapi.NodeRestartProgress{Step: "copying", FragmentsCopied: 5, Fragments: 12, RowsCopied: 20480}, 3),
			"Node 2: starting (Last completed phase 3) (node restart: copying, 5 of 12 fragments, 41%, 20480 rows) (gondb-1.0)\n",
			"(gondb-1.0, starting, node restart: copying 41%, Nodegroup: 0)"},
		{n(&mgmapi.NodeRestartProgress{Step: "copying", Fragments: 8}, 3),
			"Node 2: starting (Last completed phase 3) (node restart: copying, 0 of 8 fragments, 0%) (gondb-1.0)\n",
			"(gondb-1.0, starting, node restart: copying 0%, Nodegroup: 0)"},
		{n(&mgmapi.NodeRestartProgress{Step: "finishing", FragmentsCopied: 8, Fragments: 8, RowsCopied: 1}, 3),
			"Node 2: starting (Last completed phase 3) (node restart: finishing, 8 of 8 fragments, 100%, 1 rows) (gondb-1.0)\n",
			"(gondb-1.0, starting, node restart: finishing 100%, Nodegroup: 0)"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		WriteStatus(&b, tt.node)
		if b.String() != tt.status {
			t.Errorf("STATUS %+v:\n%q\nwant\n%q", tt.node.NodeRestart, b.String(), tt.status)
		}
		if got, want := showLine(tt.node), "id=2\t@10.0.0.2  "+tt.showSuffix; got != want {
			t.Errorf("SHOW %+v:\n%q\nwant\n%q", tt.node.NodeRestart, got, want)
		}
	}
}

// The progress lines of a rolling restart, from successive states.
func TestRollingPrinter(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	starting := func(id uint32, phase int, p *mgmapi.NodeRestartProgress) mgmapi.NodeInfo {
		return mgmapi.NodeInfo{NodeID: id, Type: mgmapi.TypeData, Status: mgmapi.StatusStarting, StartPhase: phase, NodeRestart: p}
	}
	copying := func(n int) *mgmapi.NodeRestartProgress {
		return &mgmapi.NodeRestartProgress{Step: "copying", FragmentsCopied: n, Fragments: 4}
	}
	r := &mgmapi.RollingRestart{ID: 1, MgmNodeID: 1, Began: t0, Nodes: []mgmapi.RollingNode{
		{NodeID: 3, State: mgmapi.RollingWaiting}, {NodeID: 4, State: mgmapi.RollingSkipped, Note: "not connected"},
		{NodeID: 2, State: mgmapi.RollingWaiting}}}
	var b bytes.Buffer
	p := &rollingPrinter{w: &b}
	step := func(elapsed float64, nodes ...mgmapi.NodeInfo) {
		p.update(r, nodes, time.Duration(elapsed*float64(time.Second)))
	}
	step(0)
	r.Nodes[0].State, r.Nodes[0].Began = mgmapi.RollingRestarting, at(0.1)
	step(0.2, mgmapi.NodeInfo{NodeID: 3, Type: mgmapi.TypeData, Status: mgmapi.StatusStopping})
	step(0.4, starting(3, 2, nil))
	step(0.6, starting(3, 3, &mgmapi.NodeRestartProgress{Step: "emptying"}))
	step(0.8, starting(3, 3, copying(1)))
	step(1.0, starting(3, 3, copying(2))) // within a second of the last line of this step: quiet
	step(1.9, starting(3, 3, copying(3)))
	step(2.0, starting(3, 3, copying(3))) // no change
	step(2.1, starting(3, 4, nil))        // a new phase: at once
	r.Nodes[0].State, r.Nodes[0].Ended = mgmapi.RollingStarted, at(2.3)
	r.Nodes[2].State, r.Nodes[2].Began = mgmapi.RollingRestarting, at(2.3)
	step(2.4, mgmapi.NodeInfo{NodeID: 3, Type: mgmapi.TypeData, Status: mgmapi.StatusStarted},
		mgmapi.NodeInfo{NodeID: 2, Type: mgmapi.TypeData, Status: mgmapi.StatusNotStarted})
	// The node's whole restart between two reads: no progress lines.
	r.Nodes[2].State, r.Nodes[2].Ended = mgmapi.RollingStarted, at(4.0)
	r.Ended = at(4.0)
	step(4.1)
	step(4.2) // nothing more
	want := "Rolling restart of data nodes 3, 2, one at a time (NodeFailover is on): each is restarted once the other nodes of its node group are started, the next once it is started again.\n" +
		"Node 4: not connected; not restarted.\n" +
		"Node 3 is being restarted (1 of 2) [+0.2s]\n" +
		"Node 3: shutting down [+0.2s]\n" +
		"Node 3: starting (Last completed phase 2) [+0.4s]\n" +
		"Node 3: starting (Last completed phase 3) (node restart: emptying) [+0.6s]\n" +
		"Node 3: starting (Last completed phase 3) (node restart: copying, 1 of 4 fragments, 25%) [+0.8s]\n" +
		"Node 3: starting (Last completed phase 3) (node restart: copying, 3 of 4 fragments, 75%) [+1.9s]\n" +
		"Node 3: starting (Last completed phase 4) [+2.1s]\n" +
		"Node 3: Started (restarted in 2.2s) [+2.4s]\n" +
		"Node 2 is being restarted (2 of 2) [+2.4s]\n" +
		"Node 2: not started [+2.4s]\n" +
		"Node 2: Started (restarted in 1.7s) [+4.1s]\n" +
		"Rolling restart done: 2 data node(s) restarted in 4s.\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	// A failure ends it with the reason.
	b.Reset()
	r = &mgmapi.RollingRestart{ID: 2, MgmNodeID: 1, Began: t0, Nodes: []mgmapi.RollingNode{{NodeID: 2, State: mgmapi.RollingWaiting}}}
	p = &rollingPrinter{w: &b}
	step(0)
	r.Nodes[0].State, r.Nodes[0].Note = mgmapi.RollingFailed, "not restarted: after 2m0s node 3 of its node group 0 is not connected"
	r.Ended, r.Error = at(120), "node 2: "+r.Nodes[0].Note
	step(120)
	if !strings.HasSuffix(b.String(), "Node 2: rolling restart failed: not restarted: after 2m0s node 3 of its node group 0 is not connected [+120.0s]\n"+
		"Rolling restart stopped after 2m0s: 0 data node(s) restarted.\n") {
		t.Fatalf("failure:\n%s", b.String())
	}
}

// ALL RESTART through the interpreter against management servers with
// fake data nodes: with NodeFailover a rolling restart, followed to its
// end; without, every node at once with a note.
func TestInterpreterRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs management servers (about 2 s)")
	}
	c := mgmtest.Start(t, mgmtest.Options{DataNodes: 2, DataNodeDefaults: "NodeFailover=true"})
	for _, id := range c.DataNodeIDs {
		// A start's copy phase lasts StartTime/4 x 5/4 (600 ms here): longer
		// than the interpreter's rollingPoll, so it sees the copying step.
		mgmtest.StartDataNodeWith(t, c.ConnectString, id, mgmtest.DataNodeOptions{Start: true, StartTime: 2 * time.Second, NodeRestart: true})
	}
	run := func(connect, line string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn, err := client.Dial(ctx, connect, client.Options{Logger: mgmtest.QuietLogger(), ConnectTimeout: time.Second, CallTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var b bytes.Buffer
		in := &Interpreter{Conn: conn, Out: &b, Wait: 10 * time.Second, CallTimeout: 3 * time.Second}
		err = in.Execute(ctx, line)
		return b.String(), err
	}
	out, err := run(c.ConnectString, "ALL RESTART")
	if err != nil {
		t.Fatalf("ALL RESTART: %v\n%s", err, out)
	}
	for _, re := range []string{
		`(?m)^Executing RESTART on all nodes\.\nRolling restart of data nodes 2, 3, one at a time`,
		`(?m)^Node 2 is being restarted \(1 of 2\) \[\+\d+\.\ds\]$`,
		`(?m)^Node 2: starting \(Last completed phase 3\) \(node restart: copying, \d of 4 fragments, \d+%(, \d+ rows)?\) \[\+\d+\.\ds\]$`,
		`(?m)^Node 2: Started \(restarted in [0-9.]+m?s\) \[\+\d+\.\ds\]\nNode 3 is being restarted \(2 of 2\)`,
		`(?m)^Node 3: Started \(restarted in [0-9.]+m?s\) \[\+\d+\.\ds\]\nRolling restart done: 2 data node\(s\) restarted in [0-9.]+m?s\.\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("ALL RESTART output lacks %s:\n%s", re, out)
		}
	}
	if _, err := run(c.ConnectString, "ALL RESTART -n"); err == nil || !strings.Contains(err.Error(), "rolling restart") {
		t.Errorf("ALL RESTART -n: %v, want refused", err)
	}

	off := mgmtest.Start(t, mgmtest.Options{DataNodes: 2, DataNodeDefaults: "NodeFailover=false"})
	for _, id := range off.DataNodeIDs {
		mgmtest.StartDataNode(t, off.ConnectString, id, true)
	}
	out, err = run(off.ConnectString, "ALL RESTART")
	want := "Executing RESTART on all nodes.\n(NodeFailover is off, so the cluster cannot run without a data node: every data node restarts at once (a system restart) and the cluster is down until they are started again.)\n" +
		"Node 2 is being restarted\nNode 2: Started\nNode 3 is being restarted\nNode 3: Started\n"
	if err != nil || out != want {
		t.Fatalf("ALL RESTART without NodeFailover: %v\n%s\nwant:\n%s", err, out, want)
	}
}
