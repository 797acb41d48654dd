package ndbapi

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// TestTakeoverReportCounted: the API trusts a takeover report (the
// transactions it gives no outcome for did not commit) only when every
// outcome the report counts arrived; a lost TCKEY_FAILCONF must not turn
// a commit into "not found".
func TestTakeoverReportCounted(t *testing.T) {
	const self, tcNode, failed signal.NodeID = 50, 3, 2
	for _, tt := range []struct {
		name     string
		outcomes []signal.Number // outcomes of run 7 that arrive
		sent     uint32          // what the report says were sent
		trusted  bool
	}{
		{"all arrived", []signal.Number{gsn.TCKEY_FAILCONF, gsn.TCKEY_FAILREF}, 2, true},
		{"none to arrive", nil, 0, true},
		{"one lost", []signal.Number{gsn.TCKEY_FAILREF}, 2, false},
		{"all lost", nil, 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cluster{self: self, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			empty := []*Ndb{}
			c.ndbs.Store(&empty)
			deliver := func(s *signal.Signal) {
				t.Helper()
				s.Sender = signal.Address{Node: tcNode, Block: gsn.BlockTC}
				s.Receiver = signal.Address{Node: self, Block: gsn.BlockAPI}
				var w signal.FrameWriter
				w.Reset()
				if err := w.Add(s); err != nil {
					t.Fatal(err)
				}
				var f signal.Frame
				if err := signal.ParseFrame(w.Bytes(), &f); err != nil {
					t.Fatal(err)
				}
				c.Frame(tcNode, &f)
			}
			// An outcome of an older run counts for nothing.
			old := &signal.Signal{Number: gsn.TCKEY_FAILREF, TransID: uint64(self)<<48 | 9}
			old.SetWords(uint32(failed), 6)
			deliver(old)
			for i, n := range tt.outcomes {
				s := &signal.Signal{Number: n, TransID: uint64(self)<<48 | uint64(i+1)}
				if n == gsn.TCKEY_FAILCONF {
					s.SetWords(uint32(failed), 5, 0, gsn.CommitAckMarker, 7)
				} else {
					s.SetWords(uint32(failed), 7)
				}
				deliver(s)
			}
			rep := &signal.Signal{Number: gsn.TC_TAKEOVERREP, TransID: uint64(self) << 48}
			w := make([]uint32, 10)
			w[failed/32] |= 1 << (failed % 32)
			w[8], w[9] = 7, tt.sent
			rep.SetWords(w...)
			deliver(rep)
			if got := c.takenOver[failed].Load() != 0; got != tt.trusted {
				t.Fatalf("report trusted: %v, want %v", got, tt.trusted)
			}
		})
	}
}

// TestResetForgetsTCDown: a transaction slot reused after its earlier
// transaction waited for a takeover starts with no wait behind it (the
// old wait made the next TC failure end at once with 4011).
func TestResetForgetsTCDown(t *testing.T) {
	tx := &Transaction{}
	tx.tcDownAt, tx.sentAt = time.Now().Add(-time.Minute), time.Now().Add(-time.Minute)
	tx.reset(1, 2)
	if !tx.tcDownAt.IsZero() || !tx.sentAt.IsZero() {
		t.Fatalf("after reset: tcDownAt %v, sentAt %v", tx.tcDownAt, tx.sentAt)
	}
}
