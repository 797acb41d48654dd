package server_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/mgmnode/server"
	"github.com/gondb/gondb/mgmnode/state"
)

func TestMain(m *testing.M) {
	mgmtest.Main(m)
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func clientOpts() client.Options {
	return client.Options{Logger: mgmtest.QuietLogger(), ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
}

func dial(t testing.TB, connect string) *client.Conn {
	t.Helper()
	c, err := client.Dial(tctx(t), connect, clientOpts())
	if err != nil {
		t.Fatalf("dial %s: %v", connect, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func join(ctx context.Context, connect string, typ mgmapi.NodeType, id uint32) (*client.Node, error) {
	return client.Join(ctx, connect, client.NodeOptions{Options: clientOpts(), Type: typ, NodeID: id})
}

// statusOf returns node id's entry of a Status reply.
func statusOf(t testing.TB, c *client.Conn, id uint32) mgmapi.NodeInfo {
	t.Helper()
	r, err := c.Status(tctx(t))
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	for _, n := range r.Nodes {
		if n.NodeID == id {
			return n
		}
	}
	t.Fatalf("Status has no node %d: %+v", id, r.Nodes)
	return mgmapi.NodeInfo{}
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Node ids: fixed ids of the right type and host, free slots in id order,
// a clear error when none is free or the id does not fit.
func TestAllocNodeID(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{}) // mgm 1, data 2-3, mysqld 4, api 5-6
	ctx := tctx(t)
	var held []*client.Node
	defer func() {
		for _, n := range held {
			n.Close()
		}
	}()
	tests := []struct {
		name    string
		typ     mgmapi.NodeType
		id      uint32
		wantID  uint32
		wantErr error
		inErr   string
	}{
		{"fixed data node", mgmapi.TypeData, 2, 2, nil, ""},
		{"fixed id already held", mgmapi.TypeData, 2, 0, mgmapi.ErrNodeIDInUse, "node id 2 is in use"},
		{"fixed id of another type", mgmapi.TypeAPI, 3, 0, mgmapi.ErrInvalid, "node id 3 is a [ndbd] section"},
		{"fixed id of the mgmd", mgmapi.TypeData, 1, 0, mgmapi.ErrInvalid, "[ndb_mgmd]"},
		{"fixed id not in config", mgmapi.TypeAPI, 77, 0, mgmapi.ErrInvalid, "not in the configuration"},
		{"free data slot", mgmapi.TypeData, 0, 3, nil, ""},
		{"no data slot left", mgmapi.TypeData, 0, 0, mgmapi.ErrNoFreeNodeID, "all 2 [ndbd] slots open to it (ids 2, 3) are in use"},
		{"free sql slot", mgmapi.TypeSQL, 0, 4, nil, ""},
		{"no sql slot left", mgmapi.TypeSQL, 0, 0, mgmapi.ErrNoFreeNodeID, "[mysqld]"},
		{"first api slot", mgmapi.TypeAPI, 0, 5, nil, ""},
		{"second api slot", mgmapi.TypeAPI, 0, 6, nil, ""},
		{"no api slot left", mgmapi.TypeAPI, 0, 0, mgmapi.ErrNoFreeNodeID, "no free node id for a api node"},
		{"mgm type cannot join", mgmapi.TypeMgm, 0, 0, nil, "cannot join"},
	}
	for _, tt := range tests {
		n, err := join(ctx, c.ConnectString, tt.typ, tt.id)
		switch {
		case tt.inErr == "" && err != nil:
			t.Fatalf("%s: %v", tt.name, err)
		case tt.inErr == "" && n.ID() != tt.wantID:
			t.Fatalf("%s: got node id %d, want %d", tt.name, n.ID(), tt.wantID)
		case tt.inErr != "" && (err == nil || !strings.Contains(err.Error(), tt.inErr)):
			t.Fatalf("%s: err %v, want one containing %q", tt.name, err, tt.inErr)
		case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
			t.Fatalf("%s: err %v, want %v", tt.name, err, tt.wantErr)
		}
		if n != nil {
			held = append(held, n)
			if cfg, gen := n.Config(); cfg == nil || gen != 1 || len(cfg.DataNodes) != 2 {
				t.Fatalf("%s: config %v generation %d", tt.name, cfg, gen)
			}
		}
	}
	// A released id is free again at once.
	held[len(held)-1].Close() // node 6
	held = held[:len(held)-1]
	n, err := join(ctx, c.ConnectString, mgmapi.TypeAPI, 0)
	if err != nil || n.ID() != 6 {
		t.Fatalf("after releasing 6: %v, %v", n, err)
	}
	held = append(held, n)
}

// The main flow: two data nodes start; STOP reaches node 3's subscription
// and it reports stopped; START brings it back; RESTART -n leaves it not
// started; the cluster log has it all.
func TestCommands(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	d2 := mgmtest.StartDataNode(t, c.ConnectString, 2, true)
	d3 := mgmtest.StartDataNode(t, c.ConnectString, 3, true)
	conn := dial(t, c.ConnectString)
	ctx := tctx(t)

	r, err := conn.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]struct {
		typ mgmapi.NodeType
		st  mgmapi.NodeStatus
		ng  int
	}{
		1: {mgmapi.TypeMgm, mgmapi.StatusStarted, -1},
		2: {mgmapi.TypeData, mgmapi.StatusStarted, 0},
		3: {mgmapi.TypeData, mgmapi.StatusStarted, 0},
		4: {mgmapi.TypeSQL, mgmapi.StatusNotConnected, -1},
		5: {mgmapi.TypeAPI, mgmapi.StatusNotConnected, -1},
		6: {mgmapi.TypeAPI, mgmapi.StatusNotConnected, -1},
	}
	if len(r.Nodes) != len(want) {
		t.Fatalf("Status: %d nodes, want %d: %+v", len(r.Nodes), len(want), r.Nodes)
	}
	for _, n := range r.Nodes {
		w := want[n.NodeID]
		if n.Type != w.typ || n.Status != w.st || n.NodeGroup != w.ng {
			t.Errorf("node %d: %v %v ng %d, want %v %v ng %d", n.NodeID, n.Type, n.Status, n.NodeGroup, w.typ, w.st, w.ng)
		}
		if n.Status != mgmapi.StatusNotConnected && n.Host != "127.0.0.1" {
			t.Errorf("node %d: host %q, want 127.0.0.1", n.NodeID, n.Host)
		}
	}
	eventually(t, "memory figures from heartbeats", func() bool { return len(statusOf(t, conn, 2).Memory) == 2 })
	if m := statusOf(t, conn, 2).Memory[0]; m.Resource != "Data" || m.Used != 177 || m.Total != 3200 {
		t.Errorf("memory %+v", m)
	}

	steps := []struct {
		name string
		do   func() (*mgmapi.CommandReply, error)
		want mgmapi.NodeStatus
		cmd  mgmapi.Command
	}{
		{"3 STOP", func() (*mgmapi.CommandReply, error) { return conn.Stop(ctx, 5*time.Second, 3) },
			mgmapi.StatusNotStarted, mgmapi.Command{Name: mgmapi.CmdStop}},
		{"3 START", func() (*mgmapi.CommandReply, error) { return conn.Start(ctx, 5*time.Second, 3) },
			mgmapi.StatusStarted, mgmapi.Command{Name: mgmapi.CmdStart}},
		{"3 RESTART -n", func() (*mgmapi.CommandReply, error) { return conn.Restart(ctx, 5*time.Second, false, true, 3) },
			mgmapi.StatusNotStarted, mgmapi.Command{Name: mgmapi.CmdRestart, NoStart: true}},
		{"3 RESTART -i", func() (*mgmapi.CommandReply, error) { return conn.Restart(ctx, 5*time.Second, true, false, 3) },
			mgmapi.StatusStarted, mgmapi.Command{Name: mgmapi.CmdRestart, Initial: true}},
	}
	for i, st := range steps {
		rep, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(rep.Results) != 1 || !rep.Results[0].Delivered || !rep.Results[0].Done || rep.Results[0].Status != st.want {
			t.Fatalf("%s: %+v, want delivered, done, %v", st.name, rep.Results, st.want)
		}
		if got := statusOf(t, conn, 3).Status; got != st.want {
			t.Fatalf("%s: status %v, want %v", st.name, got, st.want)
		}
		cmds := d3.Commands()
		if len(cmds) != i+1 || cmds[i].Name != st.cmd.Name || cmds[i].Initial != st.cmd.Initial || cmds[i].NoStart != st.cmd.NoStart || cmds[i].From != "127.0.0.1" {
			t.Fatalf("%s: node 3 got %+v", st.name, cmds)
		}
	}
	if len(d2.Commands()) != 0 {
		t.Errorf("node 2 got commands meant for 3: %+v", d2.Commands())
	}

	// Refusals: START of a started node, commands to nodes that are not
	// data nodes or not connected.
	for _, tt := range []struct {
		name string
		req  mgmapi.CommandRequest
		in   string
	}{
		{"start a started node", mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdStart}, NodeIDs: []uint32{2}}, "node 2 is started"},
		{"stop an api slot", mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdStop}, NodeIDs: []uint32{5}}, "node 5 is a api node"},
		{"unknown node", mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdStop}, NodeIDs: []uint32{99}}, "not in the configuration"},
		{"restart the mgmd", mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdRestart}, NodeIDs: []uint32{1}}, "management server"},
	} {
		rep, err := conn.Command(ctx, &tt.req)
		if err != nil || len(rep.Results) != 1 || rep.Results[0].Delivered || !strings.Contains(rep.Results[0].Error, tt.in) {
			t.Errorf("%s: %+v, %v; want an error containing %q", tt.name, rep, err, tt.in)
		}
	}
	if _, err := conn.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: "EXPLODE"}}); !errors.Is(err, mgmapi.ErrInvalid) {
		t.Errorf("unknown command: %v", err)
	}

	// ALL STOP reaches both.
	rep, err := conn.Stop(ctx, 5*time.Second)
	if err != nil || len(rep.Results) != 2 {
		t.Fatalf("ALL STOP: %+v, %v", rep, err)
	}
	for _, r := range rep.Results {
		if !r.Done || r.Status != mgmapi.StatusNotStarted {
			t.Errorf("ALL STOP: %+v", r)
		}
	}

	// A node that closes shows as not connected at once.
	d2.Close()
	if s := statusOf(t, conn, 2).Status; s != mgmapi.StatusNotConnected {
		t.Errorf("closed node 2: %v", s)
	}

	for _, w := range []string{
		"Node 1: Management server started",
		"Node 3: Start phase 2 completed",
		"Node 3: Started (gondb-test)",
		"Node 3: STOP requested by management client at 127.0.0.1",
		"Node 3: Node shutdown initiated",
		"Node 3: Node shutdown completed",
		"Node 3: RESTART -i requested",
		"Node 2: disconnected",
	} {
		eventually(t, "cluster log has "+w, func() bool {
			events, _ := conn.ClusterLog(ctx, 0)
			for _, e := range events {
				if strings.Contains(e.Text, w) {
					return true
				}
			}
			if testing.Verbose() {
				for _, e := range events {
					t.Log(e.Text)
				}
			}
			return false
		})
	}
	if last, _ := conn.ClusterLog(ctx, 2); len(last) != 2 || last[0].Time.After(last[1].Time) {
		t.Errorf("ClusterLog(2) = %+v", last)
	}
}

