package tc_test

import (
	"testing"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// markerTC is a TC on node 1 of a two-node, two-replica cluster, driven
// signal by signal.
type markerTC struct {
	t   *testing.T
	x   *tc.TC
	env *recEnv
	l   signal.Address // an LQH address template
}

func newMarkerTC(t *testing.T) *markerTC {
	groups, _ := partition.FormNodeGroups([]partition.NodeID{1, 2}, 2)
	d, err := dih.New().WithTable(accountLayout(), groups, 2)
	if err != nil {
		t.Fatal(err)
	}
	return &markerTC{t: t, x: tc.New(tc.Config{Node: 1, Distribution: func() *dih.Distribution { return d }, APINodes: []signal.NodeID{9}}),
		env: &recEnv{}}
}

func (m *markerTC) deliver(n signal.Number, from signal.Address, trans uint64, words []uint32, sect []byte) []signal.Signal {
	s := &signal.Signal{Number: n, Sender: from, Receiver: signal.Address{Node: 1, Block: gsn.BlockTC}, TransID: trans}
	s.SetWords(words...)
	if sect != nil {
		s.AddSection(sect)
	}
	m.x.Handle(m.env, s)
	out := append([]signal.Signal(nil), m.env.sent...)
	m.env.sent = m.env.sent[:0]
	return out
}

func find(sent []signal.Signal, n signal.Number) []signal.Signal {
	var out []signal.Signal
	for _, s := range sent {
		if s.Number == n {
			out = append(out, s)
		}
	}
	return out
}

var apiAddr = signal.Address{Node: 9, Block: gsn.BlockAPI}

// commitOne runs one transaction of op with flags through prepare, commit
// and complete; it returns the COMMIT and TCCOMMITCONF sent.
func (m *markerTC) commitOne(trans uint64, op uint32, flags uint32) (commit, conf signal.Signal) {
	m.t.Helper()
	h := partition.Hash(keyOf(7))
	sect := rowOf(accountLayout(), 7, 1)
	if op == gsn.OpRead {
		sect = keyOf(7)
	}
	sent := m.deliver(gsn.TCKEYREQ, apiAddr, trans, []uint32{op, tableID, 0, gsn.TcKeyCommit | flags, uint32(h), uint32(h >> 32)}, sect)
	req := find(sent, gsn.LQHKEYREQ)
	if len(req) != 1 {
		m.t.Fatalf("TCKEYREQ: sent %v, want one LQHKEYREQ", sent)
	}
	lqh := signal.Address{Node: req[0].Receiver.Node, Block: gsn.BlockLQH}
	sent = m.deliver(gsn.LQHKEYCONF, lqh, trans, []uint32{0}, nil)
	if op == gsn.OpRead {
		confs := find(sent, gsn.TCCOMMITCONF)
		if len(confs) != 1 {
			m.t.Fatalf("read: sent %v, want TCCOMMITCONF", sent)
		}
		return signal.Signal{}, confs[0]
	}
	commits := find(sent, gsn.COMMIT)
	if len(commits) != 1 {
		m.t.Fatalf("LQHKEYCONF: sent %v, want one COMMIT", sent)
	}
	sent = m.deliver(gsn.COMMITTED, lqh, trans, []uint32{0}, nil)
	confs := find(sent, gsn.TCCOMMITCONF)
	if len(confs) != 1 || len(find(sent, gsn.COMPLETE)) != 1 {
		m.t.Fatalf("COMMITTED: sent %v, want TCCOMMITCONF and COMPLETE", sent)
	}
	m.deliver(gsn.COMPLETED, lqh, trans, []uint32{0}, nil)
	if m.x.Transactions() != 0 {
		m.t.Fatalf("%d transactions open after the complete phase", m.x.Transactions())
	}
	return commits[0], confs[0]
}

// TestCommitAckMarkers: a write whose API asked for commit-ack markers
// commits with COMMIT flagged to leave markers on its chain, the API is
// told to acknowledge, and its TC_COMMIT_ACK makes TC remove the markers
// from every node of the chain. Without the request, or for a read, no
// marker is kept.
func TestCommitAckMarkers(t *testing.T) {
	for _, tt := range []struct {
		name   string
		op     uint32
		flags  uint32
		marker bool
	}{
		{"update with markers", gsn.OpUpdate, gsn.TcKeyCommitAck, true},
		{"update without", gsn.OpUpdate, 0, false},
		{"committed read", gsn.OpRead, gsn.TcKeyCommitAck, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newMarkerTC(t)
			var trans uint64 = 9<<48 | 1
			commit, conf := m.commitOne(trans, tt.op, tt.flags)
			if got := conf.NumWords >= 3 && conf.Words[2]&gsn.CommitAckMarker != 0; got != tt.marker {
				t.Fatalf("TCCOMMITCONF asks for an acknowledgement: %v, want %v (words %v)", got, tt.marker, conf.Words[:conf.NumWords])
			}
			if tt.op != gsn.OpRead {
				if got := commit.Words[3]&gsn.CommitMarker != 0; got != tt.marker {
					t.Fatalf("COMMIT flagged: %v, want %v", got, tt.marker)
				}
			}
			want := 0
			if tt.marker {
				want = 1
			}
			if m.x.Markers() != want {
				t.Fatalf("TC keeps %d markers, want %d", m.x.Markers(), want)
			}
			sent := m.deliver(gsn.TC_COMMIT_ACK, apiAddr, 0, []uint32{1, uint32(trans), uint32(trans >> 32)}, nil)
			rm := find(sent, gsn.REMOVE_MARKER_ORD)
			if !tt.marker {
				if len(rm) != 0 {
					t.Fatalf("acknowledging an unmarked commit sent %v", sent)
				}
				return
			}
			nodes := map[signal.NodeID]bool{}
			for _, s := range rm {
				if s.Words[0] != 1 || uint64(s.Words[1])|uint64(s.Words[2])<<32 != trans {
					t.Fatalf("REMOVE_MARKER_ORD words %v, want the one transaction", s.Words[:s.NumWords])
				}
				nodes[s.Receiver.Node] = true
			}
			if len(nodes) != 2 || !nodes[1] || !nodes[2] {
				t.Fatalf("markers removed on %v, want nodes 1 and 2 (the chain)", nodes)
			}
			if m.x.Markers() != 0 {
				t.Fatalf("TC keeps %d markers after the acknowledgement", m.x.Markers())
			}
			if sent := m.deliver(gsn.TC_COMMIT_ACK, apiAddr, 0, []uint32{1, uint32(trans), uint32(trans >> 32)}, nil); len(sent) != 0 {
				t.Fatalf("a second acknowledgement sent %v", sent)
			}
		})
	}
}

