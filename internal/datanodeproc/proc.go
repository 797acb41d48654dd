package datanodeproc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/datanode/restart"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/internal/nodeconfig"
	"github.com/gondb/gondb/internal/nodehttp"
	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// LastStartPhase is the last start phase a data node reports before
// STARTED (see the package doc).
const LastStartPhase = 4

// Options configure a Proc. Zero fields take the defaults in parentheses.
type Options struct {
	// ConnectString names the management servers (required).
	ConnectString string
	// NodeID asks for this data node id (--ndb-nodeid); 0 takes a free
	// [ndbd] slot open to this host.
	NodeID uint32
	// Initial is --initial: the first start wipes the node's file system
	// (DataDir/ndb_<id>_fs) instead of restoring from it.
	Initial bool
	// NoStart is --nostart: join and stay NOT_STARTED until START.
	NoStart bool
	// HTTPAddr serves /metrics and /health there (nodehttp.ListenAddr's
	// result); "" serves none.
	HTTPAddr string
	// Version is shown by SHOW next to the node ("gondb").
	Version string
	// Logger (slog.Default()).
	Logger *slog.Logger
	// Client are the management client's options (its defaults).
	Client client.Options
	// ConnectRetries is how many more times Join tries when no management
	// server answers, or when the node id is still held (by a process that
	// ended without releasing it, until its lease expires) (0).
	ConnectRetries int
	// RetryDelay is the wait between those tries (1 s).
	RetryDelay time.Duration
	// StatsInterval is how often node.Stats is sampled for heartbeats and
	// metrics (1 s: the management server's heartbeat interval).
	StatsInterval time.Duration
	// Adjust changes the node.Config derived from config.ini before each
	// start (tests: a quiet logger, a faster tick). Nil: none.
	Adjust func(*node.Config)
	// OnState is called, from Run's goroutines, with every state the node
	// reports. It must not block. Nil: none.
	OnState func(status mgmapi.NodeStatus, phase int)
}

// Proc is one data node process: joined to the management servers, it
// runs the data node's runtime and acts on their commands.
type Proc struct {
	opts Options
	log  *slog.Logger
	mgm  *client.Node
	http *nodehttp.Server
	id   int

	state atomic.Uint64 // status<<32 | phase, for /health

	// hbMu orders the computing and handing over of what heartbeats carry
	// (publishHeartbeat), so a sample that raced a stop cannot publish its
	// port after the stop cleared it.
	hbMu sync.Mutex

	mu       sync.Mutex
	rt       *node.Node // the running runtime, nil when not started
	last     node.Stats // the latest sample of rt
	lastLat  tc.Latency // rt's TC latency histograms at that sample
	haveLast bool
	base     counters // what runtimes stopped before rt counted (metrics.go)
	starts   uint64   // runtimes started by this process
	lastPort int      // the port a dynamic ServerPort got last time
	// hb is what the heartbeats carry from the runtime's last sample;
	// restorable is added while the node starts (restart.go).
	hb              client.HeartbeatInfo
	restorable      *uint64
	restorableNodes []uint32         // with restorable: the nodes that restore it (nil: not recorded)
	nr              restart.Progress // the last node restart progress (restartProgress)

	dict dictState // the tables of the dictionary (dict.go)

	// With NodeFailover: the arbitrator of the running runtime, and QMGR's
	// shutdown orders (the node was excluded, or its side lost), which Run
	// acts on.
	arb      *MgmArbitrator
	shutdown chan string
}

