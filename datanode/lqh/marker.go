package lqh

import (
	"slices"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Commit-ack markers (NDB's commit ack markers). A COMMIT flagged
// gsn.CommitMarker leaves a marker on every replica it passes: the
// transaction id, its TC node and its GCI. The marker outlives the
// operation records (COMPLETE drops those) until the TC, told by the API
// that it heard of the commit (TC_COMMIT_ACK), sends REMOVE_MARKER_ORD.
// When the TC node fails first, the takeover's LQH_TRANSREQ reports the
// failed TC's markers along with its records, so the takeover can tell
// the API that a transaction committed even when its records are gone.

// marker is one transaction's commit-ack marker.
type marker struct {
	tc  signal.NodeID // the TC that committed it (the record owner for takeovers)
	gci uint64
}

// keepMarker records a commit-ack marker (again, for a resent COMMIT).
func (l *LQH) keepMarker(trans uint64, tc signal.NodeID, gci uint64) {
	if m, ok := l.markers[trans]; ok && m.gci >= gci {
		return
	}
	l.markers[trans] = marker{tc: tc, gci: gci}
}

// removeMarkerOrd drops markers (REMOVE_MARKER_ORD: w0 a count, then
// transaction ids, two words each).
func (l *LQH) removeMarkerOrd(_ block.Env, s *signal.Signal) {
	if s.NumWords < 1 {
		return
	}
	n := int(s.Words[0])
	if n > gsn.MaxAcks || int(s.NumWords) < 1+2*n {
		return
	}
	for i := 0; i < n; i++ {
		delete(l.markers, uint64(s.Words[1+2*i])|uint64(s.Words[2+2*i])<<32)
	}
}

// reportMarkers sends a takeover TC the markers of failed TC node
// failed, in transaction order (the simulator replays a seed exactly).
func (l *LQH) reportMarkers(env block.Env, to signal.Address, failed signal.NodeID, run uint32) {
	var ids []uint64
	for id, m := range l.markers {
		if m.tc == failed {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		l.transConf(env, to, id, failed, 0, gsn.TransCommitted|gsn.TransMarker, l.markers[id].gci, run)
	}
}

// Markers is how many commit-ack markers this LQH holds.
func (l *LQH) Markers() int { return len(l.markers) }
