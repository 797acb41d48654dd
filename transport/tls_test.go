package transport_test

import (
	"crypto/tls"
	"errors"
	"testing"

	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/transporttest"
)

func TestTLSFilesLoad(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster")
	cfg, err := ca.NodeFiles(t, "node1").Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.MinVersion != tls.VersionTLS13 {
		t.Fatalf("not mutual TLS 1.3: %+v", cfg)
	}
	if _, err := (transport.TLSFiles{CertFile: "x"}).Load(); !errors.Is(err, transport.ErrTLSConfig) {
		t.Fatalf("incomplete files: %v", err)
	}
	bad := ca.NodeFiles(t, "node2")
	bad.CAFile = bad.CertFile + ".missing"
	if _, err := bad.Load(); !errors.Is(err, transport.ErrTLSConfig) {
		t.Fatalf("missing CA file: %v", err)
	}
}
