package tc_test

import (
	"slices"
	"testing"

	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// answer is one signal delivered to the TC in a scripted exchange.
type answer struct {
	n     signal.Number
	from  string // "lqh", "api" or "gcp"
	words []uint32
}

// TestCommitNow: a transaction whose only operation is a write with one
// replica on TC's own node carries the commit decision in its LQHKEYREQ
// (gsn.LqhCommitNow); every other transaction goes the long way, and an
// LQH that must wait for a lock, or refuses, makes TC take the decision
// back.
func TestCommitNow(t *testing.T) {
	committed := []uint32{0, gsn.LqhConfCommitted}
	waiting := []uint32{0, gsn.LqhConfWaiting}
	gcpHold := answer{gsn.GCP_TCPREPARE, "gcp", []uint32{2, 0}}
	tests := []struct {
		name     string
		replicas int
		before   []answer // delivered before the request
		flags    uint32   // TCKEYREQ's, with the write
		now      bool     // the LQHKEYREQ carries LqhCommitNow
		steps    []answer
		want     []signal.Number // what TC sends after the request
	}{
		{name: "committed at once", replicas: 1, flags: gsn.TcKeyCommit | gsn.TcKeyShortConf, now: true,
			steps: []answer{{gsn.LQHKEYCONF, "lqh", committed}},
			want:  []signal.Number{gsn.TCCOMMITCONF}},
		{name: "committed at once, full answers", replicas: 1, flags: gsn.TcKeyCommit, now: true,
			steps: []answer{{gsn.LQHKEYCONF, "lqh", committed}},
			want:  []signal.Number{gsn.TCKEYCONF, gsn.TCCOMMITCONF}},
		{name: "waits for a lock", replicas: 1, flags: gsn.TcKeyCommit | gsn.TcKeyShortConf, now: true,
			steps: []answer{{gsn.LQHKEYCONF, "lqh", waiting}, {gsn.LQHKEYCONF, "lqh", []uint32{0}}, {gsn.COMMITTED, "lqh", []uint32{0}}},
			want:  []signal.Number{gsn.COMMIT, gsn.TCCOMMITCONF}},
		{name: "refused", replicas: 1, flags: gsn.TcKeyCommit, now: true,
			steps: []answer{{gsn.LQHKEYREF, "lqh", []uint32{0, 626}}, {gsn.ABORTED, "lqh", []uint32{0}}},
			want:  []signal.Number{gsn.TCKEYREF, gsn.ABORT}},
		{name: "not the last operation", replicas: 1, flags: 0,
			steps: []answer{{gsn.LQHKEYCONF, "lqh", []uint32{0}}, {gsn.TC_COMMITREQ, "api", nil}, {gsn.COMMITTED, "lqh", []uint32{0}}},
			want:  []signal.Number{gsn.TCKEYCONF, gsn.COMMIT, gsn.TCCOMMITCONF}},
		{name: "commits held for an epoch switch", replicas: 1, before: []answer{gcpHold}, flags: gsn.TcKeyCommit | gsn.TcKeyShortConf,
			steps: []answer{{gsn.LQHKEYCONF, "lqh", []uint32{0}}, {gsn.GCP_NOMORETRANS, "gcp", []uint32{2, 0}}, {gsn.COMMITTED, "lqh", []uint32{0}}},
			want:  []signal.Number{gsn.COMMIT, gsn.GCP_TCFINISHED, gsn.TCCOMMITCONF}},
		{name: "two replicas", replicas: 2, flags: gsn.TcKeyCommit | gsn.TcKeyShortConf,
			steps: []answer{{gsn.LQHKEYCONF, "lqh", []uint32{0}}, {gsn.COMMITTED, "lqh", []uint32{0}}, {gsn.COMPLETED, "lqh", []uint32{0}}},
			want:  []signal.Number{gsn.COMMIT, gsn.TCCOMMITCONF, gsn.COMPLETE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigOf(t, tt.replicas)
			gcp := signal.Address{Node: 1, Block: gsn.BlockDIH}
			from := map[string]signal.Address{"lqh": r.lqh, "api": r.api, "gcp": gcp}
			for _, a := range tt.before {
				r.deliver(0, a.n, from[a.from], 0, a.words, nil)
			}
			h := partition.Hash(keyOf(1))
			start := r.env.n
			r.deliver(0, gsn.TCKEYREQ, r.api, 7, []uint32{gsn.OpUpdate, tableID, 0, tt.flags, uint32(h), uint32(h >> 32)}, rowOf(accountLayout(), 1, 5))
			req := &r.env.keyReq
			if r.env.n != start+1 || r.env.sent[start] != gsn.LQHKEYREQ {
				t.Fatalf("sent %v for the request, want one LQHKEYREQ", r.env.sent[start:r.env.n])
			}
			if now := req.Words[0]&(gsn.LqhCommitNow<<16) != 0; now != tt.now {
				t.Fatalf("LQHKEYREQ LqhCommitNow %v, want %v", now, tt.now)
			}
			if n := int(req.Words[7]); tt.now && (req.NumWords != uint8(12+n) || req.Words[10+n] != 1 || req.Words[11+n] != 0) {
				t.Fatalf("LQHKEYREQ words %v: want the GCI 1 after the TC's address", req.Words[:req.NumWords])
			}
			start = r.env.n
			for _, a := range tt.steps {
				trans := uint64(7)
				if a.from == "gcp" {
					trans = 0
				}
				r.deliver(0, a.n, from[a.from], trans, a.words, nil)
			}
			if got := r.env.sent[start:r.env.n]; !slices.Equal(got, tt.want) {
				t.Fatalf("sent %v, want %v", got, tt.want)
			}
			if n := r.x.Transactions(); n != 0 {
				t.Fatalf("%d transactions left open", n)
			}
			atPrepare := tt.now && len(tt.steps) == 1 && tt.steps[0].n == gsn.LQHKEYCONF
			if got := r.x.Counters.CommitsAtPrepare; got != map[bool]uint64{false: 0, true: 1}[atPrepare] {
				t.Fatalf("CommitsAtPrepare %d, want it counted only for a commit at the prepare", got)
			}
		})
	}
}

// TestCommitNowHoldsEpoch: a commit decision sent with the LQHKEYREQ
// counts in its epoch, so the GCP's switch does not finish the epoch
// until the LQH's answer says whether it committed.
func TestCommitNowHoldsEpoch(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer []uint32
	}{
		{"committed", []uint32{0, gsn.LqhConfCommitted}},
		{"waiting: decision taken back", []uint32{0, gsn.LqhConfWaiting}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			gcp := signal.Address{Node: 1, Block: gsn.BlockDIH}
			h := partition.Hash(keyOf(1))
			r.deliver(0, gsn.TCKEYREQ, r.api, 7, []uint32{gsn.OpUpdate, tableID, 0, gsn.TcKeyCommit | gsn.TcKeyShortConf, uint32(h), uint32(h >> 32)}, rowOf(accountLayout(), 1, 5))
			start := r.env.n
			r.deliver(0, gsn.GCP_TCPREPARE, gcp, 0, []uint32{2, 0}, nil)
			r.deliver(0, gsn.GCP_NOMORETRANS, gcp, 0, []uint32{2, 0}, nil)
			if got := r.env.sent[start:r.env.n]; slices.Contains(got, gsn.GCP_TCFINISHED) {
				t.Fatalf("sent %v: epoch 1 finished with a commit decision unanswered", got)
			}
			start = r.env.n
			r.deliver(0, gsn.LQHKEYCONF, r.lqh, 7, tt.answer, nil)
			if got := r.env.sent[start:r.env.n]; !slices.Contains(got, gsn.GCP_TCFINISHED) {
				t.Fatalf("sent %v after the answer, want GCP_TCFINISHED", got)
			}
		})
	}
}

