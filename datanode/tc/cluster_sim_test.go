package tc_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/gcp"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/datanode/restart"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// The simulated-cluster harness shared by this package's simulation tests:
// a cluster of data nodes, each running the GCP, TC and LQH blocks over the
// tables it is given, loaded with their initial rows on every replica, plus
// whatever API blocks a test places on each node.

// simFlags are the simulator's -sim.seeds, -sim.seed and -sim.trace; every
// seeded test here takes its seed list from them, so `make soak` runs them
// all over many seeds.
var simFlags = sim.RegisterFlags(flag.CommandLine)

// seedList is simFlags.List for a test whose seeds each cost about weight
// seeds of the cheap simulations (the scan tests run hundreds of scans per
// seed): -sim.seeds=N runs N/weight of them, at least one, so that `make
// soak` covers every test in about the same time per test. -sim.seed runs
// that one seed as always.
func seedList(full, short, weight int) []uint64 {
	if simFlags.Seed == 0 && simFlags.Seeds > 0 {
		f := *simFlags
		f.Seeds = max(1, f.Seeds/weight)
		return f.List(full, short, testing.Short())
	}
	return simFlags.List(full, short, testing.Short())
}

// simTable is one table of a simulated cluster.
type simTable struct {
	layout *schema.Layout
	// rows are row images loaded, committed in GCI 1, into every replica
	// of their fragment before the simulation starts.
	rows [][]byte
	// fragments is the table's fragment count; 0 means two per node group.
	fragments int
}

// clusterConfig describes a simulated cluster.
type clusterConfig struct {
	seed            uint64
	nodes, replicas int
	tables          []simTable
	// deadlockTimeout is TC's TransactionDeadlockDetectionTimeout (default
	// 100 ms: short, so that lock waits time out within a short run).
	deadlockTimeout time.Duration
	// epochInterval is the GCP's TimeBetweenEpochs (default 50 ms).
	epochInterval time.Duration
	// dataMemory is each node's DataMemory (default 4 MiB).
	dataMemory int64
	// api returns the extra blocks (API clients) to place on a node, after
	// LQH, TC and GCP. May be nil.
	api func(node signal.NodeID) []sim.Placed
	// qmgr places a QMGR on every node (node 1 founds the cluster), which
	// detects crashed nodes and reports them to TC, LQH and GCP; each
	// node's TC then routes by its own distribution, without the failed
	// nodes.
	qmgr bool
	// apiNodes: every TC tells the API blocks of every data node when a
	// takeover is done (tc.Config.APINodes; the simulated clients live on
	// the data nodes).
	apiNodes bool
}

// cluster is one simulated cluster's blocks.
type cluster struct {
	s      *sim.Sim
	seed   uint64
	dist   *dih.Distribution
	nodes  []signal.NodeID
	tables map[uint32]*schema.Layout
	lqhs   map[signal.NodeID]*lqh.LQH
	tcs    map[signal.NodeID]*tc.TC
	gcps   map[signal.NodeID]*gcp.GCP
	qmgrs  map[signal.NodeID]*qmgr.QMGR
	// restarts are the nodes' RESTART blocks (with qmgr): a node started
	// again after a crash runs a node restart.
	restarts map[signal.NodeID]*restart.RESTART
	starts   map[signal.NodeID]int
	pools    []*mem.Pool
	// views counts the view changes QMGRs reported, over all nodes.
	views int
	// shutdowns are the nodes whose QMGR shut them down (its side of a
	// partition lost, or the view left it out), with the reason, until
	// stopShutdowns stops them as a node's runtime would.
	shutdowns map[signal.NodeID]string
	// arbitrator decides between halves of a split cluster (with qmgr).
	arbitrator *qmgr.FirstAsker
}

// mustLayout returns t's layout, panicking on an invalid definition (a bug
// in the test).
func mustLayout(t *schema.Table) *schema.Layout {
	l, err := schema.NewLayout(t)
	if err != nil {
		panic(err)
	}
	return l
}

// keyHash is the hash an API computes for a key image of layout l: of its
// distribution key.
func keyHash(l *schema.Layout, key []byte) uint64 {
	return partition.Hash(l.DistributionKey(key, nil))
}

