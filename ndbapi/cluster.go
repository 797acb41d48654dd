package ndbapi

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

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/inproc"
	"github.com/gondb/gondb/transport/tcp"
)

// DataNode is one data node as the API sees it.
type DataNode struct {
	ID   signal.NodeID
	Addr string // host:port of its transporter (TCP only)
}

// Options configure a Cluster. Read-only once passed to Connect.
type Options struct {
	// NodeID is the API node id to take; 0 takes a free [api] slot
	// (Connect) and is an error for ConnectDirect.
	NodeID signal.NodeID
	// SQLNode makes Connect join as a SQL node, taking a [mysqld] slot
	// instead of an [api] one (what `gondb sqlnode` does).
	SQLNode bool
	// WaitNodes is how many data nodes must be connected before Connect
	// returns; 0 means all of them.
	WaitNodes int
	// ReadyTimeout bounds the wait for WaitNodes (Connect and
	// ConnectDirect).
	ReadyTimeout time.Duration
	// TransactionTimeout is how long the API waits for a TC's answer
	// before it gives up on the transaction with error 4012 (unknown
	// result). It must be well above the data nodes'
	// TransactionDeadlockDetectionTimeout.
	TransactionTimeout time.Duration
	// TakeoverWait is how long a transaction whose TC's data node failed
	// after the commit request waits for the surviving TC that takes it
	// over to tell its outcome (committed, or aborted: 4010, temporary)
	// before it ends with 4011 (unknown result). It should cover failure
	// detection (4 x HeartbeatIntervalDbDb) and the takeover. 0: no wait.
	TakeoverWait time.Duration
	// MaxTransactions is how many transactions one Ndb may have open.
	MaxTransactions int
	// PartitionsPerNode and NoOfReplicas describe the cluster's
	// distribution (ConnectDirect; Connect reads them from the config).
	PartitionsPerNode, NoOfReplicas int
	// DataNodes (ConnectDirect) lists every data node in node-group order,
	// as the data nodes' own configuration does.
	DataNodes []DataNode
	// Network (ConnectDirect) joins an in-process network instead of TCP.
	Network *inproc.Network
	// TCP is the transporter's configuration; Self, Peers, DialOnly and
	// Receiver are set by the API. HeartbeatInterval must equal the data
	// nodes'.
	TCP tcp.Config
	// Client configures the management connection (Connect).
	Client client.Options
	// Logger; nil: slog.Default().
	Logger *slog.Logger
}

// DefaultOptions returns production defaults.
func DefaultOptions() Options {
	return Options{
		// Connecting to a cluster that is starting can take a while.
		ReadyTimeout: 30 * time.Second,
		// Far above the 1.2 s deadlock time-out, so only a lost TC trips it.
		TransactionTimeout: 10 * time.Second,
		TakeoverWait:       25 * time.Second,
		// NDB's default MaxNoOfConcurrentTransactions per Ndb is 4; ours
		// holds thousands for flexAsync-style batching.
		MaxTransactions: 4096,
		// The data nodes' defaults (datanode/node.DefaultConfig).
		PartitionsPerNode: 2,
		NoOfReplicas:      2,
		TCP:               tcp.DefaultConfig(),
		Client:            client.DefaultOptions(),
	}
}

// DefaultTestOptions is DefaultOptions for tests on one machine: fast
// redials, quiet logs.
func DefaultTestOptions() Options {
	o := DefaultOptions()
	o.ReadyTimeout = 10 * time.Second
	o.TCP = tcp.DefaultTestConfig()
	o.TCP.Listen = ""
	o.Logger = slog.New(slog.DiscardHandler)
	return o
}

// Dictionary is where the API learns tables: the management node's
// dictionary for Connect, only the tables the application adds
// (Cluster.AddTable) for ConnectDirect. Implementations are safe for
// concurrent use.
type Dictionary interface {
	// Table returns the named table, or an error wrapping ErrNoSuchTable.
	Table(ctx context.Context, name string) (*schema.Table, error)
	// Tables lists every table (hidden index tables excluded).
	Tables(ctx context.Context) ([]*schema.Table, error)
}

// ErrNoSuchTable: the dictionary does not know the table.
var ErrNoSuchTable = errors.New("ndbapi: no such table")

// ErrClosed: the Cluster was closed.
var ErrClosed = errors.New("ndbapi: cluster connection closed")

