package grpcx

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/grpc/mem"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

func TestNextFrame(t *testing.T) {
	var w signal.FrameWriter
	a := append([]byte(nil), testFrame(&w, 0, 1, 2, 8)...)
	b := append([]byte(nil), testFrame(&w, 0, 2, 1, 0)...)
	ab := append(append([]byte(nil), a...), b...)
	badMagic := append([]byte(nil), a...)
	badMagic[0] = 'x'
	badVersion := append([]byte(nil), a...)
	badVersion[2] = 9
	for _, tc := range []struct {
		name   string
		msg    []byte
		frames [][]byte
		err    error
	}{
		{"one", a, [][]byte{a}, nil},
		{"two", ab, [][]byte{a, b}, nil},
		{"short header", a[:10], nil, signal.ErrMalformed},
		{"truncated", a[:len(a)-1], nil, signal.ErrMalformed},
		{"second truncated", ab[:len(ab)-1], [][]byte{a}, signal.ErrMalformed},
		{"bad magic", badMagic, nil, signal.ErrMalformed},
		{"bad version", badVersion, nil, signal.ErrVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [][]byte
			var err error
			for rest := tc.msg; len(rest) > 0 && err == nil; {
				var f []byte
				if f, rest, err = nextFrame(rest); err == nil {
					got = append(got, f)
				}
			}
			if !errors.Is(err, tc.err) || len(got) != len(tc.frames) {
				t.Fatalf("got %d frames, err %v; want %d, %v", len(got), err, len(tc.frames), tc.err)
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.frames[i]) {
					t.Fatalf("frame %d differs", i)
				}
			}
		})
	}
}

// countingPool records the chunks gRPC frees.
type countingPool struct{ puts int }

func (p *countingPool) Get(n int) *[]byte { b := make([]byte, n); return &b }
func (p *countingPool) Put(*[]byte)       { p.puts++ }

func TestCodec(t *testing.T) {
	c := rawCodec{}
	if c.Name() != "gondb-raw" {
		t.Fatalf("name %q", c.Name())
	}
	pool := &countingPool{}
	chunk := make([]byte, 0, 8<<10)
	chunk = append(chunk, "two frames, say"...)
	msg := outMsg{chunk: &chunk, pool: pool}
	data, err := c.Marshal(&msg)
	if err != nil || !msg.taken {
		t.Fatalf("Marshal: %v (taken %v)", err, msg.taken)
	}
	var in inMsg
	if err := c.Unmarshal(data, &in); err != nil || string(in.buf) != "two frames, say" {
		t.Fatalf("Unmarshal: %q, %v", in.buf, err)
	}
	data.Free()
	if pool.puts != 1 {
		t.Fatalf("chunk returned %d times after Free, want once", pool.puts)
	}
	// A message split over several buffers (as gRPC receives large ones).
	parts := mem.BufferSlice{mem.SliceBuffer("ab"), mem.SliceBuffer("cde")}
	if err := c.Unmarshal(parts, &in); err != nil || string(in.buf) != "abcde" {
		t.Fatalf("Unmarshal of parts: %q, %v", in.buf, err)
	}
	if _, err := c.Marshal([]byte("x")); err == nil {
		t.Fatal("Marshal of a foreign type succeeded")
	}
	if err := c.Unmarshal(parts, new([]byte)); err == nil {
		t.Fatal("Unmarshal into a foreign type succeeded")
	}
}

func TestChunkPool(t *testing.T) {
	p := newChunkPool(8 << 10)
	if c := p.Get(100); cap(*c) != 8<<10 || len(*c) != 0 {
		t.Fatalf("small chunk: len %d cap %d", len(*c), cap(*c))
	}
	big := p.Get(20 << 10)
	if cap(*big) != 20<<10 {
		t.Fatalf("big chunk cap %d", cap(*big))
	}
	p.Put(big) // not pooled: a Get never returns it
	for i := 0; i < 10; i++ {
		if c := p.Get(1); cap(*c) != 8<<10 {
			t.Fatalf("pool returned a chunk of cap %d", cap(*c))
		}
	}
}

