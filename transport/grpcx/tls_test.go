package grpcx

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/transporttest"
)

// TestTLSRefusesStrangers: node 1 and node 2 hold certificates from the
// cluster CA and connect; node 3 presents a certificate from another CA
// (while trusting the cluster CA itself, so only node 1 can refuse it), and
// node 4 speaks plaintext. Both are refused in the handshake, logged, and
// never connect.
func TestTLSRefusesStrangers(t *testing.T) {
	cluster := transporttest.NewCA(t, "cluster")
	rogueCA := transporttest.NewCA(t, "rogue")
	withTLS := func(c *tls.Config) func(*Config) { return func(cfg *Config) { cfg.TLS = c } }

	n1 := startNode(t, 1, map[signal.NodeID]string{2: "", 3: "", 4: ""}, withTLS(loadTLS(t, cluster, "node1")))
	n2 := startNode(t, 2, map[signal.NodeID]string{1: n1.Addr()}, withTLS(loadTLS(t, cluster, "node2")))

	stranger := loadTLS(t, rogueCA, "node3")
	pem, err := os.ReadFile(cluster.File)
	if err != nil {
		t.Fatal(err)
	}
	stranger.RootCAs = x509.NewCertPool()
	stranger.RootCAs.AppendCertsFromPEM(pem)
	// Present the rogue certificate even though node 1 asks for the
	// cluster CA's (Go would otherwise send none).
	stranger.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &stranger.Certificates[0], nil
	}
	n3 := startNode(t, 3, map[signal.NodeID]string{1: n1.Addr()}, withTLS(stranger))
	n4 := startNode(t, 4, map[signal.NodeID]string{1: n1.Addr()}, nil)

	transporttest.WaitState(t, n2, 1, transport.StateConnected, wait)
	transporttest.WaitState(t, n1, 2, transport.StateConnected, wait)
	var w signal.FrameWriter
	sendRetry(t, n2.Transporter, 1, testFrame(&w, 0, 0, 1, 8))
	n1.rcv.WaitFrames(t, 1, wait)

	// Node 1 logs a refused handshake for each stranger's connection.
	for _, n := range []*node{n3, n4} {
		transporttest.Eventually(t, wait, func() bool {
			st, _ := transporttest.PeerState(n, 1)
			return st.LastError != ""
		}, "node %d to fail connecting", n.cfg.Self)
	}
	transporttest.Eventually(t, wait, func() bool {
		return n1.log.has("refused connection in handshake", "certificate signed by unknown authority") &&
			n1.log.has("refused connection in handshake", "first record does not look like a TLS handshake")
	}, "node 1 to log both refusals; log:\n%s", n1.log)
	for _, id := range []signal.NodeID{3, 4} {
		if st, _ := transporttest.PeerState(n1, id); st.ConnectCount != 0 || st.State == transport.StateConnected {
			t.Fatalf("node 1 accepted node %d: %+v", id, st)
		}
	}
	for _, n := range []*node{n3, n4} {
		if st, _ := transporttest.PeerState(n, 1); st.ConnectCount != 0 || st.State == transport.StateConnected {
			t.Fatalf("node %d connected: %+v", n.cfg.Self, st)
		}
	}
}
