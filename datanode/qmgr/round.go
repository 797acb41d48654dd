package qmgr

import (
	"fmt"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// A view change is one round of single-decree Paxos for the next view
// number (the slot), run by the president; every member of the current
// view is an acceptor. See the package doc for why.

type roundPhase uint8

const (
	rIdle   roundPhase = iota
	rPrep              // PREP_FAILREQ sent: collecting promises
	rArbit             // asking the arbitrator
	rAccept            // ACCEPT_FAILREQ sent: collecting acceptances
	rCommit            // COMMIT_FAILREQ sent: the view is chosen and applied here
)

func (p roundPhase) String() string {
	return [...]string{"idle", "prepare", "arbitration", "accept", "commit"}[p]
}

type round struct {
	phase  roundPhase
	slot   uint64 // the view number being decided
	ballot uint32
	// f are the members this round excludes; quorum the rest, who must
	// all answer.
	f, quorum NodeSet
	answered  NodeSet
	to        NodeSet // rCommit: where the commit went
	started   time.Duration
	sent      time.Duration
	// learned is the accepted value of the highest ballot the promises
	// reported: Paxos makes the round propose it instead of its own.
	learnedBallot uint32
	learned       view
	handled       bool // every promise said failure handling is complete
	value         view
	arbit         ArbitrationRequest
}

// joiner is a node that asked to be admitted.
type joiner struct {
	node  signal.NodeID
	start uint64
	seen  time.Duration
}

func (q *QMGR) nextBallot() uint32 {
	q.ballotCtr = max(q.ballotCtr, q.promised>>8) + 1
	if q.ballotCtr >= 1<<24 {
		q.ballotCtr = 1<<24 - 1 // 16 million rounds of one view: never in practice
	}
	return q.ballotCtr<<8 | uint32(q.cfg.Node)
}

// tickRound drives the president's round: starts one when members are
// suspected or nodes wait to join, restarts it when a node of its quorum
// fails, resends unanswered signals, and times out silent nodes.
func (q *QMGR) tickRound(env block.Env, now time.Duration) {
	switch q.r.phase {
	case rIdle:
		if q.president() != q.cfg.Node {
			return
		}
		q.pruneJoiners(now)
		if !q.failed.Intersect(q.view.set()).Empty() || len(q.joiners) > 0 && now >= q.joinRetry {
			q.startRound(env, now)
		}
	case rPrep, rArbit, rAccept:
		if !q.r.quorum.Intersect(q.failed).Empty() {
			q.restartRound(env, now)
			return
		}
		if q.r.phase == rArbit {
			q.pollArbitrator(env, now)
			return
		}
		if now-q.r.started >= q.timeout() {
			q.r.quorum.Minus(q.r.answered).each(func(n signal.NodeID) {
				q.suspect(env, n, fmt.Sprintf("no answer to the %v of view %d", q.r.phase, q.r.slot))
			})
			q.restartRound(env, now)
			return
		}
		if now-q.r.sent >= q.resend() {
			q.r.sent = now
			missing := q.r.quorum.Minus(q.r.answered)
			if q.r.phase == rPrep {
				q.sendPrep(env, missing)
			} else {
				q.sendAccept(env, missing)
			}
		}
	case rCommit:
		pending := q.r.to.Intersect(q.r.value.set()).Minus(q.r.answered).Minus(q.failed)
		if pending.Empty() {
			q.r.phase = rIdle
			return
		}
		if now-q.r.started >= q.timeout() {
			pending.each(func(n signal.NodeID) {
				q.suspect(env, n, fmt.Sprintf("did not confirm view %d", q.r.slot))
			})
			q.r.phase = rIdle
			return
		}
		if now-q.r.sent >= q.resend() {
			q.r.sent = now
			q.sendCommit(env, q.r.to.Minus(q.r.answered))
		}
	}
}

// startRound starts a view change excluding the suspected members and
// admitting the waiting joiners.
func (q *QMGR) startRound(env block.Env, now time.Duration) {
	base := q.view.set()
	q.r.phase, q.r.slot, q.r.ballot = rPrep, q.view.failNo+1, q.nextBallot()
	q.r.f = q.failed.Intersect(base)
	q.r.quorum = base.Minus(q.r.f)
	q.r.answered = NodeSet{}
	q.r.started, q.r.sent = now, now
	q.r.learnedBallot = 0
	q.r.handled = true
	q.stats.Rounds++
	q.sendPrep(env, q.r.quorum)
}

func (q *QMGR) restartRound(env block.Env, now time.Duration) {
	q.stats.RoundRestarts++
	q.r.phase = rIdle
	if q.president() == q.cfg.Node {
		q.startRound(env, now)
	}
}

// sendPrep sends PREP_FAILREQ to the members in to (this node included:
// the president is an acceptor too, through the same signals).
func (q *QMGR) sendPrep(env block.Env, to NodeSet) {
	q.buf = appendView(q.buf[:0], &q.view)
	for i := range q.view.members {
		n := q.view.members[i].Node
		if !to.Has(n) {
			continue
		}
		s := q.sig(n, gsn.PREP_FAILREQ)
		s.NumWords = 11
		s.Words[0], s.Words[1], s.Words[2] = lo(q.r.slot), hi(q.r.slot), q.r.ballot
		q.r.f.put(s.Words[3:])
		s.AddSection(q.buf)
		q.send(env)
	}
}

// prepFailReq is the acceptor's phase 1: promise the ballot if it comes
// from the node this one takes for president (given the round's
// exclusions) and no higher ballot was promised.
func (q *QMGR) prepFailReq(env block.Env, s *signal.Signal) {
	if q.phase != Running || s.NumWords < 11 {
		return
	}
	from := s.Sender.Node
	slot, ballot := u64(s.Words[0], s.Words[1]), s.Words[2]
	if decodeView(s.Section(0), &q.scratch) != nil || q.scratch.failNo+1 != slot {
		return
	}
	if slot <= q.view.failNo {
		q.refuse(env, s, refBehind, 0)
		return
	}
	if slot > q.view.failNo+1 {
		// The president's view is chosen: catch up with it.
		q.stats.CaughtUp++
		q.applyView(env, &q.scratch)
		if q.phase != Running {
			return
		}
	}
	if !q.view.equal(&q.scratch) {
		return // cannot be: one view per number
	}
	f := setFrom(s.Words[3:])
	if q.failed.Has(from) || f.Has(q.cfg.Node) || q.view.presidentExcept(q.failed.Union(f)) != from {
		return // not this node's president: it times this node out
	}
	if ballot < q.promised {
		q.refuse(env, s, refBallot, q.promised)
		return
	}
	q.promised = ballot
	q.ballotCtr = max(q.ballotCtr, ballot>>8)
	f.Intersect(q.view.set()).each(func(n signal.NodeID) {
		q.suspect(env, n, fmt.Sprintf("excluded by president %d", from))
	})
	r := q.sig(from, gsn.PREP_FAILCONF)
	r.NumWords = 13
	r.Words[0], r.Words[1], r.Words[2], r.Words[3] = lo(slot), hi(slot), ballot, q.acceptedBallot
	if q.handled() {
		r.Words[4] = 1
	}
	q.failed.put(r.Words[5:])
	if q.acceptedBallot != 0 {
		q.buf = appendView(q.buf[:0], &q.accepted)
		r.AddSection(q.buf)
	}
	q.send(env)
}

// Reasons in PREP_FAILREF w3.
const (
	refBallot = 1 // a higher ballot is promised (w4)
	refBehind = 2 // the slot is already committed here (s0 the view)
)

func (q *QMGR) refuse(env block.Env, s *signal.Signal, reason, promised uint32) {
	r := q.sig(s.Sender.Node, gsn.PREP_FAILREF)
	r.SetWords(s.Words[0], s.Words[1], s.Words[2], reason, promised)
	if reason == refBehind {
		q.buf = appendView(q.buf[:0], &q.view)
		r.AddSection(q.buf)
	}
	q.send(env)
}

func (q *QMGR) prepFailConf(env block.Env, s *signal.Signal) {
	from := s.Sender.Node
	if q.r.phase != rPrep || s.NumWords < 13 || u64(s.Words[0], s.Words[1]) != q.r.slot ||
		s.Words[2] != q.r.ballot || !q.r.quorum.Has(from) || q.r.answered.Has(from) {
		return
	}
	theirs := setFrom(s.Words[5:])
	extra := theirs.Intersect(q.view.set()).Minus(q.r.f)
	extra.Remove(q.cfg.Node)
	if !extra.Empty() {
		// The round must exclude them too: tickRound restarts it.
		extra.each(func(n signal.NodeID) { q.suspect(env, n, fmt.Sprintf("reported by node %d", from)) })
		return
	}
	if b := s.Words[3]; b != 0 {
		if decodeView(s.Section(0), &q.scratch) != nil || q.scratch.failNo != q.r.slot {
			return
		}
		if b > q.r.learnedBallot {
			q.r.learnedBallot = b
			q.r.learned.copyFrom(&q.scratch)
		}
	}
	if s.Words[4] == 0 {
		q.r.handled = false
	}
	q.r.answered.Add(from)
	if q.r.answered == q.r.quorum {
		q.decide(env, env.Now())
	}
}

func (q *QMGR) prepFailRef(env block.Env, s *signal.Signal) {
	if (q.r.phase != rPrep && q.r.phase != rAccept) || s.NumWords < 5 ||
		u64(s.Words[0], s.Words[1]) != q.r.slot || s.Words[2] != q.r.ballot {
		return
	}
	switch s.Words[3] {
	case refBallot:
		q.ballotCtr = max(q.ballotCtr, s.Words[4]>>8)
		q.restartRound(env, env.Now())
	case refBehind:
		if decodeView(s.Section(0), &q.scratch) == nil && q.scratch.failNo >= q.r.slot {
			q.stats.CaughtUp++
			q.applyView(env, &q.scratch) // ends the round
		}
	}
}

// decide runs once every node of the quorum promised: choose the value,
// then the arbitration check of the quorum against the current view.
func (q *QMGR) decide(env block.Env, now time.Duration) {
	v := &q.r.value
	if q.r.learnedBallot != 0 {
		v.copyFrom(&q.r.learned) // Paxos: finish what an earlier round may have chosen
		q.stats.Finished++
	} else {
		v.failNo = q.r.slot
		v.members = v.members[:0]
		for _, m := range q.view.members {
			if !q.r.f.Has(m.Node) {
				v.members = append(v.members, m)
			}
		}
		if q.r.handled {
			dyn := q.view.maxDyn()
			for _, j := range q.joiners {
				if !q.view.has(j.node) && v.find(j.node) == nil {
					dyn++
					v.members = append(v.members, Member{Node: j.node, Dyn: dyn, Start: j.start})
				}
			}
		}
		if q.r.f.Empty() && len(v.members) == len(q.view.members) {
			// Nothing to change: joiners wait for failure handling.
			q.r.phase = rIdle
			q.joinRetry = now + q.resend()
			return
		}
	}
	base := q.view.set()
	if q.r.quorum == base {
		q.beginAccept(env, now) // every member is here: nothing to arbitrate
		return
	}
	switch o := Check(base, q.r.quorum, q.groups); o {
	case LoseGroups, LoseNodes:
		q.lose(env, o, o.String())
	case WinGroups, WinNodes:
		q.beginAccept(env, now)
	case Partitioning:
		switch {
		case q.cfg.Arbitration == ArbitrationDisabled:
			q.arbit = fmt.Sprintf("view %d: %v; arbitration disabled, going on", q.r.slot, o)
			q.emit(Event{Kind: EventArbitration, FailNo: q.view.failNo, Verdict: Granted, Reason: q.arbit})
			q.beginAccept(env, now)
		case q.cfg.Arbitrator == nil && q.cfg.Arbitration == ArbitrationDefault:
			q.lose(env, 0, "network partitioning and no arbitrator")
		default:
			q.r.phase, q.r.started = rArbit, now
			q.r.arbit = ArbitrationRequest{Generation: q.cfg.Generation, Base: q.view.failNo, Proposed: v.set(), Side: q.r.quorum, President: q.cfg.Node}
			q.stats.Arbitrations++
			q.arbit = fmt.Sprintf("view %d: asked for %v (side %v)", q.r.slot, q.r.arbit.Proposed, q.r.quorum)
			q.emit(Event{Kind: EventArbitration, FailNo: q.view.failNo, Verdict: Pending, Reason: q.arbit})
			q.pollArbitrator(env, now)
		}
	}
}

func (q *QMGR) pollArbitrator(env block.Env, now time.Duration) {
	verdict := Pending
	if q.cfg.Arbitrator != nil {
		verdict = q.cfg.Arbitrator.Arbitrate(q.r.arbit)
	}
	switch verdict {
	case Granted:
		q.arbit = fmt.Sprintf("view %d: granted", q.r.slot)
		q.emit(Event{Kind: EventArbitration, FailNo: q.view.failNo, Verdict: Granted, Reason: q.arbit})
		q.beginAccept(env, now)
	case Refused:
		q.arbit = fmt.Sprintf("view %d: refused", q.r.slot)
		q.emit(Event{Kind: EventArbitration, FailNo: q.view.failNo, Verdict: Refused, Reason: q.arbit})
		q.lose(env, 0, "the arbitrator chose the other side")
	default:
		if now-q.r.started < q.cfg.ArbitrationTimeout {
			return
		}
		if q.cfg.Arbitration == ArbitrationWaitExternal {
			q.arbit = fmt.Sprintf("view %d: no verdict within ArbitrationTimeout; going on (WaitExternal)", q.r.slot)
			q.emit(Event{Kind: EventArbitration, FailNo: q.view.failNo, Verdict: Granted, Reason: q.arbit})
			q.beginAccept(env, now)
			return
		}
		q.arbit = fmt.Sprintf("view %d: no verdict within ArbitrationTimeout", q.r.slot)
		q.emit(Event{Kind: EventArbitration, FailNo: q.view.failNo, Verdict: Refused, Reason: q.arbit})
		q.lose(env, 0, "no arbitration verdict within ArbitrationTimeout")
	}
}

// lose shuts down this side: every node of the quorum, then this one.
func (q *QMGR) lose(env block.Env, o Outcome, why string) {
	q.r.quorum.each(func(n signal.NodeID) {
		if n == q.cfg.Node {
			return
		}
		s := q.sig(n, gsn.QMGR_STOPORD)
		s.SetWords(stopLost, lo(q.r.slot), hi(q.r.slot), q.r.ballot, uint32(o))
		q.send(env)
	})
	q.stop(env, fmt.Sprintf("failure of %v from view %d: %s", q.r.f, q.view.failNo, why))
}

func (q *QMGR) beginAccept(env block.Env, now time.Duration) {
	q.r.phase, q.r.started, q.r.sent = rAccept, now, now
	q.r.answered = NodeSet{}
	q.sendAccept(env, q.r.quorum)
}

func (q *QMGR) sendAccept(env block.Env, to NodeSet) {
	q.buf = appendView(q.buf[:0], &q.r.value)
	to.each(func(n signal.NodeID) {
		s := q.sig(n, gsn.ACCEPT_FAILREQ)
		s.SetWords(lo(q.r.slot), hi(q.r.slot), q.r.ballot)
		s.AddSection(q.buf)
		q.send(env)
	})
}

// acceptFailReq is the acceptor's phase 2.
func (q *QMGR) acceptFailReq(env block.Env, s *signal.Signal) {
	if q.phase != Running || s.NumWords < 3 {
		return
	}
	slot, ballot := u64(s.Words[0], s.Words[1]), s.Words[2]
	switch {
	case slot <= q.view.failNo:
		q.refuse(env, s, refBehind, 0)
		return
	case slot > q.view.failNo+1 || q.failed.Has(s.Sender.Node):
		return
	case ballot < q.promised:
		q.refuse(env, s, refBallot, q.promised)
		return
	}
	if decodeView(s.Section(0), &q.scratch) != nil || q.scratch.failNo != slot {
		return
	}
	now := env.Now()
	if q.holdsGrant(&q.scratch, now) {
		return // a read lease granted to a node the value excludes runs on
	}
	if q.acceptedFailNo != slot {
		q.acceptedAt, q.acceptedFailNo = now, slot
	}
	q.promised, q.acceptedBallot = ballot, ballot
	q.accepted.copyFrom(&q.scratch)
	r := q.sig(s.Sender.Node, gsn.ACCEPT_FAILCONF)
	r.SetWords(lo(slot), hi(slot), ballot)
	q.send(env)
}

func (q *QMGR) acceptFailConf(env block.Env, s *signal.Signal) {
	from := s.Sender.Node
	if q.r.phase != rAccept || s.NumWords < 3 || u64(s.Words[0], s.Words[1]) != q.r.slot ||
		s.Words[2] != q.r.ballot || !q.r.quorum.Has(from) {
		return
	}
	q.r.answered.Add(from)
	if q.r.answered == q.r.quorum {
		q.enterCommit(env, env.Now())
	}
}

// enterCommit: the whole quorum accepted, so the value is chosen. Tell
// its members (joiners included) and the quorum's nodes it leaves out,
// then apply it here.
func (q *QMGR) enterCommit(env block.Env, now time.Duration) {
	q.r.phase, q.r.started, q.r.sent = rCommit, now, now
	q.r.answered = SetOf(q.cfg.Node)
	q.r.to = q.r.value.set().Union(q.r.quorum).Minus(q.failed)
	q.r.to.Remove(q.cfg.Node)
	q.sendCommit(env, q.r.to)
	q.applyView(env, &q.r.value)
}

func (q *QMGR) sendCommit(env block.Env, to NodeSet) {
	q.buf = appendView(q.buf[:0], &q.r.value)
	to.each(func(n signal.NodeID) {
		s := q.sig(n, gsn.COMMIT_FAILREQ)
		s.SetWords(lo(q.r.slot), hi(q.r.slot), lo(q.cfg.Generation), hi(q.cfg.Generation))
		s.AddSection(q.buf)
		q.send(env)
	})
}

func (q *QMGR) commitFailReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 || decodeView(s.Section(0), &q.scratch) != nil || q.scratch.failNo != u64(s.Words[0], s.Words[1]) {
		return
	}
	switch q.phase {
	case Joining:
		m := q.scratch.find(q.cfg.Node)
		if m == nil || m.Start != q.cfg.StartID {
			return // a view admitting an earlier incarnation, or not this node
		}
		q.phase = Running
		if s.NumWords >= 4 {
			// The cluster's generation: a node restart's own (from its
			// disk) may be older, and arbitration refuses an older one.
			q.cfg.Generation = max(q.cfg.Generation, u64(s.Words[2], s.Words[3]))
		}
		q.hint, q.hintTries = 0, 0
		q.nextBeat, q.left, q.missed = env.Now(), 0, 0
		q.applyView(env, &q.scratch)
	case Running:
		if q.scratch.failNo > q.view.failNo {
			q.applyView(env, &q.scratch)
		}
	}
	if q.phase == Running {
		r := q.sig(s.Sender.Node, gsn.COMMIT_FAILCONF)
		r.SetWords(s.Words[0], s.Words[1])
		q.send(env)
	}
}

