package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Store is the management node's durable state in etcd. It is safe for
// concurrent use; every method takes a context and, when that context has
// no deadline, bounds itself with Options.RequestTimeout.
type Store struct {
	cli       *clientv3.Client
	etcd      *embedded // nil when the etcd is external
	endpoints []string
	opts      Options // resolved
	k         keys
	log       *slog.Logger

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// OpenExternal connects to an existing etcd cluster. It returns once a read
// through the cluster succeeded, so an unreachable cluster is an error here
// and not at the first call.
func OpenExternal(endpoints []string, opts Options) (*Store, error) {
	if len(endpoints) == 0 {
		return nil, fmt.Errorf("no etcd endpoints: %w", ErrInvalidArgument)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return connect(endpoints, opts.resolved(), nil)
}

// connect makes the client and proves the cluster answers. etcd, when not
// nil, is owned by the new Store (and closed on failure).
func connect(endpoints []string, o Options, etcd *embedded) (*Store, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: o.DialTimeout,
		Logger:      zap.New(newSlogCore(o.Logger, zap.WarnLevel, "etcd-client")),
		// Ping an idle connection so a dead etcd member is noticed and the
		// client fails over to another endpoint.
		DialKeepAliveTime:    o.DialTimeout,
		DialKeepAliveTimeout: o.DialTimeout,
	})
	if err != nil {
		if etcd != nil {
			etcd.close()
		}
		return nil, fmt.Errorf("etcd client for %v: %w", endpoints, err)
	}
	s := &Store{cli: cli, etcd: etcd, endpoints: endpoints, opts: o, k: keys{p: o.Prefix}, log: o.Logger}
	ctx, cancel := context.WithTimeout(context.Background(), o.DialTimeout)
	defer cancel()
	if _, err := cli.Get(ctx, s.k.config(), clientv3.WithCountOnly()); err != nil {
		s.Close()
		return nil, fmt.Errorf("etcd at %v does not answer: %w", endpoints, err)
	}
	return s, nil
}

// Endpoints are the etcd client URLs this Store talks to; for an embedded
// etcd, where another mgmd or etcdctl can reach it.
func (s *Store) Endpoints() []string { return append([]string(nil), s.endpoints...) }

// Prefix is the key prefix under which everything lives.
func (s *Store) Prefix() string { return s.k.p }

// Embedded reports whether this Store runs its own etcd server.
func (s *Store) Embedded() bool { return s.etcd != nil }

// Close disconnects and, for an embedded etcd, stops the server. Watches
// end. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = s.cli.Close()
		if errors.Is(s.closeErr, context.Canceled) {
			s.closeErr = nil
		}
		if s.etcd != nil {
			s.etcd.close()
		}
	})
	return s.closeErr
}

// ctx applies RequestTimeout when the caller set no deadline, and refuses
// work after Close.
func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if s.closed.Load() {
		return nil, nil, ErrClosed
	}
	if _, ok := ctx.Deadline(); ok {
		c, cancel := context.WithCancel(ctx)
		return c, cancel, nil
	}
	c, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	return c, cancel, nil
}

// etcdErr wraps an error from etcd with what was being done, and reports
// ErrClosed when the Store was closed under the call.
func (s *Store) etcdErr(what string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, ErrClosed)
	}
	return fmt.Errorf("%s: etcd: %w", what, err)
}
