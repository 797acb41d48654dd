package ndbapi

import (
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Commit acknowledgements (gsn.TC_COMMIT_ACK). Every transaction asks its
// TC for commit-ack markers (gsn.TcKeyCommitAck): a committed write's
// markers stay on the data nodes until the API says it heard of the
// commit. Should the TC fail first, its takeover finds them and reports
// the commit, and a transaction the takeover finds no trace of did not
// commit: the API answers 4010 (temporary) instead of 4011 (unknown).
// The acknowledgements wait for the Ndb's next send, batched per data
// node: they cost no round trip of their own.

// ackBatch holds the acknowledgements owed to one data node's TC.
type ackBatch struct {
	node signal.NodeID
	ids  []uint64
}

// noteAck records that the TC on node from wants an acknowledgement of
// the commit of trans, if the reply r asks for one.
func (n *Ndb) noteAck(r *reply) {
	var flags uint32
	switch r.num {
	case gsn.TCCOMMITCONF:
		flags = r.w[2]
	case gsn.TCKEY_FAILCONF:
		flags = r.w[3]
	default:
		return
	}
	if flags&gsn.CommitAckMarker == 0 {
		return
	}
	for i := range n.acks {
		if n.acks[i].node == r.from {
			n.acks[i].ids = append(n.acks[i].ids, r.trans)
			n.ackCount++
			return
		}
	}
	n.acks = append(n.acks, ackBatch{node: r.from, ids: append(make([]uint64, 0, 64), r.trans)})
	n.ackCount++
}

// sendAcks adds the owed acknowledgements to the frames being built.
func (n *Ndb) sendAcks() {
	if n.ackCount == 0 {
		return
	}
	for i := range n.acks {
		b := &n.acks[i]
		for off := 0; off < len(b.ids); off += gsn.MaxAcks {
			k := min(len(b.ids)-off, gsn.MaxAcks)
			g := &n.sig
			g.Reset()
			g.Number = gsn.TC_COMMIT_ACK
			g.Sender = signal.Address{Node: n.c.self, Block: gsn.BlockAPI, Instance: n.idx}
			g.Receiver = signal.Address{Node: b.node, Block: gsn.BlockTC}
			g.NumWords = uint8(1 + 2*k)
			g.Words[0] = uint32(k)
			for j, id := range b.ids[off : off+k] {
				g.Words[1+2*j], g.Words[2+2*j] = uint32(id), uint32(id>>32)
			}
			n.addSignal(b.node)
		}
		b.ids = b.ids[:0]
	}
	n.ackCount = 0
}

// addSignal appends n.sig, which no transaction waits on, to node's frame.
func (n *Ndb) addSignal(node signal.NodeID) {
	nw := n.writer(node)
	if err := nw.w.Add(&n.sig); err != nil && nw.w.Len() > 0 {
		n.flushNode(nw)
		nw = n.writer(node)
		_ = nw.w.Add(&n.sig) // cannot fail on an empty frame; were it lost, the TC's marker times out
	}
}
