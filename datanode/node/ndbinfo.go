package node

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dbinfo"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
)

// The node's side of ndbinfo: the DBINFO block (datanode/dbinfo) asks
// infoSource for this node's rows of a virtual table. infoSource reads the
// blocks on their threads (Do) and the rest directly, copying what it
// needs into plain values there, and encodes rows after.

// newDBInfo builds the node's DBINFO block (layout.go places it).
func (n *Node) newDBInfo() block.Block {
	n.info = &infoSource{n: n, started: time.Now()}
	return dbinfo.New(dbinfo.Config{Source: n.info, Logger: n.log})
}

// infoSource implements dbinfo.Source for one node.
type infoSource struct {
	n       *Node
	started time.Time

	// The previous read of cpustat and disk_write_speed_aggregate, whose
	// figures cover the time since.
	mu       sync.Mutex
	cpuAt    time.Time
	cpuPrev  []thread.Stats
	diskAt   time.Time
	diskPrev [2]uint64 // LCP bytes on disk, redo bytes appended
}

var _ dbinfo.Source = (*infoSource)(nil)

// blockNames are NDB's names of gondb's blocks.
var blockNames = map[signal.BlockID]string{
	gsn.BlockTC: "DBTC", gsn.BlockLQH: "DBLQH", gsn.BlockDIH: "DBDIH", gsn.BlockFS: "NDBFS", gsn.BlockDBINFO: "DBINFO",
	gsn.BlockQMGR: "QMGR",
}

func blockName(id signal.BlockID) string {
	if s, ok := blockNames[id]; ok {
		return s
	}
	return "BLOCK" + strconv.Itoa(int(id))
}

// opNames are the operation names of cluster_operations.
var opNames = map[uint32]string{
	gsn.OpRead: "READ", gsn.OpReadExclusive: "READ-EX", gsn.OpInsert: "INSERT", gsn.OpUpdate: "UPDATE",
	gsn.OpWrite: "WRITE", gsn.OpDelete: "DELETE", gsn.OpReadShared: "READ-SH", gsn.OpScan: "SCAN",
}

// doNow is Do with the thread's clock (block.Env.Now at this tick).
func (n *Node) doNow(ctx context.Context, id signal.BlockID, fn func(b block.Block, now time.Duration)) error {
	ex := n.owner[blockKey(id, 0)]
	return n.Do(ctx, id, 0, func(b block.Block) { fn(b, ex.now) })
}

// threadBlock is one block instance and the thread that runs it.
type threadBlock struct {
	thread int
	id     signal.BlockID
	inst   uint16
}

// threadBlocks lists the node's blocks by thread (owner and blocks are
// written during Start only, so reading them needs no lock).
func (n *Node) threadBlocks() []threadBlock {
	exThread := map[*execBlock]int{}
	for k, b := range n.blocks {
		if signal.BlockID(k>>16) == execBlockID {
			exThread[b.(*execBlock)] = int(uint16(k))
		}
	}
	var out []threadBlock
	for k := range n.blocks {
		if id := signal.BlockID(k >> 16); id != execBlockID {
			out = append(out, threadBlock{thread: exThread[n.owner[k]], id: id, inst: uint16(k)})
		}
	}
	slices.SortFunc(out, func(a, b threadBlock) int {
		return cmp.Or(cmp.Compare(a.thread, b.thread), cmp.Compare(a.id, b.id), cmp.Compare(a.inst, b.inst))
	})
	return out
}

