package signal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"unsafe"
)

// Format versions: an ordered list; every version a node can read stays
// readable (see MinSupportedVersion).
const (
	Version1            = 1
	CurrentVersion      = Version1
	MinSupportedVersion = Version1
)

const (
	magic0, magic1   = 'g', 'S'
	FrameHeaderSize  = 16
	signalHeaderSize = 24
)

// Frame flags.
const (
	// FlagChecksum: the header's checksum field holds the payload's CRC32C.
	// Off by default, as NDB's transporter Checksum parameter: TCP and TLS
	// already protect the bytes; turn it on to catch memory or NIC faults.
	FlagChecksum = 1 << 0
	knownFlags   = FlagChecksum
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// hostLittleEndian: words can be copied as bytes, since the wire is
// little-endian too. Big-endian hosts convert word by word.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// headBytes views s's header fields and first nw words as their wire bytes
// (little-endian hosts only: see Signal's layout comment).
func headBytes(s *Signal, nw int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), signalHeaderSize+4*nw)
}

// AppendSignal appends s's encoding to dst. It checks the limits and
// returns ErrTooLarge without appending when s exceeds them.
func AppendSignal(dst []byte, s *Signal) ([]byte, error) {
	size, err := encodedSize(s)
	if err != nil {
		return dst, err
	}
	return appendSized(dst, s, size), nil
}

// encodedSize checks s against the limits and returns its encoded size.
func encodedSize(s *Signal) (int, error) {
	nw, ns := int(s.NumWords), int(s.NumSects)
	if nw > MaxWords || ns > MaxSections {
		return 0, ErrTooLarge
	}
	size := signalHeaderSize + 4*nw + 4*ns
	for i := 0; i < ns; i++ {
		if len(s.Sections[i]) > MaxSectionBytes {
			return 0, ErrTooLarge
		}
		size += len(s.Sections[i])
	}
	return size, nil
}

// appendSized encodes s, whose checked size is size, at the end of dst.
func appendSized(dst []byte, s *Signal, size int) []byte {
	nw, ns := int(s.NumWords), int(s.NumSects)
	// Grow once, then store in place: one capacity check per signal.
	n := len(dst)
	if cap(dst)-n < size {
		dst = append(dst[:cap(dst)], make([]byte, n+size-cap(dst))...)
	}
	dst = dst[:n+size]
	b := dst[n:]
	if hostLittleEndian {
		// Header and words in one move; NumWords/NumSects are stored as
		// given (checked by encodedSize).
		copy(b, headBytes(s, nw))
	} else {
		binary.LittleEndian.PutUint16(b[0:], uint16(s.Number))
		b[2], b[3] = uint8(nw), uint8(ns)
		putAddr(b[4:], s.Sender)
		putAddr(b[10:], s.Receiver)
		binary.LittleEndian.PutUint64(b[16:], s.TransID)
		for i := 0; i < nw; i++ {
			binary.LittleEndian.PutUint32(b[signalHeaderSize+4*i:], s.Words[i])
		}
	}
	p := b[signalHeaderSize+4*nw:]
	for i := 0; i < ns; i++ {
		binary.LittleEndian.PutUint32(p[4*i:], uint32(len(s.Sections[i])))
	}
	p = p[4*ns:]
	for i := 0; i < ns; i++ {
		p = p[copy(p, s.Sections[i]):]
	}
	return dst
}

func putAddr(b []byte, a Address) {
	binary.LittleEndian.PutUint16(b[0:], uint16(a.Node))
	binary.LittleEndian.PutUint16(b[2:], uint16(a.Block))
	binary.LittleEndian.PutUint16(b[4:], a.Instance)
}

func getAddr(b []byte) Address {
	return Address{
		Node:     NodeID(binary.LittleEndian.Uint16(b[0:])),
		Block:    BlockID(binary.LittleEndian.Uint16(b[2:])),
		Instance: binary.LittleEndian.Uint16(b[4:]),
	}
}

