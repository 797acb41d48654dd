package tc_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// splitCase is one way to split a cluster in two: side is the nodes on
// one side (the rest are on the other), and winner which side must go on
// ("side", "rest", or "either": the halves each hold a complete copy and
// the arbitrator chooses).
type splitCase struct {
	name            string
	nodes, replicas int
	// pick returns one side of the split, drawn with r.
	pick   func(r *rand.Rand) []signal.NodeID
	winner string
}

// splitCases are the partitions TestPartitionBank runs. Node groups are
// formed in node order: with 4 nodes and 2 replicas, {1,2} and {3,4}.
var splitCases = []splitCase{
	{
		// One node of each group on each side: two halves with a
		// complete copy each. Only the arbitrator's choice goes on.
		name: "4x2,halves", nodes: 4, replicas: 2, winner: "either",
		pick: func(r *rand.Rand) []signal.NodeID {
			return []signal.NodeID{signal.NodeID(1 + r.IntN(2)), signal.NodeID(3 + r.IntN(2))}
		},
	},
	{
		// One node alone: its side lacks the other node group and stops;
		// the three others hold a whole group and go on.
		name: "4x2,one-alone", nodes: 4, replicas: 2, winner: "rest",
		pick: func(r *rand.Rand) []signal.NodeID { return []signal.NodeID{signal.NodeID(1 + r.IntN(4))} },
	},
	{
		// Two nodes, two replicas: halves again.
		name: "2x2,halves", nodes: 2, replicas: 2, winner: "either",
		pick: func(r *rand.Rand) []signal.NodeID { return []signal.NodeID{signal.NodeID(1 + r.IntN(2))} },
	},
	{
		// Three replicas: the node alone has fewer than half of the
		// nodes and stops; the majority goes on without asking.
		name: "3x3,minority", nodes: 3, replicas: 3, winner: "rest",
		pick: func(r *rand.Rand) []signal.NodeID { return []signal.NodeID{signal.NodeID(1 + r.IntN(3))} },
	},
}

// newRestartableBank is the bank workload on a cluster with QMGR whose
// nodes may stop and restart: a restarted node's client starts its
// transaction ids above its earlier incarnations' (as ndbapi's).
func newRestartableBank(t *testing.T, seed uint64, nodes, replicas int) *bank {
	b := &bank{clients: map[signal.NodeID]*bankClient{}}
	incarnation := map[signal.NodeID]int{}
	st := accountTable("")
	b.cluster = newSimCluster(t, clusterConfig{seed: seed, nodes: nodes, replicas: replicas,
		tables: []simTable{st}, qmgr: true,
		api: func(node signal.NodeID) []sim.Placed {
			cl := newBankClient(node, st.layout)
			incarnation[node]++
			cl.next = uint64(incarnation[node]) << 32
			b.clients[node] = cl
			return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
		}})
	return b
}

// committedOn is the number of transactions the live clients of nodes
// committed.
func (b *bank) committedOn(nodes []signal.NodeID) int {
	n := 0
	for _, id := range nodes {
		if cl := b.clients[id]; cl != nil && b.s.Up(id) {
			n += cl.committed
		}
	}
	return n
}

// checkSplit verifies the outcome of a partition into side and rest:
// exactly one side is up, every node of it running QMGR with a view of
// exactly that side, and every node of the other side stopped by its
// QMGR. want is "side", "rest" or "either". It returns the surviving side.
func (c *cluster) checkSplit(side, rest []signal.NodeID, want string, stopped []signal.NodeID) ([]signal.NodeID, error) {
	up := func(ns []signal.NodeID) (all, none bool) {
		all, none = true, true
		for _, n := range ns {
			if c.s.Up(n) {
				none = false
			} else {
				all = false
			}
		}
		return all, none
	}
	sideUp, sideDown := up(side)
	restUp, restDown := up(rest)
	var won, lost []signal.NodeID
	switch {
	case sideUp && restDown:
		won, lost = side, rest
	case restUp && sideDown:
		won, lost = rest, side
	default:
		return nil, fmt.Errorf("partition %v | %v: not exactly one side up (side up %v, rest up %v)", side, rest, sideUp && !sideDown, restUp && !restDown)
	}
	if want == "side" && !slices.Equal(won, side) || want == "rest" && !slices.Equal(won, rest) {
		return nil, fmt.Errorf("partition %v | %v: %v went on, want the %s", side, rest, won, want)
	}
	wonSet := qmgr.SetOf(won...)
	for _, n := range won {
		st := c.qmgrs[n].State()
		var members qmgr.NodeSet
		for _, m := range st.Members {
			members.Add(m.Node)
		}
		if st.Phase != qmgr.Running || members != wonSet {
			return nil, fmt.Errorf("partition %v | %v: node %d on the surviving side is %v with view %v", side, rest, n, st.Phase, members)
		}
	}
	for _, n := range lost {
		if !slices.Contains(stopped, n) {
			return nil, fmt.Errorf("partition %v | %v: node %d of the losing side is down but its QMGR did not stop it", side, rest, n)
		}
	}
	return won, nil
}

