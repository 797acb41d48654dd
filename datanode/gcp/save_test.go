package gcp_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/gcp"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// stubFS plays a node's FS block: a redo sync or sysfile write takes a few
// ticks, and every fail-th one fails. It checks the save protocol's
// promise: a sysfile records g only once every node's redo synced g.
type stubFS struct {
	delay, fail   int
	all           map[signal.NodeID]*stubFS
	synced        uint64
	written       uint64
	requests      int
	pending       *signal.Signal
	ticks         int
	violation     string
	syncs, writes int
}

func (f *stubFS) Handle(env block.Env, s *signal.Signal) {
	if f.pending != nil {
		f.violation = fmt.Sprintf("request %d while one is pending", s.Number)
	}
	c := *s
	f.pending, f.ticks = &c, f.delay
}

func (f *stubFS) Tick(env block.Env) {
	if f.pending == nil {
		return
	}
	if f.ticks > 0 {
		f.ticks--
		return
	}
	s := f.pending
	f.pending = nil
	gci := uint64(s.Words[0]) | uint64(s.Words[1])<<32
	f.requests++
	var code uint32
	if f.fail > 0 && f.requests%f.fail == 0 {
		code = 1 // an I/O error: not done
	}
	out := &signal.Signal{Receiver: s.Sender}
	switch s.Number {
	case gsn.FS_SYNCREDOREQ:
		out.Number = gsn.FS_SYNCREDOCONF
		if code == 0 {
			f.synced = max(f.synced, gci)
			f.syncs++
		}
	case gsn.FS_WRITESYSFILEREQ:
		out.Number = gsn.FS_WRITESYSFILECONF
		if code == 0 {
			for n, o := range f.all {
				if o.synced < gci {
					f.violation = fmt.Sprintf("sysfile records %d while node %d synced only %d", gci, n, o.synced)
				}
			}
			// The nodes the sysfile records as restoring gci (w2-w9) are
			// every node, each of which synced it.
			if s.NumWords < 10 {
				f.violation = fmt.Sprintf("sysfile write of %d names no nodes", gci)
			} else {
				for n := range f.all {
					if s.Words[2+n/32]&(1<<(n%32)) == 0 {
						f.violation = fmt.Sprintf("sysfile write of %d leaves out node %d", gci, n)
					}
				}
			}
			f.written = max(f.written, gci)
			f.writes++
		}
	}
	out.SetWords(s.Words[0], s.Words[1], code)
	env.Send(out)
}

// TestSaves runs epochs with saves on 1 to 3 simulated nodes whose file
// systems are slow and sometimes fail, with a link cut for a while: saves
// complete in order, a sysfile never records an epoch before every node's
// redo holds it, and every node learns the saved epoch.
func TestSaves(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprintf("nodes=%d", nodes), func(t *testing.T) {
			for _, seed := range simFlags.List(100, 20, testing.Short()) {
				s := sim.New(sim.DefaultConfig(seed))
				all := make([]signal.NodeID, nodes)
				for i := range all {
					all[i] = signal.NodeID(i + 1)
				}
				gcps := map[signal.NodeID]*gcp.GCP{}
				fss := map[signal.NodeID]*stubFS{}
				for _, n := range all {
					n := n
					s.AddNode(n, func(*sim.Disk) []sim.Placed {
						fs := &stubFS{delay: int(seed+uint64(n)) % 5, fail: 3 + int(seed%4), all: fss}
						fss[n] = fs
						g := gcp.New(gcp.Config{Node: n, Nodes: all, Interval: 20 * time.Millisecond,
							SaveInterval: 60 * time.Millisecond, FS: signal.Address{Node: n, Block: gsn.BlockFS},
							TCs: []signal.Address{{Node: n, Block: gsn.BlockTC}}})
						gcps[n] = g
						return []sim.Placed{{ID: gsn.BlockDIH, Block: g}, {ID: gsn.BlockFS, Block: fs},
							{ID: gsn.BlockTC, Block: &stubTC{gci: 1, busy: int(seed % 3)}}}
					})
				}
				s.RunTicks(150)
				if nodes > 1 {
					s.Cut(1, signal.NodeID(nodes))
					s.RunTicks(40)
					s.Heal()
				}
				s.RunTicks(250)
				master := gcps[1].Stats()
				for n, fs := range fss {
					if fs.violation != "" {
						t.Fatalf("seed %d: node %d: %s; %s", seed, n, fs.violation, sim.Reproduce(seed))
					}
					if fs.written < master.Saved || fs.synced < master.Saved {
						t.Fatalf("seed %d: node %d synced %d, wrote %d, but %d is saved", seed, n, fs.synced, fs.written, master.Saved)
					}
				}
				if master.Saves < 5 || master.Saved == 0 || master.Saved > master.Completed {
					t.Fatalf("seed %d: %d saves, saved %d, completed %d; %s", seed, master.Saves, master.Saved, master.Completed, sim.Reproduce(seed))
				}
				for n, g := range gcps {
					if st := g.Stats(); st.Saved+20 < master.Saved || st.Saved > master.Saved {
						t.Fatalf("seed %d: node %d knows saved %d, master %d", seed, n, st.Saved, master.Saved)
					}
				}
			}
		})
	}
}