// TestTakeoverReportsMarkedCommit: the president's TC takes over failed
// node 2, whose transaction left only commit-ack markers (its records
// were completed, its TCCOMMITCONF lost with the node). The takeover tells
// the API it committed, keeps the marker until the API acknowledges, and
// is done at once; a transaction reported with no marker and no committed
// record is aborted.
func TestTakeoverReportsMarkedCommit(t *testing.T) {
	m := newMarkerTC(t)
	qm := signal.Address{Node: 1, Block: gsn.BlockQMGR}
	w := make([]uint32, 19)
	w[0], w[2] = 1, 1 // failure 1, president node 1
	failed, live := qmgr.SetOf(2), qmgr.SetOf(1)
	copy(w[3:11], failed[:])
	copy(w[11:19], live[:])
	sent := m.deliver(gsn.NODE_FAILREP, qm, 0, w, nil)
	reqs := find(sent, gsn.LQH_TRANSREQ)
	if len(reqs) != 1 || reqs[0].Receiver.Node != 1 || reqs[0].Words[0] != 2 {
		t.Fatalf("NODE_FAILREP: sent %v, want LQH_TRANSREQ for TC 2 to node 1", sent)
	}
	run := reqs[0].Words[1]
	lqh1 := signal.Address{Node: 1, Block: gsn.BlockLQH}
	var committed, aborted uint64 = 9<<48 | 5, 9<<48 | 6
	m.deliver(gsn.LQH_TRANSCONF, lqh1, committed, []uint32{2, 0, gsn.TransCommitted | gsn.TransMarker, 42, 0, 1, run}, nil)
	m.deliver(gsn.LQH_TRANSCONF, lqh1, aborted, []uint32{2, 3, 0, 0, 0, 1, run}, nil)
	sent = m.deliver(gsn.LQH_TRANSCONF, lqh1, 0, []uint32{2, 0, gsn.TransLast, 0, 0, 1, run}, nil)
	fc := find(sent, gsn.TCKEY_FAILCONF)
	if len(fc) != 1 || fc[0].TransID != committed || fc[0].Receiver.Node != 9 || fc[0].Words[1] != 42 || fc[0].Words[3]&gsn.CommitAckMarker == 0 {
		t.Fatalf("takeover: sent %v, want TCKEY_FAILCONF of %#x at GCI 42 asking for an acknowledgement", sent, uint64(committed))
	}
	if fr := find(sent, gsn.TCKEY_FAILREF); len(fr) != 1 || fr[0].TransID != aborted {
		t.Fatalf("takeover: sent %v, want TCKEY_FAILREF of %#x", sent, uint64(aborted))
	}
	abort := find(sent, gsn.ABORT)
	if len(abort) != 1 {
		t.Fatalf("takeover: sent %v, want one ABORT", sent)
	}
	if len(find(sent, gsn.TC_TAKEOVERREP)) != 0 {
		t.Fatal("takeover reported done before its abort was answered")
	}
	sent = m.deliver(gsn.ABORTED, lqh1, aborted, []uint32{3}, nil)
	rep := find(sent, gsn.TC_TAKEOVERREP)
	if len(rep) != 1 || len(find(sent, gsn.TAKE_OVERTCCONF)) != 1 {
		t.Fatalf("ABORTED: sent %v, want TAKE_OVERTCCONF and TC_TAKEOVERREP", sent)
	}
	// The report counts the outcomes the API was sent, with the run they
	// carried, so that the API notices one lost.
	if rep[0].NumWords < 10 || rep[0].Words[8] != run || rep[0].Words[9] != 2 || fc[0].Words[4] != run {
		t.Fatalf("TC_TAKEOVERREP words %v, TCKEY_FAILCONF %v: want run %d and 2 outcomes", rep[0].Words[:rep[0].NumWords], fc[0].Words[:fc[0].NumWords], run)
	}
	if m.x.Markers() != 1 {
		t.Fatalf("takeover TC keeps %d markers, want 1", m.x.Markers())
	}
	sent = m.deliver(gsn.TC_COMMIT_ACK, apiAddr, 0, []uint32{1, uint32(committed), uint32(committed >> 32)}, nil)
	if rm := find(sent, gsn.REMOVE_MARKER_ORD); len(rm) != 1 || rm[0].Receiver.Node != 1 {
		t.Fatalf("acknowledgement: sent %v, want REMOVE_MARKER_ORD to node 1", sent)
	}
}
