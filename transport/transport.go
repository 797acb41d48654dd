package transport

import (
	"errors"
	"fmt"

	"github.com/gondb/gondb/signal"
)

// Receiver takes the frames a transporter receives. Frame is called on the
// transporter's receive goroutine for that peer, one frame at a time per
// peer; f and the bytes it points into are valid only until Frame returns
// (copy what must outlive it). It must not block for long: a slow receiver
// stalls that peer's connection, which is the back-pressure.
type Receiver interface {
	Frame(from signal.NodeID, f *signal.Frame)
}

// Transporter sends frames to peers and delivers theirs to a Receiver.
// Send is safe for concurrent use by many goroutines.
type Transporter interface {
	// Send queues one finished frame (signal.FrameWriter.Bytes) for peer to.
	// The bytes are copied before Send returns. It never blocks on the
	// network: when the peer's send buffer (Config.SendBufferBytes) cannot
	// take the frame it returns ErrOverloaded, a temporary error the sender
	// handles by retrying later or failing the operation; when the peer is
	// not connected it returns ErrNotConnected.
	Send(to signal.NodeID, frame []byte) error
	// Peers reports every configured peer's connection state and counters.
	Peers() []PeerStatus
	// Close stops the transporter: connections close, Send fails with
	// ErrClosed, goroutines exit before Close returns.
	Close() error
}

// ConnectCounter is implemented by transporters that tell cheaply how many
// connections to a peer have been established. Two equal reads mean the
// connection did not drop in between; a peer that restarted and connected
// again between two looks at Peers would otherwise go unnoticed. The count
// is raised before a new connection carries its first frame, so a count
// read before Send never belongs to an older connection than the one the
// frame goes out on.
type ConnectCounter interface {
	ConnectCount(to signal.NodeID) uint64
}

// State is a peer connection's state. The numbers are reported by ndbinfo.
type State uint8

const (
	StateDisconnected State = 0 // no connection; the dialing side retries with backoff
	StateConnecting   State = 1 // dialing, handshaking (TLS, node ids)
	StateConnected    State = 2 // frames flow
	StateClosed       State = 3 // the transporter is closed
)

func (s State) String() string {
	switch s {
	case StateDisconnected:
		return "DISCONNECTED"
	case StateConnecting:
		return "CONNECTING"
	case StateConnected:
		return "CONNECTED"
	case StateClosed:
		return "CLOSED"
	}
	return fmt.Sprintf("State(%d)", s)
}

// PeerStatus is one peer's connection as ndbinfo.transporters shows it.
// Counters are 64-bit and only grow.
type PeerStatus struct {
	Node          signal.NodeID
	State         State
	RemoteAddress string
	BytesSent     uint64
	BytesReceived uint64
	FramesSent    uint64
	FramesRecv    uint64
	ConnectCount  uint64 // connections established over the transporter's life
	Overloaded    bool   // the send buffer is over its limit right now
	OverloadCount uint64 // Sends refused with ErrOverloaded
	SendBuffered  int    // bytes queued and not yet written
	LastError     string // why the last connection ended, if it did
}

// Errors returned by Send. ErrOverloaded and ErrNotConnected are temporary:
// the same frame may be sent later.
var (
	ErrOverloaded   = errors.New("transport: send buffer full (SendBufferMemory)")
	ErrNotConnected = errors.New("transport: peer not connected")
	ErrUnknownPeer  = errors.New("transport: node is not a configured peer")
	ErrClosed       = errors.New("transport: transporter closed")
)

// Temporary reports whether err from Send may go away by itself.
func Temporary(err error) bool {
	return errors.Is(err, ErrOverloaded) || errors.Is(err, ErrNotConnected)
}