// A node whose process dies without releasing its id shows as not
// connected once its lease expires.
func TestLeaseExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for an etcd lease to expire (2 s); skipped in -short mode")
	}
	c := mgmtest.Start(t, mgmtest.Options{})
	ctx := tctx(t)
	conn := dial(t, c.ConnectString)
	n, err := join(ctx, c.ConnectString, mgmapi.TypeData, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ReportState(ctx, mgmapi.StatusStarted, 0); err != nil {
		t.Fatal(err)
	}
	if s := statusOf(t, conn, 2).Status; s != mgmapi.StatusStarted {
		t.Fatalf("node 2: %v", s)
	}
	// Stop the heartbeats without releasing: close the connection under it.
	n.Conn().Close()
	eventually(t, "node 2 not connected after its lease expired", func() bool {
		return statusOf(t, conn, 2).Status == mgmapi.StatusNotConnected
	})
	n.Close()
}

// A stored configuration change reaches subscribed nodes as an event with
// the parsed configuration.
func TestConfigChange(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	ctx := tctx(t)
	n, err := join(ctx, c.ConnectString, mgmapi.TypeAPI, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	conn := dial(t, c.ConnectString)
	newText := c.ConfigText + "[api]\nNodeId=20\n"
	if _, err := conn.SetConfig(ctx, newText, 5); !errors.Is(err, mgmapi.ErrConflict) {
		t.Fatalf("SetConfig with a stale generation: %v", err)
	}
	if _, err := conn.SetConfig(ctx, "[ndbd]\nNoSuchParam=1\n", 1); !errors.Is(err, mgmapi.ErrInvalid) {
		t.Fatalf("SetConfig with a bad config: %v", err)
	}
	gen, err := conn.SetConfig(ctx, newText, 1)
	if err != nil || gen != 2 {
		t.Fatalf("SetConfig: %d, %v", gen, err)
	}
	select {
	case ev := <-n.Events():
		if ev.Type != client.EventConfig || ev.Generation != 2 || len(ev.Config.APINodes) != 4 {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no config event")
	}
	if _, g := n.Config(); g != 2 {
		t.Fatalf("node's config generation %d", g)
	}
	// The new slot can be taken.
	m, err := join(ctx, c.ConnectString, mgmapi.TypeAPI, 20)
	if err != nil {
		t.Fatalf("join slot 20: %v", err)
	}
	m.Close()
}

// Arbitration through the API: the first side of a round wins, the other
// loses, on any management server.
func TestArbitrate(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{DataNodes: 4})
	conn := dial(t, c.ConnectString)
	ctx := tctx(t)
	if ok, err := conn.Arbitrate(ctx, 7, 2, []uint32{2, 4}); !ok || err != nil {
		t.Fatalf("first side: %v, %v", ok, err)
	}
	if ok, err := conn.Arbitrate(ctx, 7, 3, []uint32{3, 5}); ok || err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("second side: %v, %v", ok, err)
	}
	if ok, err := conn.Arbitrate(ctx, 0, 3, nil); ok || !errors.Is(err, mgmapi.ErrInvalid) {
		t.Fatalf("ticket 0: %v, %v", ok, err)
	}
	events, _ := conn.ClusterLog(ctx, 0)
	if !slices.ContainsFunc(events, func(e mgmapi.LogEvent) bool { return strings.Contains(e.Text, "arbitration won by node 2") }) {
		t.Errorf("cluster log: %+v", events)
	}
}

