package lqh

import (
	"encoding/binary"
	"errors"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Node restart: copying fragments to a starting node (NDB's COPY_FRAGREQ).
//
// The starting node's LQH first empties its replicas (NR_EMPTYREQ) and
// marks them filling; then every TC routes writes through them (they are
// the chains' tails) while each fragment's primary copies its committed
// rows over in batches (COPY_ROWS). The primary reads each batch under
// shared row locks that it keeps until the starting node has applied the
// batch (COPY_ROWSCONF), so a write is either in the copy or reaches the
// starting node after it, never lost between. A write the primary
// prepared before the starting node joined the chain holds its row's
// exclusive lock until it commits, so the copy waits and takes the
// committed row. A row whose insert is prepared but not committed is
// waited for too.
//
// A filling replica applies writes leniently: an update or delete of a
// row it does not have yet is a no-op (the copy brings the row later,
// with the write in it, because the copy waits for the write's lock), an
// insert of a row it already has overwrites it. Once its copy ends, the
// replica is exact and applies writes strictly again.

const (
	copyBatchRows  = 256
	copyBatchBytes = 64 << 10
	copyRowHeader  = 4 + 8 // length, GCI
)

// copyRec is one fragment copy on the primary.
type copyRec struct {
	key     opKey // (no TC, the copy's transaction, fragment); its opRec holds the locks
	f       *store.Fragment
	table   uint32
	frag    uint32
	joiner  signal.NodeID
	master  signal.Address // the RESTART block that asked
	run     [2]uint32
	pos     store.ScanPos
	buf     []store.RowID
	pend    []store.RowID // rows found, not yet copied
	rows    []byte
	nrows   int
	copied  uint64
	waiting bool // a batch is out; its locks are held until COPY_ROWSCONF
	parked  bool // waiting for a row lock
	last    bool // the batch out is the last one
}

// copyTransID is the store transaction a copy locks rows with: the top
// 16 bits are 0xFFFF, which no API node's transaction ids have (they
// start with the API's node id, at most 255).
func copyTransID(table, frag uint32) uint64 {
	return 0xFFFF<<48 | uint64(table)<<16 | uint64(frag&0xFFFF)
}

// CopyStats are the node-restart copy counters.
type CopyStats struct {
	FragmentsCopied uint64 // fragments this node copied to starting nodes
	RowsSent        uint64 // rows it sent
	RowsReceived    uint64 // rows it applied as a starting node
	Lenient         uint64 // writes a filling replica applied as no-ops or overwrites
	Conflicts       uint64 // copied rows refused by a lock (must stay 0)
}

// Filling reports how many of this node's replicas are still being filled
// by a node restart's copy.
func (l *LQH) Filling() int { return len(l.filling) }

// emptyReq (NR_EMPTYREQ) empties every replica this node holds and marks
// them filling: the node restart copies them afresh. A later request of
// the same start (a new president runs the restart again) only marks
// them filling: they already receive writes, which emptying would lose.
func (l *LQH) emptyReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	for k, f := range l.frags {
		if l.emptied {
			l.filling[f] = true
			continue
		}
		nf := store.NewFragment(l.pool, f.Layout(), f.ID)
		l.frags[k] = nf
		l.dropped = append(l.dropped, f)
		delete(l.fragStats, f)
		l.filling[nf] = true
		if l.lcp != nil {
			// The next checkpoint must be a full one: the deltas since the
			// last describe the emptied replica.
			l.lcp.frag(k).forceFull = true
		}
	}
	l.emptied = true
	l.ReapDropped()
	o := &l.out
	o.Reset()
	o.Number = gsn.NR_EMPTYCONF
	o.Receiver = s.Sender
	o.SetWords(s.Words[0], s.Words[1], uint32(l.node))
	env.Send(o)
}

// copyFragReq (COPY_FRAGREQ) starts copying a fragment of which this node
// holds the primary to a starting node.
func (l *LQH) copyFragReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 5 {
		return
	}
	w := s.Words[:s.NumWords]
	table, frag, joiner := w[0], w[1], signal.NodeID(w[2])
	master := signal.Address{Node: s.Sender.Node, Block: gsn.BlockRESTART}
	f, ok := l.frags[fragKey{table, frag}]
	if !ok || l.filling[f] {
		l.copyFragRef(env, master, w, ndberr.ErrNoSuchTable)
		return
	}
	key := mkOpKey(0, copyTransID(table, frag), frag)
	if old := l.copies[key]; old != nil {
		l.dropCopy(env, old) // asked again (a new run): start over
	}
	c := &copyRec{key: key, f: f, table: table, frag: frag, joiner: joiner, master: master,
		run: [2]uint32{w[3], w[4]}, buf: make([]store.RowID, copyBatchRows)}
	l.copies[key] = c
	o := l.newOpRec()
	o.op, o.shared = gsn.OpScan, true
	l.ops[key] = o
	l.runCopy(env, c)
}

