package transporttest

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Pair is two transporters that have each other as peers, each delivering
// to its own Collector.
type Pair struct {
	A, B     transport.Transporter
	AID, BID signal.NodeID
	RA, RB   *Collector // A's and B's receivers
}

// PairOptions is what a conformance test asks of the pair it gets.
type PairOptions struct {
	// SendBufferBytes is each side's per-peer send buffer limit; 0 means
	// the implementation's default.
	SendBufferBytes int
}

// NewPair builds a fresh pair for one test. It may return before the two
// are connected (the suite waits for StateConnected on both sides). It must
// register t.Cleanup to close both transporters; the suite may close one
// itself first, so Close must be safe to call twice.
type NewPair func(t *testing.T, opts PairOptions) Pair

// ConnectTimeout bounds every wait of the suite: connecting, delivery,
// state changes. It is a deadline against hangs, not a performance target.
const ConnectTimeout = 20 * time.Second

// RunConformance runs the behaviour every transport.Transporter must have
// as subtests of t, each on a fresh pair from newPair:
//
//   - Peers: each side lists the other, connected;
//   - OrderAndIntegrity: many frames of many signals, both directions at
//     once, arrive complete and in order (-short sends fewer);
//   - LargeFrames: frames of several MiB arrive intact;
//   - SendCopies: Send copies the frame before returning;
//   - UnknownPeer: Send to a node that is not a peer is ErrUnknownPeer;
//   - BadFrame: Send of bytes that are not a finished frame is refused and
//     the connection keeps working;
//   - Overload: with the receiver stalled, Send returns ErrOverloaded
//     (temporary) instead of buffering without bound, queued bytes stay
//     within SendBufferBytes, every accepted frame arrives once the
//     receiver drains, and Send works again;
//   - Close: Send after Close is ErrClosed, peers report StateClosed, the
//     other side sees the peer leave and gets a temporary error.
func RunConformance(t *testing.T, newPair NewPair) {
	tests := []struct {
		name string
		run  func(t *testing.T, newPair NewPair)
	}{
		{"Peers", testPeers},
		{"OrderAndIntegrity", testOrderAndIntegrity},
		{"LargeFrames", testLargeFrames},
		{"SendCopies", testSendCopies},
		{"UnknownPeer", testUnknownPeer},
		{"BadFrame", testBadFrame},
		{"Overload", testOverload},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newPair) })
	}
}

// connected returns a fresh pair once both sides report StateConnected.
func connected(t *testing.T, newPair NewPair, opts PairOptions) Pair {
	t.Helper()
	p := newPair(t, opts)
	if p.AID == p.BID || p.A == nil || p.B == nil || p.RA == nil || p.RB == nil {
		t.Fatalf("NewPair returned an incomplete pair: %+v", p)
	}
	WaitState(t, p.A, p.BID, transport.StateConnected, ConnectTimeout)
	WaitState(t, p.B, p.AID, transport.StateConnected, ConnectTimeout)
	return p
}

func testPeers(t *testing.T, newPair NewPair) {
	p := connected(t, newPair, PairOptions{})
	for _, side := range []struct {
		tr   transport.Transporter
		peer signal.NodeID
	}{{p.A, p.BID}, {p.B, p.AID}} {
		ps := side.tr.Peers()
		if len(ps) != 1 || ps[0].Node != side.peer || ps[0].State != transport.StateConnected {
			t.Fatalf("Peers() = %+v, want only node %d, connected", ps, side.peer)
		}
		if ps[0].ConnectCount < 1 {
			t.Fatalf("ConnectCount = %d after connecting", ps[0].ConnectCount)
		}
		// Transporters that say it cheaply agree with Peers.
		if cc, ok := side.tr.(transport.ConnectCounter); ok {
			if n := cc.ConnectCount(side.peer); n != ps[0].ConnectCount {
				t.Fatalf("ConnectCount(%d) = %d, Peers says %d", side.peer, n, ps[0].ConnectCount)
			}
			if n := cc.ConnectCount(signal.MaxNodeID); n != 0 {
				t.Fatalf("ConnectCount of an unknown peer = %d, want 0", n)
			}
		}
	}
}

