package lqh

import (
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Read leases (datanode/qmgr's lease.go): with RequireReadLease, this
// LQH reads rows for key reads and scans only before the end of the
// node's read lease, which QMGR sends in LEASE_ORD. A node cut off from
// the cluster loses its lease before the other side can exclude it and
// commit writes its replicas miss, so it refuses reads (ErrReadFenced, a
// temporary error the API retries elsewhere) instead of answering stale
// rows. Writes need no lease: they reach every replica of the view, so a
// cut-off node cannot commit one alone.

// RequireReadLease makes reads wait for QMGR's lease: none is held until
// the first LEASE_ORD. Call it before the block runs; without it (no
// QMGR, NodeFailover off) reads are never fenced.
func (l *LQH) RequireReadLease() { l.leased = true }

// leaseOrd takes the end of the node's read lease from its own QMGR.
func (l *LQH) leaseOrd(_ block.Env, s *signal.Signal) {
	if s.NumWords < 2 || s.Sender.Node != l.node {
		return
	}
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