// Scan implements dbinfo.Source.
func (s *infoSource) Scan(ctx context.Context, t *ndbinfo.Table, emit func(vals ...any) error) error {
	n := s.n
	self := uint32(n.cfg.NodeID)
	switch t.ID - ndbinfo.IDBase {
	case ndbinfo.Nodes:
		return emit(self, uint64(time.Since(s.started).Seconds()), "STARTED", 0, 0)
	case ndbinfo.Membership:
		return s.membership(ctx, emit)
	case ndbinfo.MemoryUsage:
		return s.memoryUsage(ctx, emit)
	case ndbinfo.MemoryPerFragment:
		return s.memoryPerFragment(ctx, emit)
	case ndbinfo.OperationsPerFragment:
		return s.operationsPerFragment(ctx, emit)
	case ndbinfo.Counters:
		return s.counters(ctx, emit)
	case ndbinfo.Threads:
		return s.threads(emit)
	case ndbinfo.ThreadStat:
		now := uint64(time.Now().UnixMilli())
		for i, ts := range n.sched.ThreadStats() {
			if err := emit(self, i, n.names[i], ts.Rounds, ts.BusyRounds, ts.Parks, nil, nil, nil, nil, nil, now,
				nil, nil, nil, nil, nil, nil, ts.Wakes, ts.Timeouts); err != nil {
				return err
			}
		}
		return nil
	case ndbinfo.ThreadBlocks:
		for _, tb := range n.threadBlocks() {
			if err := emit(self, tb.thread, blockName(tb.id), tb.inst); err != nil {
				return err
			}
		}
		return nil
	case ndbinfo.CPUStat:
		return s.cpuStat(emit)
	case ndbinfo.Transactions, ndbinfo.ClusterTransactions:
		return s.transactions(ctx, t.ID-ndbinfo.IDBase == ndbinfo.Transactions, emit)
	case ndbinfo.Operations, ndbinfo.ClusterOperations:
		return s.operations(ctx, t.ID-ndbinfo.IDBase == ndbinfo.Operations, emit)
	case ndbinfo.ClusterLocks:
		return s.locks(ctx, emit)
	case ndbinfo.LogBuffers, ndbinfo.LogSpaces:
		if n.dur == nil {
			return nil
		}
		for p, l := range n.dur.redo {
			u := l.Usage()
			total, used := u.Size, u.Used
			if t.ID-ndbinfo.IDBase == ndbinfo.LogBuffers {
				total = uint64(n.cfg.RedoBuffer)
				used = min(u.Head-min(u.Synced, u.Head), total)
			}
			if err := emit(self, "REDO", 0, p, total, used); err != nil {
				return err
			}
		}
		return nil
	case ndbinfo.Resources:
		m := n.pool.Stats()
		return emit(self, "DATA_MEMORY", 0, m.UsedPages, m.TotalPages, 0)
	case ndbinfo.ConfigParams:
		def := DefaultConfig()
		for _, p := range configParams {
			if err := emit(p.num, p.name, p.desc, p.typ, p.get(&def), p.min, p.max, 0, ""); err != nil {
				return err
			}
		}
		return nil
	case ndbinfo.ConfigValues:
		for _, p := range configParams {
			if err := emit(self, p.num, p.get(&n.cfg)); err != nil {
				return err
			}
		}
		return nil
	case ndbinfo.RestartInfo:
		st := n.restoreStats
		if st.GCI == 0 {
			return nil // an initial start: no restart to report
		}
		secs := func(d time.Duration) uint64 { return uint64(d / time.Second) }
		return emit(self, "Restart completed", 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			secs(st.LCPTime+st.RedoTime), secs(st.LCPTime), 0, secs(st.RedoTime), 0, 0, secs(st.CheckpointTime), 0,
			secs(st.LCPTime+st.RedoTime+st.CheckpointTime), st.GCI, st.Fragments, st.LCPRows, st.RedoRecords)
	case ndbinfo.DiskWriteSpeedAggregate:
		return s.diskWriteSpeed(ctx, emit)
	case ndbinfo.TableInfo, ndbinfo.TableDistributionStatus, ndbinfo.TableFragments, ndbinfo.TableReplicas, ndbinfo.DictObjInfo:
		return s.tables(ctx, t.ID-ndbinfo.IDBase, emit)
	case ndbinfo.Transporters:
		for _, p := range n.tr.Peers() {
			if err := emit(self, uint32(p.Node), p.State.String(), p.RemoteAddress, p.BytesSent, p.BytesReceived,
				p.ConnectCount, p.Overloaded, p.OverloadCount, 0, 0, p.SendBuffered, p.FramesSent, p.FramesRecv, p.LastError); err != nil {
				return err
			}
		}
		return nil
	case ndbinfo.ErrorMessages:
		all := ndberr.All()
		slices.SortFunc(all, func(a, b *ndberr.Error) int { return cmp.Compare(a.Code, b.Code) })
		for _, e := range all {
			if err := emit(e.Code, e.Message, e.Status().String(), e.Classification.String()); err != nil {
				return err
			}
		}
		return nil
	}
	return nil
}

