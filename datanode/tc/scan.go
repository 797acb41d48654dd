package tc

import (
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// scan is one table or index scan of a transaction: TC keeps up to
// parallel fragment scans running and passes their batches to the API.
type scan struct {
	apiID    uint32
	table    *dih.Table
	tableID  uint32
	flags    uint32
	batch    [2]uint32 // rows, bytes
	index    uint32
	sects    [3][]byte // filter program and bounds, kept to start later fragments
	parallel int
	next     int           // the next fragment to start
	active   int           // fragment scans running
	started  time.Duration // the SCAN_TABREQ: the scan's latency counts from it
}

func (sc *scan) locking() bool {
	return sc.flags&(gsn.ScanLockShared|gsn.ScanLockExclusive) != 0
}

func (t *TC) scanTabReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 7 {
		return
	}
	w := s.Words[:s.NumWords]
	x := t.txs.get(s.TransID)
	if x == nil && (t.draining || t.cfg.Distribution().IsStarting(t.cfg.Node)) {
		code := ndberr.ErrNodeStarting.Code
		if t.draining {
			code = ndberr.ErrNodeShutdown.Code
		}
		t.send(env, gsn.SCAN_TABREF, s.Sender, s.TransID, []uint32{w[1], uint32(code)}, nil)
		return
	}
	if x == nil {
		x = t.newTx(s.Sender, t.now(env))
		t.txs.put(s.TransID, x)
	}
	x.progress = t.now(env)
	refuse := func(code int) {
		t.send(env, gsn.SCAN_TABREF, s.Sender, s.TransID, []uint32{w[1], uint32(code)}, nil)
	}
	if x.state != txPreparing || x.scans[w[1]] != nil {
		refuse(ndberr.ErrNoSuchOperation.Code)
		return
	}
	tbl, ok := t.cfg.Distribution().Table(w[0])
	if !ok {
		refuse(ndberr.ErrNoSuchTable.Code)
		return
	}
	if w[2]&gsn.ScanLockShared != 0 && w[2]&gsn.ScanLockExclusive != 0 {
		refuse(ndberr.ErrBadAttribute.Code)
		return
	}
	sc := &scan{apiID: w[1], table: tbl, tableID: w[0], flags: w[2], batch: [2]uint32{w[4], w[5]}, index: w[6],
		started: t.now(env)}
	t.Counters.scan(sc.index != gsn.ScanNoIndex)
	frags := len(tbl.Replicas)
	sc.parallel = int(w[3])
	if sc.parallel <= 0 || sc.parallel > frags {
		sc.parallel = frags
	}
	for i := 0; i < int(s.NumSects); i++ {
		sc.sects[i] = append([]byte(nil), s.Sections[i]...)
	}
	if x.scans == nil {
		x.scans = map[uint32]*scan{}
	}
	x.scans[sc.apiID] = sc
	for sc.active < sc.parallel && sc.next < frags {
		t.startFragScan(env, s.TransID, x, sc)
	}
}

// startFragScan starts the scan's next fragment: on its primary replica,
// or for committed reads of read-backup tables on the local one.
func (t *TC) startFragScan(env block.Env, trans uint64, x *tx, sc *scan) {
	frag := uint32(sc.next)
	sc.next++
	sc.active++
	node := sc.table.Replicas[frag][0]
	if !sc.locking() {
		node = sc.table.ReadReplica(frag, t.cfg.Node)
	}
	idx := uint32(len(x.ops))
	x.ops = append(x.ops, txOp{apiID: sc.apiID, op: gsn.OpScan, state: opPrepared, holds: sc.locking(),
		chain: []signal.NodeID{node}, scan: sc, frag: frag, waiting: true})
	x.prepared++
	x.scanWaits++
	o := &t.out
	o.Reset()
	o.Number = gsn.SCAN_FRAGREQ
	o.Receiver = signal.Address{Node: node, Block: gsn.BlockLQH}
	o.TransID = trans
	o.SetWords(sc.tableID, frag, idx, sc.flags, sc.batch[0], sc.batch[1], sc.index, uint32(t.cfg.Node), uint32(t.self.Instance))
	for _, b := range sc.sects {
		o.AddSection(b)
	}
	env.Send(o)
}