// newSimCluster builds and starts a cluster. Its memory is released when
// the test ends, or earlier by close.
func newSimCluster(t testing.TB, cfg clusterConfig) *cluster {
	t.Helper()
	if cfg.deadlockTimeout == 0 {
		cfg.deadlockTimeout = 100 * time.Millisecond
	}
	if cfg.epochInterval == 0 {
		cfg.epochInterval = 50 * time.Millisecond
	}
	if cfg.dataMemory == 0 {
		cfg.dataMemory = 4 << 20
	}
	ids := make([]partition.NodeID, cfg.nodes)
	all := make([]signal.NodeID, cfg.nodes)
	for i := range ids {
		ids[i] = partition.NodeID(i + 1)
		all[i] = signal.NodeID(i + 1)
	}
	groups, err := partition.FormNodeGroups(ids, cfg.replicas)
	if err != nil {
		t.Fatal(err)
	}
	d := dih.New()
	simCfg := sim.DefaultConfig(cfg.seed)
	simCfg.KeepTrace = simFlags.Trace != ""
	c := &cluster{s: sim.New(simCfg), seed: cfg.seed, nodes: all, tables: map[uint32]*schema.Layout{},
		lqhs: map[signal.NodeID]*lqh.LQH{}, tcs: map[signal.NodeID]*tc.TC{}, gcps: map[signal.NodeID]*gcp.GCP{},
		qmgrs: map[signal.NodeID]*qmgr.QMGR{}, restarts: map[signal.NodeID]*restart.RESTART{}, starts: map[signal.NodeID]int{},
		shutdowns: map[signal.NodeID]string{}, arbitrator: &qmgr.FirstAsker{}}
	for _, st := range cfg.tables {
		frags := st.fragments
		if frags == 0 {
			frags = 2 * len(groups)
		}
		if d, err = d.WithTable(st.layout, groups, frags); err != nil {
			t.Fatal(err)
		}
		c.tables[st.layout.Table.ID] = st.layout
	}
	c.dist = d
	t.Cleanup(c.close)
	for _, node := range all {
		pool, err := mem.NewPool(cfg.dataMemory)
		if err != nil {
			t.Fatal(err)
		}
		c.pools = append(c.pools, pool)
		c.s.AddNode(node, func(*sim.Disk) []sim.Placed {
			lq := lqh.New(node, d, pool)
			for _, st := range cfg.tables {
				if err := load(lq, d, st); err != nil {
					panic(fmt.Sprintf("node %d: loading table %s: %v", node, st.layout.Table.Name, err))
				}
			}
			nodeDist := d // this node's view of the distribution
			tcCfg := tc.Config{Node: node, Distribution: func() *dih.Distribution { return nodeDist },
				DeadlockTimeout: cfg.deadlockTimeout}
			if cfg.apiNodes {
				tcCfg.APINodes = all
			}
			tcb := tc.New(tcCfg)
			g := gcp.New(gcp.Config{Node: node, Nodes: all, TCs: []signal.Address{{Node: node, Block: gsn.BlockTC}},
				Interval: cfg.epochInterval, Joining: c.starts[node] > 0})
			c.lqhs[node], c.tcs[node], c.gcps[node] = lq, tcb, g
			placed := []sim.Placed{{ID: gsn.BlockLQH, Block: lq}, {ID: gsn.BlockTC, Block: tcb}, {ID: gsn.BlockDIH, Block: g}}
			if cfg.qmgr {
				c.starts[node]++
				restarted := c.starts[node] > 1
				qc := qmgr.DefaultTestConfig()
				qc.Node, qc.StartID, qc.DataNodes, qc.Founder = node, uint64(node)+1000*uint64(c.starts[node]), all, node == 1 && !restarted
				for _, gr := range groups {
					var ns []signal.NodeID
					for _, n := range gr.Nodes {
						ns = append(ns, signal.NodeID(n))
					}
					qc.NodeGroups = append(qc.NodeGroups, ns)
				}
				rs := restart.New(restart.Config{Node: node, DataNodes: all, NodeGroups: qc.NodeGroups, Starting: restarted,
					StartID: qc.StartID, Distribution: func() *dih.Distribution { return nodeDist },
					SetMembers: func(live, starting qmgr.NodeSet) { nodeDist = d.WithMembers(live.Has, starting.Has) },
					OnFailed:   func(reason string) { panic(fmt.Sprintf("node %d: %s", node, reason)) }})
				live, starting := rs.Members()
				nodeDist = d.WithMembers(live.Has, starting.Has)
				c.restarts[node] = rs
				placed = append(placed, sim.Placed{ID: gsn.BlockRESTART, Block: rs})
				qc.Arbitrator = c.arbitrator
				qc.Local = []qmgr.Local{{Addr: signal.Address{Node: node, Block: gsn.BlockTC}, Acks: true},
					{Addr: signal.Address{Node: node, Block: gsn.BlockLQH}, Lease: true}, {Addr: signal.Address{Node: node, Block: gsn.BlockDIH}},
					{Addr: signal.Address{Node: node, Block: gsn.BlockRESTART}}}
				qc.OnEvent = func(e qmgr.Event) {
					switch e.Kind {
					case qmgr.EventView:
						c.views++
						if !e.Failed.Empty() {
							nodeDist = nodeDist.WithoutNodes(e.Failed.Has)
						}
					case qmgr.EventShutdown:
						c.shutdowns[node] = e.Reason
					}
				}
				q, err := qmgr.New(qc)
				if err != nil {
					panic(err)
				}
				c.qmgrs[node] = q
				placed = append(placed, sim.Placed{ID: gsn.BlockQMGR, Block: q})
			}
			if cfg.api != nil {
				placed = append(placed, cfg.api(node)...)
			}
			return placed
		})
	}
	return c
}