// membership is QMGR's view when node failure handling is on (the ring,
// the president and its successor by admission order, the last
// arbitration), else the static one of the configuration.
func (s *infoSource) membership(ctx context.Context, emit func(...any) error) error {
	n := s.n
	if n.cfg.Membership.Enabled {
		st, err := n.MembershipState(ctx)
		if err != nil {
			return err
		}
		order := 0
		for i, m := range st.Members {
			if m.Node == n.cfg.NodeID {
				order = i + 1
			}
		}
		var arb any
		if st.Arbitration != "" {
			arb = st.Arbitration
		}
		return emit(uint32(n.cfg.NodeID), st.Group, uint32(st.Left), uint32(st.Right), uint32(st.President), uint32(st.Successor),
			order, s.confOrder(), nil, nil, arb, nil, nil, nil)
	}
	ids := make([]signal.NodeID, len(n.cfg.DataNodes))
	for i, d := range n.cfg.DataNodes {
		ids[i] = d.ID
	}
	slices.Sort(ids)
	i := slices.Index(ids, n.cfg.NodeID)
	group := 0
	for g, ng := range n.groups {
		for _, id := range ng.Nodes {
			if signal.NodeID(id) == n.cfg.NodeID {
				group = g
			}
		}
	}
	var successor signal.NodeID
	if len(ids) > 1 {
		successor = ids[1]
	}
	return emit(uint32(n.cfg.NodeID), group, uint32(ids[(i+len(ids)-1)%len(ids)]), uint32(ids[(i+1)%len(ids)]),
		uint32(ids[0]), uint32(successor), i+1, s.confOrder(), nil, nil, nil, nil, nil, nil)
}

// confOrder is the node's place in the configured data node order.
func (s *infoSource) confOrder() int {
	for i, d := range s.n.cfg.DataNodes {
		if d.ID == s.n.cfg.NodeID {
			return i + 1
		}
	}
	return 0
}

func (s *infoSource) memoryUsage(ctx context.Context, emit func(...any) error) error {
	rows, err := s.n.MemoryUsage(ctx)
	if err != nil {
		return err
	}
	self := uint32(s.n.cfg.NodeID)
	for _, m := range rows {
		if err := emit(self, m.Type, m.Used, m.UsedPages, m.Total, m.TotalPages); err != nil {
			return err
		}
	}
	return nil
}

// MemoryUse is one row of ndbinfo.memoryusage: a kind of memory, used and
// available, in bytes and in 32 KiB pages (mem.PageSize).
type MemoryUse struct {
	// Type is the row's memory_type: "Data memory" (DataMemory: rows) or
	// "Index memory" (the primary-key hash indexes, which grow on demand
	// outside DataMemory: Total is Used).
	Type              string
	Used, UsedPages   uint64
	Total, TotalPages uint64
}

// MemoryUsage returns the node's memory figures: the rows of
// ndbinfo.memoryusage, which the data node process also sends to the
// management server (ALL REPORT MEMORYUSAGE). It reads the LQH on its
// thread (Do) and allocates; ErrStopped after Stop.
func (n *Node) MemoryUsage(ctx context.Context) ([]MemoryUse, error) {
	var index uint64
	if err := n.WithLQH(ctx, func(l *lqh.LQH) {
		for _, f := range l.Fragments() {
			index += uint64(f.Memory().PKIndexBytes)
		}
	}); err != nil {
		return nil, err
	}
	m := n.pool.Stats()
	used, total := uint64(m.UsedPages), uint64(m.TotalPages)
	pages := (index + mem.PageSize - 1) / mem.PageSize
	return []MemoryUse{
		{Type: "Data memory", Used: used * mem.PageSize, UsedPages: used, Total: total * mem.PageSize, TotalPages: total},
		{Type: "Index memory", Used: index, UsedPages: pages, Total: index, TotalPages: pages},
	}, nil
}

// TCLatency returns the TC's latency histograms (tc.Latency: transactions
// committed and aborted, scans), read on its thread (Do).
func (n *Node) TCLatency(ctx context.Context) (tc.Latency, error) {
	var l tc.Latency
	err := n.WithTC(ctx, func(t *tc.TC) { l = t.Latency })
	return l, err
}