func (q *QMGR) commitFailConf(env block.Env, s *signal.Signal) {
	if q.r.phase == rCommit && s.NumWords >= 2 && u64(s.Words[0], s.Words[1]) == q.r.slot {
		q.r.answered.Add(s.Sender.Node)
	}
}

// applyView makes the chosen view v this node's view: a node v leaves out
// (or holds as another incarnation) shuts down; the local blocks learn of
// the nodes that failed and joined.
func (q *QMGR) applyView(env block.Env, v *view) {
	if v.failNo <= q.view.failNo {
		return
	}
	if me := v.find(q.cfg.Node); me == nil || me.Start != q.cfg.StartID {
		q.stop(env, fmt.Sprintf("excluded from the cluster by view %d", v.failNo))
		return
	}
	var failed, joined NodeSet
	for _, m := range q.view.members {
		if nm := v.find(m.Node); nm == nil || nm.Start != m.Start {
			failed.Add(m.Node)
		}
	}
	for _, m := range v.members {
		if om := q.view.find(m.Node); om == nil || om.Start != m.Start {
			joined.Add(m.Node)
		}
	}
	first := q.view.failNo == 0
	q.leaseViewChanged(env, &q.view, v, first)
	q.failed = q.failed.Intersect(v.set()).Minus(joined)
	q.forgetGossip(joined)
	q.view.copyFrom(v)
	q.promised, q.acceptedBallot = 0, 0
	q.since = env.Now()
	q.left = 0 // the ring may have changed, or the neighbour's incarnation
	if q.r.phase != rIdle && q.r.slot <= v.failNo && (q.r.phase != rCommit || q.r.slot != v.failNo) {
		q.r.phase = rIdle // overtaken by a view chosen elsewhere
	}
	kept := q.joiners[:0]
	for _, j := range q.joiners {
		if m := q.view.find(j.node); m == nil || m.Start != j.start {
			kept = append(kept, j)
		}
	}
	q.joiners = kept
	q.stats.ViewChanges++
	q.stats.NodesFailed += uint64(failed.Count())
	if !first {
		q.stats.NodesJoined += uint64(joined.Count())
	}
	if !failed.Empty() {
		q.lastFailRep = v.failNo
		q.toLocal(env, gsn.NODE_FAILREP, failed)
	}
	if !joined.Empty() {
		q.toLocal(env, gsn.NODE_INCLREP, joined)
	}
	q.emit(Event{Kind: EventView, FailNo: v.failNo, President: v.members[0].Node, Members: q.members(),
		Failed: failed, Joined: joined})
	if !failed.Empty() {
		live := q.view.set()
		for _, g := range q.groups {
			if g.Intersect(live).Empty() {
				q.stop(env, fmt.Sprintf("view %d holds no complete copy of the data", v.failNo))
				return
			}
		}
	}
}