// Join connects to the management servers, takes the node id, fetches
// the configuration, checks that this node's runtime configuration can be
// derived from it, and starts the HTTP server. Close the Proc by running
// it (Run) or, if Run is never called, with Close.
func Join(ctx context.Context, o Options) (*Proc, error) {
	if o.ConnectString == "" {
		return nil, errors.New("datanodeproc: no connect string")
	}
	if o.Version == "" {
		o.Version = "gondb"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.StatsInterval <= 0 {
		o.StatsInterval = time.Second
	}
	if o.Client.Logger == nil {
		o.Client.Logger = o.Logger
	}
	p := &Proc{opts: o, log: o.Logger, shutdown: make(chan string, 1)}
	p.setState(mgmapi.StatusNotStarted, 0)
	if o.HTTPAddr != "" {
		h, err := nodehttp.New(nodehttp.Options{Addr: o.HTTPAddr, Kind: nodehttp.KindDataNode, NodeID: int(o.NodeID),
			Version: o.Version, Health: p.health, Logger: o.Logger})
		if err != nil {
			return nil, err
		}
		if err := h.Registry().Register(collector{p}); err != nil {
			return nil, err
		}
		if err := h.Start(); err != nil {
			return nil, err
		}
		p.http = h
	}
	n, err := p.join(ctx)
	if err != nil {
		p.closeHTTP()
		return nil, err
	}
	p.mgm, p.id = n, int(n.ID())
	p.log = p.log.With("node", p.id)
	if p.http != nil {
		p.http.SetNodeID(p.id)
	}
	cfg, _ := n.Config()
	if _, err := p.derive(cfg, nil, true); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// join calls client.Join, again after RetryDelay up to ConnectRetries
// times when no management server answers or the id is still held.
func (p *Proc) join(ctx context.Context) (*client.Node, error) {
	o := p.opts
	copts := config.Options{CheckThreadConfig: func(s string) error {
		_, err := thread.ParseThreadConfig(s)
		return err
	}}
	for try := 0; ; try++ {
		n, err := client.Join(ctx, o.ConnectString, client.NodeOptions{Options: o.Client, Type: mgmapi.TypeData,
			NodeID: o.NodeID, Version: o.Version, Config: copts})
		if err == nil {
			return n, nil
		}
		if try >= o.ConnectRetries || !(errors.Is(err, client.ErrNoServer) || errors.Is(err, mgmapi.ErrNodeIDInUse)) {
			return nil, err
		}
		p.log.Warn("data node: cannot join the cluster yet; trying again", "err", err,
			"retry_in", o.RetryDelay, "tries_left", o.ConnectRetries-try)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.RetryDelay):
		}
	}
}

// ID is the node's id.
func (p *Proc) ID() uint32 { return uint32(p.id) }

// HTTPAddr is where /metrics and /health are served; "" when not.
func (p *Proc) HTTPAddr() string {
	if p.http == nil {
		return ""
	}
	return p.http.Addr()
}

// State is the status the node last reported and its start phase.
func (p *Proc) State() (mgmapi.NodeStatus, int) {
	v := p.state.Load()
	return mgmapi.NodeStatus(v >> 32), int(uint32(v))
}

func (p *Proc) setState(s mgmapi.NodeStatus, phase int) {
	p.state.Store(uint64(s)<<32 | uint64(uint32(phase)))
}

// health is /health's check: healthy when STARTED.
func (p *Proc) health() (string, error) {
	s, phase := p.State()
	switch s {
	case mgmapi.StatusStarted:
		return "started", nil
	case mgmapi.StatusStarting:
		return "starting", fmt.Errorf("start phase %d of %d completed", phase, LastStartPhase)
	case mgmapi.StatusStopping:
		return "stopping", errors.New("the node is stopping")
	}
	return "not started", errors.New("the node is not started (START from the management client starts it)")
}

// Close stops the runtime, releases the node id and stops the HTTP
// server. Run calls it when it returns.
func (p *Proc) Close() {
	p.stopRuntime()
	if p.mgm != nil {
		p.mgm.Close()
	}
	p.closeHTTP()
}

func (p *Proc) closeHTTP() {
	if p.http != nil {
		if err := p.http.Close(); err != nil {
			p.log.Warn("data node: closing the HTTP server", "err", err)
		}
	}
}

