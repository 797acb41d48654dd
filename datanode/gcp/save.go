package gcp

import (
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// GCP save: every SaveInterval the master makes the last complete epoch g
// durable, in two phases over every data node (NDB's GCP_SAVEREQ and
// COPY_GCIREQ):
//
//  1. GCP_SAVEREQ(g): each node has its FS block sync every redo log part
//     up to g, then answers GCP_SAVECONF. Every record of g and before is
//     then on disk on every node.
//  2. GCP_COPYGCIREQ(g): each node writes g into its sysfile as the
//     restorable GCI, then answers GCP_COPYGCICONF.
//  3. GCP_SAVED_REP(g) to every node: g is durable.
//
// Because phase 2 starts only after every node synced g, a node whose
// sysfile says g knows that every node's redo holds g, even one that
// crashed before writing its own sysfile: a system restart restores the
// highest GCI any node's sysfile records. One save runs at a time; a phase
// is resent to nodes that have not answered, and a node answers a repeated
// request again, so lost signals only delay a save.

// saveState is the save protocol's part of the block.
type saveState struct {
	// Master.
	running  bool
	gci      uint64
	phaseSig signal.Number
	answers  answers
	started  time.Duration
	lastSend time.Duration
	// nodes take part in the save: the durable ones (see notDurable) at
	// its start; synced are those that answered its sync, whose disks
	// then restore gci (the sysfiles record them).
	nodes  []signal.NodeID
	synced qmgr.NodeSet

	// Participant: the sync or sysfile write in progress (0: none) and
	// who asked for it.
	syncing, writing     uint64
	syncReply, copyReply signal.Address
}

func (g *GCP) registerSave() {
	g.On(gsn.GCP_SAVEREQ, g.saveReq)
	g.On(gsn.FS_SYNCREDOCONF, g.syncRedoConf)
	g.On(gsn.GCP_COPYGCIREQ, g.copyGCIReq)
	g.On(gsn.FS_WRITESYSFILECONF, g.writeSysfileConf)
	g.On(gsn.GCP_SAVED_REP, g.savedRep)
	g.On(gsn.GCP_SAVECONF, g.saveConf)
	g.On(gsn.GCP_COPYGCICONF, g.copyGCIConf)
}

// tickSave starts the master's next save when one is due, and resends the
// current phase to nodes that have not answered.
func (g *GCP) tickSave(env block.Env) {
	sv := &g.save
	if g.cfg.SaveInterval <= 0 {
		return
	}
	now := env.Now()
	if sv.running {
		if now-sv.lastSend >= g.cfg.Interval {
			sv.lastSend = now
			g.toSaveNodes(env, true)
		}
		return
	}
	if now-sv.started < g.cfg.SaveInterval || g.stats.Completed <= g.stats.Saved {
		return
	}
	sv.nodes, sv.synced = sv.nodes[:0], qmgr.NodeSet{}
	for _, n := range g.cfg.Nodes {
		if !g.notDurable.Has(n) {
			sv.nodes = append(sv.nodes, n)
		}
	}
	if len(sv.nodes) == 0 {
		return // no node's disk restores the data now: nothing to save on
	}
	sv.running, sv.gci, sv.started = true, g.stats.Completed, now
	g.savePhase(env, gsn.GCP_SAVEREQ)
}

func (g *GCP) savePhase(env block.Env, n signal.Number) {
	sv := &g.save
	if len(sv.nodes) == 0 {
		sv.running = false // its nodes all failed: the next save starts when due
		return
	}
	sv.phaseSig, sv.lastSend = n, env.Now()
	sv.answers.reset(len(sv.nodes))
	g.toSaveNodes(env, false)
}

// toSaveNodes sends the save's phase signal to its nodes (with resend,
// those that have not answered); the sysfile write carries the nodes
// that synced.
func (g *GCP) toSaveNodes(env block.Env, resend bool) {
	sv := &g.save
	var extra []uint32
	if sv.phaseSig == gsn.GCP_COPYGCIREQ {
		extra = append(sv.synced[:len(sv.synced):len(sv.synced)], uint32(g.history), uint32(g.history>>32))
	}
	for _, n := range sv.nodes {
		if resend && sv.answers.answered[n] {
			continue
		}
		g.send(env, sv.phaseSig, signal.Address{Node: n, Block: gsn.BlockDIH}, sv.gci, extra...)
	}
}

// Participant.

func (g *GCP) saveReq(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok {
		return
	}
	sv := &g.save
	switch {
	case gci <= g.stats.Synced:
		g.send(env, gsn.GCP_SAVECONF, s.Sender, gci, uint32(g.cfg.Node))
	case sv.syncing != 0:
		// One sync at a time; a repeated request is answered when it ends
		// (a newer one by the master's resend after that).
		if sv.syncing == gci {
			sv.syncReply = s.Sender
		}
	default:
		sv.syncing, sv.syncReply = gci, s.Sender
		g.send(env, gsn.FS_SYNCREDOREQ, g.cfg.FS, gci)
	}
}

func (g *GCP) syncRedoConf(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	sv := &g.save
	if !ok || gci != sv.syncing {
		return
	}
	sv.syncing = 0
	if s.NumWords >= 3 && s.Words[2] != 0 {
		g.stats.SaveErrors++ // not answered: the master's resend retries
		return
	}
	g.stats.Synced = max(g.stats.Synced, gci)
	g.send(env, gsn.GCP_SAVECONF, sv.syncReply, gci, uint32(g.cfg.Node))
}

func (g *GCP) copyGCIReq(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok {
		return
	}
	sv := &g.save
	switch {
	case gci <= g.stats.Written:
		g.send(env, gsn.GCP_COPYGCICONF, s.Sender, gci, uint32(g.cfg.Node))
	case sv.writing != 0:
		if sv.writing == gci {
			sv.copyReply = s.Sender
		}
	default:
		if s.NumWords >= 12 { // the master's history (w10-w11), which a later master of this node's keeps
			g.history = uint64(s.Words[10]) | uint64(s.Words[11])<<32
		}
		sv.writing, sv.copyReply = gci, s.Sender
		g.send(env, gsn.FS_WRITESYSFILEREQ, g.cfg.FS, gci, s.Words[2:s.NumWords]...)
	}
}

func (g *GCP) writeSysfileConf(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	sv := &g.save
	if !ok || gci != sv.writing {
		return
	}
	sv.writing = 0
	if s.NumWords >= 3 && s.Words[2] != 0 {
		g.stats.SaveErrors++
		return
	}
	g.stats.Written = max(g.stats.Written, gci)
	g.send(env, gsn.GCP_COPYGCICONF, sv.copyReply, gci, uint32(g.cfg.Node))
}

func (g *GCP) savedRep(env block.Env, s *signal.Signal) {
	if gci, ok := gciOf(s); ok && gci > g.stats.Saved {
		g.stats.Saved = gci
		g.releaseWaits(env)
	}
}

// Master.

func (g *GCP) saveConf(env block.Env, s *signal.Signal) {
	sv := &g.save
	if gci, ok := gciOf(s); ok && sv.running && sv.phaseSig == gsn.GCP_SAVEREQ && gci == sv.gci && s.NumWords >= 3 {
		sv.synced.Add(signal.NodeID(s.Words[2]))
	}
	g.saveAnswer(env, s, gsn.GCP_SAVEREQ)
}

func (g *GCP) copyGCIConf(env block.Env, s *signal.Signal) { g.saveAnswer(env, s, gsn.GCP_COPYGCIREQ) }

// saveAnswer counts a node's answer to the save's phase.
func (g *GCP) saveAnswer(env block.Env, s *signal.Signal, phase signal.Number) {
	sv := &g.save
	if gci, ok := gciOf(s); !ok || !sv.running || sv.phaseSig != phase || gci != sv.gci {
		return
	}
	if sv.answers.add(s) {
		g.savePhaseDone(env)
	}
}

// savePhaseDone moves the master's save on once every node answered.
func (g *GCP) savePhaseDone(env block.Env) {
	sv := &g.save
	if sv.phaseSig == gsn.GCP_SAVEREQ {
		g.savePhase(env, gsn.GCP_COPYGCIREQ)
		return
	}
	sv.running = false
	d := env.Now() - sv.started
	g.stats.Saves++
	g.stats.LastSave, g.stats.MaxSave = d, max(g.stats.MaxSave, d)
	// A report, like COMPLETE_REP: a node that misses it learns from the
	// next save.
	g.toNodes(env, gsn.GCP_SAVED_REP, sv.gci, nil)
}
