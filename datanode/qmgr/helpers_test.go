package qmgr_test

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// simFlags are the simulator's -sim.seeds, -sim.seed and -sim.trace.
var simFlags = sim.RegisterFlags(flag.CommandLine)

// report is one NODE_FAILREP or NODE_INCLREP a local block received.
type report struct {
	failNo    uint64
	president signal.NodeID
	nodes     qmgr.NodeSet
	live      qmgr.NodeSet
}

// stub plays the local blocks (TC, LQH, DIH, GCP) of one node: it
// records what QMGR tells it and acknowledges failures at once, or when
// told (holdAPI).
type stub struct {
	failReps []report
	inclReps []report
	apiFails []signal.NodeID
	holdAPI  bool             // do not answer API_FAILREQ until released
	held     []signal.Address // QMGRs waiting for API_FAILCONF
	heldAPI  []uint32
	check    func(kind signal.Number, r report)
}

func words(s *signal.Signal) report {
	var w [8]uint32
	var r report
	r.failNo = uint64(s.Words[0]) | uint64(s.Words[1])<<32
	r.president = signal.NodeID(s.Words[2])
	copy(w[:], s.Words[3:11])
	r.nodes = qmgr.NodeSet(w)
	copy(w[:], s.Words[11:19])
	r.live = qmgr.NodeSet(w)
	return r
}

func (b *stub) Handle(env block.Env, s *signal.Signal) {
	switch s.Number {
	case gsn.NODE_FAILREP:
		r := words(s)
		b.failReps = append(b.failReps, r)
		if b.check != nil {
			b.check(s.Number, r)
		}
		out := &signal.Signal{Number: gsn.NF_COMPLETEREP, Receiver: s.Sender}
		out.SetWords(s.Words[0], s.Words[1])
		env.Send(out)
	case gsn.NODE_INCLREP:
		r := words(s)
		b.inclReps = append(b.inclReps, r)
		if b.check != nil {
			b.check(s.Number, r)
		}
	case gsn.API_FAILREQ:
		b.apiFails = append(b.apiFails, signal.NodeID(s.Words[0]))
		if b.holdAPI {
			b.held = append(b.held, s.Sender)
			b.heldAPI = append(b.heldAPI, s.Words[0])
			return
		}
		out := &signal.Signal{Number: gsn.API_FAILCONF, Receiver: s.Sender}
		out.SetWords(s.Words[0])
		env.Send(out)
	}
}

func (b *stub) Tick(env block.Env) {
	if b.holdAPI || len(b.held) == 0 {
		return
	}
	for i, to := range b.held {
		out := &signal.Signal{Number: gsn.API_FAILCONF, Receiver: to}
		out.SetWords(b.heldAPI[i])
		env.Send(out)
	}
	b.held, b.heldAPI = nil, nil
}

// apiClient plays an API node: API_REGREQ to every data node each
// interval while on, recording the answers.
type apiClient struct {
	to       []signal.NodeID
	interval time.Duration
	on       bool
	next     time.Duration
	confs    map[signal.NodeID]int
	refs     map[signal.NodeID]int
	lastConf map[signal.NodeID][]uint32
}

func (a *apiClient) Handle(env block.Env, s *signal.Signal) {
	switch s.Number {
	case gsn.API_REGCONF:
		a.confs[s.Sender.Node]++
		a.lastConf[s.Sender.Node] = append([]uint32(nil), s.Words[:s.NumWords]...)
	case gsn.API_REGREF:
		a.refs[s.Sender.Node]++
	}
}

func (a *apiClient) Tick(env block.Env) {
	if !a.on || env.Now() < a.next {
		return
	}
	a.next = env.Now() + a.interval
	for _, n := range a.to {
		env.Send(&signal.Signal{Number: gsn.API_REGREQ, Receiver: signal.Address{Node: n, Block: gsn.BlockQMGR}})
	}
}

// cluster is a simulated cluster of data nodes, each running QMGR and a
// stub of its local blocks. Node 1 founds the cluster; the others join.
// It checks, as views are committed anywhere, that one view number never
// names two memberships and that each node's views only move forward.
type cluster struct {
	t      testing.TB
	s      *sim.Sim
	seed   uint64
	nodes  []signal.NodeID
	groups [][]signal.NodeID
	base   qmgr.Config
	qs     map[signal.NodeID]*qmgr.QMGR
	stubs  map[signal.NodeID]*stub
	starts map[signal.NodeID]uint64
	found  map[signal.NodeID]bool
	last   map[signal.NodeID]uint64
	// gen counts system restarts: view numbers start again at each.
	gen   int
	views map[[2]uint64][]qmgr.Member
	err   error
	log   []string
	// finished and caughtUp sum the Stats of every incarnation at its end.
	finished, caughtUp uint64
	// extra places more blocks on a node (API clients).
	extra func(n signal.NodeID) []sim.Placed
	// watch, if set, sees every event of every node, at c.s.Now().
	watch func(n signal.NodeID, e qmgr.Event)
}

