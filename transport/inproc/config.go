package inproc

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Config configures one node's in-process transporter. It is read-only
// once passed to Network.Join.
type Config struct {
	// Self is this node's id (1..signal.MaxNodeID).
	Self signal.NodeID
	// Peers are the nodes this one talks to. A link comes up when both ends
	// have joined the network and list each other.
	Peers []signal.NodeID
	// SendBufferBytes bounds the bytes queued towards each peer and not yet
	// handed to its receiver (NDB's SendBufferMemory, per peer).
	SendBufferBytes int
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// Receiver gets the frames received from every peer.
	Receiver transport.Receiver
}

// DefaultSendBufferBytes is the default per-peer send buffer, the same as
// the TCP transporter's so tests see the same back-pressure.
const DefaultSendBufferBytes = 8 << 20

// DefaultConfig returns a configuration with defaults; set Self, Peers and
// Receiver.
func DefaultConfig() Config {
	return Config{
		SendBufferBytes: DefaultSendBufferBytes, // NDB's SendBufferMemory order of magnitude
		Logger:          slog.Default(),
	}
}

// ErrConfig wraps every configuration problem Validate reports.
var ErrConfig = errors.New("inproc: invalid configuration")

// Validate reports the first problem with c. It never changes c.
func (c Config) Validate() error {
	if c.Self == 0 || c.Self > signal.MaxNodeID {
		return fmt.Errorf("%w: Self %d not in 1..%d", ErrConfig, c.Self, signal.MaxNodeID)
	}
	var seen [signal.MaxNodeID + 1]bool
	for _, p := range c.Peers {
		switch {
		case p == 0 || p > signal.MaxNodeID:
			return fmt.Errorf("%w: peer %d not in 1..%d", ErrConfig, p, signal.MaxNodeID)
		case p == c.Self:
			return fmt.Errorf("%w: node %d lists itself as a peer", ErrConfig, p)
		case seen[p]:
			return fmt.Errorf("%w: peer %d listed twice", ErrConfig, p)
		}
		seen[p] = true
	}
	if c.SendBufferBytes <= 0 {
		return fmt.Errorf("%w: SendBufferBytes %d must be positive", ErrConfig, c.SendBufferBytes)
	}
	if c.Receiver == nil {
		return fmt.Errorf("%w: no Receiver", ErrConfig)
	}
	return nil
}
