package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// Config configures a Server. Zero fields take DefaultConfig's values,
// except Store, NodeID and Listener, which are required. It is read once
// by Start.
type Config struct {
	// Store is the cluster state. The caller opens it (embedded or
	// external etcd) and closes it after Stop.
	Store *state.Store
	// NodeID is this server's node id, an [ndb_mgmd] of the stored
	// configuration.
	NodeID uint32
	// Listener is where the API is served; Stop closes it.
	Listener net.Listener
	// Logger receives the server's messages and the cluster log.
	Logger *slog.Logger
	// Version is shown by SHOW for this server. Default "gondb".
	Version string
	// HeartbeatInterval is how often nodes are asked to heartbeat.
	HeartbeatInterval time.Duration
	// NodeIDLeaseTTL is the Store's Options.NodeIDLeaseTTL; it is only
	// told to nodes (the Store enforces it).
	NodeIDLeaseTTL time.Duration
	// LivenessInterval is how often the server renews its own id, looks
	// for expired node ids and marks those nodes NOT_CONNECTED.
	LivenessInterval time.Duration
	// ClusterLogSize is how many cluster log events are kept.
	ClusterLogSize int
	// PeerTimeout bounds a call to another management server.
	PeerTimeout time.Duration
	// MaxCommandWait caps a command's WaitMillis.
	MaxCommandWait time.Duration
	// ShutdownWait is how long SHUTDOWN waits for the data nodes to stop
	// when the request does not say.
	ShutdownWait time.Duration
	// ParseOptions parse stored configurations (the ThreadConfig check).
	ParseOptions config.Options
	// PeerAddrs overrides where other management servers are reached,
	// by node id (default: HostName:PortNumber of their [ndb_mgmd]).
	PeerAddrs map[uint32]string
	// OnShutdown is called once, on its own goroutine, when SHUTDOWN (or
	// STOP of this server's id) asked this server to stop; the process
	// should call Stop and exit. Nil: the server stops itself.
	OnShutdown func()
	// GRPCOptions are added to the gRPC server's (TLS credentials, ...).
	GRPCOptions []grpc.ServerOption
}

// DefaultConfig returns the defaults, with the reason for each.
func DefaultConfig() Config {
	return Config{
		Version: "gondb",
		// NDB's HeartbeatIntervalDbApi is 1.5 s; 1 s keeps a node's id
		// renewed several times within the 10 s lease.
		HeartbeatInterval: time.Second,
		// state's default NodeIDLeaseTTL.
		NodeIDLeaseTTL: state.DefaultOptions().NodeIDLeaseTTL,
		// Expired ids show as NOT_CONNECTED within a second of etcd
		// dropping them; the check is two small etcd reads.
		LivenessInterval: time.Second,
		// A day of a quiet cluster, a few minutes of a busy restart.
		ClusterLogSize: 1000,
		// Another server on the LAN answers in milliseconds; one that
		// does not within 2 s is treated as down for this call.
		PeerTimeout: 2 * time.Second,
		// A node restart of a large data node can take many minutes.
		MaxCommandWait: 30 * time.Minute,
		// ndb_mgm's SHUTDOWN waits for the data nodes too.
		ShutdownWait: 2 * time.Minute,
	}
}

func (c Config) resolved() Config {
	d := DefaultConfig()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Version == "" {
		c.Version = d.Version
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = d.HeartbeatInterval
	}
	if c.NodeIDLeaseTTL <= 0 {
		c.NodeIDLeaseTTL = d.NodeIDLeaseTTL
	}
	if c.LivenessInterval <= 0 {
		c.LivenessInterval = d.LivenessInterval
	}
	if c.ClusterLogSize <= 0 {
		c.ClusterLogSize = d.ClusterLogSize
	}
	if c.PeerTimeout <= 0 {
		c.PeerTimeout = d.PeerTimeout
	}
	if c.MaxCommandWait <= 0 {
		c.MaxCommandWait = d.MaxCommandWait
	}
	if c.ShutdownWait <= 0 {
		c.ShutdownWait = d.ShutdownWait
	}
	return c
}

