package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gondb/gondb/signal"
)

// Config configures a Member. It is read-only after Create.
type Config struct {
	// Node is this data node: the member's name is its decimal id.
	Node signal.NodeID
	// BindAddr is the IP address to listen on, UDP and TCP ("" or
	// "0.0.0.0": every interface; the member then advertises a private
	// address of the host, as memberlist does).
	BindAddr string
	// BindPort is the port (0: an ephemeral one; Member.Port tells it).
	BindPort int
	// Seeds are host:port addresses of other members, joined at Create
	// and again every RejoinInterval while they are not alive members.
	// Member.AddSeed adds more later.
	Seeds []string
	// Label is put on every packet and stream; members with another
	// label, and anything without one, are refused. "gondb".
	Label string

	// Timings (ConfigFor derives them from HeartbeatIntervalDbDb; see the
	// package doc).
	ProbeInterval    time.Duration
	ProbeTimeout     time.Duration
	SuspicionMult    int
	GossipInterval   time.Duration
	PushPullInterval time.Duration
	TCPTimeout       time.Duration
	RejoinInterval   time.Duration

	// Logger receives memberlist's log lines and the member's own (nil:
	// slog.Default()).
	Logger *slog.Logger
	// OnEvent is told of every change of another member's state (never
	// this member's own). It runs on memberlist's goroutines with its
	// locks held: it must not block and must not call the Member.
	OnEvent func(Event)
}

// HeartbeatIntervalDbDb's default (NDB's 5000 ms), which DefaultConfig's
// timings come from.
const defaultHeartbeat = 5 * time.Second

// Floors of the derived timings (see the package doc).
const (
	minProbeInterval  = 200 * time.Millisecond
	minProbeTimeout   = 100 * time.Millisecond
	minGossipInterval = 20 * time.Millisecond
)

// DefaultConfig returns the timings for NDB's default heartbeat interval
// (ConfigFor(5 s)), the label "gondb" and an ephemeral port on every
// interface. The caller sets Node, the address, the seeds and OnEvent.
func DefaultConfig() Config { return ConfigFor(defaultHeartbeat) }

// ConfigFor returns DefaultConfig's settings with the timings derived
// from the data nodes' heartbeat interval hb (the mapping is in the
// package doc).
func ConfigFor(hb time.Duration) Config {
	probe := max(hb/4, minProbeInterval)
	return Config{
		Label: "gondb",
		// Probed about once per heartbeat interval by some member.
		ProbeInterval: probe,
		// memberlist's LAN ratio: half the interval is left for the
		// indirect probes through other members.
		ProbeTimeout: max(probe/2, minProbeTimeout),
		// memberlist's LAN default: suspicion lasts 4 probe intervals
		// (one heartbeat interval) in clusters of up to 10 nodes, long
		// enough for a live node to refute it.
		SuspicionMult: 4,
		// memberlist's LAN ratio (200 ms to a 1 s probe interval).
		GossipInterval: max(probe/5, minGossipInterval),
		// memberlist's LAN values at NDB's 5 s: full state syncs every
		// 30 s, 10 s for a stream.
		PushPullInterval: 6 * hb,
		TCPTimeout:       2 * hb,
		// A seed that is not an alive member is joined again every two
		// heartbeat intervals: a restarted node is back within them.
		RejoinInterval: 2 * hb,
	}
}

// DefaultTestConfig returns fast timings for members on loopback in
// tests: a crashed member is dead to the others within about 0.3 s.
func DefaultTestConfig() Config {
	c := DefaultConfig()
	c.BindAddr = "127.0.0.1"
	c.ProbeInterval = 50 * time.Millisecond
	c.ProbeTimeout = 25 * time.Millisecond
	c.GossipInterval = 10 * time.Millisecond
	c.PushPullInterval = 2 * time.Second
	c.TCPTimeout = time.Second
	c.RejoinInterval = 200 * time.Millisecond
	return c
}

// DeadAfter is about how long after a crash the other members declare a
// member dead, in a cluster of n members: a probe within about one
// ProbeInterval, its time-out and the indirect probes (the rest of the
// interval), then the suspicion time-out. Lost packets or a loaded host
// make it longer.
func (c Config) DeadAfter(n int) time.Duration {
	return 2*c.ProbeInterval + c.suspicionTimeout(n)
}

// suspicionTimeout is memberlist's: SuspicionMult x max(1, log10 n) x
// ProbeInterval, at its minimum (memberlist waits for no confirmations
// in clusters of fewer than SuspicionMult nodes).
func (c Config) suspicionTimeout(n int) time.Duration {
	scale := 1.0
	for m := n; m >= 10; m /= 10 { // floor(log10 n) is enough for an estimate
		scale++
	}
	return time.Duration(float64(c.SuspicionMult) * scale * float64(c.ProbeInterval))
}

// Validate reports everything wrong with c. It never changes c.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("gossip: "+format, a...)) }
	if c.Node == 0 || c.Node > signal.MaxNodeID {
		bad("node id %d out of range 1..%d", c.Node, signal.MaxNodeID)
	}
	if c.BindAddr != "" && net.ParseIP(c.BindAddr) == nil {
		bad("BindAddr %q is not an IP address", c.BindAddr)
	}
	if c.BindPort < 0 || c.BindPort > 65535 {
		bad("BindPort %d out of range 0..65535", c.BindPort)
	}
	for _, s := range c.Seeds {
		if _, _, err := net.SplitHostPort(s); err != nil {
			bad("seed %q: %v", s, err)
		}
	}
	if len(c.Label) > 255 {
		bad("label of %d bytes, at most 255", len(c.Label))
	}
	if c.ProbeInterval <= 0 || c.ProbeTimeout <= 0 || c.ProbeTimeout >= c.ProbeInterval {
		bad("ProbeTimeout %v must be positive and below ProbeInterval %v", c.ProbeTimeout, c.ProbeInterval)
	}
	if c.SuspicionMult < 1 {
		bad("SuspicionMult %d must be at least 1", c.SuspicionMult)
	}
	if c.GossipInterval <= 0 || c.PushPullInterval <= 0 || c.TCPTimeout <= 0 || c.RejoinInterval <= 0 {
		bad("GossipInterval %v, PushPullInterval %v, TCPTimeout %v and RejoinInterval %v must be positive",
			c.GossipInterval, c.PushPullInterval, c.TCPTimeout, c.RejoinInterval)
	}
	return errors.Join(errs...)
}
