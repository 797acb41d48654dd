package tcp

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Transporter is one node's TCP endpoint: a listener, one connection per
// peer, and a writer and a reader goroutine per connection.
type Transporter struct {
	cfg   Config
	self  signal.NodeID
	log   *slog.Logger
	ln    net.Listener                // nil with DialOnly
	peers [signal.MaxNodeID + 1]*peer // by node id; nil: not a peer
	order []signal.NodeID             // peers by id

	ctx    context.Context // canceled by Close: stops dials and handshakes
	cancel context.CancelFunc
	closed atomic.Bool
	once   sync.Once
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{} // every open socket, closed by Close

	handshakes chan struct{} // bounds concurrent inbound handshakes
}

var _ transport.Transporter = (*Transporter)(nil)

// maxInboundHandshakes bounds the goroutines a flood of connections to the
// port can start; a legitimate cluster has one pending per peer at most.
const maxInboundHandshakes = 64

// peer is the transporter's state for one peer node.
type peer struct {
	id     signal.NodeID
	dial   bool        // this node dials it (else it dials this node)
	addr   string      // configured address ("" for a peer that dials this node)
	tlsCfg *tls.Config // client config with ServerName for addr
	wake   chan struct{}

	mu         sync.Mutex
	state      transport.State
	conn       *connection // the live connection, nil when none
	fill       []byte      // frames accepted by Send, not yet taken by the writer
	spare      []byte      // the other half of the double buffer (nil while writing)
	frames     int         // frames in fill
	queued     int         // bytes in fill plus the batch being written
	overloaded bool        // a Send was refused since the writer last drained
	lastErr    string
	remote     string

	bytesSent, bytesRecv   atomic.Uint64
	framesSent, framesRecv atomic.Uint64
	connects, overloads    atomic.Uint64
}

// New validates cfg, starts listening on cfg.Listen and starts dialing the
// peers with lower ids. Connections come up in the background; Peers shows
// their states.
func New(cfg Config) (*Transporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Peers = maps.Clone(cfg.Peers) // the caller may reuse its map
	cfg.Clients = slices.Clone(cfg.Clients)
	t := &Transporter{cfg: cfg, self: cfg.Self, log: cfg.Logger, conns: map[net.Conn]struct{}{},
		handshakes: make(chan struct{}, maxInboundHandshakes)}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.log = t.log.With("node", cfg.Self, "transport", "tcp")
	for id, addr := range cfg.Peers {
		p := &peer{id: id, dial: cfg.dials(id), addr: addr, wake: make(chan struct{}, 1), state: transport.StateDisconnected}
		if cfg.TLS != nil && p.dial {
			p.tlsCfg = cfg.TLS.Clone()
			if p.tlsCfg.ServerName == "" {
				host, _, _ := net.SplitHostPort(addr) // Validate checked it
				p.tlsCfg.ServerName = host
			}
		}
		t.peers[id] = p
		t.order = append(t.order, id)
	}
	slices.Sort(t.order)
	if !cfg.DialOnly {
		ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("tcp: node %d: listen: %w", cfg.Self, err)
		}
		t.ln = ln
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	if t.ln != nil {
		t.wg.Add(1)
		go t.acceptLoop()
	}
	for _, id := range t.order {
		if t.peers[id].dial {
			t.wg.Add(1)
			go t.dialLoop(t.peers[id])
		}
	}
	return t, nil
}

// Addr returns the address the transporter listens on ("" with DialOnly).
func (t *Transporter) Addr() string {
	if t.ln == nil {
		return ""
	}
	return t.ln.Addr().String()
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

// Send copies frame into to's send queue and wakes its writer. See
// transport.Transporter. It allocates nothing once the queue's buffers
// have grown to the traffic's batch size.
func (t *Transporter) Send(to signal.NodeID, frame []byte) error {
	if t.closed.Load() {
		return transport.ErrClosed
	}
	p := t.peer(to)
	if p == nil {
		return transport.ErrUnknownPeer
	}
	if err := signal.CheckWhole(frame); err != nil {
		return fmt.Errorf("tcp: Send: %w", err)
	}
	p.mu.Lock()
	if p.state != transport.StateConnected {
		closed := p.state == transport.StateClosed
		p.mu.Unlock()
		if closed {
			return transport.ErrClosed
		}
		return transport.ErrNotConnected
	}
	// A frame larger than the whole limit still goes into an empty queue,
	// so every frame the format allows can be sent.
	if p.queued > 0 && p.queued+len(frame) > t.cfg.SendBufferBytes {
		p.overloaded = true
		p.mu.Unlock()
		p.overloads.Add(1)
		return transport.ErrOverloaded
	}
	wake := len(p.fill) == 0
	p.fill = append(p.fill, frame...)
	p.frames++
	p.queued += len(frame)
	p.mu.Unlock()
	if wake {
		select {
		case p.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	return nil
}

// Peers reports every configured peer, by node id. See
// transport.Transporter.
func (t *Transporter) Peers() []transport.PeerStatus {
	out := make([]transport.PeerStatus, 0, len(t.order))
	for _, id := range t.order {
		p := t.peers[id]
		p.mu.Lock()
		st := transport.PeerStatus{
			Node:          id,
			State:         p.state,
			RemoteAddress: p.addr,
			Overloaded:    p.overloaded,
			SendBuffered:  p.queued,
			LastError:     p.lastErr,
		}
		if p.remote != "" {
			st.RemoteAddress = p.remote
		}
		p.mu.Unlock()
		st.BytesSent, st.BytesReceived = p.bytesSent.Load(), p.bytesRecv.Load()
		st.FramesSent, st.FramesRecv = p.framesSent.Load(), p.framesRecv.Load()
		st.ConnectCount, st.OverloadCount = p.connects.Load(), p.overloads.Load()
		out = append(out, st)
	}
	return out
}

// Close stops listening, closes every connection and waits for all the
// transporter's goroutines. A Receiver blocked in Frame delays it. Later
// calls return nil at once.
func (t *Transporter) Close() error {
	t.once.Do(func() {
		t.closed.Store(true)
		for _, id := range t.order {
			p := t.peers[id]
			p.mu.Lock()
			p.state = transport.StateClosed
			p.mu.Unlock()
		}
		t.cancel()
		if t.ln != nil {
			t.ln.Close()
		}
		t.mu.Lock()
		for c := range t.conns {
			c.Close()
		}
		t.mu.Unlock()
		t.wg.Wait()
	})
	return nil
}

// track registers an open socket so Close can close it; it returns false
// (and closes c) when the transporter is already closed.
func (t *Transporter) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed.Load() {
		c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Transporter) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	c.Close()
}
