package transporttest

import (
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Received is one frame as a Collector recorded it: who sent it and a copy
// of its signals (their sections point into a private copy of the bytes).
type Received struct {
	From    signal.NodeID
	Signals []signal.Signal
}

// Collector is a transport.Receiver for tests. It records every frame it
// is given, copying the signals out of the transporter's buffer, and can
// be held (Frame blocks until Release) to stall a connection on purpose.
// Safe for concurrent use.
type Collector struct {
	mu      sync.Mutex
	frames  []Received
	signals int
	gate    chan struct{} // non-nil while held: Frame waits for it to close
}

var _ transport.Receiver = (*Collector)(nil)

// NewCollector returns an empty collector that is not held.
func NewCollector() *Collector { return &Collector{} }

// Frame records f. While the collector is held it first waits for Release.
func (c *Collector) Frame(from signal.NodeID, f *signal.Frame) {
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	if gate != nil {
		<-gate
	}
	r := Received{From: from, Signals: make([]signal.Signal, 0, f.Header.Count)}
	for {
		var s signal.Signal
		if !f.Next(&s) {
			break
		}
		for i := 0; i < int(s.NumSects); i++ {
			s.Sections[i] = append([]byte(nil), s.Sections[i]...)
		}
		r.Signals = append(r.Signals, s)
	}
	c.mu.Lock()
	c.frames = append(c.frames, r)
	c.signals += len(r.Signals)
	c.mu.Unlock()
}

// Hold makes Frame block until Release, so the transporter's receive side
// stops draining (the way a slow node would). It registers a cleanup that
// releases the collector, so a failing test never leaves a receive
// goroutine stuck while the transporter closes.
func (c *Collector) Hold(t testing.TB) {
	c.mu.Lock()
	if c.gate == nil {
		c.gate = make(chan struct{})
	}
	c.mu.Unlock()
	t.Cleanup(c.Release)
}

// Release lets a held collector record frames again. Releasing a
// collector that is not held does nothing.
func (c *Collector) Release() {
	c.mu.Lock()
	if c.gate != nil {
		close(c.gate)
		c.gate = nil
	}
	c.mu.Unlock()
}

// Count returns how many frames and signals were recorded.
func (c *Collector) Count() (frames, signals int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames), c.signals
}

// Frames returns a snapshot of the recorded frames, oldest first.
func (c *Collector) Frames() []Received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Received(nil), c.frames...)
}

// WaitFrames waits until at least n frames were recorded and fails the test
// when that takes longer than timeout.
func (c *Collector) WaitFrames(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, func() bool {
		f, _ := c.Count()
		return f >= n
	}, "collector to record %d frames", n)
}

// Eventually polls cond until it returns true and fails the test (with the
// formatted description of what was awaited) when timeout passes first.
// Tests use it instead of sleeping: a wait always has a deadline.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for pause := 100 * time.Microsecond; !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for "+what, append([]any{timeout}, args...)...)
		}
		time.Sleep(pause)
		if pause < 10*time.Millisecond {
			pause *= 2
		}
	}
}

// PeerState returns tr's view of peer (ok false when peer is not listed).
func PeerState(tr transport.Transporter, peer signal.NodeID) (transport.PeerStatus, bool) {
	for _, p := range tr.Peers() {
		if p.Node == peer {
			return p, true
		}
	}
	return transport.PeerStatus{}, false
}

// WaitState waits until tr reports peer in state want.
func WaitState(t testing.TB, tr transport.Transporter, peer signal.NodeID, want transport.State, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, func() bool {
		p, ok := PeerState(tr, peer)
		return ok && p.State == want
	}, "peer %d to be %v", peer, want)
}
