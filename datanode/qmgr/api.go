package qmgr

import (
	"fmt"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// apiState is one API node's registration with this data node.
type apiState struct {
	registered bool
	heard      bool   // an API_REGREQ came in the current interval
	missed     int    // intervals in a row without one
	pending    uint64 // local blocks (by index) still cleaning up after its failure
}

// Reasons in API_REGREF w0.
const (
	apiNotRunning = 1
	apiFailing    = 2
)

// apiRegReq registers an API node, or counts its heartbeat, and answers
// with the cluster's membership.
func (q *QMGR) apiRegReq(env block.Env, s *signal.Signal) {
	n := s.Sender.Node
	if n == 0 || n > signal.MaxNodeID || q.data.Has(n) {
		return
	}
	a := &q.apis[n]
	var pres signal.NodeID
	if len(q.view.members) > 0 {
		pres = q.view.members[0].Node
	}
	reply := func(num signal.Number) *signal.Signal {
		q.out.Reset()
		q.out.Number = num
		q.out.Receiver = s.Sender
		return &q.out
	}
	switch {
	case q.phase != Running:
		reply(gsn.API_REGREF).SetWords(apiNotRunning, 0)
		q.send(env)
		return
	case a.pending != 0:
		reply(gsn.API_REGREF).SetWords(apiFailing, uint32(pres))
		q.send(env)
		return
	}
	if !a.registered {
		a.registered, a.missed = true, 0
	}
	a.heard = true
	r := reply(gsn.API_REGCONF)
	r.NumWords = 12
	r.Words[0], r.Words[1], r.Words[2] = uint32(pres), lo(q.view.failNo), hi(q.view.failNo)
	r.Words[3] = uint32(q.cfg.HeartbeatIntervalDbApi / time.Millisecond)
	q.view.set().put(r.Words[4:])
	q.send(env)
}

// tickAPI checks every HeartbeatIntervalDbApi that each registered API
// node was heard from; MissedHeartbeats silent intervals in a row fail it.
func (q *QMGR) tickAPI(env block.Env, now time.Duration) {
	if now < q.nextAPICheck {
		return
	}
	q.nextAPICheck += q.cfg.HeartbeatIntervalDbApi
	if q.nextAPICheck <= now {
		q.nextAPICheck = now + q.cfg.HeartbeatIntervalDbApi
	}
	for n := range q.apis {
		a := &q.apis[n]
		if !a.registered {
			continue
		}
		if a.heard {
			a.missed = 0
		} else if a.missed++; a.missed >= q.cfg.MissedHeartbeats {
			q.apiFailed(env, signal.NodeID(n))
		}
		a.heard = false
	}
}

// apiFailed tells the local blocks to abort API node n's transactions.
func (q *QMGR) apiFailed(env block.Env, n signal.NodeID) {
	a := &q.apis[n]
	a.registered = false
	q.stats.APIFailures++
	for i, l := range q.cfg.Local {
		if l.Acks {
			a.pending |= 1 << i
		}
		q.out.Reset()
		q.out.Number = gsn.API_FAILREQ
		q.out.Receiver = l.Addr
		q.out.SetWords(uint32(n))
		q.send(env)
	}
	q.emit(Event{Kind: EventAPIFailed, FailNo: q.view.failNo, Node: n,
		Reason: fmt.Sprintf("missed %d heartbeats", a.missed)})
}

func (q *QMGR) apiFailConf(env block.Env, s *signal.Signal) {
	if s.NumWords < 1 || s.Words[0] == 0 || s.Words[0] > signal.MaxNodeID {
		return
	}
	if i := q.localIndex(s.Sender); i >= 0 {
		q.apis[s.Words[0]].pending &^= 1 << i
	}
}
