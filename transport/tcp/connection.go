package tcp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// connection is one established connection to a peer. Its reader runs on
// the goroutine that set it up (run), its writer on a goroutine of its own;
// closing raw stops both.
type connection struct {
	t   *Transporter
	p   *peer
	raw net.Conn // the socket
	rw  net.Conn // raw, or the TLS connection over it

	done       chan struct{} // closed when the reader has ended
	writerDone chan struct{}
	errOnce    sync.Once
	err        error // the first reason the connection ended
}

func newConnection(t *Transporter, p *peer, raw, rw net.Conn) *connection {
	return &connection{t: t, p: p, raw: raw, rw: rw, done: make(chan struct{}), writerDone: make(chan struct{})}
}

// fail records why the connection ends (the first reason wins) and closes
// the socket, which ends the reader and the writer.
func (c *connection) fail(err error) {
	c.errOnce.Do(func() { c.err = err })
	c.raw.Close()
}

// run makes c the peer's live connection and serves it until it ends.
func (t *Transporter) run(c *connection) {
	p := c.p
	c.raw.SetDeadline(time.Time{})
	remote := c.raw.RemoteAddr().String()
	p.mu.Lock()
	if p.state == transport.StateClosed {
		p.mu.Unlock()
		p.release(c, transport.ErrClosed)
		t.untrack(c.raw)
		return
	}
	p.connects.Add(1) // before Send can use it: see transport.ConnectCounter
	p.state = transport.StateConnected
	p.remote = remote
	p.fill, p.frames, p.queued, p.overloaded = p.fill[:0], 0, 0, false
	p.mu.Unlock()
	t.log.Info("peer connected", "peer", p.id, "remote", remote)

	t.wg.Add(1)
	go c.writeLoop()
	c.fail(c.readLoop())
	close(c.done)
	<-c.writerDone
	t.untrack(c.raw)

	err := c.err
	if t.closed.Load() {
		err = transport.ErrClosed
	}
	p.release(c, err)
	switch {
	case t.closed.Load():
		t.log.Debug("peer disconnected", "peer", p.id, "remote", remote, "reason", err.Error())
	case errors.Is(err, signal.ErrMalformed) || errors.Is(err, signal.ErrVersion) ||
		errors.Is(err, signal.ErrTooLarge) || errors.Is(err, signal.ErrChecksum) || errors.Is(err, errDead):
		t.log.Warn("peer disconnected", "peer", p.id, "remote", remote, "reason", err.Error())
	default:
		t.log.Info("peer disconnected", "peer", p.id, "remote", remote, "reason", err.Error())
	}
}

// heartbeat is an empty frame: the writer sends it when it has had nothing
// to send for a heartbeat interval. Readers count it and deliver nothing.
var heartbeat = func() []byte {
	var w signal.FrameWriter
	w.Reset()
	return append([]byte(nil), w.Bytes()...)
}()

// writeLoop writes the peer's queue. It takes everything queued at once
// (swapping the double buffer, so Send keeps appending to the other half)
// and writes it with one write call: frames sent while a write is in
// progress coalesce into the next one.
func (c *connection) writeLoop() {
	defer close(c.writerDone)
	defer c.t.wg.Done()
	p := c.p
	ticker := time.NewTicker(c.t.cfg.HeartbeatInterval)
	defer ticker.Stop()
	wrote := false // anything written since the last tick
	for {
		select {
		case <-p.wake:
		case <-ticker.C:
			if !wrote {
				if _, err := c.rw.Write(heartbeat); err != nil {
					c.fail(fmt.Errorf("writing heartbeat: %w", err))
					return
				}
				p.bytesSent.Add(uint64(len(heartbeat)))
			}
			wrote = false
			continue
		case <-c.done:
			return
		}
		for {
			p.mu.Lock()
			if p.conn != c || len(p.fill) == 0 {
				p.mu.Unlock()
				break
			}
			batch, frames := p.fill, p.frames
			p.fill, p.spare, p.frames = p.spare[:0], nil, 0
			p.mu.Unlock()

			_, err := c.rw.Write(batch)

			p.mu.Lock()
			if p.conn == c {
				p.queued -= len(batch)
				p.overloaded = false
			}
			p.spare = batch[:0]
			p.mu.Unlock()
			if err != nil {
				c.fail(fmt.Errorf("writing: %w", err))
				return
			}
			p.bytesSent.Add(uint64(len(batch)))
			p.framesSent.Add(uint64(frames))
			wrote = true
		}
	}
}