// load inserts and commits a table's initial rows into the node's replicas.
func load(lq *lqh.LQH, d *dih.Distribution, st simTable) error {
	l := st.layout
	id := l.Table.ID
	tbl, _ := d.Table(id)
	for _, row := range st.rows {
		if _, err := l.CheckRow(row); err != nil {
			return err
		}
		h := keyHash(l, l.Key(row))
		frag, _ := tbl.Locate(h)
		f, ok := lq.Fragment(id, frag)
		if !ok {
			continue // another node group's fragment
		}
		ref, err := f.PrepareInsert(1, h, row)
		if err != nil {
			return err
		}
		if err := f.Commit(ref, 1); err != nil {
			return err
		}
	}
	return nil
}

// stopShutdowns stops (crashes) every node whose QMGR shut it down, as
// the node's runtime does on QMGR's EventShutdown, and returns them. A
// test calls it between ticks (runTicks): until then the node's other
// blocks go on, as they do while a real node stops.
func (c *cluster) stopShutdowns() []signal.NodeID {
	var stopped []signal.NodeID
	for _, n := range c.nodes {
		if _, ok := c.shutdowns[n]; ok {
			delete(c.shutdowns, n)
			if c.s.Up(n) {
				c.s.Crash(n)
				stopped = append(stopped, n)
			}
		}
	}
	return stopped
}

// runTicks runs n ticks one at a time, stopping nodes QMGR shut down
// after each (stopShutdowns), and returns the nodes it stopped.
func (c *cluster) runTicks(n int) []signal.NodeID {
	var stopped []signal.NodeID
	for i := 0; i < n; i++ {
		c.s.RunTicks(1)
		stopped = append(stopped, c.stopShutdowns()...)
	}
	return stopped
}

// close releases the cluster's DataMemory; the cluster is unusable after.
func (c *cluster) close() {
	for _, p := range c.pools {
		p.Close()
	}
	c.pools = nil
}

// fail ends the test with err, the seed and how to reproduce it, writing
// the simulation's trace to the -sim.trace file when one was asked for.
func (c *cluster) fail(t testing.TB, err error) {
	t.Helper()
	if werr := simFlags.WriteTrace(c.s.Trace()); werr != nil {
		t.Logf("writing the trace: %v", werr)
	}
	t.Fatalf("seed %d: %v; %s", c.seed, err, sim.Reproduce(c.seed))
}

// layout returns a table's layout.
func (c *cluster) layout(table uint32) *schema.Layout { return c.tables[table] }

// started reports whether node is a full replica: not running a node
// restart.
func (c *cluster) started(node signal.NodeID) bool {
	r := c.restarts[node]
	return r == nil || r.Started()
}

// checkQuiet verifies that no transaction is open in any TC and no
// operation record (or parked request) in any LQH.
func (c *cluster) checkQuiet() error {
	for _, n := range c.nodes {
		if !c.s.Up(n) {
			continue
		}
		if x := c.tcs[n].Transactions(); x != 0 {
			return fmt.Errorf("node %d: TC has %d open transactions", n, x)
		}
		if o := c.lqhs[n].OpenOperations(); o != 0 {
			return fmt.Errorf("node %d: LQH has %d open operation records", n, o)
		}
	}
	return nil
}

