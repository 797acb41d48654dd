package tcp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gondb/gondb/signal"
)

// The hello is the first thing each side writes on a new connection (after
// the TLS handshake when TLS is on); frames follow it. All integers are
// little-endian:
//
//	| magic "gTCP" (4B) | version (2B) | sender node (2B) | receiver node (2B) | reserved, zero (6B) |
//
// The dialing side (the higher node id) writes first; the accepting side
// checks the hello and answers with its own. Either side closes a
// connection whose hello is wrong.
const (
	HelloSize = 16
	// HelloVersion1 is the first protocol version: signal frames
	// (signal.Version1) after the hello, empty frames as heartbeats.
	HelloVersion1       = 1
	HelloVersion        = HelloVersion1
	MinHelloVersion     = HelloVersion1
	helloMagic          = "gTCP"
	helloReservedOffset = 10
)

// ErrHandshake wraps every reason a connection is refused while it is
// being set up: a wrong hello, an unknown node, a duplicate connection.
var ErrHandshake = errors.New("tcp: connection refused in handshake")

type hello struct {
	Version  uint16
	Sender   signal.NodeID
	Receiver signal.NodeID
}

func appendHello(dst []byte, h hello) []byte {
	dst = append(dst, helloMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, h.Version)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(h.Sender))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(h.Receiver))
	return append(dst, 0, 0, 0, 0, 0, 0)
}

// parseHello validates b as a hello: magic, a version this node speaks,
// zero reserved bytes and node ids in range. Which ids are acceptable is
// the caller's decision.
func parseHello(b []byte) (hello, error) {
	if len(b) != HelloSize {
		return hello{}, fmt.Errorf("%w: hello of %d bytes", ErrHandshake, len(b))
	}
	if string(b[:4]) != helloMagic {
		return hello{}, fmt.Errorf("%w: bad magic % x", ErrHandshake, b[:4])
	}
	h := hello{
		Version:  binary.LittleEndian.Uint16(b[4:]),
		Sender:   signal.NodeID(binary.LittleEndian.Uint16(b[6:])),
		Receiver: signal.NodeID(binary.LittleEndian.Uint16(b[8:])),
	}
	if h.Version < MinHelloVersion || h.Version > HelloVersion {
		return hello{}, fmt.Errorf("%w: protocol version %d, this node speaks %d..%d", ErrHandshake, h.Version, MinHelloVersion, HelloVersion)
	}
	for _, r := range b[helloReservedOffset:] {
		if r != 0 {
			return hello{}, fmt.Errorf("%w: reserved hello bytes set", ErrHandshake)
		}
	}
	for _, id := range []signal.NodeID{h.Sender, h.Receiver} {
		if id == 0 || id > signal.MaxNodeID {
			return hello{}, fmt.Errorf("%w: node id %d out of range", ErrHandshake, id)
		}
	}
	return h, nil
}
