package grpcx

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// msgStream is what both ends of a gRPC stream offer: grpc.ClientStream
// and grpc.ServerStream.
type msgStream interface {
	Context() context.Context
	SendMsg(m any) error
	RecvMsg(m any) error
}

// stream is one established Frames stream with a peer.
type stream struct {
	io     msgStream
	remote string
	// done is closed when the stream is ending: the sender stops.
	done chan struct{}
	// abort ends the stream even while SendMsg or RecvMsg is blocked:
	// the dialer cancels the stream's context; the acceptor, which cannot
	// cancel its handler's context, closes the connection under it.
	abort func()
}

// pending is one chunk of the send queue: frames back to back.
type pending struct {
	chunk  *[]byte
	frames int
}

// peer is one configured node: its connection state, send queue and
// counters. The stream it is attached to changes over reconnects.
type peer struct {
	t     *Transporter
	id    signal.NodeID
	addr  string // configured address; "" for a higher id that dials us
	dials bool   // this node dials the peer (Self > id)
	cc    *grpc.ClientConn

	// wake has room for one token: Send leaves one when it queues for an
	// idle sender.
	wake chan struct{}

	mu         sync.Mutex
	state      transport.State
	cur        *stream   // attached stream; nil when none
	queue      []pending // queue[head:] waits for the sender, oldest first
	head       int
	buffered   int  // bytes queued plus the chunk being written
	idle       bool // the sender waits on wake
	overloaded bool
	remote     string
	lastErr    string
	connects   uint64
	overloads  uint64

	bytesSent, framesSent atomic.Uint64
	bytesRecv, framesRecv atomic.Uint64
}

// enqueue copies frame into the send queue, appending to the newest chunk
// when it has room.
func (p *peer) enqueue(frame []byte) error {
	n := len(frame)
	limit := p.t.cfg.SendBufferBytes
	p.mu.Lock()
	switch {
	case p.state == transport.StateClosed:
		p.mu.Unlock()
		return transport.ErrClosed
	case p.cur == nil:
		p.mu.Unlock()
		return transport.ErrNotConnected
	case n > limit:
		p.mu.Unlock()
		return errFrameOverBuffer
	case p.buffered+n > limit:
		p.overloads++
		p.overloaded = true
		p.mu.Unlock()
		return transport.ErrOverloaded
	}
	if k := len(p.queue); k > p.head && cap(*p.queue[k-1].chunk)-len(*p.queue[k-1].chunk) >= n {
		last := &p.queue[k-1]
		*last.chunk = append(*last.chunk, frame...)
		last.frames++
	} else {
		c := p.t.chunks.Get(n)
		*c = append(*c, frame...)
		p.queue = append(p.queue, pending{chunk: c, frames: 1})
	}
	p.buffered += n
	wake := p.idle
	p.idle = false
	p.mu.Unlock()
	if wake {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// next takes the oldest chunk for s's sender. ok is false when the queue
// is empty (the sender is then marked idle) or s is no longer attached.
func (p *peer) next(s *stream) (c pending, attached, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != s {
		return pending{}, false, false
	}
	if p.head == len(p.queue) {
		p.idle = true
		return pending{}, true, false
	}
	c = p.queue[p.head]
	p.queue[p.head] = pending{}
	p.head++
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	}
	return c, true, true
}

// written accounts for a chunk the sender has handed to gRPC (or failed to).
func (p *peer) written(n int) {
	p.mu.Lock()
	p.buffered -= n
	if p.overloaded && p.buffered <= p.t.cfg.SendBufferBytes/2 {
		p.overloaded = false
	}
	p.mu.Unlock()
}

// sendLoop writes queued chunks to s, one message each, until s ends.
func (p *peer) sendLoop(s *stream) error {
	msg := outMsg{pool: p.t.chunks}
	for {
		c, attached, ok := p.next(s)
		if !attached {
			return nil
		}
		if !ok {
			select {
			case <-p.wake:
				continue
			case <-s.done:
				return nil
			}
		}
		n := len(*c.chunk)
		msg.chunk, msg.taken = c.chunk, false
		err := s.io.SendMsg(&msg)
		if !msg.taken {
			p.t.chunks.Put(c.chunk)
		}
		msg.chunk = nil
		p.written(n)
		if err != nil {
			return err
		}
		p.bytesSent.Add(uint64(n))
		p.framesSent.Add(uint64(c.frames))
	}
}

// recvLoop splits each message into frames, validates them and hands them to
// the Receiver, until the stream fails or a message is malformed.
func (p *peer) recvLoop(s *stream) error {
	var (
		msg inMsg
		f   signal.Frame
		rcv = p.t.cfg.Receiver
	)
	for {
		if err := s.io.RecvMsg(&msg); err != nil {
			if err == io.EOF {
				return errHalfClosed
			}
			return err
		}
		b := msg.buf
		if len(b) == 0 {
			return errEmptyMessage
		}
		for len(b) > 0 {
			frame, rest, err := nextFrame(b)
			if err == nil {
				err = signal.ParseFrame(frame, &f)
			}
			if err != nil {
				return err
			}
			p.framesRecv.Add(1)
			rcv.Frame(p.id, &f)
			b = rest
		}
		p.bytesRecv.Add(uint64(len(msg.buf)))
		if cap(msg.buf) > recvRetainBytes {
			msg.buf = nil
		}
	}
}

// attach makes s the peer's stream; it fails when the peer already has one
// or the transporter is closing.
func (p *peer) attach(s *stream) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.state == transport.StateClosed:
		return errClosing
	case p.cur != nil:
		return errDuplicate
	}
	p.cur = s
	p.state = transport.StateConnected
	p.remote = s.remote
	p.connects++
	p.idle = false // the sender looks at the queue before it first waits
	return nil
}

