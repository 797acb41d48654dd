package sim_test

import (
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

// pinger sends burst signals with a section to node to at every tick and
// counts what it receives.
type pinger struct {
	to    signal.NodeID
	burst int
	got   int
	out   signal.Signal
	row   [64]byte
}

func (p *pinger) Handle(env block.Env, s *signal.Signal) { p.got++ }

func (p *pinger) Tick(env block.Env) {
	for range p.burst {
		p.out.Reset()
		p.out.Number = 1
		p.out.Receiver = signal.Address{Node: p.to, Block: recBlock}
		p.out.SetWords(1, 2, 3, 4)
		p.out.AddSection(p.row[:])
		if err := env.Send(&p.out); err != nil {
			panic(err)
		}
	}
}

func pingPong(burst int) (*sim.Sim, *pinger) {
	s := sim.New(sim.DefaultConfig(1))
	a := &pinger{to: 2, burst: burst}
	b := &pinger{to: 1, burst: burst}
	s.AddNode(1, func(*sim.Disk) []sim.Placed { return []sim.Placed{{ID: recBlock, Block: a}} })
	s.AddNode(2, func(*sim.Disk) []sim.Placed { return []sim.Placed{{ID: recBlock, Block: b}} })
	s.RunTicks(10) // grow the queue and the buffer pool
	return s, a
}

// TestSignalPathAllocatesNothing: once warm, sending, queueing, tracing
// and delivering signals allocates nothing.
func TestSignalPathAllocatesNothing(t *testing.T) {
	s, a := pingPong(32)
	before := a.got
	if n := testing.AllocsPerRun(20, func() { s.RunTicks(1) }); n != 0 {
		t.Fatalf("%v allocations per tick of 64 signals", n)
	}
	if a.got == before {
		t.Fatal("nothing was delivered")
	}
}

// BenchmarkSendDeliver is the simulator's cost per signal: Send (encode,
// queue) plus delivery (decode, trace hash, Handle). ns/op is per signal.
func BenchmarkSendDeliver(b *testing.B) {
	const burst = 64
	s, _ := pingPong(burst)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n%(2*burst) == 0 {
			s.RunTicks(1)
		}
		n++
	}
}