// Server is a running management server.
type Server struct {
	cfg   Config
	st    *state.Store
	log   *slog.Logger
	clog  *clusterLog
	hosts *hostResolver
	grpc  *grpc.Server
	peers *peers

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	conf     atomic.Pointer[Loaded]
	self     atomic.Pointer[state.NodeLease]
	host     string // this server's address as SHOW prints it
	stopping atomic.Bool
	stopOnce sync.Once
	shutOnce sync.Once

	roll rolling // the rolling restart (rolling.go)

	mu       sync.Mutex
	sessions map[uint32]*session
	// known is the held ids (id -> lease) as this server last saw them,
	// for the connect and disconnect events of the cluster log.
	known map[uint32]int64
	// heldMu orders the changes of held ids this server makes (grant,
	// release) with the liveness check's read of them, so that known
	// follows etcd without spurious connects or disconnects.
	heldMu sync.Mutex
}

// Start claims the server's node id, registers it as started, and serves
// the API on cfg.Listener. A configuration must be stored (InstallConfig)
// and declare cfg.NodeID as an [ndb_mgmd].
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Listener == nil || cfg.NodeID == 0 {
		return nil, errors.New("mgmd: Config needs Store, Listener and NodeID")
	}
	cfg = cfg.resolved()
	s := &Server{
		cfg: cfg, st: cfg.Store, log: cfg.Logger.With("mgmd", cfg.NodeID),
		hosts: newHostResolver(), sessions: map[uint32]*session{}, known: map[uint32]int64{},
	}
	s.clog = newClusterLog(cfg.ClusterLogSize, s.log)
	cur, err := s.st.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the stored configuration: %w", err)
	}
	if cur.Generation == 0 {
		return nil, errors.New("no configuration is stored: call InstallConfig first")
	}
	loaded, err := s.parse(cur)
	if err != nil {
		return nil, err
	}
	me, ok := loaded.Config.MgmNodeByID(int(cfg.NodeID))
	if !ok {
		return nil, fmt.Errorf("node id %d is not an [ndb_mgmd] in configuration generation %d", cfg.NodeID, cur.Generation)
	}
	s.conf.Store(loaded)
	s.host = advertisedHost(cfg.Listener.Addr(), me.HostName)

	lease, err := s.st.ClaimNodeID(ctx, cfg.NodeID, state.KindMgm, s.host)
	if err != nil {
		if errors.Is(err, state.ErrNodeIDInUse) {
			return nil, fmt.Errorf("management node id %d: %w (is another mgmd running with this id?)", cfg.NodeID, err)
		}
		return nil, fmt.Errorf("claim management node id %d: %w", cfg.NodeID, err)
	}
	s.self.Store(&lease)
	if _, err := s.st.RegisterNode(ctx, state.NodeInfo{ID: cfg.NodeID, Kind: state.KindMgm, Host: s.host,
		State: state.StateStarted, Heartbeat: time.Now(), PID: os.Getpid(), Version: cfg.Version}); err != nil {
		s.st.ReleaseNodeID(context.Background(), lease)
		return nil, fmt.Errorf("register management node %d: %w", cfg.NodeID, err)
	}
	nodes, nrev, err := s.st.ListNodes(ctx)
	if err != nil {
		s.st.ReleaseNodeID(context.Background(), lease)
		return nil, fmt.Errorf("read the node registry: %w", err)
	}
	held, err := s.st.HeldNodeIDs(ctx)
	if err != nil {
		s.st.ReleaseNodeID(context.Background(), lease)
		return nil, fmt.Errorf("read held node ids: %w", err)
	}

	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.peers = newPeers(s)
	opts := append(mgmapi.ServerOptions(),
		// Nodes keep a subscription open for their life; let their
		// keepalives through and find dead ones.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
	)
	s.grpc = grpc.NewServer(append(opts, cfg.GRPCOptions...)...)
	mgmapi.Register(s.grpc, s)
	mgmapi.RegisterDictionary(s.grpc, s)
	mgmapi.RegisterArbitration(s.grpc, newArbiter(s))

	s.clog.add(mgmapi.SeverityInfo, "StartUp", cfg.NodeID, "Node %d: Management server started (%s), configuration generation %d",
		cfg.NodeID, cfg.Version, loaded.Generation)
	s.wg.Add(4)
	go func() {
		defer s.wg.Done()
		if err := s.grpc.Serve(cfg.Listener); err != nil && !s.stopping.Load() {
			s.log.Error("mgmd: serve", "err", err)
		}
	}()
	for _, l := range held {
		s.known[l.ID] = l.Lease
	}
	go s.livenessLoop()
	go s.registryLoop(nodes, nrev)
	go s.configLoop(loaded.Revision)
	s.log.Info("mgmd: serving the management API", "addr", cfg.Listener.Addr().String(), "host", s.host,
		"config_generation", loaded.Generation)
	return s, nil
}