// Run starts the node (unless NoStart) and acts on commands until ctx
// ends or a cluster SHUTDOWN stops it, then stops the runtime and releases
// the node id, returning nil.
// It returns an error when the first start fails, or when the node lost
// its node id; the Proc is closed either way.
func (p *Proc) Run(ctx context.Context) error {
	defer p.Close()
	stopDict := p.watchDict(ctx)
	defer stopDict()
	events := p.mgm.Events()
	tick := time.NewTicker(p.opts.StatsInterval)
	defer tick.Stop()

	var (
		startDone   chan error
		startCancel context.CancelFunc
		first       = !p.opts.NoStart
	)
	begin := func(initial bool) {
		sctx, cancel := context.WithCancel(ctx)
		startDone, startCancel = make(chan error, 1), cancel
		go func() { startDone <- p.start(sctx, initial) }()
	}
	// abandon interrupts a start in progress and waits for it to clean up.
	abandon := func() {
		if startDone != nil {
			startCancel()
			<-startDone
			startDone, first = nil, false
		}
	}
	if p.opts.NoStart {
		p.report(mgmapi.StatusNotStarted, 0)
	} else {
		begin(p.opts.Initial)
	}
	for {
		select {
		case <-ctx.Done():
			abandon()
			p.stop(true)
			return nil
		case err := <-startDone:
			startCancel()
			startDone = nil
			if ctx.Err() != nil { // interrupted: the ctx.Done case's work
				p.stop(true)
				return nil
			}
			if err != nil {
				if first {
					p.report(mgmapi.StatusNotStarted, 0)
					return fmt.Errorf("node %d: %w", p.id, err)
				}
				p.log.Error("data node: start failed; the node stays not started", "err", err)
				p.report(mgmapi.StatusNotStarted, 0)
			}
			first = false
		case reason := <-p.shutdown:
			abandon()
			p.log.Error("data node: the cluster shut this node down; it stays not started", "reason", reason)
			p.stop(false)
		case ev, ok := <-events:
			if !ok {
				abandon()
				return fmt.Errorf("node %d: the connection to the management servers was closed", p.id)
			}
			switch ev.Type {
			case client.EventLost:
				abandon()
				p.stopRuntime()
				return ev.Err
			case client.EventConfig:
				p.log.Info("data node: new configuration generation; it is used at the next start", "generation", ev.Generation)
			case client.EventCommand:
				c := ev.Command
				p.log.Info("data node: command", "command", string(c.Name), "initial", c.Initial, "nostart", c.NoStart,
					"abort", c.Abort, "from", c.From)
				switch c.Name {
				case mgmapi.CmdStop:
					abandon()
					p.drain()
					p.stop(false)
					if c.Shutdown {
						p.log.Info("data node: cluster shutdown; exiting")
						return nil
					}
				case mgmapi.CmdStart:
					if startDone != nil || p.running() {
						p.log.Info("data node: START while started or starting; nothing to do")
						continue
					}
					begin(c.Initial)
				case mgmapi.CmdRestart:
					abandon()
					p.drain()
					p.stop(false)
					if !c.NoStart {
						begin(c.Initial)
					}
				default:
					p.log.Warn("data node: unknown command ignored", "command", string(c.Name))
				}
			}
		case <-tick.C:
			if startDone == nil && p.running() {
				p.sample(ctx)
			}
		}
	}
}

func (p *Proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rt != nil
}

