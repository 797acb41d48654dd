package gcp

import (
	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Node failures. The master is the president QMGR names (the oldest live
// node), so when the master fails the next oldest takes over. Failed
// nodes leave the rounds at once: a round waiting for their answers goes
// on without them. But no epoch completes while the president's TC takes
// over the failed nodes' transactions (until TAKE_OVERTCCONF): it commits
// their remaining records with the GCI they had, which must not be
// complete yet.
//
// A new master resumes from its own participant state, which the old
// master's round left in one of three places: preparing epoch g (some
// nodes may have switched to g already: a node past g answers a prepare
// of g at once), committing g (the commit phase is resent; nodes answer
// as for a resend), or idle (the next round starts when due).

// nodeFailRep handles NODE_FAILREP: w2 the president, w3-w10 the failed
// nodes, w11-w18 the live data nodes.
func (g *GCP) nodeFailRep(env block.Env, s *signal.Signal) {
	if s.NumWords < 19 {
		return
	}
	failed := qmgr.SetFromWords(s.Words[3:11])
	g.takeover = g.takeover.Union(failed)
	var left []signal.NodeID
	for _, n := range g.cfg.Nodes {
		if !failed.Has(n) {
			left = append(left, n)
		}
	}
	g.cfg.Nodes = left
	g.setMaster(env, signal.NodeID(s.Words[2]))
	for _, n := range failed.Nodes() {
		if g.running && g.answers.drop(n) {
			g.phaseDone(env)
		}
		if g.save.running && g.save.answers.drop(n) {
			g.savePhaseDone(env)
		}
	}
}

// nodeInclRep handles NODE_INCLREP: it names the president. The rounds
// keep their nodes: every configured data node takes part from the
// system start on, and a failed node takes part again only after a node
// restart brings its GCP into step (not yet built).
func (g *GCP) nodeInclRep(env block.Env, s *signal.Signal) {
	if s.NumWords < 19 {
		return
	}
	g.takeover = g.takeover.Minus(qmgr.SetFromWords(s.Words[3:11]))
	g.setMaster(env, signal.NodeID(s.Words[2]))
}

// takeOverTCConf handles TAKE_OVERTCCONF from this node's TC: the
// takeover of the nodes w0-w7 is done.
func (g *GCP) takeOverTCConf(env block.Env, s *signal.Signal) {
	if s.NumWords < 8 {
		return
	}
	g.takeover = g.takeover.Minus(qmgr.SetFromWords(s.Words[:8]))
	if g.takeover.Empty() && g.heldComplete {
		g.heldComplete = false
		g.completeRound(env)
	}
}

// setMaster takes the view's president for master; a node that becomes
// master resumes the round its own state shows.
func (g *GCP) setMaster(env block.Env, president signal.NodeID) {
	was := g.IsMaster()
	g.master = president
	if was || !g.IsMaster() {
		return
	}
	g.stats.Takeovers++
	switch g.phase {
	case preparing:
		g.running, g.round = true, g.next
		g.started = env.Now()
		g.phase0(env, gsn.GCP_PREPARE)
	case committing:
		g.running, g.round = true, g.next
		g.started = env.Now()
		g.phase0(env, gsn.GCP_COMMIT)
	}
	// Idle: the next round starts when due. A save of the old master's
	// stops; the next save starts when due.
	g.save.running = false
}

// drop counts failed node n out of the phase's answers; true when the
// phase is thereby complete.
func (a *answers) drop(n signal.NodeID) bool {
	if a.answered[n] || a.waiting == 0 {
		return false
	}
	a.answered[n] = true
	a.waiting--
	return a.waiting == 0
}
