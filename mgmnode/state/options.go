package state

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// MaxNodeID is the highest node id a cluster may use (NDB's limit).
const MaxNodeID = 255

// Options configures a Store. Zero fields take the value of
// DefaultOptions(); Options are read once at Open and never changed after.
type Options struct {
	// ClusterName names the cluster; it makes the default key prefix, so
	// two clusters can share one etcd.
	ClusterName string
	// Prefix is the root of every key this Store reads or writes. It must
	// start and end with '/'. Default "/gondb/<ClusterName>/".
	Prefix string
	// Logger receives the store's own messages and etcd's (warn and up).
	Logger *slog.Logger
	// DialTimeout bounds connecting to etcd and the first read that proves
	// the cluster answers.
	DialTimeout time.Duration
	// RequestTimeout bounds a call whose context has no deadline.
	RequestTimeout time.Duration
	// NodeIDLeaseTTL is how long an allocated node id outlives its last
	// renewal. etcd rounds it up to whole seconds and to its minimum lease
	// (about 2 s with default raft timing).
	NodeIDLeaseTTL time.Duration
	// ArbitrationTimeout is how long a granted arbitration is held; see
	// Arbitrate. NDB's parameter of the same name.
	ArbitrationTimeout time.Duration
}

// DefaultOptions returns the defaults, with the reason for each.
func DefaultOptions() Options {
	return Options{
		ClusterName: "default",
		Logger:      nil, // slog.Default() at Open: the process decides where logs go
		// etcd answers a local dial in milliseconds; 5 s covers a remote
		// cluster electing a leader after a restart.
		DialTimeout: 5 * time.Second,
		// An etcd write commits in a few ms; 5 s is several leader
		// elections, after which the caller should hear about it.
		RequestTimeout: 5 * time.Second,
		// NDB declares an API node dead after 4 missed heartbeats at
		// HeartbeatIntervalDbApi 1.5 s (6 s); the lease outlives that
		// so a slow heartbeat does not free a live node's id.
		NodeIDLeaseTTL: 10 * time.Second,
		// NDB's default ArbitrationTimeout.
		ArbitrationTimeout: 7500 * time.Millisecond,
	}
}

// resolved returns o with zero fields filled from the defaults. It does not
// change o.
func (o Options) resolved() Options {
	d := DefaultOptions()
	if o.ClusterName == "" {
		o.ClusterName = d.ClusterName
	}
	if o.Prefix == "" {
		o.Prefix = "/gondb/" + o.ClusterName + "/"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = d.DialTimeout
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = d.RequestTimeout
	}
	if o.NodeIDLeaseTTL == 0 {
		o.NodeIDLeaseTTL = d.NodeIDLeaseTTL
	}
	if o.ArbitrationTimeout == 0 {
		o.ArbitrationTimeout = d.ArbitrationTimeout
	}
	return o
}

// Validate reports the first bad field; it never changes o.
func (o Options) Validate() error {
	r := o.resolved()
	switch {
	case strings.ContainsAny(r.ClusterName, "/ \t\n"):
		return fmt.Errorf("cluster name %q: no '/' or spaces allowed: %w", r.ClusterName, ErrInvalidArgument)
	case !strings.HasPrefix(r.Prefix, "/") || !strings.HasSuffix(r.Prefix, "/"):
		return fmt.Errorf("key prefix %q must start and end with '/': %w", r.Prefix, ErrInvalidArgument)
	case r.DialTimeout < 0 || r.RequestTimeout < 0:
		return fmt.Errorf("timeouts must not be negative: %w", ErrInvalidArgument)
	case r.NodeIDLeaseTTL < time.Second:
		return fmt.Errorf("node id lease TTL %v is under 1s: %w", r.NodeIDLeaseTTL, ErrInvalidArgument)
	case r.ArbitrationTimeout < 0:
		return fmt.Errorf("arbitration timeout %v is negative: %w", r.ArbitrationTimeout, ErrInvalidArgument)
	}
	return nil
}

// ttlSeconds is d in whole seconds, rounded up, at least 1: etcd leases
// count seconds.
func ttlSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
