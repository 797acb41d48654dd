package lqh

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Scan batch defaults and limits.
const (
	defaultBatchRows  = 256
	maxBatchRows      = 4096
	defaultBatchBytes = 64 << 10
	maxBatchBytes     = 512 << 10
	// examineBudget bounds the rows one signal examines, so that a filter
	// matching nothing in a big fragment does not hold the thread: the scan
	// continues in a signal to itself, behind whatever else is queued.
	examineBudget = 16 << 10
)

// scanRec is one fragment scan of a transaction, named like an operation
// by its TC op index.
type scanRec struct {
	key        opKey
	tc         signal.Address
	frag       *store.Fragment
	fragID     uint32
	flags      uint32
	batchRows  int
	batchBytes int
	pos        store.ScanPos
	ix         *store.IndexScan
	filter     *filter.Filter
	bounds     []byte        // owns the index scan's bound keys
	pend       []store.RowID // rows found and not yet sent
	buf        []store.RowID
	stale      bool // pend survived a signal: recheck each row before use
	done       bool // the store has no more rows
	parked     bool
	rows       []byte
	nrows      int
	ops        *FragOps // the replica's counters (info.go)
}

func (sc *scanRec) locking() bool {
	return sc.flags&(gsn.ScanLockShared|gsn.ScanLockExclusive) != 0
}

func (l *LQH) scanFragReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 9 {
		return
	}
	w := s.Words[:s.NumWords]
	tc := signal.Address{Node: signal.NodeID(w[7]), Block: gsn.BlockTC, Instance: uint16(w[8])}
	key := mkOpKey(tc.Node, s.TransID, w[2])
	if l.fenced(env) {
		l.scanRef(env, tc, s.TransID, key.idx(), ndberr.ErrReadFenced)
		return
	}
	sc := &scanRec{key: key, tc: tc, fragID: w[1], flags: w[3], batchRows: int(w[4]), batchBytes: int(w[5])}
	if err := l.openScan(sc, w[0], w[6], s); err != nil {
		l.scanRef(env, tc, s.TransID, key.idx(), err)
		return
	}
	if _, dup := l.scans[key]; dup {
		l.scanRef(env, tc, s.TransID, key.idx(), ndberr.ErrInternal)
		return
	}
	l.scans[key] = sc
	l.Counters.scan(w[6] != gsn.ScanNoIndex)
	sc.ops = l.fragOps(sc.frag)
	sc.ops.Scans++
	sc.ops.ScanProgBytes += uint64(len(s.Section(0)))
	if sc.locking() {
		o := l.newOpRec()
		o.op, o.shared = gsn.OpScan, sc.flags&gsn.ScanLockShared != 0
		l.ops.put(key, o)
	}
	l.runScan(env, sc)
}

// openScan checks a SCAN_FRAGREQ and sets up its scan.
func (l *LQH) openScan(sc *scanRec, table, index uint32, s *signal.Signal) error {
	f, ok := l.frags[fragKey{table, sc.fragID}]
	if !ok {
		return ndberr.ErrNoSuchTable
	}
	sc.frag = f
	if sc.batchRows <= 0 {
		sc.batchRows = defaultBatchRows
	}
	sc.batchRows = min(sc.batchRows, maxBatchRows)
	if sc.batchBytes <= 0 {
		sc.batchBytes = defaultBatchBytes
	}
	sc.batchBytes = min(sc.batchBytes, maxBatchBytes)
	if prog := s.Section(0); len(prog) > 0 {
		flt, err := filter.Compile(f.Layout(), prog)
		if err != nil {
			return err
		}
		sc.filter = flt
	}
	sc.buf = make([]store.RowID, sc.batchRows)
	if index == gsn.ScanNoIndex {
		return nil
	}
	lo, hi := s.Section(1), s.Section(2)
	sc.bounds = append(append(make([]byte, 0, len(lo)+len(hi)), lo...), hi...)
	lb := store.Bound{Key: sc.bounds[:len(lo)], Inclusive: sc.flags&gsn.ScanLowInclusive != 0, Unbounded: len(lo) == 0}
	hb := store.Bound{Key: sc.bounds[len(lo):], Inclusive: sc.flags&gsn.ScanHighInclusive != 0, Unbounded: len(hi) == 0}
	var rf store.RowFilter
	if sc.filter != nil {
		rf = sc.filter
	}
	ix, err := f.OrderedScan(int(index), lb, hb, sc.flags&gsn.ScanDescending != 0, rf)
	if err != nil {
		return err
	}
	sc.ix = ix
	return nil
}

