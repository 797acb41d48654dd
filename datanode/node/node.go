package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/gcp"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/restart"
	"github.com/gondb/gondb/datanode/sched"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/inproc"
	"github.com/gondb/gondb/transport/tcp"
)

// Node is one running data node.
type Node struct {
	cfg    Config
	log    *slog.Logger
	pool   *mem.Pool
	groups []partition.NodeGroup
	dist   atomic.Pointer[dih.Distribution]
	lqh    *lqh.LQH
	tc     *tc.TC
	gcp    *gcp.GCP
	sched  *sched.Scheduler
	tr     transport.Transporter
	addr   string // the TCP listen address; "" in process
	gate   *gateReceiver
	names  []string // thread names, in sched order

	// owner maps a block's key to the exec block of its thread; blocks to
	// the block. Both are written during Start only.
	owner  map[uint32]*execBlock
	blocks map[uint32]block.Block

	stopOnce sync.Once
	stopped  chan struct{} // closed once the threads have stopped

	ddl sync.Mutex // orders AddTable and DropTable (ddl.go)
	// distMu orders the distribution's read-change-publish steps (DDL,
	// failures, node restarts); members are the full and starting
	// replicas every published distribution is restricted to (restart.go).
	distMu  sync.Mutex
	members *memberSets
	restart *restart.RESTART
	startID uint64        // this start's id (Membership.StartID)
	durable chan struct{} // closed by announceDurable (membership.go)

	dur          *durable // nil: diskless (durable.go)
	restoreStats RestoreStats
	info         *infoSource // ndbinfo's rows (ndbinfo.go)
}

// Errors.
var (
	// ErrStopped: the node is stopped (or stopping); Do did not run.
	ErrStopped = errors.New("node: stopped")
	// ErrNoSuchBlock: Do named a block the node does not run.
	ErrNoSuchBlock = errors.New("node: no such block on this node")
	// ErrNoSuchFragment: this node holds no replica of that fragment.
	ErrNoSuchFragment = errors.New("node: no replica of that fragment on this node")
)