// TestDirectRead: a lone committed read of a committing transaction from
// an API that takes short answers, on this node's replica, goes to LQH
// with the API's address (gsn.LqhAnswerAPI) and TC keeps nothing; any
// other read keeps its transaction at TC.
func TestDirectRead(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
		op       uint32
		flags    uint32
		direct   bool
	}{
		{"committed read, short answers", 1, gsn.OpRead, gsn.TcKeyCommit | gsn.TcKeyShortConf, true},
		{"full answers", 1, gsn.OpRead, gsn.TcKeyCommit, false},
		{"not the last operation", 1, gsn.OpRead, gsn.TcKeyShortConf, false},
		{"a locking read", 1, gsn.OpReadShared, gsn.TcKeyCommit | gsn.TcKeyShortConf, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigOf(t, tt.replicas)
			h := partition.Hash(keyOf(1))
			r.deliver(0, gsn.TCKEYREQ, r.api, 7, []uint32{tt.op, tableID, 3, tt.flags, uint32(h), uint32(h >> 32)}, keyOf(1))
			req := &r.env.keyReq
			if got := req.Words[0]&(gsn.LqhAnswerAPI<<16) != 0; got != tt.direct {
				t.Fatalf("LqhAnswerAPI %v, want %v", got, tt.direct)
			}
			open := 1
			if tt.direct {
				n := int(req.Words[7])
				if w := req.Words[10+n : req.NumWords]; !slices.Equal(w, []uint32{uint32(r.api.Node), uint32(r.api.Instance), 3, 1, 0}) {
					t.Fatalf("words after the TC's address %v, want the API node %d, instance, op id 3 and GCI 1", w, r.api.Node)
				}
				open = 0
			}
			if r.x.Transactions() != open || r.x.Counters.DirectReads != uint64(1-open) {
				t.Fatalf("%d transactions open, %d direct reads; want %d open", r.x.Transactions(), r.x.Counters.DirectReads, open)
			}
		})
	}
}
