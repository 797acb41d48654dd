package grpcx

import (
	"crypto/tls"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/transporttest"
)

// conformancePair starts nodes 1 and 2 (2 dials 1) for the shared suite.
func conformancePair(t *testing.T, o transporttest.PairOptions, tls1, tls2 *tls.Config) transporttest.Pair {
	edit := func(tc *tls.Config) func(*Config) {
		return func(c *Config) {
			c.TLS = tc
			if o.SendBufferBytes > 0 {
				c.SendBufferBytes = o.SendBufferBytes
				c.MessageBytes = max(min(c.MessageBytes, o.SendBufferBytes), minMessageBytes)
			}
		}
	}
	a := startNode(t, 1, map[signal.NodeID]string{2: ""}, edit(tls1))
	b := startNode(t, 2, map[signal.NodeID]string{1: a.Addr()}, edit(tls2))
	return transporttest.Pair{A: a.Transporter, B: b.Transporter, AID: 1, BID: 2, RA: a.rcv, RB: b.rcv}
}

func TestConformance(t *testing.T) {
	transporttest.RunConformance(t, func(t *testing.T, o transporttest.PairOptions) transporttest.Pair {
		return conformancePair(t, o, nil, nil)
	})
}

func TestConformanceTLS(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster")
	tls1, tls2 := loadTLS(t, ca, "node1"), loadTLS(t, ca, "node2")
	transporttest.RunConformance(t, func(t *testing.T, o transporttest.PairOptions) transporttest.Pair {
		return conformancePair(t, o, tls1, tls2)
	})
}

func loadTLS(t testing.TB, ca *transporttest.CA, name string) *tls.Config {
	t.Helper()
	c, err := ca.NodeFiles(t, name).Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
