package sqlnode_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/gondb/gondb/sqlnode"
)

// testCert writes a self-signed certificate for 127.0.0.1 and its key
// into a temporary directory and returns their files and a pool that
// trusts the certificate.
func testCert(t testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gondb test SQL node"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

var tlsConfigs atomic.Int64

// withTLS registers a driver TLS configuration that trusts pool and
// demands TLS, and returns the option that uses it.
func withTLS(t testing.TB, pool *x509.CertPool) func(*mysql.Config) {
	t.Helper()
	name := "gondb-test-" + strconv.FormatInt(tlsConfigs.Add(1), 10)
	if err := mysql.RegisterTLSConfig(name, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mysql.DeregisterTLSConfig(name) })
	return func(c *mysql.Config) { c.TLSConfig = name }
}

// A SQL node with a certificate offers TLS: a client that demands it
// gets an encrypted session (Ssl_cipher, Ssl_version), one that does not
// ask stays in clear; caching_sha2_password users log in over TLS (the
// full authentication sends the password, which needs TLS: without it
// they are refused), mysql_native_password users either way, and REQUIRE
// SSL accounts only over TLS.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := testCert(t)
	tc := startCluster(t)
	db, srv := tc.sqlNodeWith(t, sqlnode.Config{TLSCertFile: certFile, TLSKeyFile: keyFile})
	ctx := context.Background()
	useTLS := withTLS(t, pool)

	rootTLS := mustConnectAs(t, srv.Addr(), "root", testRootPassword, useTLS)
	run(t, rootTLS, srv, []step{
		{name: "cipher", sql: "SHOW STATUS LIKE 'Ssl_cipher'", contains: []string{"Ssl_cipher|TLS_"}},
		{name: "version", sql: "SHOW STATUS LIKE 'Ssl_version'", rows: []string{"Ssl_version|TLSv1.3"}},
		{name: "native user", sql: "CREATE USER nat IDENTIFIED WITH mysql_native_password BY 'nat-pw'", affected: -1},
		{name: "sha2 user", sql: "CREATE USER sha IDENTIFIED WITH caching_sha2_password BY 'sha-pw'", affected: -1},
		{name: "ssl user", sql: "CREATE USER sslu IDENTIFIED BY 'ssl-pw' REQUIRE SSL", affected: -1},
		{name: "grant", sql: "GRANT SELECT ON *.* TO nat, sha, sslu", affected: -1},
		{name: "plugins", sql: "SELECT user, plugin, ssl_type FROM mysql.user WHERE user <> 'root' ORDER BY user", rows: []string{
			"nat|mysql_native_password|", "sha|caching_sha2_password|", "sslu|mysql_native_password|ANY"}},
	})
	plain, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	run(t, plain, srv, []step{{name: "no TLS: no cipher", sql: "SHOW STATUS LIKE 'Ssl_cipher'", rows: []string{"Ssl_cipher|"}}})

	checkLogins(t, srv.Addr(), []login{
		{"native, TLS", "nat", "nat-pw", 0},
		{"sha2, TLS", "sha", "sha-pw", 0},
		{"sha2, TLS, wrong password", "sha", "sha-pw2", 1045},
		{"require ssl, TLS", "sslu", "ssl-pw", 0},
	}, useTLS)
	checkLogins(t, srv.Addr(), []login{
		{"native, clear", "nat", "nat-pw", 0},
		{"sha2, clear", "sha", "sha-pw", 1045},
		{"require ssl, clear", "sslu", "ssl-pw", 1045},
	})
	sha := mustConnectAs(t, srv.Addr(), "sha", "sha-pw", useTLS)
	run(t, sha, srv, []step{{name: "sha2 session encrypted", sql: "SHOW STATUS LIKE 'Ssl_version'", rows: []string{"Ssl_version|TLSv1.3"}}})
}

// With RequireSecureTransport a client without TLS is refused, even one
// that goes on with the handshake after the refusal, and TLS clients are
// served.
func TestRequireSecureTransport(t *testing.T) {
	certFile, keyFile, pool := testCert(t)
	tc := startCluster(t)
	srv := tc.startServer(t, sqlnode.Config{RootPassword: testRootPassword, TLSCertFile: certFile, TLSKeyFile: keyFile, RequireSecureTransport: true})
	if _, err := connectAs(t, srv.Addr(), "root", testRootPassword); err == nil || !strings.Contains(err.Error(), "insecure") {
		t.Fatalf("a connection without TLS: %v, want a refusal naming insecure transport", err)
	}
	conn := mustConnectAs(t, srv.Addr(), "root", testRootPassword, withTLS(t, pool))
	run(t, conn, srv, []step{{name: "TLS served", sql: "SELECT CURRENT_USER()", rows: []string{"root@%"}}})

	// A client that ignores the refusal and answers the handshake with
	// the right password is refused again after authentication (3159),
	// never accepted.
	codes := rawLogin(t, srv.Addr(), "root", testRootPassword)
	if len(codes) == 0 || codes[len(codes)-1] != 3159 {
		t.Fatalf("a client going on without TLS: packets %v, want to end with error 3159", codes)
	}
}