// report records the node's state and tells the management servers. A
// failed report is logged only: the client library sends the last state
// again when it reaches a management server.
func (p *Proc) report(s mgmapi.NodeStatus, phase int) {
	p.setState(s, phase)
	if p.opts.OnState != nil {
		p.opts.OnState(s, phase)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.mgm.ReportState(ctx, s, phase); err != nil {
		p.log.Warn("data node: reporting state", "status", s.String(), "phase", phase, "err", err)
	}
}

// start takes the runtime through the start phases to STARTED. On an
// error (ctx ended included) it leaves no runtime behind and reports
// nothing more; the caller reports NOT_STARTED.
func (p *Proc) start(ctx context.Context, initial bool) (err error) {
	cfg, gen := p.mgm.Config()
	p.log.Info("data node: starting", "generation", gen, "initial", initial)
	p.report(mgmapi.StatusStarting, 0)
	began := time.Now() // StartPartialTimeout counts from here
	addrs, err := p.resolvePeers(ctx, cfg)
	if err != nil {
		return err
	}
	ncfg, err := p.derive(cfg, addrs, false)
	if err != nil {
		return err
	}
	ncfg.Initial = initial
	own, ownNodes, err := node.DiskState(ncfg)
	if err != nil {
		return err
	}
	var nodeRestart bool
	var members []signal.NodeID
	if ncfg.RestoreGCI, nodeRestart, members, err = p.agreeRestorable(ctx, cfg, own, ownNodes, began); err != nil {
		return err
	}
	p.membership(&ncfg)
	if ncfg.Membership.Enabled && !nodeRestart {
		ncfg.Membership.Members = members // the others join by node restarts
	}
	var copied chan struct{} // closed once a node restart's copy is done
	if nodeRestart && ncfg.Membership.Enabled {
		copied = make(chan struct{})
		ncfg.Membership.Starting = true
		ncfg.Membership.OnStarted = func() { close(copied) }
		ncfg.Membership.OnProgress = p.restartProgress
	}
	rt, err := p.startWithDict(ctx, ncfg)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			p.stopRuntime()
		}
	}()
	p.report(mgmapi.StatusStarting, 1)

	if err := p.sample(ctx); err != nil {
		return err
	}
	if err := p.heartbeatNow(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("data node: publishing the transporter port", "err", err)
	}
	p.report(mgmapi.StatusStarting, 2)

	if err := p.waitPeers(ctx, cfg, rt, began); err != nil {
		return err
	}
	p.report(mgmapi.StatusStarting, 3)
	if copied != nil {
		// Node restart: the president copies this node's replicas from
		// the live ones while traffic goes on (datanode/restart).
		p.log.Info("data node: node restart: waiting for the copy of this node's replicas")
		select {
		case <-copied:
		case <-ctx.Done():
			return ctx.Err()
		}
		// As NDB, the node is started once its disk restores what was
		// copied (a local checkpoint after the copy): a rolling restart
		// must not take down the last durable replica meanwhile.
		p.log.Info("data node: node restart: copy done; waiting for a local checkpoint of the copied replicas")
		select {
		case <-rt.Durable():
		case <-ctx.Done():
			return ctx.Err()
		}
		p.restartProgress(restart.Progress{Step: restart.StepDone})
	}

	if ncfg.Membership.Enabled {
		if err := p.waitView(ctx, rt); err != nil {
			return err
		}
	}
	if err := p.sample(ctx); err != nil {
		return err
	}
	p.report(mgmapi.StatusStarting, LastStartPhase)
	p.setRestorable(nil, [8]uint32{})
	p.report(mgmapi.StatusStarted, 0)
	p.log.Info("data node: started", "transporter", rt.Addr(), "gossip", rt.GossipAddr())
	return ctx.Err()
}

// membership completes the node's QMGR configuration: the management
// servers arbitrate, and a shutdown QMGR orders reaches Run. The
// generation, which arbitration requests carry, must be the same on every
// node of a system start and grow from one start to the next: the GCI the
// start restores, plus one.
func (p *Proc) membership(c *node.Config) {
	if !c.Membership.Enabled {
		return
	}
	p.mu.Lock()
	if p.arb != nil {
		p.arb.Close()
	}
	p.arb = NewMgmArbitrator(p.mgm.Conn(), ArbitratorOptions{Logger: p.log})
	c.Membership.Arbitrator = p.arb
	p.mu.Unlock()
	c.Membership.Generation = c.RestoreGCI + 1
	c.Membership.OnShutdown = func(reason string) {
		select {
		case p.shutdown <- reason:
		default: // one order is enough
		}
	}
}

