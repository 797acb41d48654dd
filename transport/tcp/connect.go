package tcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gondb/gondb/transport"
)

// Connection setup. One connection per node pair: both nodes listen, and
// the node with the higher id dials the lower one. A fixed rule means the
// two nodes never race two connections into existence, and the lower id
// (usually the longer-lived management or first data node) is the one
// that waits. API nodes are the exception: they listen on no port and
// always dial (Config.DialOnly), and the nodes they connect to list them
// as Clients.

func (t *Transporter) acceptLoop() {
	defer t.wg.Done()
	for {
		raw, err := t.ln.Accept()
		if err != nil {
			if t.closed.Load() {
				return
			}
			// For example out of file descriptors: pause rather than spin.
			t.log.Warn("accept failed", "reason", err.Error())
			select {
			case <-t.ctx.Done():
				return
			case <-time.After(t.cfg.ReconnectMin):
			}
			continue
		}
		select {
		case t.handshakes <- struct{}{}:
		default:
			t.log.Warn("connection refused", "remote", raw.RemoteAddr().String(),
				"reason", "too many connections in handshake")
			raw.Close()
			continue
		}
		if !t.track(raw) {
			<-t.handshakes
			return
		}
		t.wg.Add(1)
		go t.serveInbound(raw)
	}
}

// serveInbound runs an accepted connection's handshake and then the
// connection itself, on this goroutine.
func (t *Transporter) serveInbound(raw net.Conn) {
	defer t.wg.Done()
	c, peerID, err := t.acceptHandshake(raw)
	<-t.handshakes
	if err != nil {
		t.untrack(raw)
		if !t.closed.Load() {
			attrs := []any{"remote", raw.RemoteAddr().String(), "reason", err.Error()}
			if peerID != 0 {
				attrs = append(attrs, "peer", peerID)
			}
			t.log.Warn("connection refused", attrs...)
		}
		return
	}
	t.run(c)
}

// acceptHandshake checks the dialer's TLS certificate and hello and answers
// with this node's hello. peerID is the id the hello claimed, for the log.
func (t *Transporter) acceptHandshake(raw net.Conn) (c *connection, peerID int, err error) {
	setNoDelay(raw)
	raw.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	rw := raw
	if t.cfg.TLS != nil {
		tc := tls.Server(raw, t.cfg.TLS)
		if err := tc.HandshakeContext(t.ctx); err != nil {
			return nil, 0, fmt.Errorf("%w: TLS: %v", ErrHandshake, err)
		}
		rw = tc
	}
	var b [HelloSize]byte
	if _, err := io.ReadFull(rw, b[:]); err != nil {
		return nil, 0, fmt.Errorf("%w: reading hello: %v", ErrHandshake, err)
	}
	h, err := parseHello(b[:])
	if err != nil {
		return nil, 0, err
	}
	peerID = int(h.Sender)
	p := t.peer(h.Sender)
	switch {
	case h.Receiver != t.self:
		return nil, peerID, fmt.Errorf("%w: hello is for node %d, this is node %d", ErrHandshake, h.Receiver, t.self)
	case p == nil:
		return nil, peerID, fmt.Errorf("%w: node %d is not a configured peer", ErrHandshake, h.Sender)
	case p.dial:
		return nil, peerID, fmt.Errorf("%w: this node dials node %d, not the other way round", ErrHandshake, h.Sender)
	}
	c = newConnection(t, p, raw, rw)
	if err := p.attach(c); err != nil {
		return nil, peerID, err
	}
	if _, err := rw.Write(appendHello(b[:0], hello{Version: HelloVersion, Sender: t.self, Receiver: p.id})); err != nil {
		err = fmt.Errorf("%w: writing hello: %v", ErrHandshake, err)
		p.release(c, err)
		return nil, peerID, err
	}
	return c, peerID, nil
}

