package datanodeproc

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
)

func TestGossipConfig(t *testing.T) {
	cfg := &config.Config{DataNodes: []config.DataNode{
		{NodeID: 1, HostName: "127.0.0.1", GossipPort: 7946},
		{NodeID: 2, HostName: "localhost"},
		{NodeID: 3, HostName: "h3", GossipPort: 7947},
		{NodeID: 4, HostName: "::1", GossipPort: 7948},
	}}
	for _, tc := range []struct {
		id    int
		bind  string
		port  int
		seeds []string
	}{
		{1, "127.0.0.1", 7946, []string{"h3:7947", "[::1]:7948"}},
		{2, "127.0.0.1", 0, []string{"127.0.0.1:7946", "h3:7947", "[::1]:7948"}},
		{4, "::1", 7948, []string{"127.0.0.1:7946", "h3:7947"}},
	} {
		g := gossipConfig(cfg, tc.id)
		if !g.Enabled || g.BindAddr != tc.bind || g.Port != tc.port || !slices.Equal(g.Seeds, tc.seeds) {
			t.Errorf("node %d: %+v", tc.id, g)
		}
	}
	for host, want := range map[string]string{"": "", "10.1.2.3": "10.1.2.3", "localhost": "127.0.0.1"} {
		if got := bindIP(host); got != want {
			t.Errorf("bindIP(%q) = %q, want %q", host, got, want)
		}
	}
}

// runtimeOf is p's running runtime (nil: none).
func runtimeOf(p *Proc) *node.Node {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rt
}

// TestGossipWithNodeFailover: two data nodes with NodeFailover and the
// default GossipPort (ephemeral) find each other's gossip members (over
// their transporters); a planned STOP of one leaves the gossip cluster,
// and the other fails it on gossip's word at its first missed heartbeat.
func TestGossipWithNodeFailover(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	conn := dial(t, c)
	text := strings.Replace(c.ConfigText, "[ndbd default]\n",
		"[ndbd default]\nNodeFailover=1\nHeartbeatIntervalDbDb=500\nArbitration=Disabled\n", 1)
	if _, err := conn.SetConfig(context.Background(), text, 1); err != nil {
		t.Fatal(err)
	}
	procs := map[uint32]*running{}
	for _, id := range c.DataNodeIDs {
		procs[id] = startProc(t, options(c.ConnectString, id))
	}
	for _, id := range c.DataNodeIDs {
		waitStatus(t, c, id, mgmapi.StatusStarted)
	}
	first, second := c.DataNodeIDs[0], c.DataNodeIDs[1]
	membership := func(id uint32) qmgr.State {
		t.Helper()
		rt := runtimeOf(procs[id].Proc)
		if rt == nil {
			t.Fatalf("node %d runs no runtime", id)
		}
		st, err := rt.MembershipState(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range c.DataNodeIDs {
		for membership(id).GossipReports == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("node %d: gossip never reported the other node: %+v", id, membership(id))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if addr := runtimeOf(procs[id].Proc).GossipAddr(); !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Fatalf("node %d: gossip address %q", id, addr)
		}
	}
	if _, err := conn.Stop(context.Background(), 10*time.Second, second); err != nil {
		t.Fatal(err)
	}
	for {
		st := membership(first)
		if st.NodesFailed == 1 {
			if st.GossipSuspicions != 1 || st.LinkFailures != 0 {
				t.Fatalf("node %d failed node %d without gossip's word: %+v", first, second, st.Stats)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %d never failed node %d: %+v", first, second, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