// errDead: the peer sent nothing, not even a heartbeat, for DeadIntervals.
var errDead = errors.New("peer presumed dead: nothing received")

// readLoop reads, validates and delivers frames until the connection fails;
// it returns why. A malformed frame ends only this connection.
func (c *connection) readLoop() error {
	fr := frameReader{buf: make([]byte, readChunk)}
	src := &deadlineReader{conn: c.rw, raw: c.raw, timeout: DeadIntervals * c.t.cfg.HeartbeatInterval}
	f := new(signal.Frame)
	p := c.p
	for {
		b, err := fr.next(src)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("%w for %v", errDead, src.timeout)
		case errors.Is(err, io.EOF):
			return errors.New("connection closed by the peer")
		default:
			return err
		}
		p.bytesRecv.Add(uint64(len(b)))
		if err := signal.ParseFrame(b, f); err != nil {
			return fmt.Errorf("malformed frame: %w", err)
		}
		if f.Header.Count == 0 {
			continue // a heartbeat
		}
		p.framesRecv.Add(1)
		c.t.cfg.Receiver.Frame(p.id, f)
	}
}

// deadlineReader renews the read deadline before every read, so silence
// longer than timeout fails the read.
type deadlineReader struct {
	conn, raw net.Conn
	timeout   time.Duration
}

func (d *deadlineReader) Read(b []byte) (int, error) {
	d.raw.SetReadDeadline(time.Now().Add(d.timeout))
	return d.conn.Read(b)
}

// Read buffer sizes. Frames are read in chunks into one buffer; the buffer
// grows only while it is full of a frame not yet complete, at most doubling
// the bytes that actually arrived, so a header whose length lies costs
// nothing until the bytes come.
const (
	readChunk         = 64 << 10
	maxIdleReadBuffer = 1 << 20 // a larger buffer, once empty, is given back
)

// frameReader cuts a byte stream into frames.
type frameReader struct {
	buf  []byte
	r, w int // buf[r:w] is read and not yet returned
}

// next returns the next whole frame (header checked, payload not yet):
// valid until the following call.
func (fr *frameReader) next(src io.Reader) ([]byte, error) {
	for {
		need := signal.FrameHeaderSize
		if fr.w-fr.r >= signal.FrameHeaderSize {
			h, err := signal.ParseFrameHeader(fr.buf[fr.r:fr.w])
			if err != nil {
				return nil, fmt.Errorf("malformed frame header: %w", err)
			}
			need += h.PayloadLen
			if fr.w-fr.r >= need {
				b := fr.buf[fr.r : fr.r+need : fr.r+need]
				fr.r += need
				return b, nil
			}
		}
		fr.makeRoom(need)
		n, err := src.Read(fr.buf[fr.w:])
		fr.w += n
		if err != nil && n == 0 {
			return nil, err
		}
	}
}

// makeRoom prepares buf to read more of a frame of need bytes starting at r.
func (fr *frameReader) makeRoom(need int) {
	if fr.r == fr.w {
		fr.r, fr.w = 0, 0
		if len(fr.buf) > maxIdleReadBuffer {
			fr.buf = make([]byte, readChunk)
		}
	}
	if fr.r+need <= len(fr.buf) && fr.w < len(fr.buf) {
		return // the frame fits where it starts, and there is space to read
	}
	if fr.r > 0 {
		fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
		fr.r = 0
	}
	if fr.w < len(fr.buf) {
		return
	}
	// Full of one incomplete frame: grow, never past the frame, and at
	// most to twice what arrived.
	nb := make([]byte, min(need, 2*len(fr.buf)))
	fr.w = copy(nb, fr.buf[:fr.w])
	fr.buf = nb
}
