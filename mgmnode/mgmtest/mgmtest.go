package mgmtest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/server"
	"github.com/gondb/gondb/mgmnode/state"
)

// QuietLogger drops everything below error, or below the level in
// $GONDB_TEST_LOG (debug, info, warn) when set.
func QuietLogger() *slog.Logger {
	level := slog.LevelError
	if v := os.Getenv("GONDB_TEST_LOG"); v != "" {
		level.UnmarshalText([]byte(v))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

var shared struct {
	once      sync.Once
	store     *state.Store
	dir       string
	endpoints []string
	err       error
}

// SharedEtcd returns the endpoints of an embedded etcd started once per
// test binary; call CloseShared from TestMain after the tests. Tests keep
// apart by cluster name (each Start takes a new one).
func SharedEtcd(t testing.TB) []string {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "gondb-mgmtest-etcd-")
		if shared.err != nil {
			return
		}
		shared.store, shared.err = state.OpenEmbedded(shared.dir, state.EmbeddedOptions{
			Options: state.Options{ClusterName: "mgmtest", Logger: QuietLogger()}, UnsafeNoFsync: true})
		if shared.err == nil {
			shared.endpoints = shared.store.Endpoints()
		}
	})
	if shared.err != nil {
		t.Fatalf("shared embedded etcd: %v", shared.err)
	}
	return shared.endpoints
}

// Main runs a test binary's tests and then stops the shared etcd and
// removes its directory (about 120 MB): call it from TestMain in every
// package whose tests use SharedEtcd or Start.
func Main(m *testing.M) {
	code := m.Run()
	CloseShared()
	os.Exit(code)
}

// CloseShared stops the shared etcd, if one was started.
func CloseShared() {
	if shared.store != nil {
		shared.store.Close()
		os.RemoveAll(shared.dir)
	}
}

