package gcp_test

import (
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/gcp"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// waiter plays an API node: at its first tick it asks node 2 to wait for
// each GCI of asks (request id = index + 1) and records the answers.
type waiter struct {
	asks []uint64
	sent bool
	got  map[uint32][2]uint64 // id -> saved GCI, error code
}

func (w *waiter) Handle(env block.Env, s *signal.Signal) {
	if s.Number == gsn.GCP_WAITSAVEDCONF {
		w.got[s.Words[2]] = [2]uint64{uint64(s.Words[0]) | uint64(s.Words[1])<<32, uint64(s.Words[3])}
	}
}

func (w *waiter) Tick(env block.Env) {
	if w.sent {
		return
	}
	w.sent = true
	for i, g := range w.asks {
		out := &signal.Signal{Number: gsn.GCP_WAITSAVEDREQ, Receiver: signal.Address{Node: 2, Block: gsn.BlockDIH}}
		out.SetWords(uint32(g), uint32(g>>32), uint32(i+1))
		env.Send(out)
	}
}

// TestWaitSaved: a wait for an epoch is answered once a save covers it,
// not before; one for an epoch far ahead stays unanswered; a diskless
// cluster refuses at once.
func TestWaitSaved(t *testing.T) {
	for _, tt := range []struct {
		name     string
		save     time.Duration
		wantCode int
	}{{"logged", 60 * time.Millisecond, 0}, {"diskless", 0, ndberr.ErrDiskless.Code}} {
		t.Run(tt.name, func(t *testing.T) {
			s := sim.New(sim.DefaultConfig(1))
			all := []signal.NodeID{1, 2}
			gcps := map[signal.NodeID]*gcp.GCP{}
			for _, n := range all {
				s.AddNode(n, func(*sim.Disk) []sim.Placed {
					fs := &stubFS{all: map[signal.NodeID]*stubFS{}}
					g := gcp.New(gcp.Config{Node: n, Nodes: all, Interval: 20 * time.Millisecond, SaveInterval: tt.save,
						FS: signal.Address{Node: n, Block: gsn.BlockFS}, TCs: []signal.Address{{Node: n, Block: gsn.BlockTC}}})
					gcps[n] = g
					return []sim.Placed{{ID: gsn.BlockDIH, Block: g}, {ID: gsn.BlockFS, Block: fs},
						{ID: gsn.BlockTC, Block: &stubTC{gci: 1}}}
				})
			}
			w := &waiter{asks: []uint64{3, 1 << 40}, got: map[uint32][2]uint64{}}
			s.AddNode(50, func(*sim.Disk) []sim.Placed { return []sim.Placed{{ID: gsn.BlockAPI, Block: w}} })
			s.RunTicks(3)
			if _, early := w.got[1]; early && tt.wantCode == 0 {
				t.Fatalf("epoch 3 reported saved before any save: %v", w.got)
			}
			s.RunTicks(300)
			got, ok := w.got[1]
			switch {
			case !ok:
				t.Fatalf("no answer to the wait for epoch 3 (node 2 saved %d)", gcps[2].Stats().Saved)
			case int(got[1]) != tt.wantCode:
				t.Fatalf("wait for epoch 3: code %d, want %d", got[1], tt.wantCode)
			case tt.wantCode == 0 && got[0] < 3:
				t.Fatalf("wait for epoch 3 answered with saved %d", got[0])
			}
			if far, ok := w.got[2]; ok && tt.wantCode == 0 {
				t.Fatalf("wait for epoch 2^40 answered: %v", far)
			}
			// Asked again now, an epoch already saved is answered at once.
			if tt.wantCode == 0 {
				w.asks, w.sent = []uint64{2}, false
				delete(w.got, 1)
				s.RunTicks(2)
				if got := w.got[1]; got[1] != 0 || got[0] < 3 {
					t.Fatalf("wait for saved epoch 2: %v", got)
				}
			}
		})
	}
}
