package gcp

import (
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Config configures a node's GCP block.
type Config struct {
	// Node is this data node.
	Node signal.NodeID
	// Nodes are all data nodes of the cluster; the lowest is the master.
	Nodes []signal.NodeID
	// TCs are this node's TC instances.
	TCs []signal.Address
	// Interval is TimeBetweenEpochs: how often the master starts a round
	// (default 100 ms). A round still running delays the next.
	Interval time.Duration
	// InitialGCI is the epoch every node starts in (default 1).
	InitialGCI uint64
	// SaveInterval is TimeBetweenGlobalCheckPoints: how often the master
	// makes the last complete epoch durable (save.go). 0: never (a
	// diskless cluster).
	SaveInterval time.Duration
	// FS is this node's file-system block, which syncs the redo log and
	// writes the sysfile for a save; required when SaveInterval > 0.
	FS signal.Address
	// InitialSaved is the epoch a restarted node restored (the GCI in its
	// sysfile): already durable.
	InitialSaved uint64
	// Joining: the node joins a running cluster (a node restart). It is
	// no master until QMGR names the president, and follows the rounds
	// once the master includes it (GCP_INCLUDEREQ).
	Joining bool
	// History names the cluster's history (sysfile.Sysfile.History) that
	// this node's saves write while it is master: a fresh value at an
	// initial start or a system restart. A node adopts the master's from
	// each save (GCP_COPYGCIREQ), so every sysfile records the master's.
	History uint64
}

// phase is where this node is in the current round.
type phase uint8

const (
	idle       phase = iota
	preparing        // waiting for local TCs to hold commits
	committing       // waiting for local TCs to finish the previous epoch
)

// Stats are a GCP block's counters (64-bit, only growing, except the GCIs).
type Stats struct {
	Current, Completed uint64        // this node's epoch and the last complete one
	Rounds             uint64        // rounds this node took part in
	MaxRound           time.Duration // longest round seen by the master
	LastRound          time.Duration // the master's most recent round

	Saved      uint64        // the last epoch durable on every node (GCP_SAVED_REP)
	Synced     uint64        // the last epoch this node's redo log synced for a save
	Written    uint64        // the GCI this node's sysfile records
	Saves      uint64        // saves the master completed
	SaveErrors uint64        // failed redo syncs or sysfile writes on this node
	LastSave   time.Duration // the master's most recent save
	MaxSave    time.Duration // the master's longest save

	// Takeovers counts the times this node became master after a failure.
	Takeovers uint64
}

// GCP is one data node's global checkpoint block: participant on every
// node, coordinator on the master.
type GCP struct {
	block.Handlers
	cfg    Config
	master signal.NodeID

	history uint64 // the cluster's history: this node's, or the master's last save's

	// Participant.
	phase    phase
	next     uint64 // the GCI being prepared or committed
	acks     int    // local TC answers outstanding
	reply    signal.Address
	stats    Stats
	finished uint64 // the GCI this node's TCs last finished

	// Master.
	running   bool
	round     uint64 // GCI of the round in progress
	phaseSig  signal.Number
	answers   answers // this phase's answers
	started   time.Duration
	lastStart time.Duration
	lastSend  time.Duration

	save  saveState
	waits []savedWait // APIs waiting for a GCI to be saved (wait.go)

	// Node failures (nodefail.go): failed nodes whose transactions the
	// president's TC has not yet taken over, and whether the round's
	// completion waits for it.
	takeover     qmgr.NodeSet
	heldComplete bool
	// notDurable are nodes included by a node restart whose disks cannot
	// restore the cluster's data yet (until GCP_DURABLEREP): saves leave
	// them out. announce: this node is such a node and has become durable
	// (AnnounceDurable); Tick tells every node.
	notDurable qmgr.NodeSet
	announce   bool
	// synced: a joining node follows the master's epochs (GCP_SYNC, or
	// adopt).
	synced bool
	// includes are starting nodes to include once the round is over;
	// confirm those included, answered once a round included them.
	includes, confirm []include

	out signal.Signal
}

// include is a starting node to include in the rounds, and who asked.
type include struct {
	node  signal.NodeID
	asker signal.Address
}

// answers counts the nodes' answers to one phase, each node once.
type answers struct {
	answered map[signal.NodeID]bool
	waiting  int
}

func (a *answers) reset(nodes int) {
	if a.answered == nil {
		a.answered = map[signal.NodeID]bool{}
	}
	clear(a.answered)
	a.waiting = nodes
}

// add counts s's node (w2, or the sender); true when it was the last.
func (a *answers) add(s *signal.Signal) bool {
	node := s.Sender.Node
	if s.NumWords >= 3 {
		node = signal.NodeID(s.Words[2])
	}
	if a.answered[node] || a.waiting == 0 {
		return false
	}
	a.answered[node] = true
	a.waiting--
	return a.waiting == 0
}

// New creates a node's GCP block.
func New(cfg Config) *GCP {
	if cfg.Interval <= 0 {
		cfg.Interval = 100 * time.Millisecond
	}
	if cfg.InitialGCI == 0 {
		cfg.InitialGCI = 1
	}
	g := &GCP{cfg: cfg, master: cfg.Node, history: cfg.History}
	for _, n := range cfg.Nodes {
		if n < g.master {
			g.master = n
		}
	}
	if cfg.Joining {
		g.master = 0
	}
	g.stats.Current = cfg.InitialGCI
	g.stats.Completed = cfg.InitialGCI - 1
	g.stats.Saved, g.stats.Synced, g.stats.Written = cfg.InitialSaved, cfg.InitialSaved, cfg.InitialSaved
	g.On(gsn.GCP_PREPARE, g.prepare)
	g.On(gsn.GCP_TCPREPARECONF, g.tcPrepareConf)
	g.On(gsn.GCP_COMMIT, g.commit)
	g.On(gsn.GCP_TCFINISHED, g.tcFinished)
	g.On(gsn.GCP_COMPLETE_REP, g.completeRep)
	g.On(gsn.GCP_PREPARECONF, g.prepareConf)
	g.On(gsn.GCP_NODEFINISH, g.nodeFinish)
	g.On(gsn.NODE_FAILREP, g.nodeFailRep)
	g.On(gsn.NODE_INCLREP, g.nodeInclRep)
	g.On(gsn.TAKE_OVERTCCONF, g.takeOverTCConf)
	g.On(gsn.GCP_INCLUDEREQ, g.includeReq)
	g.On(gsn.GCP_SYNC, g.sync)
	g.On(gsn.GCP_DURABLEREP, g.durableRep)
	g.registerSave()
	g.registerWait()
	return g
}

// Handle implements block.Block.
func (g *GCP) Handle(env block.Env, s *signal.Signal) { g.Dispatch(env, s) }

// Stats returns the block's counters. Call it from the block's thread.
func (g *GCP) Stats() Stats { return g.stats }

// IsMaster reports whether this node coordinates the rounds.
func (g *GCP) IsMaster() bool { return g.master == g.cfg.Node }

// Tick starts the master's next round when it is due, and sends the
// current phase's signal again to nodes that have not answered within an
// interval (a node still connecting, a lost signal): every participant
// answers a repeated signal again, so resending is always safe.
func (g *GCP) Tick(env block.Env) {
	if g.announce {
		g.announce = false
		for _, n := range g.cfg.Nodes {
			g.send(env, gsn.GCP_DURABLEREP, signal.Address{Node: n, Block: gsn.BlockDIH}, uint64(g.cfg.Node))
		}
	}
	if !g.IsMaster() {
		return
	}
	g.tickSave(env)
	now := env.Now()
	if g.running {
		if now-g.lastSend >= g.cfg.Interval {
			g.lastSend = now
			g.toNodes(env, g.phaseSig, g.phaseGCI(), &g.answers)
		}
		return
	}
	if now-g.lastStart < g.cfg.Interval {
		return
	}
	g.running, g.started, g.lastStart = true, now, now
	g.round = g.stats.Current + 1
	g.phase0(env, gsn.GCP_PREPARE)
}

// phase0 starts a phase of the master's round: signal every node.
func (g *GCP) phase0(env block.Env, n signal.Number) {
	g.phaseSig, g.lastSend = n, env.Now()
	g.answers.reset(len(g.cfg.Nodes))
	g.toNodes(env, n, g.phaseGCI(), nil)
}

// phaseGCI is the GCI the current phase's signal carries.
func (g *GCP) phaseGCI() uint64 {
	if g.phaseSig == gsn.GCP_COMPLETE_REP {
		return g.round - 1
	}
	return g.round
}

func gciOf(s *signal.Signal) (uint64, bool) {
	if s.NumWords < 2 {
		return 0, false
	}
	return uint64(s.Words[0]) | uint64(s.Words[1])<<32, true
}

func (g *GCP) send(env block.Env, n signal.Number, to signal.Address, gci uint64, extra ...uint32) {
	o := &g.out
	o.Reset()
	o.Number = n
	o.Receiver = to
	o.Words[0], o.Words[1] = uint32(gci), uint32(gci>>32)
	o.NumWords = uint8(2 + copy(o.Words[2:], extra))
	env.Send(o)
}

// toNodes sends a phase signal to every node, or, given the phase's
// answers, only to those that have not answered yet.
func (g *GCP) toNodes(env block.Env, n signal.Number, gci uint64, skip *answers) {
	for _, node := range g.cfg.Nodes {
		if skip != nil && skip.answered[node] {
			continue
		}
		g.send(env, n, signal.Address{Node: node, Block: gsn.BlockDIH}, gci)
	}
}

func (g *GCP) toTCs(env block.Env, n signal.Number, gci uint64) {
	g.acks = len(g.cfg.TCs)
	for _, tc := range g.cfg.TCs {
		g.send(env, n, tc, gci)
	}
}

// Participant.

func (g *GCP) prepare(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok {
		return
	}
	g.adopt(gci - 1)
	if g.phase == preparing && gci == g.next {
		g.reply = s.Sender
		g.maybeAnswer(env) // a resend: answer again if the TCs already did
		return
	}
	if gci <= g.stats.Current {
		// Past it: a new master resuming its predecessor's round, which
		// this node saw through further than the new master.
		g.send(env, gsn.GCP_PREPARECONF, s.Sender, gci, uint32(g.cfg.Node))
		return
	}
	if g.phase != idle || gci != g.stats.Current+1 {
		return // out of turn: a stale signal
	}
	g.phase, g.next, g.reply = preparing, gci, s.Sender
	g.toTCs(env, gsn.GCP_TCPREPARE, gci)
	g.maybeAnswer(env)
}

func (g *GCP) tcPrepareConf(env block.Env, s *signal.Signal) {
	if gci, ok := gciOf(s); ok && g.phase == preparing && gci == g.next {
		g.acks--
		g.maybeAnswer(env)
	}
}

func (g *GCP) commit(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok {
		return
	}
	if g.adopt(gci - 1) {
		g.phase, g.next, g.acks = preparing, gci, 0 // as if prepared: its TCs start in gci
	}
	switch {
	case g.phase == committing && gci == g.next:
		g.reply = s.Sender // a resend while the TCs finish: they will answer
		return
	case g.phase != committing && gci == g.stats.Current && g.finished == gci-1:
		// A resend after this node finished (it may be preparing the next
		// epoch already: a new master resuming its predecessor's round):
		// answer again.
		g.send(env, gsn.GCP_NODEFINISH, s.Sender, gci-1, uint32(g.cfg.Node))
		return
	}
	if g.phase != preparing || gci != g.next || g.acks != 0 {
		return
	}
	g.phase, g.reply = committing, s.Sender
	g.stats.Current = gci
	g.stats.Rounds++
	g.toTCs(env, gsn.GCP_NOMORETRANS, gci)
	g.maybeAnswer(env)
}

func (g *GCP) tcFinished(env block.Env, s *signal.Signal) {
	if gci, ok := gciOf(s); ok && g.phase == committing && gci == g.next-1 {
		g.acks--
		g.maybeAnswer(env)
	}
}

// maybeAnswer answers the master once every local TC has.
func (g *GCP) maybeAnswer(env block.Env) {
	if g.acks != 0 {
		return
	}
	switch g.phase {
	case preparing:
		g.send(env, gsn.GCP_PREPARECONF, g.reply, g.next, uint32(g.cfg.Node))
	case committing:
		g.phase = idle
		g.finished = g.next - 1
		g.send(env, gsn.GCP_NODEFINISH, g.reply, g.next-1, uint32(g.cfg.Node))
	}
}

func (g *GCP) completeRep(env block.Env, s *signal.Signal) {
	if gci, ok := gciOf(s); ok && gci > g.stats.Completed {
		g.stats.Completed = gci
	}
}

// Master.

func (g *GCP) prepareConf(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok || !g.running || g.phaseSig != gsn.GCP_PREPARE || gci != g.round {
		return
	}
	if g.answers.add(s) {
		g.phaseDone(env)
	}
}

func (g *GCP) nodeFinish(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok || !g.running || g.phaseSig != gsn.GCP_COMMIT || gci != g.round-1 {
		return
	}
	if g.answers.add(s) {
		g.phaseDone(env)
	}
}

// phaseDone moves the master's round on once every node answered.
func (g *GCP) phaseDone(env block.Env) {
	switch g.phaseSig {
	case gsn.GCP_PREPARE:
		g.phase0(env, gsn.GCP_COMMIT)
	case gsn.GCP_COMMIT:
		if !g.takeover.Empty() {
			g.heldComplete = true // completeRound once the takeover is done
			return
		}
		g.completeRound(env)
	}
}

// completeRound ends the master's round: epoch round-1 is complete.
func (g *GCP) completeRound(env block.Env) {
	g.running = false
	d := env.Now() - g.started
	g.stats.LastRound = d
	if d > g.stats.MaxRound {
		g.stats.MaxRound = d
	}
	// COMPLETE_REP is a report: a node that misses it learns of
	// completion from the next one.
	g.toNodes(env, gsn.GCP_COMPLETE_REP, g.round-1, nil)
	g.includePending(env)
}
