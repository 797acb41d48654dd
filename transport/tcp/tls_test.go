package tcp_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/transporttest"
)

// TestTLSRefusesNodesOutsideTheClusterCA runs nodes 1 and 2 with
// certificates from the cluster CA, then a node 3 whose credentials do not
// come from it: node 1 must refuse it and log why, node 3 must stay
// disconnected and say why, and 1 and 2 keep working. A node 3 with a
// cluster certificate connects.
func TestTLSRefusesNodesOutsideTheClusterCA(t *testing.T) {
	cluster := transporttest.NewCA(t, "cluster")
	other := transporttest.NewCA(t, "other")
	tls1, tls2 := loadTLS(t, cluster, "node1"), loadTLS(t, cluster, "node2")

	foreignTrustingCluster := other.NodeFiles(t, "node3")
	foreignTrustingCluster.CAFile = cluster.File
	noCert := loadTLS(t, cluster, "node3-nocert")
	noCert.Certificates = nil

	tests := []struct {
		name    string
		tls     func(t *testing.T) *tls.Config
		connect bool
	}{
		{"certificate from the cluster CA", func(t *testing.T) *tls.Config { return loadTLS(t, cluster, "node3") }, true},
		{"certificate and CA from another CA", func(t *testing.T) *tls.Config { return loadTLS(t, other, "node3") }, false},
		{"certificate from another CA", func(t *testing.T) *tls.Config {
			c, err := foreignTrustingCluster.Load()
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, false},
		{"no certificate", func(*testing.T) *tls.Config { return noCert }, false},
		{"plain TCP", func(*testing.T) *tls.Config { return nil }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var nodes []*node
			for _, id := range []signal.NodeID{1, 2, 3} {
				nd := &node{id: id, rc: transporttest.NewCollector(), log: &logBuffer{}}
				cfg := testConfig(id, nd.rc)
				cfg.Logger = nd.log.logger()
				cfg.HandshakeTimeout = 2 * time.Second
				cfg.Peers = map[signal.NodeID]string{}
				for _, other := range []signal.NodeID{1, 2, 3} {
					if other < id {
						cfg.Peers[other] = nodes[other-1].tr.Addr()
					} else if other > id {
						cfg.Peers[other] = ""
					}
				}
				cfg.TLS = map[signal.NodeID]*tls.Config{1: tls1, 2: tls2, 3: tc.tls(t)}[id]
				nd.tr = start(t, cfg)
				nodes = append(nodes, nd)
			}
			n1, n2, n3 := nodes[0], nodes[1], nodes[2]
			transporttest.WaitState(t, n2.tr, 1, transport.StateConnected, transporttest.ConnectTimeout)
			exchange(t, n1, n2)
			exchange(t, n2, n1)
			if tc.connect {
				transporttest.WaitState(t, n3.tr, 1, transport.StateConnected, transporttest.ConnectTimeout)
				exchange(t, n3, n1)
				return
			}
			n1.log.waitLog(t, "connection refused", "TLS")
			n3.log.waitLog(t, "connect failed", "peer=1")
			for _, view := range []struct {
				from *node
				peer signal.NodeID
			}{{n1, 3}, {n3, 1}} {
				st, _ := transporttest.PeerState(view.from.tr, view.peer)
				if st.State == transport.StateConnected || st.ConnectCount != 0 {
					t.Fatalf("node %d's view of node %d: %+v", view.from.id, view.peer, st)
				}
			}
			if st, _ := transporttest.PeerState(n3.tr, 1); st.LastError == "" {
				t.Fatalf("node 3 does not say why it is not connected: %+v", st)
			}
			exchange(t, n1, n2)
		})
	}
}