// startRuntime starts node.Start, on the port a dynamic ServerPort had
// last time when there is one (so the nodes that dial this one find it
// again), else on the configured one.
func (p *Proc) startRuntime(c node.Config) (*node.Node, error) {
	p.mu.Lock()
	lastPort := p.lastPort
	p.mu.Unlock()
	host, port, err := net.SplitHostPort(c.Listen)
	var rt *node.Node
	if err == nil && port == "0" && lastPort != 0 {
		again := c
		again.Listen = net.JoinHostPort(host, strconv.Itoa(lastPort))
		if rt, err = node.Start(again); err != nil {
			p.log.Warn("data node: the transporter port of the last start is taken; taking a new one", "port", lastPort, "err", err)
		}
	}
	if rt == nil {
		if rt, err = node.Start(c); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	p.rt, p.haveLast = rt, false
	p.starts++
	if port == "0" {
		if _, ap, err := net.SplitHostPort(rt.Addr()); err == nil {
			p.lastPort, _ = strconv.Atoi(ap)
		}
	}
	p.mu.Unlock()
	return rt, nil
}

// stop reports STOPPING, stops the runtime and, unless the process is
// exiting (final: Close releases the id next), reports NOT_STARTED.
func (p *Proc) stop(final bool) {
	p.report(mgmapi.StatusStopping, 0)
	p.stopRuntime()
	if final {
		return
	}
	// The cleared figures reach the server before NOT_STARTED does, so
	// whoever waits for NOT_STARTED sees them.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.mgm.Heartbeat(ctx); err != nil {
		p.log.Warn("data node: heartbeat after stop", "err", err)
	}
	p.report(mgmapi.StatusNotStarted, 0)
}

// drainTimeout bounds how long a planned stop waits for the node's TC to
// finish the transactions it runs.
const drainTimeout = 5 * time.Second

// drain lets a node that is asked to stop finish its TC's transactions
// first (node.Drain): their clients learn the real outcome, and new ones
// go to other nodes.
func (p *Proc) drain() {
	p.mu.Lock()
	rt := p.rt
	p.mu.Unlock()
	if rt == nil {
		return
	}
	if open := rt.Drain(drainTimeout); open != 0 {
		p.log.Warn("data node: stopping with transactions still open in its TC", "open", open, "waited", drainTimeout)
	}
}

// stopRuntime takes a last sample of the runtime's counters, stops it and
// clears what the heartbeats carry.
func (p *Proc) stopRuntime() {
	p.mu.Lock()
	rt := p.rt
	p.mu.Unlock()
	if rt == nil {
		return
	}
	s, err := stats(rt)
	var lat tc.Latency
	if err == nil {
		lat, _, err = extras(rt, false)
	}
	// A planned stop: the other data nodes' gossip members see this one
	// leave, so their QMGRs fail it at its first missed heartbeat.
	if lerr := rt.LeaveGossip(gossipLeaveTimeout); lerr != nil {
		p.log.Warn("data node: leaving the gossip cluster", "err", lerr)
	}
	rt.Stop()
	p.mu.Lock()
	if p.arb != nil {
		p.arb.Close()
		p.arb = nil
	}
	p.mu.Unlock()
	p.mu.Lock()
	if err != nil { // a stuck thread: count what the last sample saw
		s, lat = node.Stats{}, tc.Latency{}
		if p.haveLast {
			s, lat = p.last, p.lastLat
		}
	}
	c := countersOf(&s, &lat)
	p.base.add(&c)
	p.rt, p.haveLast, p.last, p.lastLat = nil, false, node.Stats{}, tc.Latency{}
	p.hb, p.restorable, p.restorableNodes = client.HeartbeatInfo{}, nil, nil
	p.mu.Unlock()
	p.publishHeartbeat()
}

