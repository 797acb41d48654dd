package grpcx

import (
	"fmt"
	"sync"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	"github.com/gondb/gondb/signal"
)

// codecName is the content-subtype on the wire: application/grpc+gondb-raw.
const codecName = "gondb-raw"

// rawCodec passes bytes through: a message is one or more whole frames.
// It is stateless, so safe for gRPC's concurrent use. It is forced on both
// sides of every stream and never registered globally.
type rawCodec struct{}

var _ encoding.CodecV2 = rawCodec{}

func (rawCodec) Name() string { return codecName }

// Marshal hands gRPC the chunk of an outMsg. gRPC owns the reference from
// here on and returns the chunk to its pool when it has written it.
func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*outMsg)
	if !ok {
		return nil, fmt.Errorf("grpcx: codec cannot marshal %T", v)
	}
	m.taken = true
	return mem.BufferSlice{mem.NewBuffer(m.chunk, m.pool)}, nil
}

// Unmarshal copies the message into the inMsg's reusable buffer: gRPC frees
// data when Unmarshal returns, and the frames must stay contiguous for
// signal.ParseFrame.
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*inMsg)
	if !ok {
		return fmt.Errorf("grpcx: codec cannot unmarshal into %T", v)
	}
	n := data.Len()
	if cap(m.buf) < n {
		m.buf = make([]byte, n)
	}
	m.buf = m.buf[:n]
	data.CopyTo(m.buf)
	return nil
}

// outMsg is one message on its way out: a chunk of queued frames.
type outMsg struct {
	chunk *[]byte
	pool  mem.BufferPool
	// taken: Marshal passed the chunk to gRPC, which frees it. When
	// SendMsg fails before marshaling, the sender frees it instead.
	taken bool
}

// inMsg is the receive side's reusable message buffer.
type inMsg struct{ buf []byte }

// recvRetainBytes: a receive buffer grown past this by a rare huge frame is
// dropped after use rather than pinned for the stream's life.
const recvRetainBytes = 1 << 20

// chunkPool recycles send-queue chunks of exactly size bytes of capacity.
// It is the mem.BufferPool gRPC frees written chunks to; larger one-frame
// chunks are left to the garbage collector.
type chunkPool struct {
	size int
	pool sync.Pool
}

var _ mem.BufferPool = (*chunkPool)(nil)

func newChunkPool(size int) *chunkPool {
	p := &chunkPool{size: size}
	p.pool.New = func() any {
		b := make([]byte, 0, size)
		return &b
	}
	return p
}

// Get returns an empty chunk that can hold n bytes.
func (p *chunkPool) Get(n int) *[]byte {
	if n > p.size {
		b := make([]byte, 0, n)
		return &b
	}
	b := p.pool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// Put takes a chunk back (from gRPC once written, or from a dropped queue).
func (p *chunkPool) Put(b *[]byte) {
	if cap(*b) != p.size {
		return
	}
	*b = (*b)[:0]
	p.pool.Put(b)
}

// nextFrame cuts the first frame off msg. It checks only that the header is
// a frame header and that the whole frame is there; the caller validates
// the frame itself with signal.ParseFrame.
func nextFrame(msg []byte) (frame, rest []byte, err error) {
	h, err := signal.ParseFrameHeader(msg)
	if err == signal.ErrShortBuffer {
		return nil, msg, errTruncated // a message holds whole frames only
	}
	if err != nil {
		return nil, msg, err
	}
	n := signal.FrameHeaderSize + h.PayloadLen
	if n > len(msg) {
		return nil, msg, errTruncated
	}
	return msg[:n], msg[n:], nil
}
