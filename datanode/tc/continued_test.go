package tc_test

import (
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