// ExternalEtcd runs the etcd binary (Debian's etcd-server) on free
// 127.0.0.1 ports until the test ends, or skips the test when there is
// none on PATH.
func ExternalEtcd(t *testing.T) []string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Skip("no etcd binary on PATH (/usr/bin/etcd); install Debian's etcd-server package to run the external-etcd HA tests")
	}
	client, peer := freeURL(t), freeURL(t)
	dir := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(bin, "--name", "ext", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "ext="+peer, "--initial-cluster-state", "new",
		"--logger", "zap", "--log-level", "error")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("etcd output:\n%s", out.String())
		}
	})
	endpoints := []string{client}
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, err := state.OpenExternal(endpoints, state.Options{Logger: QuietLogger(), DialTimeout: time.Second})
		if err == nil {
			s.Close()
			return endpoints
		}
		select {
		case <-done:
			t.Fatalf("etcd exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd at %v not ready: %v", endpoints, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freeURL(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// Options shape a test cluster. Zero fields take the defaults in
// parentheses.
type Options struct {
	MgmNodes     int // management servers (1), node ids 1..MgmNodes
	DataNodes    int // data nodes (2), the next ids
	NoOfReplicas int // (2, or 1 with one data node)
	SQLSlots     int // [mysqld] slots (1)
	APISlots     int // [api] slots (2)
	// Endpoints is the etcd (SharedEtcd).
	Endpoints []string
	// NodeIDLeaseTTL of the stores and servers (2 s: etcd's minimum).
	NodeIDLeaseTTL time.Duration
	// Server adjusts each server's config before it starts.
	Server func(*server.Config)
	// Logger for servers and stores (QuietLogger).
	Logger *slog.Logger
	// DataNodeDefaults are more lines of [ndbd default] ("NodeFailover=true").
	DataNodeDefaults string
}

// Cluster is a running set of management servers.
type Cluster struct {
	ConfigText    string
	ClusterName   string
	Servers       []*server.Server
	Stores        []*state.Store
	Addrs         []string // host:port of each server
	ConnectString string   // every server, comma-separated
	DataNodeIDs   []uint32
	stopped       []bool
	mu            sync.Mutex
}

var seq atomic.Int64

// Start starts a cluster's management servers, each with its own Store
// on the etcd, the configuration stored by the first. Everything stops
// when the test ends.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	if o.MgmNodes == 0 {
		o.MgmNodes = 1
	}
	if o.DataNodes == 0 {
		o.DataNodes = 2
	}
	if o.NoOfReplicas == 0 {
		o.NoOfReplicas = min(2, o.DataNodes)
	}
	if o.SQLSlots == 0 {
		o.SQLSlots = 1
	}
	if o.APISlots == 0 {
		o.APISlots = 2
	}
	if o.NodeIDLeaseTTL == 0 {
		o.NodeIDLeaseTTL = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = QuietLogger()
	}
	if o.Endpoints == nil {
		o.Endpoints = SharedEtcd(t)
	}
	c := &Cluster{ClusterName: fmt.Sprintf("%s-%d", strings.NewReplacer("/", "-", " ", "-", "#", "-").Replace(t.Name()), seq.Add(1))}
	listeners := make([]net.Listener, o.MgmNodes)
	for i := range listeners {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners[i] = l
		c.Addrs = append(c.Addrs, l.Addr().String())
	}
	c.ConnectString = strings.Join(c.Addrs, ",")
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "[ndbd default]\nNoOfReplicas=%d\nDataMemory=16M\nDataDir=%s\nNoOfFragmentLogFiles=3\nFragmentLogFileSize=4M\n", o.NoOfReplicas, dir)
	if o.DataNodeDefaults != "" {
		b.WriteString(strings.TrimSuffix(o.DataNodeDefaults, "\n") + "\n")
	}
	b.WriteString("\n")
	id := 1
	for _, a := range c.Addrs {
		_, port, _ := net.SplitHostPort(a)
		fmt.Fprintf(&b, "[ndb_mgmd]\nNodeId=%d\nHostName=127.0.0.1\nPortNumber=%s\nDataDir=%s\n\n", id, port, dir)
		id++
	}
	for range o.DataNodes {
		fmt.Fprintf(&b, "[ndbd]\nNodeId=%d\nHostName=127.0.0.1\n\n", id)
		c.DataNodeIDs = append(c.DataNodeIDs, uint32(id))
		id++
	}
	for range o.SQLSlots {
		fmt.Fprintf(&b, "[mysqld]\nNodeId=%d\n\n", id)
		id++
	}
	for range o.APISlots {
		fmt.Fprintf(&b, "[api]\nNodeId=%d\n\n", id)
		id++
	}
	c.ConfigText = b.String()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, l := range listeners {
		st, err := state.OpenExternal(o.Endpoints, state.Options{ClusterName: c.ClusterName, Logger: o.Logger, NodeIDLeaseTTL: o.NodeIDLeaseTTL})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			if _, _, err := server.InstallConfig(ctx, st, "config.ini", c.ConfigText, false, config.Options{}); err != nil {
				t.Fatalf("install config: %v\n%s", err, c.ConfigText)
			}
		}
		cfg := server.Config{Store: st, NodeID: uint32(i + 1), Listener: l, Logger: o.Logger, Version: "gondb-test",
			HeartbeatInterval: 100 * time.Millisecond, LivenessInterval: 100 * time.Millisecond,
			NodeIDLeaseTTL: o.NodeIDLeaseTTL, PeerTimeout: time.Second}
		if o.Server != nil {
			o.Server(&cfg)
		}
		s, err := server.Start(ctx, cfg)
		if err != nil {
			t.Fatalf("start management server %d: %v", i+1, err)
		}
		t.Cleanup(s.Stop)
		c.Servers = append(c.Servers, s)
		c.Stores = append(c.Stores, st)
		c.stopped = append(c.stopped, false)
	}
	return c
}

// StopServer stops management server i (0-based).
func (c *Cluster) StopServer(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped[i] {
		c.stopped[i] = true
		c.Servers[i].Stop()
	}
}

// DataNode is a data node made of the client library: it joins, reports
// start phases and STARTED, and acts on commands as a data node reports
// them (STOP: STOPPING then NOT_STARTED; START: STARTING then STARTED;
// RESTART: both, unless NoStart).
type DataNode struct {
	*client.Node
	opts     DataNodeOptions
	mu       sync.Mutex
	commands []mgmapi.Command
	downs    []Interval
	done     chan struct{}
}

// DataNodeOptions shape a fake data node's starts.
type DataNodeOptions struct {
	// Start: report STARTED at once after joining.
	Start bool
	// StartTime is how long a start after a command takes, spread over
	// its phases (0: none).
	StartTime time.Duration
	// NodeRestart: a start after a command reports a node restart's
	// progress in its heartbeats while in phase 3 (4 fragments copied
	// one by one).
	NodeRestart bool
}

// Interval is a time the node was not STARTED: from the command that
// stopped it to its STARTED report (To is zero while it is down).
type Interval struct{ From, To time.Time }

