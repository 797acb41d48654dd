package tcp_test

import (
	"crypto/tls"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/transporttest"
)

// startPair starts nodes 1 and 2 on loopback, node 2 dialing node 1.
func startPair(t testing.TB, sendBuf int, tls1, tls2 *tls.Config) transporttest.Pair {
	t.Helper()
	ra, rb := transporttest.NewCollector(), transporttest.NewCollector()
	cfg := testConfig(1, ra)
	cfg.Peers = map[signal.NodeID]string{2: ""}
	cfg.TLS = tls1
	if sendBuf > 0 {
		cfg.SendBufferBytes = sendBuf
	}
	a := start(t, cfg)
	cfg = testConfig(2, rb)
	cfg.Peers = map[signal.NodeID]string{1: a.Addr()}
	cfg.TLS = tls2
	if sendBuf > 0 {
		cfg.SendBufferBytes = sendBuf
	}
	b := start(t, cfg)
	return transporttest.Pair{A: a, B: b, AID: 1, BID: 2, RA: ra, RB: rb}
}

func TestConformance(t *testing.T) {
	transporttest.RunConformance(t, func(t *testing.T, o transporttest.PairOptions) transporttest.Pair {
		return startPair(t, o.SendBufferBytes, nil, nil)
	})
}

func TestConformanceTLS(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster")
	tls1, tls2 := loadTLS(t, ca, "node1"), loadTLS(t, ca, "node2")
	transporttest.RunConformance(t, func(t *testing.T, o transporttest.PairOptions) transporttest.Pair {
		return startPair(t, o.SendBufferBytes, tls1, tls2)
	})
}