// Cluster is a connection to a cluster: the API node's transporter to
// every data node, the distribution of the known tables, and the Ndb
// objects. Safe for concurrent use.
type Cluster struct {
	opts   Options
	self   signal.NodeID
	nodes  []signal.NodeID // data nodes in node-group order
	groups []partition.NodeGroup
	tr     transport.Transporter
	cc     transport.ConnectCounter // nil when the transporter cannot tell
	mgm    *client.Node             // nil for ConnectDirect
	log    *slog.Logger

	mu     sync.Mutex
	tables map[string]*Table
	byID   map[uint32]*Table
	dict   Dictionary

	// ndbs is indexed by the Ndb number in transaction ids; the receive
	// goroutines load it without a lock.
	ndbs    atomic.Pointer[[]*Ndb]
	ndbMu   sync.Mutex
	freeNdb []uint16
	rr      atomic.Uint32
	conn    [4]atomic.Uint64 // bitmap of connected data nodes
	// startingAt: when each data node's TC last refused a transaction
	// because the node restart that is filling its replicas is not done
	// (9021); chooseTC avoids it for startingAvoid after that.
	startingAt [signal.MaxNodeID + 1]atomic.Int64
	// takenOver: when the survivors last finished taking over each data
	// node's TC (TC_TAKEOVERREP), in Unix nanoseconds.
	takenOver [signal.MaxNodeID + 1]atomic.Int64
	// outcomes counts, per takeover TC node, the TCKEY_FAILCONF/REF of its
	// latest takeover run received (the receive goroutines; rare).
	outcomesMu sync.Mutex
	outcomes   map[signal.NodeID]takeoverCount
	// stopping: data nodes whose TC refused a transaction with 270 (a
	// planned stop): chooseTC avoids them until they disconnect, so no
	// commit request is in flight to a node about to close.
	stopping [4]atomic.Uint64
	connAt   atomic.Int64 // when conn was refreshed (nanoseconds since monoBase)
	closed   atomic.Bool

	dictChanges atomic.Uint64
	stopWatch   context.CancelFunc

	hb      apiHeartbeats // heartbeats to the data nodes' QMGRs (heartbeat.go)
	stopHB  chan struct{}
	info    infoRouter   // ndbinfo reads in flight (ndbinfo.go)
	durable durableWaits // WaitDurable calls in flight (durable.go)
}

