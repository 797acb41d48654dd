package nodehttp

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// client never keeps connections, so Close has none to wait for.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func start(t *testing.T, opt Options) *Server {
	t.Helper()
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:0"
	}
	if opt.Kind == "" {
		opt.Kind = KindDataNode
	}
	s, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t *testing.T, s *Server, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := client.Get("http://" + s.Addr() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestMetrics(t *testing.T) {
	s := start(t, Options{Kind: KindMgmd, NodeID: 49, Version: "v1.2.3"})
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "gondb_test_ops_total", Help: "test"})
	c.Add(7)
	s.Registry().MustRegister(c) // after Start: still served

	code, h, body := get(t, s, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %q", code, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text exposition format", ct)
	}
	want := []string{
		`gondb_build_info{goarch="` + runtime.GOARCH + `",version="v1.2.3"} 1`,
		"# HELP gondb_build_info ",
		"# TYPE gondb_build_info gauge",
		"gondb_test_ops_total 7",
		"go_goroutines ",
		"go_memstats_heap_alloc_bytes ",
		"promhttp_metric_handler_requests_total{code=",
	}
	if runtime.GOOS == "linux" {
		want = append(want, "process_resident_memory_bytes ", "process_open_fds ")
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
}

func TestBuildVersionDefault(t *testing.T) {
	s := start(t, Options{})
	_, _, body := get(t, s, "/metrics")
	// go test binaries have no module version: the fallback shows.
	if want := `gondb_build_info{goarch="` + runtime.GOARCH + `",version="dev"} 1`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %q", want)
	}
}

