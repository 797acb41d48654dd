package qmgr

import (
	"fmt"
	"math"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Read leases. A node cut off from the others keeps its replicas, and
// until its side shuts down it would answer reads from them, while the
// other side, once it has excluded it, commits writes it never sees:
// stale reads. So a node reads only under a lease from every other member
// of its view (the holder's rule), and a member that granted one accepts
// no view excluding the holder until it expired (the granter's rule).
// Every view that excludes a node is accepted by every member it keeps
// (the round's quorum), so it is chosen only after the node's lease from
// each of them, and so its lease as a whole, has run out.
//
// Times: the holder counts its lease from when it asked (LEASE_REQ), the
// granter from when it answered, which is later, plus a margin for the
// clocks' rates. A node that joins grants every member a lease at once
// (it was not asked, so it is bound from its admission); the members count
// that lease from when they accepted the view admitting it, which is
// before the joiner was admitted.

// leaseTime is how long a grant lasts: half of the silence that fails a
// node (MissedHeartbeats/2 intervals). A grant stops at the first
// suspicion, so a view change waits for it only when a node was suspected
// faster than that (gossip), and by at most the difference.
func (q *QMGR) leaseTime() time.Duration {
	return time.Duration(q.cfg.MissedHeartbeats) * q.cfg.HeartbeatIntervalDbDb / 2
}

// leaseMargin is added to the granter's side: monotonic clocks of two
// hosts drift by parts per million; an eighth is far more than enough.
func (q *QMGR) leaseMargin() time.Duration { return q.leaseTime() / 8 }

// noLimit is LEASE_ORD's end for a node alone in its view.
const noLimit = time.Duration(math.MaxInt64)

// tickLease asks every other member for a lease every resend interval
// (four times per heartbeat interval, so one lost answer costs nothing),
// suspects a member that granted none for twice MissedHeartbeats
// intervals (a grant takes a round trip, a heartbeat one way; and a
// neighbour's silence is the heartbeats' to find first), and tells the local reading blocks when the lease's end moved.
//
// The heartbeats run around a ring, so they miss a broken link between
// two nodes that are not neighbours; the leases run between every pair,
// and a node that cannot get its lease from another would refuse reads
// for good. The suspicion makes the view drop one of them instead (NDB
// fails a node whose transporter to another member stays down).
func (q *QMGR) tickLease(env block.Env, now time.Duration) {
	if now >= q.nextLease {
		q.nextLease = now + q.resend()
		q.askLeases(env, now)
		for i := range q.view.members {
			n := q.view.members[i].Node
			if n == q.cfg.Node || q.failed.Has(n) || now-q.lastGrant[n] < 2*q.timeout() {
				continue
			}
			q.stats.LinkFailures++
			q.suspect(env, n, fmt.Sprintf("granted no read lease for %v: the link to it failed", now-q.lastGrant[n]))
		}
	}
	q.orderLease(env)
}

func (q *QMGR) askLeases(env block.Env, now time.Duration) {
	for i := range q.view.members {
		n := q.view.members[i].Node
		if n == q.cfg.Node {
			continue
		}
		s := q.sig(n, gsn.LEASE_REQ)
		s.SetWords(lo(uint64(now)), hi(uint64(now)), lo(q.cfg.StartID), hi(q.cfg.StartID))
		q.send(env)
	}
}

// leaseEnd is when this node's lease ends: the earliest of the other
// members' grants; 0 unless running.
func (q *QMGR) leaseEnd() time.Duration {
	if q.phase != Running {
		return 0
	}
	end := noLimit
	for i := range q.view.members {
		if n := q.view.members[i].Node; n != q.cfg.Node {
			end = min(end, q.leaseFrom[n])
		}
	}
	return end
}

// orderLease sends LEASE_ORD to the local reading blocks when the lease's
// end changed since the last one.
func (q *QMGR) orderLease(env block.Env) {
	end := q.leaseEnd()
	if end == q.leaseSent {
		return
	}
	q.leaseSent = end
	for _, l := range q.cfg.Local {
		if !l.Lease {
			continue
		}
		q.out.Reset()
		q.out.Number = gsn.LEASE_ORD
		q.out.Receiver = l.Addr
		q.out.SetWords(lo(uint64(end)), hi(uint64(end)))
		q.send(env)
	}
}

// leaseReq grants a lease to a member this node does not suspect.
func (q *QMGR) leaseReq(env block.Env, s *signal.Signal) {
	if q.phase != Running || s.NumWords < 4 {
		return
	}
	from := s.Sender.Node
	m := q.view.find(from)
	if m == nil || m.Start != u64(s.Words[2], s.Words[3]) || q.failed.Has(from) {
		return
	}
	q.grantUntil[from] = max(q.grantUntil[from], env.Now()+q.leaseTime()+q.leaseMargin())
	q.stats.LeasesGranted++
	r := q.sig(from, gsn.LEASE_CONF)
	r.SetWords(s.Words[0], s.Words[1])
	q.send(env)
}

// leaseConf takes a member's grant: it lasts from when this node asked.
func (q *QMGR) leaseConf(env block.Env, s *signal.Signal) {
	if q.phase != Running || s.NumWords < 2 {
		return
	}
	from := s.Sender.Node
	asked := time.Duration(u64(s.Words[0], s.Words[1]))
	if !q.view.has(from) || asked > env.Now() || asked < 0 {
		return
	}
	q.leaseFrom[from] = max(q.leaseFrom[from], asked+q.leaseTime())
	q.lastGrant[from] = max(q.lastGrant[from], asked)
	q.orderLease(env)
}

// holdsGrant reports whether a view v would exclude a member this node
// granted a lease that has not expired: v must wait (the acceptor does
// not answer; the president sends again). A member that v holds as a new
// incarnation is no reason to wait: the new one asked to join, so the
// earlier one has stopped (the management server gives a node id to one
// process at a time, and a process stops its runtime before starting
// another).
func (q *QMGR) holdsGrant(v *view, now time.Duration) bool {
	for i := range q.view.members {
		m := &q.view.members[i]
		if v.find(m.Node) == nil && q.grantUntil[m.Node] > now {
			q.stats.LeaseWaits++
			return true
		}
	}
	return false
}

// leaseViewChanged updates the leases when view v (now this node's) took
// the place of old: removed members neither need nor give grants; a
// joiner is bound from its admission, which came after this node accepted
// v (if it did); a node that just joined grants every member at once.
func (q *QMGR) leaseViewChanged(env block.Env, old, v *view, admitted bool) {
	now := env.Now()
	for i := range old.members {
		m := &old.members[i]
		if nm := v.find(m.Node); nm == nil || nm.Start != m.Start {
			q.leaseFrom[m.Node], q.grantUntil[m.Node] = 0, 0
		}
	}
	for i := range v.members {
		m := &v.members[i]
		if m.Node == q.cfg.Node {
			continue
		}
		if om := old.find(m.Node); admitted || om == nil || om.Start != m.Start {
			q.lastGrant[m.Node] = now // a new member: its grants count from now
		}
		if admitted {
			q.leaseFrom[m.Node] = 0
			q.grantUntil[m.Node] = now + q.leaseTime() + q.leaseMargin()
			continue
		}
		if om := old.find(m.Node); om == nil || om.Start != m.Start {
			q.leaseFrom[m.Node] = 0
			if q.acceptedAt != 0 && q.acceptedFailNo == v.failNo {
				q.leaseFrom[m.Node] = q.acceptedAt + q.leaseTime()
			}
		}
	}
	q.nextLease = 0 // ask the new members now
}