// scanFragNext continues (w1 0) or closes (w1 1) a fragment scan. LQH also
// sends it to itself to continue a scan after its examine budget.
func (l *LQH) scanFragNext(env block.Env, s *signal.Signal) {
	if s.NumWords < 4 {
		return
	}
	key := mkOpKey(signal.NodeID(s.Words[2]), s.TransID, s.Words[0])
	sc := l.scans[key]
	if sc == nil || sc.parked {
		return
	}
	if s.Words[1] != 0 {
		l.closeScan(key)
		return
	}
	if l.fenced(env) {
		l.closeScan(key)
		l.scanRef(env, sc.tc, s.TransID, key.idx(), ndberr.ErrReadFenced)
		return
	}
	l.runScan(env, sc)
}

// closeScan forgets a fragment scan; the rows it locked stay locked until
// the transaction commits or aborts.
func (l *LQH) closeScan(key opKey) {
	if _, ok := l.scans[key]; ok {
		delete(l.scans, key)
		l.unpark(key)
	}
}

// more refills pend from the store; false when the fragment is exhausted
// or the examine budget is spent.
func (l *LQH) more(sc *scanRec, budget *int) bool {
	if sc.done || *budget <= 0 {
		return false
	}
	// The store counts the rows it looks at before the filter.
	examined := sc.frag.Stats().ScanRowsExamined
	var n int
	if sc.ix != nil {
		n = sc.ix.Next(sc.buf)
		*budget -= n
		if n == 0 {
			sc.done = true
		}
	} else {
		var rf store.RowFilter
		if sc.filter != nil {
			rf = sc.filter
		}
		n = sc.frag.ScanNext(&sc.pos, rf, sc.buf, *budget)
		sc.done = sc.pos.Done()
		if n < len(sc.buf) {
			*budget = 0 // stopped by the budget (or the end)
		} else {
			*budget -= n
		}
	}
	sc.ops.ScanExamined += sc.frag.Stats().ScanRowsExamined - examined
	sc.pend, sc.stale = sc.buf[:n], false
	return n > 0 || !sc.done
}