// rawLogin answers a SQL node's handshake in clear with a
// mysql_native_password response, ignoring any error packet, and returns
// what the server sent until it closed the connection: 0 for an OK
// packet, the error number for an error packet.
func rawLogin(t *testing.T, addr, user, pw string) []int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	read := func() []byte {
		var h [4]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return nil
		}
		p := make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16)
		if _, err := io.ReadFull(c, p); err != nil {
			return nil
		}
		return p
	}
	hs := read()
	// Handshake V10: version, server version\0, connection id (4),
	// salt part 1 (8), filler, capabilities (2), charset, status (2),
	// capabilities (2), salt length, reserved (10), salt part 2 (12)\0.
	i := bytes.IndexByte(hs, 0) + 1 + 4
	if len(hs) < i+8+1+2+1+2+2+1+10+12 {
		t.Fatalf("short handshake % x", hs)
	}
	salt := append([]byte(nil), hs[i:i+8]...)
	i += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
	salt = append(salt, hs[i:i+12]...)
	const caps = 0x1 | 0x200 | 0x8000 | 0x80000 // long password, protocol 41, secure connection, plugin auth
	var resp []byte
	resp = binary.LittleEndian.AppendUint32(resp, caps)
	resp = binary.LittleEndian.AppendUint32(resp, 1<<24)
	resp = append(resp, 33)
	resp = append(resp, make([]byte, 23)...)
	resp = append(append(resp, user...), 0)
	scramble := vmysql.ScrambleMysqlNativePassword(salt, []byte(pw))
	resp = append(append(resp, byte(len(scramble))), scramble...)
	resp = append(append(resp, "mysql_native_password"...), 0)
	pkt := []byte{byte(len(resp)), byte(len(resp) >> 8), byte(len(resp) >> 16), 1}
	if _, err := c.Write(append(pkt, resp...)); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for p := read(); p != nil; p = read() {
		switch {
		case p[0] == 0x00:
			codes = append(codes, 0)
		case p[0] == 0xff && len(p) >= 3:
			codes = append(codes, int(binary.LittleEndian.Uint16(p[1:])))
		default:
			codes = append(codes, -int(p[0]))
		}
	}
	return codes
}

// Config.Validate refuses half a TLS setup.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  sqlnode.Config
		err  string
	}{
		{"defaults", sqlnode.DefaultConfig(), ""},
		{"TLS", sqlnode.Config{TLSCertFile: "c", TLSKeyFile: "k", RequireSecureTransport: true}, ""},
		{"certificate without key", sqlnode.Config{TLSCertFile: "c"}, "both a certificate and a key"},
		{"key without certificate", sqlnode.Config{TLSKeyFile: "k"}, "both a certificate and a key"},
		{"require without certificate", sqlnode.Config{RequireSecureTransport: true}, "needs a TLS certificate"},
		{"negative poll", sqlnode.Config{PrivilegePollInterval: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.err)
		}
	}
}

// The mariadb client (if installed) connects with --ssl and sees the
// session encrypted; a caching_sha2_password user logs in over TLS.
func TestMariaDBClientTLS(t *testing.T) {
	bin, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("no mariadb client installed")
	}
	certFile, keyFile, _ := testCert(t)
	tc := startCluster(t)
	db, srv := tc.sqlNodeWith(t, sqlnode.Config{TLSCertFile: certFile, TLSKeyFile: keyFile})
	if _, err := db.ExecContext(context.Background(), "CREATE USER sha IDENTIFIED WITH caching_sha2_password BY 'sha-pw'"); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(srv.Addr(), ":")
	tests := []struct {
		user, pw string
		args     []string
		want     string
	}{
		{"root", testRootPassword, []string{"--ssl", "--ssl-ca=" + certFile, "--ssl-verify-server-cert"}, "Ssl_version\tTLSv1.3"},
		{"sha", "sha-pw", []string{"--ssl", "--ssl-ca=" + certFile}, "Ssl_version\tTLSv1.3"},
		{"root", testRootPassword, []string{"--skip-ssl"}, "Ssl_version\t"},
	}
	for _, tt := range tests {
		args := append([]string{"-h", host, "-P", port, "-u", tt.user, "-p" + tt.pw, "--batch", "--skip-column-names"}, tt.args...)
		args = append(args, "-e", "SHOW STATUS LIKE 'Ssl_version'")
		out, err := exec.Command(bin, args...).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != strings.TrimSpace(tt.want) {
			t.Errorf("mariadb %v: %v\n%s\nwant %q", tt.args, err, got, tt.want)
		}
	}
}