// fragOp finds the fragment scan a SCAN_FRAGCONF or SCAN_FRAGREF is for.
func (t *TC) fragOp(s *signal.Signal) (*tx, *txOp) {
	x, op := t.lookup(s)
	if x == nil || op.op != gsn.OpScan || op.scan == nil || x.scans[op.scan.apiID] != op.scan {
		return nil, nil // the scan was closed meanwhile
	}
	return x, op
}

func (t *TC) scanFragConf(env block.Env, s *signal.Signal) {
	x, op := t.fragOp(s)
	if x == nil || s.NumWords < 4 {
		return
	}
	sc := op.scan
	x.answered(op)
	x.progress = t.now(env)
	flags := s.Words[2] & gsn.ScanFragDone
	if flags != 0 {
		sc.active--
		op.scan = nil // the fragment scan is over; its locks stay with op
		if sc.next < len(sc.table.Replicas) {
			t.startFragScan(env, s.TransID, x, sc)
		} else if sc.active == 0 {
			flags |= gsn.ScanDone
			delete(x.scans, sc.apiID)
			t.Latency.Scan.Observe(t.now(env) - sc.started)
		}
	}
	o := &t.out
	o.Reset()
	o.Number = gsn.SCAN_TABCONF
	o.Receiver = x.api
	o.TransID = s.TransID
	o.SetWords(sc.apiID, s.Words[1], flags, s.Words[3])
	o.AddSection(s.Section(0))
	env.Send(o)
}

func (t *TC) scanFragRef(env block.Env, s *signal.Signal) {
	x, op := t.fragOp(s)
	if x == nil || s.NumWords < 2 {
		return
	}
	sc := op.scan
	x.answered(op)
	op.scan = nil
	sc.active--
	code := s.Words[1]
	t.send(env, gsn.SCAN_TABREF, x.api, s.TransID, []uint32{sc.apiID, code}, nil)
	t.closeScan(env, s.TransID, x, sc)
	if sc.locking() {
		t.abortTx(env, s.TransID, x, int(code), -1)
	}
}

// scanNextReq asks for a fragment's next batch, or closes the scan.
func (t *TC) scanNextReq(env block.Env, s *signal.Signal) {
	x := t.txs.get(s.TransID)
	if x == nil || s.NumWords < 2 {
		return
	}
	sc := x.scans[s.Words[0]]
	if sc == nil {
		return
	}
	x.progress = t.now(env)
	if s.Words[1] == gsn.ScanClose {
		t.closeScan(env, s.TransID, x, sc)
		t.send(env, gsn.SCAN_TABCONF, x.api, s.TransID, []uint32{sc.apiID, gsn.ScanClose, gsn.ScanDone, 0}, nil)
		return
	}
	for i := range x.ops {
		if op := &x.ops[i]; op.scan == sc && op.frag == s.Words[1] && !op.waiting && len(op.chain) > 0 {
			op.waiting = true
			x.scanWaits++
			t.fragNext(env, s.TransID, uint32(i), op.chain[0], 0)
			return
		}
	}
}

func (t *TC) fragNext(env block.Env, trans uint64, idx uint32, node signal.NodeID, closing uint32) {
	t.send(env, gsn.SCAN_FRAGNEXT, signal.Address{Node: node, Block: gsn.BlockLQH}, trans,
		[]uint32{idx, closing, uint32(t.cfg.Node), uint32(t.self.Instance)}, nil)
}

// closeScan stops a scan's running fragment scans. The rows a locking scan
// locked stay locked until the transaction ends.
func (t *TC) closeScan(env block.Env, trans uint64, x *tx, sc *scan) {
	for i := range x.ops {
		if op := &x.ops[i]; op.scan == sc {
			x.answered(op)
			op.scan = nil
			if len(op.chain) > 0 { // empty: its node failed
				t.fragNext(env, trans, uint32(i), op.chain[0], 1)
			}
		}
	}
	delete(x.scans, sc.apiID)
	t.Latency.Scan.Observe(t.now(env) - sc.started)
}

// answered notes that a fragment scan's batch request is settled.
func (x *tx) answered(op *txOp) {
	if op.waiting {
		op.waiting = false
		x.scanWaits--
	}
}

// closeScans closes every open scan of the transaction.
func (t *TC) closeScans(env block.Env, trans uint64, x *tx) {
	for _, sc := range x.scans {
		t.closeScan(env, trans, x, sc)
	}
}
