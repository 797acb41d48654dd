package qmgr_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

// TestFormation: every node joins the founder, in some start order; all
// agree on one view whose president is the founder, and every node's
// local blocks learn it.
func TestFormation(t *testing.T) {
	for _, tc := range []struct{ nodes, replicas int }{{1, 1}, {2, 2}, {3, 1}, {4, 2}, {6, 3}} {
		t.Run(fmt.Sprintf("nodes=%d", tc.nodes), func(t *testing.T) {
			for _, seed := range simFlags.List(20, 5, testing.Short()) {
				c := formed(t, seed, tc.nodes, tc.replicas, nil)
				st := c.qs[1].State()
				if st.President != 1 || len(st.Members) != tc.nodes || st.Members[0].Dyn != 1 {
					t.Fatalf("seed %d: %+v", seed, st)
				}
				for i := 1; i < len(st.Members); i++ {
					if st.Members[i].Dyn <= st.Members[i-1].Dyn {
						t.Fatalf("seed %d: dynamic ids out of order: %v", seed, st.Members)
					}
				}
				for _, n := range c.nodes {
					if len(c.stubs[n].failReps) != 0 || len(c.stubs[n].inclReps) == 0 {
						t.Fatalf("seed %d: node %d's blocks got %d failure and %d inclusion reports",
							seed, n, len(c.stubs[n].failReps), len(c.stubs[n].inclReps))
					}
				}
			}
		})
	}
}

// silence makes node n fall silent: crashed, or cut off from every other
// node (it then finds itself alone and shuts itself down).
func silence(c *cluster, n signal.NodeID, crash bool) {
	if crash {
		c.s.Crash(n)
	} else {
		c.s.Partition(n)
	}
}

// TestOneNodeFails: a node stops sending heartbeats; every survivor's
// local blocks get exactly one NODE_FAILREP, naming that node, with the
// same view number and the same president, the oldest survivor.
func TestOneNodeFails(t *testing.T) {
	for _, tc := range []struct {
		nodes, replicas int
		victim          int // position in the start order; 0 is the president
		crash           bool
	}{
		{4, 2, 2, true}, {4, 2, 3, false}, {3, 3, 1, true}, {6, 2, 4, false}, {6, 3, 5, true},
		{4, 2, 0, true}, {6, 2, 0, false}, {3, 3, 0, false},
	} {
		t.Run(fmt.Sprintf("nodes=%d,replicas=%d,victim=%d,crash=%v", tc.nodes, tc.replicas, tc.victim, tc.crash), func(t *testing.T) {
			for _, seed := range simFlags.List(30, 8, testing.Short()) {
				c := formed(t, seed, tc.nodes, tc.replicas, nil)
				before := c.qs[1].State()
				victim := before.Members[tc.victim].Node
				want := before.Members[0].Node
				if tc.victim == 0 {
					want = before.Members[1].Node
				}
				c.s.RunTicks(int(seed % 10))
				silence(c, victim, tc.crash)
				survivors := c.all()
				survivors.Remove(victim)
				if err := c.settle(survivors, 300); err != nil {
					t.Fatalf("%v; %s", err, sim.Reproduce(seed))
				}
				var first report
				for i, n := range survivors.Nodes() {
					reps := c.stubs[n].failReps
					if len(reps) != 1 || reps[0].nodes != qmgr.SetOf(victim) || reps[0].president != want {
						t.Fatalf("seed %d: node %d's blocks got %+v, want one report of node %d with president %d\n%s",
							seed, n, reps, victim, want, c.describe())
					}
					if i == 0 {
						first = reps[0]
					} else if reps[0] != first {
						t.Fatalf("seed %d: node %d got %+v, another %+v", seed, n, reps[0], first)
					}
				}
				if !tc.crash {
					if st := c.qs[victim].State(); st.Phase != qmgr.Stopped || st.Reason == "" {
						t.Fatalf("seed %d: the isolated node is %v (%q)", seed, st.Phase, st.Reason)
					}
				}
			}
		})
	}
}

// TestPresidencyMoves: the president fails, then its successor: each
// time every survivor learns the next oldest node as president in the
// same view.
func TestPresidencyMoves(t *testing.T) {
	for _, seed := range simFlags.List(30, 8, testing.Short()) {
		c := formed(t, seed, 6, 3, nil)
		order := c.qs[1].State().Members
		alive := c.all()
		for k := 0; k < 2; k++ {
			victim := order[k].Node
			c.s.Crash(victim)
			alive.Remove(victim)
			if err := c.settle(alive, 300); err != nil {
				t.Fatalf("%v; %s", err, sim.Reproduce(seed))
			}
			for _, n := range alive.Nodes() {
				st := c.qs[n].State()
				reps := c.stubs[n].failReps
				if st.President != order[k+1].Node || len(reps) != k+1 || reps[k].president != order[k+1].Node {
					t.Fatalf("seed %d: after %d failures node %d has president %d and reports %+v; start order %v",
						seed, k+1, n, st.President, reps, order)
				}
			}
		}
	}
}

