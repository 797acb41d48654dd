package tc_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// TestNodeRestartBank crashes a data node under the bank workload, starts
// it again with its old rows (its replicas are stale), and lets the node
// restart bring it back while the transfers go on: the president empties
// its replicas, makes them the chains' tails, copies every fragment from
// its primary, and makes it a full replica again. Then the restarted
// node's TC must commit transactions, its replicas must equal the others
// (checkReplicas compares every replica of every fragment), and the
// balances must add up. With -sim.seeds=N it runs over many seeds (make
// soak).
func TestNodeRestartBank(t *testing.T) {
	configs := []struct {
		nodes, replicas int
		option          string
		// crashDuring: a second node, of another node group or with a
		// full replica left in the restarting node's group (the
		// president, a copy's primary, any), crashes during the restart.
		crashDuring bool
	}{{2, 2, "", false}, {4, 2, "", false}, {3, 3, "", false}, {2, 2, "readbackup", false}, {3, 3, "", true}, {4, 2, "", true}}
	seeds := seedList(30, 6, 4)
	for _, cfg := range configs {
		name := fmt.Sprintf("nodes=%d,replicas=%d", cfg.nodes, cfg.replicas)
		if cfg.option != "" {
			name += "," + cfg.option
		}
		if cfg.crashDuring {
			name += ",crash-during"
		}
		t.Run(name, func(t *testing.T) {
			var runs, aborted, frags, rows, lenient, afterCommits int
			for _, seed := range seeds {
				b := &bank{clients: map[signal.NodeID]*bankClient{}}
				incarnation := map[signal.NodeID]int{}
				st := accountTable(cfg.option)
				b.cluster = newSimCluster(t, clusterConfig{seed: seed, nodes: cfg.nodes, replicas: cfg.replicas,
					tables: []simTable{st}, qmgr: true,
					api: func(node signal.NodeID) []sim.Placed {
						cl := newBankClient(node, st.layout)
						// A restarted client's transaction ids must not
						// repeat its earlier incarnation's (as ndbapi's).
						incarnation[node]++
						cl.next = uint64(incarnation[node]) << 32
						b.clients[node] = cl
						return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
					}})
				rng := b.s.Rand()
				b.s.RunTicks(60 + rng.IntN(60))
				victim := signal.NodeID(1 + rng.IntN(cfg.nodes))
				b.s.Crash(victim)
				delete(b.clients, victim)
				b.s.RunTicks(150 + rng.IntN(100))
				b.s.Restart(victim)
				second := signal.NodeID(0)
				if cfg.crashDuring {
					// Any other node whose loss leaves every node group a
					// full replica: with 3 replicas any; with 4x2 one of
					// the other group.
					for second == 0 || second == victim || (cfg.replicas == 2 && (second-1)/2 == (victim-1)/2) {
						second = signal.NodeID(1 + rng.IntN(cfg.nodes))
					}
					b.s.RunTicks(rng.IntN(12))
					b.s.Crash(second)
					delete(b.clients, second)
				}
				for i := 0; i < 3000 && !b.started(victim); i++ {
					b.s.RunTicks(1)
				}
				if !b.started(victim) {
					b.fail(t, fmt.Errorf("node %d did not finish its node restart", victim))
				}
				// Its TC takes transactions again. (Lock conflicts may make
				// its client lose a few times in a row: allow a while.)
				c0 := b.clients[victim].committed
				for i := 0; i < 1000 && b.clients[victim].committed == c0; i++ {
					b.s.RunTicks(1)
				}
				if b.clients[victim].committed == c0 {
					b.fail(t, fmt.Errorf("node %d committed nothing after its node restart", victim))
				}
				b.s.RunTicks(50)
				afterCommits += b.clients[victim].committed - c0
				if err := b.check(); err != nil {
					b.fail(t, fmt.Errorf("after node %d restarted: %w", victim, err))
				}
				for id, r := range b.restarts {
					if !b.s.Up(id) {
						continue
					}
					rs := r.Stats()
					runs += int(rs.Runs)
					aborted += int(rs.Aborted)
					frags += int(rs.FragmentsCopied)
					rows += int(rs.RowsCopied)
					cs := b.lqhs[id].Copy
					lenient += int(cs.Lenient)
					if cs.Conflicts != 0 {
						b.fail(t, fmt.Errorf("node %d: %d copied rows were refused", id, cs.Conflicts))
					}
				}
				b.close()
			}
			if !cfg.crashDuring && runs < len(seeds) {
				t.Fatalf("%d node restarts completed over %d seeds", runs, len(seeds))
			}
			t.Logf("%d seeds: %d node restarts (%d runs begun again), %d fragments and %d rows copied, %d writes applied leniently, %d commits by the restarted TCs",
				len(seeds), runs, aborted, frags, rows, lenient, afterCommits)
		})
	}
}
