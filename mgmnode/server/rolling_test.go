package server_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
)

// ALL RESTART with NodeFailover: the server restarts the data nodes one
// at a time, each after the one before is STARTED again, while the
// client follows it through Status; the starting node's node restart
// progress shows in Status; a second one is refused while it runs, and
// -n is refused.
func TestRollingRestart(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{DataNodes: 4, DataNodeDefaults: "NodeFailover=true"})
	var nodes []*mgmtest.DataNode
	for _, id := range c.DataNodeIDs {
		nodes = append(nodes, mgmtest.StartDataNodeWith(t, c.ConnectString, id,
			mgmtest.DataNodeOptions{Start: true, StartTime: 200 * time.Millisecond, NodeRestart: true}))
	}
	conn := dial(t, c.ConnectString)
	ctx := tctx(t)

	if _, err := conn.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdRestart, NoStart: true}, Follow: true}); !errors.Is(err, mgmapi.ErrInvalid) ||
		!strings.Contains(err.Error(), "rolling restart") {
		t.Fatalf("ALL RESTART -n: %v, want invalid (a rolling restart cannot leave nodes stopped)", err)
	}
	began := time.Now()
	rep, err := conn.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdRestart, Initial: true},
		WaitMillis: 10000, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Rolling
	if r == nil || !r.Running() || len(r.Nodes) != 4 || r.MgmNodeID != 1 || !r.Command.Initial {
		t.Fatalf("reply: %+v, want a running rolling restart of 4 nodes with -i", rep)
	}
	if _, err := conn.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdRestart}, Follow: true}); !errors.Is(err, mgmapi.ErrConflict) {
		t.Fatalf("a second ALL RESTART while one runs: %v, want conflict", err)
	}
	var progress []string
	for r.Running() {
		if time.Since(began) > 15*time.Second {
			t.Fatalf("the rolling restart did not end in 15 s: %+v", r)
		}
		time.Sleep(20 * time.Millisecond)
		st, err := conn.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rolling == nil || st.Rolling.ID != r.ID {
			t.Fatalf("Status reports rolling restart %+v, want id %d", st.Rolling, r.ID)
		}
		r = st.Rolling
		restarting := 0
		for _, n := range r.Nodes {
			if n.State == mgmapi.RollingRestarting {
				restarting++
			}
		}
		if restarting > 1 {
			t.Fatalf("two nodes restarting at once: %+v", r.Nodes)
		}
		for _, n := range st.Nodes {
			if n.NodeRestart != nil {
				if n.Status != mgmapi.StatusStarting {
					t.Fatalf("node %d is %v with node restart progress %+v", n.NodeID, n.Status, n.NodeRestart)
				}
				progress = append(progress, n.NodeRestart.Step)
			}
		}
	}
	if r.Error != "" {
		t.Fatalf("rolling restart failed: %s", r.Error)
	}
	for _, n := range r.Nodes {
		if n.State != mgmapi.RollingStarted || n.Began.IsZero() || n.Ended.Before(n.Began) {
			t.Errorf("node %d: %+v, want started", n.NodeID, n)
		}
	}
	if len(progress) == 0 {
		t.Error("Status never showed a node restart's progress")
	}
	// One at a time: no two nodes were down at once, and each got one
	// RESTART -i.
	var downs []mgmtest.Interval
	for i, d := range nodes {
		cmds := d.Commands()
		if len(cmds) != 1 || cmds[0].Name != mgmapi.CmdRestart || !cmds[0].Initial {
			t.Errorf("node %d got %+v, want one RESTART -i", c.DataNodeIDs[i], cmds)
		}
		downs = append(downs, d.Downs()...)
	}
	for i, a := range downs {
		for _, b := range downs[i+1:] {
			if a.From.Before(b.To) && b.From.Before(a.To) {
				t.Errorf("two nodes down at once: %v-%v and %v-%v", a.From, a.To, b.From, b.To)
			}
		}
	}
	st, err := conn.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Nodes {
		if n.Type == mgmapi.TypeData && n.Status != mgmapi.StatusStarted {
			t.Errorf("node %d is %v after the rolling restart", n.NodeID, n.Status)
		}
	}
	t.Logf("rolling restart of 4 fake nodes took %v; progress seen: %d", r.Ended.Sub(r.Began), len(progress))

	// Without Follow the call answers when the rolling restart ended.
	rep, err = conn.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdRestart}, WaitMillis: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rolling == nil || rep.Rolling.Running() || len(rep.Results) != 4 {
		t.Fatalf("reply without Follow: %+v", rep)
	}
	for _, res := range rep.Results {
		if !res.Delivered || !res.Done || res.Status != mgmapi.StatusStarted {
			t.Errorf("result %+v, want delivered, done, started", res)
		}
	}
}

// A node group with a node down: its other node is not restarted (the
// group would have no live node), and the rolling restart stops there.
// Without NodeFailover, ALL RESTART restarts every node at once and says
// so.
func TestRollingRestartRefusals(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{DataNodes: 2, DataNodeDefaults: "NodeFailover=true"})
	mgmtest.StartDataNode(t, c.ConnectString, 2, true) // node 3 is not connected
	conn := dial(t, c.ConnectString)
	ctx := tctx(t)
	rep, err := conn.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdRestart}, WaitMillis: 300})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Rolling
	if r == nil || r.Running() || !strings.Contains(r.Error, "node 2: not restarted: after 300ms node 3 of its node group 0 is not connected") {
		t.Fatalf("rolling restart with node 3 down: %+v", r)
	}
	if len(r.Nodes) != 2 || r.Nodes[0].State != mgmapi.RollingFailed || r.Nodes[1].State != mgmapi.RollingSkipped ||
		r.Nodes[1].Note != "not connected" {
		t.Fatalf("nodes: %+v", r.Nodes)
	}
	if res := rep.Results; len(res) != 2 || res[0].Delivered || res[0].Status != mgmapi.StatusStarted || res[1].Status != mgmapi.StatusNotConnected {
		t.Fatalf("results: %+v", res)
	}

	off := mgmtest.Start(t, mgmtest.Options{DataNodes: 2, DataNodeDefaults: "NodeFailover=false"})
	d2 := mgmtest.StartDataNode(t, off.ConnectString, 2, true)
	d3 := mgmtest.StartDataNode(t, off.ConnectString, 3, true)
	oc := dial(t, off.ConnectString)
	rep, err = oc.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdRestart}, WaitMillis: 5000, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rolling != nil || !strings.Contains(rep.Note, "NodeFailover is off") || len(rep.Results) != 2 || !rep.Results[0].Done || !rep.Results[1].Done {
		t.Fatalf("ALL RESTART without NodeFailover: %+v", rep)
	}
	if len(d2.Commands()) != 1 || len(d3.Commands()) != 1 {
		t.Fatalf("commands: %+v %+v", d2.Commands(), d3.Commands())
	}
}