// TestPartitionBank runs the bank workload on clusters with QMGR and
// splits the network in two (splitCases): halves each holding a complete
// copy, where the arbitrator lets exactly one go on, and splits where one
// side lacks a node group or a majority and must stop on its own. The
// losing side's QMGR shuts its nodes down (the harness stops them, as
// their runtime would); the winners keep committing. Then the partition
// heals, the stopped nodes restart (node restart: their replicas are
// copied from the winners), and every replica must be equal and the
// balances add up over what committed.
func TestPartitionBank(t *testing.T) {
	seeds := seedList(20, 6, 2)
	for _, sc := range splitCases {
		t.Run(sc.name, func(t *testing.T) {
			var after, restarted, arbitrations int
			var maxStop time.Duration // the longest time from the cut to the losing side's stop
			wins := map[string]int{}
			for _, seed := range seeds {
				b := newRestartableBank(t, seed, sc.nodes, sc.replicas)
				rng := b.s.Rand()
				b.s.RunTicks(40 + rng.IntN(60))
				side := sc.pick(rng)
				rest := cutOff(b.s, rng, b.nodes, side)
				cut := b.s.Now()
				// Failure detection (400 ms), the view change and the
				// arbitration; a node alone finds out last: it suspects the
				// others one ring neighbour at a time.
				var stopped []signal.NodeID
				for i := 0; i < 500 && !b.sideDown(side) && !b.sideDown(rest); i++ {
					stopped = append(stopped, b.runTicks(1)...)
				}
				stopTime := b.s.Now() - cut
				stopped = append(stopped, b.runTicks(30)...)
				won, err := b.checkSplit(side, rest, sc.winner, stopped)
				if err != nil {
					b.fail(t, err)
				}
				maxStop = max(maxStop, stopTime)
				if slices.Equal(won, side) {
					wins["side"]++
				} else {
					wins["rest"]++
				}
				// The winners keep committing.
				c0 := b.committedOn(won)
				for i := 0; i < 300 && b.committedOn(won) == c0; i++ {
					b.runTicks(1)
				}
				if b.committedOn(won) == c0 {
					b.fail(t, fmt.Errorf("partition %v | %v: the surviving side %v committed nothing", side, rest, won))
				}
				after += b.committedOn(won) - c0
				b.runTicks(20 + rng.IntN(40))
				b.s.Heal()
				for _, n := range b.nodes {
					if !b.s.Up(n) {
						b.s.Restart(n)
					}
				}
				for i := 0; i < 3000 && !b.allStarted(); i++ {
					b.runTicks(1)
				}
				if !b.allStarted() {
					b.fail(t, fmt.Errorf("partition %v | %v healed: the stopped nodes did not finish their node restarts", side, rest))
				}
				restarted += len(b.nodes) - len(won)
				b.runTicks(50)
				if err := b.check(); err != nil {
					b.fail(t, fmt.Errorf("partition %v | %v, %v went on: %w", side, rest, won, err))
				}
				_, asked := b.arbitrator.Asked()
				arbitrations += asked
				b.close()
			}
			if sc.winner == "either" && arbitrations == 0 {
				t.Fatal("no side asked the arbitrator")
			}
			t.Logf("%d seeds: the side went on %d times, the rest %d; %d arbitrations; the losers stopped at most %v after the cut; %d commits by the winners during the partition; %d nodes restarted after it",
				len(seeds), wins["side"], wins["rest"], arbitrations, maxStop, after, restarted)
		})
	}
}

