package qmgr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// tellGossip hands every node of to a GOSSIP_REP (node n is in state st),
// as each node's runtime does when its gossip member's opinion changes.
func tellGossip(t testing.TB, c *cluster, to qmgr.NodeSet, n signal.NodeID, st qmgr.GossipState) {
	t.Helper()
	for _, x := range to.Nodes() {
		sig := &signal.Signal{Number: gsn.GOSSIP_REP}
		sig.SetWords(uint32(n), uint32(st))
		if err := c.s.Inject(signal.Address{Node: x, Block: gsn.BlockQMGR}, sig); err != nil {
			t.Fatalf("GOSSIP_REP to node %d: %v", x, err)
		}
	}
}

// suspicion is the first EventSuspect of a node.
type suspicion struct {
	at time.Duration
	by signal.NodeID
	e  qmgr.Event
}

// watchSuspects records the first suspicion of each node.
func watchSuspects(c *cluster) map[signal.NodeID]suspicion {
	first := map[signal.NodeID]suspicion{}
	c.watch = func(n signal.NodeID, e qmgr.Event) {
		if _, seen := first[e.Node]; e.Kind == qmgr.EventSuspect && !seen {
			first[e.Node] = suspicion{at: c.s.Now(), by: n, e: e}
		}
	}
	return first
}

// sumStats adds up the counters of the running nodes of set.
func sumStats(c *cluster, set qmgr.NodeSet) qmgr.Stats {
	var s qmgr.Stats
	for _, n := range set.Nodes() {
		if q := c.q(n); q != nil {
			st := q.State().Stats
			s.Suspicions += st.Suspicions
			s.GossipReports += st.GossipReports
			s.GossipSuspicions += st.GossipSuspicions
			s.LinkFailures += st.LinkFailures
		}
	}
	return s
}

// TestGossipSpeedsDetection crashes a node and measures, in simulated
// time, how long the survivors take to suspect it: by the heartbeat rule
// alone (MissedHeartbeats intervals), and with gossip reporting it dead
// or left, at the crash or a while after. With gossip the watcher
// suspects it at its first missed interval (or at the report, if later),
// never before the report; the agreement that follows is the usual one:
// every survivor's blocks get one NODE_FAILREP of the node.
func TestGossipSpeedsDetection(t *testing.T) {
	hb := qmgr.DefaultTestConfig().HeartbeatIntervalDbDb
	for _, tc := range []struct {
		name   string
		victim int              // position in the start order; 0 is the president
		state  qmgr.GossipState // 0: no gossip
		after  time.Duration    // when gossip reports it, after the crash
	}{
		{"heartbeats only", 2, 0, 0},
		{"heartbeats only, president", 0, 0, 0},
		{"gossip dead", 2, qmgr.GossipDead, 3 * hb / 2},
		{"gossip dead, president", 0, qmgr.GossipDead, 3 * hb / 2},
		{"gossip left", 1, qmgr.GossipLeft, 3 * hb / 2},
		{"gossip dead at the crash", 2, qmgr.GossipDead, 0},
		{"gossip dead late", 1, qmgr.GossipDead, 5 * hb / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var total time.Duration
			seeds := simFlags.List(20, 5, testing.Short())
			for _, seed := range seeds {
				c := formed(t, seed, 3, 3, nil)
				first := watchSuspects(c)
				victim := c.qs[1].State().Members[tc.victim].Node
				survivors := c.all()
				survivors.Remove(victim)
				c.s.RunTicks(int(seed % 10))
				crashed := c.s.Now()
				c.s.Crash(victim)
				told := crashed + tc.after
				if tc.state != 0 {
					c.s.RunUntil(told)
					tellGossip(t, c, survivors, victim, tc.state)
				}
				if err := c.settle(survivors, 300); err != nil {
					t.Fatalf("%v; %s", err, sim.Reproduce(seed))
				}
				s, ok := first[victim]
				if !ok {
					t.Fatalf("seed %d: node %d removed without a suspicion\n%s", seed, victim, c.describe())
				}
				took := s.at - crashed
				total += took
				st := sumStats(c, survivors)
				plainMin := time.Duration(c.base.MissedHeartbeats-1) * hb
				switch {
				case tc.state == 0:
					if took < plainMin || st.GossipSuspicions != 0 || s.e.Gossip != qmgr.GossipUnknown {
						t.Fatalf("seed %d: suspected %v after the crash (%q, gossip %v), want at least %v by heartbeats; %+v",
							seed, took, s.e.Reason, s.e.Gossip, plainMin, st)
					}
				default:
					// The first missed interval ends at most two intervals
					// (and a delivery) after the crash.
					bound := max(tc.after, 2*hb+10*time.Millisecond)
					if s.at < told || took > bound || took >= plainMin && bound < plainMin ||
						st.GossipSuspicions != 1 || s.e.Gossip != tc.state ||
						!strings.Contains(s.e.Reason, "gossip reports it "+tc.state.String()) {
						t.Fatalf("seed %d: suspected %v after the crash by node %d (%q, gossip %v), gossip told at %v, want by %v; %+v\n%s",
							seed, took, s.by, s.e.Reason, s.e.Gossip, tc.after, bound, st, c.describe())
					}
					if tc.after == 0 && s.at == told {
						t.Fatalf("seed %d: suspected at the report, before any missed heartbeat", seed)
					}
				}
				for _, n := range survivors.Nodes() {
					reps := c.stubs[n].failReps
					if len(reps) != 1 || reps[0].nodes != qmgr.SetOf(victim) {
						t.Fatalf("seed %d: node %d's blocks got %+v", seed, n, reps)
					}
				}
			}
			t.Logf("suspected on average %v after the crash (heartbeat interval %v, %d missed fail a node)",
				total/time.Duration(len(seeds)), hb, qmgr.DefaultTestConfig().MissedHeartbeats)
		})
	}
}