// Two management servers on one external etcd: a node subscribed at the
// first gets a command sent to the second (forwarded); when the first
// stops, the node moves to the second and still gets commands.
func TestHA(t *testing.T) {
	endpoints := mgmtest.ExternalEtcd(t)
	c := mgmtest.Start(t, mgmtest.Options{MgmNodes: 2, Endpoints: endpoints})
	// Nodes connect to server A first (connect-string order).
	d3 := mgmtest.StartDataNode(t, c.ConnectString, 3, true)
	d4 := mgmtest.StartDataNode(t, c.ConnectString, 4, true)
	ctx := tctx(t)
	onB := dial(t, c.Addrs[1])
	for _, id := range []uint32{1, 2, 3, 4} {
		if s := statusOf(t, onB, id).Status; s != mgmapi.StatusStarted {
			t.Fatalf("server B sees node %d %v", id, s)
		}
	}
	eventually(t, "B shows A's heartbeat figures", func() bool { return len(statusOf(t, onB, 3).Memory) == 2 })
	gci := uint64(42)
	d3.SetHeartbeatInfo(client.HeartbeatInfo{RestorableGCI: &gci})
	if err := d3.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B shows A's restorable GCI", func() bool {
		g := statusOf(t, onB, 3).RestorableGCI
		return g != nil && *g == 42
	})
	if g := statusOf(t, onB, 4).RestorableGCI; g != nil {
		t.Fatalf("node 4 reported no restorable GCI, B shows %d", *g)
	}
	rep, err := onB.Stop(ctx, 5*time.Second, 3)
	if err != nil || !rep.Results[0].Delivered || !rep.Results[0].Done {
		t.Fatalf("3 STOP through B: %+v, %v", rep, err)
	}
	if got := d3.Commands(); len(got) != 1 || got[0].Name != mgmapi.CmdStop {
		t.Fatalf("node 3 got %+v", got)
	}

	// A goes away; the nodes and a client on both servers carry on.
	both := dial(t, c.ConnectString)
	c.StopServer(0)
	if s := statusOf(t, both, 1).Status; s != mgmapi.StatusNotConnected {
		t.Errorf("stopped server A shows %v", s)
	}
	if both.Addr() != c.Addrs[1] {
		t.Errorf("client still on %s", both.Addr())
	}
	eventually(t, "node 4 subscribed at B", func() bool {
		rep, err := both.Restart(ctx, 5*time.Second, false, false, 4)
		return err == nil && rep.Results[0].Delivered && rep.Results[0].Done
	})
	if got := d4.Commands(); len(got) != 1 || got[0].Name != mgmapi.CmdRestart {
		t.Fatalf("node 4 got %+v", got)
	}
	rep, err = both.Start(ctx, 5*time.Second, 3)
	if err != nil || !rep.Results[0].Done || rep.Results[0].Status != mgmapi.StatusStarted {
		t.Fatalf("3 START through B after A stopped: %+v, %v", rep, err)
	}
	// Heartbeats go on through B: the ids stay held past the lease TTL.
	time.Sleep(2500 * time.Millisecond)
	for _, id := range []uint32{3, 4} {
		if s := statusOf(t, both, id).Status; s != mgmapi.StatusStarted {
			t.Errorf("node %d after failover: %v", id, s)
		}
	}
}