// SeqSignal is the signal number seq of a test stream from one node to
// another: every field, the number of words and sections and the section
// bytes derive from seq, so a receiver can check each signal it gets.
func SeqSignal(from, to signal.NodeID, seq uint64) signal.Signal {
	var s signal.Signal
	s.Number = signal.Number(1000 + seq%13)
	s.Sender = signal.Address{Node: from, Block: 245, Instance: uint16(seq % 4)}
	s.Receiver = signal.Address{Node: to, Block: 247, Instance: uint16(seq % 3)}
	s.TransID = seq*0x9E3779B97F4A7C15 + uint64(from)
	s.NumWords = uint8(seq % (signal.MaxWords + 1))
	for i := 0; i < int(s.NumWords); i++ {
		s.Words[i] = uint32(seq)*31 + uint32(i)
	}
	for i := 0; i < int(seq%(signal.MaxSections+1)); i++ {
		off := int(seq*7+uint64(i)) % 251
		s.AddSection(pattern[off : off+int(seq*13+uint64(i))%300])
	}
	return s
}

// pattern is the bytes sections are cut from: a shifted window of it is
// different for every offset, so a section moved or cut short is caught.
var pattern = func() []byte {
	b := make([]byte, signal.MaxSectionBytes+512)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}()

// EqualSignals reports whether two signals have the same fields, words and
// section bytes (words past NumWords are ignored).
func EqualSignals(a, b *signal.Signal) bool {
	if a.Number != b.Number || a.Sender != b.Sender || a.Receiver != b.Receiver || a.TransID != b.TransID ||
		a.NumWords != b.NumWords || a.NumSects != b.NumSects ||
		!slices.Equal(a.Words[:a.NumWords], b.Words[:b.NumWords]) {
		return false
	}
	for i := 0; i < int(a.NumSects); i++ {
		if !bytes.Equal(a.Sections[i], b.Sections[i]) {
			return false
		}
	}
	return true
}