// DecodeSignal decodes one signal from the front of b into s and returns
// the rest of b. Sections point into b. It never allocates and never reads
// past b; any inconsistency is ErrMalformed.
func DecodeSignal(b []byte, s *Signal) (rest []byte, err error) {
	if len(b) < signalHeaderSize {
		return b, ErrMalformed
	}
	nw, ns := b[2], b[3]
	if nw > MaxWords || ns > MaxSections {
		return b, ErrMalformed
	}
	p := b[signalHeaderSize:]
	need := 4*int(nw) + 4*int(ns)
	if len(p) < need {
		return b, ErrMalformed
	}
	if hostLittleEndian {
		copy(headBytes(s, int(nw)), b)
	} else {
		s.Number = Number(binary.LittleEndian.Uint16(b[0:]))
		s.Sender = getAddr(b[4:])
		s.Receiver = getAddr(b[10:])
		s.TransID = binary.LittleEndian.Uint64(b[16:])
		for i := 0; i < int(nw); i++ {
			s.Words[i] = binary.LittleEndian.Uint32(p[4*i:])
		}
	}
	s.NumWords = nw
	lens := p[4*int(nw):]
	p = p[need:]
	for i := 0; i < int(ns); i++ {
		n := binary.LittleEndian.Uint32(lens[4*i:])
		if n > MaxSectionBytes || uint64(n) > uint64(len(p)) {
			return b, ErrMalformed
		}
		s.Sections[i] = p[:n:n]
		p = p[n:]
	}
	for i := int(ns); i < MaxSections; i++ {
		s.Sections[i] = nil
	}
	s.NumSects = ns
	return p, nil
}

// skipSignal validates the signal at the front of b as DecodeSignal would,
// without decoding it, and returns the rest of b.
func skipSignal(b []byte) ([]byte, error) {
	if len(b) < signalHeaderSize {
		return b, ErrMalformed
	}
	nw, ns := int(b[2]), int(b[3])
	if nw > MaxWords || ns > MaxSections {
		return b, ErrMalformed
	}
	p := b[signalHeaderSize:]
	need := 4*nw + 4*ns
	if len(p) < need {
		return b, ErrMalformed
	}
	lens := p[4*nw : need]
	p = p[need:]
	for i := 0; i < ns; i++ {
		n := binary.LittleEndian.Uint32(lens[4*i:])
		if n > MaxSectionBytes || uint64(n) > uint64(len(p)) {
			return b, ErrMalformed
		}
		p = p[n:]
	}
	return p, nil
}

// FrameWriter builds frames in a reusable buffer: Reset, Add signals, then
// Bytes (which finishes the header). Not safe for concurrent use.
type FrameWriter struct {
	buf   []byte
	count int
	// Checksum makes Bytes compute a CRC32C of the payload (FlagChecksum).
	Checksum bool
}

// Reset starts a new frame, keeping the buffer.
func (w *FrameWriter) Reset() {
	if cap(w.buf) < FrameHeaderSize {
		w.buf = make([]byte, FrameHeaderSize, 64<<10)
	}
	w.buf = w.buf[:FrameHeaderSize]
	w.count = 0
}

// Add appends a signal to the frame. It returns ErrTooLarge (and adds
// nothing) when the signal is over the limits or the frame would exceed
// MaxFrameBytes or 65535 signals: flush and start a new frame.
func (w *FrameWriter) Add(s *Signal) error {
	if w.buf == nil {
		w.Reset()
	}
	size, err := encodedSize(s)
	if err != nil {
		return err
	}
	if w.count == 0xFFFF || len(w.buf)-FrameHeaderSize > MaxFrameBytes-size {
		return ErrTooLarge
	}
	w.buf = appendSized(w.buf, s, size)
	w.count++
	return nil
}

// AddEncoded appends one signal already in wire form (View.Bytes of a
// validated frame), to route received signals onward without re-encoding.
func (w *FrameWriter) AddEncoded(b []byte) error {
	if w.buf == nil {
		w.Reset()
	}
	if w.count == 0xFFFF || len(w.buf)-FrameHeaderSize > MaxFrameBytes-len(b) {
		return ErrTooLarge
	}
	w.buf = append(w.buf, b...)
	w.count++
	return nil
}

// Len is the number of signals in the frame.
func (w *FrameWriter) Len() int { return w.count }

// Size is the frame's size in bytes so far, header included.
func (w *FrameWriter) Size() int {
	if w.buf == nil {
		return FrameHeaderSize
	}
	return len(w.buf)
}

// Bytes finishes the frame and returns it; valid until the next Reset or Add.
func (w *FrameWriter) Bytes() []byte {
	if w.buf == nil {
		w.Reset()
	}
	h := w.buf[:FrameHeaderSize]
	h[0], h[1], h[2], h[3] = magic0, magic1, CurrentVersion, 0
	binary.LittleEndian.PutUint16(h[4:], uint16(w.count))
	binary.LittleEndian.PutUint16(h[6:], 0)
	payload := w.buf[FrameHeaderSize:]
	binary.LittleEndian.PutUint32(h[8:], uint32(len(payload)))
	sum := uint32(0)
	if w.Checksum {
		h[3] = FlagChecksum
		sum = crc32.Checksum(payload, castagnoli)
	}
	binary.LittleEndian.PutUint32(h[12:], sum)
	return w.buf
}

