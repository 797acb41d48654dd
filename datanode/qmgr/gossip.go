package qmgr

import (
	"fmt"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
)

// GossipState is gossip's opinion of a data node (datanode/gossip), as
// GOSSIP_REP's w1 carries it. The numbers are wire values.
type GossipState uint32

const (
	// GossipUnknown: no opinion yet (never sent).
	GossipUnknown GossipState = 0
	// GossipAlive: a live member of the gossip cluster.
	GossipAlive GossipState = 1
	// 2 would be suspect: memberlist does not report suspicion.

	// GossipDead: its probes failed, directly and through other members,
	// and it did not refute the suspicion in time.
	GossipDead GossipState = 3
	// GossipLeft: it left the gossip cluster (a planned stop).
	GossipLeft GossipState = 4
)

func (s GossipState) String() string {
	switch s {
	case GossipUnknown:
		return "unknown"
	case GossipAlive:
		return "alive"
	case GossipDead:
		return "dead"
	case GossipLeft:
		return "left"
	}
	return fmt.Sprintf("GossipState(%d)", uint32(s))
}

// down: gossip takes the node for gone.
func (s GossipState) down() bool { return s == GossipDead || s == GossipLeft }

// gossipRep records gossip's opinion of a data node (GOSSIP_REP: w0 the
// node, w1 the GossipState). Only this node's runtime sends it; one from
// another node, for no data node, or with an unknown state is ignored.
func (q *QMGR) gossipRep(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 || (s.Sender.Node != 0 && s.Sender.Node != q.cfg.Node) {
		return
	}
	n, st := signal.NodeID(s.Words[0]), GossipState(s.Words[1])
	if s.Words[0] > signal.MaxNodeID || n == q.cfg.Node || !q.data.Has(n) ||
		(st != GossipAlive && st != GossipDead && st != GossipLeft) {
		return
	}
	q.stats.GossipReports++
	q.gossip[n] = st
	if q.phase == Running && st.down() {
		q.gossipCheck(env)
	}
}

// gossipCheck suspects the left neighbour at once when it has missed a
// heartbeat, has not been heard from since, and gossip takes it for
// gone: gossip's members probed it (directly and through each other) and
// it did not answer, so the remaining MissedHeartbeats intervals need
// not be waited for. Gossip alone, with heartbeats arriving, fails no
// node.
func (q *QMGR) gossipCheck(env block.Env) {
	left := q.left
	if left == 0 || q.missed < 1 || q.heardLeft || !q.gossip[left].down() {
		return
	}
	if cur, _ := q.view.neighbours(q.cfg.Node, q.failed); cur != left {
		return // the ring changed since the last heartbeat check
	}
	q.stats.GossipSuspicions++
	q.suspect(env, left, fmt.Sprintf("missed %d heartbeat(s) and gossip reports it %v", q.missed, q.gossip[left]))
}

// forgetGossip drops a down opinion of nodes that joined (another
// incarnation): it was about the one before.
func (q *QMGR) forgetGossip(joined NodeSet) {
	for _, n := range joined.Nodes() {
		if q.gossip[n].down() {
			q.gossip[n] = GossipUnknown
		}
	}
}

// gossipDown is the set of data nodes gossip takes for gone.
func (q *QMGR) gossipDown() NodeSet {
	var s NodeSet
	for n := range q.gossip {
		if q.gossip[n].down() {
			s.Add(signal.NodeID(n))
		}
	}
	return s
}
