package datanodeproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
)

func TestMain(m *testing.M) {
	mgmtest.Main(m)
}

// running is a Proc running in the background.
type running struct {
	*Proc
	cancel context.CancelFunc
	done   chan error
}

func options(connect string, id uint32) Options {
	return Options{
		ConnectString: connect, NodeID: id, HTTPAddr: "127.0.0.1:0", Version: "gondb-test",
		Logger:        mgmtest.QuietLogger(),
		Client:        client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second},
		StatsInterval: 50 * time.Millisecond,
		Adjust:        func(c *node.Config) { c.TickInterval = time.Millisecond; c.Prefault = false },
	}
}

func startProc(t *testing.T, o Options) *running {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := Join(ctx, o)
	if err != nil {
		t.Fatalf("join node %d: %v", o.NodeID, err)
	}
	r := &running{Proc: p, done: make(chan error, 1)}
	var rctx context.Context
	rctx, r.cancel = context.WithCancel(context.Background())
	go func() { r.done <- p.Run(rctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends Run and returns its error.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("node %d: Run did not return", r.ID())
		return nil
	}
}

func status(t *testing.T, c *mgmtest.Cluster, id uint32) mgmapi.NodeInfo {
	t.Helper()
	st, err := c.Servers[0].Status(context.Background(), &mgmapi.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Nodes {
		if n.NodeID == id {
			return n
		}
	}
	t.Fatalf("node %d not in SHOW", id)
	return mgmapi.NodeInfo{}
}

func waitStatus(t *testing.T, c *mgmtest.Cluster, id uint32, want mgmapi.NodeStatus) mgmapi.NodeInfo {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := status(t, c, id)
		if n.Status == want {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %d: %v (phase %d), want %v", id, n.Status, n.StartPhase, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of an unlabelled series, or "" when absent.
func metric(body, name string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func dial(t *testing.T, c *mgmtest.Cluster) *client.Conn {
	t.Helper()
	conn, err := client.Dial(context.Background(), c.ConnectString, client.Options{Logger: mgmtest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Two data nodes with dynamic ports (ServerPort=0, the lower id's port
// learnt through the management server) start, publish memory figures and
// metrics, and follow STOP, START and RESTART.
func TestLifecycle(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	var seen []string
	o2 := options(c.ConnectString, 2)
	states := make(chan string, 64)
	o2.OnState = func(s mgmapi.NodeStatus, phase int) { states <- fmt.Sprintf("%v/%d", s, phase) }
	d2 := startProc(t, o2)
	d3 := startProc(t, options(c.ConnectString, 3))
	for _, id := range c.DataNodeIDs {
		n := waitStatus(t, c, id, mgmapi.StatusStarted)
		if n.NodeGroup != 0 || n.Port == 0 {
			t.Errorf("node %d: group %d, port %d", id, n.NodeGroup, n.Port)
		}
	}
	for len(states) > 0 {
		seen = append(seen, <-states)
	}
	if got, want := strings.Join(seen, " "), "STARTING/0 STARTING/1 STARTING/2 STARTING/3 STARTING/4 STARTED/0"; got != want {
		t.Errorf("node 2 reported %s, want %s", got, want)
	}
	if n := status(t, c, 2); !n.Master || len(n.Memory) != 2 || n.Memory[0].Resource != "Data" || n.Memory[0].Total != 512 ||
		n.Memory[0].PageSize != 32768 || n.Memory[1].Resource != "Index" {
		t.Errorf("node 2 heartbeat figures: master %v, memory %+v", n.Master, n.Memory)
	}
	if n := status(t, c, 3); n.Master {
		t.Errorf("node 3 claims to be the master")
	}

	code, body := get(t, "http://"+d3.HTTPAddr()+"/health")
	if code != 200 || !strings.Contains(body, `"node_id":3`) || !strings.Contains(body, `"state":"started"`) {
		t.Errorf("/health: %d %s", code, body)
	}
	_, body = get(t, "http://"+d3.HTTPAddr()+"/metrics")
	for name, want := range map[string]string{
		"gondb_datanode_started": "1", "gondb_datanode_starts_total": "1", "gondb_datamemory_total_bytes": "1.6777216e+07",
		"gondb_tc_commits_total": "0", "gondb_tc_aborts_total": "0", "gondb_datanode_start_phase": "0",
	} {
		if got := metric(body, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(body, `gondb_transporter_connected{peer="2"} 1`) || metric(body, "gondb_gcp_epoch") == "" {
		t.Errorf("/metrics lacks the transporter or GCP series:\n%s", body)
	}

	conn := dial(t, c)
	ctx := context.Background()
	if rep, err := conn.Stop(ctx, 10*time.Second, 3); err != nil || !rep.Results[0].Done {
		t.Fatalf("3 STOP: %+v, %v", rep, err)
	}
	if n := status(t, c, 3); n.Status != mgmapi.StatusNotStarted || len(n.Memory) != 0 || n.Port != 0 {
		t.Errorf("after STOP: %+v", n)
	}
	if code, body := get(t, "http://"+d3.HTTPAddr()+"/health"); code != 503 || !strings.Contains(body, `"state":"not started"`) {
		t.Errorf("/health after STOP: %d %s", code, body)
	}
	_, body = get(t, "http://"+d3.HTTPAddr()+"/metrics")
	if metric(body, "gondb_datanode_started") != "0" || metric(body, "gondb_datamemory_total_bytes") != "0" {
		t.Errorf("metrics after STOP:\n%s", body)
	}
	if rep, err := conn.Start(ctx, 10*time.Second, 3); err != nil || !rep.Results[0].Done {
		t.Fatalf("3 START: %+v, %v", rep, err)
	}
	// A node restart: node 3 dials node 2 again at its published port.
	if n := waitStatus(t, c, 3, mgmapi.StatusStarted); len(n.Memory) != 2 {
		t.Errorf("after START: %+v", n)
	}
	_, body = get(t, "http://"+d3.HTTPAddr()+"/metrics")
	if metric(body, "gondb_datanode_starts_total") != "2" || !strings.Contains(body, `gondb_transporter_connected{peer="2"} 1`) {
		t.Errorf("metrics after START:\n%s", body)
	}

	// Node 2 (the one dialed) restarts on the same dynamic port, so node 3
	// finds it again.
	port := status(t, c, 2).Port
	if rep, err := conn.Restart(ctx, 10*time.Second, true, false, 2); err != nil || !rep.Results[0].Done {
		t.Fatalf("2 RESTART -i: %+v, %v", rep, err)
	}
	if n := waitStatus(t, c, 2, mgmapi.StatusStarted); n.Port != port {
		t.Errorf("node 2 restarted on port %d, had %d", n.Port, port)
	}
	if rep, err := conn.Restart(ctx, 10*time.Second, false, true, 2); err != nil || !rep.Results[0].Done {
		t.Fatalf("2 RESTART -n: %+v, %v", rep, err)
	}
	if s, _ := d2.State(); s != mgmapi.StatusNotStarted {
		t.Errorf("after RESTART -n node 2 is %v", s)
	}

	// Ending Run releases the id at once.
	if err := d2.stop(t); err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := status(t, c, 2); n.Status != mgmapi.StatusNotConnected {
		t.Errorf("after Run returned node 2 is %v", n.Status)
	}
}

// Phase 3 of a cluster start waits for every data node, and after
// StartPartialTimeout for one of every node group.
func TestStartPhase3(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
		partial  string
		want     mgmapi.NodeStatus
	}{
		{"one node group, partial start after 300 ms", 2, "300", mgmapi.StatusStarted},
		{"one node group, no partial start", 2, "0", mgmapi.StatusStarting},
		{"two node groups, one missing", 1, "300", mgmapi.StatusStarting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mgmtest.Start(t, mgmtest.Options{NoOfReplicas: tt.replicas})
			conn := dial(t, c)
			text := strings.Replace(c.ConfigText, "[ndbd default]\n", "[ndbd default]\nStartPartialTimeout="+tt.partial+"\n", 1)
			if _, err := conn.SetConfig(context.Background(), text, 1); err != nil {
				t.Fatal(err)
			}
			startProc(t, options(c.ConnectString, 2))
			if tt.want == mgmapi.StatusStarted {
				waitStatus(t, c, 2, mgmapi.StatusStarted)
				return
			}
			time.Sleep(time.Second)
			if n := status(t, c, 2); n.Status != mgmapi.StatusStarting || n.StartPhase != 2 {
				t.Fatalf("node 2 is %v (phase %d), want STARTING after phase 2", n.Status, n.StartPhase)
			}
			startProc(t, options(c.ConnectString, 3))
			waitStatus(t, c, 2, mgmapi.StatusStarted)
			waitStatus(t, c, 3, mgmapi.StatusStarted)
		})
	}
}

// STOP interrupts a start that waits in phase 3; --nostart waits for
// START.
func TestStopWhileStarting(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	conn := dial(t, c)
	o := options(c.ConnectString, 2)
	o.NoStart = true
	d2 := startProc(t, o)
	waitStatus(t, c, 2, mgmapi.StatusNotStarted)
	waitPhase3 := func() {
		t.Helper()
		if _, err := conn.Start(context.Background(), 0, 2); err != nil {
			t.Fatal(err)
		}
		// Node 2 waits for node 3's transporter, which never comes.
		deadline := time.Now().Add(10 * time.Second)
		for n := status(t, c, 2); n.Status != mgmapi.StatusStarting || n.StartPhase != 2; n = status(t, c, 2) {
			if time.Now().After(deadline) {
				t.Fatalf("node 2 is %v (phase %d), want waiting in phase 3", n.Status, n.StartPhase)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitPhase3()
	if rep, err := conn.Stop(context.Background(), 10*time.Second, 2); err != nil || !rep.Results[0].Done {
		t.Fatalf("2 STOP while starting: %+v, %v", rep, err)
	}
	if n := waitStatus(t, c, 2, mgmapi.StatusNotStarted); n.Port != 0 {
		t.Errorf("a stopped node publishes port %d", n.Port)
	}
	// The end of Run's context interrupts a start too: a clean exit.
	waitPhase3()
	if err := d2.stop(t); err != nil {
		t.Errorf("Run interrupted while starting: %v", err)
	}
	if n := status(t, c, 2); n.Status != mgmapi.StatusNotConnected {
		t.Errorf("node 2 is %v after Run returned", n.Status)
	}
}

func TestJoinErrors(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	startProc(t, options(c.ConnectString, 2))
	tests := []struct {
		name string
		o    func(*Options)
		want string
		is   error
	}{
		{"not a data node", func(o *Options) { o.NodeID = 1 }, "", mgmapi.ErrInvalid},
		{"id in use", func(o *Options) { o.NodeID = 2 }, "", mgmapi.ErrNodeIDInUse},
		{"no server", func(o *Options) {
			o.ConnectString = "127.0.0.1:1"
			o.ConnectRetries = 1
			o.RetryDelay = 10 * time.Millisecond
		}, "", client.ErrNoServer},
		{"bad http address", func(o *Options) { o.HTTPAddr = "nope" }, "want host:port", nil},
		{"bad adjusted config", func(o *Options) { o.Adjust = func(c *node.Config) { c.TickInterval = 0 } }, "TickInterval 0s must be positive", node.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options(c.ConnectString, 3)
			tt.o(&o)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p, err := Join(ctx, o)
			if err == nil {
				p.Close()
				t.Fatal("Join succeeded")
			}
			if (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Join: %v", err)
			}
		})
	}
	// A failed Join released the id it took.
	if n := status(t, c, 3); n.Status != mgmapi.StatusNotConnected {
		t.Errorf("node 3 is %v after failed joins", n.Status)
	}
}