// advertisedHost is the address SHOW prints for this server: the
// listener's, unless it listens on every address; then the config's
// HostName.
func advertisedHost(a net.Addr, cfgHost string) string {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil && !ap.Addr().IsUnspecified() {
		return ap.Addr().Unmap().String()
	}
	if cfgHost == "" || strings.EqualFold(cfgHost, "localhost") {
		return "127.0.0.1"
	}
	return cfgHost
}

// Addr is where the API is served.
func (s *Server) Addr() net.Addr { return s.cfg.Listener.Addr() }

// NodeID is this server's node id.
func (s *Server) NodeID() uint32 { return s.cfg.NodeID }

// Config returns the configuration the server runs with now.
func (s *Server) Config() Loaded { return *s.conf.Load() }

// Stop ends every subscription (nodes move to another management
// server), stops serving, marks this server NOT_CONNECTED and releases
// its node id. It does not close the Store. Safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		s.mu.Lock()
		for id, ses := range s.sessions {
			ses.closeSubs(mgmapi.Errorf(mgmapi.CodeShuttingDown, "management server %d is stopping", s.cfg.NodeID))
			delete(s.sessions, id)
		}
		s.mu.Unlock()
		done := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			s.grpc.Stop()
			<-done
		}
		s.cancel()
		s.wg.Wait()
		s.peers.close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := s.st.ReportNodeState(ctx, s.cfg.NodeID, state.StateNotConnected, 0); err != nil {
			s.log.Warn("mgmd: mark this server not connected", "err", err)
		}
		if l := s.self.Load(); l != nil {
			if err := s.st.ReleaseNodeID(ctx, *l); err != nil {
				s.log.Warn("mgmd: release this server's node id", "err", err)
			}
		}
		s.log.Info("mgmd: stopped")
	})
}

// shutdown asks the process to stop this server (SHUTDOWN).
func (s *Server) shutdown() {
	s.shutOnce.Do(func() {
		go func() {
			// Let the reply of the call that asked go out first.
			time.Sleep(100 * time.Millisecond)
			if s.cfg.OnShutdown != nil {
				s.cfg.OnShutdown()
				return
			}
			s.Stop()
		}()
	})
}

func (s *Server) parse(c state.ClusterConfig) (*Loaded, error) {
	cfg, _, err := config.ParseWith(fmt.Sprintf("stored configuration generation %d", c.Generation), strings.NewReader(c.Text), s.cfg.ParseOptions)
	if err != nil {
		return nil, err
	}
	return &Loaded{Text: c.Text, Generation: c.Generation, Config: cfg, Revision: c.Revision}, nil
}