// newCluster builds nodes data nodes in node groups of replicas (by node
// id, as NDB forms them) and starts them.
func newCluster(t testing.TB, seed uint64, nodes, replicas int, tune func(*qmgr.Config)) *cluster {
	t.Helper()
	simCfg := sim.DefaultConfig(seed)
	simCfg.KeepTrace = simFlags.Trace != ""
	c := &cluster{t: t, s: sim.New(simCfg), seed: seed,
		qs: map[signal.NodeID]*qmgr.QMGR{}, stubs: map[signal.NodeID]*stub{}, starts: map[signal.NodeID]uint64{},
		found: map[signal.NodeID]bool{1: true}, last: map[signal.NodeID]uint64{}, views: map[[2]uint64][]qmgr.Member{}}
	for i := 1; i <= nodes; i++ {
		c.nodes = append(c.nodes, signal.NodeID(i))
	}
	for i := 0; i < nodes; i += replicas {
		c.groups = append(c.groups, c.nodes[i:min(i+replicas, nodes)])
	}
	c.base = qmgr.DefaultTestConfig()
	c.base.DataNodes, c.base.NodeGroups = c.nodes, c.groups
	c.base.Arbitrator = &qmgr.FirstAsker{}
	if tune != nil {
		tune(&c.base)
	}
	for _, n := range c.nodes {
		c.s.AddNode(n, c.factory(n))
	}
	return c
}

func (c *cluster) factory(n signal.NodeID) sim.Factory {
	return func(*sim.Disk) []sim.Placed {
		if q := c.qs[n]; q != nil {
			st := q.State()
			c.finished += st.Finished
			c.caughtUp += st.CaughtUp
		}
		c.starts[n]++
		start := c.starts[n]
		c.last[n] = 0
		cfg := c.base
		cfg.Node, cfg.StartID, cfg.Founder, cfg.Generation = n, start, c.found[n], uint64(c.gen)
		c.found[n] = false
		cfg.Local = []qmgr.Local{{Addr: signal.Address{Node: n, Block: gsn.BlockTC}, Acks: true}}
		cfg.OnEvent = func(e qmgr.Event) { c.onEvent(n, start, e) }
		q, err := qmgr.New(cfg)
		if err != nil {
			panic(err)
		}
		st := &stub{}
		st.check = func(kind signal.Number, r report) { c.checkReport(n, kind, r) }
		c.qs[n], c.stubs[n] = q, st
		placed := []sim.Placed{{ID: gsn.BlockQMGR, Block: q}, {ID: gsn.BlockTC, Block: st}}
		if c.extra != nil {
			placed = append(placed, c.extra(n)...)
		}
		return placed
	}
}

func (c *cluster) fail(format string, a ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("seed %d at %v: %s", c.seed, c.s.Now(), fmt.Sprintf(format, a...))
	}
}

// onEvent checks every committed view against the views committed
// anywhere before.
func (c *cluster) onEvent(n signal.NodeID, start uint64, e qmgr.Event) {
	if start != c.starts[n] {
		c.fail("node %d: an old incarnation reported %v", n, e)
	}
	if testing.Verbose() && simFlags.Seed != 0 {
		c.log = append(c.log, fmt.Sprintf("%v node %d: %v", c.s.Now(), n, e))
	}
	if c.watch != nil {
		c.watch(n, e)
	}
	if e.Kind != qmgr.EventView {
		return
	}
	if e.FailNo <= c.last[n] {
		c.fail("node %d: view %d after view %d", n, e.FailNo, c.last[n])
	}
	c.last[n] = e.FailNo
	if len(e.Members) == 0 || e.President != e.Members[0].Node {
		c.fail("node %d: view %d has president %d, members %v", n, e.FailNo, e.President, e.Members)
	}
	key := [2]uint64{uint64(c.gen), e.FailNo}
	if prev, ok := c.views[key]; !ok {
		c.views[key] = e.Members
	} else if !slices.Equal(prev, e.Members) {
		c.fail("split brain: node %d committed view %d as %v, another node as %v", n, e.FailNo, e.Members, prev)
	}
}

