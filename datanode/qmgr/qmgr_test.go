package qmgr_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// TestSignalNumbers pins QMGR's wire numbers (signal/gsn's own test pins
// the older ones).
func TestSignalNumbers(t *testing.T) {
	pinned := map[signal.Number]signal.Number{
		gsn.HEARTBEAT: 70, gsn.FAIL_REP: 71, gsn.PREP_FAILREQ: 72, gsn.PREP_FAILCONF: 73, gsn.PREP_FAILREF: 74,
		gsn.ACCEPT_FAILREQ: 75, gsn.ACCEPT_FAILCONF: 76, gsn.COMMIT_FAILREQ: 77, gsn.COMMIT_FAILCONF: 78,
		gsn.NODE_FAILREP: 79, gsn.NF_COMPLETEREP: 80, gsn.NODE_INCLREP: 81, gsn.CM_REGREQ: 82, gsn.CM_REGREF: 83,
		gsn.QMGR_STOPORD: 84, gsn.API_REGREQ: 85, gsn.API_REGCONF: 86, gsn.API_REGREF: 87, gsn.API_FAILREQ: 88,
		gsn.API_FAILCONF: 89, gsn.GOSSIP_REP: 115, gsn.GOSSIP_ADDRREP: 116,
		gsn.LEASE_REQ: 117, gsn.LEASE_CONF: 118, gsn.LEASE_ORD: 119,
	}
	if len(pinned) != 25 {
		t.Fatalf("%d distinct numbers, want 25", len(pinned))
	}
	for got, want := range pinned {
		if got != want {
			t.Errorf("signal number %d changed to %d", want, got)
		}
	}
	if gsn.BlockQMGR != 7 {
		t.Error("BlockQMGR changed")
	}
}

func TestNodeSet(t *testing.T) {
	s := qmgr.SetOf(1, 31, 32, 255, 0)
	if s.Count() != 4 || !s.Has(255) || s.Has(0) || s.Has(2) || s.String() != "{1,31,32,255}" {
		t.Fatalf("%v count %d", s, s.Count())
	}
	s.Add(300) // out of range: ignored
	s.Remove(31)
	if s.Count() != 3 || s.Union(qmgr.SetOf(2)).Count() != 4 || s.Minus(qmgr.SetOf(1)).Has(1) ||
		s.Intersect(qmgr.SetOf(1, 2)) != qmgr.SetOf(1) || !(qmgr.NodeSet{}).Empty() {
		t.Fatalf("set operations on %v", s)
	}
}

// TestCheck is NDB's arbitration check on small clusters.
func TestCheck(t *testing.T) {
	g2x2 := []qmgr.NodeSet{qmgr.SetOf(1, 2), qmgr.SetOf(3, 4)}
	g3x2 := []qmgr.NodeSet{qmgr.SetOf(1, 2), qmgr.SetOf(3, 4), qmgr.SetOf(5, 6)}
	for _, tc := range []struct {
		base, side qmgr.NodeSet
		groups     []qmgr.NodeSet
		want       qmgr.Outcome
	}{
		{qmgr.SetOf(1, 2, 3, 4), qmgr.SetOf(1, 3), g2x2, qmgr.Partitioning},
		{qmgr.SetOf(1, 2, 3, 4), qmgr.SetOf(1, 2), g2x2, qmgr.LoseGroups},
		{qmgr.SetOf(1, 2, 3, 4), qmgr.SetOf(1, 3, 4), g2x2, qmgr.WinGroups},
		{qmgr.SetOf(1, 3, 4), qmgr.SetOf(1, 3), g2x2, qmgr.WinGroups}, // 2 already gone: {1} is group 1's whole
		{qmgr.SetOf(1, 2, 3, 4, 5, 6), qmgr.SetOf(1, 3, 5), g3x2, qmgr.Partitioning},
		{qmgr.SetOf(1, 2, 3, 4, 5, 6), qmgr.SetOf(1, 3, 5, 4), g3x2, qmgr.WinGroups},
		{qmgr.SetOf(1, 2, 3, 4, 5, 6), qmgr.SetOf(2, 4), g3x2, qmgr.LoseGroups},
		{qmgr.SetOf(1, 2, 3, 4, 5, 6), qmgr.SetOf(1, 2, 3, 4, 5, 6), g3x2, qmgr.WinGroups},
		{qmgr.SetOf(1, 2, 3, 4, 5, 6, 7, 8, 9), qmgr.SetOf(1, 2, 4, 5, 7), []qmgr.NodeSet{qmgr.SetOf(1, 2, 3), qmgr.SetOf(4, 5, 6), qmgr.SetOf(7, 8, 9)}, qmgr.WinNodes},
		{qmgr.SetOf(1, 2, 3, 4, 5, 6, 7, 8, 9), qmgr.SetOf(3, 6, 9), []qmgr.NodeSet{qmgr.SetOf(1, 2, 3), qmgr.SetOf(4, 5, 6), qmgr.SetOf(7, 8, 9)}, qmgr.LoseNodes},
		{qmgr.SetOf(1, 2), qmgr.SetOf(1), []qmgr.NodeSet{qmgr.SetOf(1, 2)}, qmgr.Partitioning},
		{qmgr.SetOf(1, 2, 3), qmgr.SetOf(1, 2), []qmgr.NodeSet{qmgr.SetOf(1), qmgr.SetOf(2), qmgr.SetOf(3)}, qmgr.LoseGroups},
	} {
		if got := qmgr.Check(tc.base, tc.side, tc.groups); got != tc.want {
			t.Errorf("Check(%v, %v): %v, want %v", tc.base, tc.side, got, tc.want)
		}
	}
}

