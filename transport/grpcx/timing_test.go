package grpcx

import (
	"crypto/tls"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/transporttest"
)

// The benchmarks are transporttest's, shared with transport/tcp, so the two
// transporters compare side by side (docs/transport.md).

// benchPair starts a receiver (node 1) and a sender (node 2) on loopback
// with production defaults and waits until they are connected.
func benchPair(tb testing.TB, tls1, tls2 *tls.Config, r1, r2 transport.Receiver) (transport.Transporter, transport.Transporter) {
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

// BenchmarkGRPCThroughput: one goroutine sends frames of key-op signals as
// fast as the transporter takes them; the receiver counts signals.
func BenchmarkGRPCThroughput(b *testing.B) {
	for _, batch := range []int{64, 256} {
		b.Run(transporttest.BatchName(batch), func(b *testing.B) { transporttest.BenchThroughput(b, benchPair, batch, nil, nil) })
	}
}

func BenchmarkGRPCThroughputTLS(b *testing.B) {
	ca := transporttest.NewCA(b, "cluster")
	tls1, tls2 := loadTLS(b, ca, "node1"), loadTLS(b, ca, "node2")
	for _, batch := range []int{64, 256} {
		b.Run(transporttest.BatchName(batch), func(b *testing.B) { transporttest.BenchThroughput(b, benchPair, batch, tls1, tls2) })
	}
}

// BenchmarkGRPCRoundTrip: ping-pong of a one-signal frame between two
// nodes; reports the p50 and p99 round trip in microseconds.
func BenchmarkGRPCRoundTrip(b *testing.B) { transporttest.BenchRoundTrip(b, benchPair) }
