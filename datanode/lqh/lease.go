package lqh

import (
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Read leases (datanode/qmgr's lease.go): once its QMGR has sent the
// first LEASE_ORD (the node is a member of a view), this LQH reads rows
// for key reads and scans only before the end of the node's read lease,
// which each LEASE_ORD moves. A node cut off from
// the cluster loses its lease before the other side can exclude it and
// commit writes its replicas miss, so it refuses reads (ErrReadFenced, a
// temporary error the API retries elsewhere) instead of answering stale
// rows. Writes need no lease: they reach every replica of the view, so a
// cut-off node cannot commit one alone.

// Before the first LEASE_ORD reads are not fenced: without QMGR
// (NodeFailover off) there is no view to be cut off from, and a node of a
// system start that is not yet in the view holds replicas that no view
// has left out.
// leaseOrd takes the end of the node's read lease from its own QMGR.
func (l *LQH) leaseOrd(_ block.Env, s *signal.Signal) {
	if s.NumWords < 2 || s.Sender.Node != l.node {
		return
	}
	l.leased = true
	l.leaseEnd = time.Duration(uint64(s.Words[0]) | uint64(s.Words[1])<<32)
}

// fenced reports whether a read must be refused now: a lease is required
// and has run out.
func (l *LQH) fenced(env block.Env) bool {
	if !l.leased || env.Now() < l.leaseEnd {
		return false
	}
	l.Counters.ReadsFenced++
	return true
}

// isRead reports whether a key operation reads the row for its answer.
func isRead(op uint32) bool {
	return op == gsn.OpRead || op == gsn.OpReadShared || op == gsn.OpReadExclusive
}
