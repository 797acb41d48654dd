package lqh

import (
	"cmp"
	"slices"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Node failure: the operation records a failed TC left behind stay (rows
// locked, changes prepared) until a takeover TC finishes their
// transactions. It asks for them with LQH_TRANSREQ; this LQH reports each
// record (LQH_TRANSCONF: committed or not, and at which GCI), then a last
// report. The takeover TC then sends COMMIT, COMPLETE or ABORT naming the
// failed TC as the records' owner (ownerOf). The failed TC's commit-ack
// markers are reported too (marker.go).

// A request of a failed TC that comes after the failure is known here (a
// request parked behind a row lock and woken later, or one a replica ran
// before the takeover asked it and passes on now) is dropped: the
// takeover may already have collected this LQH's records, and a record
// made now would never be settled, its row locked for good. The TC is
// known failed from NODE_FAILREP, or from the takeover's LQH_TRANSREQ,
// whichever comes first, until NODE_INCLREP says the node is back (a
// takeover's LQH_TRANSREQ from a view before that one does not mark it
// again).

// markTCFailed notes the failed nodes of a NODE_FAILREP (w3-w10).
func (l *LQH) markTCFailed(s *signal.Signal) {
	for n := 1; n <= signal.MaxNodeID && 3+n/32 < int(s.NumWords); n++ {
		if s.Words[3+n/32]&(1<<(n%32)) != 0 {
			l.tcFailed[n] = true
		}
	}
}

// nodeInclRep handles NODE_INCLREP (w3-w10 the nodes joined): their
// restarted TCs' requests are taken again.
func (l *LQH) nodeInclRep(_ block.Env, s *signal.Signal) {
	if s.NumWords < 11 {
		return
	}
	failNo := uint64(s.Words[0]) | uint64(s.Words[1])<<32
	for n := 1; n <= signal.MaxNodeID; n++ {
		if s.Words[3+n/32]&(1<<(n%32)) != 0 {
			l.tcFailed[n], l.inclAt[n] = false, failNo
		}
	}
}

// lqhTransReq reports the operation records of the failed TC node w0.
// Requests of that TC still parked behind row locks never ran: they are
// dropped, and so are its non-locking scans.
func (l *LQH) lqhTransReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	failed, run := signal.NodeID(s.Words[0]), s.Words[1]
	if failed > 0 && failed <= signal.MaxNodeID && (s.NumWords < 4 || uint64(s.Words[2])|uint64(s.Words[3])<<32 >= l.inclAt[failed]) {
		l.tcFailed[failed] = true
	}
	var keys []opKey
	for k := range l.ops.all() {
		if k.tcNode() == failed {
			keys = append(keys, k)
		}
	}
	for k := range l.waiting {
		if k.tcNode() == failed {
			if !l.ops.has(k) {
				l.unpark(k)
			}
		}
	}
	var scans []opKey
	for k := range l.scans {
		if k.tcNode() == failed {
			if !l.ops.has(k) {
				scans = append(scans, k)
			}
		}
	}
	for _, k := range scans {
		l.closeScan(k)
	}
	// Map order is random; the simulator needs the same signals in the
	// same order for a seed.
	slices.SortFunc(keys, func(a, b opKey) int {
		return cmp.Or(cmp.Compare(a.trans, b.trans), cmp.Compare(a.tcIdx, b.tcIdx))
	})
	for _, k := range keys {
		op := l.ops.get(k)
		var flags uint32
		if op.committed {
			flags = gsn.TransCommitted
		}
		l.transConf(env, s.Sender, k.trans, failed, k.idx(), flags, op.gci, run)
	}
	l.reportMarkers(env, s.Sender, failed, run)
	l.transConf(env, s.Sender, 0, failed, 0, gsn.TransLast, 0, run)
}

func (l *LQH) transConf(env block.Env, to signal.Address, trans uint64, failed signal.NodeID, idx, flags uint32, gci uint64, run uint32) {
	o := &l.out
	o.Reset()
	o.Number = gsn.LQH_TRANSCONF
	o.Receiver = to
	o.TransID = trans
	o.SetWords(uint32(failed), idx, flags, uint32(gci), uint32(gci>>32), uint32(l.node), run)
	env.Send(o)
}