// detachedPeer is a peer attached to a stream with no goroutines, so its
// queue can be driven by hand.
func detachedPeer(sendBuf, msgBytes int) (*Transporter, *peer, *stream) {
	t := &Transporter{chunks: newChunkPool(msgBytes)}
	t.cfg.SendBufferBytes = sendBuf
	t.cfg.MessageBytes = msgBytes
	p := &peer{t: t, id: 2, wake: make(chan struct{}, 1), state: transport.StateDisconnected}
	t.peers[2] = p
	t.ids = []signal.NodeID{2}
	s := &stream{done: make(chan struct{})}
	if err := p.attach(s); err != nil {
		panic(err)
	}
	return t, p, s
}

// TestQueueCoalesces: frames share a chunk until it is full; a frame larger
// than a chunk gets its own; the sender takes chunks oldest first; the
// buffer limit is exact.
func TestQueueCoalesces(t *testing.T) {
	const chunk = 8 << 10
	tr, p, s := detachedPeer(64<<10, chunk)
	var w signal.FrameWriter
	small := append([]byte(nil), testFrame(&w, 0, 0, 1, 1000)...) // 1,064 bytes
	big := append([]byte(nil), testFrame(&w, 0, 0, 1, 20<<10)...)
	perChunk := chunk / len(small)
	for i := 0; i < perChunk+1; i++ {
		if err := tr.Send(2, small); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Send(2, big); err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(2, small); err != nil {
		t.Fatal(err)
	}
	wantFrames := []int{perChunk, 1, 1, 1}
	wantBytes := []int{perChunk * len(small), len(small), len(big), len(small)}
	for i := range wantFrames {
		c, attached, ok := p.next(s)
		if !attached || !ok || c.frames != wantFrames[i] || len(*c.chunk) != wantBytes[i] {
			t.Fatalf("chunk %d: %d frames, %d bytes (ok %v); want %d, %d",
				i, c.frames, len(*c.chunk), ok, wantFrames[i], wantBytes[i])
		}
		for rest := *c.chunk; len(rest) > 0; {
			var f signal.Frame
			frame, r, err := nextFrame(rest)
			if err != nil || signal.ParseFrame(frame, &f) != nil {
				t.Fatalf("chunk %d does not split into frames: %v", i, err)
			}
			rest = r
		}
		p.written(len(*c.chunk))
	}
	if _, _, ok := p.next(s); ok || !p.idle {
		t.Fatal("queue not empty, or sender not marked idle")
	}
	if st := p.status(); st.SendBuffered != 0 {
		t.Fatalf("%d bytes still counted", st.SendBuffered)
	}

	// Fill to the byte: the frame that would pass the limit is refused.
	for p.status().SendBuffered+len(small) <= 64<<10 {
		if err := tr.Send(2, small); err != nil {
			t.Fatalf("at %d bytes: %v", p.status().SendBuffered, err)
		}
	}
	if err := tr.Send(2, small); !errors.Is(err, transport.ErrOverloaded) {
		t.Fatalf("over the limit: %v", err)
	}
	if st := p.status(); !st.Overloaded || st.OverloadCount != 1 {
		t.Fatalf("status %+v", st)
	}
	p.detach(s, nil)
	if st := p.status(); st.SendBuffered != 0 || st.Overloaded || st.State != transport.StateDisconnected {
		t.Fatalf("after detach: %+v", st)
	}
	if err := tr.Send(2, small); !errors.Is(err, transport.ErrNotConnected) {
		t.Fatalf("Send when detached: %v", err)
	}
}

// TestSendAllocatesNothing: on the steady path (chunks recycled, as gRPC
// does once it wrote them) Send and the sender's queue handling allocate
// nothing.
func TestSendAllocatesNothing(t *testing.T) {
	tr, p, s := detachedPeer(1<<20, 64<<10)
	var w signal.FrameWriter
	frame := append([]byte(nil), testFrame(&w, 0, 0, 64, 8)...)
	allocs := testing.AllocsPerRun(1000, func() {
		for i := 0; i < 4; i++ {
			if err := tr.Send(2, frame); err != nil {
				panic(err)
			}
		}
		c, _, _ := p.next(s)
		n := len(*c.chunk)
		tr.chunks.Put(c.chunk)
		p.written(n)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per round, want 0", allocs)
	}
}