// runScan builds and sends the scan's next batch. A locking scan that meets
// a row locked by another transaction parks on it and goes on when the row
// is released.
func (l *LQH) runScan(env block.Env, sc *scanRec) {
	sc.parked = false
	f := sc.frag
	budget := examineBudget
	tx := store.TxID(sc.key.trans)
	lastSent := store.NoRow
	for sc.nrows < sc.batchRows && len(sc.rows) < sc.batchBytes {
		if len(sc.pend) == 0 {
			if !l.more(sc, &budget) {
				break
			}
			continue
		}
		r := sc.pend[0]
		if sc.stale && !l.stillMatches(sc, r) {
			sc.pend = sc.pend[1:]
			continue
		}
		if sc.locking() {
			h := l.distHash(f.Layout(), f.RowKey(r))
			ref, err := f.LockRow(tx, r, h, sc.flags&gsn.ScanLockShared != 0)
			switch {
			case errors.Is(err, store.ErrRowLocked):
				sc.parked = true
				sc.stale = true // the row may change before we get it
				sc.settle(lastSent)
				l.enqueue(&waiter{key: sc.key, scan: sc}, waitKey{f, uint64(f.LastConflict())})
				return
			case err != nil: // deleted meanwhile
				sc.pend = sc.pend[1:]
				continue
			}
			op := l.ops.get(sc.key)
			op.scanned = append(op.scanned, l.joinRow(f, ref, sc.ops))
		}
		start := len(sc.rows)
		sc.rows = append(sc.rows, 0, 0, 0, 0)
		if sc.locking() {
			sc.rows = f.ReadRowTx(tx, r, sc.rows)
		} else {
			sc.rows = f.ReadRow(r, sc.rows)
		}
		binary.LittleEndian.PutUint32(sc.rows[start:], uint32(len(sc.rows)-start-4))
		sc.nrows++
		sc.pend = sc.pend[1:]
		lastSent = r
	}
	sc.settle(lastSent)
	full := sc.nrows >= sc.batchRows || len(sc.rows) >= sc.batchBytes
	finished := sc.done && len(sc.pend) == 0
	if !full && !finished {
		// Examine budget spent: continue behind the signals queued meanwhile.
		sc.stale = true
		o := &l.out
		o.Reset()
		o.Number = gsn.SCAN_FRAGNEXT
		o.Receiver = env.Self()
		o.TransID = sc.key.trans
		o.SetWords(sc.key.idx(), 0, uint32(sc.key.tcNode()), uint32(sc.tc.Instance))
		env.Send(o)
		return
	}
	var flags uint32
	if finished {
		flags = gsn.ScanFragDone
	}
	o := &l.out
	o.Reset()
	o.Number = gsn.SCAN_FRAGCONF
	o.Receiver = sc.tc
	o.TransID = sc.key.trans
	o.SetWords(sc.key.idx(), sc.fragID, flags, uint32(sc.nrows))
	o.AddSection(sc.rows)
	env.Send(o)
	l.Counters.ScanRows += uint64(sc.nrows)
	sc.ops.ScanReturned += uint64(sc.nrows)
	sc.ops.ScanBytes += uint64(len(sc.rows))
	sc.rows, sc.nrows = sc.rows[:0], 0
	sc.stale = len(sc.pend) > 0
	if finished {
		delete(l.scans, sc.key)
	}
}

// distHash is a key's partition hash: of its distribution-key columns.
func (l *LQH) distHash(lay *schema.Layout, key []byte) uint64 {
	d := lay.DistributionKey(key, l.dkey)
	if len(d) > 0 && len(key) > 0 && &d[0] != &key[0] {
		l.dkey = d // keep the scratch buffer, never a view of row memory
	}
	return partition.Hash(d)
}

// settle ends a signal's work on an index scan: rows fetched but not yet
// sent are dropped and fetched again later after the last sent one, in
// the index order of that time (their keys may change meanwhile).
func (sc *scanRec) settle(lastSent store.RowID) {
	if sc.ix == nil {
		return
	}
	if lastSent != store.NoRow {
		sc.ix.Sent(lastSent)
	}
	if len(sc.pend) > 0 {
		sc.pend = sc.pend[:0]
		sc.ix.Rewind()
		sc.done = false
	}
}

// stillMatches rechecks a row found in an earlier signal: it may have been
// deleted, or changed so the filter no longer holds.
func (l *LQH) stillMatches(sc *scanRec, r store.RowID) bool {
	if !sc.frag.IsCommittedRow(r) {
		return false
	}
	return sc.filter == nil || sc.filter.Match(sc.frag.RowView(r))
}

func (l *LQH) scanRef(env block.Env, tc signal.Address, trans uint64, idx uint32, err error) {
	code := ndberr.CodeOf(err)
	if code == 0 {
		code = ndberr.ErrInternal.Code
	}
	o := &l.out
	o.Reset()
	o.Number = gsn.SCAN_FRAGREF
	o.Receiver = tc
	o.TransID = trans
	o.SetWords(idx, uint32(code))
	env.Send(o)
}

// String names a scan in panics and logs.
func (sc *scanRec) String() string {
	return fmt.Sprintf("scan %x/%d of fragment %d", sc.key.trans, sc.key.idx(), sc.fragID)
}
