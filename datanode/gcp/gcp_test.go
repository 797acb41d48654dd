package gcp_test

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/gcp"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

var simFlags = sim.RegisterFlags(flag.CommandLine)

// stubTC plays a TC's part in the protocol: it acknowledges a hold at once
// and reports an epoch finished only after `busy` ticks, as if commits of
// the old epoch were still running. It records what it saw so the test can
// check the order of events.
type stubTC struct {
	busy      int
	holding   bool
	gci       uint64
	finishing int // ticks left before GCP_TCFINISHED
	gcp       signal.Address
	violation string
}

func (t *stubTC) Handle(env block.Env, s *signal.Signal) {
	gci := uint64(s.Words[0]) | uint64(s.Words[1])<<32
	out := &signal.Signal{Receiver: s.Sender}
	switch s.Number {
	case gsn.GCP_TCPREPARE:
		if t.holding || t.finishing > 0 || gci != t.gci+1 {
			t.violation = fmt.Sprintf("prepare of %d while holding=%v finishing=%d at epoch %d", gci, t.holding, t.finishing, t.gci)
		}
		t.holding = true
		out.Number = gsn.GCP_TCPREPARECONF
	case gsn.GCP_NOMORETRANS:
		if !t.holding || gci != t.gci+1 {
			t.violation = fmt.Sprintf("switch to %d without a hold (epoch %d)", gci, t.gci)
		}
		t.holding, t.gci, t.gcp = false, gci, s.Sender
		t.finishing = t.busy + 1
		return
	default:
		return
	}
	out.SetWords(s.Words[0], s.Words[1])
	env.Send(out)
}

func (t *stubTC) Tick(env block.Env) {
	if t.finishing == 0 {
		return
	}
	if t.finishing--; t.finishing == 0 {
		prev := t.gci - 1
		out := &signal.Signal{Number: gsn.GCP_TCFINISHED, Receiver: t.gcp}
		out.SetWords(uint32(prev), uint32(prev>>32))
		env.Send(out)
	}
}

// TestRounds runs the protocol on simulated clusters of 1 to 4 nodes, two
// TC instances each, some slow to finish an epoch. Every node moves through
// the same epochs in order, no TC is asked to switch without holding first,
// and the master never starts a round before the last one completed.
func TestRounds(t *testing.T) {
	for _, nodes := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("nodes=%d", nodes), func(t *testing.T) {
			for _, seed := range simFlags.List(100, 20, testing.Short()) {
				s := sim.New(sim.DefaultConfig(seed))
				all := make([]signal.NodeID, nodes)
				for i := range all {
					all[i] = signal.NodeID(i + 1)
				}
				gcps := map[signal.NodeID]*gcp.GCP{}
				var tcs []*stubTC
				for _, n := range all {
					n := n
					s.AddNode(n, func(*sim.Disk) []sim.Placed {
						a, b := &stubTC{busy: int(seed+uint64(n)) % 4, gci: 1}, &stubTC{gci: 1}
						tcs = append(tcs, a, b)
						g := gcp.New(gcp.Config{Node: n, Nodes: all, Interval: 30 * time.Millisecond,
							TCs: []signal.Address{{Node: n, Block: gsn.BlockTC}, {Node: n, Block: gsn.BlockTC, Instance: 1}}})
						gcps[n] = g
						return []sim.Placed{{ID: gsn.BlockDIH, Block: g}, {ID: gsn.BlockTC, Block: a}, {ID: gsn.BlockTC, Instance: 1, Block: b}}
					})
				}
				s.RunTicks(300)
				for _, tc := range tcs {
					if tc.violation != "" {
						t.Fatalf("seed %d: %s; %s", seed, tc.violation, sim.Reproduce(seed))
					}
				}
				master := gcps[1].Stats()
				if master.Current < 20 || master.MaxRound <= 0 {
					t.Fatalf("seed %d: only %d epochs in 3 s (longest round %v)", seed, master.Current, master.MaxRound)
				}
				for n, g := range gcps {
					st := g.Stats()
					// Nodes may be one round apart at the moment the run stops.
					if st.Current+1 < master.Current || st.Current > master.Current+1 || st.Completed >= st.Current {
						t.Fatalf("seed %d: node %d at epoch %d (complete %d), master at %d", seed, n, st.Current, st.Completed, master.Current)
					}
				}
			}
		})
	}
}

// TestRoundsSurviveLostSignals cuts a node off for a while (as a node still
// connecting would be): the master's round stalls, and resumes by resending
// once the node is reachable, with every node in the same epoch.
func TestRoundsSurviveLostSignals(t *testing.T) {
	for _, seed := range simFlags.List(50, 10, testing.Short()) {
		s := sim.New(sim.DefaultConfig(seed))
		all := []signal.NodeID{1, 2, 3}
		gcps := map[signal.NodeID]*gcp.GCP{}
		for _, n := range all {
			n := n
			s.AddNode(n, func(*sim.Disk) []sim.Placed {
				g := gcp.New(gcp.Config{Node: n, Nodes: all, Interval: 30 * time.Millisecond,
					TCs: []signal.Address{{Node: n, Block: gsn.BlockTC}}})
				gcps[n] = g
				return []sim.Placed{{ID: gsn.BlockDIH, Block: g}, {ID: gsn.BlockTC, Block: &stubTC{gci: 1, busy: int(seed % 3)}}}
			})
		}
		s.RunTicks(20 + int(seed%7))
		s.Cut(1, 3)
		s.RunTicks(50)
		stalled := gcps[1].Stats().Current
		s.RunTicks(20)
		if gcps[1].Stats().Current > stalled+1 {
			t.Fatalf("seed %d: epochs went on (%d -> %d) without node 3", seed, stalled, gcps[1].Stats().Current)
		}
		s.Heal()
		s.RunTicks(100)
		cur := gcps[1].Stats().Current
		if cur < stalled+10 {
			t.Fatalf("seed %d: only %d epochs after the cut healed (from %d); %s", seed, cur-stalled, stalled, sim.Reproduce(seed))
		}
		for n, g := range gcps {
			if d := int64(g.Stats().Current) - int64(cur); d < -1 || d > 1 {
				t.Fatalf("seed %d: node %d at epoch %d, master at %d", seed, n, g.Stats().Current, cur)
			}
		}
	}
}
