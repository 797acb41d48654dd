package grpcx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	grpcpeer "google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Transporter is the gRPC transport.Transporter. Create it with New.
type Transporter struct {
	cfg    Config
	log    *slog.Logger
	chunks *chunkPool
	peers  [signal.MaxNodeID + 1]*peer // by node id; nil when not a peer
	ids    []signal.NodeID             // configured peers, ascending
	lis    *connListener
	srv    *grpc.Server
	hello  metadata.MD // the acceptor's reply header

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup // Serve and the dial loops
}

var _ transport.Transporter = (*Transporter)(nil)

// New validates cfg, binds the listen address and starts accepting and
// dialing peers.
func New(cfg Config) (*Transporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Transporter{
		cfg:    cfg,
		log:    cfg.Logger,
		chunks: newChunkPool(cfg.MessageBytes),
		hello:  metadata.Pairs(mdNodeID, idString(cfg.Self)),
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.log = t.log.With("transporter", "grpc", "node", cfg.Self)
	for id, addr := range cfg.Peers {
		t.peers[id] = &peer{t: t, id: id, addr: addr, dials: cfg.Self > id,
			wake: make(chan struct{}, 1), state: transport.StateDisconnected}
		t.ids = append(t.ids, id)
	}
	slices.Sort(t.ids)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	t.lis = newConnListener(ln)
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.srv = grpc.NewServer(t.serverOptions()...)
	t.srv.RegisterService(&serviceDesc, t)
	for _, id := range t.ids {
		p := t.peers[id]
		if !p.dials {
			continue
		}
		if p.cc, err = grpc.NewClient("passthrough:///"+p.addr, t.dialOptions(p)...); err != nil {
			t.closeClients()
			ln.Close()
			t.cancel()
			return nil, err
		}
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if err := t.srv.Serve(t.lis); err != nil && !t.closed.Load() {
			t.log.Error("grpcx: serving stopped", "err", err)
		}
	}()
	for _, id := range t.ids {
		if p := t.peers[id]; p.dials {
			t.wg.Add(1)
			go p.dialLoop()
		}
	}
	return t, nil
}

// Addr is the address the transporter listens on, host:port (with the port
// chosen when Config.Listen asked for port 0).
func (t *Transporter) Addr() string { return t.lis.Addr().String() }

// Send queues a copy of frame, a finished frame (signal.FrameWriter.Bytes),
// for peer to. See transport.Transporter. Besides its errors, a frame whose
// header does not describe exactly its bytes is refused with
// signal.ErrMalformed, and one larger than SendBufferBytes, which could never
// be queued, with signal.ErrTooLarge.
func (t *Transporter) Send(to signal.NodeID, frame []byte) error {
	if t.closed.Load() {
		return transport.ErrClosed
	}
	var p *peer
	if int(to) < len(t.peers) {
		p = t.peers[to]
	}
	if p == nil {
		return transport.ErrUnknownPeer
	}
	if err := signal.CheckWhole(frame); err != nil {
		return fmt.Errorf("grpcx: Send: %w", err)
	}
	return p.enqueue(frame)
}

// ConnectCount reports how many streams to peer to have been attached;
// see transport.ConnectCounter.
func (t *Transporter) ConnectCount(to signal.NodeID) uint64 {
	if int(to) >= len(t.peers) || t.peers[to] == nil {
		return 0
	}
	p := t.peers[to]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connects
}

// Peers reports every configured peer, ascending by node id.
func (t *Transporter) Peers() []transport.PeerStatus {
	out := make([]transport.PeerStatus, 0, len(t.ids))
	for _, id := range t.ids {
		out = append(out, t.peers[id].status())
	}
	return out
}

// Close closes every stream and connection and waits for the transporter's
// goroutines (including Receiver.Frame calls in progress) to return. It
// always returns nil; closing twice is harmless.
func (t *Transporter) Close() error {
	if !t.closed.CompareAndSwap(false, true) {
		return nil
	}
	for _, id := range t.ids {
		p := t.peers[id]
		p.mu.Lock()
		p.state = transport.StateClosed
		p.mu.Unlock()
	}
	t.cancel()
	t.srv.Stop() // closes the listener and accepted connections; waits for handlers
	t.closeClients()
	t.wg.Wait()
	return nil
}

func (t *Transporter) closeClients() {
	for _, id := range t.ids {
		if p := t.peers[id]; p.cc != nil {
			p.cc.Close()
		}
	}
}

// serveFrames is the acceptor's side of a Frames stream: it checks the
// hello, attaches the stream to its peer and carries frames until it ends.
func (t *Transporter) serveFrames(ss grpc.ServerStream) error {
	ctx := ss.Context()
	remote := "?"
	if pr, ok := grpcpeer.FromContext(ctx); ok {
		remote = pr.Addr.String()
	}
	p, err := t.acceptHello(ctx)
	if err == nil {
		s := &stream{io: ss, remote: remote, done: make(chan struct{}),
			abort: func() { t.lis.closeConn(remote) }}
		if err = p.attach(s); err == nil {
			if err = ss.SendHeader(t.hello); err != nil {
				p.detach(s, err)
				return err
			}
			t.log.Info("grpcx: peer connected", "peer", p.id, "remote", remote)
			err = p.run(s)
			t.logEnded(p, err)
			return status.Error(codes.Unavailable, err.Error())
		}
	}
	code := codes.PermissionDenied
	switch {
	case errors.Is(err, errDuplicate):
		code = codes.AlreadyExists
	case errors.Is(err, errClosing):
		code = codes.Unavailable
	}
	t.log.Warn("grpcx: refused stream", "remote", remote, "reason", err)
	return status.Error(code, err.Error())
}

// acceptHello checks the dialer's hello and returns its peer.
func (t *Transporter) acceptHello(ctx context.Context) (*peer, error) {
	if t.closed.Load() {
		return nil, errClosing
	}
	md, _ := metadata.FromIncomingContext(ctx)
	from, err := helloID(md, mdNodeID)
	if err != nil {
		return nil, err
	}
	to, err := helloID(md, mdPeerID)
	if err != nil {
		return nil, err
	}
	p := t.peers[from]
	switch {
	case p == nil:
		return nil, errUnknownNode
	case to != t.cfg.Self:
		return nil, errWrongTarget
	case !(from > t.cfg.Self):
		return nil, errWrongDirection
	}
	return p, nil
}

// logEnded logs why a stream ended; quietly when this node is closing.
func (t *Transporter) logEnded(p *peer, err error) {
	if t.closed.Load() {
		t.log.Debug("grpcx: stream closed", "peer", p.id, "reason", err)
		return
	}
	t.log.Warn("grpcx: stream ended", "peer", p.id, "reason", err)
}

func (t *Transporter) serverOptions() []grpc.ServerOption {
	c := &t.cfg
	creds := insecure.NewCredentials()
	if c.TLS != nil {
		creds = loggedCreds{TransportCredentials: credentials.NewTLS(c.TLS), log: t.log}
	}
	opts := []grpc.ServerOption{
		grpc.Creds(creds),
		grpc.ForceServerCodecV2(rawCodec{}),
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxSendMsgSize(maxMessageBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: c.KeepaliveInterval, Timeout: c.KeepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: minPingInterval, PermitWithoutStream: true}),
		grpc.ConnectionTimeout(c.HandshakeTimeout),
		grpc.MaxConcurrentStreams(maxStreamsPerConn),
		grpc.WaitForHandlers(true),
	}
	if c.WindowBytes != 0 {
		opts = append(opts, grpc.StaticStreamWindowSize(int32(c.WindowBytes)),
			grpc.StaticConnWindowSize(int32(c.WindowBytes)))
	}
	return opts
}

const (
	// minPingInterval: pings from peers more often than this are abuse.
	minPingInterval = time.Second
	// maxStreamsPerConn: a peer needs one stream; a few allow a
	// reconnect to overlap the old stream's teardown.
	maxStreamsPerConn = 4
)
