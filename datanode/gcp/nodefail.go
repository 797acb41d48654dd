package gcp

import (
	"slices"

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
// as for a resend), or idle at g, its part of g's commit phase done. Idle,
// it runs g's commit phase again before any new round: the old master's
// GCP_COMMIT(g) may have reached only some nodes, and one still preparing
// g would never answer a prepare of g+1. A node that finished g answers
// again, even if it is preparing g+1 already (the old master may have
// begun that round).

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
	g.save.nodes = slices.DeleteFunc(g.save.nodes, failed.Has)
	g.notDurable = g.notDurable.Minus(failed)
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
	case idle:
		g.running, g.round = true, g.stats.Current
		g.started = env.Now()
		g.phase0(env, gsn.GCP_COMMIT)
	}
	// A save of the old master's stops; the next save starts when due.
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

// Node restarts. A starting node takes part in the rounds once its GCP
// follows the master's: the president's RESTART block asks every node's
// GCP to include it (GCP_INCLUDEREQ, w0 the node). Each adds it to its
// nodes (the one that becomes master later needs it); the master does so
// between rounds, so a round never counts an answer it did not ask for,
// tells the node's GCP the epochs (GCP_SYNC), and answers the asker
// (GCP_INCLUDECONF) once a whole round included the node: its TCs took
// the epoch from that round's GCP_NOMORETRANS, so they may commit.

func (g *GCP) includeReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 1 {
		return
	}
	n := signal.NodeID(s.Words[0])
	if g.IsMaster() && g.running {
		g.includes = append(g.includes, include{node: n, asker: s.Sender})
		return
	}
	g.include(env, n, s.Sender)
}

// include adds node n to the rounds; the master syncs it and answers asker.
func (g *GCP) include(env block.Env, n signal.NodeID, asker signal.Address) {
	if !slices.Contains(g.cfg.Nodes, n) {
		g.cfg.Nodes = append(g.cfg.Nodes, n)
	}
	g.notDurable.Add(n)
	if !g.IsMaster() {
		return
	}
	st := &g.stats
	g.send(env, gsn.GCP_SYNC, signal.Address{Node: n, Block: gsn.BlockDIH}, st.Current,
		uint32(st.Completed), uint32(st.Completed>>32), uint32(st.Saved), uint32(st.Saved>>32))
	g.confirm = append(g.confirm, include{node: n, asker: asker})
}

// includePending answers the nodes included before the round just over
// (their TCs took the epoch from it, so they may commit now), then
// includes those that asked during it.
func (g *GCP) includePending(env block.Env) {
	for _, in := range g.confirm {
		if slices.Contains(g.cfg.Nodes, in.node) { // not failed meanwhile
			g.send(env, gsn.GCP_INCLUDECONF, in.asker, uint64(in.node), uint32(g.stats.Current), uint32(g.stats.Current>>32))
		}
	}
	g.confirm = g.confirm[:0]
	for _, in := range g.includes {
		g.include(env, in.node, in.asker)
	}
	g.includes = g.includes[:0]
}

// adopt makes a joining node that has not followed a master yet take
// epoch cur for its current one, from the first round signal it gets: a
// master that took over from the one that included it (and may have
// died before GCP_SYNC) counts it in its rounds already. It reports
// whether it adopted.
func (g *GCP) adopt(cur uint64) bool {
	if !g.cfg.Joining || g.synced || cur <= g.stats.Current {
		return false
	}
	g.synced = true
	st := &g.stats
	st.Current, st.Completed = cur, cur-1
	g.phase, g.acks, g.finished = idle, 0, cur-1
	return true
}

// sync (GCP_SYNC) adopts the master's epochs on a starting node.
func (g *GCP) sync(env block.Env, s *signal.Signal) {
	if s.NumWords < 6 {
		return
	}
	cur, _ := gciOf(s)
	st := &g.stats
	if g.synced && cur <= st.Current {
		return // following the rounds already (adopt, or an earlier sync)
	}
	st.Current = cur
	st.Completed = uint64(s.Words[2]) | uint64(s.Words[3])<<32
	if saved := uint64(s.Words[4]) | uint64(s.Words[5])<<32; saved > st.Saved {
		st.Saved = saved
	}
	g.phase, g.acks, g.finished = idle, 0, cur-1
	g.synced = true
}

// AnnounceDurable tells every node that this node, included by a node
// restart, now restores the cluster's data from its own disk (its first
// local checkpoint after the copy is complete): saves take it in again.
// Call it on the block's thread.
func (g *GCP) AnnounceDurable() { g.announce = true }

// durableRep (GCP_DURABLEREP, w0 the node): that node takes part in saves
// again.
func (g *GCP) durableRep(env block.Env, s *signal.Signal) {
	if s.NumWords >= 1 {
		g.notDurable.Remove(signal.NodeID(s.Words[0]))
	}
}
