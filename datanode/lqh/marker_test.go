package lqh

import (
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

type recEnv struct{ sent []signal.Signal }

func (e *recEnv) Self() signal.Address { return signal.Address{Node: 1, Block: gsn.BlockLQH} }
func (e *recEnv) Now() time.Duration   { return 0 }
func (e *recEnv) Send(s *signal.Signal) error {
	e.sent = append(e.sent, *s)
	return nil
}

// TestCommitAckMarkers: a flagged COMMIT leaves a marker that is passed
// on with the COMMIT, outlives the operation (there is none here: a
// resent COMMIT), is reported to a takeover of its TC and dropped by
// REMOVE_MARKER_ORD.
func TestCommitAckMarkers(t *testing.T) {
	pool, err := mem.NewPool(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	l := New(1, dih.New(), pool)
	env := &recEnv{}
	deliver := func(n signal.Number, from signal.Address, trans uint64, w ...uint32) []signal.Signal {
		s := &signal.Signal{Number: n, Sender: from, Receiver: signal.Address{Node: 1, Block: gsn.BlockLQH}, TransID: trans}
		s.SetWords(w...)
		l.Handle(env, s)
		out := env.sent
		env.sent = nil
		return out
	}
	tc2 := signal.Address{Node: 2, Block: gsn.BlockTC}
	const gci = 77
	var trans, plain uint64 = 9<<48 | 3, 9<<48 | 4
	// Chain [2 1]: node 1 is the last replica, so it passes COMMIT back
	// to node 2 with the flag.
	sent := deliver(gsn.COMMIT, tc2, trans, 0, gci, 0, 1|gsn.CommitMarker, 2, 2, 1, 2, 0)
	if len(sent) != 1 || sent[0].Number != gsn.COMMIT || sent[0].Receiver.Node != 2 || sent[0].Words[3] != 0|gsn.CommitMarker {
		t.Fatalf("COMMIT passed on as %v, want to node 2 at position 0 with the marker flag", sent)
	}
	deliver(gsn.COMMIT, tc2, plain, 0, gci, 0, 1, 2, 2, 1, 2, 0)
	if l.Markers() != 1 {
		t.Fatalf("%d markers, want 1 (the unflagged COMMIT leaves none)", l.Markers())
	}
	report := func() (markers []uint64) {
		t.Helper()
		sent := deliver(gsn.LQH_TRANSREQ, signal.Address{Node: 3, Block: gsn.BlockTC}, 0, 2, 5)
		for i, s := range sent {
			last := s.Words[2]&gsn.TransLast != 0
			if last != (i == len(sent)-1) || s.Words[6] != 5 {
				t.Fatalf("LQH_TRANSREQ answered %v", sent)
			}
			if s.Words[2]&gsn.TransMarker != 0 {
				if s.Words[2]&gsn.TransCommitted == 0 || uint64(s.Words[3])|uint64(s.Words[4])<<32 != gci || s.Words[5] != 1 {
					t.Fatalf("marker reported as %v", s.Words[:s.NumWords])
				}
				markers = append(markers, s.TransID)
			}
		}
		return markers
	}
	if got := report(); len(got) != 1 || got[0] != trans {
		t.Fatalf("takeover of TC 2 reported markers %x, want [%x]", got, trans)
	}
	deliver(gsn.REMOVE_MARKER_ORD, tc2, 0, 1, uint32(trans), uint32(trans>>32))
	if l.Markers() != 0 || len(report()) != 0 {
		t.Fatalf("%d markers left after REMOVE_MARKER_ORD", l.Markers())
	}
	// Malformed removals change nothing and do not panic.
	deliver(gsn.COMMIT, tc2, trans, 0, gci, 0, 0|gsn.CommitMarker, 1, 1, 2, 0)
	deliver(gsn.REMOVE_MARKER_ORD, tc2, 0, 5, uint32(trans))
	deliver(gsn.REMOVE_MARKER_ORD, tc2, 0)
	if l.Markers() != 1 {
		t.Fatalf("%d markers after malformed removals, want 1", l.Markers())
	}
}
