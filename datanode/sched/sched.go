package sched

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/spsc"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// BlockSpec places one block instance.
type BlockSpec struct {
	ID       signal.BlockID
	Instance uint16
	Block    block.Block
}

// ThreadSpec is one worker thread and the blocks it runs.
type ThreadSpec struct {
	Name   string
	CPUs   []int // bind to these CPUs; empty: unbound
	Blocks []BlockSpec
}

// Config configures a Scheduler. It must not change after New.
type Config struct {
	Node    signal.NodeID
	Threads []ThreadSpec
	// Peers are the other nodes signals may be sent to or come from.
	Peers []signal.NodeID
	// TickInterval is how often blocks' Tick runs. Default 10ms: fine
	// enough for NDB's millisecond-scale timers, cheap when idle.
	TickInterval time.Duration
	// RingFrames is the number of frame buffers in flight per thread pair.
	// Default 64: enough to keep a busy receiver fed between rounds.
	RingFrames int
	// BatchBytes flushes a batch before the round ends once it is this big.
	// Default 64 KiB: large enough to amortize a hand-off, small enough to
	// keep latency low.
	BatchBytes int
	Logger     *slog.Logger
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.TickInterval == 0 {
		d.TickInterval = 10 * time.Millisecond
	}
	if d.RingFrames == 0 {
		d.RingFrames = 64
	}
	if d.BatchBytes == 0 {
		d.BatchBytes = 64 << 10
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return d
}

// Validate checks c without changing it.
func (c *Config) Validate() error {
	if c.Node == 0 || c.Node > signal.MaxNodeID {
		return fmt.Errorf("sched: node id %d out of range 1..%d", c.Node, signal.MaxNodeID)
	}
	if len(c.Threads) == 0 {
		return errors.New("sched: no threads")
	}
	seen := map[uint32]string{}
	for _, t := range c.Threads {
		for _, b := range t.Blocks {
			k := blockKey(b.ID, b.Instance)
			if other, dup := seen[k]; dup {
				return fmt.Errorf("sched: block %d.%d placed on %s and %s", b.ID, b.Instance, other, t.Name)
			}
			if b.Block == nil {
				return fmt.Errorf("sched: block %d.%d on %s is nil", b.ID, b.Instance, t.Name)
			}
			seen[k] = t.Name
		}
	}
	for _, p := range c.Peers {
		if p == c.Node || p == 0 || p > signal.MaxNodeID {
			return fmt.Errorf("sched: bad peer node id %d", p)
		}
	}
	return nil
}

func blockKey(id signal.BlockID, inst uint16) uint32 { return uint32(id)<<16 | uint32(inst) }

// Errors returned by Env.Send.
var (
	ErrNoSuchBlock = errors.New("sched: no such block on this node")
	ErrNoTransport = errors.New("sched: no transporter for signals to other nodes")
	ErrBatchFull   = errors.New("sched: batch full and the receiver has not caught up")
)

// Scheduler runs the blocks. Create with New, attach a transporter (if
// there are peers), then Start.
type Scheduler struct {
	cfg     Config
	route   blockMap[int] // block instance -> thread index
	threads []*thr
	peers   []*peerIn // by node id; nil: not a peer
	tr      transport.Transporter
	start   time.Time
	started atomic.Bool
	stopped atomic.Bool // its threads were counted out (releaseProcs)

	lost atomic.Uint64 // signals dropped: unknown block, failed node send
}

// New builds a scheduler; nothing runs until Start.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	s := &Scheduler{cfg: c, peers: make([]*peerIn, signal.MaxNodeID+1)}
	for i, ts := range c.Threads {
		t := &thr{s: s, idx: i, spec: ts}
		for _, b := range ts.Blocks {
			s.route.put(b.ID, b.Instance, i)
			t.blocks.put(b.ID, b.Instance, b.Block)
			if p, ok := b.Block.(block.Prefetcher); ok {
				t.prefetchers = append(t.prefetchers, p)
			}
		}
		s.threads = append(s.threads, t)
	}
	n := len(s.threads)
	for _, t := range s.threads {
		t.out = make([]*link, n)
		t.remote = make([]*signal.FrameWriter, signal.MaxNodeID+1)
		t.remoteErr = make([]error, signal.MaxNodeID+1)
	}
	// One link per ordered thread pair (self excluded): data t->u, buffers
	// back u->t. The sender owns the writer; the receiver drains the ring.
	for _, t := range s.threads {
		for _, u := range s.threads {
			if t == u {
				continue
			}
			l := newLink(c.RingFrames)
			t.out[u.idx] = l
			u.in = append(u.in, l)
		}
	}
	for _, p := range c.Peers {
		pi := &peerIn{node: p, out: make([]*link, n)}
		for _, u := range s.threads {
			l := newLink(c.RingFrames)
			pi.out[u.idx] = l
			u.in = append(u.in, l)
		}
		s.peers[p] = pi
	}
	return s, nil
}

