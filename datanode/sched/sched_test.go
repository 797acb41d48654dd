package sched

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

const (
	sigPing signal.Number = 1
	sigPong signal.Number = 2
)

// pinger sends ping #n to its peer and counts pongs until it has done
// rounds of them; the peer echoes every ping. Pings carry a section so the
// frames move real bytes.
type pinger struct {
	block.Handlers
	peer   signal.Address
	rounds int
	pongs  atomic.Int64
	ticks  atomic.Int64
	done   chan struct{}
	sent   bool
}

func newPinger(peer signal.Address, rounds int) *pinger {
	p := &pinger{peer: peer, rounds: rounds, done: make(chan struct{})}
	p.On(sigPong, func(env block.Env, s *signal.Signal) {
		if s.Words[0] != uint32(p.pongs.Load()) || string(s.Section(0)) != "payload" {
			panic("pong out of order or damaged")
		}
		if n := p.pongs.Add(1); n == int64(p.rounds) {
			close(p.done)
			return
		}
		p.ping(env)
	})
	return p
}

func (p *pinger) ping(env block.Env) {
	var s signal.Signal
	s.Number = sigPing
	s.Receiver = p.peer
	s.SetWords(uint32(p.pongs.Load()))
	s.AddSection([]byte("payload"))
	if err := env.Send(&s); err != nil {
		panic(err)
	}
}

func (p *pinger) Handle(env block.Env, s *signal.Signal) { p.Dispatch(env, s) }

// Tick starts the exchange on the first tick.
func (p *pinger) Tick(env block.Env) {
	p.ticks.Add(1)
	if !p.sent {
		p.sent = true
		p.ping(env)
	}
}

type echo struct{ block.Handlers }

func newEcho() *echo {
	e := &echo{}
	e.On(sigPing, func(env block.Env, s *signal.Signal) {
		var r signal.Signal
		r.Number = sigPong
		r.Receiver = s.Sender
		r.SetWords(s.Words[0])
		r.AddSection(s.Section(0))
		env.Send(&r)
	})
	return e
}

func (e *echo) Handle(env block.Env, s *signal.Signal) { e.Dispatch(env, s) }
func (e *echo) Tick(block.Env)                         {}

func waitDone(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not finish", what)
	}
}

