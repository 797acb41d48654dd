package tcp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Config configures one node's TCP transporter. It is read-only once
// passed to New (New keeps its own copy).
type Config struct {
	// Self is this node's id (1..signal.MaxNodeID).
	Self signal.NodeID
	// Listen is the address to listen on, host:port; port 0 picks a free
	// one (Transporter.Addr reports it). Ignored with DialOnly.
	Listen string
	// Peers maps every peer's node id to its address (host:port). Only the
	// addresses of peers this node dials are used (the higher id dials,
	// see Clients and DialOnly), so the others may be empty.
	Peers map[signal.NodeID]string
	// Clients lists peers that always dial this node, whatever the ids,
	// and that this node never dials: API nodes, which listen on no port
	// (in NDB the data node is the server of every API connection). Each
	// must be in Peers; its address may be empty.
	Clients []signal.NodeID
	// DialOnly makes this transporter an API node's: it dials every peer,
	// whatever the ids, and listens on no port. Every peer needs an address
	// and must list this node among its Clients.
	DialOnly bool
	// TLS turns on mutual TLS (transport.TLSFiles.Load builds it); nil is
	// plain TCP. The same config serves as client and server.
	TLS *tls.Config
	// SendBufferBytes bounds each peer's queue of bytes accepted by Send
	// and not yet written to the socket (NDB's SendBufferMemory, per peer).
	SendBufferBytes int
	// HeartbeatInterval: an empty frame is written when nothing else was
	// written for this long, and a connection that received nothing for
	// DeadIntervals intervals is closed as dead. Every node of a cluster
	// must use the same interval.
	HeartbeatInterval time.Duration
	// ReconnectMin and ReconnectMax bound the dialing side's backoff: it
	// doubles from Min to Max after each failed attempt, with jitter.
	ReconnectMin, ReconnectMax time.Duration
	// HandshakeTimeout bounds connecting: TCP, TLS and the hello exchange.
	HandshakeTimeout time.Duration
	// JitterSeed seeds the backoff jitter; 0 derives it from Self, so two
	// nodes never retry in lock step yet a run is reproducible.
	JitterSeed uint64
	// Logger receives connection events (structured: peer, reason); nil
	// discards them.
	Logger *slog.Logger
	// Receiver gets the frames received from every peer.
	Receiver transport.Receiver
}

// DeadIntervals is how many heartbeat intervals of silence close a
// connection. A writer sends at least one frame every two intervals, so
// four leaves room for a late heartbeat and a scheduling hiccup.
const DeadIntervals = 4

// DefaultSendBufferBytes is the default per-peer send buffer.
const DefaultSendBufferBytes = 8 << 20

// DefaultConfig returns the production defaults; set Self, Listen, Peers
// and Receiver.
func DefaultConfig() Config {
	return Config{
		// NDB's SendBufferMemory is in this range per transporter: enough for
		// a few milliseconds of a saturated 10 GbE link, so a burst rides
		// out a scheduling delay, while 48 peers stay under 400 MiB.
		SendBufferBytes: DefaultSendBufferBytes,
		// A dead connection is closed within 2 s (4 intervals), sooner
		// than node-failure detection (QMGR, seconds) needs to know; an
		// idle link costs 32 bytes a second each way.
		HeartbeatInterval: 500 * time.Millisecond,
		// Reconnect fast after a blip (50 ms), but a node that is down is
		// not hammered: at most one attempt every 2 s per peer.
		ReconnectMin: 50 * time.Millisecond,
		ReconnectMax: 2 * time.Second,
		// Connecting, TLS included, takes milliseconds on a LAN; 5 s
		// tolerates a loaded host and frees a stuck attempt's socket.
		HandshakeTimeout: 5 * time.Second,
		Logger:           slog.Default(),
	}
}

// DefaultTestConfig is DefaultConfig for tests on one machine: listen on
// a free loopback port, redial within milliseconds, log nothing.
func DefaultTestConfig() Config {
	c := DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.ReconnectMin = 5 * time.Millisecond // a restarted test node is back at once
	c.ReconnectMax = 50 * time.Millisecond
	c.Logger = nil
	return c
}

// dials reports whether this node dials peer id (rather than accepting its
// connection): always when DialOnly, never for a client, else when the peer
// has the lower id.
func (c *Config) dials(id signal.NodeID) bool {
	if c.DialOnly {
		return true
	}
	return id < c.Self && !slices.Contains(c.Clients, id)
}

// ErrConfig wraps every configuration problem Validate reports.
var ErrConfig = errors.New("tcp: invalid configuration")

// Validate reports the first problem with c. It never changes c.
func (c Config) Validate() error {
	if c.Self == 0 || c.Self > signal.MaxNodeID {
		return fmt.Errorf("%w: Self %d not in 1..%d", ErrConfig, c.Self, signal.MaxNodeID)
	}
	if !c.DialOnly {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("%w: Listen %q: %v", ErrConfig, c.Listen, err)
		}
	}
	if c.DialOnly && len(c.Clients) > 0 {
		return fmt.Errorf("%w: a DialOnly node accepts no connections, so it can have no Clients", ErrConfig)
	}
	for _, id := range c.Clients {
		if _, ok := c.Peers[id]; !ok {
			return fmt.Errorf("%w: client %d is not in Peers", ErrConfig, id)
		}
	}
	for id, addr := range c.Peers {
		switch {
		case id == 0 || id > signal.MaxNodeID:
			return fmt.Errorf("%w: peer %d not in 1..%d", ErrConfig, id, signal.MaxNodeID)
		case id == c.Self:
			return fmt.Errorf("%w: node %d lists itself as a peer", ErrConfig, id)
		case addr == "" && c.DialOnly:
			return fmt.Errorf("%w: peer %d has no address, and a DialOnly node dials every peer", ErrConfig, id)
		case addr == "" && c.dials(id):
			return fmt.Errorf("%w: peer %d has a lower id, so this node dials it, but has no address", ErrConfig, id)
		}
		if addr != "" {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return fmt.Errorf("%w: peer %d address %q: %v", ErrConfig, id, addr, err)
			}
		}
	}
	switch {
	case c.SendBufferBytes <= 0:
		return fmt.Errorf("%w: SendBufferBytes %d must be positive", ErrConfig, c.SendBufferBytes)
	case c.HeartbeatInterval <= 0:
		return fmt.Errorf("%w: HeartbeatInterval %v must be positive", ErrConfig, c.HeartbeatInterval)
	case c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("%w: need 0 < ReconnectMin (%v) <= ReconnectMax (%v)", ErrConfig, c.ReconnectMin, c.ReconnectMax)
	case c.HandshakeTimeout <= 0:
		return fmt.Errorf("%w: HandshakeTimeout %v must be positive", ErrConfig, c.HandshakeTimeout)
	case c.Receiver == nil:
		return fmt.Errorf("%w: no Receiver", ErrConfig)
	}
	return nil
}
