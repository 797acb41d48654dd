package tc_test

import (
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// recEnv records what a block sends.
type recEnv struct {
	sent []signal.Signal
}

func (e *recEnv) Self() signal.Address { return signal.Address{Node: 1, Block: gsn.BlockTC} }
func (e *recEnv) Now() time.Duration   { return 0 }
func (e *recEnv) Send(s *signal.Signal) error {
	e.sent = append(e.sent, *s)
	return nil
}

// take returns the numbers sent since the last call.
func (e *recEnv) take() []signal.Number {
	var ns []signal.Number
	for _, s := range e.sent {
		ns = append(ns, s.Number)
	}
	e.sent = e.sent[:0]
	return ns
}

func gciWords(g uint64) []uint32 { return []uint32{uint32(g), uint32(g >> 32)} }

// TestCommitDecisionHeldAcrossEpochSwitch drives one TC through the GCP
// hand-shake: a transaction ready to commit while commits are held waits
// for the switch and commits in the new epoch; the old epoch is reported
// finished at once when none of its commits is running, and only after the
// last COMMITTED when one is.
func TestCommitDecisionHeldAcrossEpochSwitch(t *testing.T) {
	l := accountLayout()
	groups, _ := partition.FormNodeGroups([]partition.NodeID{1}, 1)
	d, err := dih.New().WithTable(l, groups, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := tc.New(tc.Config{Node: 1, Distribution: func() *dih.Distribution { return d }})
	env := &recEnv{}
	api := signal.Address{Node: 9, Block: gsn.BlockAPI}
	dihAddr := signal.Address{Node: 1, Block: gsn.BlockDIH}
	deliver := func(n signal.Number, from signal.Address, trans uint64, words []uint32, sect []byte) {
		s := &signal.Signal{Number: n, Sender: from, Receiver: signal.Address{Node: 1, Block: gsn.BlockTC}, TransID: trans}
		s.SetWords(words...)
		if sect != nil {
			s.AddSection(sect)
		}
		x.Handle(env, s)
	}
	update := func(trans uint64, id int64) {
		h := partition.Hash(keyOf(id))
		deliver(gsn.TCKEYREQ, api, trans, []uint32{gsn.OpUpdate, tableID, 0, gsn.TcKeyCommit, uint32(h), uint32(h >> 32)}, rowOf(l, id, 5))
	}
	expect := func(step string, want ...signal.Number) {
		t.Helper()
		got := env.take()
		if len(got) != len(want) {
			t.Fatalf("%s: sent %v, want %v", step, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: sent %v, want %v", step, got, want)
			}
		}
	}
	lqh := signal.Address{Node: 1, Block: gsn.BlockLQH}

	update(100, 1)
	expect("update", gsn.LQHKEYREQ)
	deliver(gsn.GCP_TCPREPARE, dihAddr, 0, gciWords(2), nil)
	expect("prepare", gsn.GCP_TCPREPARECONF)
	deliver(gsn.LQHKEYCONF, lqh, 100, []uint32{0}, nil)
	expect("prepared while held: no commit decision yet", gsn.TCKEYCONF)
	deliver(gsn.GCP_NOMORETRANS, dihAddr, 0, gciWords(2), nil)
	got := env.take()
	if len(got) != 2 || got[0] != gsn.COMMIT || got[1] != gsn.GCP_TCFINISHED {
		t.Fatalf("switch: sent %v, want [COMMIT GCP_TCFINISHED]", got)
	}
	if x.GCI() != 2 {
		t.Fatalf("GCI %d after the switch, want 2", x.GCI())
	}

	// The transaction of epoch 2 is still committing at the next switch.
	deliver(gsn.GCP_TCPREPARE, dihAddr, 0, gciWords(3), nil)
	expect("prepare 3", gsn.GCP_TCPREPARECONF)
	deliver(gsn.GCP_NOMORETRANS, dihAddr, 0, gciWords(3), nil)
	expect("switch to 3 with a commit of 2 running")
	deliver(gsn.COMMITTED, lqh, 100, []uint32{0}, nil)
	sent := append([]signal.Signal(nil), env.sent...)
	got = env.take()
	// One replica, one operation: its COMMIT completed it too
	// (gsn.CommitComplete), so no COMPLETE follows.
	if len(got) != 2 || got[0] != gsn.GCP_TCFINISHED || got[1] != gsn.TCCOMMITCONF {
		t.Fatalf("committed: sent %v, want [GCP_TCFINISHED TCCOMMITCONF]", got)
	}
	if fin := sent[0].Words[0]; fin != 2 {
		t.Fatalf("finished epoch %d, want 2", fin)
	}
	if gci := sent[1].Words[0]; gci != 2 {
		t.Fatalf("committed in epoch %d, want 2 (the epoch after the held decision)", gci)
	}
}
