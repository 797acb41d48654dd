package signal

import (
	"errors"
	"fmt"
)

// Number identifies a signal's meaning (NDB's GSN). Numbers are wire values:
// each is an explicit constant in the package that defines it, never iota,
// and a retired number is never reused.
type Number uint16

// BlockID names a kind of block (TC, LQH, DIH, ...). Wire value.
type BlockID uint16

// NodeID names a node of the cluster (1..MaxNodeID). 0 means "this node" in
// an address given to the local runtime.
type NodeID uint16

// Address names one block instance on one node.
type Address struct {
	Node     NodeID
	Block    BlockID
	Instance uint16
}

func (a Address) String() string {
	return fmt.Sprintf("%d/%d.%d", a.Node, a.Block, a.Instance)
}

// Limits of the format, checked on decode before any length is used.
const (
	MaxWords        = 25       // fixed words per signal, as NDB
	MaxSections     = 3        // e.g. key, attribute info, row data
	MaxSectionBytes = 1 << 20  // one section
	MaxFrameBytes   = 16 << 20 // one frame's payload
	MaxNodeID       = 255
)

// Signal is one message. The zero value is an empty signal; set Number,
// Sender, Receiver and the words and sections you need. Section slices are
// borrowed: Encode copies them, Decode points them into the frame buffer.
//
// The fields up to Words are in wire order and Go lays them out exactly as
// the wire header (24 bytes, then the words): on little-endian hosts the
// codec copies header and words in one move. TestSignalLayoutMatchesWire
// pins this; do not reorder them.
type Signal struct {
	Number   Number
	NumWords uint8
	NumSects uint8
	Sender   Address
	Receiver Address
	// TransID is the transaction id (or a trace id) the signal belongs to.
	TransID  uint64
	Words    [MaxWords]uint32
	Sections [MaxSections][]byte
}

// SetWords sets the fixed words (at most MaxWords; extra words panic, a bug).
func (s *Signal) SetWords(w ...uint32) {
	if len(w) > MaxWords {
		panic(fmt.Sprintf("signal: %d words, at most %d", len(w), MaxWords))
	}
	s.NumWords = uint8(copy(s.Words[:], w))
}

// AddSection appends a section (it is not copied until Encode).
func (s *Signal) AddSection(b []byte) {
	if int(s.NumSects) == MaxSections {
		panic(fmt.Sprintf("signal: more than %d sections", MaxSections))
	}
	s.Sections[s.NumSects] = b
	s.NumSects++
}

// Section returns section i, or nil when the signal has fewer.
func (s *Signal) Section(i int) []byte {
	if i >= int(s.NumSects) {
		return nil
	}
	return s.Sections[i]
}

// Reset clears the signal for reuse.
func (s *Signal) Reset() { *s = Signal{} }

// EncodedSize is the number of bytes Encode appends for s.
func (s *Signal) EncodedSize() int {
	n := signalHeaderSize + 4*int(s.NumWords) + 4*int(s.NumSects)
	for i := 0; i < int(s.NumSects); i++ {
		n += len(s.Sections[i])
	}
	return n
}

// Errors. ErrMalformed means the bytes cannot be a frame of this format;
// the peer that sent them is broken or hostile.
var (
	ErrMalformed   = errors.New("signal: malformed frame")
	ErrVersion     = errors.New("signal: unsupported frame version")
	ErrChecksum    = errors.New("signal: frame checksum mismatch")
	ErrTooLarge    = errors.New("signal: signal or frame exceeds the format's limits")
	ErrShortBuffer = errors.New("signal: buffer holds less than a whole frame")
)