// dialLoop keeps one connection to p (a peer this node dials) up: dial,
// run the connection until it ends, back off, dial again.
func (t *Transporter) dialLoop(p *peer) {
	defer t.wg.Done()
	seed := t.cfg.JitterSeed
	if seed == 0 {
		seed = uint64(t.self)
	}
	b := newBackoff(t.cfg.ReconnectMin, t.cfg.ReconnectMax, seed, uint64(p.id))
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	lastReason := ""
	for {
		if !p.connecting() {
			return
		}
		c, err := t.dial(p)
		switch {
		case err == nil:
			b.reset()
			lastReason = ""
			t.run(c)
		case t.closed.Load():
			return
		default:
			reason := err.Error()
			p.failed(reason)
			// A peer that is down fails the same way every attempt: say
			// so once, then quietly.
			if reason != lastReason {
				t.log.Warn("connect failed", "peer", p.id, "remote", p.addr, "reason", reason)
			} else {
				t.log.Debug("connect failed", "peer", p.id, "remote", p.addr, "reason", reason)
			}
			lastReason = reason
		}
		timer.Reset(b.next())
		select {
		case <-t.ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// dial connects to p and runs the dialing side of the handshake.
func (t *Transporter) dial(p *peer) (*connection, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.cfg.HandshakeTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if !t.track(raw) {
		return nil, transport.ErrClosed
	}
	c, err := t.dialHandshake(ctx, p, raw)
	if err != nil {
		t.untrack(raw)
		return nil, err
	}
	return c, nil
}

func (t *Transporter) dialHandshake(ctx context.Context, p *peer, raw net.Conn) (*connection, error) {
	setNoDelay(raw)
	if d, ok := ctx.Deadline(); ok {
		raw.SetDeadline(d)
	}
	rw := raw
	if p.tlsCfg != nil {
		tc := tls.Client(raw, p.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("%w: TLS: %v", ErrHandshake, err)
		}
		rw = tc
	}
	var b [HelloSize]byte
	if _, err := rw.Write(appendHello(b[:0], hello{Version: HelloVersion, Sender: t.self, Receiver: p.id})); err != nil {
		return nil, fmt.Errorf("%w: writing hello: %v", ErrHandshake, err)
	}
	if _, err := io.ReadFull(rw, b[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: node %d closed the connection (see its log)", ErrHandshake, p.id)
		}
		return nil, fmt.Errorf("%w: reading hello: %v", ErrHandshake, err)
	}
	h, err := parseHello(b[:])
	if err != nil {
		return nil, err
	}
	if h.Sender != p.id || h.Receiver != t.self {
		return nil, fmt.Errorf("%w: node at %s is node %d talking to node %d, expected node %d talking to node %d",
			ErrHandshake, p.addr, h.Sender, h.Receiver, p.id, t.self)
	}
	c := newConnection(t, p, raw, rw)
	if err := p.attach(c); err != nil {
		return nil, err
	}
	return c, nil
}

func setNoDelay(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		// Go sets TCP_NODELAY by default; say so explicitly, since batching
		// is the writer's job and Nagle's delay would add to every round trip.
		tc.SetNoDelay(true)
	}
}

// attach makes c the peer's connection, unless it has one already.
func (p *peer) attach(c *connection) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.state == transport.StateClosed:
		return transport.ErrClosed
	case p.conn != nil:
		return fmt.Errorf("%w: node %d is already connected", ErrHandshake, p.id)
	}
	p.conn = c
	p.state = transport.StateConnecting
	return nil
}

// release detaches c, which ended for reason err.
func (p *peer) release(c *connection, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != c {
		return
	}
	p.conn = nil
	p.remote = ""
	p.fill, p.frames, p.queued, p.overloaded = p.fill[:0], 0, 0, false
	if p.state != transport.StateClosed {
		p.state = transport.StateDisconnected
	}
	if err != nil {
		p.lastErr = err.Error()
	}
}

// connecting marks a dial attempt; false when the transporter is closed.
func (p *peer) connecting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == transport.StateClosed {
		return false
	}
	if p.conn == nil {
		p.state = transport.StateConnecting
	}
	return true
}

// failed records a failed dial attempt.
func (p *peer) failed(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == transport.StateConnecting && p.conn == nil {
		p.state = transport.StateDisconnected
	}
	p.lastErr = reason
}
