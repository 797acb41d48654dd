package gcp_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/gcp"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// TestNewMasterResumesRound crashes the master in the middle of a round:
// on a node's GCP_NODEFINISH (its GCP_COMMIT has reached some nodes, maybe
// not all, and the new master may have finished its part already) or on a
// GCP_PREPARECONF (some nodes prepared the next epoch). The survivors learn
// of it as QMGR would tell them (NODE_FAILREP naming node 2 president, then
// its TC's TAKE_OVERTCCONF), and the rounds must go on: every node moves to
// the same, later epochs, and no TC is told to switch without a hold.
func TestNewMasterResumesRound(t *testing.T) {
	for _, on := range []signal.Number{gsn.GCP_NODEFINISH, gsn.GCP_PREPARECONF} {
		t.Run(fmt.Sprintf("gsn=%d", on), func(t *testing.T) {
			for _, seed := range simFlags.List(100, 20, testing.Short()) {
				cfg := sim.DefaultConfig(seed)
				cfg.MinDelay, cfg.MaxDelay = 0, 20*time.Millisecond // COMMIT reaches the nodes at different times
				s := sim.New(cfg)
				all := []signal.NodeID{1, 2, 3, 4}
				gcps := map[signal.NodeID]*gcp.GCP{}
				var tcs []*instantTC
				for _, n := range all {
					s.AddNode(n, func(*sim.Disk) []sim.Placed {
						tc := &instantTC{stubTC{gci: 1}}
						tcs = append(tcs, tc)
						g := gcp.New(gcp.Config{Node: n, Nodes: all, Interval: 30 * time.Millisecond,
							TCs: []signal.Address{{Node: n, Block: gsn.BlockTC}}})
						gcps[n] = g
						return []sim.Placed{{ID: gsn.BlockDIH, Block: g}, {ID: gsn.BlockTC, Block: tc}}
					})
				}
				s.RunTicks(10 + int(seed%20))
				s.CrashWhen(1, func(sig *signal.Signal) bool { return sig.Number == on && sig.Sender.Node == 2 })
				for i := 0; i < 100 && s.Up(1); i++ {
					s.RunTicks(1)
				}
				if s.Up(1) {
					t.Fatalf("seed %d: the master never got signal %d", seed, on)
				}
				var w [19]uint32
				w[2] = 2 // the president
				failed, live := qmgr.SetOf(1), qmgr.SetOf(2, 3, 4)
				copy(w[3:11], failed[:])
				copy(w[11:19], live[:])
				rep := &signal.Signal{Number: gsn.NODE_FAILREP}
				rep.SetWords(w[:]...)
				for _, n := range all[1:] {
					if err := s.Inject(signal.Address{Node: n, Block: gsn.BlockDIH}, rep); err != nil {
						t.Fatal(err)
					}
				}
				done := &signal.Signal{Number: gsn.TAKE_OVERTCCONF}
				done.SetWords(failed[:]...)
				s.RunTicks(2)
				if err := s.Inject(signal.Address{Node: 2, Block: gsn.BlockDIH}, done); err != nil {
					t.Fatal(err)
				}
				before := gcps[2].Stats().Current
				s.RunTicks(300)
				cur := gcps[2].Stats().Current
				for _, tc := range tcs {
					if tc.violation != "" {
						t.Fatalf("seed %d: %s; %s", seed, tc.violation, sim.Reproduce(seed))
					}
				}
				if cur < before+10 {
					t.Fatalf("seed %d: the new master went from epoch %d to %d only (nodes at %d, %d, %d); %s", seed, before, cur,
						gcps[2].Stats().Current, gcps[3].Stats().Current, gcps[4].Stats().Current, sim.Reproduce(seed))
				}
				for _, n := range all[1:] {
					st := gcps[n].Stats()
					if d := int64(st.Current) - int64(cur); d < -1 || d > 1 || st.Completed+2 < cur {
						t.Fatalf("seed %d: node %d at epoch %d (complete %d), master at %d", seed, n, st.Current, st.Completed, cur)
					}
				}
			}
		})
	}
}

// instantTC is a stubTC that finishes an epoch at once, as a TC with no
// commit in flight: its node answers the master's GCP_COMMIT right away.
type instantTC struct{ stubTC }

func (t *instantTC) Handle(env block.Env, s *signal.Signal) {
	t.stubTC.Handle(env, s)
	if s.Number == gsn.GCP_NOMORETRANS && t.finishing > 0 {
		t.finishing = 1
		t.stubTC.Tick(env)
	}
}
