package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/gossip"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/inproc"
)

// gossipWait bounds the waits of the gossip tests: far above what they
// need (about a second), so that only a broken runtime fails them.
const gossipWait = 20 * time.Second

// startMembers starts data nodes 1..3 (one node group of 3) over an
// in-process network with QMGR and, with withGossip, a gossip member on
// loopback, and waits until they agree on a view of all three and, with
// gossip, until every QMGR has heard gossip report the other two.
func startMembers(t *testing.T, hb time.Duration, withGossip bool) []*node.Node {
	t.Helper()
	net := inproc.NewNetwork()
	var dn []node.DataNode
	for i := 1; i <= 3; i++ {
		dn = append(dn, node.DataNode{ID: signal.NodeID(i)})
	}
	var out []*node.Node
	for i := 1; i <= 3; i++ {
		c := node.DefaultTestConfig()
		c.NodeID, c.NoOfReplicas, c.DataNodes, c.Network = signal.NodeID(i), 3, dn, net
		c.Tables = []*schema.Table{accountTable()}
		c.Membership.Enabled = true
		c.Membership.HeartbeatIntervalDbDb = hb
		c.Membership.Arbitration = qmgr.ArbitrationDisabled
		if withGossip {
			c.Membership.Gossip = node.Gossip{Enabled: true, BindAddr: "127.0.0.1", Adjust: func(g *gossip.Config) {
				// Test timings: dead to gossip within about 0.3 s, where
				// the heartbeat rule takes 4 to 5 intervals.
				f := gossip.DefaultTestConfig()
				g.ProbeInterval, g.ProbeTimeout, g.GossipInterval = f.ProbeInterval, f.ProbeTimeout, f.GossipInterval
				g.PushPullInterval, g.TCPTimeout, g.RejoinInterval = f.PushPullInterval, f.TCPTimeout, f.RejoinInterval
			}}
		}
		n, err := node.Start(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Stop)
		out = append(out, n)
	}
	waitMembership(t, out, "a view of all three", func(st qmgr.State) bool {
		return st.Phase == qmgr.Running && len(st.Members) == 3 &&
			(!withGossip || st.GossipReports >= 2 && st.GossipDown.Empty())
	})
	if withGossip {
		for _, n := range out {
			if n.GossipAddr() == "" {
				t.Fatalf("node %d has no gossip address", n.ID())
			}
		}
	}
	return out
}

// waitMembership waits until every node of ns has a QMGR state for which
// ok holds.
func waitMembership(t *testing.T, ns []*node.Node, what string, ok func(qmgr.State) bool) {
	t.Helper()
	began := time.Now()
	for {
		all := true
		var last qmgr.State
		for _, n := range ns {
			st, err := n.MembershipState(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !ok(st) {
				all, last = false, st
				break
			}
		}
		if all {
			return
		}
		if time.Since(began) > gossipWait {
			t.Fatalf("no %s after %v: node %d at %+v", what, gossipWait, last.Node, last)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// crashDetection stops node 3 (no gossip Leave: a crash to the others)
// and returns how long the survivors took to commit a view without it,
// and their summed QMGR counters.
func crashDetection(t *testing.T, ns []*node.Node) (time.Duration, qmgr.Stats) {
	t.Helper()
	began := time.Now()
	ns[2].Stop()
	waitMembership(t, ns[:2], "view without node 3", func(st qmgr.State) bool {
		return st.Phase == qmgr.Running && len(st.Members) == 2
	})
	took := time.Since(began)
	var sum qmgr.Stats
	for _, n := range ns[:2] {
		st, err := n.MembershipState(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sum.Suspicions += st.Suspicions
		sum.GossipSuspicions += st.GossipSuspicions
		sum.LinkFailures += st.LinkFailures
		sum.MissedHeartbeats += st.MissedHeartbeats
	}
	return took, sum
}

// TestGossipDetectsCrash runs three data nodes with QMGR, stops one, and
// checks that the survivors fail it: with gossip through the gossip rule
// (node 3's watcher suspects it at a missed heartbeat, on gossip's word),
// without gossip through the heartbeat rule. Both times are logged; the
// test asserts which rule fired, not how long it took.
func TestGossipDetectsCrash(t *testing.T) {
	const hb = 400 * time.Millisecond
	times := map[bool]time.Duration{}
	for _, withGossip := range []bool{true, false} {
		ns := startMembers(t, hb, withGossip)
		took, st := crashDetection(t, ns)
		times[withGossip] = took
		t.Logf("gossip %v: node 3 failed %v after its stop (heartbeat interval %v, 4 missed fail a node); %+v",
			withGossip, took, hb, st)
		switch {
		case withGossip && (st.GossipSuspicions != 1 || st.LinkFailures != 0):
			t.Errorf("with gossip: %d suspicions on gossip's word, %d link failures; want 1 and 0",
				st.GossipSuspicions, st.LinkFailures)
		case !withGossip && (st.GossipSuspicions != 0 || st.Suspicions == 0):
			t.Errorf("without gossip: %+v", st)
		}
		for _, n := range ns[:2] {
			if ms, err := n.MembershipState(context.Background()); err != nil || ms.NodesFailed != 1 {
				t.Errorf("node %d: %+v %v", n.ID(), ms, err)
			}
		}
	}
	t.Logf("detection with gossip %v, heartbeats alone %v", times[true], times[false])
}

// TestGossipLeave: a node that leaves the gossip cluster before it stops
// (a planned stop) is left to the others' QMGRs.
func TestGossipLeave(t *testing.T) {
	ns := startMembers(t, 250*time.Millisecond, true)
	if err := ns[2].LeaveGossip(time.Second); err != nil {
		t.Fatal(err)
	}
	waitMembership(t, ns[:2], "gossip reporting node 3 left", func(st qmgr.State) bool {
		return st.GossipDown.Has(3)
	})
	// Heartbeats still arrive: gossip alone fails no node.
	for _, n := range ns {
		if st, err := n.MembershipState(context.Background()); err != nil || len(st.Members) != 3 {
			t.Fatalf("node %d: %+v %v", n.ID(), st, err)
		}
	}
	_, st := crashDetection(t, ns)
	if st.GossipSuspicions != 1 {
		t.Fatalf("the left node was failed without gossip's word: %+v", st)
	}
	if ns[0].GossipAddr() == "" || ns[2].GossipAddr() != "" {
		t.Fatalf("gossip addresses %q (running) and %q (stopped)", ns[0].GossipAddr(), ns[2].GossipAddr())
	}
}
