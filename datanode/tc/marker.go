package tc

import (
	"slices"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Commit-ack markers (gsn.TC_COMMIT_ACK). When the API asks for them
// (gsn.TcKeyCommitAck), the commit decision flags one written operation's
// COMMIT (gsn.CommitMarker): every replica of its chain keeps a marker
// after the operation records are gone. TC remembers where the markers
// are until the API acknowledges the commit (TC_COMMIT_ACK), then drops
// them (REMOVE_MARKER_ORD). Should this node fail before that, the
// takeover finds a marker on a surviving replica (a whole node group
// would have to fail to lose them all, and then the cluster stops) and
// tells the API the transaction committed; a transaction it finds no
// trace of did not commit. The takeover TC keeps the markers of the
// transactions it committed in the same way, until the API acknowledges
// its TCKEY_FAILCONF.

// markerTimeout drops markers the API never acknowledged (it failed
// without QMGR noticing, or is idle with acknowledgements unsent). An API
// hears of a commit within milliseconds while connected, so after this
// long only a broken connection keeps the answer from it, and it then
// reports the unknown result itself.
const markerTimeout = 60 * time.Second

// tcMarker is where one transaction's markers are.
type tcMarker struct {
	api   signal.NodeID
	n     uint8
	nodes [gsn.MaxReplicas]signal.NodeID
	at    time.Duration // when the commit was decided (t.now)
}

// removeBatch collects one LQH node's REMOVE_MARKER_ORD words.
type removeBatch struct {
	node signal.NodeID
	w    []uint32 // w0 the count, then ids
}

// keepMarker remembers the markers of trans on nodes (merged with those
// already known).
func (t *TC) keepMarker(trans uint64, api signal.NodeID, nodes []signal.NodeID, now time.Duration) {
	m, ok := t.markers[trans]
	if !ok {
		m = tcMarker{api: api, at: now}
	}
	for _, n := range nodes {
		if int(m.n) < len(m.nodes) && !slices.Contains(m.nodes[:m.n], n) {
			m.nodes[m.n] = n
			m.n++
		}
	}
	t.markers[trans] = m
}

// commitAck handles TC_COMMIT_ACK: the API heard of these commits.
func (t *TC) commitAck(env block.Env, s *signal.Signal) {
	if s.NumWords < 1 {
		return
	}
	n := int(s.Words[0])
	if n > gsn.MaxAcks || int(s.NumWords) < 1+2*n {
		return
	}
	for i := 0; i < n; i++ {
		t.dropMarker(env, uint64(s.Words[1+2*i])|uint64(s.Words[2+2*i])<<32)
	}
	t.flushRemoves(env)
}

// dropMarker forgets trans's markers and queues their removal.
func (t *TC) dropMarker(env block.Env, trans uint64) {
	m, ok := t.markers[trans]
	if !ok {
		return
	}
	delete(t.markers, trans)
	for _, node := range m.nodes[:m.n] {
		b := t.removeBatch(node)
		b.w = append(b.w, uint32(trans), uint32(trans>>32))
		b.w[0]++
		if b.w[0] == gsn.MaxAcks {
			t.sendRemove(env, b)
		}
	}
}

func (t *TC) removeBatch(node signal.NodeID) *removeBatch {
	for i := range t.removes {
		if t.removes[i].node == node {
			return &t.removes[i]
		}
	}
	t.removes = append(t.removes, removeBatch{node: node, w: []uint32{0}})
	return &t.removes[len(t.removes)-1]
}

func (t *TC) sendRemove(env block.Env, b *removeBatch) {
	if b.w[0] > 0 {
		t.send(env, gsn.REMOVE_MARKER_ORD, signal.Address{Node: b.node, Block: gsn.BlockLQH}, 0, b.w, nil)
	}
	b.w = append(b.w[:0], 0)
}

// flushRemoves sends the queued removals.
func (t *TC) flushRemoves(env block.Env) {
	for i := range t.removes {
		t.sendRemove(env, &t.removes[i])
	}
}

// dropMarkersWhere drops every marker keep selects, in id order (the
// simulator replays a seed's signals exactly).
func (t *TC) dropMarkersWhere(env block.Env, keep func(tcMarker) bool) {
	var ids []uint64
	for id, m := range t.markers {
		if keep(m) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	for _, id := range ids {
		t.dropMarker(env, id)
	}
	t.flushRemoves(env)
}

// expireMarkers drops markers older than markerTimeout (checked once a
// second).
func (t *TC) expireMarkers(env block.Env, now time.Duration) {
	if len(t.markers) == 0 || now-t.markerSweep < time.Second {
		return
	}
	t.markerSweep = now
	t.dropMarkersWhere(env, func(m tcMarker) bool { return now-m.at > markerTimeout })
}

// Markers is how many transactions' commit-ack markers this TC keeps.
func (t *TC) Markers() int { return len(t.markers) }