func (s *infoSource) memoryPerFragment(ctx context.Context, emit func(...any) error) error {
	n := s.n
	type fragMem struct {
		name, parent, kind string
		table, frag        uint32
		fixedAlloc, size   int64
		rows               int64
		varAlloc           int64
		hasVar             bool
		hash, ordered      int64
	}
	d := n.Distribution()
	var rows []fragMem
	if err := n.WithLQH(ctx, func(l *lqh.LQH) {
		for _, f := range l.Fragments() {
			lay := f.Layout()
			m, st := f.Memory(), f.Stats()
			fm := fragMem{name: lay.Table.Name, kind: "User table", table: lay.Table.ID, frag: f.ID,
				fixedAlloc: m.FixedPages * mem.PageSize, size: int64(f.RowHeaderBytes() + lay.FixedSize), rows: st.Rows,
				varAlloc: m.VarPages * mem.PageSize, hasVar: len(lay.VarCols) > 0, hash: m.PKIndexBytes, ordered: m.OrderedIndexBytes}
			if t, ok := d.Table(lay.Table.ID); ok && t.Base != 0 {
				fm.kind = "Unique hash index"
				if b, ok := d.Table(t.Base); ok {
					fm.parent = b.Layout.Table.Name
				}
			}
			rows = append(rows, fm)
		}
	}); err != nil {
		return err
	}
	for _, r := range rows {
		free := max(0, r.fixedAlloc-r.rows*r.size)
		var parent any
		if r.parent != "" {
			parent = r.parent
		}
		var varCount int64
		if r.hasVar {
			varCount = r.rows
		}
		if err := emit(r.name, parent, r.kind, r.table, uint32(n.cfg.NodeID), 0, r.frag, r.fixedAlloc, free, r.size,
			r.rows, free/max(r.size, 1), r.varAlloc, 0, varCount, r.hash, r.ordered); err != nil {
			return err
		}
	}
	return nil
}

// tableKind returns what operations_per_fragment shows of table id: its
// base table's name for a hidden unique-index table (else nil: NULL),
// and its type.
func tableKind(d *dih.Distribution, id uint32) (parent any, kind string) {
	kind = "User table"
	if t, ok := d.Table(id); ok && t.Base != 0 {
		kind = "Unique hash index"
		if b, ok := d.Table(t.Base); ok {
			parent = b.Layout.Table.Name
		}
	}
	return parent, kind
}

func (s *infoSource) operationsPerFragment(ctx context.Context, emit func(...any) error) error {
	n := s.n
	var frags []lqh.FragOpInfo
	if err := n.WithLQH(ctx, func(l *lqh.LQH) { frags = l.FragmentOpInfo() }); err != nil {
		return err
	}
	self, d := uint32(n.cfg.NodeID), n.Distribution()
	for _, f := range frags {
		parent, kind := tableKind(d, f.Table)
		if err := emit(f.Name, parent, kind, f.Table, self, 0, f.Fragment,
			f.Reads, f.Inserts, f.Updates, f.Writes, f.Deletes, f.Refs, f.KeyBytes,
			f.Scans, f.ScanExamined, f.ScanReturned, f.ScanBytes, f.ScanProgBytes, 0, f.OpenScans, f.Commits); err != nil {
			return err
		}
	}
	return nil
}

// counter is one row of ndbinfo.counters.
type counter struct {
	block signal.BlockID
	id    uint32
	name  string
	val   uint64
}