// Start builds and starts a data node: DataMemory, node groups, the
// distribution with cfg.Tables, the blocks on their threads, and the
// transporter, listening and connecting to the other data nodes. It
// returns once the threads run; connections come up in the background
// (Peers in Stats shows them).
func Start(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tcfg, err := cfg.threadConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: ThreadConfig: %v", ErrConfig, err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger, owner: map[uint32]*execBlock{}, blocks: map[uint32]block.Block{},
		stopped: make(chan struct{}), durable: make(chan struct{})}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.log = n.log.With("node", cfg.NodeID)
	ok := false
	defer func() {
		if !ok {
			n.release()
		}
	}()

	ids := make([]partition.NodeID, len(cfg.DataNodes))
	for i, d := range cfg.DataNodes {
		ids[i] = partition.NodeID(d.ID)
	}
	if n.groups, err = partition.FormNodeGroups(ids, cfg.NoOfReplicas); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	d := dih.New()
	frags := cfg.PartitionsPerNode * len(cfg.DataNodes)
	for _, t := range cfg.Tables {
		l, err := schema.NewLayout(t)
		if err != nil {
			return nil, fmt.Errorf("%w: table %s: %v", ErrConfig, t.Name, err)
		}
		if d, err = d.WithTable(l, n.groups, frags); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	n.dist.Store(d)
	if cfg.Membership.Enabled {
		n.startID = cfg.Membership.StartID
		if n.startID == 0 {
			n.startID = uint64(time.Now().UnixNano())
		}
		n.restart = n.newRestart(n.groups)
	}

	if n.pool, err = mem.NewPool(cfg.DataMemory); err != nil {
		return nil, fmt.Errorf("node %d: %w", cfg.NodeID, err)
	}
	if cfg.Prefault {
		n.pool.Prefault()
	}
	n.lqh = lqh.New(cfg.NodeID, d, n.pool)
	if n.dur, err = n.openDurable(); err != nil {
		return nil, err
	}
	var restored, history uint64
	if n.dur != nil {
		restored, history = n.dur.restored, n.dur.history
	}
	if n.restart != nil {
		// A node restart copies only what changed since this GCI
		// (datanode/restart): the rows restored up to it are kept.
		n.restart.SetRestoredGCI(restored, history)
	}
	n.tc = tc.New(tc.Config{Node: cfg.NodeID, Distribution: n.Distribution, InitialGCI: restored + 1,
		DeadlockTimeout: cfg.DeadlockTimeout, InactiveTimeout: cfg.InactiveTimeout, MaxOperations: cfg.MaxOperations,
		APINodes: cfg.APINodes, Logger: n.log})
	var dataNodes []signal.NodeID // the GCP rounds' nodes
	for _, d := range cfg.DataNodes {
		if m := cfg.Membership; !m.Enabled || m.Starting || m.Members == nil || slices.Contains(m.Members, d.ID) {
			dataNodes = append(dataNodes, d.ID)
		}
	}
	gcfg := gcp.Config{Node: cfg.NodeID, Nodes: dataNodes, Interval: cfg.EpochInterval,
		TCs:        []signal.Address{{Node: cfg.NodeID, Block: gsn.BlockTC}},
		InitialGCI: restored + 1, InitialSaved: restored, Joining: cfg.Membership.Enabled && cfg.Membership.Starting,
		History: history}
	if n.dur != nil {
		gcfg.SaveInterval, gcfg.FS = cfg.SaveInterval, signal.Address{Node: cfg.NodeID, Block: gsn.BlockFS}
	}
	n.gcp = gcp.New(gcfg)

	ps, err := n.blockPlacements(tcfg)
	if err != nil {
		return nil, err
	}
	specs, err := n.threadSpecs(tcfg, ps)
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		n.names = append(n.names, s.Name)
	}
	var peers []signal.NodeID
	tcpPeers := map[signal.NodeID]string{}
	listen := cfg.Listen
	for _, dn := range cfg.DataNodes {
		if dn.ID == cfg.NodeID {
			if listen == "" {
				listen = dn.Addr
			}
			continue
		}
		peers = append(peers, dn.ID)
		tcpPeers[dn.ID] = dn.Addr
	}
	for _, id := range cfg.APINodes {
		peers = append(peers, id)
		tcpPeers[id] = ""
	}
	if n.sched, err = sched.New(sched.Config{Node: cfg.NodeID, Threads: specs, Peers: peers,
		TickInterval: cfg.TickInterval, Logger: n.log}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}

	// Frames that arrive before the threads run wait at the gate rather
	// than being dropped by a scheduler that has not started.
	n.gate = &gateReceiver{open: make(chan struct{}), r: n.sched.Receiver()}
	if cfg.Network != nil {
		icfg := inproc.DefaultConfig()
		icfg.Self, icfg.Receiver, icfg.Logger = cfg.NodeID, n.gate, n.log
		for id := range tcpPeers {
			icfg.Peers = append(icfg.Peers, id)
		}
		if cfg.SendBufferBytes > 0 {
			icfg.SendBufferBytes = cfg.SendBufferBytes
		}
		if n.tr, err = cfg.Network.Join(icfg); err != nil {
			return nil, err
		}
	} else if err := n.startTCP(cfg, listen, tcpPeers); err != nil {
		return nil, err
	}
	n.sched.AttachTransport(n.tr)
	if err := n.sched.Start(); err != nil {
		return nil, fmt.Errorf("node %d: %w", cfg.NodeID, err)
	}
	close(n.gate.open)
	ok = true
	n.log.Info("data node started", "listen", n.addr, "threads", n.names,
		"data_nodes", len(cfg.DataNodes), "replicas", cfg.NoOfReplicas, "tables", len(cfg.Tables))
	return n, nil
}

// startTCP starts the node's TCP transporter.
func (n *Node) startTCP(cfg Config, listen string, tcpPeers map[signal.NodeID]string) error {
	var err error
	tcpCfg := tcp.DefaultConfig()
	tcpCfg.Self = cfg.NodeID
	tcpCfg.Listen = listen
	tcpCfg.Peers = tcpPeers
	tcpCfg.Clients = cfg.APINodes
	tcpCfg.SendBufferBytes = cfg.SendBufferBytes
	tcpCfg.HeartbeatInterval = cfg.HeartbeatInterval
	tcpCfg.Logger = n.log
	if cfg.TLS.Enabled() {
		if tcpCfg.TLS, err = cfg.TLS.Load(); err != nil {
			return fmt.Errorf("node %d: %w", cfg.NodeID, err)
		}
	}
	tcpCfg.Receiver = n.gate
	tr, err := tcp.New(tcpCfg)
	if err != nil {
		return err
	}
	n.tr, n.addr = tr, tr.Addr()
	return nil
}