// ConnectDirect connects to data nodes without a management node (tests,
// benchmarks): opts names the API node id, the data nodes and either their
// TCP addresses or an in-process network.
func ConnectDirect(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.NodeID == 0 || opts.NodeID > signal.MaxNodeID {
		return nil, fmt.Errorf("ndbapi: ConnectDirect needs an API NodeID in 1..%d, got %d", signal.MaxNodeID, opts.NodeID)
	}
	if len(opts.DataNodes) == 0 {
		return nil, errors.New("ndbapi: ConnectDirect needs DataNodes")
	}
	c, err := newCluster(opts, opts.NodeID)
	if err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	if err := c.WaitReady(ctx, opts.WaitNodes); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Connect joins the cluster through the management servers of an
// NDB-style connect string ("host:1186,host2:1186") as an API node, learns
// the data nodes from the configuration (and the ports that data nodes
// with ServerPort=0 published), dials them and waits until WaitNodes of
// them are connected. The transporter redials lost data nodes by itself.
func Connect(ctx context.Context, connectString string, opts Options) (*Cluster, error) {
	typ := mgmapi.TypeAPI
	if opts.SQLNode {
		typ = mgmapi.TypeSQL
	}
	m, err := client.Join(ctx, connectString, client.NodeOptions{Options: opts.Client, Type: typ, NodeID: uint32(opts.NodeID)})
	if err != nil {
		return nil, fmt.Errorf("ndbapi: join %s: %w", connectString, err)
	}
	cfg, _ := m.Config()
	opts.DataNodes, err = dataNodeAddrs(ctx, m, cfg)
	if err != nil {
		m.Close()
		return nil, err
	}
	if cfg.Cluster.NoOfReplicas > 0 {
		opts.NoOfReplicas = cfg.Cluster.NoOfReplicas
	}
	if cfg.Cluster.PartitionsPerNode > 0 {
		opts.PartitionsPerNode = cfg.Cluster.PartitionsPerNode
	}
	if cfg.Cluster.HeartbeatIntervalDbApi > 0 {
		opts.TCP.HeartbeatInterval = cfg.Cluster.HeartbeatIntervalDbApi
	}
	opts.Network = nil
	c, err := newCluster(opts, signal.NodeID(m.ID()))
	if err != nil {
		m.Close()
		return nil, err
	}
	c.mgm = m
	if _, local := c.dict.(localDictionary); local {
		c.dict = mgmDictionary{m.Conn()}
	}
	if err := c.start(); err != nil {
		m.Close()
		return nil, err
	}
	if err := c.WaitReady(ctx, opts.WaitNodes); err != nil {
		c.Close()
		return nil, err
	}
	m.ReportState(ctx, mgmapi.StatusStarted, 0)
	wctx, cancel := context.WithCancel(context.Background())
	c.stopWatch = cancel
	go c.followDictionary(wctx, m.Conn())
	return c, nil
}

// dataNodeAddrs lists the configured data nodes with their transporter
// addresses: HostName:ServerPort, or for ServerPort=0 the port the data
// node published in its heartbeats (waiting until each has).
func dataNodeAddrs(ctx context.Context, m *client.Node, cfg *config.Config) ([]DataNode, error) {
	out := make([]DataNode, len(cfg.DataNodes))
	missing := 0
	for i, d := range cfg.DataNodes {
		out[i].ID = signal.NodeID(d.NodeID)
		if d.ServerPort != 0 {
			out[i].Addr = net.JoinHostPort(d.HostName, strconv.Itoa(d.ServerPort))
		} else {
			missing++
		}
	}
	for missing > 0 {
		st, err := m.Conn().Status(ctx)
		if err == nil {
			for _, ni := range st.Nodes {
				for i := range out {
					if out[i].Addr != "" || uint32(out[i].ID) != ni.NodeID || ni.Port == 0 {
						continue
					}
					host := ni.ConfigHost
					if host == "" {
						host = ni.Host
					}
					out[i].Addr = net.JoinHostPort(host, strconv.Itoa(int(ni.Port)))
					missing--
				}
			}
		}
		if missing == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("ndbapi: %d data nodes with ServerPort=0 have not published their port: %w", missing, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return out, nil
}

func newCluster(opts Options, self signal.NodeID) (*Cluster, error) {
	d := DefaultOptions()
	if opts.TransactionTimeout <= 0 {
		opts.TransactionTimeout = d.TransactionTimeout
	}
	if opts.MaxTransactions <= 0 {
		opts.MaxTransactions = d.MaxTransactions
	}
	if opts.MaxTransactions > 1<<16 {
		return nil, fmt.Errorf("ndbapi: MaxTransactions %d above %d", opts.MaxTransactions, 1<<16)
	}
	if opts.PartitionsPerNode <= 0 {
		opts.PartitionsPerNode = d.PartitionsPerNode
	}
	if opts.NoOfReplicas <= 0 {
		opts.NoOfReplicas = min(d.NoOfReplicas, len(opts.DataNodes))
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = d.ReadyTimeout
	}
	c := &Cluster{opts: opts, self: self, tables: map[string]*Table{}, byID: map[uint32]*Table{}, log: opts.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	ids := make([]partition.NodeID, len(opts.DataNodes))
	for i, dn := range opts.DataNodes {
		c.nodes = append(c.nodes, dn.ID)
		ids[i] = partition.NodeID(dn.ID)
	}
	var err error
	if c.groups, err = partition.FormNodeGroups(ids, opts.NoOfReplicas); err != nil {
		return nil, fmt.Errorf("ndbapi: data nodes: %w", err)
	}
	c.dict = localDictionary{c}
	empty := []*Ndb{}
	c.ndbs.Store(&empty)
	return c, nil
}

func (c *Cluster) start() error {
	var err error
	if c.opts.Network != nil {
		cfg := inproc.DefaultConfig()
		cfg.Self, cfg.Receiver, cfg.Peers = c.self, c, slices.Clone(c.nodes)
		cfg.Logger = c.opts.Logger
		c.tr, err = c.opts.Network.Join(cfg)
	} else {
		cfg := c.opts.TCP
		if cfg.SendBufferBytes == 0 {
			cfg = tcp.DefaultConfig()
		}
		cfg.Self, cfg.DialOnly, cfg.Listen, cfg.Receiver = c.self, true, "", c
		cfg.Peers = map[signal.NodeID]string{}
		for _, d := range c.opts.DataNodes {
			cfg.Peers[d.ID] = d.Addr
		}
		if cfg.Logger == nil {
			cfg.Logger = c.log
		}
		c.tr, err = tcp.New(cfg)
	}
	if err != nil {
		return fmt.Errorf("ndbapi: transporter: %w", err)
	}
	c.cc, _ = c.tr.(transport.ConnectCounter)
	c.stopHB = make(chan struct{})
	go c.runHeartbeats(c.stopHB)
	return nil
}

// NodeID is the API node's id.
func (c *Cluster) NodeID() signal.NodeID { return c.self }

// DataNodes lists the data node ids in node-group order.
func (c *Cluster) DataNodes() []signal.NodeID { return slices.Clone(c.nodes) }

// Connected reports which data nodes the transporter is connected to.
func (c *Cluster) Connected() []signal.NodeID {
	var out []signal.NodeID
	for _, p := range c.tr.Peers() {
		if p.State == transport.StateConnected {
			out = append(out, p.Node)
		}
	}
	return out
}

// isConnected reports whether data node n is connected, from a bitmap
// refreshed from the transporter at most every connRefresh (Peers
// allocates; this runs once per transaction).
func (c *Cluster) isConnected(n signal.NodeID) bool {
	now := int64(time.Since(monoBase)) // monotonic only: half a time.Now
	if last := c.connAt.Load(); now-last > int64(connRefresh) && c.connAt.CompareAndSwap(last, now) {
		c.refreshConnected()
	}
	if c.conn[n>>6&3].Load()&(1<<(n&63)) != 0 {
		return true
	}
	// Not connected by a bitmap up to connRefresh old: look again before
	// refusing, so a node that has just connected is not reported down
	// (the negative answer is rare; the common one stays a load).
	c.refreshConnected()
	return c.conn[n>>6&3].Load()&(1<<(n&63)) != 0
}

// connectCount is how many connections to data node n the transporter has
// made (0 when it cannot tell). A transaction notes it when sent: a
// different count later means its TC's node disconnected in between, even
// when it restarted and is connected again (its TC forgot the
// transaction).
func (c *Cluster) connectCount(n signal.NodeID) uint64 {
	if c.cc == nil {
		return 0
	}
	return c.cc.ConnectCount(n)
}

// tcLost reports whether the connection a transaction was sent on to data
// node n, the conn-th, is gone.
func (c *Cluster) tcLost(n signal.NodeID, conn uint64) bool {
	return !c.isConnected(n) || c.connectCount(n) != conn
}

// refreshConnected rebuilds the connected-nodes bitmap from the transporter.
func (c *Cluster) refreshConnected() {
	var m [4]uint64
	for _, p := range c.tr.Peers() {
		if p.State == transport.StateConnected {
			m[p.Node>>6&3] |= 1 << (p.Node & 63)
		}
	}
	for i := range m {
		c.conn[i].Store(m[i])
		// A stopping node that disconnected comes back as a new start.
		for {
			old := c.stopping[i].Load()
			if old&^m[i] == 0 || c.stopping[i].CompareAndSwap(old, old&m[i]) {
				break
			}
		}
	}
}

// connRefresh bounds how stale the connected-nodes bitmap may be.
const connRefresh = 2 * time.Millisecond

// monoBase is the origin of connAt's monotonic clock.
var monoBase = time.Now()

// WaitReady waits until n data nodes (0: all) are connected, or
// ReadyTimeout passes.
func (c *Cluster) WaitReady(ctx context.Context, n int) error {
	if n <= 0 || n > len(c.nodes) {
		n = len(c.nodes)
	}
	deadline := time.Now().Add(c.opts.ReadyTimeout)
	for {
		got := len(c.Connected())
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ndbapi: %d of %d data nodes connected after %v, want %d", got, len(c.nodes), c.opts.ReadyTimeout, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Close closes every Ndb's transport, leaves the management node and
// stops the transporter.
func (c *Cluster) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.stopWatch != nil {
		c.stopWatch()
	}
	if c.stopHB != nil {
		close(c.stopHB)
	}
	err := c.tr.Close()
	if c.mgm != nil {
		err = errors.Join(err, c.mgm.Close())
	}
	return err
}

// SetDictionary replaces where Table looks up tables it does not know yet
// (the management node's dictionary, once it serves one).
func (c *Cluster) SetDictionary(d Dictionary) {
	c.mu.Lock()
	c.dict = d
	c.mu.Unlock()
}

// localDictionary knows only the tables added with AddTable.
type localDictionary struct{ c *Cluster }

func (d localDictionary) Table(_ context.Context, name string) (*schema.Table, error) {
	return nil, fmt.Errorf("%w: %s", ErrNoSuchTable, name)
}

func (d localDictionary) Tables(context.Context) ([]*schema.Table, error) {
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	out := make([]*schema.Table, 0, len(d.c.tables))
	for _, t := range d.c.tables {
		out = append(out, t.Def)
	}
	return out, nil
}

// Tables lists the dictionary's tables, sorted by name, each with its
// distribution; it refreshes what the API knows of them.
func (c *Cluster) Tables(ctx context.Context) ([]*Table, error) {
	c.mu.Lock()
	dict := c.dict
	c.mu.Unlock()
	defs, err := dict.Tables(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Table, 0, len(defs))
	for _, def := range defs {
		c.mu.Lock()
		t := c.tables[def.Name]
		c.mu.Unlock()
		if t == nil || t.Def.ID != def.ID || t.Def.Version != def.Version {
			if t, err = c.AddTable(def); err != nil {
				return nil, err
			}
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Table) int { return strings.Compare(a.Def.Name, b.Def.Name) })
	return out, nil
}

// forget drops a table from what the API knows, if it is still the
// one with that id (a newer table of the same name stays).
func (c *Cluster) forget(name string, id uint32) {
	c.mu.Lock()
	if t := c.tables[name]; t != nil && t.Def.ID == id {
		delete(c.byID, t.Def.ID)
		delete(c.tables, name)
	}
	c.mu.Unlock()
}

// Table returns the named table, asking the dictionary when it is not
// known yet.
func (c *Cluster) Table(ctx context.Context, name string) (*Table, error) {
	c.mu.Lock()
	t, dict := c.tables[name], c.dict
	c.mu.Unlock()
	if t != nil {
		return t, nil
	}
	def, err := dict.Table(ctx, name)
	if err != nil {
		return nil, err
	}
	return c.AddTable(def)
}

// AddTable makes a table known to the API, computing its distribution as
// the data nodes do (see Fragments). The table must exist on the data
// nodes with the same definition.
func (c *Cluster) AddTable(def *schema.Table) (*Table, error) {
	t, err := newTable(def, c.groups, Fragments(c.opts.PartitionsPerNode, len(c.nodes)))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.tables[def.Name] = t
	c.byID[def.ID] = t
	c.mu.Unlock()
	return t, nil
}

// Frame routes TC's replies to the Ndb that owns the transaction
// (transport.Receiver). It runs on the transporter's receive goroutine;
// routing needs no lock: the Ndb number is in the transaction id.
func (c *Cluster) Frame(from signal.NodeID, f *signal.Frame) {
	ndbs := *c.ndbs.Load()
	var v signal.View
	for f.NextView(&v) {
		if num := v.Number(); num == gsn.API_REGCONF || num == gsn.API_REGREF {
			c.noteRegistration(from, &v) // QMGR's answers carry no transaction id
			continue
		}
		trans := v.TransID()
		if signal.NodeID(trans>>48) != c.self {
			continue
		}
		if v.Number() == gsn.GCP_WAITSAVEDCONF {
			c.durable.deliver(&v)
			continue
		}
		if v.Number() == gsn.TC_TAKEOVERREP {
			c.noteTakeover(from, &v)
			continue
		}
		if num := v.Number(); num == gsn.TCKEY_FAILCONF || num == gsn.TCKEY_FAILREF {
			c.countOutcome(from, &v) // and on to its transaction
		}
		if num := v.Number(); num >= gsn.DBINFO_SCANCONF && num <= gsn.DBINFO_TRANSID_AI {
			c.info.deliver(from, &v)
			continue
		}
		i := int(uint16(trans >> 32))
		if i >= len(ndbs) || ndbs[i] == nil {
			continue
		}
		ndbs[i].in.deliver(from, &v)
	}
}

var _ transport.Receiver = (*Cluster)(nil)

// chooseTC picks the data node whose TC runs a transaction: the primary
// of the hinted fragment when connected, else the next connected node.
func (c *Cluster) chooseTC(prefer signal.NodeID) (signal.NodeID, bool) {
	if prefer != 0 && c.isConnected(prefer) && !c.isStopping(prefer) {
		return prefer, true
	}
	start := int(c.rr.Add(1))
	fallback := signal.NodeID(0)
	for i := range c.nodes {
		n := c.nodes[(start+i)%len(c.nodes)]
		if c.isConnected(n) {
			if !c.isStopping(n) {
				return n, true
			}
			fallback = n
		}
	}
	return fallback, fallback != 0
}

// noteTakeover records a TC_TAKEOVERREP: w0-w7 the failed TC nodes whose
// takeover is done.
func (c *Cluster) noteTakeover(from signal.NodeID, v *signal.View) {
	if v.NumWords() < 8 {
		return
	}
	if v.NumWords() >= 10 {
		// Trust the report only if every outcome it counts arrived: one
		// lost on the way would make a committed transaction look
		// unfound, so not committed.
		run, sent := v.Word(8), v.Word(9)
		c.outcomesMu.Lock()
		got := c.outcomes[from]
		delete(c.outcomes, from) // the next run counts afresh
		c.outcomesMu.Unlock()
		if got.run != run {
			got.n = 0
		}
		if got.n != sent {
			c.log.Warn("ndbapi: a takeover report whose outcomes did not all arrive; its transactions without one end with 4011 (unknown result)",
				"from", from, "run", run, "sent", sent, "received", got.n)
			return
		}
	}
	now := time.Now().UnixNano()
	var nodes []signal.NodeID
	for n := 1; n <= signal.MaxNodeID; n++ {
		if v.Word(n/32)&(1<<(n%32)) != 0 {
			c.takenOver[n].Store(now)
			nodes = append(nodes, signal.NodeID(n))
		}
	}
	c.log.Info("ndbapi: the transactions of failed data nodes' TCs are settled (TC_TAKEOVERREP)", "tc_nodes", nodes, "from", v.Sender().Node)
}

// takeoverCount is how many outcomes of a takeover run arrived.
type takeoverCount struct{ run, n uint32 }

// countOutcome counts a TCKEY_FAILCONF (w4 the run) or TCKEY_FAILREF (w1
// the run) from takeover TC node from.
func (c *Cluster) countOutcome(from signal.NodeID, v *signal.View) {
	w := 4
	if v.Number() == gsn.TCKEY_FAILREF {
		w = 1
	}
	if v.NumWords() <= w {
		return
	}
	run := v.Word(w)
	c.outcomesMu.Lock()
	defer c.outcomesMu.Unlock()
	if c.outcomes == nil {
		c.outcomes = map[signal.NodeID]takeoverCount{}
	}
	got := c.outcomes[from]
	if got.run != run {
		got = takeoverCount{run: run}
	}
	got.n++
	c.outcomes[from] = got
}

// takeoverDoneSince reports whether the takeover of data node n's TC was
// done at or after t.
func (c *Cluster) takeoverDoneSince(n signal.NodeID, t time.Time) bool {
	return c.takenOver[n].Load() >= t.UnixNano()
}

// isStopping reports whether data node n refused a transaction because it
// is stopping (markStopping), or lately because it is still starting.
func (c *Cluster) isStopping(n signal.NodeID) bool {
	if c.stopping[n>>6&3].Load()&(1<<(n&63)) != 0 {
		return true
	}
	at := c.startingAt[n].Load()
	if at == 0 {
		return false
	}
	if time.Now().UnixNano()-at < int64(startingAvoid) {
		return true
	}
	c.startingAt[n].CompareAndSwap(at, 0) // expired: no clock read next time
	return false
}

// startingAvoid is how long chooseTC avoids a data node whose TC refused a
// transaction because its node restart is not done (9021).
const startingAvoid = 500 * time.Millisecond

// markStarting notes that data node n's TC refused a transaction with
// 9021: its node restart is still copying.
func (c *Cluster) markStarting(n signal.NodeID) { c.startingAt[n].Store(time.Now().UnixNano()) }

// markStopping notes that data node n's TC refused a transaction with 270:
// its planned stop has begun.
func (c *Cluster) markStopping(n signal.NodeID) {
	w := &c.stopping[n>>6&3]
	for {
		old := w.Load()
		if old&(1<<(n&63)) != 0 || w.CompareAndSwap(old, old|1<<(n&63)) {
			return
		}
	}
}