// TestCheckSidesNeverBothWin is the property the failure protocol rests
// on, against random clusters and splits: two disjoint sides of one view
// never both go on without the arbitrator, and when neither loses, both
// need it.
func TestCheckSidesNeverBothWin(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 20000; i++ {
		replicas, ngroups := 1+r.IntN(4), 1+r.IntN(5)
		var groups []qmgr.NodeSet
		var base qmgr.NodeSet
		for g := 0; g < ngroups; g++ {
			var s qmgr.NodeSet
			for k := 0; k < replicas; k++ {
				n := signal.NodeID(1 + g*replicas + k)
				s.Add(n)
				if r.IntN(5) != 0 {
					base.Add(n)
				}
			}
			groups = append(groups, s)
		}
		var a qmgr.NodeSet
		for _, n := range base.Nodes() {
			if r.IntN(2) == 0 {
				a.Add(n)
			}
		}
		b := base.Minus(a)
		// Part of a side may be dead as well.
		if r.IntN(3) == 0 {
			for _, n := range b.Nodes() {
				if r.IntN(3) == 0 {
					b.Remove(n)
				}
			}
		}
		oa, ob := qmgr.Check(base, a, groups), qmgr.Check(base, b, groups)
		win := func(o qmgr.Outcome) bool { return o == qmgr.WinGroups || o == qmgr.WinNodes }
		lose := func(o qmgr.Outcome) bool { return o == qmgr.LoseGroups || o == qmgr.LoseNodes }
		if win(oa) && !lose(ob) || win(ob) && !lose(oa) {
			t.Fatalf("base %v groups %v: side %v %v, side %v %v", base, groups, a, oa, b, ob)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := qmgr.DefaultConfig()
	good.Node, good.StartID = 2, 1
	good.DataNodes = []signal.NodeID{1, 2, 3, 4}
	good.NodeGroups = [][]signal.NodeID{{1, 2}, {3, 4}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*qmgr.Config)
		want string
	}{
		{"node 0", func(c *qmgr.Config) { c.Node = 0 }, "node id 0"},
		{"start id", func(c *qmgr.Config) { c.StartID = 0 }, "StartID"},
		{"not a data node", func(c *qmgr.Config) { c.Node = 9 }, "not among the data nodes"},
		{"ungrouped", func(c *qmgr.Config) { c.NodeGroups = [][]signal.NodeID{{1, 2}, {3}} }, "in no node group"},
		{"two groups", func(c *qmgr.Config) { c.NodeGroups = [][]signal.NodeID{{1, 2}, {2, 3, 4}} }, "in two groups"},
		{"interval", func(c *qmgr.Config) { c.HeartbeatIntervalDbDb = 0 }, "heartbeat intervals"},
		{"missed", func(c *qmgr.Config) { c.MissedHeartbeats = 1 }, "MissedHeartbeats"},
		{"mode", func(c *qmgr.Config) { c.Arbitration = 9 }, "arbitration mode"},
		{"timeout", func(c *qmgr.Config) { c.ArbitrationTimeout = -time.Second }, "ArbitrationTimeout"},
		{"remote block", func(c *qmgr.Config) { c.Local = []qmgr.Local{{Addr: signal.Address{Node: 3}}} }, "another node"},
	} {
		c := good
		c.DataNodes = append([]signal.NodeID(nil), good.DataNodes...)
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if _, nerr := qmgr.New(c); nerr == nil {
			t.Errorf("%s: New accepted it", tc.name)
		}
	}
}

func TestParseArbitrationMode(t *testing.T) {
	for s, want := range map[string]qmgr.ArbitrationMode{
		"Default": qmgr.ArbitrationDefault, "disabled": qmgr.ArbitrationDisabled, "WAITEXTERNAL": qmgr.ArbitrationWaitExternal,
	} {
		if got, err := qmgr.ParseArbitrationMode(s); err != nil || got != want || !strings.EqualFold(got.String(), s) {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	if _, err := qmgr.ParseArbitrationMode("sometimes"); err == nil {
		t.Error("accepted a bad mode")
	}
}

// TestFirstAsker: one proposal per base, repeats granted, older bases
// refused, latency honoured.
func TestFirstAsker(t *testing.T) {
	f := &qmgr.FirstAsker{Delay: 1}
	a := qmgr.ArbitrationRequest{Base: 5, Proposed: qmgr.SetOf(1, 3), Side: qmgr.SetOf(1, 3), President: 1}
	b := qmgr.ArbitrationRequest{Base: 5, Proposed: qmgr.SetOf(2, 4), Side: qmgr.SetOf(2, 4), President: 2}
	steps := []struct {
		req  qmgr.ArbitrationRequest
		want qmgr.Verdict
	}{
		{a, qmgr.Pending}, {b, qmgr.Pending}, {a, qmgr.Granted}, {b, qmgr.Refused},
		{qmgr.ArbitrationRequest{Base: 5, Proposed: a.Proposed, Side: qmgr.SetOf(3), President: 3}, qmgr.Pending},
		{qmgr.ArbitrationRequest{Base: 5, Proposed: a.Proposed, Side: qmgr.SetOf(3), President: 3}, qmgr.Granted},
		{qmgr.ArbitrationRequest{Base: 4, Proposed: a.Proposed, President: 1}, qmgr.Pending},
		{qmgr.ArbitrationRequest{Base: 4, Proposed: a.Proposed, President: 1}, qmgr.Refused},
		{qmgr.ArbitrationRequest{Base: 6, Proposed: b.Proposed, President: 2}, qmgr.Pending},
		{qmgr.ArbitrationRequest{Base: 6, Proposed: b.Proposed, President: 2}, qmgr.Granted},
		// A new cluster (after a system restart) starts its views at 1.
		{qmgr.ArbitrationRequest{Generation: 1, Base: 1, Proposed: a.Proposed, President: 1}, qmgr.Pending},
		{qmgr.ArbitrationRequest{Generation: 1, Base: 1, Proposed: a.Proposed, President: 1}, qmgr.Granted},
		{qmgr.ArbitrationRequest{Generation: 0, Base: 9, Proposed: a.Proposed, President: 1}, qmgr.Pending},
		{qmgr.ArbitrationRequest{Generation: 0, Base: 9, Proposed: a.Proposed, President: 1}, qmgr.Refused},
	}
	for i, st := range steps {
		if got := f.Arbitrate(st.req); got != st.want {
			t.Fatalf("step %d: %v, want %v", i, got, st.want)
		}
	}
	if asked, n := f.Asked(); asked != qmgr.SetOf(1, 2, 3) || n != 7 {
		t.Fatalf("asked %v %d", asked, n)
	}
}

// fakeEnv sends nothing anywhere; it lets a test drive one block.
type fakeEnv struct {
	self signal.Address
	now  time.Duration
	sent int
}

func (e *fakeEnv) Self() signal.Address        { return e.self }
func (e *fakeEnv) Now() time.Duration          { return e.now }
func (e *fakeEnv) Send(s *signal.Signal) error { e.sent++; return nil }

// TestHeartbeatPathAllocates nothing: a running member's ticks and the
// heartbeats it receives.
func TestHeartbeatPathAllocatesNothing(t *testing.T) {
	cfg := qmgr.DefaultTestConfig()
	cfg.Node, cfg.StartID, cfg.Founder = 1, 1, true
	cfg.DataNodes = []signal.NodeID{1, 2}
	cfg.NodeGroups = [][]signal.NodeID{{1, 2}}
	q, err := qmgr.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env := &fakeEnv{self: signal.Address{Node: 1, Block: gsn.BlockQMGR}}
	hb := &signal.Signal{Number: gsn.HEARTBEAT, Sender: signal.Address{Node: 1, Block: gsn.BlockQMGR}}
	hb.SetWords(1, 0, 1, 0)
	api := &signal.Signal{Number: gsn.API_REGREQ, Sender: signal.Address{Node: 50, Block: gsn.BlockAPI}}
	q.Tick(env)
	allocs := testing.AllocsPerRun(1000, func() {
		env.now += 10 * time.Millisecond
		q.Tick(env)
		q.Handle(env, hb)
		q.Handle(env, api)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per tick", allocs)
	}
	if env.sent == 0 {
		t.Fatal("sent nothing")
	}
}