// stats reads rt's Stats. Its context is never the caller's: node.Do
// gives up on a context that ends while the function is queued, which may
// still run later and write the Stats being returned; only a stuck thread
// reaches the timeout.
func stats(rt *node.Node) (node.Stats, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return rt.Stats(ctx)
}

// extras reads rt's TC latency histograms and, with memory, its memory
// figures (ndbinfo.memoryusage's rows), as stats reads its Stats.
func extras(rt *node.Node, memory bool) (tc.Latency, []node.MemoryUse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lat, err := rt.TCLatency(ctx)
	if err != nil || !memory {
		return lat, nil, err
	}
	mu, err := rt.MemoryUsage(ctx)
	return lat, mu, err
}

// sample reads the runtime's Stats for the metrics and the heartbeats.
func (p *Proc) sample(ctx context.Context) error {
	p.mu.Lock()
	rt := p.rt
	p.mu.Unlock()
	if rt == nil {
		return node.ErrStopped
	}
	s, err := stats(rt)
	var lat tc.Latency
	var memory []node.MemoryUse
	if err == nil {
		lat, memory, err = extras(rt, true)
	}
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("data node: reading the node's counters", "err", err)
		}
		return err
	}
	p.mu.Lock()
	if p.rt != rt { // stopped meanwhile
		p.mu.Unlock()
		return node.ErrStopped
	}
	p.last, p.lastLat, p.haveLast = s, lat, true
	p.mu.Unlock()
	port := 0
	if _, ap, err := net.SplitHostPort(rt.Addr()); err == nil {
		port, _ = strconv.Atoi(ap)
	}
	cfg, _ := p.mgm.Config()
	master := false
	if len(cfg.DataNodes) > 0 {
		low := cfg.DataNodes[0].NodeID
		for _, d := range cfg.DataNodes {
			low = min(low, d.NodeID)
		}
		master = low == p.id // the GCP master: the lowest data node id
	}
	p.mu.Lock()
	if p.rt != rt { // stopped meanwhile: its cleared heartbeat stands
		p.mu.Unlock()
		return node.ErrStopped
	}
	p.hb = client.HeartbeatInfo{Memory: heartbeatMemory(memory), Master: master, Port: uint16(port)}
	p.mu.Unlock()
	p.publishHeartbeat()
	return nil
}

// publishHeartbeat hands what the heartbeats carry now to the management
// client. hbMu makes computing and handing over one step: otherwise a
// sample's port could overtake a stop's cleared heartbeat.
func (p *Proc) publishHeartbeat() {
	if p.mgm == nil {
		return
	}
	p.hbMu.Lock()
	defer p.hbMu.Unlock()
	p.mgm.SetHeartbeatInfo(p.heartbeatInfo())
}

// heartbeatMemory is what ALL REPORT MEMORYUSAGE prints: the rows of
// ndbinfo.memoryusage, in its pages ("Data memory" reported as "Data",
// "Index memory" as "Index").
func heartbeatMemory(rows []node.MemoryUse) []mgmapi.MemoryUsage {
	out := make([]mgmapi.MemoryUsage, len(rows))
	for i, m := range rows {
		out[i] = mgmapi.MemoryUsage{Resource: strings.TrimSuffix(m.Type, " memory"), Used: m.UsedPages,
			Total: m.TotalPages, PageSize: mem.PageSize}
	}
	return out
}

// heartbeatInfo is what the heartbeats carry now. A node restart's
// progress (p.nr, this node's own) goes along while the node is STARTING
// with a runtime and the copy is not done; a progress left from an
// earlier start (done, or stopped half way) is dropped when the node is
// no longer starting or starts anew (no runtime yet).
func (p *Proc) heartbeatInfo() client.HeartbeatInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hb
	h.RestorableGCI, h.RestorableNodes = p.restorable, p.restorableNodes
	status, _ := p.State()
	switch {
	case p.nr.Node != signal.NodeID(p.id): // none (or another node's run, seen as president)
	case status != mgmapi.StatusStarting || p.rt == nil || p.nr.Step == restart.StepDone:
		p.nr = restart.Progress{}
	default:
		h.NodeRestart = &mgmapi.NodeRestartProgress{Step: p.nr.Step.String(), FragmentsCopied: p.nr.FragmentsCopied,
			Fragments: p.nr.Of, RowsCopied: p.nr.RowsCopied}
	}
	return h
}

