package qmgr_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

// TestReadLeases: while the cluster is whole every member holds a read
// lease; after a partition (of whole sides, or of one link) no running
// node's view leaves out a node that still holds one, at any tick; once
// the survivors agree they hold leases again.
func TestReadLeases(t *testing.T) {
	for _, tc := range []struct {
		nodes, replicas int
		side            []signal.NodeID // cut off from the rest
		link            bool            // cut only the link between side[0] and side[1]
		// gossip: each side's gossip reports the other side dead at the
		// cut, so it is suspected after one missed heartbeat, before its
		// lease runs out: the views must wait for the leases.
		gossip bool
	}{
		{nodes: 2, replicas: 2, side: []signal.NodeID{1}},
		{nodes: 2, replicas: 2, side: []signal.NodeID{2}},
		{nodes: 3, replicas: 3, side: []signal.NodeID{3}},
		{nodes: 4, replicas: 2, side: []signal.NodeID{1, 3}},
		{nodes: 4, replicas: 2, side: []signal.NodeID{2}},
		{nodes: 6, replicas: 2, side: []signal.NodeID{2, 3, 6}},
		{nodes: 3, replicas: 3, side: []signal.NodeID{1, 3}, link: true},
		{nodes: 4, replicas: 2, side: []signal.NodeID{2, 4}, link: true},
		{nodes: 2, replicas: 2, side: []signal.NodeID{2}, gossip: true},
		{nodes: 3, replicas: 3, side: []signal.NodeID{1}, gossip: true},
		{nodes: 4, replicas: 2, side: []signal.NodeID{1, 3}, gossip: true},
	} {
		t.Run(fmt.Sprintf("nodes=%d,side=%v,link=%v,gossip=%v", tc.nodes, tc.side, tc.link, tc.gossip), func(t *testing.T) {
			var granted, waits uint64
			for _, seed := range simFlags.List(40, 10, testing.Short()) {
				c := formed(t, seed, tc.nodes, tc.replicas, nil)
				for i := 0; i < 50; i++ {
					c.s.RunTicks(1)
					for _, n := range c.nodes {
						if st := c.qs[n].State(); st.LeaseEnd <= c.s.Now() {
							t.Fatalf("seed %d: node %d holds no read lease in a whole cluster (ends %v, now %v); %s",
								seed, n, st.LeaseEnd, c.s.Now(), sim.Reproduce(seed))
						}
					}
				}
				if tc.link {
					c.s.Cut(tc.side[0], tc.side[1])
				} else {
					c.s.Partition(tc.side...)
				}
				if tc.gossip {
					a := qmgr.SetOf(tc.side...)
					b := c.all().Minus(a)
					for _, n := range a.Nodes() {
						tellGossip(t, c, b, n, qmgr.GossipDead)
					}
					for _, n := range b.Nodes() {
						tellGossip(t, c, a, n, qmgr.GossipDead)
					}
				}
				for i := 0; i < 300; i++ {
					c.s.RunTicks(1)
					if err := leasesHeld(c); err != nil {
						t.Fatalf("seed %d, %d ticks after the cut: %v\n%s; %s", seed, i+1, err, c.describe(), sim.Reproduce(seed))
					}
				}
				var live qmgr.NodeSet
				for _, n := range c.nodes {
					if c.phase(n) == qmgr.Running {
						live.Add(n)
					}
				}
				if err := c.settle(live, 300); err != nil {
					t.Fatalf("%v; %s", err, sim.Reproduce(seed))
				}
				c.s.RunTicks(10)
				for _, n := range live.Nodes() {
					st := c.qs[n].State()
					if st.LeaseEnd <= c.s.Now() {
						t.Fatalf("seed %d: survivor %d holds no read lease after the view change (ends %v, now %v)", seed, n, st.LeaseEnd, c.s.Now())
					}
					granted += st.LeasesGranted
					waits += st.LeaseWaits
				}
			}
			if granted == 0 {
				t.Fatal("no lease was granted")
			}
			if tc.gossip && waits == 0 && len(simFlags.List(40, 10, testing.Short())) >= 10 {
				t.Fatal("no view waited for a lease: the case does not test the granter's rule")
			}
			t.Logf("survivors granted %d leases; %d view acceptances waited for a lease to run out", granted, waits)
		})
	}
}

// leasesHeld checks the lease invariant now: a running node whose view
// leaves out another running node, which may still serve reads, would let
// that node read what it no longer gets written.
func leasesHeld(c *cluster) error {
	now := c.s.Now()
	for _, n := range c.nodes {
		if c.phase(n) != qmgr.Running {
			continue
		}
		var members qmgr.NodeSet
		st := c.qs[n].State()
		for _, m := range st.Members {
			members.Add(m.Node)
		}
		for _, l := range c.nodes {
			if members.Has(l) || c.phase(l) != qmgr.Running {
				continue
			}
			if lst := c.qs[l].State(); lst.LeaseEnd > now && lst.FailNo > 0 {
				return fmt.Errorf("node %d's view %d leaves out node %d, whose read lease runs until %v (now %v)", n, st.FailNo, l, lst.LeaseEnd, now)
			}
		}
	}
	return nil
}
