package tcp_test

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/tcp"
	"github.com/gondb/gondb/transport/transporttest"
)

// testConfig is DefaultTestConfig for node self delivering to r.
func testConfig(self signal.NodeID, r transport.Receiver) tcp.Config {
	cfg := tcp.DefaultTestConfig()
	cfg.Self = self
	cfg.Receiver = r
	return cfg
}

func start(t testing.TB, cfg tcp.Config) *tcp.Transporter {
	t.Helper()
	tr, err := tcp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func loadTLS(t testing.TB, ca *transporttest.CA, name string) *tls.Config {
	t.Helper()
	cfg, err := ca.NodeFiles(t, name).Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// logBuffer is a slog handler target tests can search, safe for the
// transporter's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitLog waits until the log holds a line containing every one of parts.
func (l *logBuffer) waitLog(t testing.TB, parts ...string) {
	t.Helper()
	transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool {
		for _, line := range strings.Split(l.String(), "\n") {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(line, p)
			}
			if ok {
				return true
			}
		}
		return false
	}, "a log line with %q", parts)
}
