package state

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// EmbeddedOptions configures the etcd server OpenEmbedded starts.
type EmbeddedOptions struct {
	Options
	// Name is the etcd member name. Default "gondb-mgmd".
	Name string
	// ClientURL and PeerURL are where etcd listens, e.g.
	// "http://127.0.0.1:2379". Empty: 127.0.0.1 on a free port, so nothing
	// outside the host can reach the embedded etcd.
	ClientURL, PeerURL string
	// StartTimeout bounds the wait for the server to be ready (replaying a
	// large WAL can take a while). Default 60 s.
	StartTimeout time.Duration
	// UnsafeNoFsync skips fsync in etcd: a crash can lose committed state.
	// For tests only.
	UnsafeNoFsync bool
}

// OpenEmbedded starts a single-member etcd server whose data lives in dir
// (created if missing; an existing one is reopened with its data), waits
// until it is ready, and connects a Store to it. Close stops the server.
func OpenEmbedded(dir string, opts EmbeddedOptions) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("embedded etcd needs a data directory: %w", ErrInvalidArgument)
	}
	if err := opts.Options.Validate(); err != nil {
		return nil, err
	}
	o := opts.Options.resolved()
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.Name == "" {
		opts.Name = "gondb-mgmd"
	}
	// A free port found by listening on :0 can be taken by someone else
	// before etcd binds it; try again with new ports in that case.
	const attempts = 5
	for i := 1; ; i++ {
		quiet := new(atomic.Bool)
		e, err := startEtcd(dir, opts, o, quiet)
		if err == nil {
			urls := make([]string, len(e.Clients))
			for j, l := range e.Clients {
				urls[j] = "http://" + l.Addr().String()
			}
			return connect(urls, o, &embedded{e, quiet})
		}
		portRace := errors.Is(err, syscall.EADDRINUSE) && (opts.ClientURL == "" || opts.PeerURL == "")
		if !portRace || i == attempts {
			return nil, err
		}
		o.Logger.Warn("embedded etcd: port taken, trying others", "err", err)
	}
}

// embedded is a running etcd server and the switch that silences its log
// while we stop it.
type embedded struct {
	e     *embed.Etcd
	quiet *atomic.Bool
}

func (m *embedded) close() {
	m.quiet.Store(true)
	m.e.Close()
}

func startEtcd(dir string, opts EmbeddedOptions, o Options, quiet *atomic.Bool) (*embed.Etcd, error) {
	// etcd wants its data directory private; it only warns otherwise.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: %w", err)
	}
	client, err := urlOrFree(opts.ClientURL)
	if err != nil {
		return nil, err
	}
	peer, err := urlOrFree(opts.PeerURL)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = opts.Name
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.InitialCluster = opts.Name + "=" + peer.String()
	cfg.InitialClusterToken = "gondb-" + o.ClusterName
	cfg.UnsafeNoFsync = opts.UnsafeNoFsync
	cfg.EnableGRPCGateway = false
	// The registry rewrites node records on every state report; keep one
	// hour of history for watchers that reconnect, and no more.
	cfg.AutoCompactionMode = embed.CompactorModePeriodic
	cfg.AutoCompactionRetention = "1h"
	cfg.LogLevel = "warn"
	core := newSlogCore(o.Logger, zap.WarnLevel, "etcd")
	core.quiet = quiet
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.New(core))

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
		o.Logger.Info("embedded etcd ready", "dir", dir, "client", client.String(), "peer", peer.String())
		return e, nil
	case err := <-e.Err():
		quiet.Store(true)
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: %w", dir, err)
	case <-time.After(opts.StartTimeout):
		quiet.Store(true)
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s not ready after %v", dir, opts.StartTimeout)
	}
}

// urlOrFree parses u, or makes http://127.0.0.1:<free port> when u is
// empty.
func urlOrFree(u string) (*url.URL, error) {
	if u != "" {
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			return nil, fmt.Errorf("etcd URL %q: %w", u, ErrInvalidArgument)
		}
		return p, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}, nil
}