// TestPartitionHalves: a partition into two halves, each with a node of
// every node group: the arbitrator picks one side, which goes on; the
// other shuts down.
func TestPartitionHalves(t *testing.T) {
	for _, tc := range []struct {
		nodes, replicas int
		side            []signal.NodeID
	}{
		{2, 2, []signal.NodeID{1}},
		{4, 2, []signal.NodeID{1, 3}},
		{6, 2, []signal.NodeID{2, 3, 6}},
		{6, 3, []signal.NodeID{1, 2, 4}},
	} {
		t.Run(fmt.Sprintf("nodes=%d,side=%v", tc.nodes, tc.side), func(t *testing.T) {
			wins := map[bool]int{}
			for _, seed := range simFlags.List(40, 10, testing.Short()) {
				arb := &qmgr.FirstAsker{Delay: int(seed % 3)}
				c := formed(t, seed, tc.nodes, tc.replicas, func(cfg *qmgr.Config) { cfg.Arbitrator = arb })
				c.s.RunTicks(int(seed % 10))
				c.s.Partition(tc.side...)
				a := qmgr.SetOf(tc.side...)
				b := c.all().Minus(a)
				c.s.RunTicks(200)
				winner := a
				if c.phase(a.Nodes()[0]) != qmgr.Running {
					winner = b
				}
				if err := c.settle(winner, 300); err != nil {
					t.Fatalf("%v; %s", err, sim.Reproduce(seed))
				}
				wins[winner == a]++
				if _, n := arb.Asked(); n == 0 {
					t.Fatalf("seed %d: nobody asked the arbitrator", seed)
				}
				for _, n := range c.all().Minus(winner).Nodes() {
					if st := c.qs[n].State(); st.Reason == "" {
						t.Fatalf("seed %d: node %d stopped without a reason", seed, n)
					}
				}
				// After the heal the losers' zombies stay out, and the
				// winners keep their view.
				c.s.Heal()
				if err := c.settle(winner, 100); err != nil {
					t.Fatalf("after heal: %v; %s", err, sim.Reproduce(seed))
				}
			}
			if len(simFlags.List(40, 10, testing.Short())) >= 10 && (wins[true] == 0 || wins[false] == 0) {
				t.Logf("one side always won: %v", wins)
			}
		})
	}
}

// TestNoCompleteCopyShutsDown: a side without a node of every node group
// shuts down without asking the arbitrator; a side that holds a whole node
// group goes on without asking either.
func TestNoCompleteCopyShutsDown(t *testing.T) {
	for _, tc := range []struct {
		nodes, replicas int
		side            []signal.NodeID
		sideWins        bool // false: the side loses; true: it wins
		otherWins       bool
	}{
		{4, 2, []signal.NodeID{1, 2}, false, false}, // each side lacks a group
		{6, 2, []signal.NodeID{2, 4}, false, true},  // the other side holds all of {5,6}
		{6, 3, []signal.NodeID{1, 2, 3}, false, false},
		{6, 2, []signal.NodeID{1, 3, 5, 6}, true, false}, // whole group {5,6}
		{3, 1, []signal.NodeID{1, 2}, false, false},      // NoOfReplicas=1: any failure is fatal
	} {
		t.Run(fmt.Sprintf("nodes=%d,side=%v", tc.nodes, tc.side), func(t *testing.T) {
			for _, seed := range simFlags.List(30, 8, testing.Short()) {
				arb := &qmgr.FirstAsker{}
				c := formed(t, seed, tc.nodes, tc.replicas, func(cfg *qmgr.Config) { cfg.Arbitrator = arb })
				c.s.Partition(tc.side...)
				a := qmgr.SetOf(tc.side...)
				var want qmgr.NodeSet
				if tc.sideWins {
					want = a
				}
				if tc.otherWins {
					want = c.all().Minus(a)
				}
				c.s.RunTicks(150)
				if err := c.settle(want, 300); err != nil {
					t.Fatalf("%v; %s", err, sim.Reproduce(seed))
				}
				if asked, n := arb.Asked(); n != 0 {
					t.Fatalf("seed %d: %v asked the arbitrator", seed, asked)
				}
			}
		})
	}
}

// silent is an arbitrator that never answers; refuser refuses everything.
type silent struct{ asked int }

func (a *silent) Arbitrate(qmgr.ArbitrationRequest) qmgr.Verdict { a.asked++; return qmgr.Pending }

type refuser struct{}

func (refuser) Arbitrate(qmgr.ArbitrationRequest) qmgr.Verdict { return qmgr.Refused }