// storeErr turns a state error into the API's.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *mgmapi.Error
	switch {
	case errors.As(err, &ae):
		return err
	case errors.Is(err, state.ErrNoFreeNodeID):
		return &mgmapi.Error{Code: mgmapi.CodeNoFreeNodeID, Msg: err.Error()}
	case errors.Is(err, state.ErrNodeIDInUse):
		return &mgmapi.Error{Code: mgmapi.CodeNodeIDInUse, Msg: err.Error()}
	case errors.Is(err, state.ErrLeaseExpired):
		return &mgmapi.Error{Code: mgmapi.CodeLeaseExpired, Msg: err.Error()}
	case errors.Is(err, state.ErrConflict):
		return &mgmapi.Error{Code: mgmapi.CodeConflict, Msg: err.Error()}
	case errors.Is(err, state.ErrInvalidArgument):
		return &mgmapi.Error{Code: mgmapi.CodeInvalid, Msg: err.Error()}
	case errors.Is(err, state.ErrClosed):
		return &mgmapi.Error{Code: mgmapi.CodeShuttingDown, Msg: err.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return &mgmapi.Error{Code: mgmapi.CodeInternal, Msg: "management server's etcd: " + err.Error()}
}

// livenessLoop renews this server's id and, every interval, compares the
// held ids with the registry: a node whose id is no longer held is marked
// NOT_CONNECTED, and connects and disconnects go to the cluster log.
func (s *Server) livenessLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.LivenessInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.checkLiveness()
	}
}

// noteHeld logs a connect when l is news to this server.
func (s *Server) noteHeld(l state.NodeLease) {
	s.mu.Lock()
	old, ok := s.known[l.ID]
	s.known[l.ID] = l.Lease
	s.mu.Unlock()
	if ok && old != l.Lease {
		s.clog.add(mgmapi.SeverityWarning, "Connection", l.ID, "Node %d: disconnected", l.ID)
	}
	if !ok || old != l.Lease {
		s.clog.add(mgmapi.SeverityInfo, "Connection", l.ID, "Node %d: connected (%s node from %s)", l.ID, l.Kind, l.Host)
	}
}

// noteGone logs a disconnect when this server thought id held under lease.
func (s *Server) noteGone(id uint32, lease int64) {
	s.mu.Lock()
	old, ok := s.known[id]
	if ok && old == lease {
		delete(s.known, id)
	}
	s.mu.Unlock()
	if ok && old == lease {
		s.clog.add(mgmapi.SeverityWarning, "Connection", id, "Node %d: disconnected", id)
	}
}

func (s *Server) checkLiveness() {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if l := s.self.Load(); l != nil {
		if err := s.st.RenewNodeID(ctx, *l); errors.Is(err, state.ErrLeaseExpired) {
			s.log.Warn("mgmd: this server's node id lease expired; claiming it again")
			if nl, err := s.st.ClaimNodeID(ctx, s.cfg.NodeID, state.KindMgm, s.host); err == nil {
				s.self.Store(&nl)
				s.st.ReportNodeState(ctx, s.cfg.NodeID, state.StateStarted, 0)
			} else {
				s.log.Error("mgmd: cannot claim this server's node id again", "err", err)
			}
		} else if err != nil && s.ctx.Err() == nil {
			s.log.Warn("mgmd: renew this server's node id", "err", err)
		}
	}
	s.heldMu.Lock()
	held, err := s.st.HeldNodeIDs(ctx)
	if err != nil {
		s.heldMu.Unlock()
		if s.ctx.Err() == nil {
			s.log.Warn("mgmd: liveness check: list held node ids", "err", err)
		}
		return
	}
	now := make(map[uint32]state.NodeLease, len(held))
	for _, l := range held {
		now[l.ID] = l
		s.noteHeld(l)
	}
	s.mu.Lock()
	var gone []state.NodeLease
	for id, lease := range s.known {
		if _, ok := now[id]; !ok {
			gone = append(gone, state.NodeLease{ID: id, Lease: lease})
		}
	}
	s.mu.Unlock()
	for _, l := range gone {
		s.noteGone(l.ID, l.Lease)
	}
	s.heldMu.Unlock()
	s.dropExpiredSessions(now)
	nodes, _, err := s.st.ListNodes(ctx)
	if err != nil {
		return
	}
	for _, n := range nodes {
		if n.State == state.StateNotConnected {
			continue
		}
		if _, ok := now[n.ID]; ok {
			continue
		}
		_, err := s.st.UpdateNode(ctx, n.ID, func(ni *state.NodeInfo) error {
			if ni.State == state.StateNotConnected {
				return errUnchanged
			}
			ni.State, ni.StartPhase = state.StateNotConnected, 0
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) && s.ctx.Err() == nil {
			s.log.Warn("mgmd: mark node not connected", "node", n.ID, "err", err)
		}
	}
}

var errUnchanged = errors.New("unchanged")

// registryLoop follows the registry (written through any management
// server) and puts node status changes in the cluster log.
func (s *Server) registryLoop(nodes []state.NodeInfo, rev int64) {
	defer s.wg.Done()
	last := map[uint32]state.NodeInfo{}
	for _, n := range nodes {
		last[n.ID] = n
	}
	for s.ctx.Err() == nil {
		for ev := range s.st.WatchNodes(s.ctx, rev) {
			if ev.Err != nil {
				if s.ctx.Err() == nil {
					s.log.Warn("mgmd: registry watch ended; watching again", "err", ev.Err)
				}
				break
			}
			rev = ev.Node.Revision
			if ev.Removed {
				delete(last, ev.Node.ID)
				continue
			}
			prev, had := last[ev.Node.ID]
			last[ev.Node.ID] = ev.Node
			s.logTransition(prev, had, ev.Node)
		}
		if s.ctx.Err() != nil {
			return
		}
		// Start again from what is there now (the revision may have
		// been compacted away).
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(time.Second):
		}
		ns, r, err := s.st.ListNodes(s.ctx)
		if err != nil {
			continue
		}
		for _, n := range ns {
			prev, had := last[n.ID]
			last[n.ID] = n
			s.logTransition(prev, had, n)
		}
		rev = r
	}
}

