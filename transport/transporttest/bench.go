package transporttest

import (
	"crypto/tls"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// The transport benchmarks, shared so that every transporter is measured
// with the same frames, loops and metrics and the results compare side by
// side (docs/transport.md).

// NewBenchPair starts a receiving node 1 (with Receiver r1) and a sending
// node 2 (with r2) on loopback, with the given TLS configs (nil: plain),
// connected before it returns; it registers their Close with tb.Cleanup.
type NewBenchPair func(tb testing.TB, tls1, tls2 *tls.Config, r1, r2 transport.Receiver) (node1, node2 transport.Transporter)

// Counter is a Receiver that only counts signals.
type Counter struct{ signals atomic.Int64 }

// Frame implements transport.Receiver.
func (c *Counter) Frame(_ signal.NodeID, f *signal.Frame) { c.signals.Add(int64(f.Header.Count)) }

// Signals is the number of signals received.
func (c *Counter) Signals() int64 { return c.signals.Load() }

// KeyOpFrame is a frame of n typical key-operation signals from node 2 to
// node 1: 6 words and an 8-byte key section (60 bytes encoded).
func KeyOpFrame(tb testing.TB, n int) []byte {
	var w signal.FrameWriter
	w.Reset()
	key := []byte("key-0001")
	for i := 0; i < n; i++ {
		var s signal.Signal
		s.Number = 12
		s.Sender = signal.Address{Node: 2, Block: 245}
		s.Receiver = signal.Address{Node: 1, Block: 247, Instance: uint16(i % 4)}
		s.TransID = uint64(i)
		s.SetWords(uint32(i), 1, 2, 3, 4, 5)
		s.AddSection(key)
		if err := w.Add(&s); err != nil {
			tb.Fatal(err)
		}
	}
	return slices.Clone(w.Bytes())
}

// SendRetrying sends, yielding while the peer's buffer is full or the peer
// is momentarily not connected; any other error fails tb.
func SendRetrying(tb testing.TB, tr transport.Transporter, to signal.NodeID, frame []byte) {
	for {
		err := tr.Send(to, frame)
		if err == nil {
			return
		}
		if !transport.Temporary(err) {
			tb.Fatal(err)
		}
		runtime.Gosched()
	}
}

// BenchThroughput: one goroutine sends frames of batch key-op signals as
// fast as the transporter takes them; the receiver counts signals. Reports
// signals/s.
func BenchThroughput(b *testing.B, newPair NewBenchPair, batch int, tls1, tls2 *tls.Config) {
	recv := &Counter{}
	_, sender := newPair(b, tls1, tls2, recv, &Counter{})
	frame := KeyOpFrame(b, batch)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		SendRetrying(b, sender, 1, frame)
	}
	want := int64(b.N) * int64(batch)
	Eventually(b, ConnectTimeout, func() bool { return recv.Signals() >= want }, "%d signals", want)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(want)/elapsed.Seconds(), "signals/s")
}

// BatchName names a throughput sub-benchmark.
func BatchName(n int) string { return "batch=" + strconv.Itoa(n) }

// Echo sends every signal it receives back to its sender in a frame of its
// own: the far end of the round-trip benchmark. Set its transporter with
// SetTransporter once it exists.
type Echo struct {
	tr atomic.Pointer[transport.Transporter]
	w  signal.FrameWriter
	s  signal.Signal
}

// SetTransporter gives the echo the transporter to answer through.
func (e *Echo) SetTransporter(t transport.Transporter) { e.tr.Store(&t) }

// Frame implements transport.Receiver.
func (e *Echo) Frame(from signal.NodeID, f *signal.Frame) {
	e.w.Reset()
	for f.Next(&e.s) {
		if err := e.w.Add(&e.s); err != nil {
			panic(err)
		}
	}
	tr := *e.tr.Load()
	for tr.Send(from, e.w.Bytes()) != nil {
		runtime.Gosched()
	}
}

// Notify signals each frame it receives on its channel.
type Notify chan struct{}

// Frame implements transport.Receiver.
func (n Notify) Frame(signal.NodeID, *signal.Frame) { n <- struct{}{} }

// NewEchoPair starts a pair whose node 1 echoes and whose node 2 is
// notified of every answer, warmed up by 100 round trips.
func NewEchoPair(tb testing.TB, newPair NewBenchPair) (pinger transport.Transporter, back Notify) {
	back = make(Notify, 1)
	e := &Echo{}
	ponger, pinger := newPair(tb, nil, nil, e, back)
	e.SetTransporter(ponger)
	frame := KeyOpFrame(tb, 1)
	for i := 0; i < 100; i++ {
		SendRetrying(tb, pinger, 1, frame)
		<-back
	}
	return pinger, back
}

// BenchRoundTrip: ping-pong of a one-signal frame between two nodes;
// reports the p50 and p99 round trip in microseconds.
func BenchRoundTrip(b *testing.B, newPair NewBenchPair) {
	pinger, back := NewEchoPair(b, newPair)
	frame := KeyOpFrame(b, 1)
	durations := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		SendRetrying(b, pinger, 1, frame)
		<-back
		durations[i] = time.Since(t0)
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds())/1e3, "p99-µs")
}
