package nodehttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The node kinds a Server reports in /health. They are the subcommand
// names of cmd/gondb.
const (
	KindMgmd     = "mgmd"
	KindDataNode = "datanode"
	KindSQLNode  = "sqlnode"
	KindAPI      = "api" // a program linking ndbapi that serves its own metrics
)

// MaxNodeID is the largest node id of any kind (docs/config.md).
const MaxNodeID = 255

// DefaultShutdownTimeout bounds Close: a scrape of a large registry takes
// milliseconds, so 5 s lets every request in flight finish without holding
// up a node's shutdown for long.
const DefaultShutdownTimeout = 5 * time.Second

// HealthFunc returns the node's state (a short word such as "starting",
// "started", "stopping") and nil when the node is healthy, or the reason
// it is not. It must be safe for concurrent use and must not block.
type HealthFunc func() (state string, err error)

// Options configure a Server. They are read by New and not kept.
type Options struct {
	// Addr is the address to listen on, "host:port"; ":0" or
	// "127.0.0.1:0" picks a free port (Addr reports it after Start).
	// Required: a node that serves no HTTP does not create a Server.
	Addr string
	// Kind is the node kind, one of the Kind constants.
	Kind string
	// NodeID is the node's id, 1..MaxNodeID, or 0 while not yet known
	// (an API or SQL node gets it from the management node; SetNodeID
	// sets it then).
	NodeID int
	// Version goes into gondb_build_info. Empty: the main module's version
	// from the build info, or "dev".
	Version string
	// Health reports the node's state. Nil: always healthy, state "running".
	Health HealthFunc
	// Logger receives the server's errors. Nil: slog.Default().
	Logger *slog.Logger
	// ShutdownTimeout bounds Close's wait for requests in flight.
	// Zero: DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server serves /metrics and /health for one node.
type Server struct {
	kind     string
	nodeID   atomic.Int32
	health   HealthFunc
	log      *slog.Logger
	shutdown time.Duration
	addr     string
	reg      *prometheus.Registry
	srv      *http.Server

	mu      sync.Mutex
	ln      net.Listener
	started bool
	closed  bool
	done    chan struct{} // closed when Serve returned
}

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("nodehttp: server closed")

// New checks opt and builds a Server with its own registry holding the Go
// runtime collector, the process collector and gondb_build_info. It does
// not listen yet: register the node's collectors, then call Start.
func New(opt Options) (*Server, error) {
	if opt.Addr == "" {
		return nil, errors.New("nodehttp: no listen address (Options.Addr)")
	}
	if _, _, err := splitPort(opt.Addr); err != nil {
		return nil, fmt.Errorf("nodehttp: %w", err)
	}
	switch opt.Kind {
	case KindMgmd, KindDataNode, KindSQLNode, KindAPI:
	default:
		return nil, fmt.Errorf("nodehttp: unknown node kind %q (want %s, %s, %s or %s)", opt.Kind, KindMgmd, KindDataNode, KindSQLNode, KindAPI)
	}
	if opt.NodeID < 0 || opt.NodeID > MaxNodeID {
		return nil, fmt.Errorf("nodehttp: node id %d out of range (allowed 0..%d)", opt.NodeID, MaxNodeID)
	}
	if opt.ShutdownTimeout < 0 {
		return nil, fmt.Errorf("nodehttp: negative shutdown timeout %v", opt.ShutdownTimeout)
	}
	s := &Server{
		kind:     opt.Kind,
		health:   opt.Health,
		log:      opt.Logger,
		shutdown: opt.ShutdownTimeout,
		addr:     opt.Addr,
		reg:      prometheus.NewRegistry(),
		done:     make(chan struct{}),
	}
	s.nodeID.Store(int32(opt.NodeID))
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.shutdown == 0 {
		s.shutdown = DefaultShutdownTimeout
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gondb_build_info",
		Help: "Always 1; the labels name the gondb version and the architecture it was built for.",
	}, []string{"version", "goarch"})
	buildInfo.WithLabelValues(buildVersion(opt.Version), runtime.GOARCH).Set(1)
	s.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
	)

	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{s.log},
		ErrorHandling: promhttp.ContinueOnError, // a failing collector must not hide the others
		Registry:      s.reg,                    // promhttp_metric_handler_errors_total
	})
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(s.reg, metrics))
	mux.HandleFunc("GET /health", s.serveHealth)
	mux.HandleFunc("GET /{$}", s.serveIndex)
	// Go's profiler, for finding where a node's time goes (docs/performance.md).
	// The profiles cover the whole process: every node of a gondb demo.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second, // slow clients must not pin goroutines
		IdleTimeout:       2 * time.Minute,  // longer than any sane scrape interval
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Registry is the Server's own registry; the node registers its
// collectors here, before or after Start.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// SetNodeID sets the node id /health reports, for nodes that learn it
// after New.
func (s *Server) SetNodeID(id int) {
	if id < 0 || id > MaxNodeID {
		return
	}
	s.nodeID.Store(int32(id))
}