// run carries frames both ways over an attached stream until it ends, then
// detaches it. It returns why the stream ended.
func (p *peer) run(s *stream) error {
	sendErr := make(chan error, 1)
	go func() {
		err := p.sendLoop(s)
		if err != nil {
			s.abort() // unblock recvLoop
		}
		sendErr <- err
	}()
	err := p.recvLoop(s)
	close(s.done)
	if s.io.Context().Err() == nil {
		s.abort() // the stream is still up: end it, so a blocked SendMsg returns
	}
	if serr := <-sendErr; serr != nil && serr != io.EOF {
		err = serr // it failed first and aborted the receive side
	}
	p.detach(s, err)
	return err
}

// detach ends s's attachment: the queue is dropped, the state goes back to
// disconnected (unless closed) and err is kept as the last error.
func (p *peer) detach(s *stream, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != s {
		return
	}
	p.cur = nil
	if p.state != transport.StateClosed {
		p.state = transport.StateDisconnected
	}
	for i := p.head; i < len(p.queue); i++ {
		p.t.chunks.Put(p.queue[i].chunk)
		p.queue[i] = pending{}
	}
	p.queue, p.head = p.queue[:0], 0
	p.buffered = 0
	p.overloaded = false
	if err != nil {
		p.lastErr = err.Error()
	}
}

// setState records a dialer's progress; a connected or closed peer keeps
// its state.
func (p *peer) setState(st transport.State, err error) {
	p.mu.Lock()
	if p.cur == nil && p.state != transport.StateClosed {
		p.state = st
	}
	if err != nil {
		p.lastErr = err.Error()
	}
	p.mu.Unlock()
}

func (p *peer) status() transport.PeerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	remote := p.remote
	if remote == "" {
		remote = p.addr
	}
	return transport.PeerStatus{
		Node:          p.id,
		State:         p.state,
		RemoteAddress: remote,
		BytesSent:     p.bytesSent.Load(),
		BytesReceived: p.bytesRecv.Load(),
		FramesSent:    p.framesSent.Load(),
		FramesRecv:    p.framesRecv.Load(),
		ConnectCount:  p.connects,
		Overloaded:    p.overloaded,
		OverloadCount: p.overloads,
		SendBuffered:  p.buffered,
		LastError:     p.lastErr,
	}
}
