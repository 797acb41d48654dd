package ndbapi

import (
	"testing"
	"time"
)

// TestHeartbeatDue: a data node that never answers goes quiet after
// regUnanswered heartbeats and is asked again every regRetryIdle; one
// that answered on this connection is sent every heartbeat however late
// its answers are.
func TestHeartbeatDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tick := 750 * time.Millisecond
	tests := []struct {
		name   string
		answer func(i int) bool // whether an answer came before heartbeat i
		sent   int              // of the first 60 heartbeats (45 s)
	}{
		{"never answers", func(int) bool { return false }, regUnanswered + 1},
		{"answers every time", func(int) bool { return true }, 60},
		{"answered once, then silent", func(i int) bool { return i == 1 }, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p hbPeer
			sent := 0
			for i := 0; i < 60; i++ {
				if p.due(tt.answer(i), t0.Add(time.Duration(i)*tick)) {
					sent++
				}
			}
			if sent != tt.sent {
				t.Fatalf("sent %d heartbeats, want %d", sent, tt.sent)
			}
		})
	}
}
