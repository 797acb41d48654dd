package inproc

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Transporter is one node's endpoint on a Network.
type Transporter struct {
	net   *Network
	cfg   Config
	self  signal.NodeID
	log   *slog.Logger
	peers [signal.MaxNodeID + 1]*peer // by node id; nil: not a peer
	order []signal.NodeID             // configured peers, in config order

	closing   bool // guarded by net.mu: the network no longer links this node
	closed    atomic.Bool
	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
}

var _ transport.Transporter = (*Transporter)(nil)

// peer is this node's side of the link to one peer.
type peer struct {
	id  signal.NodeID
	t   *Transporter
	in  *link                // the peer's frames to us, drained by our goroutine
	out atomic.Pointer[link] // the peer's inbound link from us, while connected

	state                  atomic.Uint32 // transport.State
	lastErr                atomic.Pointer[string]
	bytesSent, bytesRecv   atomic.Uint64
	framesSent, framesRecv atomic.Uint64
	connects, overloads    atomic.Uint64
}

// link is one direction between two nodes: the receiver's queue of frames
// from one sender. Frames are appended back to back into fill; the
// receiving goroutine swaps fill with spare and delivers the batch, so the
// two buffers are reused and Send allocates nothing once they have grown.
type link struct {
	mu         sync.Mutex
	up         bool
	limit      int   // the sender's SendBufferBytes
	sender     *peer // the sender's record of the receiver, for its counters
	fill       []byte
	spare      []byte
	queued     int           // bytes in fill plus the batch being delivered
	overloaded bool          // a Send was refused since the queue last drained
	gen        atomic.Uint64 // bumped when the link goes down: a batch in flight is dropped
	wake       chan struct{}
}

func newTransporter(n *Network, cfg Config) *Transporter {
	t := &Transporter{net: n, cfg: cfg, self: cfg.Self, log: cfg.Logger, done: make(chan struct{})}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.log = t.log.With("node", cfg.Self, "transport", "inproc")
	for _, id := range cfg.Peers {
		p := &peer{id: id, t: t, in: &link{wake: make(chan struct{}, 1)}}
		p.state.Store(uint32(transport.StateDisconnected))
		t.peers[id] = p
		t.order = append(t.order, id)
		t.wg.Add(1)
		go t.receive(p)
	}
	return t
}

func (t *Transporter) peer(id signal.NodeID) *peer {
	if id > signal.MaxNodeID {
		return nil
	}
	return t.peers[id]
}

// ConnectCount reports how many connections to peer to have been
// established; see transport.ConnectCounter.
func (t *Transporter) ConnectCount(to signal.NodeID) uint64 {
	if p := t.peer(to); p != nil {
		return p.connects.Load()
	}
	return 0
}