func (l *LQH) copyFragRef(env block.Env, to signal.Address, w []uint32, err error) {
	o := &l.out
	o.Reset()
	o.Number = gsn.COPY_FRAGREF
	o.Receiver = to
	o.SetWords(w[0], w[1], w[2], w[3], w[4], uint32(ndberr.CodeOf(err)))
	env.Send(o)
}

// runCopy gathers the next batch under shared locks and sends it.
func (l *LQH) runCopy(env block.Env, c *copyRec) {
	if c.waiting || c.parked {
		return
	}
	f := c.f
	tx := store.TxID(c.key.trans)
	budget := examineBudget
	for c.nrows < copyBatchRows && len(c.rows) < copyBatchBytes {
		if len(c.pend) == 0 {
			if c.pos.Done() || budget <= 0 {
				break
			}
			n := f.ScanNextRows(&c.pos, c.buf, budget)
			if n < len(c.buf) {
				budget = 0
			} else {
				budget -= n
			}
			c.pend = c.buf[:n]
			continue
		}
		r := c.pend[0]
		var ref store.OpRef
		var err error
		conflict := r
		if f.IsPendingInsert(r) {
			err = store.ErrRowLocked // wait for the insert's outcome
		} else {
			ref, err = f.LockRow(tx, r, l.distHash(f.Layout(), f.RowKey(r)), true)
			conflict = f.LastConflict()
		}
		switch {
		case errors.Is(err, store.ErrRowLocked):
			if c.nrows > 0 {
				// Send what is locked first: holding those rows while
				// waiting could deadlock with the writer we wait for.
				l.sendCopyBatch(env, c, false)
				return
			}
			c.parked = true
			l.enqueue(&waiter{key: c.key, copy: c}, waitKey{f, uint64(conflict)})
			return
		case err != nil: // deleted, or its slot reused by a row not committed
			c.pend = c.pend[1:]
			continue
		}
		op := l.ops[c.key]
		op.scanned = append(op.scanned, l.joinRow(f, ref))
		at := len(c.rows)
		c.rows = append(c.rows, 0, 0, 0, 0)
		c.rows = binary.LittleEndian.AppendUint64(c.rows, f.RowGCI(r))
		c.rows = f.ReadRowTx(tx, r, c.rows)
		binary.LittleEndian.PutUint32(c.rows[at:], uint32(len(c.rows)-at-4))
		c.nrows++
		c.pend = c.pend[1:]
	}
	l.sendCopyBatch(env, c, c.pos.Done() && len(c.pend) == 0)
}

// sendCopyBatch sends the gathered rows (possibly none) to the starting
// node and waits for its COPY_ROWSCONF.
func (l *LQH) sendCopyBatch(env block.Env, c *copyRec, last bool) {
	var flags uint32
	if last {
		flags = gsn.CopyLast
	}
	o := &l.out
	o.Reset()
	o.Number = gsn.COPY_ROWS
	o.Receiver = signal.Address{Node: c.joiner, Block: gsn.BlockLQH}
	o.TransID = c.key.trans
	o.SetWords(c.table, c.frag, uint32(c.nrows), flags)
	o.AddSection(c.rows)
	env.Send(o)
	c.copied += uint64(c.nrows)
	l.Copy.RowsSent += uint64(c.nrows)
	c.rows, c.nrows = c.rows[:0], 0
	c.waiting, c.last = true, last
}

// copyRowsConf (COPY_ROWSCONF): the starting node applied a batch; release
// its locks and go on, or report the fragment copied.
func (l *LQH) copyRowsConf(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	c := l.copies[mkOpKey(0, s.TransID, s.Words[1])]
	if c == nil || !c.waiting || s.Sender.Node != c.joiner {
		return
	}
	c.waiting = false
	l.releaseCopyLocks(c)
	if c.last {
		l.finishCopy(c)
		o := &l.out
		o.Reset()
		o.Number = gsn.COPY_FRAGCONF
		o.Receiver = c.master
		o.SetWords(c.table, c.frag, uint32(c.joiner), c.run[0], c.run[1], uint32(c.copied), uint32(c.copied>>32))
		env.Send(o)
		l.Copy.FragmentsCopied++
	} else {
		l.runCopy(env, c)
	}
	l.wakeFreed(env)
}

