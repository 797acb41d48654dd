package grpcx

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"

	"github.com/gondb/gondb/transport"
)

func (t *Transporter) dialOptions(p *peer) []grpc.DialOption {
	c := &t.cfg
	creds := insecure.NewCredentials()
	if c.TLS != nil {
		tc := c.TLS.Clone()
		if tc.ServerName == "" {
			// The peer's certificate must name the host we dial.
			tc.ServerName, _, _ = net.SplitHostPort(p.addr)
		}
		creds = credentials.NewTLS(tc)
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// A plain dialer: no proxy from the environment, no resolver.
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}),
		grpc.WithDefaultCallOptions(
			grpc.ForceCodecV2(rawCodec{}),
			grpc.MaxCallRecvMsgSize(maxMessageBytes),
			grpc.MaxCallSendMsgSize(maxMessageBytes),
		),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{BaseDelay: c.ReconnectMin, Multiplier: 2, Jitter: 0.2,
				MaxDelay: c.ReconnectMax},
			MinConnectTimeout: c.HandshakeTimeout,
		}),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: c.KeepaliveInterval,
			Timeout: c.KeepaliveTimeout, PermitWithoutStream: true}),
		// Frames are never replayed: a lost stream loses its queue.
		grpc.WithDisableRetry(),
		grpc.WithDisableServiceConfig(),
		grpc.WithDisableHealthCheck(),
	}
	if c.WindowBytes != 0 {
		opts = append(opts, grpc.WithStaticStreamWindowSize(int32(c.WindowBytes)),
			grpc.WithStaticConnWindowSize(int32(c.WindowBytes)))
	}
	return opts
}

// dialLoop keeps one stream open to a lower-id peer until Close: it opens
// a stream, runs it (this goroutine is its receive side) and, when it ends
// or cannot be opened, waits a jittered, doubling backoff.
func (p *peer) dialLoop() {
	t := p.t
	defer t.wg.Done()
	wait := t.cfg.ReconnectMin
	for t.ctx.Err() == nil {
		p.setState(transport.StateConnecting, nil)
		s, err := p.open()
		if err == nil {
			err = p.attach(s)
			if err != nil {
				s.abort()
			}
		}
		if err != nil {
			p.setState(transport.StateDisconnected, err)
			if t.ctx.Err() == nil {
				t.log.Debug("grpcx: connect failed", "peer", p.id, "addr", p.addr, "err", err)
			}
		} else {
			t.log.Info("grpcx: peer connected", "peer", p.id, "remote", p.addr)
			began := time.Now()
			err = p.run(s)
			s.abort() // release the stream's context
			t.logEnded(p, err)
			if time.Since(began) >= t.cfg.ReconnectMax {
				wait = t.cfg.ReconnectMin // it was up a while: not a flapping peer
			}
		}
		// Sleep wait ± 20%, then double it.
		d := wait - wait/5 + rand.N(wait*2/5+1)
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-t.ctx.Done():
			timer.Stop()
			return
		}
		wait = min(2*wait, t.cfg.ReconnectMax)
	}
}

// open opens a Frames stream to the peer and completes the hello within
// HandshakeTimeout.
func (p *peer) open() (*stream, error) {
	t := p.t
	ctx, cancel := context.WithCancel(t.ctx)
	ctx = metadata.AppendToOutgoingContext(ctx, mdNodeID, idString(t.cfg.Self), mdPeerID, idString(p.id))
	timer := time.AfterFunc(t.cfg.HandshakeTimeout, cancel)
	// Fail fast when the connection is down: the error says why (refused,
	// TLS), and dialLoop retries with its backoff.
	cs, err := p.cc.NewStream(ctx, &framesStreamDesc, framesMethod)
	if err == nil {
		err = checkAcceptorHello(cs, p)
	}
	fired := !timer.Stop()
	if err == nil && fired {
		err = context.DeadlineExceeded // it fired as the hello completed
	}
	if err != nil {
		cancel()
		if fired && t.ctx.Err() == nil {
			err = fmt.Errorf("%w: no hello within %v: %v", ErrHandshake, t.cfg.HandshakeTimeout, err)
		}
		return nil, err
	}
	return &stream{io: cs, remote: p.addr, done: make(chan struct{}), abort: cancel}, nil
}

// checkAcceptorHello waits for the acceptor's response header and checks
// that it is the peer we meant to reach. A refused stream has no header;
// its status, read with RecvMsg, says why.
func checkAcceptorHello(cs grpc.ClientStream, p *peer) error {
	md, err := cs.Header()
	if err != nil {
		return err
	}
	if len(md.Get(mdNodeID)) == 0 {
		var m inMsg
		if err := cs.RecvMsg(&m); err != nil {
			return err
		}
		return errNoHello
	}
	id, err := helloID(md, mdNodeID)
	if err != nil {
		return err
	}
	if id != p.id {
		return fmt.Errorf("%w: dialed node %d at %s, node %d answered", errWrongTarget, p.id, p.addr, id)
	}
	return nil
}

// loggedCreds logs the handshakes it refuses (a peer without a certificate
// from the cluster CA, a client that does not speak TLS): gRPC drops such
// connections silently.
type loggedCreds struct {
	credentials.TransportCredentials
	log *slog.Logger
}

func (c loggedCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	nc, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil {
		c.log.Warn("grpcx: refused connection in handshake", "remote", conn.RemoteAddr().String(), "reason", err)
	}
	return nc, info, err
}

func (c loggedCreds) Clone() credentials.TransportCredentials {
	return loggedCreds{TransportCredentials: c.TransportCredentials.Clone(), log: c.log}
}