// derive builds this node's node.Config from cfg. addrs gives the
// published host:port of data nodes whose ServerPort is 0; with
// placeholder, those not in addrs get a dummy port (to validate only).
func (p *Proc) derive(cfg *config.Config, addrs map[int]string, placeholder bool) (node.Config, error) {
	c := *cfg
	c.DataNodes = slices.Clone(cfg.DataNodes)
	for i := range c.DataNodes {
		d := &c.DataNodes[i]
		if d.NodeID >= p.id || d.ServerPort != 0 {
			continue
		}
		if a, ok := addrs[d.NodeID]; ok {
			host, port, err := net.SplitHostPort(a)
			if err != nil {
				return node.Config{}, fmt.Errorf("data node %d published address %q: %w", d.NodeID, a, err)
			}
			if d.HostName == "" {
				d.HostName = host
			}
			d.ServerPort, _ = strconv.Atoi(port)
		} else if placeholder {
			d.ServerPort = 1
		}
	}
	nc, err := nodeconfig.DataNode(&c, p.id)
	if err != nil {
		return nc, err
	}
	nc.Logger = p.opts.Logger // the node adds its id itself
	if nc.Membership.Enabled {
		nc.Membership.Gossip = gossipConfig(&c, p.id)
	}
	if p.opts.Adjust != nil {
		p.opts.Adjust(&nc)
		if err := nc.Validate(); err != nil {
			return nc, err
		}
	}
	return nc, nil
}

