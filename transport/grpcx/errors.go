package grpcx

import (
	"errors"
	"fmt"

	"github.com/gondb/gondb/signal"
)

// ErrHandshake marks a stream refused during the hello: by the acceptor
// (unknown node, wrong direction, duplicate) or by the dialer (the acceptor
// is not the node it meant to reach).
var ErrHandshake = errors.New("grpcx: stream refused in handshake")

// Reasons for refusing a hello, logged and returned to the dialer.
var (
	errNoHello        = fmt.Errorf("%w: no node id in the hello", ErrHandshake)
	errBadNodeID      = fmt.Errorf("%w: node id is not a number in 1..%d", ErrHandshake, signal.MaxNodeID)
	errUnknownNode    = fmt.Errorf("%w: node is not a configured peer", ErrHandshake)
	errWrongTarget    = fmt.Errorf("%w: hello is addressed to another node", ErrHandshake)
	errWrongDirection = fmt.Errorf("%w: the higher node id dials the lower, not the reverse", ErrHandshake)
	errDuplicate      = fmt.Errorf("%w: the pair already has a stream", ErrHandshake)
	errClosing        = fmt.Errorf("%w: transporter is closing", ErrHandshake)
)

// Why a stream ends or a Send is refused for its bytes.
var (
	errEmptyMessage    = fmt.Errorf("%w: empty message", signal.ErrMalformed)
	errTruncated       = fmt.Errorf("%w: message ends inside a frame", signal.ErrMalformed)
	errFrameOverBuffer = fmt.Errorf("%w: frame larger than the whole send buffer (SendBufferBytes)", signal.ErrTooLarge)
	errHalfClosed      = errors.New("grpcx: peer closed its send side")
)