// Two nodes in one process register the same metric names without
// colliding, and neither touches the global default registry.
func TestServersHaveOwnRegistries(t *testing.T) {
	var servers []*Server
	for i, v := range []float64{11, 22} {
		s := start(t, Options{Kind: KindDataNode, NodeID: i + 1})
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "gondb_test_value", Help: "test"})
		g.Set(v)
		if err := s.Registry().Register(g); err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
		servers = append(servers, s)
	}
	for i, want := range []string{"gondb_test_value 11", "gondb_test_value 22"} {
		if _, _, body := get(t, servers[i], "/metrics"); !strings.Contains(body, want) {
			t.Errorf("node %d: /metrics lacks %q", i+1, want)
		}
	}
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if n := mf.GetName(); n == "gondb_build_info" || n == "gondb_test_value" {
			t.Errorf("%s is in the global default registry", n)
		}
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name   string
		health HealthFunc
		code   int
		want   healthBody
	}{
		{"no func", nil, 200, healthBody{Status: "ok", NodeID: 3, Kind: KindSQLNode, State: "running"}},
		{"healthy", func() (string, error) { return "started", nil }, 200,
			healthBody{Status: "ok", NodeID: 3, Kind: KindSQLNode, State: "started"}},
		{"unhealthy", func() (string, error) { return "starting", errors.New("start phase 4 of 101") }, 503,
			healthBody{Status: "unavailable", NodeID: 3, Kind: KindSQLNode, State: "starting", Reason: "start phase 4 of 101"}},
		{"panics", func() (string, error) { panic("boom") }, 503,
			healthBody{Status: "unavailable", NodeID: 3, Kind: KindSQLNode, State: "unknown", Reason: "health check panicked: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{Kind: KindSQLNode, NodeID: 3, Health: tt.health})
			code, h, body := get(t, s, "/health")
			if code != tt.code {
				t.Errorf("status %d, want %d (body %q)", code, tt.code, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got healthBody
			dec := json.NewDecoder(strings.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if got != tt.want {
				t.Errorf("body %+v, want %+v", got, tt.want)
			}
			if tt.code == 200 && strings.Contains(body, "reason") {
				t.Errorf("healthy body %q has a reason", body)
			}
		})
	}
}

// The state can change between requests; SetNodeID shows up too.
func TestHealthFollowsNode(t *testing.T) {
	states := make(chan string, 2)
	states <- "starting"
	states <- "started"
	s := start(t, Options{Kind: KindAPI, Health: func() (string, error) {
		st := <-states
		if st != "started" {
			return st, errors.New("not started")
		}
		return st, nil
	}})
	if code, _, body := get(t, s, "/health"); code != 503 || !strings.Contains(body, `"node_id":0`) {
		t.Errorf("first: %d %q", code, body)
	}
	s.SetNodeID(250)
	s.SetNodeID(300) // out of range: ignored
	if code, _, body := get(t, s, "/health"); code != 200 || !strings.Contains(body, `"node_id":250`) || !strings.Contains(body, `"state":"started"`) {
		t.Errorf("second: %d %q", code, body)
	}
}

func TestRoutes(t *testing.T) {
	s := start(t, Options{Kind: KindMgmd, NodeID: 1})
	tests := []struct {
		method, path string
		code         int
		contains     string
	}{
		{"GET", "/", 200, "/metrics"},
		{"GET", "/nope", 404, ""},
		{"POST", "/health", 405, ""},
		{"POST", "/metrics", 405, ""},
		{"HEAD", "/health", 200, ""},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, "http://"+s.Addr()+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s %s: %d %q, want %d containing %q", tt.method, tt.path, resp.StatusCode, body, tt.code, tt.contains)
		}
	}
}

// ":0" listens on every interface on a free port, which Addr and Port
// report.
func TestFreePortOnEveryInterface(t *testing.T) {
	s, err := New(Options{Addr: ":0", Kind: KindDataNode, NodeID: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != "" || s.Port() != 0 {
		t.Errorf("before Start: Addr %q Port %d", s.Addr(), s.Port())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Port()
	if p == 0 {
		t.Fatalf("Port 0 after Start (Addr %q)", s.Addr())
	}
	if _, port, err := net.SplitHostPort(s.Addr()); err != nil || port != strconv.Itoa(p) {
		t.Errorf("Addr %q does not carry port %d", s.Addr(), p)
	}
	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(p) + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestStartErrors(t *testing.T) {
	a := start(t, Options{})
	b, err := New(Options{Addr: a.Addr(), Kind: KindDataNode})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err == nil || !strings.Contains(err.Error(), a.Addr()) {
		t.Errorf("second server on %s: Start gave %v, want an error naming the address", a.Addr(), err)
	}
	if err := a.Start(); err == nil {
		t.Error("Start twice: no error")
	}
}

func TestCloseStopsServing(t *testing.T) {
	s := start(t, Options{})
	addr := s.Addr()
	if code, _, _ := get(t, s, "/health"); code != 200 {
		t.Fatalf("status %d before Close", code)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if resp, err := client.Get("http://" + addr + "/health"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET after Close answered %d", resp.StatusCode)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
	// The port is free again.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	ln.Close()
}

func TestCloseBeforeStart(t *testing.T) {
	s, err := New(Options{Addr: "127.0.0.1:0", Kind: KindMgmd})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
}

// blockingCollector blocks every Collect until release is closed.
type blockingCollector struct {
	desc    *prometheus.Desc
	entered chan struct{}
	release chan struct{}
}

func newBlocking() *blockingCollector {
	return &blockingCollector{
		desc:    prometheus.NewDesc("gondb_test_slow", "test", nil, nil),
		entered: make(chan struct{}, 1),
		release: make(chan struct{}),
	}
}

func (b *blockingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }
func (b *blockingCollector) Collect(ch chan<- prometheus.Metric) {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, 5)
}

// waitRefused waits until addr refuses new connections (Close has closed
// the listener).
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		c.Close()
		if i > 10000 {
			t.Fatal("listener never closed")
		}
		time.Sleep(time.Millisecond)
	}
}

// Close lets a scrape in flight finish: graceful shutdown.
func TestCloseWaitsForRequestsInFlight(t *testing.T) {
	s := start(t, Options{})
	bc := newBlocking()
	s.Registry().MustRegister(bc)
	addr := s.Addr()
	type result struct {
		code int
		body string
		err  error
	}
	scraped := make(chan result, 1)
	go func() {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			scraped <- result{err: err}
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		scraped <- result{resp.StatusCode, string(body), err}
	}()
	<-bc.entered
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	waitRefused(t, addr)
	close(bc.release)
	r := <-scraped
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, "gondb_test_slow 5") {
		t.Errorf("scrape in flight during Close: %d %v, body has gondb_test_slow: %v", r.code, r.err, strings.Contains(r.body, "gondb_test_slow 5"))
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// A request that never finishes does not hold Close past the timeout.
func TestCloseGivesUpAfterTimeout(t *testing.T) {
	s := start(t, Options{ShutdownTimeout: 20 * time.Millisecond})
	bc := newBlocking()
	defer close(bc.release)
	s.Registry().MustRegister(bc)
	go func() {
		if resp, err := client.Get("http://" + s.Addr() + "/metrics"); err == nil {
			resp.Body.Close()
		}
	}()
	<-bc.entered
	if err := s.Close(); err == nil {
		t.Error("Close with a request stuck: no error")
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"no addr", Options{Kind: KindMgmd}, "no listen address"},
		{"no port", Options{Addr: "127.0.0.1", Kind: KindMgmd}, "want host:port"},
		{"bad port", Options{Addr: ":http", Kind: KindMgmd}, "not a number"},
		{"port too big", Options{Addr: ":70000", Kind: KindMgmd}, "not a number 0..65535"},
		{"no kind", Options{Addr: ":0"}, "unknown node kind"},
		{"bad kind", Options{Addr: ":0", Kind: "ndbd"}, `unknown node kind "ndbd"`},
		{"node id", Options{Addr: ":0", Kind: KindMgmd, NodeID: 256}, "node id 256 out of range"},
		{"negative node id", Options{Addr: ":0", Kind: KindMgmd, NodeID: -1}, "out of range"},
		{"timeout", Options{Addr: ":0", Kind: KindMgmd, ShutdownTimeout: -1}, "negative shutdown timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, %v; want error containing %q", tt.opt, s, err, tt.want)
			}
		})
	}
}

func TestListenAddr(t *testing.T) {
	tests := []struct {
		addr    string
		port    int
		want    string
		wantErr string
	}{
		{"", -1, "", ""}, // neither flag: no HTTP server
		{"", 0, ":0", ""},
		{"", 8082, ":8082", ""},
		{"", 65535, ":65535", ""},
		{"", 65536, "", "out of range"},
		{"127.0.0.1:8081", -1, "127.0.0.1:8081", ""},
		{"[::1]:0", -1, "[::1]:0", ""},
		{"localhost", -1, "", "--http-addr"},
		{"127.0.0.1:x", -1, "", "not a number"},
		{"127.0.0.1:8081", 8081, "", "both given"},
	}
	for _, tt := range tests {
		got, err := ListenAddr(tt.addr, tt.port)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ListenAddr(%q, %d) = %q, %v; want error containing %q", tt.addr, tt.port, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ListenAddr(%q, %d) = %q, %v; want %q", tt.addr, tt.port, got, err, tt.want)
		}
	}
}