// resolvePeers waits until every lower-id data node whose ServerPort is 0
// (this node dials the lower ids) has published its transporter port.
func (p *Proc) resolvePeers(ctx context.Context, cfg *config.Config) (map[int]string, error) {
	var need []int
	for _, d := range cfg.DataNodes {
		if d.NodeID < p.id && d.ServerPort == 0 {
			need = append(need, d.NodeID)
		}
	}
	if len(need) == 0 {
		return nil, nil
	}
	addrs := map[int]string{}
	lastLog := time.Now()
	for {
		st, err := p.mgm.Conn().Status(ctx)
		if err == nil {
			for _, ni := range st.Nodes {
				id := int(ni.NodeID)
				if !slices.Contains(need, id) || ni.Port == 0 ||
					(ni.Status != mgmapi.StatusStarting && ni.Status != mgmapi.StatusStarted) {
					continue
				}
				host := ni.ConfigHost
				if host == "" {
					host = ni.Host
				}
				addrs[id] = net.JoinHostPort(host, strconv.Itoa(int(ni.Port)))
			}
		}
		if len(addrs) == len(need) {
			return addrs, nil
		}
		if time.Since(lastLog) >= 5*time.Second {
			lastLog = time.Now()
			var missing []int
			for _, id := range need {
				if _, ok := addrs[id]; !ok {
					missing = append(missing, id)
				}
			}
			p.log.Info("data node: waiting for data nodes with ServerPort=0 to publish their transporter port", "nodes", missing, "status_err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitPeers is start phase 3: it waits until the transporters of the data
// nodes this start needs are connected (see the package doc).
func (p *Proc) waitPeers(ctx context.Context, cfg *config.Config, rt *node.Node, began time.Time) error {
	partial := cfg.Cluster.StartPartialTimeout
	var want []signal.NodeID
	var lastStatus, lastLog time.Time
	restart := false
	for {
		if time.Since(lastStatus) >= 500*time.Millisecond {
			lastStatus = time.Now()
			want, restart = p.peersToWaitFor(ctx, cfg)
		}
		connected := map[signal.NodeID]bool{rt.ID(): true}
		s, err := stats(rt)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("start phase 3: %w", err)
		}
		for _, ps := range s.Peers {
			if ps.State == transport.StateConnected {
				connected[ps.Node] = true
			}
		}
		var missing []signal.NodeID
		for _, id := range want {
			if !connected[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if !restart && partial > 0 && time.Since(began) >= partial && everyGroup(rt.NodeGroups(), connected) {
			p.log.Warn("data node: StartPartialTimeout passed; starting without the data nodes not connected (every node group has one)",
				"missing", missing, "timeout", partial)
			return nil
		}
		if time.Since(lastLog) >= 5*time.Second {
			if !lastLog.IsZero() {
				p.log.Info("data node: start phase 3: waiting for the transporters of other data nodes", "missing", missing)
			}
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// peersToWaitFor returns the data nodes phase 3 waits for: in a node
// restart (another data node is STARTED) those that are STARTING or
// STARTED, in a cluster start all of them. When the management servers
// cannot say, all of them.
func (p *Proc) peersToWaitFor(ctx context.Context, cfg *config.Config) ([]signal.NodeID, bool) {
	var all []signal.NodeID
	for _, d := range cfg.DataNodes {
		if d.NodeID != p.id {
			all = append(all, signal.NodeID(d.NodeID))
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	st, err := p.mgm.Conn().Status(sctx)
	cancel()
	if err != nil {
		return all, false
	}
	restart := false
	var up []signal.NodeID
	for _, ni := range st.Nodes {
		if ni.Type != mgmapi.TypeData || int(ni.NodeID) == p.id {
			continue
		}
		switch ni.Status {
		case mgmapi.StatusStarted:
			restart = true
			up = append(up, signal.NodeID(ni.NodeID))
		case mgmapi.StatusStarting:
			up = append(up, signal.NodeID(ni.NodeID))
		}
	}
	if restart {
		return up, true
	}
	return all, false
}

// everyGroup reports whether every node group has a node in up.
func everyGroup(groups []partition.NodeGroup, up map[signal.NodeID]bool) bool {
	for _, g := range groups {
		ok := false
		for _, n := range g.Nodes {
			if up[signal.NodeID(n)] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// restartProgress logs a node restart's progress (on the node's main
// thread: it must not block) and, for this node's own restart, keeps it
// for the heartbeats and hands it to the management client at once (two
// short mutexes; the next heartbeat sends it). A node that is president
// hears of other nodes' restarts too: those are only logged. StepDone
// (start reports it before STARTED) clears it.
func (p *Proc) restartProgress(pr restart.Progress) {
	p.log.Info("data node: node restart", "node_restarting", int(pr.Node), "step", pr.Step.String(), "fragments_copied", pr.FragmentsCopied,
		"fragments", pr.Of, "rows_copied", pr.RowsCopied)
	if pr.Node != signal.NodeID(p.id) {
		return
	}
	p.mu.Lock()
	p.nr = pr
	p.mu.Unlock()
	p.publishHeartbeat()
}

// waitView waits until this node's QMGR is a member of the cluster's view
// (it formed the view, or joined the one another node formed). A node
// reported STARTED before that would be in no view: were the node that
// formed it to stop, this one could neither carry on nor let it rejoin.
// It also waits for the node's first read lease, so that a STARTED node
// answers reads.
func (p *Proc) waitView(ctx context.Context, rt *node.Node) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for logged := false; ; {
		st, err := rt.MembershipState(ctx)
		if err != nil {
			return fmt.Errorf("start: membership: %w", err)
		}
		if st.Phase == qmgr.Running && st.Leased {
			return nil
		}
		if !logged {
			// A member reads only under a read lease from every other
			// member (datanode/qmgr's lease.go): STARTED waits for the
			// first, a round trip after joining.
			p.log.Info("data node: waiting to join the cluster's view and for a read lease", "phase", st.Phase.String())
			logged = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