// SHUTDOWN stops the data nodes, then every management server.
func TestShutdown(t *testing.T) {
	stopped := make(chan uint32, 2)
	c := mgmtest.Start(t, mgmtest.Options{MgmNodes: 2, Server: func(cfg *server.Config) {
		id := cfg.NodeID
		cfg.OnShutdown = func() { stopped <- id }
	}})
	mgmtest.StartDataNode(t, c.ConnectString, 3, true)
	mgmtest.StartDataNode(t, c.ConnectString, 4, true)
	conn := dial(t, c.ConnectString)
	rep, err := conn.Shutdown(tctx(t), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.DataNodes, []uint32{3, 4}) || !slices.Equal(rep.MgmNodes, []uint32{1, 2}) || len(rep.Errors) != 0 {
		t.Fatalf("Shutdown: %+v", rep)
	}
	got := []uint32{<-stopped, <-stopped}
	slices.Sort(got)
	if !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("servers asked to stop: %v", got)
	}
}

func TestInstallConfig(t *testing.T) {
	endpoints := mgmtest.SharedEtcd(t)
	st, err := state.OpenExternal(endpoints, state.Options{ClusterName: fmt.Sprintf("install-%d", time.Now().UnixNano()), Logger: mgmtest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := tctx(t)
	dir := t.TempDir()
	cfg := func(apis int) string {
		return "[ndbd default]\nNoOfReplicas=1\nDataDir=" + dir + "\n[ndb_mgmd]\nDataDir=" + dir + "\n[ndbd]\n" + strings.Repeat("[api]\n", apis)
	}
	steps := []struct {
		name    string
		text    string
		initial bool
		res     server.InstallResult
		gen     uint64
		apis    int
		err     string
	}{
		{"nothing stored, no file", "", false, 0, 0, 0, "no configuration is stored"},
		{"bad file", "[ndbd]\nDataMemory=x\n", false, 0, 0, 0, "config.ini:2: [ndbd] DataMemory=x"},
		{"first start stores the file", cfg(1), false, server.Stored, 1, 1, ""},
		{"same file is kept", cfg(1), false, server.Kept, 1, 1, ""},
		{"changed file without --initial", cfg(2), false, server.KeptDiffers, 1, 1, ""},
		{"no file uses the stored one", "", false, server.Kept, 1, 1, ""},
		{"--initial replaces", cfg(2), true, server.Replaced, 2, 2, ""},
		{"--initial with the same file changes nothing", cfg(2), true, server.Kept, 2, 2, ""},
		{"--initial with a bad file", "[ndbd]\nFoo=1\n", true, 0, 0, 0, "unknown parameter"},
	}
	for _, s := range steps {
		l, res, err := server.InstallConfig(ctx, st, "config.ini", s.text, s.initial, config.Options{})
		if s.err != "" {
			if err == nil || !strings.Contains(err.Error(), s.err) {
				t.Fatalf("%s: %v, want %q", s.name, err, s.err)
			}
			continue
		}
		if err != nil || res != s.res || l.Generation != s.gen || len(l.Config.APINodes) != s.apis {
			t.Fatalf("%s: %v gen %d apis %v, %v; want %v gen %d apis %d", s.name, res, l.Generation, l.Config, err, s.res, s.gen, s.apis)
		}
	}
}
