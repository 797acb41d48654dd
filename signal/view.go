package signal

import "encoding/binary"

// View reads a signal where it lies in a frame, without copying it: the
// receive path hands Views to handlers, which read the words and sections
// they need. A View is valid while the frame's buffer is; Decode copies it
// into a Signal when it must outlive that.
type View struct {
	b        []byte // the signal's bytes: header, words, section lengths, sections
	sections [MaxSections][]byte
}

// NextView reads the next signal of the frame into v; false when the frame
// is exhausted. The frame was validated by ParseFrame, so this cannot fail.
func (f *Frame) NextView(v *View) bool {
	if f.left == 0 {
		return false
	}
	b := f.payload
	nw, ns := int(b[2]), int(b[3])
	p := signalHeaderSize + 4*nw
	data := p + 4*ns
	for i := 0; i < ns; i++ {
		n := int(binary.LittleEndian.Uint32(b[p+4*i:]))
		v.sections[i] = b[data : data+n : data+n]
		data += n
	}
	v.b = b[:data:data]
	f.payload = b[data:]
	f.left--
	return true
}

// Number is the signal number.
func (v *View) Number() Number { return Number(binary.LittleEndian.Uint16(v.b)) }

// Sender is the sending block's address.
func (v *View) Sender() Address { return getAddr(v.b[4:]) }

// Receiver is the receiving block's address.
func (v *View) Receiver() Address { return getAddr(v.b[10:]) }

// TransID is the transaction or trace id.
func (v *View) TransID() uint64 { return binary.LittleEndian.Uint64(v.b[16:]) }

// NumWords is the number of fixed words.
func (v *View) NumWords() int { return int(v.b[2]) }

// Word returns word i (0 when the signal has fewer words).
func (v *View) Word(i int) uint32 {
	if i >= int(v.b[2]) {
		return 0
	}
	return binary.LittleEndian.Uint32(v.b[signalHeaderSize+4*i:])
}

// NumSections is the number of sections.
func (v *View) NumSections() int { return int(v.b[3]) }

// Section returns section i (nil when the signal has fewer).
func (v *View) Section(i int) []byte {
	if i >= int(v.b[3]) {
		return nil
	}
	return v.sections[i]
}

// Bytes is the signal's encoding (to forward it unchanged).
func (v *View) Bytes() []byte { return v.b }

// Decode copies the view's header and words into s; sections still point
// into the frame's buffer.
func (v *View) Decode(s *Signal) {
	if _, err := DecodeSignal(v.b, s); err != nil {
		panic("signal: view of a validated frame does not decode")
	}
}
