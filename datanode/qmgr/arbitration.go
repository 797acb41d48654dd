package qmgr

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gondb/gondb/signal"
)

// Outcome is the arbitration check of one side of a failure: the nodes
// that survive it, against the view they had before (NDB's ArbitCode).
type Outcome uint8

const (
	// LoseGroups: some node group has no node on this side, so the side
	// lacks a complete copy of the data and shuts down.
	LoseGroups Outcome = iota + 1
	// LoseNodes: every group is there but fewer than half of the view's
	// nodes: the other side may hold a complete copy and a majority.
	LoseNodes
	// WinGroups: every node of some node group (of those in the view) is
	// on this side, so no other side can hold a complete copy.
	WinGroups
	// WinNodes: every group is there and more than half of the nodes.
	WinNodes
	// Partitioning: every group is there and exactly half of the nodes:
	// the other half may hold a complete copy too, and only the
	// arbitrator can tell which side goes on.
	Partitioning
)

var outcomeNames = [...]string{
	LoseGroups:   "lost: a node group has no live node (no complete copy)",
	LoseNodes:    "lost: fewer than half of the nodes left",
	WinGroups:    "won: a whole node group survives",
	WinNodes:     "won: every node group and more than half of the nodes survive",
	Partitioning: "network partitioning: arbitration required",
}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// Check is NDB's arbitration check: what the nodes of side may do after
// the other nodes of base failed. groups are the configured node groups.
// Two disjoint sides of one base never both win without the arbitrator:
// a side that wins holds either more than half of base or every base node
// of a group, and a side that does not lose holds a node of every group.
func Check(base, side NodeSet, groups []NodeSet) Outcome {
	side = side.Intersect(base)
	whole := false
	for _, g := range groups {
		in := g.Intersect(side)
		if in.Empty() {
			return LoseGroups
		}
		if in == g.Intersect(base) {
			whole = true
		}
	}
	if whole {
		return WinGroups
	}
	switch n, k := base.Count(), side.Count(); {
	case 2*k > n:
		return WinNodes
	case 2*k < n:
		return LoseNodes
	}
	return Partitioning
}

// ArbitrationMode is the Arbitration parameter of the data nodes.
type ArbitrationMode uint8

const (
	// ArbitrationDefault: a side that the check leaves at Partitioning
	// asks the Arbitrator (the management node's etcd lease) and goes on
	// only if granted; no answer within ArbitrationTimeout, or no
	// arbitrator, is a loss.
	ArbitrationDefault ArbitrationMode = iota
	// ArbitrationDisabled: never ask; a side with a complete copy goes on.
	// Both halves of a partition may then go on (split brain).
	ArbitrationDisabled
	// ArbitrationWaitExternal: ask the Arbitrator, which an external
	// cluster manager implements, and wait up to ArbitrationTimeout. A
	// grant goes on, a refusal shuts down, and no answer goes on after
	// the timeout, as NDB does: the external manager is expected to have
	// stopped the other side by then.
	ArbitrationWaitExternal
)

var modeNames = [...]string{
	ArbitrationDefault:      "Default",
	ArbitrationDisabled:     "Disabled",
	ArbitrationWaitExternal: "WaitExternal",
}

func (m ArbitrationMode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("ArbitrationMode(%d)", m)
}

// ParseArbitrationMode reads config.ini's Arbitration value (Default,
// Disabled or WaitExternal, any case).
func ParseArbitrationMode(s string) (ArbitrationMode, error) {
	for m, name := range modeNames {
		if strings.EqualFold(s, name) {
			return ArbitrationMode(m), nil
		}
	}
	return 0, fmt.Errorf("qmgr: Arbitration=%q: want Default, Disabled or WaitExternal", s)
}

// Verdict is an Arbitrator's answer.
type Verdict uint8

const (
	Pending Verdict = iota // no answer yet: ask again later
	Granted                // this side goes on
	Refused                // this side shuts down
)

func (v Verdict) String() string {
	switch v {
	case Pending:
		return "pending"
	case Granted:
		return "granted"
	case Refused:
		return "refused"
	}
	return fmt.Sprintf("Verdict(%d)", v)
}

// ArbitrationRequest is what one side's president asks the arbitrator.
type ArbitrationRequest struct {
	// Generation is the cluster's system start (Config.Generation).
	Generation uint64
	// Base is the failure number of the view both sides start from.
	Base uint64
	// Proposed is the membership the side wants to commit next.
	Proposed NodeSet
	// Side are the nodes on the asking side.
	Side NodeSet
	// President is the asking node.
	President signal.NodeID
}

// Arbitrator decides which side of a split cluster goes on.
//
// Contract: for one (Generation, Base) it grants at most one Proposed
// set, ever; asked again with a granted (Generation, Base, Proposed) it
// grants again (a new president of the same side may repeat its
// predecessor's request); it refuses a (Generation, Base) below the
// highest it has granted. Whoever asks first wins. The management node
// keeps this in etcd: one key holding the last grant, changed by a
// compare-and-swap transaction.
//
// Threading: QMGR calls Arbitrate on its own thread, and Arbitrate must
// not block. The first call with a request starts it (an etcd transaction
// on the implementation's goroutine, say) and returns Pending; QMGR asks
// again with the same request every Tick until the verdict or
// ArbitrationTimeout.
type Arbitrator interface {
	Arbitrate(req ArbitrationRequest) Verdict
}

// FirstAsker is an in-process Arbitrator for tests and the simulator: it
// grants the first request of each (Generation, Base) and refuses other
// proposals for it. Safe for concurrent use.
type FirstAsker struct {
	// Delay is how many times a request is answered Pending before its
	// verdict (an arbitrator's latency, in QMGR ticks).
	Delay int

	mu       sync.Mutex
	granted  bool
	gen      uint64
	base     uint64
	proposed NodeSet
	polls    map[ArbitrationRequest]int
	asked    NodeSet
	requests int
}

var _ Arbitrator = (*FirstAsker)(nil)

// Arbitrate implements Arbitrator.
func (f *FirstAsker) Arbitrate(req ArbitrationRequest) Verdict {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.polls == nil {
		f.polls = map[ArbitrationRequest]int{}
	}
	n := f.polls[req]
	f.polls[req] = n + 1
	if n == 0 {
		f.requests++
		f.asked.Add(req.President)
	}
	if n < f.Delay {
		return Pending
	}
	if f.granted {
		switch {
		case req.Generation < f.gen || req.Generation == f.gen && req.Base < f.base:
			return Refused
		case req.Generation == f.gen && req.Base == f.base:
			if req.Proposed == f.proposed {
				return Granted
			}
			return Refused
		}
	}
	f.granted, f.gen, f.base, f.proposed = true, req.Generation, req.Base, req.Proposed
	return Granted
}

// Asked returns the presidents that asked so far and the number of
// distinct requests.
func (f *FirstAsker) Asked() (NodeSet, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked, f.requests
}