// checkReplicas verifies every table's fragments: each replica holds the
// same rows as the primary and no commit went back in GCI.
func (c *cluster) checkReplicas() error {
	for _, id := range c.dist.TableIDs() {
		tbl, _ := c.dist.Table(id)
		for frag, chain := range tbl.Replicas {
			var first [][]byte
			var primary signal.NodeID
			for _, node := range chain {
				if !c.s.Up(node) || !c.started(node) {
					continue // crashed or restarting: its replica is out of the chain
				}
				f, ok := c.lqhs[node].Fragment(id, uint32(frag))
				if !ok {
					return fmt.Errorf("table %d: node %d lacks fragment %d", id, node, frag)
				}
				if st := f.Stats(); st.GCIRegressions != 0 {
					return fmt.Errorf("table %d fragment %d on node %d: %d commits went back in GCI", id, frag, node, st.GCIRegressions)
				}
				rows := fragmentRows(f)
				if primary == 0 {
					first, primary = rows, node
				} else if !slices.EqualFunc(rows, first, bytes.Equal) {
					return fmt.Errorf("table %d fragment %d: replica on node %d (%d rows) differs from the primary on node %d (%d rows)",
						id, frag, node, len(rows), primary, len(first))
				}
			}
		}
	}
	return nil
}

// checkEpochs verifies that every node follows the same epoch, at least
// min, and that the one before it is complete.
func (c *cluster) checkEpochs(min uint64) error {
	var cur uint64
	for _, n := range c.nodes {
		if !c.s.Up(n) || !c.started(n) {
			continue
		}
		st := c.gcps[n].Stats()
		if cur == 0 {
			cur = st.Current
		}
		if st.Current != cur || st.Current < min || st.Completed+1 != st.Current {
			return fmt.Errorf("node %d: GCP at epoch %d (complete %d); other nodes at %d", n, st.Current, st.Completed, cur)
		}
	}
	return nil
}

// checkSettled runs checkQuiet, checkReplicas and checkEpochs(minEpoch):
// what must hold once a workload has stopped and everything finished.
func (c *cluster) checkSettled(minEpoch uint64) error {
	if err := c.checkQuiet(); err != nil {
		return err
	}
	if err := c.checkReplicas(); err != nil {
		return err
	}
	return c.checkEpochs(minEpoch)
}

// fragmentRows is a fragment replica's committed row images, sorted, for
// comparing replicas.
func fragmentRows(f *store.Fragment) [][]byte {
	var pos store.ScanPos
	out := make([]store.RowID, 64)
	var rows [][]byte
	for !pos.Done() {
		n := f.ScanNext(&pos, nil, out, 1<<20)
		for _, r := range out[:n] {
			rows = append(rows, f.ReadRow(r, nil))
		}
	}
	slices.SortFunc(rows, bytes.Compare)
	return rows
}

// primaryRow reads a row's committed image from its primary replica.
func (c *cluster) primaryRow(table uint32, key []byte) ([]byte, error) {
	l := c.layout(table)
	tbl, _ := c.dist.Table(table)
	h := keyHash(l, key)
	frag, chain := tbl.Locate(h)
	for _, n := range chain {
		if c.s.Up(n) && c.started(n) { // the first live replica: the primary after failures
			f, _ := c.lqhs[n].Fragment(table, frag)
			return f.Read(h, key, nil)
		}
	}
	return nil, fmt.Errorf("table %d fragment %d: no live replica", table, frag)
}

// ---- signals an API client sends ----

// tcAt is the address of node's TC (node 0: the sender's own node).
func tcAt(node signal.NodeID) signal.Address {
	return signal.Address{Node: node, Block: gsn.BlockTC}
}

// keyReq builds a TCKEYREQ for operation op of transaction trans on table
// l; data is a key image (reads, deletes) or a row image (writes).
func keyReq(s *signal.Signal, to signal.Address, trans uint64, l *schema.Layout, op, apiID, flags uint32, data []byte) {
	s.Reset()
	h := keyHash(l, l.Key(data))
	s.Number = gsn.TCKEYREQ
	s.Receiver = to
	s.TransID = trans
	s.SetWords(op, l.Table.ID, apiID, flags, uint32(h), uint32(h>>32))
	s.AddSection(data)
}

// errBadBatch: a SCAN_TABCONF section that is not a sequence of
// length-prefixed rows.
var errBadBatch = errors.New("malformed scan batch")

// batchRows calls fn for each row image of a SCAN_TABCONF's section.
func batchRows(sect []byte, fn func(row []byte)) error {
	for len(sect) > 0 {
		if len(sect) < 4 {
			return errBadBatch
		}
		n := int(binary.LittleEndian.Uint32(sect))
		if len(sect)-4 < n {
			return errBadBatch
		}
		fn(sect[4 : 4+n])
		sect = sect[4+n:]
	}
	return nil
}