// gateReceiver holds frames until the scheduler runs.
type gateReceiver struct {
	open chan struct{}
	r    transport.Receiver
}

func (g *gateReceiver) Frame(from signal.NodeID, f *signal.Frame) {
	<-g.open
	g.r.Frame(from, f)
}

// drainFlush is how long Drain lets queued answers leave once the TC has
// no transaction left.
const drainFlush = 100 * time.Millisecond

// Drain prepares a planned stop: the node's TC refuses new transactions
// (270, temporary) and Drain waits, at most timeout, until those it runs
// have finished, so their clients learn the real outcome rather than an
// unknown result. It returns how many were still open.
func (n *Node) Drain(timeout time.Duration) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := n.WithTC(ctx, func(t *tc.TC) { t.Drain() }); err != nil {
		return -1
	}
	for {
		open := 0
		if err := n.WithTC(ctx, func(t *tc.TC) { open = t.Transactions() }); err != nil {
			return open
		}
		if open == 0 {
			// The last answers (TCCOMMITCONF) may still sit in a thread's
			// or the transporter's send buffer: give them a moment to
			// leave before Stop closes the connections.
			time.Sleep(drainFlush)
			return 0
		}
		select {
		case <-ctx.Done():
			return open
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Stop stops the node: the transporter (connections close), the threads,
// then frees the fragments and DataMemory. Blocks keep no state worth
// reading after it; inspect them with Do before. Later calls do nothing.
func (n *Node) Stop() {
	n.stopOnce.Do(n.release)
}

// release frees whatever Start got to; Stop and a failed Start use it.
func (n *Node) release() {
	if n.gate != nil {
		select {
		case <-n.gate.open:
		default:
			close(n.gate.open)
		}
	}
	if n.tr != nil {
		n.tr.Close()
	}
	if n.sched != nil {
		n.sched.Stop()
	}
	if n.lqh != nil {
		n.lqh.StopLCP() // after the threads: no Tick runs
	}
	n.dur.close() // after the threads: no more appends
	close(n.stopped)
	for _, b := range n.blocks {
		if c, ok := b.(Closer); ok {
			if err := c.Close(); err != nil {
				n.log.Warn("closing a block", "reason", err.Error())
			}
		}
	}
	if n.lqh != nil {
		d := n.Distribution()
		for _, id := range d.TableIDs() {
			t, _ := d.Table(id)
			for _, f := range t.FragmentsOn(n.cfg.NodeID) {
				if fr, ok := n.lqh.Fragment(id, f); ok {
					fr.Close()
				}
			}
		}
		n.lqh.CloseDropped()
	}
	if n.pool != nil {
		n.pool.Close()
	}
	n.log.Info("data node stopped")
}

// ID is the node's id.
func (n *Node) ID() signal.NodeID { return n.cfg.NodeID }

// Addr is the address the transporter listens on (with the real port when
// the configured one was 0).
func (n *Node) Addr() string { return n.addr }

// Distribution returns the current distribution state. Safe from any
// goroutine; the result is immutable.
func (n *Node) Distribution() *dih.Distribution { return n.dist.Load() }

// NodeGroups returns the cluster's node groups.
func (n *Node) NodeGroups() []partition.NodeGroup { return n.groups }

// Pool is the node's DataMemory (its methods are safe for concurrent use).
func (n *Node) Pool() *mem.Pool { return n.pool }

// Do runs fn on the thread that runs block id instance inst, between
// signals, and returns once it has run. That thread is the only goroutine
// that may touch the block's state (and LQH's fragments), so Do is how
// tests, ndbinfo and management read them. It waits for the thread's next
// tick (Config.TickInterval), or until ctx is done or the node stops
// (fn then did not run). Never call it from a block's thread: it would
// wait for itself.
func (n *Node) Do(ctx context.Context, id signal.BlockID, inst uint16, fn func(block.Block)) error {
	ex, ok := n.owner[blockKey(id, inst)]
	if !ok {
		return fmt.Errorf("%w: %d.%d", ErrNoSuchBlock, id, inst)
	}
	b := n.blocks[blockKey(id, inst)]
	r := execReq{fn: func() { fn(b) }, done: make(chan struct{})}
	select {
	case ex.reqs <- r:
	case <-n.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-r.done:
		return nil
	case <-n.stopped:
	case <-ctx.Done():
	}
	select {
	case <-r.done: // it ran after all
		return nil
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrStopped
}

// WithLQH runs fn with the node's LQH on its thread (see Do).
func (n *Node) WithLQH(ctx context.Context, fn func(*lqh.LQH)) error {
	return n.Do(ctx, gsn.BlockLQH, 0, func(b block.Block) { fn(b.(*lqh.LQH)) })
}

// WithTC runs fn with the node's TC on its thread (see Do).
func (n *Node) WithTC(ctx context.Context, fn func(*tc.TC)) error {
	return n.Do(ctx, gsn.BlockTC, 0, func(b block.Block) { fn(b.(*tc.TC)) })
}

// WithFragment runs fn with this node's replica of a table fragment on the
// LDM thread that owns it (see Do). fn must not keep f.
func (n *Node) WithFragment(ctx context.Context, table, frag uint32, fn func(f *store.Fragment)) error {
	var found bool
	err := n.WithLQH(ctx, func(l *lqh.LQH) {
		var f *store.Fragment
		if f, found = l.Fragment(table, frag); found {
			fn(f)
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: node %d, table %d, fragment %d", ErrNoSuchFragment, n.cfg.NodeID, table, frag)
	}
	return err
}

// ThreadStats is one worker thread's counters.
type ThreadStats struct {
	Name string
	thread.Stats
}

// Stats is a snapshot of the node's counters, for tests and ndbinfo.
type Stats struct {
	Node signal.NodeID
	// TC.
	Commits, Aborts  uint64
	OpenTransactions int
	// LQH: operation records held, committed rows in its fragments.
	OpenOperations int
	Rows           uint64
	// GCP: this node's epoch, the last complete one, rounds taken part in.
	GCP gcp.Stats
	// LostSignals counts signals the scheduler dropped: to an unknown
	// block, or refused by the transporter (peer down or overloaded).
	LostSignals uint64
	Memory      mem.Stats
	Threads     []ThreadStats
	Peers       []transport.PeerStatus
	// Restore is what the start restored (durable.go).
	Restore RestoreStats
	// LCP counts local checkpoints taken while running (lqh/lcp.go).
	LCP lqh.LCPStats
	// Redo is each redo log part's space (nil: diskless).
	Redo []redo.Usage
	// TCCounters and LQHCounters are the blocks' ndbinfo counters
	// (operations by type, scans, aborts by code; tc/info.go, lqh/info.go).
	TCCounters  tc.Counters
	LQHCounters lqh.Counters
}

// Stats collects the node's counters; the blocks' are read on their
// threads (Do), the rest directly.
func (n *Node) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Node: n.cfg.NodeID, Restore: n.restoreStats}
	if err := n.WithTC(ctx, func(t *tc.TC) {
		s.Commits, s.Aborts, s.OpenTransactions = t.Commits, t.Aborts, t.Transactions()
		s.TCCounters = t.Counters
	}); err != nil {
		return s, err
	}
	if err := n.WithLQH(ctx, func(l *lqh.LQH) {
		s.OpenOperations = l.OpenOperations()
		s.LCP = l.LCPStats()
		s.LQHCounters = l.Counters
		for _, f := range l.Fragments() {
			s.Rows += uint64(f.Stats().Rows)
		}
	}); err != nil {
		return s, err
	}
	if err := n.Do(ctx, gsn.BlockDIH, 0, func(block.Block) { s.GCP = n.gcp.Stats() }); err != nil {
		return s, err
	}
	if n.dur != nil {
		for _, p := range n.dur.redo {
			s.Redo = append(s.Redo, p.Usage())
		}
	}
	s.LostSignals = n.sched.Lost()
	s.Memory = n.pool.Stats()
	for i, ts := range n.sched.ThreadStats() {
		s.Threads = append(s.Threads, ThreadStats{Name: n.names[i], Stats: ts})
	}
	s.Peers = n.tr.Peers()
	return s, nil
}
