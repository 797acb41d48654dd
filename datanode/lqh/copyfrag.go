package lqh

import (
	"cmp"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Node restart: copying fragments to a starting node (NDB's COPY_FRAGREQ).
//
// The starting node's LQH keeps the replicas its disk restored (every
// committed change up to its restored GCI R, which NR_EMPTYREQ tells it;
// with R 0, an initial start or an empty disk, it empties them) and marks
// them filling (NR_EMPTYREQ); then every TC routes writes through them
// (they are the chains' tails) while each fragment's primary copies its
// committed rows over in batches (COPY_ROWS). The primary reads each batch
// under shared row locks that it keeps until the starting node has applied
// the batch (COPY_ROWSCONF), so a write is either in the copy or reaches
// the starting node after it, never lost between. A write the primary
// prepared before the starting node joined the chain holds its row's
// exclusive lock until it commits, so the copy waits and takes the
// committed row. A row whose insert is prepared but not committed is
// waited for too.
//
// Only what changed since R travels whole. A row whose GCI (the epoch of
// its last committed change, in its header) is above R is sent whole and
// overwrites the starting node's; of a row at or below R the primary sends
// the key and GCI only, and the starting node marks its own row with that
// key as confirmed (store.MarkCopied). When the fragment's copy ends, the
// starting node deletes every row at or below R that nothing confirmed
// (store.SweepUncopied), and the replica equals the primary's.
//
// Why that is exact. The starting node's restored state holds, for every
// key, the version of the key's last change in an epoch up to R (or no
// row); a version is named by its key and GCI, since every replica stamps
// a change with its transaction's GCI. Take a row the primary holds during
// the copy:
//   - GCI above R: changed after R, in the window before the node joined
//     the chains or by a write since. It is sent whole, and writes after
//     the batch reach the node through the chain.
//   - GCI at or below R: unchanged since R, so the node restored that very
//     version; the key confirms it. A write after the batch stamps a GCI
//     above R on both replicas, so the sweep never takes the row.
// A row the node restored that the primary no longer has was deleted after
// R: in the window (nothing confirms it: swept), or during the copy (the
// delete reached the node through the chain). Rows written during the copy
// carry GCIs above R, so the sweep leaves them; a stale row a write still
// holds when the sweep comes ends with that write (store.SweepUncopied).
// If a key-only entry does not match (the node lacks the row, or has
// another GCI), its restored state is not what R promised: it refuses the
// batch (COPY_ROWSCONF with gsn.CopyAskFull) and the primary copies the
// fragment again from the start with every row whole, which the node marks
// as it applies them, so the sweep still removes what the primary lacks
// (CopyStats.Fallbacks, Mismatches).
//
// A takeover TC commits or aborts each replica's record straight, not
// along the chain, so the primary may have finished a transaction, and
// copied its row, while the record still holds the row here: the copied
// row becomes the committed row under that record, which then ends here
// as it did on the primary (store.PutCopied). A copied row is never
// refused.
//
// A filling replica applies writes leniently: an update or delete of a
// row it does not have yet is a no-op (the copy brings the row later,
// with the write in it, because the copy waits for the write's lock), an
// insert of a row it already has overwrites it. Once its copy ends, the
// replica is exact and applies writes strictly again. The copy and the
// sweep bypass the redo log and the LCP's delta tracking, so each copied
// fragment's next local checkpoint is a FULL one.

const (
	copyBatchRows    = 256 // whole rows per batch
	copyBatchEntries = 1024
	copyBatchBytes   = 64 << 10
	copyRowHeader    = 4 + 8 // length (with gsn.CopyKeyOnly), GCI
)

// copyRec is one fragment copy on the primary.
type copyRec struct {
	key    opKey // (no TC, the copy's transaction, fragment); its opRec holds the locks
	f      *store.Fragment
	table  uint32
	frag   uint32
	joiner signal.NodeID
	master signal.Address // the RESTART block that asked
	run    [2]uint32
	// since is the starting node's restored GCI: rows at or below it go
	// as keys (0: every row whole).
	since     uint64
	pos       store.ScanPos
	buf       []store.RowID
	pend      []store.RowID // rows found, not yet copied
	rows      []byte
	nrows     int    // whole rows in the batch being gathered
	nkeys     int    // keys in it
	copied    uint64 // whole rows sent
	keys      uint64 // keys sent
	fallbacks uint32 // times the starting node asked for a full copy
	waiting   bool   // a batch is out; its locks are held until COPY_ROWSCONF
	parked    bool   // waiting for a row lock
	last      bool   // the batch out is the last one
}

// nrJoin is the starting node's side of its node restart.
type nrJoin struct {
	emptied bool // NR_EMPTYREQ emptied the replicas (once per start; restored GCI 0)
	// restored is the GCI the node's disk restored (NR_EMPTYREQ): the
	// sweep's bound.
	restored uint64
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
	RowsSent        uint64 // rows it sent whole
	KeysSent        uint64 // rows it sent as key and GCI (unchanged since the starting node's GCI)
	Fallbacks       uint64 // copies it began again whole: the starting node's rows differed
	RowsReceived    uint64 // whole rows it applied as a starting node
	KeysMatched     uint64 // key-only entries it confirmed as a starting node
	RowsSwept       uint64 // rows it deleted as a starting node: deleted on the primary since its GCI
	Mismatches      uint64 // key-only entries it could not confirm (it asked for a full copy)
	Lenient         uint64 // writes a filling replica applied as no-ops or overwrites
	Conflicts       uint64 // copied rows the store refused (must stay 0)
}

// Filling reports how many of this node's replicas are still being filled
// by a node restart's copy.
func (l *LQH) Filling() int { return len(l.filling) }

// emptyReq (NR_EMPTYREQ) prepares every replica this node holds for a
// node restart's copy and marks them filling. With a restored GCI (w2-w3)
// the replicas keep their rows, which the copy confirms or replaces; with
// 0 (nothing restored) they are emptied, once per start: a later request
// of the same start (a new president runs the restart again) only marks
// them filling, since they already receive writes, which emptying would
// lose.
func (l *LQH) emptyReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	var restored uint64
	if s.NumWords >= 4 {
		restored = uint64(s.Words[2]) | uint64(s.Words[3])<<32
	}
	l.nr.restored = restored
	for k, f := range l.frags {
		// The next checkpoint must be a full one: the copy bypasses the
		// deltas' bookkeeping.
		l.forceFullLCP(k)
		if restored > 0 || l.nr.emptied {
			l.filling[f] = true
			continue
		}
		nf := store.NewFragment(l.pool, f.Layout(), f.ID)
		l.frags[k] = nf
		l.dropped = append(l.dropped, f)
		delete(l.fragStats, f)
		l.filling[nf] = true
	}
	if restored == 0 {
		l.nr.emptied = true
	}
	l.ReapDropped()
	o := &l.out
	o.Reset()
	o.Number = gsn.NR_EMPTYCONF
	o.Receiver = s.Sender
	o.SetWords(s.Words[0], s.Words[1], uint32(l.node))
	env.Send(o)
}

// forceFullLCP makes fragment k's next local checkpoint a FULL one.
func (l *LQH) forceFullLCP(k fragKey) {
	if l.lcp != nil {
		l.lcp.frag(k).forceFull = true
	}
}

// copyFragReq (COPY_FRAGREQ) starts copying a fragment of which this node
// holds the primary to a starting node: w5-w6 (when present) the GCI the
// starting node restored, up to which it gets keys only.
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
	if len(w) >= 7 {
		c.since = uint64(w[5]) | uint64(w[6])<<32
	}
	l.copies[key] = c
	o := l.newOpRec()
	o.op, o.shared = gsn.OpScan, true
	l.ops.put(key, o)
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

// runCopy gathers the next batch under shared locks and sends it: each
// row whole, or as its key when unchanged since the starting node's GCI.
func (l *LQH) runCopy(env block.Env, c *copyRec) {
	if c.waiting || c.parked {
		return
	}
	f := c.f
	tx := store.TxID(c.key.trans)
	budget := examineBudget
	for c.nrows < copyBatchRows && c.nrows+c.nkeys < copyBatchEntries && len(c.rows) < copyBatchBytes {
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
			if c.nrows+c.nkeys > 0 {
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
		op := l.ops.get(c.key)
		op.scanned = append(op.scanned, l.joinRow(f, ref, nil))
		gci := f.RowGCI(r)
		at := len(c.rows)
		c.rows = append(c.rows, 0, 0, 0, 0)
		c.rows = binary.LittleEndian.AppendUint64(c.rows, gci)
		if c.since > 0 && gci <= c.since {
			c.rows = append(c.rows, f.RowKey(r)...)
			binary.LittleEndian.PutUint32(c.rows[at:], uint32(len(c.rows)-at-4)|gsn.CopyKeyOnly)
			c.nkeys++
		} else {
			c.rows = f.ReadRowTx(tx, r, c.rows)
			binary.LittleEndian.PutUint32(c.rows[at:], uint32(len(c.rows)-at-4))
			c.nrows++
		}
		c.pend = c.pend[1:]
	}
	l.sendCopyBatch(env, c, c.pos.Done() && len(c.pend) == 0)
}

// sendCopyBatch sends the gathered rows and keys (possibly none) to the
// starting node and waits for its COPY_ROWSCONF.
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
	o.SetWords(c.table, c.frag, uint32(c.nrows+c.nkeys), flags)
	o.AddSection(c.rows)
	env.Send(o)
	c.copied += uint64(c.nrows)
	c.keys += uint64(c.nkeys)
	l.Copy.RowsSent += uint64(c.nrows)
	l.Copy.KeysSent += uint64(c.nkeys)
	c.rows, c.nrows, c.nkeys = c.rows[:0], 0, 0
	c.waiting, c.last = true, last
}

// copyRowsConf (COPY_ROWSCONF): the starting node applied a batch; release
// its locks and go on, or report the fragment copied. If the node could
// not confirm a key (w2 gsn.CopyAskFull), the copy starts over with every
// row whole.
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
	switch {
	case s.NumWords >= 3 && s.Words[2]&gsn.CopyAskFull != 0 && c.since > 0:
		c.since, c.pos, c.pend, c.last = 0, store.ScanPos{}, c.pend[:0], false
		c.fallbacks++
		l.Copy.Fallbacks++
		l.runCopy(env, c)
	case c.last:
		var swept uint64
		if s.NumWords >= 5 {
			swept = uint64(s.Words[3]) | uint64(s.Words[4])<<32
		}
		l.finishCopy(c)
		o := &l.out
		o.Reset()
		o.Number = gsn.COPY_FRAGCONF
		o.Receiver = c.master
		o.SetWords(c.table, c.frag, uint32(c.joiner), c.run[0], c.run[1], uint32(c.copied), uint32(c.copied>>32),
			uint32(c.keys), uint32(c.keys>>32), uint32(swept), uint32(swept>>32), c.fallbacks)
		env.Send(o)
		l.Copy.FragmentsCopied++
	default:
		l.runCopy(env, c)
	}
	l.wakeFreed(env)
}