// TestArbitrationModes: a partition into halves under each mode and
// arbitrator: who goes on.
func TestArbitrationModes(t *testing.T) {
	side := []signal.NodeID{1, 3}
	for _, tc := range []struct {
		name string
		mode qmgr.ArbitrationMode
		arb  func() qmgr.Arbitrator
		// both: both halves go on; none: both shut down; else one side.
		both, none bool
	}{
		{"default/first-asker", qmgr.ArbitrationDefault, func() qmgr.Arbitrator { return &qmgr.FirstAsker{} }, false, false},
		{"default/silent", qmgr.ArbitrationDefault, func() qmgr.Arbitrator { return &silent{} }, false, true},
		{"default/none", qmgr.ArbitrationDefault, func() qmgr.Arbitrator { return nil }, false, true},
		{"default/refuser", qmgr.ArbitrationDefault, func() qmgr.Arbitrator { return refuser{} }, false, true},
		{"disabled", qmgr.ArbitrationDisabled, func() qmgr.Arbitrator { return refuser{} }, true, false},
		{"waitexternal/first-asker", qmgr.ArbitrationWaitExternal, func() qmgr.Arbitrator { return &qmgr.FirstAsker{} }, false, false},
		{"waitexternal/silent", qmgr.ArbitrationWaitExternal, func() qmgr.Arbitrator { return &silent{} }, true, false},
		{"waitexternal/refuser", qmgr.ArbitrationWaitExternal, func() qmgr.Arbitrator { return refuser{} }, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, seed := range simFlags.List(20, 5, testing.Short()) {
				arb := tc.arb()
				var stopped []string
				c := formed(t, seed, 4, 2, func(cfg *qmgr.Config) { cfg.Arbitration, cfg.Arbitrator = tc.mode, arb })
				c.s.Partition(side...)
				c.s.RunTicks(200)
				a, b := qmgr.SetOf(side...), qmgr.SetOf(2, 4)
				var want qmgr.NodeSet
				switch {
				case tc.both:
					want = c.all()
				case tc.none:
				case c.phase(1) == qmgr.Running:
					want = a
				default:
					want = b
				}
				for _, n := range c.nodes {
					running := c.phase(n) == qmgr.Running
					if running != want.Has(n) {
						t.Fatalf("seed %d: node %d is %v, want running %v\n%s", seed, n, c.phase(n), want.Has(n), c.describe())
					}
					if !running {
						stopped = append(stopped, c.qs[n].State().Reason)
					}
				}
				if tc.both {
					// Split brain, as documented: each half holds its own
					// view of itself (one view number, two memberships:
					// the checker's complaint is the point).
					c.err = nil
					for _, n := range c.nodes {
						st := c.qs[n].State()
						if len(st.Members) != 2 {
							t.Fatalf("seed %d: node %d's view %v", seed, n, st.Members)
						}
					}
					continue
				}
				if c.err != nil {
					t.Fatal(c.err)
				}
				if tc.none && len(stopped) != 4 {
					t.Fatalf("seed %d: stopped %q", seed, stopped)
				}
			}
		})
	}
}

// TestNoFalseFailureUnderDelay: network delays below the time-out (up to
// 2.5 heartbeat intervals, reordering across pairs) never fail a node.
func TestNoFalseFailureUnderDelay(t *testing.T) {
	for _, seed := range simFlags.List(20, 5, testing.Short()) {
		c := formed(t, seed, 5, 1, nil)
		interval := c.base.HeartbeatIntervalDbDb
		api := &apiClient{to: c.nodes, interval: c.base.HeartbeatIntervalDbApi, on: true,
			confs: map[signal.NodeID]int{}, refs: map[signal.NodeID]int{}, lastConf: map[signal.NodeID][]uint32{}}
		c.s.AddNode(100, func(*sim.Disk) []sim.Placed { return []sim.Placed{{ID: 1, Block: api}} })
		c.s.RunTicks(20)
		c.s.SetDelay(0, interval*5/2)
		before := c.qs[1].State().FailNo
		c.s.RunTicks(ticksFor(30 * time.Second))
		if err := c.agreed(c.all()); err != nil || c.err != nil {
			t.Fatalf("seed %d: %v %v", seed, err, c.err)
		}
		for _, n := range c.nodes {
			st := c.qs[n].State()
			if st.Suspicions != 0 || st.FailNo != before || st.APIFailures != 0 || st.HeartbeatsReceived < 250 {
				t.Fatalf("seed %d: node %d: %+v", seed, n, st.Stats)
			}
		}
	}
}