// FrameHeader is a decoded frame header.
type FrameHeader struct {
	Version    uint8
	Flags      uint8
	Count      int
	PayloadLen int
	Checksum   uint32
}

// ParseFrameHeader validates the fixed header at the front of b (which must
// hold at least FrameHeaderSize bytes; use it to learn how much to read).
func ParseFrameHeader(b []byte) (FrameHeader, error) {
	if len(b) < FrameHeaderSize {
		return FrameHeader{}, ErrShortBuffer
	}
	if b[0] != magic0 || b[1] != magic1 {
		return FrameHeader{}, ErrMalformed
	}
	h := FrameHeader{Version: b[2], Flags: b[3], Count: int(binary.LittleEndian.Uint16(b[4:])),
		PayloadLen: int(binary.LittleEndian.Uint32(b[8:])), Checksum: binary.LittleEndian.Uint32(b[12:])}
	if h.Version < MinSupportedVersion || h.Version > CurrentVersion {
		return h, ErrVersion
	}
	if h.Flags&^knownFlags != 0 || binary.LittleEndian.Uint16(b[6:]) != 0 {
		return h, ErrMalformed
	}
	if h.PayloadLen > MaxFrameBytes {
		return h, ErrTooLarge
	}
	// Each signal needs at least its header: a count the payload cannot
	// hold is a lie, refused before any work.
	if h.Count*signalHeaderSize > h.PayloadLen {
		return h, ErrMalformed
	}
	return h, nil
}

// CheckWhole checks that b is exactly one frame as its header describes it
// (header valid, length matching), without reading the signals: what a
// transporter checks before queueing bytes to write to a stream, where a
// wrong length would desynchronize the peer's reader.
func CheckWhole(b []byte) error {
	h, err := ParseFrameHeader(b)
	if err != nil {
		return err
	}
	if len(b) != FrameHeaderSize+h.PayloadLen {
		return fmt.Errorf("%w: %d bytes, header says %d", ErrMalformed, len(b), FrameHeaderSize+h.PayloadLen)
	}
	return nil
}

// Frame is a validated frame whose signals can be read one by one.
type Frame struct {
	Header  FrameHeader
	payload []byte
	left    int
}

// ParseFrame validates a whole frame (header, checksum, and that every
// signal decodes and exactly fills the payload) without allocating. After
// it succeeds, Next cannot fail.
func ParseFrame(b []byte, f *Frame) error {
	h, err := ParseFrameHeader(b)
	if err != nil {
		return err
	}
	if len(b) != FrameHeaderSize+h.PayloadLen {
		return fmt.Errorf("%w: frame of %d bytes, header says %d", ErrMalformed, len(b), FrameHeaderSize+h.PayloadLen)
	}
	payload := b[FrameHeaderSize:]
	if h.Flags&FlagChecksum != 0 && crc32.Checksum(payload, castagnoli) != h.Checksum {
		return ErrChecksum
	}
	if h.Flags&FlagChecksum == 0 && h.Checksum != 0 {
		return ErrMalformed
	}
	p := payload
	for i := 0; i < h.Count; i++ {
		if p, err = skipSignal(p); err != nil {
			return err
		}
	}
	if len(p) != 0 {
		return ErrMalformed
	}
	*f = Frame{Header: h, payload: payload, left: h.Count}
	return nil
}

// OpenTrusted reads a frame that this process built with a FrameWriter
// (a hand-off between its own threads): only the header is checked. Never
// use it on bytes from a socket; ParseFrame those.
func OpenTrusted(b []byte, f *Frame) error {
	h, err := ParseFrameHeader(b)
	if err != nil {
		return err
	}
	if len(b) != FrameHeaderSize+h.PayloadLen {
		return ErrMalformed
	}
	*f = Frame{Header: h, payload: b[FrameHeaderSize:], left: h.Count}
	return nil
}

// Next decodes the next signal into s; false when the frame is exhausted.
func (f *Frame) Next(s *Signal) bool {
	if f.left == 0 {
		return false
	}
	rest, err := DecodeSignal(f.payload, s)
	if err != nil {
		panic("signal: frame changed after ParseFrame validated it")
	}
	f.payload = rest
	f.left--
	return true
}