// Receiver returns the transport.Receiver that feeds signals from other
// nodes into the threads; give it to the transporter's config.
func (s *Scheduler) Receiver() transport.Receiver { return (*receiver)(s) }

// AttachTransport sets the transporter for signals to other nodes. Call
// before Start.
func (s *Scheduler) AttachTransport(t transport.Transporter) {
	if s.started.Load() {
		panic("sched: AttachTransport after Start")
	}
	s.tr = t
}

// Start starts every thread.
func (s *Scheduler) Start() error {
	if s.started.Swap(true) {
		return errors.New("sched: already started")
	}
	s.start = time.Now()
	reserveProcs(len(s.threads))
	for _, t := range s.threads {
		inputs := make([]thread.Input, 0, len(t.in))
		for _, l := range t.in {
			inputs = append(inputs, l.data)
		}
		w, err := thread.Start(thread.WorkerConfig{Name: t.spec.Name, CPUs: t.spec.CPUs, Inputs: inputs,
			Round: t.round, MaxSleep: s.cfg.TickInterval})
		if err != nil {
			s.Stop()
			return err
		}
		t.w.Store(w)
	}
	return nil
}

// Stop stops every thread (blocks keep their state).
func (s *Scheduler) Stop() {
	for _, t := range s.threads {
		if w := t.w.Swap(nil); w != nil {
			w.Stop()
		}
	}
	if s.started.Load() && !s.stopped.Swap(true) {
		releaseProcs(len(s.threads))
	}
}

// Lost is the number of signals dropped (no such block, node unreachable).
func (s *Scheduler) Lost() uint64 { return s.lost.Load() }

// ThreadStats returns each thread's worker counters, in config order.
func (s *Scheduler) ThreadStats() []thread.Stats {
	out := make([]thread.Stats, len(s.threads))
	for i, t := range s.threads {
		if w := t.w.Load(); w != nil {
			out[i] = w.Stats()
		}
	}
	return out
}

// link is a one-way hand-off of frame buffers between one producer and one
// consumer, with a return ring for the buffers.
type link struct {
	data *spsc.Ring[[]byte] // producer -> consumer: frames
	free *spsc.Ring[[]byte] // consumer -> producer: emptied buffers
	w    signal.FrameWriter // producer's batch
}

func newLink(frames int) *link {
	l := &link{data: spsc.New[[]byte](frames), free: spsc.New[[]byte](frames)}
	for i := 0; i < l.free.Cap(); i++ {
		l.free.Push(make([]byte, 0, 4<<10))
	}
	return l
}

// flush hands the producer's batch to the consumer. It reports false when
// the consumer has no free buffer or ring slot left (it is behind); the
// batch stays and is retried at the next flush.
func (l *link) flush() bool {
	if l.w.Len() == 0 {
		return true
	}
	buf, ok := l.free.Pop()
	if !ok {
		return false
	}
	frame := append(buf[:0], l.w.Bytes()...)
	if !l.data.Push(frame) {
		l.free.Push(buf) // cannot happen: free and data hold the same buffers
		return false
	}
	l.w.Reset()
	return true
}

// receiver is the Scheduler seen as a transport.Receiver.
type receiver Scheduler

// peerIn holds the links from one peer's receive goroutine to each thread.
type peerIn struct {
	node signal.NodeID
	mu   sync.Mutex // Frame calls are serialized per peer; this documents and enforces it
	out  []*link
	v    signal.View
}

// Frame routes each signal of a frame from a peer to its thread.
func (r *receiver) Frame(from signal.NodeID, f *signal.Frame) {
	s := (*Scheduler)(r)
	var p *peerIn
	if int(from) < len(s.peers) {
		p = s.peers[from]
	}
	if p == nil {
		s.lost.Add(uint64(f.Header.Count))
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for f.NextView(&p.v) {
		u, ok := s.route.get(p.v.Receiver().Block, p.v.Receiver().Instance)
		if !ok {
			s.lost.Add(1)
			continue
		}
		l := p.out[u]
		if l.w.Size() > s.cfg.BatchBytes && !s.flushWait(l, u) {
			s.lost.Add(1)
			continue
		}
		if err := l.w.AddEncoded(p.v.Bytes()); err != nil {
			s.lost.Add(1)
		}
	}
	for u, l := range p.out {
		if l.w.Len() > 0 && s.flushWait(l, u) {
			s.threads[u].wake()
		}
	}
}

// flushWait hands a peer's batch to thread u, waiting while the thread is
// behind: the wait stalls that peer's receive goroutine, and so its
// connection, which is the back-pressure the transporter expects. It gives
// up (false, the batch dropped) only when the scheduler is stopped.
func (s *Scheduler) flushWait(l *link, u int) bool {
	for !l.flush() {
		t := s.threads[u]
		if t.w.Load() == nil {
			s.lost.Add(uint64(l.w.Len()))
			l.w.Reset()
			return false
		}
		t.wake()
		time.Sleep(20 * time.Microsecond)
	}
	return true
}