func (s *infoSource) counters(ctx context.Context, emit func(...any) error) error {
	n := s.n
	var tcc tc.Counters
	var commits, aborts uint64
	var lqc lqh.Counters
	if err := n.WithTC(ctx, func(t *tc.TC) { tcc, commits, aborts = t.Counters, t.Commits, t.Aborts }); err != nil {
		return err
	}
	if err := n.WithLQH(ctx, func(l *lqh.LQH) { lqc = l.Counters }); err != nil {
		return err
	}
	// NDB's counter numbers (1-25); gondb's own from 100.
	cs := []counter{
		{gsn.BlockTC, 1, "ATTRINFO", tcc.AttrInfo},
		{gsn.BlockTC, 2, "TRANSACTIONS", tcc.Transactions},
		{gsn.BlockTC, 3, "COMMITS", commits},
		{gsn.BlockTC, 4, "READS", tcc.Reads()},
		{gsn.BlockTC, 5, "SIMPLE_READS", tcc.SimpleReads()},
		{gsn.BlockTC, 6, "WRITES", tcc.Writes()},
		{gsn.BlockTC, 7, "ABORTS", aborts},
		{gsn.BlockTC, 8, "TABLE_SCANS", tcc.TableScans},
		{gsn.BlockTC, 9, "RANGE_SCANS", tcc.RangeScans},
		{gsn.BlockTC, 24, "LOCAL_READS", tcc.LocalReads},
		{gsn.BlockTC, 25, "LOCAL_WRITES", tcc.LocalWrites},
		{gsn.BlockTC, 100, "INSERTS", tcc.Ops[gsn.OpInsert]},
		{gsn.BlockTC, 101, "UPDATES", tcc.Ops[gsn.OpUpdate]},
		{gsn.BlockTC, 102, "WRITE_OPS", tcc.Ops[gsn.OpWrite]},
		{gsn.BlockTC, 103, "DELETES", tcc.Ops[gsn.OpDelete]},
		{gsn.BlockTC, 104, "READS_SHARED", tcc.Ops[gsn.OpReadShared]},
		{gsn.BlockTC, 105, "READS_EXCLUSIVE", tcc.Ops[gsn.OpReadExclusive]},
		{gsn.BlockTC, 106, "COMMITS_AT_PREPARE", tcc.CommitsAtPrepare},
		{gsn.BlockTC, 107, "DIRECT_READS", tcc.DirectReads},
		{gsn.BlockLQH, 10, "OPERATIONS", lqc.Operations()},
		{gsn.BlockLQH, 110, "FRAG_SCANS", lqc.Scans},
		{gsn.BlockLQH, 111, "FRAG_RANGE_SCANS", lqc.RangeScans},
		{gsn.BlockLQH, 112, "SCAN_ROWS", lqc.ScanRows},
		{gsn.BlockLQH, 113, "LOCK_WAITS", lqc.LockWaits},
		{gsn.BlockLQH, 114, "READS_FENCED", lqc.ReadsFenced},
	}
	if n.cfg.Membership.Enabled {
		st, err := n.MembershipState(ctx)
		if err != nil {
			return err
		}
		q := &st.Stats
		cs = append(cs,
			counter{gsn.BlockQMGR, 120, "HEARTBEATS_SENT", q.HeartbeatsSent},
			counter{gsn.BlockQMGR, 121, "HEARTBEATS_MISSED", q.MissedHeartbeats},
			counter{gsn.BlockQMGR, 122, "SUSPICIONS", q.Suspicions},
			counter{gsn.BlockQMGR, 123, "VIEW_CHANGES", q.ViewChanges},
			counter{gsn.BlockQMGR, 124, "ARBITRATIONS", q.Arbitrations},
			counter{gsn.BlockQMGR, 125, "GOSSIP_REPORTS", q.GossipReports},
			counter{gsn.BlockQMGR, 126, "GOSSIP_SUSPICIONS", q.GossipSuspicions},
			counter{gsn.BlockQMGR, 127, "LINK_FAILURES", q.LinkFailures},
			counter{gsn.BlockQMGR, 128, "LEASES_GRANTED", q.LeasesGranted},
			counter{gsn.BlockQMGR, 129, "LEASE_WAITS", q.LeaseWaits})
	}
	for _, c := range cs {
		if err := emit(uint32(n.cfg.NodeID), blockName(c.block), 0, c.id, c.name, c.val); err != nil {
			return err
		}
	}
	return nil
}

func (s *infoSource) threads(emit func(...any) error) error {
	n := s.n
	desc := make([][]string, len(n.names))
	for _, tb := range n.threadBlocks() {
		if tb.thread < len(desc) {
			desc[tb.thread] = append(desc[tb.thread], blockName(tb.id))
		}
	}
	for i, name := range n.names {
		if err := emit(uint32(n.cfg.NodeID), i, name, "runs "+strings.Join(desc[i], ", ")); err != nil {
			return err
		}
	}
	return nil
}