// releaseCopyLocks releases the shared locks of the batch just applied.
func (l *LQH) releaseCopyLocks(c *copyRec) {
	op := l.ops.get(c.key)
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

// copyRows (COPY_ROWS) applies a batch of copied rows and keys to a
// filling replica: a whole row is committed with the GCI it has on the
// primary, a key confirms this replica's row. A key it cannot confirm
// refuses the rest of the batch and asks for a full copy (w2
// gsn.CopyAskFull). After the last batch, the rows at or below the
// restored GCI that nothing confirmed are swept (w3-w4 how many) and the
// replica applies writes strictly again.
func (l *LQH) copyRows(env block.Env, s *signal.Signal) {
	if s.NumWords < 4 {
		return
	}
	table, frag, flags := s.Words[0], s.Words[1], s.Words[3]
	var status uint32
	var swept uint64
	if f, ok := l.frags[fragKey{table, frag}]; ok && l.filling[f] {
		switch {
		case !l.applyCopied(f, store.TxID(s.TransID), s.Section(0)):
			status = gsn.CopyAskFull
			l.Copy.Mismatches++
		case flags&gsn.CopyLast != 0:
			swept = l.endFilling(fragKey{table, frag}, f)
		}
	}
	o := &l.out
	o.Reset()
	o.Number = gsn.COPY_ROWSCONF
	o.Receiver = s.Sender
	o.TransID = s.TransID
	o.SetWords(table, frag, status, uint32(swept), uint32(swept>>32))
	env.Send(o)
}

// applyCopied applies a COPY_ROWS section to filling replica f. It
// reports false when a key-only entry does not match this replica.
func (l *LQH) applyCopied(f *store.Fragment, tx store.TxID, b []byte) bool {
	lay := f.Layout()
	for len(b) >= copyRowHeader {
		w := binary.LittleEndian.Uint32(b)
		n := int(w &^ gsn.CopyKeyOnly)
		if n < 8 || len(b)-4 < n {
			break // malformed: the sender's bug
		}
		gci := binary.LittleEndian.Uint64(b[4:])
		data := b[copyRowHeader : 4+n]
		b = b[4+n:]
		if w&gsn.CopyKeyOnly != 0 {
			if len(data) != lay.KeySize {
				break
			}
			if f.MarkCopied(l.distHash(lay, data), data, gci) != nil {
				return false
			}
			l.Copy.KeysMatched++
			continue
		}
		if len(data) < lay.KeySize {
			break
		}
		// A full copy's row at or below the restored GCI (after a
		// mismatch) is marked, to keep it from the sweep.
		if err := f.PutCopied(tx, l.distHash(lay, data[:lay.KeySize]), data, gci, gci <= l.nr.restored); err != nil {
			l.Copy.Conflicts++
			continue
		}
		l.Copy.RowsReceived++
	}
	return true
}

// endFilling ends fragment k's copy on this (starting) node: the rows at
// or below the restored GCI that the copy did not confirm were deleted on
// the primary since; they go, through the store's delete path (ordered
// indexes included; a unique index is a fragment of its own hidden table,
// swept the same way). It returns how many went.
func (l *LQH) endFilling(k fragKey, f *store.Fragment) uint64 {
	var swept uint64
	if l.nr.restored > 0 {
		lay := f.Layout()
		swept = uint64(f.SweepUncopied(l.nr.restored, func(key []byte) uint64 { return l.distHash(lay, key) }))
		l.Copy.RowsSwept += swept
	}
	delete(l.filling, f)
	// Copied rows keep their old GCIs, and swept ones are not in the
	// deltas' deleted keys: the next checkpoint must be a full one.
	l.forceFullLCP(k)
	if len(l.filling) == 0 && l.lcp != nil {
		l.requestFilledLCP()
	}
	return swept
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
	l.markTCFailed(s)
	failed := func(n signal.NodeID) bool { return s.Words[3+n/32]&(1<<(n%32)) != 0 }
	// In key order: the simulator replays a seed's signals exactly.
	keys := make([]opKey, 0, len(l.copies))
	for k, c := range l.copies {
		if failed(c.joiner) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b opKey) int { return cmp.Or(cmp.Compare(a.trans, b.trans), cmp.Compare(a.tcIdx, b.tcIdx)) })
	for _, k := range keys {
		l.dropCopy(env, l.copies[k])
	}
}