// sendRetry sends frame, retrying while the error is temporary (overload,
// or not connected yet), until the suite's deadline.
func sendRetry(tr transport.Transporter, to signal.NodeID, frame []byte) error {
	deadline := time.Now().Add(ConnectTimeout)
	for {
		err := tr.Send(to, frame)
		if err == nil || !transport.Temporary(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still refused after %v: %w", ConnectTimeout, err)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// sendStream sends frames of 1..maxPerFrame signals (SeqSignal 0..total-1).
func sendStream(tr transport.Transporter, from, to signal.NodeID, total, maxPerFrame int) error {
	var w signal.FrameWriter
	seq := 0
	for k := 0; seq < total; k++ {
		w.Reset()
		for n := 1 + k%maxPerFrame; n > 0 && seq < total; n-- {
			s := SeqSignal(from, to, uint64(seq))
			if err := w.Add(&s); err != nil {
				return err
			}
			seq++
		}
		if err := sendRetry(tr, to, w.Bytes()); err != nil {
			return fmt.Errorf("frame %d: %w", k, err)
		}
	}
	return nil
}

// checkStream verifies that c holds exactly SeqSignal 0..total-1 from
// from to to, in order.
func checkStream(t *testing.T, c *Collector, from, to signal.NodeID, total int) {
	t.Helper()
	seq := 0
	for fi, f := range c.Frames() {
		if f.From != from {
			t.Fatalf("frame %d from node %d, want %d", fi, f.From, from)
		}
		for i := range f.Signals {
			want := SeqSignal(from, to, uint64(seq))
			if !EqualSignals(&f.Signals[i], &want) {
				t.Fatalf("frame %d signal %d: got %+v, want signal %d %+v", fi, i, f.Signals[i], seq, want)
			}
			seq++
		}
	}
	if seq != total {
		t.Fatalf("received %d signals, want %d", seq, total)
	}
}

func testOrderAndIntegrity(t *testing.T, newPair NewPair) {
	p := connected(t, newPair, PairOptions{})
	total := 50000
	if testing.Short() {
		total = 5000
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, d := range []struct {
		tr       transport.Transporter
		from, to signal.NodeID
	}{{p.A, p.AID, p.BID}, {p.B, p.BID, p.AID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = sendStream(d.tr, d.from, d.to, total, 64)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Collector{p.RA, p.RB} {
		Eventually(t, ConnectTimeout, func() bool { _, s := c.Count(); return s >= total },
			"%d signals", total)
	}
	checkStream(t, p.RB, p.AID, p.BID, total)
	checkStream(t, p.RA, p.BID, p.AID, total)
	frames, _ := p.RB.Count()
	a, _ := PeerState(p.A, p.BID)
	b, _ := PeerState(p.B, p.AID)
	if a.FramesSent < uint64(frames) || b.FramesRecv < uint64(frames) || a.BytesSent == 0 || b.BytesReceived == 0 {
		t.Fatalf("counters after %d frames: A %+v, B %+v", frames, a, b)
	}
}

func testLargeFrames(t *testing.T, newPair NewPair) {
	p := connected(t, newPair, PairOptions{})
	var w signal.FrameWriter
	frames := 3
	if testing.Short() {
		frames = 1 // a 3 MiB frame is slow under emulation (qemu), and TLS
	}
	for k := 0; k < frames; k++ {
		w.Reset()
		var s signal.Signal
		s.Number = 7
		s.TransID = uint64(k)
		for i := 0; i < signal.MaxSections; i++ {
			s.AddSection(pattern[k+i : k+i+signal.MaxSectionBytes])
		}
		if err := w.Add(&s); err != nil {
			t.Fatal(err)
		}
		if err := sendRetry(p.A, p.BID, w.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	p.RB.WaitFrames(t, frames, ConnectTimeout)
	for k, f := range p.RB.Frames() {
		if len(f.Signals) != 1 || f.Signals[0].TransID != uint64(k) || f.Signals[0].NumSects != signal.MaxSections {
			t.Fatalf("frame %d: %d signals", k, len(f.Signals))
		}
		for i := 0; i < signal.MaxSections; i++ {
			if !bytes.Equal(f.Signals[0].Sections[i], pattern[k+i:k+i+signal.MaxSectionBytes]) {
				t.Fatalf("frame %d section %d differs", k, i)
			}
		}
	}
}

func testSendCopies(t *testing.T, newPair NewPair) {
	p := connected(t, newPair, PairOptions{})
	var w signal.FrameWriter
	w.Reset()
	s := SeqSignal(p.AID, p.BID, 3) // has words and sections
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	frame := w.Bytes()
	if err := sendRetry(p.A, p.BID, frame); err != nil {
		t.Fatal(err)
	}
	for i := signal.FrameHeaderSize; i < len(frame); i++ {
		frame[i] ^= 0xFF // the caller reuses its buffer at once
	}
	p.RB.WaitFrames(t, 1, ConnectTimeout)
	got := p.RB.Frames()[0]
	if len(got.Signals) != 1 || !EqualSignals(&got.Signals[0], &s) {
		t.Fatalf("got %+v, want %+v", got.Signals, s)
	}
}

func testUnknownPeer(t *testing.T, newPair NewPair) {
	p := connected(t, newPair, PairOptions{})
	unknown := signal.NodeID(signal.MaxNodeID)
	for unknown == p.AID || unknown == p.BID {
		unknown--
	}
	var w signal.FrameWriter
	w.Reset()
	for _, to := range []signal.NodeID{unknown, p.AID} { // itself is not a peer either
		if err := p.A.Send(to, w.Bytes()); !errors.Is(err, transport.ErrUnknownPeer) {
			t.Fatalf("Send to node %d: %v, want ErrUnknownPeer", to, err)
		}
	}
}

func testBadFrame(t *testing.T, newPair NewPair) {
	p := connected(t, newPair, PairOptions{})
	var w signal.FrameWriter
	w.Reset()
	s := SeqSignal(p.AID, p.BID, 0)
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	good := w.Bytes()
	lying := append([]byte(nil), good...)
	lying[8]++ // payload length one more than the bytes given
	for name, b := range map[string][]byte{
		"empty": {}, "short header": good[:8], "bad magic": append([]byte("xx"), good[2:]...),
		"length lies": lying, "truncated": good[:len(good)-1],
	} {
		err := p.A.Send(p.BID, b)
		if err == nil || transport.Temporary(err) {
			t.Errorf("Send(%s) = %v, want a permanent error", name, err)
		}
	}
	if err := sendRetry(p.A, p.BID, good); err != nil {
		t.Fatal(err)
	}
	p.RB.WaitFrames(t, 1, ConnectTimeout)
	if st, _ := PeerState(p.A, p.BID); st.State != transport.StateConnected || st.ConnectCount != 1 {
		t.Fatalf("after refused frames: %+v", st)
	}
}

func testOverload(t *testing.T, newPair NewPair) {
	const limit = 256 << 10
	p := connected(t, newPair, PairOptions{SendBufferBytes: limit})
	p.RB.Hold(t)

	var w signal.FrameWriter
	w.Reset()
	var s signal.Signal
	s.AddSection(pattern[:8000])
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	frame := w.Bytes()
	// A stalled receiver holds what the kernel buffers and the queue hold,
	// nothing more: overload must come long before 512 MiB.
	accepted, overloads := 0, 0
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < (512<<20)/len(frame) && overloads < 2000; i++ {
		err := p.A.Send(p.BID, frame)
		switch {
		case err == nil:
			accepted++
		case errors.Is(err, transport.ErrOverloaded):
			if !transport.Temporary(err) {
				t.Fatalf("ErrOverloaded is not temporary")
			}
			overloads++
			st, _ := PeerState(p.A, p.BID)
			if st.SendBuffered > limit {
				t.Fatalf("%d bytes queued, limit %d", st.SendBuffered, limit)
			}
		default:
			t.Fatalf("Send: %v", err)
		}
	}
	if overloads == 0 {
		t.Fatalf("%d frames (%d MiB) accepted with the receiver stalled, no ErrOverloaded",
			accepted, accepted*len(frame)>>20)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
		t.Fatalf("heap grew by %d MiB while overloaded", grew>>20)
	}
	st, _ := PeerState(p.A, p.BID)
	if st.OverloadCount < uint64(overloads) || st.State != transport.StateConnected {
		t.Fatalf("after %d refusals: %+v", overloads, st)
	}

	p.RB.Release()
	p.RB.WaitFrames(t, accepted, ConnectTimeout)
	if err := sendRetry(p.A, p.BID, frame); err != nil {
		t.Fatalf("Send after the receiver drained: %v", err)
	}
	p.RB.WaitFrames(t, accepted+1, ConnectTimeout)
	if n, _ := p.RB.Count(); n != accepted+1 {
		t.Fatalf("received %d frames, %d were accepted", n, accepted+1)
	}
}

func testClose(t *testing.T, newPair NewPair) {
	p := connected(t, newPair, PairOptions{})
	var w signal.FrameWriter
	w.Reset()
	s := SeqSignal(p.AID, p.BID, 1)
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	if err := p.A.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.A.Send(p.BID, w.Bytes()); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", err)
	}
	for _, ps := range p.A.Peers() {
		if ps.State != transport.StateClosed {
			t.Fatalf("after Close: %+v", ps)
		}
	}
	Eventually(t, ConnectTimeout, func() bool {
		st, _ := PeerState(p.B, p.AID)
		return st.State != transport.StateConnected
	}, "node %d to see node %d leave", p.BID, p.AID)
	if err := p.B.Send(p.AID, w.Bytes()); !transport.Temporary(err) {
		t.Fatalf("Send to a closed peer: %v, want a temporary error", err)
	}
	done := make(chan struct{})
	go func() { p.A.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(ConnectTimeout):
		t.Fatal("second Close hangs")
	}
}
