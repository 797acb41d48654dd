package gcp

import (
	"time"

	"github.com/gondb/gondb/block"
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
}

// GCP is one data node's global checkpoint block: participant on every
// node, coordinator on the master.
type GCP struct {
	block.Handlers
	cfg    Config
	master signal.NodeID

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
	waiting   int    // node answers outstanding
	started   time.Duration
	lastStart time.Duration

	out signal.Signal
}

// New creates a node's GCP block.
func New(cfg Config) *GCP {
	if cfg.Interval <= 0 {
		cfg.Interval = 100 * time.Millisecond
	}
	if cfg.InitialGCI == 0 {
		cfg.InitialGCI = 1
	}
	g := &GCP{cfg: cfg, master: cfg.Node}
	for _, n := range cfg.Nodes {
		if n < g.master {
			g.master = n
		}
	}
	g.stats.Current = cfg.InitialGCI
	g.stats.Completed = cfg.InitialGCI - 1
	g.On(gsn.GCP_PREPARE, g.prepare)
	g.On(gsn.GCP_TCPREPARECONF, g.tcPrepareConf)
	g.On(gsn.GCP_COMMIT, g.commit)
	g.On(gsn.GCP_TCFINISHED, g.tcFinished)
	g.On(gsn.GCP_COMPLETE_REP, g.completeRep)
	g.On(gsn.GCP_PREPARECONF, g.prepareConf)
	g.On(gsn.GCP_NODEFINISH, g.nodeFinish)
	return g
}

// Handle implements block.Block.
func (g *GCP) Handle(env block.Env, s *signal.Signal) { g.Dispatch(env, s) }

// Stats returns the block's counters. Call it from the block's thread.
func (g *GCP) Stats() Stats { return g.stats }

// IsMaster reports whether this node coordinates the rounds.
func (g *GCP) IsMaster() bool { return g.master == g.cfg.Node }

// Tick starts the master's next round when it is due.
func (g *GCP) Tick(env block.Env) {
	if !g.IsMaster() || g.running {
		return
	}
	now := env.Now()
	if now-g.lastStart < g.cfg.Interval {
		return
	}
	g.running, g.started, g.lastStart = true, now, now
	g.round = g.stats.Current + 1
	g.waiting = len(g.cfg.Nodes)
	g.toAllNodes(env, gsn.GCP_PREPARE, g.round)
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

func (g *GCP) toAllNodes(env block.Env, n signal.Number, gci uint64) {
	for _, node := range g.cfg.Nodes {
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
	if !ok || g.phase != idle || gci != g.stats.Current+1 {
		return // a duplicate or out-of-turn round: the master's bug or a stale signal
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
	if !ok || g.phase != preparing || gci != g.next || g.acks != 0 {
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
	if !ok || !g.running || gci != g.round || g.waiting == 0 {
		return
	}
	if g.waiting--; g.waiting == 0 {
		g.waiting = len(g.cfg.Nodes)
		g.toAllNodes(env, gsn.GCP_COMMIT, g.round)
	}
}

func (g *GCP) nodeFinish(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok || !g.running || gci != g.round-1 || g.waiting == 0 {
		return
	}
	if g.waiting--; g.waiting == 0 {
		g.running = false
		d := env.Now() - g.started
		g.stats.LastRound = d
		if d > g.stats.MaxRound {
			g.stats.MaxRound = d
		}
		g.toAllNodes(env, gsn.GCP_COMPLETE_REP, gci)
	}
}