// StartDataNode joins data node id through connect and, if start, reports
// it STARTED. It is closed (its id released) when the test ends.
func StartDataNode(t testing.TB, connect string, id uint32, start bool) *DataNode {
	t.Helper()
	return StartDataNodeWith(t, connect, id, DataNodeOptions{Start: start})
}

// StartDataNodeWith is StartDataNode with options.
func StartDataNodeWith(t testing.TB, connect string, id uint32, o DataNodeOptions) *DataNode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := client.Join(ctx, connect, client.NodeOptions{
		Options: client.Options{Logger: QuietLogger(), ConnectTimeout: time.Second, CallTimeout: 3 * time.Second},
		Type:    mgmapi.TypeData, NodeID: id, Version: "gondb-test"})
	if err != nil {
		t.Fatalf("data node %d: join: %v", id, err)
	}
	d := &DataNode{Node: n, opts: o, done: make(chan struct{})}
	n.SetHeartbeatInfo(client.HeartbeatInfo{Memory: memoryFigures})
	if err := n.Heartbeat(ctx); err != nil {
		t.Fatalf("data node %d: heartbeat: %v", id, err)
	}
	if o.Start {
		if err := d.start(ctx, false); err != nil {
			t.Fatalf("data node %d: start: %v", id, err)
		}
	}
	go d.run()
	t.Cleanup(func() { d.Close(); <-d.done })
	return d
}

var memoryFigures = []mgmapi.MemoryUsage{
	{Resource: "Data", Used: 177, Total: 3200, PageSize: 32768},
	{Resource: "Index", Used: 108, Total: 12832, PageSize: 8192}}

// start reports the start phases and STARTED; slow: as DataNodeOptions
// say (a start after a command).
func (d *DataNode) start(ctx context.Context, slow bool) error {
	step := time.Duration(0)
	if slow {
		step = d.opts.StartTime / 4
	}
	for phase := 1; phase <= 3; phase++ {
		if err := d.ReportState(ctx, mgmapi.StatusStarting, phase); err != nil {
			return err
		}
		time.Sleep(step)
	}
	if slow && d.opts.NodeRestart {
		const frags = 4
		for i := 0; i <= frags; i++ {
			d.SetHeartbeatInfo(client.HeartbeatInfo{Memory: memoryFigures,
				NodeRestart: &mgmapi.NodeRestartProgress{Step: "copying", FragmentsCopied: i, Fragments: frags, RowsCopied: uint64(100 * i)}})
			if err := d.Heartbeat(ctx); err != nil {
				return err
			}
			time.Sleep(step / frags)
		}
		d.SetHeartbeatInfo(client.HeartbeatInfo{Memory: memoryFigures})
	} else {
		time.Sleep(step)
	}
	// The interval ends just before the report: whoever waits for it
	// acts after it.
	d.mu.Lock()
	if n := len(d.downs); n > 0 && d.downs[n-1].To.IsZero() {
		d.downs[n-1].To = time.Now()
	}
	d.mu.Unlock()
	return d.ReportState(ctx, mgmapi.StatusStarted, 0)
}

// Downs returns the times the node was down after a command.
func (d *DataNode) Downs() []Interval {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Interval(nil), d.downs...)
}

func (d *DataNode) stop(ctx context.Context) error {
	d.mu.Lock()
	if n := len(d.downs); n == 0 || !d.downs[n-1].To.IsZero() {
		d.downs = append(d.downs, Interval{From: time.Now()})
	}
	d.mu.Unlock()
	if err := d.ReportState(ctx, mgmapi.StatusStopping, 0); err != nil {
		return err
	}
	return d.ReportState(ctx, mgmapi.StatusNotStarted, 0)
}

func (d *DataNode) run() {
	defer close(d.done)
	for ev := range d.Events() {
		if ev.Type != client.EventCommand {
			continue
		}
		d.mu.Lock()
		d.commands = append(d.commands, ev.Command)
		d.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second+d.opts.StartTime)
		switch ev.Command.Name {
		case mgmapi.CmdStop:
			d.stop(ctx)
		case mgmapi.CmdStart:
			d.start(ctx, true)
		case mgmapi.CmdRestart:
			if d.stop(ctx) == nil && !ev.Command.NoStart {
				d.start(ctx, true)
			}
		}
		cancel()
	}
}

// Commands returns the commands the node received so far.
func (d *DataNode) Commands() []mgmapi.Command {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]mgmapi.Command(nil), d.commands...)
}
