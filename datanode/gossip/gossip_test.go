package gossip_test

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/gossip"
	"github.com/gondb/gondb/signal"
	"github.com/hashicorp/memberlist"
)

// quiet is a logger for members whose logs the test does not read.
func quiet() *slog.Logger {
	if testing.Verbose() && os.Getenv("GOSSIP_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// waitLimit bounds every wait for the gossip cluster to converge: far
// above what the test timings need (DeadAfter is about 0.3 s), so that
// only a broken member, not a slow machine, fails a test.
const waitLimit = 15 * time.Second

// recorder keeps the events a member's OnEvent was told.
type recorder struct {
	mu  sync.Mutex
	evs []gossip.Event
}

func (r *recorder) add(e gossip.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

// states are node's states in the order they were reported.
func (r *recorder) states(node signal.NodeID) []gossip.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []gossip.State
	for _, e := range r.evs {
		if e.Node == node {
			out = append(out, e.State)
		}
	}
	return out
}

// member is a test member with its recorder.
type member struct {
	*gossip.Member
	id  signal.NodeID
	rec *recorder
}

func (m member) String() string { return strconv.Itoa(int(m.id)) }

// start creates member id on loopback (ephemeral port) with the test
// timings, seeded with seeds.
func start(t *testing.T, id signal.NodeID, seeds ...string) member {
	t.Helper()
	c := gossip.DefaultTestConfig()
	c.Node, c.Seeds, c.Logger = id, seeds, quiet()
	rec := &recorder{}
	c.OnEvent = rec.add
	m, err := gossip.Create(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	if m.Port() == 0 || !strings.HasSuffix(m.Addr(), ":"+strconv.Itoa(m.Port())) {
		t.Fatalf("member %d: bound %q, port %d", id, m.Addr(), m.Port())
	}
	return member{m, id, rec}
}

// startCluster creates members 1..n, each seeded with member 1.
func startCluster(t *testing.T, n int) []member {
	t.Helper()
	ms := []member{start(t, 1)}
	for i := 2; i <= n; i++ {
		ms = append(ms, start(t, signal.NodeID(i), ms[0].Addr()))
	}
	for _, m := range ms {
		for _, o := range ms {
			if m.Member != o.Member {
				waitState(t, m, o.id, gossip.Alive)
			}
		}
	}
	return ms
}

// waitState waits until m holds node in state want.
func waitState(t *testing.T, m member, node signal.NodeID, want gossip.State) time.Duration {
	t.Helper()
	began := time.Now()
	for m.State(node) != want {
		if time.Since(began) > waitLimit {
			t.Fatalf("member %s: node %d is %v after %v, want %v (events %v)", m, node, m.State(node), waitLimit,
				want, m.rec.states(node))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(began)
}

// TestCrashSeenDead: a member shut down without Leave is declared dead
// (not left) by the others, and one that starts again under the same
// node id on another port is alive again to them.
func TestCrashSeenDead(t *testing.T) {
	ms := startCluster(t, 3)
	c := gossip.DefaultTestConfig()
	crashed := time.Now()
	if err := ms[2].Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		waitState(t, m, 3, gossip.Dead)
		t.Logf("member %s: node 3 dead %v after the crash (DeadAfter(3) = %v)", m, time.Since(crashed), c.DeadAfter(3))
		if got := m.rec.states(3); got[len(got)-1] != gossip.Dead {
			t.Fatalf("member %s: node 3 went %v", m, got)
		}
	}
	// The node starts again: new port, same name. The others give the
	// name to a new address once it has been dead a ProbeInterval
	// (memberlist's DeadNodeReclaimTime); a restart sooner than that
	// would wait for the next push/pull.
	time.Sleep(2 * c.ProbeInterval)
	again := start(t, 3, ms[0].Addr())
	if again.Addr() == ms[2].Addr() {
		t.Logf("the ephemeral port came back: %s", again.Addr())
	}
	for _, m := range ms[:2] {
		waitState(t, m, 3, gossip.Alive)
		for _, st := range m.Members() {
			if st.Node == 3 && st.Addr != again.Addr() {
				t.Fatalf("member %s holds node 3 at %s, want %s", m, st.Addr, again.Addr())
			}
		}
	}
}

// TestLeaveSeenLeft: a member that leaves is left to the others, never
// dead.
func TestLeaveSeenLeft(t *testing.T) {
	ms := startCluster(t, 3)
	if err := ms[2].Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := ms[2].Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := ms[2].Leave(time.Second); err != nil { // after Shutdown: nothing
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		waitState(t, m, 3, gossip.Left)
		for _, st := range m.rec.states(3) {
			if st == gossip.Dead {
				t.Fatalf("member %s took node 3 for dead: %v", m, m.rec.states(3))
			}
		}
	}
}

// TestGarbagePackets: packets and streams that are not a member's (no
// label, another label, random bytes, memberlist message types with
// garbage after them) are dropped; the member goes on and admits a new
// member afterwards.
func TestGarbagePackets(t *testing.T) {
	ms := startCluster(t, 2)
	target := ms[0].Addr()
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	labelled := func(label string, body []byte) []byte {
		return append([]byte{244, byte(len(label))}, append([]byte(label), body...)...) // memberlist's label header
	}
	packets := [][]byte{
		{}, {0}, {255}, random(1), random(64), random(1400), random(9000),
		labelled("other", random(32)), labelled("gondb", random(32)), labelled("gondb", nil),
		labelled("gondb", []byte{0}), labelled("gondb", []byte{9, 1, 2, 3}), // ping, compressed with junk
		labelled("gondb", []byte{7, 0, 0}), // compound, count 0
		labelled("gondb", []byte{7, 200}),  // compound, truncated lengths
		{244, 200, 'x'},                    // label longer than the packet
	}
	for i := 0; i < 200; i++ {
		body := random(1 + r.IntN(100))
		body[0] = byte(r.IntN(16)) // every message type
		packets = append(packets, labelled("gondb", body))
	}
	udp, err := net.Dial("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for _, p := range packets {
		if _, err := udp.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range packets[:20] {
		c, err := net.Dial("tcp", target)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(p)
		_ = c.Close()
	}
	// Still a working member: a new one joins through it and the other
	// member hears of it.
	late := start(t, 3, target)
	waitState(t, ms[1], 3, gossip.Alive)
	waitState(t, late, 2, gossip.Alive)
	if st := ms[0].State(2); st != gossip.Alive {
		t.Fatalf("member 1 holds member 2 %v after the garbage", st)
	}
}

// TestForeignMembersIgnored: a member with the label whose name is no
// data node id is never reported.
func TestForeignMembersIgnored(t *testing.T) {
	ms := startCluster(t, 2)
	for _, name := range []string{"web-1", "0", "256", "007", "-3"} {
		c := memberlist.DefaultLocalConfig()
		c.Name, c.BindAddr, c.BindPort, c.AdvertisePort = name, "127.0.0.1", 0, 0
		c.Label, c.LogOutput = "gondb", io.Discard
		ml, err := memberlist.Create(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ml.Join([]string{ms[0].Addr()}); err != nil {
			t.Fatal(err)
		}
		_ = ml.Shutdown()
	}
	// A data node joining after them is seen: the foreign ones were
	// merged (and ignored) before.
	start(t, 3, ms[0].Addr())
	waitState(t, ms[0], 3, gossip.Alive)
	for _, m := range ms {
		for _, st := range m.Members() {
			if st.Node != 1 && st.Node != 2 && st.Node != 3 {
				t.Fatalf("member %s reports %+v", m, st)
			}
		}
	}
}

// TestAddSeed: members that know no seed find each other once one is
// given the other's address.
func TestAddSeed(t *testing.T) {
	a, b := start(t, 1), start(t, 2)
	b.AddSeed(1, a.Addr())
	b.AddSeed(2, b.Addr()) // itself: ignored
	waitState(t, a, 2, gossip.Alive)
	waitState(t, b, 1, gossip.Alive)
	if n, err := a.Join(b.Addr()); n != 1 || err != nil {
		t.Fatalf("Join: %d %v", n, err)
	}
	_ = a.Shutdown()
	if _, err := a.Join(b.Addr()); err != gossip.ErrShutdown {
		t.Fatalf("Join after Shutdown: %v", err)
	}
}

func TestConfigFor(t *testing.T) {
	for _, tc := range []struct {
		hb                                 time.Duration
		probe, timeout, gossip, push, tcp_ time.Duration
	}{
		{5 * time.Second, 1250 * time.Millisecond, 625 * time.Millisecond, 250 * time.Millisecond, 30 * time.Second, 10 * time.Second},
		{time.Second, 250 * time.Millisecond, 125 * time.Millisecond, 50 * time.Millisecond, 6 * time.Second, 2 * time.Second},
		{100 * time.Millisecond, 200 * time.Millisecond, 100 * time.Millisecond, 40 * time.Millisecond, 600 * time.Millisecond, 200 * time.Millisecond},
	} {
		c := gossip.ConfigFor(tc.hb)
		if c.ProbeInterval != tc.probe || c.ProbeTimeout != tc.timeout || c.GossipInterval != tc.gossip ||
			c.PushPullInterval != tc.push || c.TCPTimeout != tc.tcp_ || c.RejoinInterval != 2*tc.hb || c.SuspicionMult != 4 {
			t.Errorf("ConfigFor(%v) = %+v", tc.hb, c)
		}
		c.Node = 1
		if err := c.Validate(); err != nil {
			t.Errorf("ConfigFor(%v): %v", tc.hb, err)
		}
	}
	// Gossip is faster than 4 heartbeat intervals from NDB's default
	// down to a few hundred milliseconds.
	for _, hb := range []time.Duration{5 * time.Second, time.Second, 400 * time.Millisecond} {
		if d := gossip.ConfigFor(hb).DeadAfter(4); d >= 4*hb {
			t.Errorf("HB %v: dead after %v, not before 4 x HB", hb, d)
		}
	}
	if d := gossip.ConfigFor(5 * time.Second).DeadAfter(3); d != 7500*time.Millisecond {
		t.Errorf("DeadAfter(3) at 5 s: %v", d)
	}
	if d := gossip.ConfigFor(5 * time.Second).DeadAfter(20); d != 12500*time.Millisecond {
		t.Errorf("DeadAfter(20) at 5 s: %v", d)
	}
}

func TestConfigValidate(t *testing.T) {
	good := gossip.DefaultConfig()
	good.Node = 3
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*gossip.Config)
		want string
	}{
		{"node 0", func(c *gossip.Config) { c.Node = 0 }, "node id 0"},
		{"node 300", func(c *gossip.Config) { c.Node = 300 }, "node id 300"},
		{"bind name", func(c *gossip.Config) { c.BindAddr = "localhost" }, "not an IP"},
		{"port", func(c *gossip.Config) { c.BindPort = 70000 }, "BindPort"},
		{"seed", func(c *gossip.Config) { c.Seeds = []string{"nohost"} }, "seed"},
		{"label", func(c *gossip.Config) { c.Label = strings.Repeat("x", 256) }, "label"},
		{"timeout", func(c *gossip.Config) { c.ProbeTimeout = c.ProbeInterval }, "ProbeTimeout"},
		{"suspicion", func(c *gossip.Config) { c.SuspicionMult = 0 }, "SuspicionMult"},
		{"rejoin", func(c *gossip.Config) { c.RejoinInterval = 0 }, "RejoinInterval"},
	} {
		c := good
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if m, cerr := gossip.Create(c); cerr == nil {
			_ = m.Shutdown()
			t.Errorf("%s: Create accepted it", tc.name)
		}
	}
}

// TestCreateFails: an address the host does not have, or a port taken,
// is an error, not a panic.
func TestCreateFails(t *testing.T) {
	taken := start(t, 1)
	for _, tc := range []struct {
		name string
		edit func(*gossip.Config)
	}{
		{"foreign address", func(c *gossip.Config) { c.BindAddr = "192.0.2.1" }},
		{"port taken", func(c *gossip.Config) { c.BindPort = taken.Port() }},
	} {
		c := gossip.DefaultTestConfig()
		c.Node, c.Logger = 2, quiet()
		tc.edit(&c)
		if m, err := gossip.Create(c); err == nil {
			_ = m.Shutdown()
			t.Errorf("%s: Create succeeded", tc.name)
		} else if !strings.Contains(err.Error(), "gossip: node 2") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