// sideDown reports whether every node of side is down.
func (c *cluster) sideDown(side []signal.NodeID) bool {
	for _, n := range side {
		if c.s.Up(n) {
			return false
		}
	}
	return true
}

// allStarted reports whether every node is up and a full replica.
func (c *cluster) allStarted() bool {
	for _, n := range c.nodes {
		if !c.s.Up(n) || !c.started(n) {
			return false
		}
	}
	return true
}

// signalJitter is a random time inside one tick interval (10 ms), so
// that a fault strikes between deliveries.
func signalJitter(r *rand.Rand) time.Duration {
	return time.Duration(r.Int64N(int64(9 * time.Millisecond)))
}

// cutOff partitions side from the rest of nodes at a random moment inside
// the next tick (signals half way) and returns the rest.
func cutOff(s *sim.Sim, r *rand.Rand, nodes, side []signal.NodeID) (rest []signal.NodeID) {
	for _, n := range nodes {
		if !slices.Contains(side, n) {
			rest = append(rest, n)
		}
	}
	s.RunUntil(s.Now() + signalJitter(r))
	s.Partition(side...)
	return rest
}

// TestRegisterLinearizablePartition runs the register workload of
// TestRegisterLinearizableFailures through the splits of TestPartitionBank:
// the losing side stops, the winners go on, the partition heals and the
// stopped nodes come back by node restarts; every key's history must be
// linearizable and the replicas equal.
func TestRegisterLinearizablePartition(t *testing.T) {
	const clientsPerNode = 2
	l := registerLayout()
	initial := simTable{layout: l, fragments: 2}
	for k := int64(0); k < registerKeys; k++ {
		initial.rows = append(initial.rows, registerRow(l, k, 0))
	}
	seeds := seedList(20, 6, 2)
	for _, sc := range splitCases {
		t.Run(sc.name, func(t *testing.T) {
			var st regFailStats
			for _, seed := range seeds {
				rc := newRegCluster(t, seed, sc.nodes, sc.replicas, clientsPerNode, initial)
				c := rc.cluster
				rng := c.s.Rand()
				c.s.RunTicks(20 + rng.IntN(40))
				side := sc.pick(rng)
				rest := cutOff(c.s, rng, c.nodes, side)
				rc.event("partition %v | %v", side, rest)
				var stopped []signal.NodeID
				for i := 0; i < 500 && !c.sideDown(side) && !c.sideDown(rest); i++ {
					stopped = append(stopped, c.runTicks(1)...)
				}
				stopped = append(stopped, c.runTicks(30)...)
				rc.down(stopped...)
				rc.event("stopped %v", stopped)
				// The losing side's reads after the cut are checked with
				// the rest: its read leases run out before the winners'
				// view excludes it (qmgr's lease.go).
				won, err := c.checkSplit(side, rest, sc.winner, stopped)
				if err != nil {
					c.fail(t, err)
				}
				c.runTicks(20 + rng.IntN(40))
				c.s.Heal()
				rc.event("healed; %v restart", stopped)
				for _, n := range c.nodes {
					if !c.s.Up(n) {
						c.s.Restart(n)
					}
				}
				for i := 0; i < 3000 && !c.allStarted(); i++ {
					c.runTicks(1)
				}
				if !c.allStarted() {
					c.fail(t, fmt.Errorf("partition %v | %v, %v went on: the stopped nodes did not finish their node restarts\n%s", side, rest, won, c.describeNodes()))
				}
				rc.lastRestart = c.s.Now()
				rc.event("restarted")
				c.runTicks(30 + rng.IntN(60))
				rc.check(t, &st)
				c.close()
			}
			if st.reads == 0 || st.writes == 0 || st.afterRestart == 0 {
				t.Fatalf("%d reads, %d writes, %d operations after the restarts", st.reads, st.writes, st.afterRestart)
			}
			t.Logf("%d seeds: %d operations, %d reads, %d writes committed, %d writes unknown, %d failed (%d not sent), %d after the restarts; takeovers committed %d, aborted %d; %d reads refused without a read lease",
				len(seeds), st.ops, st.reads, st.writes, st.unknown, st.failed, st.sendFailed, st.afterRestart, st.takeoverCommits, st.takeoverAborts,
				st.fenced)
		})
	}
}
