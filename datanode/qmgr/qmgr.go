package qmgr

import (
	"fmt"
	"strings"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Phase is where a QMGR is in its life.
type Phase uint8

const (
	// Joining: asking the president to be admitted (CM_REGREQ).
	Joining Phase = iota + 1
	// Running: a member of the cluster's view.
	Running
	// Stopped: shut down (excluded, or its side lost); the node must
	// restart to join again. A stopped QMGR ignores every signal.
	Stopped
)

func (p Phase) String() string {
	switch p {
	case Joining:
		return "joining"
	case Running:
		return "running"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("Phase(%d)", p)
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventView: a view was committed here: nodes failed or joined, or
	// this node was admitted (its first view). Every node that commits
	// view FailNo sees the same members and president.
	EventView EventKind = iota + 1
	// EventSuspect: this node takes Node for failed (missed heartbeats,
	// a report, a round time-out); a view will remove it.
	EventSuspect
	// EventArbitration: this node, as president, asked the arbitrator
	// (Verdict Pending) or got its verdict.
	EventArbitration
	// EventShutdown: this node stops (Reason says why). The runtime must
	// stop the data node.
	EventShutdown
	// EventAPIFailed: API node Node missed its heartbeats.
	EventAPIFailed
)

// Event is one thing QMGR reports through Config.OnEvent.
type Event struct {
	Kind      EventKind
	FailNo    uint64        // the view number at the event
	President signal.NodeID // EventView: the view's president
	// Members is the new view in start order (EventView; a fresh slice
	// the receiver may keep).
	Members        []Member
	Failed, Joined NodeSet       // EventView
	Node           signal.NodeID // EventSuspect, EventAPIFailed
	// Gossip is gossip's opinion of Node when it was suspected
	// (EventSuspect; GossipAlive: the node lives, the link to it failed).
	Gossip  GossipState
	Verdict Verdict // EventArbitration
	Reason  string
}

func (e Event) String() string {
	switch e.Kind {
	case EventView:
		var b strings.Builder
		fmt.Fprintf(&b, "view %d: president %d, members", e.FailNo, e.President)
		for _, m := range e.Members {
			fmt.Fprintf(&b, " %d", m.Node)
		}
		if !e.Failed.Empty() {
			fmt.Fprintf(&b, ", failed %v", e.Failed)
		}
		if !e.Joined.Empty() {
			fmt.Fprintf(&b, ", joined %v", e.Joined)
		}
		return b.String()
	case EventSuspect:
		return fmt.Sprintf("suspect node %d: %s", e.Node, e.Reason)
	case EventArbitration:
		return fmt.Sprintf("arbitration %v: %s", e.Verdict, e.Reason)
	case EventShutdown:
		return "shutdown: " + e.Reason
	case EventAPIFailed:
		return fmt.Sprintf("API node %d failed: %s", e.Node, e.Reason)
	}
	return fmt.Sprintf("Event(%d)", e.Kind)
}

// Stats are a QMGR's counters (64-bit, only growing).
type Stats struct {
	HeartbeatsSent     uint64
	HeartbeatsReceived uint64
	// MissedHeartbeats counts the intervals in which the left neighbour
	// sent nothing.
	MissedHeartbeats uint64
	Suspicions       uint64 // nodes this node took for failed
	ViewChanges      uint64 // views committed here
	NodesFailed      uint64 // data nodes those views removed
	NodesJoined      uint64 // data nodes those views added
	Rounds           uint64 // view change rounds this node ran as president
	RoundRestarts    uint64 // rounds started again (a node failed or refused meanwhile)
	Finished         uint64 // rounds that proposed an earlier round's accepted value (Paxos)
	CaughtUp         uint64 // views learned from a president's or a peer's signal, not its commit
	Arbitrations     uint64 // arbitrator requests this node made
	APIFailures      uint64 // API nodes declared failed
	// GossipReports counts GOSSIP_REPs taken; GossipSuspicions the nodes
	// suspected early because gossip took them for gone after a missed
	// heartbeat; LinkFailures the nodes suspected by the heartbeat rule
	// while gossip held them alive, or because they granted no read lease
	// for as long (lease.go): the link failed, not the node; the node is
	// failed all the same: the cluster needs every link.
	GossipReports    uint64
	GossipSuspicions uint64
	LinkFailures     uint64
	// LeasesGranted counts read leases granted to other members;
	// LeaseWaits the view acceptances put off for a grant that had not
	// expired (lease.go).
	LeasesGranted uint64
	LeaseWaits    uint64
}

// APIState is one API node's registration on this data node.
type APIState struct {
	Node    signal.NodeID
	Missed  int  // heartbeats missed in a row
	Failing bool // declared failed; local blocks are still cleaning up
}

// State is a snapshot of a QMGR for ndbinfo.membership and metrics.
type State struct {
	Node   signal.NodeID
	Phase  Phase
	Reason string // why it stopped
	FailNo uint64
	// President is the oldest member of the view; Successor the next.
	President, Successor signal.NodeID
	// Left and Right are the ring neighbours (skipping suspects): Left is
	// watched, Right gets this node's heartbeats.
	Left, Right signal.NodeID
	Members     []Member      // the view, in start order
	Group       int           // this node's node group
	Suspected   NodeSet       // taken for failed, not yet removed by a view
	Missed      int           // heartbeats Left has missed in a row
	Arbitration string        // the last arbitration, if any
	APIs        []APIState    // registered or failing API nodes
	Round       string        // the view change in progress, if president
	Since       time.Duration // Env.Now of the last view change
	GossipDown  NodeSet       // data nodes gossip reports dead or left
	// LeaseEnd is the Env.Now until which this node may serve reads (its
	// read lease, lease.go); 0: none; math.MaxInt64: alone in its view.
	// Leased: it held one at the block's last Tick.
	LeaseEnd time.Duration
	Leased   bool
	Stats
}

// QMGR is one data node's membership block. See the package doc.
type QMGR struct {
	block.Handlers
	cfg    Config
	groups []NodeSet
	data   NodeSet
	group  int

	phase    Phase
	reason   string
	view     view
	failed   NodeSet // members taken for failed, not yet removed by a view
	announce bool    // the founder's first view is not yet told to the local blocks
	since    time.Duration

	// Heartbeats.
	nextBeat   time.Duration
	left       signal.NodeID
	heardLeft  bool
	missed     int
	nextReport time.Duration

	// Acceptor state for slot view.failNo+1.
	promised       uint32
	acceptedBallot uint32
	accepted       view

	// President state.
	ballotCtr uint32
	r         round
	joiners   []joiner
	joinRetry time.Duration

	// Joining.
	hint      signal.NodeID
	hintTries int
	nextReg   time.Duration
	regNext   int

	// Local failure handling.
	lastFailRep uint64
	acked       []uint64

	apis         [signal.MaxNodeID + 1]apiState
	nextAPICheck time.Duration

	stopSent [signal.MaxNodeID + 1]time.Duration // when a node was last told it is out (+1)

	gossip [signal.MaxNodeID + 1]GossipState // GOSSIP_REP's opinions

	// Read leases (lease.go): leaseFrom is when each member's grant to
	// this node ends, grantUntil when this node's grant to it does.
	leaseFrom      [signal.MaxNodeID + 1]time.Duration
	lastGrant      [signal.MaxNodeID + 1]time.Duration // when the last grant of each member was asked for
	grantUntil     [signal.MaxNodeID + 1]time.Duration
	nextLease      time.Duration
	leaseSent      time.Duration // the end in the last LEASE_ORD
	acceptedAt     time.Duration // when this node first accepted a value for acceptedFailNo
	acceptedFailNo uint64
	lastTick       time.Duration // Env.Now at the last Tick, for State

	arbit   string
	stats   Stats
	out     signal.Signal
	buf     []byte
	scratch view
}

var _ block.Block = (*QMGR)(nil)

// New creates a data node's QMGR. A founder is running at once, alone in
// view 1; any other starts joining.
func New(cfg Config) (*QMGR, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Local) > 64 {
		return nil, fmt.Errorf("qmgr: %d local blocks, at most 64", len(cfg.Local))
	}
	q := &QMGR{cfg: cfg, phase: Joining, acked: make([]uint64, len(cfg.Local))}
	for _, n := range cfg.DataNodes {
		q.data.Add(n)
	}
	for i, g := range cfg.NodeGroups {
		s := SetOf(g...)
		if s.Has(cfg.Node) {
			q.group = i
		}
		q.groups = append(q.groups, s)
	}
	q.On(gsn.HEARTBEAT, q.heartbeat)
	q.On(gsn.FAIL_REP, q.failRep)
	q.On(gsn.PREP_FAILREQ, q.prepFailReq)
	q.On(gsn.PREP_FAILCONF, q.prepFailConf)
	q.On(gsn.PREP_FAILREF, q.prepFailRef)
	q.On(gsn.ACCEPT_FAILREQ, q.acceptFailReq)
	q.On(gsn.ACCEPT_FAILCONF, q.acceptFailConf)
	q.On(gsn.COMMIT_FAILREQ, q.commitFailReq)
	q.On(gsn.COMMIT_FAILCONF, q.commitFailConf)
	q.On(gsn.NF_COMPLETEREP, q.nfCompleteRep)
	q.On(gsn.CM_REGREQ, q.cmRegReq)
	q.On(gsn.CM_REGREF, q.cmRegRef)
	q.On(gsn.QMGR_STOPORD, q.stopOrd)
	q.On(gsn.API_REGREQ, q.apiRegReq)
	q.On(gsn.API_FAILCONF, q.apiFailConf)
	q.On(gsn.GOSSIP_REP, q.gossipRep)
	q.On(gsn.LEASE_REQ, q.leaseReq)
	q.On(gsn.LEASE_CONF, q.leaseConf)
	if cfg.Founder {
		q.phase = Running
		q.view = view{failNo: 1, members: []Member{{Node: cfg.Node, Dyn: 1, Start: cfg.StartID}}}
		q.announce = true
		q.stats.ViewChanges++
		q.emit(Event{Kind: EventView, FailNo: 1, President: cfg.Node, Members: q.members(), Joined: SetOf(cfg.Node),
			Reason: "founded the cluster"})
	}
	return q, nil
}

// Handle implements block.Block.
func (q *QMGR) Handle(env block.Env, s *signal.Signal) {
	if q.phase == Stopped {
		return
	}
	q.Dispatch(env, s)
}

// Tick implements block.Block: heartbeats, failure reports, the
// president's rounds, the joiner's requests and API heartbeats.
func (q *QMGR) Tick(env block.Env) {
	now := env.Now()
	q.lastTick = now
	switch q.phase {
	case Joining:
		q.tickJoin(env, now)
	case Running:
		if q.announce {
			q.announce = false
			q.toLocal(env, gsn.NODE_INCLREP, q.view.set())
		}
		q.tickHeartbeat(env, now)
		q.tickLease(env, now)
		q.tickReport(env, now)
		q.tickRound(env, now)
		q.tickAPI(env, now)
	}
}

// Phase is the block's phase. Call it from the block's thread, as State.
func (q *QMGR) Phase() Phase { return q.phase }

// State returns a snapshot. Call it from the block's thread.
func (q *QMGR) State() State {
	st := State{Node: q.cfg.Node, Phase: q.phase, Reason: q.reason, FailNo: q.view.failNo,
		Members: q.members(), Group: q.group, Suspected: q.failed, Missed: q.missed,
		Arbitration: q.arbit, Since: q.since, GossipDown: q.gossipDown(), LeaseEnd: q.leaseEnd(), Stats: q.stats}
	st.Leased = st.LeaseEnd > q.lastTick
	if len(q.view.members) > 0 {
		st.President = q.view.members[0].Node
	}
	if len(q.view.members) > 1 {
		st.Successor = q.view.members[1].Node
	}
	if q.phase == Running {
		st.Left, st.Right = q.view.neighbours(q.cfg.Node, q.failed)
	}
	if q.r.phase != rIdle {
		st.Round = fmt.Sprintf("%v of view %d (ballot %#x, excluding %v)", q.r.phase, q.r.slot, q.r.ballot, q.r.f)
	}
	for n := range q.apis {
		if a := &q.apis[n]; a.registered || a.pending != 0 {
			st.APIs = append(st.APIs, APIState{Node: signal.NodeID(n), Missed: a.missed, Failing: a.pending != 0})
		}
	}
	return st
}

func (q *QMGR) members() []Member { return append([]Member(nil), q.view.members...) }

// president is the president as this node sees it: the oldest member not
// taken for failed.
func (q *QMGR) president() signal.NodeID { return q.view.presidentExcept(q.failed) }

func (q *QMGR) emit(e Event) {
	if q.cfg.OnEvent != nil {
		q.cfg.OnEvent(e)
	}
}

// resend is how often unanswered protocol signals are sent again.
func (q *QMGR) resend() time.Duration { return max(q.cfg.HeartbeatIntervalDbDb/4, time.Millisecond) }

// timeout is how long a node may stay silent: MissedHeartbeats intervals.
func (q *QMGR) timeout() time.Duration {
	return time.Duration(q.cfg.MissedHeartbeats) * q.cfg.HeartbeatIntervalDbDb
}

// sig prepares q.out for a signal to n's QMGR.
func (q *QMGR) sig(n signal.NodeID, num signal.Number) *signal.Signal {
	q.out.Reset()
	q.out.Number = num
	q.out.Receiver = signal.Address{Node: n, Block: gsn.BlockQMGR}
	return &q.out
}

// send sends q.out; a refused send is a lost signal (resends and
// time-outs cover it).
func (q *QMGR) send(env block.Env) { _ = env.Send(&q.out) }

func (q *QMGR) stop(env block.Env, reason string) {
	if q.phase == Stopped {
		return
	}
	q.phase, q.reason = Stopped, reason
	q.r.phase = rIdle
	q.orderLease(env) // no more reads here
	q.emit(Event{Kind: EventShutdown, FailNo: q.view.failNo, Reason: reason})
}

// tickHeartbeat sends a heartbeat to the right neighbour every interval
// and counts the intervals in which the left neighbour sent nothing.
func (q *QMGR) tickHeartbeat(env block.Env, now time.Duration) {
	if now < q.nextBeat {
		return
	}
	q.nextBeat += q.cfg.HeartbeatIntervalDbDb
	if q.nextBeat <= now {
		q.nextBeat = now + q.cfg.HeartbeatIntervalDbDb
	}
	left, right := q.view.neighbours(q.cfg.Node, q.failed)
	if right != 0 {
		s := q.sig(right, gsn.HEARTBEAT)
		s.SetWords(lo(q.view.failNo), hi(q.view.failNo), lo(q.cfg.StartID), hi(q.cfg.StartID))
		q.send(env)
		q.stats.HeartbeatsSent++
	}
	if left != q.left {
		q.left, q.missed, q.heardLeft = left, 0, false
		return
	}
	if left == 0 {
		return
	}
	if q.heardLeft {
		q.missed = 0
	} else {
		q.missed++
		q.stats.MissedHeartbeats++
		q.heardLeft = false
		if q.missed >= q.cfg.MissedHeartbeats {
			reason := fmt.Sprintf("missed %d heartbeats", q.missed)
			if q.gossip[left] == GossipAlive {
				q.stats.LinkFailures++
				reason += "; gossip reports it alive: a link failure"
			}
			q.suspect(env, left, reason)
		} else {
			q.gossipCheck(env)
		}
	}
	q.heardLeft = false
}

func (q *QMGR) heartbeat(env block.Env, s *signal.Signal) {
	if q.phase != Running || s.NumWords < 4 {
		return
	}
	q.stats.HeartbeatsReceived++
	from := s.Sender.Node
	m := q.view.find(from)
	switch {
	case m == nil:
		q.tellExcluded(env, from, u64(s.Words[0], s.Words[1]))
	case from == q.left && m.Start == u64(s.Words[2], s.Words[3]):
		q.heardLeft = true
	}
}

// tellExcluded tells node n, which is not in the view and is at view
// theirs, that it was excluded, at most once per resend interval. A node
// at a newer view than ours is not told: it may have joined in a view we
// have not seen yet.
func (q *QMGR) tellExcluded(env block.Env, n signal.NodeID, theirs uint64) {
	if theirs >= q.view.failNo || n == 0 || n > signal.MaxNodeID {
		return
	}
	now := env.Now()
	if last := q.stopSent[n]; last != 0 && now+1-last < q.resend() {
		return
	}
	q.stopSent[n] = now + 1
	s := q.sig(n, gsn.QMGR_STOPORD)
	s.SetWords(stopExcluded, lo(q.view.failNo), hi(q.view.failNo))
	q.send(env)
}

// suspect takes member n for failed: it leaves the ring, is reported to
// every member (so that all rings skip it at once, as NDB's FAIL_REP) and
// is removed by the next view.
func (q *QMGR) suspect(env block.Env, n signal.NodeID, reason string) {
	if n == q.cfg.Node || q.failed.Has(n) || !q.view.has(n) {
		return
	}
	q.failed.Add(n)
	q.stats.Suspicions++
	q.nextReport = 0
	q.emit(Event{Kind: EventSuspect, FailNo: q.view.failNo, Node: n, Gossip: q.gossip[n], Reason: reason})
}

// tickReport sends this node's suspicions to every member it does not
// suspect, and repeats them until a view removes them.
func (q *QMGR) tickReport(env block.Env, now time.Duration) {
	if now < q.nextReport {
		return
	}
	q.nextReport = now + q.resend()
	pending := q.failed.Intersect(q.view.set())
	if pending.Empty() {
		return
	}
	for i := range q.view.members {
		n := q.view.members[i].Node
		if n == q.cfg.Node || q.failed.Has(n) {
			continue
		}
		s := q.sig(n, gsn.FAIL_REP)
		s.NumWords = 10
		pending.put(s.Words[:])
		s.Words[8], s.Words[9] = lo(q.view.failNo), hi(q.view.failNo)
		q.send(env)
	}
}

func (q *QMGR) failRep(env block.Env, s *signal.Signal) {
	if q.phase != Running || s.NumWords < 10 {
		return
	}
	from := s.Sender.Node
	if !q.view.has(from) {
		q.tellExcluded(env, from, u64(s.Words[8], s.Words[9]))
		return
	}
	if q.failed.Has(from) {
		return
	}
	reported := setFrom(s.Words[:8])
	for i := 0; i < len(q.view.members); i++ {
		if n := q.view.members[i].Node; reported.Has(n) {
			q.suspect(env, n, fmt.Sprintf("reported by node %d", from))
		}
	}
}

// Reasons in QMGR_STOPORD w0.
const (
	stopLost     = 1
	stopExcluded = 2
)

func (q *QMGR) stopOrd(env block.Env, s *signal.Signal) {
	if q.phase != Running || s.NumWords < 3 {
		return
	}
	from := s.Sender.Node
	switch s.Words[0] {
	case stopLost:
		if s.NumWords < 5 {
			return
		}
		slot, ballot := u64(s.Words[1], s.Words[2]), s.Words[3]
		// Only the president this node promised, for this very round.
		if slot == q.view.failNo+1 && ballot == q.promised && q.view.has(from) && !q.failed.Has(from) {
			why := "the arbitrator did not grant it"
			if o := Outcome(s.Words[4]); o != 0 {
				why = o.String()
			}
			q.stop(env, fmt.Sprintf("president %d's side of view %d shuts down: %s", from, q.view.failNo, why))
		}
	case stopExcluded:
		if f := u64(s.Words[1], s.Words[2]); f > q.view.failNo {
			q.stop(env, fmt.Sprintf("excluded from the cluster: node %d is at view %d, this node at %d", from, f, q.view.failNo))
		}
	}
}

// toLocal sends NODE_FAILREP or NODE_INCLREP for nodes to every local
// block.
func (q *QMGR) toLocal(env block.Env, num signal.Number, nodes NodeSet) {
	var pres signal.NodeID
	if len(q.view.members) > 0 {
		pres = q.view.members[0].Node
	}
	live := q.view.set()
	for _, l := range q.cfg.Local {
		q.out.Reset()
		q.out.Number = num
		q.out.Receiver = l.Addr
		q.out.NumWords = 19
		q.out.Words[0], q.out.Words[1], q.out.Words[2] = lo(q.view.failNo), hi(q.view.failNo), uint32(pres)
		nodes.put(q.out.Words[3:])
		live.put(q.out.Words[11:])
		q.send(env)
	}
}

func (q *QMGR) nfCompleteRep(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	if i := q.localIndex(s.Sender); i >= 0 {
		q.acked[i] = max(q.acked[i], u64(s.Words[0], s.Words[1]))
	}
}

func (q *QMGR) localIndex(a signal.Address) int {
	for i, l := range q.cfg.Local {
		if (l.Addr.Node == 0 || l.Addr.Node == a.Node) && a.Node == q.cfg.Node &&
			l.Addr.Block == a.Block && l.Addr.Instance == a.Instance {
			return i
		}
	}
	return -1
}

// handled reports whether every acknowledging local block has finished
// handling every failure so far.
func (q *QMGR) handled() bool {
	for i, l := range q.cfg.Local {
		if l.Acks && q.acked[i] < q.lastFailRep {
			return false
		}
	}
	return true
}

func lo(v uint64) uint32     { return uint32(v) }
func hi(v uint64) uint32     { return uint32(v >> 32) }
func u64(l, h uint32) uint64 { return uint64(l) | uint64(h)<<32 }
