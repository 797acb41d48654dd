package tcp_test

import (
	"crypto/tls"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/transporttest"
)

// benchPair starts a receiver (node 1) and a sender (node 2) on loopback
// and waits until they are connected (transporttest.NewBenchPair).
func benchPair(tb testing.TB, tls1, tls2 *tls.Config, r1, r2 transport.Receiver) (transport.Transporter, transport.Transporter) {
	cfg := testConfig(1, r1)
	cfg.Peers = map[signal.NodeID]string{2: ""}
	cfg.TLS = tls1
	a := start(tb, cfg)
	cfg = testConfig(2, r2)
	cfg.Peers = map[signal.NodeID]string{1: a.Addr()}
	cfg.TLS = tls2
	b := start(tb, cfg)
	transporttest.WaitState(tb, b, 1, transport.StateConnected, transporttest.ConnectTimeout)
	return a, b
}

// BenchmarkTCPThroughput: one goroutine sends frames of key-op signals as
// fast as the transporter takes them; the receiver counts signals.
func BenchmarkTCPThroughput(b *testing.B) {
	for _, batch := range []int{64, 256} {
		b.Run(transporttest.BatchName(batch), func(b *testing.B) { transporttest.BenchThroughput(b, benchPair, batch, nil, nil) })
	}
}

func BenchmarkTCPThroughputTLS(b *testing.B) {
	ca := transporttest.NewCA(b, "cluster")
	tls1, tls2 := loadTLS(b, ca, "node1"), loadTLS(b, ca, "node2")
	for _, batch := range []int{64, 256} {
		b.Run(transporttest.BatchName(batch), func(b *testing.B) { transporttest.BenchThroughput(b, benchPair, batch, tls1, tls2) })
	}
}

// BenchmarkTCPRoundTrip: ping-pong of a one-signal frame between two nodes
// on loopback; reports the p50 and p99 round trip in microseconds.
func BenchmarkTCPRoundTrip(b *testing.B) { transporttest.BenchRoundTrip(b, benchPair) }

// TestSendAllocatesNothing: once the queue buffers have grown, a Send and
// everything it causes (the write, the read, the delivery) allocate
// nothing.
func TestSendAllocatesNothing(t *testing.T) {
	pinger, back := transporttest.NewEchoPair(t, benchPair)
	frame := transporttest.KeyOpFrame(t, 64)
	for i := 0; i < 100; i++ {
		transporttest.SendRetrying(t, pinger, 1, frame)
		<-back
	}
	allocs := testing.AllocsPerRun(200, func() {
		transporttest.SendRetrying(t, pinger, 1, frame)
		<-back
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame round trip", allocs)
	}
}
