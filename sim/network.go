package sim

import (
	"fmt"
	"time"

	"github.com/gondb/gondb/signal"
)

// link is the connection from one node to another (or to itself). The
// fields epoch and cut are kept equal in both directions of a pair.
type link struct {
	// epoch counts the connection's resets; a message carries the epoch it
	// was sent in and is lost when the link has moved on (drop, cut,
	// crash), as the bytes in a reset TCP connection's buffers are.
	epoch uint32
	// cut: a partition separates the two nodes until Heal.
	cut bool
	// lastAt is the delivery time of the newest message in flight, so the
	// next one is never earlier: FIFO per (sender, receiver) pair.
	lastAt time.Duration
	// inflight counts queued messages, lost ones included until popped.
	inflight int
}

// msg is one encoded signal in flight.
type msg struct {
	at       time.Duration
	seq      uint64 // send order: ties in at go in send order
	from, to int    // node positions
	epoch    uint32
	buf      []byte
}

// msgHeap is a binary min-heap of messages by (at, seq), by value so that
// pushing allocates nothing once the slice has grown.
type msgHeap struct{ ms []msg }

func (h *msgHeap) len() int  { return len(h.ms) }
func (h *msgHeap) top() *msg { return &h.ms[0] }

func (h *msgHeap) less(i, j int) bool {
	a, b := &h.ms[i], &h.ms[j]
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (h *msgHeap) push(m msg) {
	h.ms = append(h.ms, m)
	for i := len(h.ms) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.ms[i], h.ms[p] = h.ms[p], h.ms[i]
		i = p
	}
}

func (h *msgHeap) pop() msg {
	m := h.ms[0]
	last := len(h.ms) - 1
	h.ms[0] = h.ms[last]
	h.ms[last] = msg{}
	h.ms = h.ms[:last]
	for i := 0; ; {
		l, r, least := 2*i+1, 2*i+2, i
		if l < last && h.less(l, least) {
			least = l
		}
		if r < last && h.less(r, least) {
			least = r
		}
		if least == i {
			break
		}
		h.ms[i], h.ms[least] = h.ms[least], h.ms[i]
		i = least
	}
	return m
}

func (s *Sim) getBuf() []byte {
	if n := len(s.free); n > 0 {
		b := s.free[n-1]
		s.free = s.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, 256)
}

// putBuf recycles b after poisoning it, so a block that kept a section
// past its Handle reads garbage and fails loudly rather than by chance.
func (s *Sim) putBuf(b []byte) {
	for p := b; len(p) > 0; {
		p = p[copy(p, poison[:]):]
	}
	s.free = append(s.free, b)
}

var poison = func() (p [512]byte) {
	for i := range p {
		p[i] = 0xa5
	}
	return p
}()

// send queues sig from the block of e (Env.Send).
func (s *Sim) send(e *env, sig *signal.Signal) error {
	from := e.n
	if !from.up || e.incarnation != from.incarnation {
		panic(fmt.Sprintf("sim: block %v of a crashed incarnation sent a signal", e.self))
	}
	tmp := *sig
	tmp.Sender = e.self
	if tmp.Receiver.Node == 0 {
		tmp.Receiver.Node = from.id
	}
	to := int(s.index[tmp.Receiver.Node]) - 1
	if to < 0 || !s.nodes[to].up || s.links[from.pos][to].cut {
		s.stats.Refused++
		s.tr.begin(s.now, "refuse")
		s.tr.route(from.id, tmp.Receiver.Node)
		s.tr.num("gsn=", uint64(tmp.Number))
		s.tr.end()
		return ErrUnreachable
	}
	l := &s.links[from.pos][to]
	if l.inflight >= s.cfg.MaxInFlight {
		s.stats.Overloaded++
		s.tr.begin(s.now, "overload")
		s.tr.route(from.id, tmp.Receiver.Node)
		s.tr.end()
		return ErrOverloaded
	}
	buf, err := signal.AppendSignal(s.getBuf(), &tmp)
	if err != nil {
		s.putBuf(buf)
		return err
	}
	at := s.now + s.cfg.MinDelay
	if span := s.cfg.MaxDelay - s.cfg.MinDelay; span > 0 {
		at += time.Duration(s.rng.Int64N(int64(span) + 1))
	}
	at = max(at, l.lastAt)
	l.lastAt = at
	l.inflight++
	s.seq++
	s.queue.push(msg{at: at, seq: s.seq, from: from.pos, to: to, epoch: l.epoch, buf: buf})
	s.stats.Sent++
	return nil
}

// deliver hands m to its receiver, or loses it when its link was reset
// since it was sent.
func (s *Sim) deliver(m *msg) {
	l := &s.links[m.from][m.to]
	l.inflight--
	from, to := s.nodes[m.from], s.nodes[m.to]
	if m.epoch != l.epoch {
		s.stats.Lost++
		s.tr.begin(s.now, "lose")
		s.tr.route(from.id, to.id)
		s.tr.num("#", m.seq)
		s.tr.end()
		s.putBuf(m.buf)
		return
	}
	if !from.up || !to.up {
		panic(fmt.Sprintf("sim: message #%d %d->%d outlived a crash", m.seq, from.id, to.id))
	}
	s.decode(m.buf)
	if to.crashWhen != nil && to.crashWhen(&s.recv) {
		s.tr.begin(s.now, "crashwhen ")
		s.tr.addr(s.recv.Sender)
		s.tr.str("->")
		s.tr.addr(s.recv.Receiver)
		s.tr.num("gsn=", uint64(s.recv.Number))
		s.tr.num("#", m.seq)
		s.tr.end()
		s.recv.Reset()
		s.putBuf(m.buf)
		s.Crash(to.id) // the signal is lost with the node
		return
	}
	r := to.lookup(s.recv.Receiver.Block, s.recv.Receiver.Instance)
	if r == nil {
		s.stats.NoReceiver++
		s.tr.begin(s.now, "noreceiver ")
		s.tr.addr(s.recv.Receiver)
		s.tr.num("gsn=", uint64(s.recv.Number))
		s.tr.end()
		s.putBuf(m.buf)
		return
	}
	s.stats.Delivered++
	s.tr.begin(s.now, "deliver ")
	s.tr.addr(s.recv.Sender)
	s.tr.str("->")
	s.tr.addr(s.recv.Receiver)
	s.tr.num("gsn=", uint64(s.recv.Number))
	s.tr.num("#", m.seq)
	s.tr.hex("h=", contentHash(m.buf))
	s.tr.end()
	s.handle(r, m.buf)
}

// decode reads buf, which the simulator encoded itself, into s.recv.
func (s *Sim) decode(buf []byte) {
	rest, err := signal.DecodeSignal(buf, &s.recv)
	if err != nil || len(rest) != 0 {
		panic(fmt.Sprintf("sim: cannot decode its own encoding (%v, %d bytes left)", err, len(rest)))
	}
}

// handle runs r's Handle on s.recv, then recycles buf, which s.recv's
// sections point into.
func (s *Sim) handle(r *running, buf []byte) {
	s.inBlock = true
	r.Block.Handle(r.env, &s.recv)
	s.inBlock = false
	s.recv.Reset()
	s.putBuf(buf)
}
