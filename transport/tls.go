package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles names the PEM files of a node's TLS identity. All three are
// required when TLS is on: the node's certificate and key, and the cluster's
// CA, which must have signed every peer's certificate.
type TLSFiles struct {
	CertFile, KeyFile, CAFile string
}

// Enabled reports whether TLS is configured.
func (f TLSFiles) Enabled() bool { return f.CertFile != "" || f.KeyFile != "" || f.CAFile != "" }

// ErrTLSConfig wraps problems with the TLS files.
var ErrTLSConfig = errors.New("transport: TLS configuration")

// Load builds a mutual-TLS configuration: the node presents its certificate
// and requires and verifies the peer's, as client and as server, against
// the cluster CA only (never the system roots). TLS 1.3 at least.
func (f TLSFiles) Load() (*tls.Config, error) {
	if f.CertFile == "" || f.KeyFile == "" || f.CAFile == "" {
		return nil, fmt.Errorf("%w: need certificate, key and CA files, got %+v", ErrTLSConfig, f)
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTLSConfig, err)
	}
	caPEM, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTLSConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%w: no certificate found in CA file %s", ErrTLSConfig, f.CAFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
		// Peers are addressed by IP and node id, not DNS names: the chain
		// to the cluster CA is what authenticates them. ServerName is set
		// per dial by the transporter to the name in the peer's config.
	}, nil
}