// checkReport checks a NODE_FAILREP or NODE_INCLREP against the view it
// names.
func (c *cluster) checkReport(n signal.NodeID, kind signal.Number, r report) {
	m, ok := c.views[[2]uint64{uint64(c.gen), r.failNo}]
	if !ok {
		c.fail("node %d: report %d for view %d, which was never committed", n, kind, r.failNo)
		return
	}
	var live qmgr.NodeSet
	for _, x := range m {
		live.Add(x.Node)
	}
	if r.president != m[0].Node || r.live != live || (kind == gsn.NODE_FAILREP && !r.nodes.Intersect(live).Empty()) {
		c.fail("node %d: report %d for view %d: president %d live %v failed %v; the view is %v",
			n, kind, r.failNo, r.president, r.live, r.nodes, m)
	}
}

// q returns node n's QMGR, nil when the node is down.
func (c *cluster) q(n signal.NodeID) *qmgr.QMGR {
	if !c.s.Up(n) {
		return nil
	}
	return c.qs[n]
}

func (c *cluster) phase(n signal.NodeID) qmgr.Phase {
	if q := c.q(n); q != nil {
		return q.Phase()
	}
	return 0
}

// agreed reports whether the running nodes are exactly want and all hold
// the same view of exactly them.
func (c *cluster) agreed(want qmgr.NodeSet) error {
	var ref *qmgr.State
	for _, n := range c.nodes {
		running := c.phase(n) == qmgr.Running
		if running != want.Has(n) {
			return fmt.Errorf("node %d is %v", n, c.phase(n))
		}
		if !running {
			continue
		}
		st := c.qs[n].State()
		if ref == nil {
			ref = &st
			var got qmgr.NodeSet
			for _, m := range st.Members {
				got.Add(m.Node)
			}
			if got != want {
				return fmt.Errorf("node %d's view %d holds %v, want %v", n, st.FailNo, got, want)
			}
			continue
		}
		if st.FailNo != ref.FailNo || !slices.Equal(st.Members, ref.Members) || st.President != ref.President {
			return fmt.Errorf("node %d at view %d %v, node %d at view %d %v", n, st.FailNo, st.Members, ref.Node, ref.FailNo, ref.Members)
		}
		if !st.Suspected.Empty() {
			return fmt.Errorf("node %d still suspects %v", n, st.Suspected)
		}
	}
	return nil
}

// settle runs until agreed(want) holds (for a few more ticks, so that
// late signals could still disturb it) or maxTicks pass.
func (c *cluster) settle(want qmgr.NodeSet, maxTicks int) error {
	var err error
	for i := 0; i < maxTicks && c.err == nil; i++ {
		c.s.RunTicks(1)
		if err = c.agreed(want); err == nil {
			c.s.RunTicks(20)
			if err = c.agreed(want); err == nil {
				return c.err
			}
		}
	}
	if c.err != nil {
		return c.err
	}
	return fmt.Errorf("seed %d: not settled after %d ticks: %v\n%s", c.seed, maxTicks, err, c.describe())
}

func (c *cluster) all() qmgr.NodeSet { return qmgr.SetOf(c.nodes...) }

// describe is every node's state, for failure messages.
func (c *cluster) describe() string {
	var b strings.Builder
	for _, n := range c.nodes {
		q := c.q(n)
		if q == nil {
			fmt.Fprintf(&b, "  node %d: down\n", n)
			continue
		}
		st := q.State()
		fmt.Fprintf(&b, "  node %d: %v view %d president %d members", n, st.Phase, st.FailNo, st.President)
		for _, m := range st.Members {
			fmt.Fprintf(&b, " %d/%d", m.Node, m.Start)
		}
		fmt.Fprintf(&b, " suspects %v left %d missed %d round %q %s %+v\n", st.Suspected, st.Left, st.Missed, st.Round, st.Reason, st.Stats)
	}
	for _, l := range c.log {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// formed builds and settles a cluster, failing the test if it cannot.
func formed(t testing.TB, seed uint64, nodes, replicas int, tune func(*qmgr.Config)) *cluster {
	t.Helper()
	c := newCluster(t, seed, nodes, replicas, tune)
	if err := c.settle(c.all(), 500); err != nil {
		t.Fatalf("forming: %v; %s", err, sim.Reproduce(seed))
	}
	return c
}

// timeout is how long a node may stay silent before it is failed.
func (c *cluster) timeout() time.Duration {
	return time.Duration(c.base.MissedHeartbeats) * c.base.HeartbeatIntervalDbDb
}

// ticksFor is how many ticks d of simulated time takes.
func ticksFor(d time.Duration) int { return int(d / (10 * time.Millisecond)) }
