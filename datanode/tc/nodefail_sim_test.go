package tc_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// TestNodeFailureBank runs the bank workload on clusters with QMGR and
// crashes one data node at a random moment: any node, the president
// (GCP master) among them, with transactions in every phase in flight.
// The survivors must detect it, settle every transaction (their own that
// touched the failed node, and the failed TC's, by takeover), keep
// committing, and leave replicas equal and the balances adding up.
func TestNodeFailureBank(t *testing.T) {
	configs := []struct{ nodes, replicas int }{{2, 2}, {4, 2}, {3, 3}}
	seeds := seedList(40, 8, 4)
	for _, cfg := range configs {
		t.Run(fmt.Sprintf("nodes=%d,replicas=%d", cfg.nodes, cfg.replicas), func(t *testing.T) {
			var before, after, takeovers, masters, tkCommits, tkAborts int
			for _, seed := range seeds {
				b := &bank{clients: map[signal.NodeID]*bankClient{}}
				st := accountTable("")
				b.cluster = newSimCluster(t, clusterConfig{seed: seed, nodes: cfg.nodes, replicas: cfg.replicas,
					tables: []simTable{st}, qmgr: true,
					api: func(node signal.NodeID) []sim.Placed {
						cl := newBankClient(node, st.layout)
						b.clients[node] = cl
						return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
					}})
				rng := b.s.Rand()
				b.s.RunTicks(60 + rng.IntN(60))
				victim := signal.NodeID(1 + rng.IntN(cfg.nodes))
				committed := func() int {
					n := 0
					for id, cl := range b.clients {
						if b.s.Up(id) {
							n += cl.committed
						}
					}
					return n
				}
				b.s.Crash(victim)
				delete(b.clients, victim)
				c0 := committed()
				b.s.RunTicks(300)
				c1 := committed()
				if c1 == c0 {
					b.fail(t, fmt.Errorf("no transaction committed on the survivors after node %d crashed", victim))
				}
				if err := b.check(); err != nil {
					b.fail(t, fmt.Errorf("after node %d crashed: %w", victim, err))
				}
				for id, tcb := range b.tcs {
					if b.s.Up(id) {
						takeovers += int(tcb.Counters.Takeovers)
						tkCommits += int(tcb.Counters.TakenOverCommits)
						tkAborts += int(tcb.Counters.TakenOverAborts)
						masters += int(b.gcps[id].Stats().Takeovers)
					}
				}
				before, after = before+c0, after+c1-c0
				b.close()
			}
			if takeovers == 0 {
				t.Fatal("no TC takeover ran")
			}
			t.Logf("%d seeds: %d commits before the crash, %d after; %d takeovers (%d transactions of the failed TC committed, %d aborted), %d GCP master changes",
				len(seeds), before, after, takeovers, tkCommits, tkAborts, masters)
		})
	}
}