// Start listens on Options.Addr and serves in the background. The
// listening error (port in use, bad host) is returned here, not later.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.started {
		return errors.New("nodehttp: already started")
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("nodehttp: listen on %s: %w", s.addr, err)
	}
	s.ln = ln
	s.started = true
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("nodehttp: serving stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return nil
}

// Addr is the address the Server listens on, with the port the system
// chose for ":0"; "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Port is the port the Server listens on; 0 before Start.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return 0
	}
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Close stops listening, waits up to Options.ShutdownTimeout for requests
// in flight, then closes what is left. It may be called more than once and
// before Start; after it, Start returns ErrClosed.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.shutdown)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("nodehttp: shutdown: %w", err)
	}
	return nil
}

// healthBody is /health's JSON answer.
type healthBody struct {
	Status string `json:"status"` // "ok" or "unavailable"
	NodeID int    `json:"node_id"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	b := healthBody{Status: "ok", NodeID: int(s.nodeID.Load()), Kind: s.kind, State: "running"}
	code := http.StatusOK
	if s.health != nil {
		state, err := s.checkHealth()
		b.State = state
		if err != nil {
			b.Status, b.Reason, code = "unavailable", err.Error(), http.StatusServiceUnavailable
		}
	}
	out, err := json.Marshal(b)
	if err != nil { // only plain strings and ints: cannot happen
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(out, '\n'))
}

// checkHealth calls the node's HealthFunc; a panic in it is a failed
// check, not a dropped connection.
func (s *Server) checkHealth() (state string, err error) {
	defer func() {
		if r := recover(); r != nil {
			state, err = "unknown", fmt.Errorf("health check panicked: %v", r)
		}
	}()
	return s.health()
}

func (s *Server) serveIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "gondb %s node %d\n\n/metrics  Prometheus metrics\n/health   health check (JSON; 503 when unhealthy)\n", s.kind, s.nodeID.Load())
}

// buildVersion is v, else the main module's version, else "dev".
func buildVersion(v string) string {
	if v != "" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// slogPrinter adapts a slog.Logger to promhttp's Logger.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Error("nodehttp: metrics", "err", fmt.Sprint(v...)) }

// ListenAddr turns the values of the --http-addr and --http-port flags
// into Options.Addr. port < 0 means --http-port was not given; addr ""
// means --http-addr was not given. It returns "" when neither was given:
// the node serves no HTTP. Giving both is an error, as is a port outside
// 0..65535 or an addr that is not host:port.
func ListenAddr(addr string, port int) (string, error) {
	switch {
	case addr != "" && port >= 0:
		return "", errors.New("--http-addr and --http-port both given: use one (--http-addr HOST:PORT, or --http-port PORT for every interface)")
	case addr != "":
		if _, _, err := splitPort(addr); err != nil {
			return "", fmt.Errorf("--http-addr: %w", err)
		}
		return addr, nil
	case port > 65535:
		return "", fmt.Errorf("--http-port %d out of range (allowed 0..65535; 0 picks a free port)", port)
	case port >= 0:
		return ":" + strconv.Itoa(port), nil
	}
	return "", nil
}

// splitPort checks that a is host:port with a numeric port 0..65535.
func splitPort(a string) (host string, port int, err error) {
	host, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: want host:port, e.g. 127.0.0.1:8082 or :0 (%v)", a, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("address %q: port %q is not a number 0..65535", a, p)
	}
	return host, n, nil
}
