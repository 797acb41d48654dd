package restart

import (
	"fmt"
	"slices"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Config configures a node's RESTART block.
type Config struct {
	// Node is this data node; DataNodes are all configured data nodes.
	Node      signal.NodeID
	DataNodes []signal.NodeID
	// NodeGroups are the node groups, to tell when one has no full
	// replica left.
	NodeGroups [][]signal.NodeID
	// Starting: this start is a node restart (the cluster runs without
	// this node): the block asks the president to copy its replicas.
	Starting bool
	// Members are the full replicas a system start begins with (nil:
	// every data node); the others join by node restarts.
	Members []signal.NodeID
	// StartID tells this start from the node's earlier ones.
	StartID uint64
	// Distribution is this node's current distribution; SetMembers swaps
	// it for one with these full and starting replicas (dih.WithMembers).
	// Both are called on the block's thread.
	Distribution func() *dih.Distribution
	SetMembers   func(live, starting qmgr.NodeSet)
	// CopyParallel is how many fragments the president copies at once
	// (default 2).
	CopyParallel int
	// Resend is how often a starting node asks the president again
	// (default 200 ms).
	Resend time.Duration
	// OnProgress is told of the copy's progress, on the starting node and
	// on the president. May be nil.
	OnProgress func(Progress)
	// OnStarted is called on the starting node once it is a full replica.
	OnStarted func()
	// OnFailed is called when this node must stop: a starting node whose
	// president failed, or any node once a node group has no full
	// replica left.
	OnFailed func(reason string)
	// History returns the cluster's history as this node's disk records it
	// (sysfile.Sysfile.History; 0: none yet). As president, the block
	// trusts a starting node's restored rows only if its history is this
	// one. nil: no check (the simulator's clusters have one history).
	History func() uint64
}

// Progress is a node restart's progress.
type Progress struct {
	Node                signal.NodeID // the starting node
	Step                Step
	FragmentsCopied, Of int
	RowsCopied          uint64 // rows sent whole (changed since the node's restored GCI)
	KeysCopied          uint64 // rows sent as keys: the node had them already
	RowsSwept           uint64 // restored rows the node deleted: deleted since its GCI
	Fallbacks           uint64 // fragments copied again whole: a key did not match
	// RestoredGCI is the GCI the starting node's disk restored (0: every
	// row is copied whole).
	RestoredGCI uint64
	Elapsed     time.Duration // since the president began the run
}

// Step is where a node restart is.
type Step uint8

// The steps of a node restart, in order.
const (
	StepAsking    Step = iota // the starting node asks the president
	StepEmptying              // its replicas are kept for the copy (emptied if nothing was restored)
	StepIncluding             // its GCP joins the epoch rounds
	StepJoining               // it becomes a starting replica everywhere
	StepCopying               // fragments are copied to it
	StepFinishing             // it becomes a full replica again
	StepDone
)

func (s Step) String() string {
	switch s {
	case StepAsking:
		return "asking"
	case StepEmptying:
		return "emptying"
	case StepIncluding:
		return "including"
	case StepJoining:
		return "joining"
	case StepCopying:
		return "copying"
	case StepFinishing:
		return "finishing"
	case StepDone:
		return "done"
	}
	return fmt.Sprintf("step(%d)", uint8(s))
}

// Stats are the block's counters.
type Stats struct {
	Runs            uint64 // node restarts this node coordinated to the end
	Aborted         uint64 // runs given up (the starting node failed)
	FragmentsCopied uint64
	RowsCopied      uint64 // rows sent whole
	KeysCopied      uint64 // rows sent as keys (unchanged since the starting node's GCI)
	RowsSwept       uint64 // restored rows starting nodes deleted (deleted since their GCI)
	Fallbacks       uint64 // fragment copies begun again whole (a key did not match)
	OtherHistory    uint64 // starting nodes whose restored rows were not trusted: another history of the cluster
	Switches        uint64 // distribution switches applied on this node
	LastRun         time.Duration
}

// Reasons in NR_STARTREF w0.
const (
	refNotPresident = 1
	refBusy         = 2
	refNotMember    = 3
)

// RESTART is the block.
type RESTART struct {
	block.Handlers
	cfg Config

	live, starting qmgr.NodeSet // the distribution's members (on every node)
	view           qmgr.NodeSet // QMGR's live data nodes
	president      signal.NodeID
	groups         []qmgr.NodeSet

	// Starting node.
	asking   bool
	nextAsk  time.Duration
	askNext  int
	done     bool
	restored uint64 // the GCI this node's disk restored (SetRestoredGCI)
	history  uint64 // the history of the cluster it belongs to

	// President.
	run      *run
	runNo    uint32
	finished map[signal.NodeID]uint64 // the start id of each node's last completed restart
	stats    Stats

	out   signal.Signal
	words []uint32
}

type fragKey struct{ table, frag uint32 }

// run is a node restart the president coordinates.
type run struct {
	id      uint64
	joiner  signal.NodeID
	startID uint64
	step    Step
	began   time.Duration
	seq     uint32       // the switch being waited for
	waiting qmgr.NodeSet // switch answers outstanding
	jobs    []fragKey
	next    int
	active  map[fragKey]signal.NodeID // fragment -> the primary copying it
	copied  int
	// since is the GCI the starting node's disk restored: the copy sends
	// rows at or below it as keys only.
	since                        uint64
	rows, keys, swept, fallbacks uint64
}

// New creates a node's RESTART block.
func New(cfg Config) *RESTART {
	if cfg.CopyParallel <= 0 {
		cfg.CopyParallel = 2
	}
	if cfg.Resend <= 0 {
		cfg.Resend = 200 * time.Millisecond
	}
	r := &RESTART{cfg: cfg, asking: cfg.Starting, finished: map[signal.NodeID]uint64{}}
	for _, n := range cfg.DataNodes {
		switch {
		case cfg.Starting && n == cfg.Node:
			r.starting.Add(n)
		case cfg.Members == nil || cfg.Starting || slices.Contains(cfg.Members, n):
			r.live.Add(n)
		}
	}
	for _, g := range cfg.NodeGroups {
		var s qmgr.NodeSet
		for _, n := range g {
			s.Add(n)
		}
		r.groups = append(r.groups, s)
	}
	r.On(gsn.NODE_FAILREP, r.nodeFailRep)
	r.On(gsn.NODE_INCLREP, r.nodeInclRep)
	r.On(gsn.NR_STARTREQ, r.startReq)
	r.On(gsn.NR_STARTREF, r.startRef)
	r.On(gsn.NR_STARTCONF, r.startConf)
	r.On(gsn.NR_PROGRESSREP, r.progressRep)
	r.On(gsn.NR_EMPTYCONF, r.emptyConf)
	r.On(gsn.GCP_INCLUDECONF, r.includeConf)
	r.On(gsn.DIST_SWITCHREQ, r.switchReq)
	r.On(gsn.DIST_SWITCHCONF, r.switchConf)
	r.On(gsn.COPY_FRAGCONF, r.copyFragConf)
	r.On(gsn.COPY_FRAGREF, r.copyFragRef)
	return r
}

// Members returns the sets the block starts with, for the runtime's
// first distribution: a starting node is a starting replica of its own
// fragments (so its TC takes no transactions) until the president says
// otherwise.
func (r *RESTART) Members() (live, starting qmgr.NodeSet) { return r.live, r.starting }

// SetRestoredGCI tells a starting node's block the GCI its disk restored
// (0, the default: an initial start, an empty disk or a diskless node)
// and the history of the cluster that GCI belongs to
// (sysfile.Sysfile.History), which it sends the president so that the
// copy sends whole only the rows changed since. Call it before the block
// runs.
func (r *RESTART) SetRestoredGCI(gci, history uint64) { r.restored, r.history = gci, history }

// Handle implements block.Block.
func (r *RESTART) Handle(env block.Env, s *signal.Signal) { r.Dispatch(env, s) }

// Stats returns the block's counters (call on the block's thread).
func (r *RESTART) Stats() Stats { return r.stats }

// Started reports whether this node is a full replica (always, unless it
// is a starting node that has not finished).
func (r *RESTART) Started() bool { return !r.cfg.Starting || r.done }

// Tick asks the president again while this node is starting.
func (r *RESTART) Tick(env block.Env) {
	if !r.asking || r.view.Empty() {
		return // not admitted to the view yet
	}
	now := env.Now()
	if now < r.nextAsk {
		return
	}
	r.nextAsk = now + r.cfg.Resend
	to := r.president
	if to == 0 {
		// Ask any member; its answer names the president.
		nodes := r.view.Nodes()
		to = nodes[r.askNext%len(nodes)]
		r.askNext++
	}
	r.send(env, gsn.NR_STARTREQ, signal.Address{Node: to, Block: gsn.BlockRESTART}, uint32(r.cfg.StartID), uint32(r.cfg.StartID>>32),
		uint32(r.restored), uint32(r.restored>>32), uint32(r.history), uint32(r.history>>32))
}

func (r *RESTART) send(env block.Env, n signal.Number, to signal.Address, words ...uint32) {
	o := &r.out
	o.Reset()
	o.Number = n
	o.Receiver = to
	o.SetWords(words...)
	env.Send(o)
}

// viewOf reads NODE_FAILREP/NODE_INCLREP: w2 the president, w3-w10 the
// nodes, w11-w18 the live data nodes.
func (r *RESTART) viewOf(s *signal.Signal) (nodes qmgr.NodeSet, ok bool) {
	if s.NumWords < 19 {
		return nodes, false
	}
	r.president = signal.NodeID(s.Words[2])
	r.view = qmgr.SetFromWords(s.Words[11:19])
	return qmgr.SetFromWords(s.Words[3:11]), true
}

func (r *RESTART) nodeInclRep(env block.Env, s *signal.Signal) {
	if _, ok := r.viewOf(s); ok && r.asking {
		r.nextAsk = 0 // ask the (new) president at once
	}
}

// nodeFailRep: failed nodes leave the distribution's members on every
// node; a run loses its starting node or moves its copies.
func (r *RESTART) nodeFailRep(env block.Env, s *signal.Signal) {
	failed, ok := r.viewOf(s)
	if !ok {
		return
	}
	r.live, r.starting = r.live.Minus(failed), r.starting.Minus(failed)
	r.setMembers()
	for _, g := range r.groups {
		if g.Intersect(r.live).Empty() {
			r.fail(fmt.Sprintf("node group %s has no full replica left", g))
			return
		}
	}
	if r.asking {
		r.nextAsk = 0 // the president may have changed: ask at once
	}
	x := r.run
	if x == nil {
		return
	}
	if failed.Has(x.joiner) {
		r.run = nil
		r.stats.Aborted++
		return
	}
	x.waiting = x.waiting.Minus(failed)
	switch x.step {
	case StepJoining, StepFinishing:
		if x.waiting.Empty() {
			r.switched(env)
		}
	case StepCopying:
		// A failed primary's fragments are copied again from the new one.
		d := r.cfg.Distribution()
		for k, src := range x.active {
			if failed.Has(src) {
				r.copyFrom(env, d, k)
			}
		}
	}
}

// setMembers hands the members to the runtime (SetMembers). A starting
// node that has not finished stays a starting replica of its own
// fragments in its own distribution, as New began it, even when another
// node's restart switches the members without it (it waits its turn):
// else its TC would take transactions before its GCP follows the epochs.
func (r *RESTART) setMembers() {
	live, starting := r.live, r.starting
	if !r.Started() && !live.Has(r.cfg.Node) {
		starting.Add(r.cfg.Node)
	}
	r.cfg.SetMembers(live, starting)
}

// fail reports that this node must stop.
func (r *RESTART) fail(reason string) {
	r.asking = false
	if r.cfg.OnFailed != nil {
		r.cfg.OnFailed(reason)
	}
}