// Send copies frame into to's queue. See transport.Transporter.
func (t *Transporter) Send(to signal.NodeID, frame []byte) error {
	if t.closed.Load() {
		return transport.ErrClosed
	}
	p := t.peer(to)
	if p == nil {
		return transport.ErrUnknownPeer
	}
	if err := signal.CheckWhole(frame); err != nil {
		return fmt.Errorf("inproc: Send: %w", err)
	}
	l := p.out.Load()
	if l == nil {
		return transport.ErrNotConnected
	}
	l.mu.Lock()
	if !l.up || l.sender != p {
		l.mu.Unlock()
		return transport.ErrNotConnected
	}
	// A frame larger than the whole limit still goes into an empty queue,
	// so every frame the format allows can be sent.
	if l.queued > 0 && l.queued+len(frame) > l.limit {
		l.overloaded = true
		l.mu.Unlock()
		p.overloads.Add(1)
		return transport.ErrOverloaded
	}
	wake := len(l.fill) == 0
	l.fill = append(l.fill, frame...)
	l.queued += len(frame)
	l.mu.Unlock()
	if wake {
		select {
		case l.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	return nil
}

// receive is the goroutine that delivers p's frames to the Receiver.
func (t *Transporter) receive(p *peer) {
	defer t.wg.Done()
	l := p.in
	f := new(signal.Frame) // one per goroutine: the Receiver's pointer would make a local escape per batch
	for {
		select {
		case <-l.wake:
		case <-t.done:
			return
		}
		for {
			l.mu.Lock()
			if len(l.fill) == 0 {
				l.mu.Unlock()
				break
			}
			batch := l.fill
			l.fill, l.spare = l.spare[:0], nil
			gen, sender := l.gen.Load(), l.sender
			l.mu.Unlock()

			t.deliver(p, sender, batch, gen, f)

			l.mu.Lock()
			if l.gen.Load() == gen {
				l.queued -= len(batch)
				l.overloaded = false
			}
			l.spare = batch[:0]
			l.mu.Unlock()
		}
	}
}

// deliver hands each frame of batch to the Receiver, stopping when the
// link went down (gen changed) or the transporter closed.
func (t *Transporter) deliver(p *peer, sender *peer, batch []byte, gen uint64, f *signal.Frame) {
	for len(batch) > 0 {
		if p.in.gen.Load() != gen || t.closed.Load() {
			return
		}
		h, err := signal.ParseFrameHeader(batch)
		if err != nil {
			panic(fmt.Sprintf("inproc: node %d: queue from node %d corrupt: %v", t.self, p.id, err))
		}
		n := signal.FrameHeaderSize + h.PayloadLen
		b := batch[:n]
		batch = batch[n:]
		p.bytesRecv.Add(uint64(n))
		sender.bytesSent.Add(uint64(n))
		sender.framesSent.Add(1)
		if err := signal.ParseFrame(b, f); err != nil {
			// Frames are self-delimited here (Send checked the header), so
			// only the bad frame is dropped; TCP must close the connection.
			reason := fmt.Sprintf("malformed frame dropped: %v", err)
			p.lastErr.Store(&reason)
			t.log.Warn("refused frame", "peer", p.id, "reason", reason)
			continue
		}
		if f.Header.Count == 0 {
			continue
		}
		p.framesRecv.Add(1)
		t.cfg.Receiver.Frame(p.id, f)
	}
}

// down takes the link to p down on this side: Send fails, queued frames
// from p are dropped.
func (p *peer) down(reason string) {
	p.out.Store(nil)
	l := p.in
	l.mu.Lock()
	l.up = false
	l.sender = nil
	l.fill = l.fill[:0]
	l.queued = 0
	l.overloaded = false
	l.gen.Add(1)
	l.mu.Unlock()
	if p.state.Swap(uint32(transport.StateDisconnected)) == uint32(transport.StateConnected) && reason != "" {
		p.lastErr.Store(&reason)
		p.t.log.Info("peer disconnected", "peer", p.id, "reason", reason)
	}
}

// Peers reports each configured peer. See transport.Transporter.
func (t *Transporter) Peers() []transport.PeerStatus {
	out := make([]transport.PeerStatus, 0, len(t.order))
	closed := t.closed.Load()
	for _, id := range t.order {
		p := t.peers[id]
		st := transport.PeerStatus{
			Node:          id,
			State:         transport.State(p.state.Load()),
			RemoteAddress: fmt.Sprintf("inproc/%d", id),
			BytesSent:     p.bytesSent.Load(),
			BytesReceived: p.bytesRecv.Load(),
			FramesSent:    p.framesSent.Load(),
			FramesRecv:    p.framesRecv.Load(),
			ConnectCount:  p.connects.Load(),
			OverloadCount: p.overloads.Load(),
		}
		if closed {
			st.State = transport.StateClosed
		}
		if e := p.lastErr.Load(); e != nil {
			st.LastError = *e
		}
		if l := p.out.Load(); l != nil {
			l.mu.Lock()
			if l.sender == p {
				st.SendBuffered, st.Overloaded = l.queued, l.overloaded
			}
			l.mu.Unlock()
		}
		out = append(out, st)
	}
	return out
}

// Close takes the node off the network and waits for its goroutines; a
// Receiver blocked in Frame delays it. Later calls return nil at once.
func (t *Transporter) Close() error {
	t.closeOnce.Do(func() {
		t.closed.Store(true)
		t.net.leave(t)
		close(t.done)
		t.wg.Wait()
		for _, id := range t.order {
			t.peers[id].state.Store(uint32(transport.StateClosed))
		}
	})
	return nil
}