// releaseCopyLocks releases the shared locks of the batch just applied.
func (l *LQH) releaseCopyLocks(c *copyRec) {
	op := l.ops[c.key]
	if op == nil {
		return
	}
	for _, ro := range op.scanned {
		if !ro.done {
			row := ro.frag.OpRow(ro.ref)
			if err := ro.frag.Abort(ro.ref); err == nil { // a shared lock: nothing to undo
				l.freed = append(l.freed, waitKey{ro.frag, uint64(row)})
			}
			l.finish(ro)
		}
		if ro.refs--; ro.refs == 0 {
			l.freeRows = append(l.freeRows, ro)
		}
	}
	clear(op.scanned)
	op.scanned = op.scanned[:0]
}

// finishCopy forgets a copy whose locks are released.
func (l *LQH) finishCopy(c *copyRec) {
	delete(l.copies, c.key)
	l.unpark(c.key)
	l.dropOpRec(c.key)
}

// dropCopy abandons a copy: its starting node failed, or it is asked for
// again.
func (l *LQH) dropCopy(env block.Env, c *copyRec) {
	l.releaseCopyLocks(c)
	l.finishCopy(c)
	l.wakeFreed(env)
}

// copyRows (COPY_ROWS) applies a batch of copied rows to a filling replica,
// each committed with the GCI it has on the primary.
func (l *LQH) copyRows(env block.Env, s *signal.Signal) {
	if s.NumWords < 4 {
		return
	}
	table, frag, flags := s.Words[0], s.Words[1], s.Words[3]
	f, ok := l.frags[fragKey{table, frag}]
	if ok && l.filling[f] {
		tx := store.TxID(s.TransID)
		lay := f.Layout()
		b := s.Section(0)
		for len(b) >= copyRowHeader {
			n := int(binary.LittleEndian.Uint32(b))
			if n < 8 || len(b)-4 < n {
				break // malformed: the sender's bug
			}
			gci := binary.LittleEndian.Uint64(b[4:])
			row := b[copyRowHeader : 4+n]
			b = b[4+n:]
			if len(row) < lay.KeySize {
				break
			}
			ref, err := f.PrepareWrite(tx, l.distHash(lay, row[:lay.KeySize]), row)
			if err != nil {
				l.Copy.Conflicts++
				continue
			}
			if err := f.Commit(ref, gci); err != nil {
				l.Copy.Conflicts++
				continue
			}
			l.Copy.RowsReceived++
		}
		if flags&gsn.CopyLast != 0 {
			delete(l.filling, f)
			if len(l.filling) == 0 && l.lcp != nil {
				l.requestFilledLCP()
			}
		}
	}
	o := &l.out
	o.Reset()
	o.Number = gsn.COPY_ROWSCONF
	o.Receiver = s.Sender
	o.TransID = s.TransID
	o.SetWords(table, frag)
	env.Send(o)
}

// lenient turns a write a filling replica cannot apply strictly into what
// the primary's outcome means for it: an update or delete of a row not
// copied yet is a no-op (ok false, no error), an insert of a row it has
// overwrites it.
func (l *LQH) lenient(f *store.Fragment, tx store.TxID, op uint32, h uint64, data []byte, err error) (ref store.OpRef, ok bool, _ error) {
	switch {
	case op == gsn.OpInsert && errors.Is(err, ndberr.ErrRowExists):
		l.Copy.Lenient++
		ref, err = f.PrepareWrite(tx, h, data)
		return ref, err == nil, err
	case (op == gsn.OpUpdate || op == gsn.OpDelete) && errors.Is(err, ndberr.ErrNoSuchRow):
		l.Copy.Lenient++
		return 0, false, nil
	}
	return 0, false, err
}

// nodeFailRep (NODE_FAILREP) abandons copies to failed starting nodes.
// w3-w10 the failed nodes (node n at bit n%32 of word n/32).
func (l *LQH) nodeFailRep(env block.Env, s *signal.Signal) {
	if s.NumWords < 11 {
		return
	}
	failed := func(n signal.NodeID) bool { return s.Words[3+n/32]&(1<<(n%32)) != 0 }
	for _, c := range l.copies {
		if failed(c.joiner) {
			l.dropCopy(env, c)
		}
	}
}
