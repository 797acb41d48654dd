package sched

import (
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/signal"
)

// thr is one worker thread's state. Everything here is touched only by the
// thread's own goroutine, except the rings (by design) and w.
type thr struct {
	s      *Scheduler
	idx    int
	spec   ThreadSpec
	w      atomic.Pointer[thread.Worker]
	blocks blockMap[block.Block]
	// prefetchers are the thread's blocks that warm the cache for a batch
	// of local signals before it runs (block.Prefetcher).
	prefetchers []block.Prefetcher
	in          []*link // inbound: from other threads, then from peers
	out         []*link // outbound per thread index (nil for self)
	// remote holds the batch per destination node (by node id, created on
	// first use); remoteNodes lists the nodes that have one.
	remote      []*signal.FrameWriter
	remoteNodes []signal.NodeID
	// remoteErr holds, per node, the transporter's refusal of this round's
	// batch (overloaded, not connected): later sends to that node in the
	// round get it as a temporary error. Cleared at the next round.
	remoteErr  []error
	remoteErrs int // entries set in remoteErr

	// local holds signals to blocks on this thread; run swaps it with
	// running so that signals sent while executing join the next pass.
	local, running localQueue

	now     time.Duration
	lastTik time.Duration
	self    signal.Address // the block being run, for Env.Self
	sig     signal.Signal
	frame   signal.Frame
}

func (t *thr) wake() {
	if w := t.w.Load(); w != nil {
		w.Wake()
	}
}

// maxLocalPasses bounds how often one round re-runs the local queue, so a
// pair of blocks that keep signalling each other cannot starve the inputs.
const maxLocalPasses = 8

// round is the thread's work loop body (thread.WorkerConfig.Round).
func (t *thr) round(budget int) bool {
	t.now = time.Since(t.s.start)
	if t.remoteErrs > 0 {
		clear(t.remoteErr)
		t.remoteErrs = 0
	}
	did := false
	for _, l := range t.in {
		for i := 0; i < budget; i++ {
			buf, ok := l.data.Pop()
			if !ok {
				break
			}
			did = true
			if err := signal.OpenTrusted(buf, &t.frame); err == nil {
				t.runFrame(&t.frame)
			}
			l.free.Push(buf)
		}
	}
	for pass := 0; pass < maxLocalPasses && t.local.Len() > 0; pass++ {
		did = true
		t.local, t.running = t.running, t.local
		t.local.reset()
		for _, p := range t.prefetchers {
			p.Prefetch(t.running.sigs)
		}
		t.runLocal(&t.running)
	}
	if t.now-t.lastTik >= t.s.cfg.TickInterval {
		t.lastTik = t.now
		t.tick()
	}
	t.flushAll()
	return did
}

func (t *thr) runFrame(f *signal.Frame) {
	for f.Next(&t.sig) {
		b, ok := t.blocks.get(t.sig.Receiver.Block, t.sig.Receiver.Instance)
		if !ok {
			t.s.lost.Add(1)
			continue
		}
		t.self = signal.Address{Node: t.s.cfg.Node, Block: t.sig.Receiver.Block, Instance: t.sig.Receiver.Instance}
		b.Handle(t, &t.sig)
	}
}

// runLocal executes the signals queued for this thread's blocks.
func (t *thr) runLocal(q *localQueue) {
	for i := range q.sigs {
		s := &q.sigs[i]
		b, ok := t.blocks.get(s.Receiver.Block, s.Receiver.Instance)
		if !ok {
			t.s.lost.Add(1)
			continue
		}
		t.self = signal.Address{Node: t.s.cfg.Node, Block: s.Receiver.Block, Instance: s.Receiver.Instance}
		b.Handle(t, s)
	}
}

func (t *thr) tick() {
	for _, bs := range t.spec.Blocks {
		t.self = signal.Address{Node: t.s.cfg.Node, Block: bs.ID, Instance: bs.Instance}
		bs.Block.Tick(t)
	}
}

// flushAll hands every pending batch on at the end of a round.
func (t *thr) flushAll() {
	for u, l := range t.out {
		if l != nil && l.w.Len() > 0 && l.flush() {
			t.s.threads[u].wake()
		}
	}
	for _, node := range t.remoteNodes {
		if w := t.remote[node]; w.Len() > 0 {
			t.sendRemote(node, w)
		}
	}
}

func (t *thr) sendRemote(node signal.NodeID, w *signal.FrameWriter) {
	if t.s.tr == nil {
		t.s.lost.Add(uint64(w.Len()))
	} else if err := t.s.tr.Send(node, w.Bytes()); err != nil {
		// Overloaded or disconnected: the signals are lost, as on a failed
		// connection; the protocols above recover (Env.Send's contract),
		// and the round's later sends to the node fail fast.
		t.s.lost.Add(uint64(w.Len()))
		t.remoteErr[node] = err
		t.remoteErrs++
	}
	w.Reset()
}

// Self implements block.Env.
func (t *thr) Self() signal.Address { return t.self }

// Now implements block.Env: time since the scheduler started, read once
// per round (blocks need millisecond timers, not a clock read per signal).
func (t *thr) Now() time.Duration { return t.now }

// Send implements block.Env: it routes s to a block on this thread, another
// thread or another node. The sender address is always the running block.
func (t *thr) Send(s *signal.Signal) error {
	s.Sender = t.self
	node := s.Receiver.Node
	if node == 0 || node == t.s.cfg.Node {
		s.Receiver.Node = t.s.cfg.Node
		u, ok := t.s.route.get(s.Receiver.Block, s.Receiver.Instance)
		if !ok {
			return ErrNoSuchBlock
		}
		if u == t.idx {
			return t.local.add(s)
		}
		l := t.out[u]
		if l.w.Size() > t.s.cfg.BatchBytes {
			if !l.flush() {
				return ErrBatchFull
			}
			t.s.threads[u].wake()
		}
		return l.w.Add(s)
	}
	if t.s.tr == nil {
		return ErrNoTransport
	}
	if int(node) >= len(t.remote) {
		return ErrNoSuchBlock
	}
	if err := t.remoteErr[node]; err != nil {
		return err
	}
	w := t.remote[node]
	if w == nil {
		w = &signal.FrameWriter{}
		w.Reset()
		t.remote[node] = w
		t.remoteNodes = append(t.remoteNodes, node)
	}
	if w.Size() > t.s.cfg.BatchBytes {
		t.sendRemote(node, w)
	}
	return w.Add(s)
}

var _ block.Env = (*thr)(nil)