// TestAPINodeFails: an API node that stops sending API_REGREQ is failed
// after MissedHeartbeats intervals on every data node, once; it may
// register again only after the local blocks finished cleaning up.
func TestAPINodeFails(t *testing.T) {
	for _, seed := range simFlags.List(20, 5, testing.Short()) {
		c := formed(t, seed, 3, 3, nil)
		api := &apiClient{to: c.nodes, interval: c.base.HeartbeatIntervalDbApi, on: true,
			confs: map[signal.NodeID]int{}, refs: map[signal.NodeID]int{}, lastConf: map[signal.NodeID][]uint32{}}
		c.s.AddNode(200, func(*sim.Disk) []sim.Placed { return []sim.Placed{{ID: 1, Block: api}} })
		c.s.RunTicks(100)
		for _, n := range c.nodes {
			w := api.lastConf[n]
			if api.confs[n] < 5 || len(w) < 12 || w[0] != 1 || qmgr.NodeSet(w[4:12]) != c.all() {
				t.Fatalf("seed %d: API_REGCONF from node %d: %d times, last %v", seed, n, api.confs[n], w)
			}
			c.stubs[n].holdAPI = true
		}
		api.on = false
		c.s.RunTicks(ticksFor(3 * c.base.HeartbeatIntervalDbApi))
		for _, n := range c.nodes {
			if len(c.stubs[n].apiFails) != 0 {
				t.Fatalf("seed %d: node %d failed the API node after 3 intervals", seed, n)
			}
		}
		c.s.RunTicks(ticksFor(3 * c.base.HeartbeatIntervalDbApi))
		for _, n := range c.nodes {
			if f := c.stubs[n].apiFails; len(f) != 1 || f[0] != 200 {
				t.Fatalf("seed %d: node %d's blocks got API_FAILREQ %v", seed, n, f)
			}
			if st := c.qs[n].State(); st.APIFailures != 1 || len(st.APIs) != 1 || !st.APIs[0].Failing {
				t.Fatalf("seed %d: node %d: %+v", seed, n, st.APIs)
			}
		}
		// Back while the blocks still clean up: refused.
		api.on = true
		c.s.RunTicks(30)
		for _, n := range c.nodes {
			if api.refs[n] == 0 {
				t.Fatalf("seed %d: node %d let the API node register during failure handling", seed, n)
			}
			c.stubs[n].holdAPI = false
		}
		confs := api.confs[1]
		c.s.RunTicks(30)
		if api.confs[1] <= confs {
			t.Fatalf("seed %d: the API node could not register again", seed)
		}
		for _, n := range c.nodes {
			if len(c.stubs[n].apiFails) != 1 {
				t.Fatalf("seed %d: node %d failed the API node again", seed, n)
			}
		}
	}
}

// TestRestartAndJoin: a failed node restarts and joins at the end of the
// ring; a node restarting before anyone noticed it failed is failed
// first, then admitted, and the survivors' blocks hear of the failure
// once.
func TestRestartAndJoin(t *testing.T) {
	for _, quick := range []bool{false, true} {
		t.Run(fmt.Sprintf("quick=%v", quick), func(t *testing.T) {
			for _, seed := range simFlags.List(30, 8, testing.Short()) {
				c := formed(t, seed, 4, 2, nil)
				victim := c.qs[1].State().Members[1+int(seed%3)].Node
				c.s.Crash(victim)
				if !quick {
					rest := c.all()
					rest.Remove(victim)
					if err := c.settle(rest, 300); err != nil {
						t.Fatal(err)
					}
				}
				c.s.Restart(victim)
				if err := c.settle(c.all(), 500); err != nil {
					t.Fatalf("%v; %s", err, sim.Reproduce(seed))
				}
				st := c.qs[1].State()
				last := st.Members[len(st.Members)-1]
				if last.Node != victim || last.Start != c.starts[victim] {
					t.Fatalf("seed %d: node %d did not join at the end of the ring: %v", seed, victim, st.Members)
				}
				for _, n := range c.nodes {
					if n == victim {
						continue
					}
					reps := c.stubs[n].failReps
					if len(reps) != 1 || reps[0].nodes != qmgr.SetOf(victim) {
						t.Fatalf("seed %d: node %d's blocks got %+v", seed, n, reps)
					}
				}
			}
		})
	}
}

// TestSequentialFailuresNeedNoArbitration: half the nodes failing one
// after the other shrink the view step by step, so each failure leaves a
// whole node group or a majority: no arbitration (as in NDB).
func TestSequentialFailuresNeedNoArbitration(t *testing.T) {
	for _, seed := range simFlags.List(20, 5, testing.Short()) {
		c := formed(t, seed, 4, 2, func(cfg *qmgr.Config) { cfg.Arbitrator = nil })
		c.s.Crash(2)
		if err := c.settle(qmgr.SetOf(1, 3, 4), 300); err != nil {
			t.Fatal(err)
		}
		c.s.Crash(4)
		if err := c.settle(qmgr.SetOf(1, 3), 300); err != nil {
			t.Fatalf("%v; %s", err, sim.Reproduce(seed))
		}
	}
}
