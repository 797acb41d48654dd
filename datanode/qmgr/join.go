package qmgr

import (
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Reasons in CM_REGREF w0.
const (
	regNotPresident = 1 // w1 names the president
	regNotRunning   = 2 // the asked node is not a member itself
	regNotDataNode  = 3 // the asker is not a configured data node
	regPending      = 4 // the president will admit the joiner (after failure handling)
)

// tickJoin asks to be admitted every resend interval: the president it
// was told of, or else the data nodes in turn.
func (q *QMGR) tickJoin(env block.Env, now time.Duration) {
	if now < q.nextReg {
		return
	}
	q.nextReg = now + q.resend()
	if q.hintTries >= q.cfg.MissedHeartbeats {
		q.hint, q.hintTries = 0, 0 // the president went quiet
	}
	target := q.hint
	for i := 0; target == 0 && i < len(q.cfg.DataNodes); i++ {
		c := q.cfg.DataNodes[q.regNext%len(q.cfg.DataNodes)]
		q.regNext++
		if c != q.cfg.Node {
			target = c
		}
	}
	if target == 0 {
		return
	}
	if q.hint != 0 {
		q.hintTries++
	}
	s := q.sig(target, gsn.CM_REGREQ)
	s.SetWords(lo(q.cfg.StartID), hi(q.cfg.StartID))
	q.send(env)
}

func (q *QMGR) cmRegRef(env block.Env, s *signal.Signal) {
	if q.phase != Joining || s.NumWords < 2 {
		return
	}
	p := signal.NodeID(s.Words[1])
	if p == 0 || p == q.cfg.Node || !q.data.Has(p) {
		return
	}
	if p != q.hint {
		q.hint, q.hintTries = p, 0
		q.nextReg = 0 // ask it at once
	} else if s.Sender.Node == p {
		q.hintTries = 0
	}
}

// cmRegReq: a node asks to be admitted. Only the president admits; it
// first fails the node's earlier incarnation if the view still holds one.
func (q *QMGR) cmRegReq(env block.Env, s *signal.Signal) {
	from := s.Sender.Node
	ref := func(reason uint32, p signal.NodeID) {
		r := q.sig(from, gsn.CM_REGREF)
		r.SetWords(reason, uint32(p))
		q.send(env)
	}
	switch {
	case !q.data.Has(from) || from == q.cfg.Node || s.NumWords < 2:
		ref(regNotDataNode, 0)
		return
	case q.phase != Running:
		ref(regNotRunning, 0)
		return
	}
	start := u64(s.Words[0], s.Words[1])
	if m := q.view.find(from); m != nil {
		if m.Start == start {
			return // admitted already: the commit is on its way
		}
		q.suspect(env, from, "restarted")
		// The earlier incarnation stopped (its process ended, or its
		// runtime did before this one started): it reads nothing more, so
		// its read lease need not run out (lease.go).
		q.grantUntil[from] = 0
	}
	if p := q.president(); p != q.cfg.Node {
		ref(regNotPresident, p)
		return
	}
	ref(regPending, q.cfg.Node)
	now := env.Now()
	for i := range q.joiners {
		if q.joiners[i].node == from {
			q.joiners[i].start, q.joiners[i].seen = start, now
			return
		}
	}
	q.joiners = append(q.joiners, joiner{node: from, start: start, seen: now})
}

// pruneJoiners forgets joiners that stopped asking.
func (q *QMGR) pruneJoiners(now time.Duration) {
	kept := q.joiners[:0]
	for _, j := range q.joiners {
		if now-j.seen <= q.timeout() {
			kept = append(kept, j)
		}
	}
	q.joiners = kept
}