// TestGossipAloneFailsNoNode: gossip reporting nodes dead or left while
// their heartbeats arrive changes nothing: no suspicion, no view change.
func TestGossipAloneFailsNoNode(t *testing.T) {
	for _, st := range []qmgr.GossipState{qmgr.GossipDead, qmgr.GossipLeft} {
		t.Run(st.String(), func(t *testing.T) {
			for _, seed := range simFlags.List(10, 3, testing.Short()) {
				c := formed(t, seed, 4, 2, nil)
				before := c.qs[1].State().FailNo
				for _, n := range c.nodes {
					others := c.all()
					others.Remove(n)
					tellGossip(t, c, others, n, st)
				}
				c.s.RunTicks(ticksFor(5 * c.timeout()))
				if err := c.agreed(c.all()); err != nil {
					t.Fatalf("seed %d: %v\n%s", seed, err, c.describe())
				}
				s := sumStats(c, c.all())
				if after := c.qs[1].State().FailNo; after != before || s.Suspicions != 0 || s.GossipSuspicions != 0 ||
					s.GossipReports != 12 {
					t.Fatalf("seed %d: view %d -> %d, %+v", seed, before, after, s)
				}
				for _, n := range c.nodes {
					if down := c.qs[n].State().GossipDown; down.Count() != 3 || down.Has(n) {
						t.Fatalf("seed %d: node %d: GossipDown %v", seed, n, down)
					}
				}
			}
		})
	}
}

// TestGossipLinkFailure: the link between a node and its watcher is cut
// while gossip holds every node alive. The heartbeat rule still fails the
// watched node after MissedHeartbeats intervals, and the watcher counts
// it as a link failure.
func TestGossipLinkFailure(t *testing.T) {
	for _, seed := range simFlags.List(10, 3, testing.Short()) {
		c := formed(t, seed, 3, 3, nil)
		first := watchSuspects(c)
		for _, n := range c.nodes {
			others := c.all()
			others.Remove(n)
			tellGossip(t, c, others, n, qmgr.GossipAlive)
		}
		c.s.RunTicks(int(seed % 10))
		watcher := c.nodes[int(seed)%len(c.nodes)]
		watched := c.qs[watcher].State().Left
		cut := c.s.Now()
		c.s.Cut(watcher, watched)
		survivors := c.all()
		survivors.Remove(watched)
		if err := c.settle(survivors, 300); err != nil {
			t.Fatalf("%v; %s", err, sim.Reproduce(seed))
		}
		s, ok := first[watched]
		st := c.qs[watcher].State().Stats
		hb := c.base.HeartbeatIntervalDbDb
		if !ok || s.by != watcher || s.e.Gossip != qmgr.GossipAlive || !strings.Contains(s.e.Reason, "link failure") ||
			s.at-cut < time.Duration(c.base.MissedHeartbeats-1)*hb || st.LinkFailures != 1 || st.GossipSuspicions != 0 {
			t.Fatalf("seed %d: node %d watching %d: suspicion %+v %v after the cut; %+v\n%s",
				seed, watcher, watched, s, s.at-cut, st, c.describe())
		}
	}
}

// TestGossipRepChecked: GOSSIP_REP from another node, about a node that
// is no data node or this node, or with an unknown state, is ignored.
func TestGossipRepChecked(t *testing.T) {
	cfg := qmgr.DefaultTestConfig()
	cfg.Node, cfg.StartID, cfg.Founder = 1, 1, true
	cfg.DataNodes = []signal.NodeID{1, 2, 3}
	cfg.NodeGroups = [][]signal.NodeID{{1, 2, 3}}
	self := signal.Address{Node: 1, Block: gsn.BlockQMGR}
	for _, tc := range []struct {
		name  string
		from  signal.NodeID
		words []uint32
		taken bool
	}{
		{"from the runtime", 1, []uint32{2, 3}, true},
		{"injected (no sender)", 0, []uint32{3, 4}, true},
		{"alive", 1, []uint32{2, 1}, true},
		{"from another node", 2, []uint32{3, 3}, false},
		{"about itself", 1, []uint32{1, 3}, false},
		{"not a data node", 1, []uint32{9, 3}, false},
		{"node out of range", 1, []uint32{1 << 20, 3}, false},
		{"unknown state", 1, []uint32{2, 0}, false},
		{"suspect (not reported)", 1, []uint32{2, 2}, false},
		{"state out of range", 1, []uint32{2, 77}, false},
		{"short", 1, []uint32{2}, false},
	} {
		q, err := qmgr.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		env := &fakeEnv{self: self}
		s := &signal.Signal{Number: gsn.GOSSIP_REP, Sender: signal.Address{Node: tc.from, Block: gsn.BlockQMGR}}
		s.SetWords(tc.words...)
		q.Handle(env, s)
		st := q.State()
		if taken := st.GossipReports == 1; taken != tc.taken || st.Suspicions != 0 {
			t.Errorf("%s: %+v", tc.name, st.Stats)
		}
		if want := tc.taken && len(tc.words) > 1 && tc.words[1] != 1; !st.GossipDown.Empty() != want {
			t.Errorf("%s: GossipDown %v", tc.name, st.GossipDown)
		}
	}
	for s, want := range map[qmgr.GossipState]string{0: "unknown", 1: "alive", 3: "dead", 4: "left", 2: "GossipState(2)"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
}