// cpuStat reports each thread's rounds since the previous read.
func (s *infoSource) cpuStat(emit func(...any) error) error {
	n := s.n
	now, cur := time.Now(), n.sched.ThreadStats()
	s.mu.Lock()
	prev, at := s.cpuPrev, s.cpuAt
	if at.IsZero() {
		at = s.started
	}
	s.cpuPrev, s.cpuAt = cur, now
	s.mu.Unlock()
	elapsed := uint64(now.Sub(at).Microseconds())
	for i, ts := range cur {
		var p thread.Stats
		if i < len(prev) {
			p = prev[i]
		}
		rounds, busy, parks := ts.Rounds-p.Rounds, ts.BusyRounds-p.BusyRounds, ts.Parks-p.Parks
		pct := func(v uint64) uint64 {
			if rounds == 0 {
				return 0
			}
			return min(100, v*100/rounds)
		}
		exec, sleep := pct(busy), pct(parks)
		spin := uint64(0)
		if rounds > busy+parks {
			spin = pct(rounds - busy - parks)
		}
		if err := emit(uint32(n.cfg.NodeID), i, nil, nil, nil, exec, sleep, spin, nil, nil, elapsed); err != nil {
			return err
		}
	}
	return nil
}

func (s *infoSource) transactions(ctx context.Context, base bool, emit func(...any) error) error {
	n := s.n
	var txs []tc.TxInfo
	if err := n.doNow(ctx, gsn.BlockTC, func(b block.Block, now time.Duration) {
		txs = b.(*tc.TC).TransactionInfo(now)
	}); err != nil {
		return err
	}
	states := [...]string{tc.TxPreparing: "Started", tc.TxCommitting: "Committing", tc.TxCompleting: "Completing", tc.TxAborting: "Aborting"}
	self := uint32(n.cfg.NodeID)
	for i, x := range txs {
		var err error
		idle := uint64(x.Idle / time.Second)
		if base {
			flags := uint32(0)
			if x.CommitReq {
				flags |= 1
			}
			if x.WaitComplete {
				flags |= 2
			}
			err = emit(self, 0, i, uint32(x.API.Node)<<16|uint32(x.API.Instance), uint32(x.TransID), uint32(x.TransID>>32),
				x.State, flags, x.Ops, x.Outstanding, idle)
		} else {
			state := "Unknown"
			if x.State > 0 && x.State < len(states) {
				state = states[x.State]
			}
			err = emit(self, 0, x.TransID, state, x.Ops, x.Outstanding, idle, uint32(x.API.Node), uint32(x.API.Instance))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *infoSource) operations(ctx context.Context, base bool, emit func(...any) error) error {
	n := s.n
	var ops []lqh.OpInfo
	if err := n.WithLQH(ctx, func(l *lqh.LQH) { ops = l.OperationInfo() }); err != nil {
		return err
	}
	states := [...]string{lqh.OpPrepared: "Prepared", lqh.OpCommitted: "Committed", lqh.OpLockWait: "Lock wait", lqh.OpScanning: "Scanning"}
	self := uint32(n.cfg.NodeID)
	for i, o := range ops {
		// gondb's ndbapi puts the API node and its Ndb in the transaction id.
		apiNode, apiNdb := uint32(o.TransID>>48), uint32(o.TransID>>32)&0xFFFF
		var err error
		if base {
			err = emit(self, 0, i, uint32(o.TC.Node)<<16|uint32(o.TC.Instance), apiNode<<16|apiNdb,
				uint32(o.TransID), uint32(o.TransID>>32), o.Table, o.Fragment, o.Op, o.State, 0)
		} else {
			state := "Unknown"
			if o.State > 0 && o.State < len(states) {
				state = states[o.State]
			}
			err = emit(self, 0, o.TransID, opNames[o.Op], state, o.Table, o.Fragment, apiNode, apiNdb,
				uint32(o.TC.Node), uint32(gsn.BlockTC), uint32(o.TC.Instance))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *infoSource) locks(ctx context.Context, emit func(...any) error) error {
	n := s.n
	var locks []lqh.LockInfo
	if err := n.WithLQH(ctx, func(l *lqh.LQH) { locks = l.LockInfo() }); err != nil {
		return err
	}
	for _, li := range locks {
		mode, state, detail := "S", "H", ""
		if li.Exclusive {
			mode = "X"
		}
		if li.Waiting {
			state = "W"
		}
		if li.First {
			detail = "*"
		}
		op := opNames[li.Op]
		if strings.HasPrefix(op, "READ") {
			op = "READ"
		}
		var waitingFor any
		if li.Waiting && li.WaitingFor != 0 {
			waitingFor = li.WaitingFor
		}
		if err := emit(uint32(n.cfg.NodeID), 0, li.Table, li.Fragment, li.Row, li.TransID, mode, state, detail, op,
			nil, li.LockNum, waitingFor); err != nil {
			return err
		}
	}
	return nil
}

// diskWriteSpeed reports the local checkpoint and redo bytes written per
// second since the previous read, as one row for the LDM thread.
func (s *infoSource) diskWriteSpeed(ctx context.Context, emit func(...any) error) error {
	n := s.n
	var st lqh.LCPStats
	if err := n.WithLQH(ctx, func(l *lqh.LQH) { st = l.LCPStats() }); err != nil {
		return err
	}
	var redoBytes uint64
	if n.dur != nil {
		for _, l := range n.dur.redo {
			redoBytes += l.Usage().Head
		}
	}
	now := time.Now()
	s.mu.Lock()
	prev, at := s.diskPrev, s.diskAt
	if at.IsZero() {
		at = s.started
		prev = [2]uint64{}
	}
	s.diskPrev, s.diskAt = [2]uint64{st.FileBytes, redoBytes}, now
	s.mu.Unlock()
	secs := max(now.Sub(at).Seconds(), 1e-3)
	rate := func(cur, old uint64) uint64 {
		if cur < old {
			return 0
		}
		return uint64(float64(cur-old) / secs)
	}
	ldm := 0
	for _, tb := range n.threadBlocks() {
		if tb.id == gsn.BlockLQH {
			ldm = tb.thread
		}
	}
	return emit(uint32(n.cfg.NodeID), ldm, rate(st.FileBytes, prev[0]), rate(redoBytes, prev[1]),
		nil, nil, nil, nil, nil, nil, nil, nil, 0, 0, 0, max(n.cfg.LCPMaxBytesPerSec, 0))
}

// tables serves the tables about tables: table_info, table_distribution_status,
// table_fragments, table_replicas and dict_obj_info.
func (s *infoSource) tables(ctx context.Context, which uint32, emit func(...any) error) error {
	n := s.n
	self := uint32(n.cfg.NodeID)
	d := n.Distribution()
	durable := n.dur != nil
	lcpActive := false
	if which == ndbinfo.TableDistributionStatus || which == ndbinfo.TableReplicas {
		if err := n.WithLQH(ctx, func(l *lqh.LQH) { lcpActive = l.LCPStats().Active }); err != nil {
			return err
		}
	}
	alive := map[signal.NodeID]bool{n.cfg.NodeID: true}
	for _, p := range n.tr.Peers() {
		alive[p.Node] = p.State == transport.StateConnected
	}
	for _, id := range d.TableIDs() {
		t, _ := d.Table(id)
		def := t.Layout.Table
		hidden := t.Base != 0
		var err error
		switch which {
		case ndbinfo.TableInfo:
			err = emit(id, durable, 1, 0, def.ReadBackup || def.FullyReplicated, def.FullyReplicated, "MEMORY", 0, "FOR_RP_BY_NODE", 0)
		case ndbinfo.DictObjInfo:
			typ, ptype, pid := 2, 0, uint32(0)
			if hidden {
				typ, ptype, pid = 3, 2, t.Base
			}
			err = emit(typ, id, def.Version, 4, ptype, pid, def.Name)
		case ndbinfo.TableDistributionStatus:
			lcp, storage, typ := "COMPLETED", "NOLOGGING", "USERTABLE"
			if lcpActive {
				lcp = "ACTIVE"
			}
			if durable {
				storage = "LOGGED"
			}
			if hidden {
				typ = "UNIQUE_HASH_INDEX"
			}
			err = emit(self, id, "IDLE", "IDLE", lcp, "ACTIVE", storage, typ, len(t.Replicas), len(t.Replicas), 0, 0, 0)
		case ndbinfo.TableFragments:
			for f, chain := range t.Replicas {
				logPart, lcpReplicas := 0, 0
				if durable {
					logPart, lcpReplicas = f%max(n.cfg.RedoParts, 1), len(chain)
				}
				if err = emit(self, id, f, f, 0, logPart, len(chain), uint32(chain[0]), uint32(chain[0]),
					len(chain), 0, 0, lcpReplicas); err != nil {
					return err
				}
			}
		case ndbinfo.TableReplicas:
			for f, chain := range t.Replicas {
				for _, r := range chain {
					ongoing := lcpActive && r == n.cfg.NodeID
					if err = emit(self, id, f, 0, uint32(r), ongoing, 0, nil, nil, nil, nil, nil, nil, nil, nil, alive[r]); err != nil {
						return err
					}
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// configParam is one data node parameter of config_params and
// config_values, under its config.ini name.
type configParam struct {
	num             uint32 // gondb's number; never renumber
	name, typ, desc string
	min, max        any // string or nil (unbounded)
	get             func(c *Config) string
}

func itoa[T ~int | ~int64 | ~uint16 | ~uint32](v T) string { return strconv.FormatInt(int64(v), 10) }
func ms(d time.Duration) string                            { return strconv.FormatInt(d.Milliseconds(), 10) }
func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

var configParams = []configParam{
	{1, "NodeId", "unsigned", "the data node's id", "1", "255", func(c *Config) string { return itoa(c.NodeID) }},
	{2, "NoOfReplicas", "unsigned", "replicas of every fragment", "1", "4", func(c *Config) string { return itoa(c.NoOfReplicas) }},
	{3, "PartitionsPerNode", "unsigned", "fragments of every table per data node", "1", nil, func(c *Config) string { return itoa(c.PartitionsPerNode) }},
	{4, "DataMemory", "unsigned", "bytes of row memory", "1048576", nil, func(c *Config) string { return itoa(c.DataMemory) }},
	{5, "ThreadConfig", "string", "the node's threads (NDB syntax; empty: the default)", nil, nil, func(c *Config) string { return c.ThreadConfig }},
	{6, "TransactionDeadlockDetectionTimeout", "unsigned", "milliseconds an operation may wait before its transaction is aborted (266)", "1", nil,
		func(c *Config) string { return ms(c.DeadlockTimeout) }},
	{7, "TransactionInactiveTimeout", "unsigned", "milliseconds an idle API may keep a transaction open (0: forever)", "0", nil,
		func(c *Config) string { return ms(c.InactiveTimeout) }},
	{8, "TimeBetweenEpochs", "unsigned", "milliseconds between global checkpoint epochs", "0", nil, func(c *Config) string { return ms(c.EpochInterval) }},
	{9, "MaxNoOfConcurrentOperations", "unsigned", "operations of one transaction", "1", nil, func(c *Config) string { return itoa(c.MaxOperations) }},
	{10, "SendBufferMemory", "unsigned", "bytes of send buffer per peer", "1", nil, func(c *Config) string { return itoa(c.SendBufferBytes) }},
	{11, "FileSystemPath", "string", "the node's file system (empty: diskless)", nil, nil, func(c *Config) string { return c.FileSystem }},
	{12, "NoOfFragmentLogParts", "unsigned", "redo log parts", "1", "32", func(c *Config) string { return itoa(c.RedoParts) }},
	{13, "NoOfFragmentLogFiles", "unsigned", "files per redo log part", "1", nil, func(c *Config) string { return itoa(c.RedoFiles) }},
	{14, "FragmentLogFileSize", "unsigned", "bytes per redo log file", "1", nil, func(c *Config) string { return itoa(c.RedoFileSize) }},
	{15, "RedoBuffer", "unsigned", "bytes of buffer per redo log part", "1", nil, func(c *Config) string { return itoa(c.RedoBuffer) }},
	{16, "TimeBetweenGlobalCheckPoints", "unsigned", "milliseconds between GCP saves", "1", nil, func(c *Config) string { return ms(c.SaveInterval) }},
	{17, "CompressedLCP", "bool", "compress local checkpoint files (zstd)", "0", "1", func(c *Config) string { return boolStr(c.CompressedLCP) }},
	{18, "TimeBetweenLocalCheckpoints", "unsigned", "a local checkpoint round starts after 4 * 2^x bytes of redo", "0", "31",
		func(c *Config) string { return itoa(c.TimeBetweenLocalCheckpoints) }},
}

// infoTimeout bounds the wait for a table's rows in InfoRows.
const infoTimeout = 10 * time.Second

// InfoRows returns this node's rows of a virtual table as the DBINFO
// block would send them (unfiltered), each a row image of t: for tests
// and tools in the node's process.
func (n *Node) InfoRows(ctx context.Context, t *ndbinfo.Table) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	w := t.NewRowWriter()
	var out [][]byte
	err := n.info.Scan(ctx, t, func(vals ...any) error {
		img, err := w.Append(nil, vals...)
		if err == nil {
			out = append(out, img)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("node %d: ndbinfo %s: %w", n.cfg.NodeID, t.Name, err)
	}
	return out, nil
}