func (s *Server) logTransition(prev state.NodeInfo, had bool, n state.NodeInfo) {
	if had && prev.State == n.State && prev.StartPhase == n.StartPhase {
		return
	}
	if n.Kind == state.KindMgm {
		return // a management server logs its own start
	}
	switch n.State {
	case state.StateStarting:
		s.clog.add(mgmapi.SeverityInfo, "StartUp", n.ID, "Node %d: Start phase %d completed", n.ID, n.StartPhase)
	case state.StateStarted:
		s.clog.add(mgmapi.SeverityInfo, "StartUp", n.ID, "Node %d: Started (%s)", n.ID, n.Version)
	case state.StateStopping:
		s.clog.add(mgmapi.SeverityInfo, "NodeRestart", n.ID, "Node %d: Node shutdown initiated", n.ID)
	case state.StateNotConnected:
		if had && prev.State != state.StateNotConnected {
			s.clog.add(mgmapi.SeverityInfo, "NodeRestart", n.ID, "Node %d: Node shutdown completed", n.ID)
		}
	}
}

// configLoop follows the stored configuration: a new generation replaces
// the server's and is announced to every subscribed node.
func (s *Server) configLoop(rev int64) {
	defer s.wg.Done()
	for s.ctx.Err() == nil {
		for ev := range s.st.WatchConfig(s.ctx, rev) {
			if ev.Err != nil {
				if s.ctx.Err() == nil {
					s.log.Warn("mgmd: configuration watch ended; watching again", "err", ev.Err)
				}
				break
			}
			rev = ev.Config.Revision
			s.takeConfig(ev.Config)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(time.Second):
		}
		c, err := s.st.Config(s.ctx)
		if err != nil {
			continue
		}
		rev = c.Revision
		if c.Generation != s.conf.Load().Generation {
			s.takeConfig(c)
		}
	}
}

func (s *Server) takeConfig(c state.ClusterConfig) {
	l, err := s.parse(c)
	if err != nil {
		s.clog.add(mgmapi.SeverityAlert, "Configuration", 0, "Configuration generation %d does not parse; keeping generation %d: %v",
			c.Generation, s.conf.Load().Generation, err)
		return
	}
	s.conf.Store(l)
	s.peers.reset()
	s.clog.add(mgmapi.SeverityInfo, "Configuration", 0, "Configuration generation %d is now in use", c.Generation)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ses := range s.sessions {
		ses.push(&mgmapi.Event{Type: mgmapi.EventConfig, ConfigGeneration: c.Generation})
	}
}
