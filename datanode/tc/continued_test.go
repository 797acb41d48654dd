package tc_test

import (
	"slices"
	"testing"

	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// TestContinuedUnknownTransaction: a TCKEYREQ marked TcKeyContinued for a
// transaction the TC has no record of (it restarted since the API's
// earlier execution) is refused with TCROLLBACKREP and reaches no LQH;
// without the flag the same request starts the transaction.
func TestContinuedUnknownTransaction(t *testing.T) {
	tests := []struct {
		name  string
		flags uint32
		want  signal.Number
	}{
		{"continued", gsn.TcKeyCommit | gsn.TcKeyContinued, gsn.TCROLLBACKREP},
		{"first", gsn.TcKeyCommit, gsn.LQHKEYREQ},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			h := partition.Hash(keyOf(1))
			r.deliver(0, gsn.TCKEYREQ, r.api, 7, []uint32{gsn.OpUpdate, tableID, 0, tt.flags, uint32(h), uint32(h >> 32)},
				rowOf(accountLayout(), 1, 5))
			sent := r.env.sent[:r.env.n]
			if len(sent) != 1 || sent[0] != tt.want {
				t.Fatalf("sent %v, want only %v", sent, tt.want)
			}
		})
	}
}

// TestShortConf: to an API that set TcKeyShortConf, a read-only commit is
// one TCKEYCONF carrying the commit (from LQH for a lone committed read
// on this node) and a committed single-replica write
// is one TCCOMMITCONF (no TCKEYCONF, no COMPLETE: its COMMIT completed
// it); without the flag the API gets every TCKEYCONF and TCCOMMITCONF.
// The updates are answered by a plain LQHKEYCONF, which TC takes as an LQH
// that prepared without committing (TestCommitNow has the rest).
func TestShortConf(t *testing.T) {
	tests := []struct {
		name  string
		op    uint32
		flags uint32
		steps []signal.Number // what LQH answers, in order
		want  []signal.Number // what TC sends after the request
	}{
		// LQH answers the API itself (TestDirectRead): TC forgot it.
		{"read, short", gsn.OpRead, gsn.TcKeyShortConf, []signal.Number{gsn.LQHKEYCONF}, nil},
		{"read, full", gsn.OpRead, 0, []signal.Number{gsn.LQHKEYCONF}, []signal.Number{gsn.TCKEYCONF, gsn.TCCOMMITCONF}},
		{"update, short", gsn.OpUpdate, gsn.TcKeyShortConf, []signal.Number{gsn.LQHKEYCONF, gsn.COMMITTED},
			[]signal.Number{gsn.COMMIT, gsn.TCCOMMITCONF}},
		{"update, full", gsn.OpUpdate, 0, []signal.Number{gsn.LQHKEYCONF, gsn.COMMITTED},
			[]signal.Number{gsn.TCKEYCONF, gsn.COMMIT, gsn.TCCOMMITCONF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			h := partition.Hash(keyOf(1))
			row := rowOf(accountLayout(), 1, 5)
			r.deliver(0, gsn.TCKEYREQ, r.api, 7, []uint32{tt.op, tableID, 0, gsn.TcKeyCommit | tt.flags, uint32(h), uint32(h >> 32)}, row)
			start := r.env.n
			for _, n := range tt.steps {
				var sect []byte
				if n == gsn.LQHKEYCONF && tt.op == gsn.OpRead {
					sect = row
				}
				r.deliver(0, n, r.lqh, 7, []uint32{0}, sect)
			}
			got := r.env.sent[start:r.env.n]
			if !slices.Equal(got, tt.want) {
				t.Fatalf("sent %v, want %v", got, tt.want)
			}
		})
	}
}
