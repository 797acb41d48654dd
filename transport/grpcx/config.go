package grpcx

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Config configures a Transporter. It is read-only once New has it.
type Config struct {
	// Self is this node's id.
	Self signal.NodeID
	// Listen is the address to accept peers on, e.g. "10.0.0.1:1186";
	// port 0 picks a free port (see Transporter.Addr).
	Listen string
	// Peers lists every other node of the cluster and its address. This
	// node dials the peers with a lower id, so their addresses are
	// required; a peer with a higher id dials this node, and its address
	// may be empty.
	Peers map[signal.NodeID]string
	// TLS, when non-nil, turns on mutual TLS: use transport.TLSFiles.Load.
	// It must present a certificate and require and verify the peer's
	// (tls.RequireAndVerifyClientCert). nil means plaintext.
	TLS *tls.Config
	// SendBufferBytes bounds the bytes queued for one peer and not yet
	// written (NDB's SendBufferMemory). Over it Send returns
	// transport.ErrOverloaded.
	SendBufferBytes int
	// MessageBytes is the size of a send-queue chunk: the most bytes of
	// frames that are coalesced into one gRPC message.
	MessageBytes int
	// WindowBytes is the HTTP/2 flow-control window per stream and per
	// connection; 0 leaves gRPC's dynamic (BDP-estimated) window on.
	WindowBytes int
	// HandshakeTimeout bounds connecting and the hello exchange.
	HandshakeTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the dialer's wait between attempts;
	// the wait doubles (with jitter) after each failure.
	ReconnectMin, ReconnectMax time.Duration
	// KeepaliveInterval is how long a connection may be silent before an
	// HTTP/2 ping checks it; KeepaliveTimeout is how long the ping may go
	// unanswered before the connection is declared dead. gRPC clients
	// ping at most every 10 s whatever this says.
	KeepaliveInterval, KeepaliveTimeout time.Duration
	// Logger receives connection events (structured: peer, reason); nil
	// discards them.
	Logger *slog.Logger
	// Receiver takes every frame received. Required.
	Receiver transport.Receiver
}

// Bounds on the sizes in a Config.
const (
	// maxMessageBytes is the largest message a peer may send: one
	// frame of the largest size the signal format allows. Coalesced
	// messages are never larger than MessageBytes, which is below it.
	maxMessageBytes = signal.FrameHeaderSize + signal.MaxFrameBytes
	minMessageBytes = 4 << 10
	minWindowBytes  = 64 << 10 // HTTP/2's own default; gRPC ignores less
)

// DefaultConfig returns the production defaults. Self, Listen, Peers,
// Receiver (and TLS, to turn it on) are the caller's.
func DefaultConfig() Config {
	return Config{
		// Rides out a receiver pause of several milliseconds at full
		// speed (~1 GB/s on loopback) and bounds memory to 8 MiB per
		// peer; NDB's default SendBufferMemory is 2 MiB.
		SendBufferBytes: 8 << 20,
		// One message of 256 KiB carries ~4,000 small signals: gRPC's
		// per-message cost (~µs) becomes noise, while one message still
		// fits easily in the flow-control window.
		MessageBytes: 256 << 10,
		// A static 4 MiB window: several messages in flight per stream,
		// and a bound on what a stalled receiver's gRPC buffers for us.
		WindowBytes: 4 << 20,
		// A connect plus TLS handshake takes a few ms on a LAN; 5 s
		// tolerates a busy peer without hanging the dial loop.
		HandshakeTimeout: 5 * time.Second,
		// Reconnect fast after a blip, but a node that is down costs one
		// attempt per 5 s at most.
		ReconnectMin: 50 * time.Millisecond,
		ReconnectMax: 5 * time.Second,
		// gRPC's client minimum; node failure is detected by heartbeat
		// signals above the transporter, this only finds dead sockets.
		KeepaliveInterval: 10 * time.Second,
		KeepaliveTimeout:  5 * time.Second,
		Logger:            slog.Default(),
	}
}

// DefaultTestConfig is DefaultConfig with short waits, so tests on
// loopback reconnect and give up quickly.
func DefaultTestConfig() Config {
	c := DefaultConfig()
	c.HandshakeTimeout = 2 * time.Second
	c.ReconnectMin = 2 * time.Millisecond
	c.ReconnectMax = 50 * time.Millisecond
	return c
}

// ErrConfig marks an invalid Config.
var ErrConfig = errors.New("grpcx: invalid config")

// Validate checks c without changing it.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	if c.Self == 0 || c.Self > signal.MaxNodeID {
		return bad("Self %d outside 1..%d", c.Self, signal.MaxNodeID)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("Listen %q: %v", c.Listen, err)
	}
	for id, addr := range c.Peers {
		if id == 0 || id > signal.MaxNodeID || id == c.Self {
			return bad("peer id %d (Self %d, ids 1..%d)", id, c.Self, signal.MaxNodeID)
		}
		if id > c.Self && addr == "" {
			continue // it dials us
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return bad("peer %d address %q: %v", id, addr, err)
		}
	}
	if c.TLS != nil {
		if len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil {
			return bad("TLS presents no certificate")
		}
		if c.TLS.ClientAuth != tls.RequireAndVerifyClientCert {
			return bad("TLS must require and verify peer certificates (ClientAuth %v)", c.TLS.ClientAuth)
		}
	}
	if c.MessageBytes < minMessageBytes || c.MessageBytes > maxMessageBytes {
		return bad("MessageBytes %d outside %d..%d", c.MessageBytes, minMessageBytes, maxMessageBytes)
	}
	if c.SendBufferBytes < c.MessageBytes {
		return bad("SendBufferBytes %d below MessageBytes %d", c.SendBufferBytes, c.MessageBytes)
	}
	if c.WindowBytes != 0 && (c.WindowBytes < minWindowBytes || c.WindowBytes > 1<<30) {
		return bad("WindowBytes %d: 0 (dynamic) or %d..%d", c.WindowBytes, minWindowBytes, 1<<30)
	}
	if c.HandshakeTimeout <= 0 {
		return bad("HandshakeTimeout %v", c.HandshakeTimeout)
	}
	if c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin {
		return bad("backoff %v..%v", c.ReconnectMin, c.ReconnectMax)
	}
	if c.KeepaliveInterval < time.Second || c.KeepaliveTimeout <= 0 {
		return bad("keepalive interval %v (at least 1s), timeout %v", c.KeepaliveInterval, c.KeepaliveTimeout)
	}
	if c.Receiver == nil {
		return bad("no Receiver")
	}
	return nil
}
