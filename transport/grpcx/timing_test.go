package grpcx

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
	"github.com/gondb/gondb/transport/transporttest"
)

// The benchmarks mirror transport/tcp's (same frames, same loops, same
// metrics) so the two transporters compare side by side.

// counter is a Receiver that only counts signals.
type counter struct{ signals atomic.Int64 }

func (c *counter) Frame(_ signal.NodeID, f *signal.Frame) { c.signals.Add(int64(f.Header.Count)) }

// keyOpFrame is a frame of n typical key-operation signals: 6 words and an
// 8-byte key section (60 bytes encoded).
func keyOpFrame(tb testing.TB, n int) []byte {
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

// benchPair starts a receiver (node 1) and a sender (node 2) on loopback
// with production defaults and waits until they are connected.
func benchPair(tb testing.TB, tls1, tls2 *tls.Config, r1, r2 transport.Receiver) (*Transporter, *Transporter) {
	tb.Helper()
	start := func(self signal.NodeID, peers map[signal.NodeID]string, tc *tls.Config, r transport.Receiver) *Transporter {
		c := DefaultConfig()
		c.Self, c.Listen, c.Peers, c.TLS, c.Receiver, c.Logger = self, "127.0.0.1:0", peers, tc, r, nil
		tr, err := New(c)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { tr.Close() })
		return tr
	}
	a := start(1, map[signal.NodeID]string{2: ""}, tls1, r1)
	b := start(2, map[signal.NodeID]string{1: a.Addr()}, tls2, r2)
	transporttest.WaitState(tb, b, 1, transport.StateConnected, transporttest.ConnectTimeout)
	return a, b
}

// sendFrame sends, yielding while the peer's buffer is full.
func sendFrame(tb testing.TB, tr *Transporter, to signal.NodeID, frame []byte) {
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

func benchThroughput(b *testing.B, batch int, tls1, tls2 *tls.Config) {
	recv := &counter{}
	_, sender := benchPair(b, tls1, tls2, recv, &counter{})
	frame := keyOpFrame(b, batch)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sendFrame(b, sender, 1, frame)
	}
	want := int64(b.N) * int64(batch)
	transporttest.Eventually(b, transporttest.ConnectTimeout, func() bool { return recv.signals.Load() >= want },
		"%d signals", want)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(want)/elapsed.Seconds(), "signals/s")
}

// BenchmarkGRPCThroughput: one goroutine sends frames of key-op signals as
// fast as the transporter takes them; the receiver counts signals.
func BenchmarkGRPCThroughput(b *testing.B) {
	for _, batch := range []int{64, 256} {
		b.Run(batchName(batch), func(b *testing.B) { benchThroughput(b, batch, nil, nil) })
	}
}

func BenchmarkGRPCThroughputTLS(b *testing.B) {
	ca := transporttest.NewCA(b, "cluster")
	tls1, tls2 := loadTLS(b, ca, "node1"), loadTLS(b, ca, "node2")
	for _, batch := range []int{64, 256} {
		b.Run(batchName(batch), func(b *testing.B) { benchThroughput(b, batch, tls1, tls2) })
	}
}

func batchName(n int) string { return "batch=" + strconv.Itoa(n) }

// echo sends every signal it receives back to its sender in a frame of its
// own: the far end of the round-trip benchmark.
type echo struct {
	tr atomic.Pointer[Transporter] // set once the transporter exists
	w  signal.FrameWriter
	s  signal.Signal
}

func (e *echo) Frame(from signal.NodeID, f *signal.Frame) {
	e.w.Reset()
	for f.Next(&e.s) {
		if err := e.w.Add(&e.s); err != nil {
			panic(err)
		}
	}
	for e.tr.Load().Send(from, e.w.Bytes()) != nil {
		runtime.Gosched()
	}
}

// notify signals each frame it receives on a channel.
type notify chan struct{}

func (n notify) Frame(signal.NodeID, *signal.Frame) { n <- struct{}{} }

// BenchmarkGRPCRoundTrip: ping-pong of a one-signal frame between two nodes
// on loopback; reports the p50 and p99 round trip in microseconds.
func BenchmarkGRPCRoundTrip(b *testing.B) {
	back := make(notify, 1)
	e := &echo{}
	ponger, pinger := benchPair(b, nil, nil, e, back)
	e.tr.Store(ponger)
	frame := keyOpFrame(b, 1)
	for i := 0; i < 100; i++ { // warm up the buffers and the connection
		sendFrame(b, pinger, 1, frame)
		<-back
	}
	durations := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		sendFrame(b, pinger, 1, frame)
		<-back
		durations[i] = time.Since(t0)
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds())/1e3, "p99-µs")
}
