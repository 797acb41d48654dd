package tc

import (
	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Distribution switches (DIST_SWITCHREQ) of a node restart. The
// president's RESTART block makes a starting node the tail of its
// fragments' chains, waits for every TC's DIST_SWITCHCONF, and then has
// each fragment's primary copy its rows to the node under shared locks. A
// write the primary prepared before the copy reaches a row holds the
// row's lock until it commits, so the copy takes the committed row; a
// write routed by the new chains reaches the node itself. But a write
// this TC routed by the old chains may not be prepared yet when the copy
// passes its row: its LQHKEYREQ still on the way, or parked at the
// primary behind another transaction's lock, where the copy's shared lock
// can overtake it. It would then commit on the old chain only, and the
// starting node would never see it. So the TC confirms a switch only once
// every write it sent before it was answered (prepared along its chain,
// or refused) or its transaction aborted. A write waits at most the
// deadlock time-out, and the copy has not begun, so nothing waits for the
// switch in turn.

// pendingSwitch is a DIST_SWITCHREQ not yet confirmed.
type pendingSwitch struct {
	to    signal.Address // the president's RESTART block
	words [3]uint32      // the switch
	upTo  uint64         // the last LQHKEYREQ sent before it (opSeq)
}

// answerSwitches confirms the switches whose earlier writes are all
// answered.
func (t *TC) answerSwitches(env block.Env) {
	oldest := t.opSeq + 1 // the oldest write still unanswered
	for _, x := range t.txs.all() {
		for i := range x.ops {
			if op := &x.ops[i]; op.state == opSent && gsn.IsWrite(op.op) && op.seq < oldest {
				oldest = op.seq
			}
		}
	}
	kept := t.switches[:0]
	for _, sw := range t.switches {
		if sw.upTo >= oldest {
			kept = append(kept, sw)
			continue
		}
		t.send(env, gsn.DIST_SWITCHCONF, sw.to, 0, []uint32{sw.words[0], sw.words[1], sw.words[2], uint32(t.cfg.Node)}, nil)
	}
	t.switches = kept
}
