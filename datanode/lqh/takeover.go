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

// lqhTransReq reports the operation records of the failed TC node w0.
// Requests of that TC still parked behind row locks never ran: they are
// dropped, and so are its non-locking scans.
func (l *LQH) lqhTransReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	failed, run := signal.NodeID(s.Words[0]), s.Words[1]
	var keys []opKey
	for k := range l.ops {
		if k.tcNode() == failed {
			keys = append(keys, k)
		}
	}
	for k := range l.waiting {
		if k.tcNode() == failed {
			if _, held := l.ops[k]; !held {
				l.unpark(k)
			}
		}
	}
	var scans []opKey
	for k := range l.scans {
		if k.tcNode() == failed {
			if _, held := l.ops[k]; !held {
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
		op := l.ops[k]
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