// startScheduler starts node 1's scheduler with threads, ticking every
// millisecond, until the test ends.
func startScheduler(t *testing.T, threads ...ThreadSpec) *Scheduler {
	t.Helper()
	s, err := New(Config{Node: 1, Threads: threads, TickInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func TestPingPongAcrossAndWithinThreads(t *testing.T) {
	const rounds = 2000
	cross := newPinger(signal.Address{Block: 20, Instance: 0}, rounds) // echo on thread 1
	local := newPinger(signal.Address{Block: 21, Instance: 0}, rounds) // echo on thread 0
	s := startScheduler(t,
		ThreadSpec{Name: "t0", Blocks: []BlockSpec{{ID: 10, Block: cross}, {ID: 11, Block: local}, {ID: 21, Block: newEcho()}}},
		ThreadSpec{Name: "t1", Blocks: []BlockSpec{{ID: 20, Block: newEcho()}}})
	waitDone(t, cross.done, "cross-thread ping-pong")
	waitDone(t, local.done, "same-thread ping-pong")
	if s.Lost() != 0 {
		t.Fatalf("%d signals lost", s.Lost())
	}
	if cross.ticks.Load() == 0 {
		t.Fatal("Tick never ran")
	}
}

func TestSendToUnknownBlock(t *testing.T) {
	var got error
	var once sync.Once
	done := make(chan struct{})
	b := &tickFunc{fn: func(env block.Env) {
		once.Do(func() {
			got = env.Send(&signal.Signal{Number: 1, Receiver: signal.Address{Block: 99}})
			close(done)
		})
	}}
	s, err := New(Config{Node: 1, Threads: []ThreadSpec{{Name: "t0", Blocks: []BlockSpec{{ID: 1, Block: b}}}}, TickInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop()
	waitDone(t, done, "tick")
	if got != ErrNoSuchBlock {
		t.Fatalf("send to unknown block: %v", got)
	}
}

type tickFunc struct{ fn func(block.Env) }

func (b *tickFunc) Handle(block.Env, *signal.Signal) {}
func (b *tickFunc) Tick(env block.Env)               { b.fn(env) }

func TestConfigValidate(t *testing.T) {
	e := newEcho()
	tests := []Config{
		{Node: 0, Threads: []ThreadSpec{{Name: "a"}}},
		{Node: 1},
		{Node: 1, Threads: []ThreadSpec{{Name: "a", Blocks: []BlockSpec{{ID: 1, Block: e}}}, {Name: "b", Blocks: []BlockSpec{{ID: 1, Block: e}}}}},
		{Node: 1, Threads: []ThreadSpec{{Name: "a", Blocks: []BlockSpec{{ID: 1}}}}},
		{Node: 1, Threads: []ThreadSpec{{Name: "a"}}, Peers: []signal.NodeID{1}},
	}
	for i, c := range tests {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

// loopback is a two-node test transporter: Send validates and copies the
// frame and delivers it on a goroutine per destination, in order.
type loopback struct {
	self  signal.NodeID
	peers map[signal.NodeID]chan []byte
}

func (l *loopback) Send(to signal.NodeID, frame []byte) error {
	ch, ok := l.peers[to]
	if !ok {
		return transport.ErrUnknownPeer
	}
	ch <- append([]byte(nil), frame...)
	return nil
}
func (l *loopback) Peers() []transport.PeerStatus { return nil }
func (l *loopback) Close() error                  { return nil }

func deliver(from signal.NodeID, ch chan []byte, r transport.Receiver) {
	var f signal.Frame
	for b := range ch {
		if signal.ParseFrame(b, &f) == nil {
			r.Frame(from, &f)
		}
	}
}

func TestPingPongAcrossNodes(t *testing.T) {
	const rounds = 1000
	p := newPinger(signal.Address{Node: 2, Block: 20, Instance: 3}, rounds)
	s1, err := New(Config{Node: 1, Peers: []signal.NodeID{2}, Threads: []ThreadSpec{{Name: "n1", Blocks: []BlockSpec{{ID: 10, Block: p}}}}, TickInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(Config{Node: 2, Peers: []signal.NodeID{1}, Threads: []ThreadSpec{
		{Name: "n2a", Blocks: []BlockSpec{{ID: 5, Block: newEcho()}}},
		{Name: "n2b", Blocks: []BlockSpec{{ID: 20, Instance: 3, Block: newEcho()}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	to1, to2 := make(chan []byte, 64), make(chan []byte, 64)
	s1.AttachTransport(&loopback{self: 1, peers: map[signal.NodeID]chan []byte{2: to2}})
	s2.AttachTransport(&loopback{self: 2, peers: map[signal.NodeID]chan []byte{1: to1}})
	go deliver(2, to1, s1.Receiver())
	go deliver(1, to2, s2.Receiver())
	defer close(to1)
	defer close(to2)
	s1.Start()
	s2.Start()
	defer s1.Stop()
	defer s2.Stop()
	waitDone(t, p.done, "cross-node ping-pong")
	if s1.Lost()+s2.Lost() != 0 {
		t.Fatalf("lost %d/%d", s1.Lost(), s2.Lost())
	}
}

// refusing is a transporter whose peers are always overloaded.
type refusing struct{ sends atomic.Int64 }

func (r *refusing) Send(signal.NodeID, []byte) error {
	r.sends.Add(1)
	return transport.ErrOverloaded
}
func (r *refusing) Peers() []transport.PeerStatus { return nil }
func (r *refusing) Close() error                  { return nil }

// TestOverloadedPeerGivesTemporaryError: once the transporter refuses a
// node's batch, the round's later sends to that node return its temporary
// error instead of piling up.
func TestOverloadedPeerGivesTemporaryError(t *testing.T) {
	var errs []error
	done := make(chan struct{})
	var once sync.Once
	b := &tickFunc{fn: func(env block.Env) {
		once.Do(func() {
			for i := 0; i < 20; i++ {
				var s signal.Signal
				s.Number = 1
				s.Receiver = signal.Address{Node: 2, Block: 1}
				s.AddSection(make([]byte, 100)) // > BatchBytes after two: early flushes
				errs = append(errs, env.Send(&s))
			}
			close(done)
		})
	}}
	s, err := New(Config{Node: 1, Peers: []signal.NodeID{2}, BatchBytes: 256, TickInterval: time.Millisecond,
		Threads: []ThreadSpec{{Name: "t0", Blocks: []BlockSpec{{ID: 1, Block: b}}}}})
	if err != nil {
		t.Fatal(err)
	}
	tr := &refusing{}
	s.AttachTransport(tr)
	s.Start()
	defer s.Stop()
	waitDone(t, done, "tick")
	var temporary int
	for _, e := range errs {
		if e != nil {
			if !transport.Temporary(e) {
				t.Fatalf("non-temporary error %v", e)
			}
			temporary++
		}
	}
	if temporary == 0 || errs[0] != nil {
		t.Fatalf("errors %v: want the first sends queued and later ones refused", errs)
	}
}

// prefetchingEcho is an echo that notes the pings its Prefetch was shown
// and panics on one it handles without having seen it first.
type prefetchingEcho struct {
	*echo
	seen  map[uint32]bool
	calls atomic.Int64
}

func (p *prefetchingEcho) Prefetch(sigs []signal.Signal) {
	p.calls.Add(1)
	for i := range sigs {
		if sigs[i].Number == sigPing {
			p.seen[sigs[i].Words[0]] = true
		}
	}
}

func (p *prefetchingEcho) Handle(env block.Env, s *signal.Signal) {
	if s.Number == sigPing && !p.seen[s.Words[0]] {
		panic("ping handled before Prefetch saw it")
	}
	p.echo.Handle(env, s)
}

// TestPrefetchBeforeLocalSignals: a block.Prefetcher is shown every batch
// of signals queued on its thread before they run.
func TestPrefetchBeforeLocalSignals(t *testing.T) {
	const rounds = 500
	e := &prefetchingEcho{echo: newEcho(), seen: map[uint32]bool{}}
	p := newPinger(signal.Address{Block: 21}, rounds)
	startScheduler(t, ThreadSpec{Name: "t0", Blocks: []BlockSpec{{ID: 11, Block: p}, {ID: 21, Block: e}}})
	waitDone(t, p.done, "same-thread ping-pong")
	if e.calls.Load() == 0 || len(e.seen) != rounds {
		t.Fatalf("Prefetch called %d times, saw %d pings; want %d", e.calls.Load(), len(e.seen), rounds)
	}
}
