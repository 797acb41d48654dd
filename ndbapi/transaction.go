package ndbapi

import (
	"fmt"
	"time"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// ExecType says what Execute does after sending the defined operations.
type ExecType uint8

const (
	// NoCommit prepares the operations (reads return rows, locks are
	// taken) and leaves the transaction open.
	NoCommit ExecType = 1
	// Commit prepares the operations and commits the transaction.
	Commit ExecType = 2
	// Rollback throws the transaction away.
	Rollback ExecType = 3
)

// LockMode is a read's locking.
type LockMode uint8

const (
	// CommittedRead reads the latest committed row without a lock.
	CommittedRead LockMode = 0
	// LockShared reads and holds a shared lock until the transaction ends.
	LockShared LockMode = 1
	// LockExclusive reads and holds an exclusive lock until it ends.
	LockExclusive LockMode = 2
)

func (m LockMode) readOp() uint32 {
	switch m {
	case LockShared:
		return gsn.OpReadShared
	case LockExclusive:
		return gsn.OpReadExclusive
	}
	return gsn.OpRead
}

type txState uint8

const (
	txOpen      txState = 1
	txCommitted txState = 2
	txAborted   txState = 3 // by TC, a time-out, or Rollback
	txClosed    txState = 4
)

// Transaction is a transaction of one Ndb: define operations, then
// Execute (or ExecuteAsync). Not safe for concurrent use; it belongs to
// its Ndb's goroutine. Close it to reuse its record.
type Transaction struct {
	ndb   *Ndb
	slot  uint16
	gen   uint16
	id    uint64
	tc    signal.NodeID
	state txState
	// tcDownAt: when the API saw the TC's node gone during the commit;
	// it waits Options.TakeoverWait for the takeover's outcome.
	tcDownAt time.Time
	// sentAt: when the Ndb last sent the transaction's signals. A
	// takeover of its TC done after that has told its outcome.
	sentAt time.Time
	// tcConn: which connection to the TC's node (Cluster.connectCount)
	// carried the transaction's first signals.
	tcConn uint64

	ops    []*Operation // defined, in order; op ids are positions
	nops   int
	sent   int // ops already sent to TC
	exec   ExecType
	busy   bool // executing: answers awaited
	wait   int  // TCKEYCONFs awaited
	commit bool // TCCOMMITCONF awaited
	rollbk bool // TCROLLBACKCONF awaited
	begun  bool // TC has heard of the transaction

	err      *Error
	gci      uint64
	deadline time.Time
	cb       func(*Transaction, error)
	future   *Future
	scans    []*Scan
	scratch  []byte
}

func (tx *Transaction) reset(id uint64, tc signal.NodeID) {
	tx.id, tx.tc, tx.state = id, tc, txOpen
	tx.nops, tx.sent, tx.exec, tx.busy, tx.wait, tx.commit, tx.rollbk, tx.begun = 0, 0, 0, false, 0, false, false, false
	tx.err, tx.gci, tx.cb, tx.future = nil, 0, nil, nil
	// An earlier transaction of this slot may have seen its TC go down and
	// then got its outcome from the takeover: its wait must not count for
	// this one (it made a later TC failure give 4011 at once).
	tx.tcDownAt, tx.sentAt, tx.tcConn = time.Time{}, time.Time{}, 0
	clear(tx.scans)
	tx.scans = tx.scans[:0]
}

// ID is the transaction id (API node << 48 | Ndb << 32 | slot << 16 |
// generation).
func (tx *Transaction) ID() uint64 { return tx.id }

// Node is the data node whose TC runs the transaction.
func (tx *Transaction) Node() signal.NodeID { return tx.tc }

// GCI is the global checkpoint (epoch) the transaction committed in.
func (tx *Transaction) GCI() uint64 { return tx.gci }

// Err is the error that aborted the transaction, or nil (a nil *Error is
// returned as a nil error).
func (tx *Transaction) Err() error {
	if tx.err == nil {
		return nil
	}
	return tx.err
}

// Committed reports whether the transaction committed.
func (tx *Transaction) Committed() bool { return tx.state == txCommitted }

// Close releases the transaction; an open one that TC knows is rolled
// back without waiting for the answer. Operations and their rows are
// invalid afterwards.
func (tx *Transaction) Close() {
	if tx.state == txClosed {
		return
	}
	n := tx.ndb
	if tx.busy {
		tx.busy = false
		n.inflight--
	}
	if tx.state == txOpen && tx.begun {
		tx.signal(gsn.TCROLLBACKREQ)
		n.add(tx)
		nw := n.writers[tx.tc]
		n.flushNode(nw)
		n.dirty = removeWriter(n.dirty, nw)
	}
	tx.state = txClosed
	tx.id = 0
	n.free = append(n.free, tx.slot)
}

func removeWriter(s []*nodeWriter, w *nodeWriter) []*nodeWriter {
	for i := range s {
		if s[i] == w {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

// Operation is one operation of a transaction. Its result is valid once
// the Execute that sent it returned (or its callback ran), until the
// transaction is closed.
type Operation struct {
	tx     *Transaction
	pos    int
	table  *Table
	op     uint32
	flags  uint32
	index  uint32
	hash   uint64
	s0, s1 []byte
	s2     []byte
	result []byte
	hasRow bool
	done   bool
	err    *Error
}

// Err is the operation's error (nil when it succeeded or has not run).
func (o *Operation) Err() error {
	if o.err == nil {
		return nil
	}
	return o.err
}

// Row returns the row a read returned; ok is false when there is none
// (not a read, not executed, or failed).
func (o *Operation) Row() (r schema.Row, ok bool) {
	if !o.hasRow {
		return schema.Row{}, false
	}
	return o.table.Layout.RowOf(o.result), true
}

// Map returns the row a read returned as column name -> value (see
// RowMap), or nil.
func (o *Operation) Map() map[string]any {
	r, ok := o.Row()
	if !ok {
		return nil
	}
	return RowMap(o.table.Layout, r)
}

// newOp returns the transaction's next operation record (reused).
func (tx *Transaction) newOp(t *Table, op uint32) *Operation {
	if tx.state != txOpen {
		if tx.err == nil {
			tx.err = newError(ndberr.ErrAPIUsage.Code, tx.nops, 0, "operation defined on a finished transaction")
		}
	}
	if tx.nops == len(tx.ops) {
		tx.ops = append(tx.ops, &Operation{})
	}
	o := tx.ops[tx.nops]
	*o = Operation{tx: tx, pos: tx.nops, table: t, op: op, s0: o.s0[:0], s1: o.s1[:0], s2: o.s2[:0], result: o.result[:0]}
	tx.nops++
	return o
}

func (tx *Transaction) keyOp(t *Table, op uint32, rb *schema.RowBuilder) *Operation {
	o := tx.newOp(t, op)
	o.s0 = rb.AppendKey(o.s0)
	o.hash = t.keyHash(o.s0, tx.scratch[:0])
	return o
}

func (tx *Transaction) rowOp(t *Table, op uint32, rb *schema.RowBuilder) *Operation {
	o := tx.newOp(t, op)
	o.s0 = rb.AppendRow(o.s0)
	o.hash = t.keyHash(o.s0[:t.Layout.KeySize], tx.scratch[:0])
	return o
}

// Insert defines an insert of the row rb holds (key and values).
func (tx *Transaction) Insert(t *Table, rb *schema.RowBuilder) *Operation {
	return tx.rowOp(t, gsn.OpInsert, rb)
}

// Write defines an insert-or-update of the row rb holds.
func (tx *Transaction) Write(t *Table, rb *schema.RowBuilder) *Operation {
	return tx.rowOp(t, gsn.OpWrite, rb)
}

// Update defines an update of the row whose key rb holds, setting cols
// from rb (no cols: every non-key column).
func (tx *Transaction) Update(t *Table, rb *schema.RowBuilder, cols ...int) *Operation {
	o := tx.rowOp(t, gsn.OpUpdate, rb)
	cs := columnSet(t, cols)
	o.s1 = appendColumnSet(o.s1, &cs)
	return o
}

func columnSet(t *Table, cols []int) schema.ColumnSet {
	var cs schema.ColumnSet
	if len(cols) == 0 {
		for c := range t.Def.Columns {
			cs.Add(c)
		}
		for _, k := range t.Def.PrimaryKey {
			cs[k>>6] &^= 1 << (k & 63)
		}
		return cs
	}
	for _, c := range cols {
		if c >= 0 && c < len(t.Def.Columns) {
			cs.Add(c)
		}
	}
	return cs
}

// Delete defines a delete of the row whose key rb holds.
func (tx *Transaction) Delete(t *Table, rb *schema.RowBuilder) *Operation {
	return tx.keyOp(t, gsn.OpDelete, rb)
}

// Read defines a read of the row whose key rb holds.
func (tx *Transaction) Read(t *Table, rb *schema.RowBuilder, lm LockMode) *Operation {
	return tx.keyOp(t, lm.readOp(), rb)
}

// ReadKey, DeleteKey: as Read and Delete with a key image (the first
// Layout.KeySize bytes of a row image, e.g. a scanned row's).
func (tx *Transaction) ReadKey(t *Table, key []byte, lm LockMode) *Operation {
	o := tx.newOp(t, lm.readOp())
	o.s0 = append(o.s0, key...)
	o.hash = t.keyHash(o.s0, tx.scratch[:0])
	return o
}

// DeleteKey defines a delete by key image.
func (tx *Transaction) DeleteKey(t *Table, key []byte) *Operation {
	o := tx.newOp(t, gsn.OpDelete)
	o.s0 = append(o.s0, key...)
	o.hash = t.keyHash(o.s0, tx.scratch[:0])
	return o
}

// uniqueOp defines an operation by unique index ix: rb holds the index's
// columns (for updates also the columns to set).
func (tx *Transaction) uniqueOp(t *Table, ix int, op uint32, rb *schema.RowBuilder) *Operation {
	o := tx.newOp(t, op)
	ui, _, err := tx.ndb.uniqueIndex(t, ix)
	if err != nil {
		o.err = newError(ndberr.ErrBadAttribute.Code, o.pos, 0, err.Error())
		tx.setErr(o.err)
		return o
	}
	row := rb.AppendRow(tx.scratch[:0])
	tx.scratch = row
	key, ok := ui.AppendKey(o.s0, t.Layout.RowOf(row))
	if !ok {
		o.err = newError(ndberr.ErrNullInNotNull.Code, o.pos, 0, "a unique key column is NULL")
		tx.setErr(o.err)
		return o
	}
	o.s0 = key
	o.flags = gsn.TcKeyUniqueIndex
	o.index = uint32(ix)
	o.hash = partition.Hash(key)
	return o
}

// ReadUnique defines a read by unique index ix (a position in
// t.Def.Indexes) whose columns rb holds.
func (tx *Transaction) ReadUnique(t *Table, ix int, rb *schema.RowBuilder, lm LockMode) *Operation {
	return tx.uniqueOp(t, ix, lm.readOp(), rb)
}

// DeleteUnique defines a delete by unique index ix.
func (tx *Transaction) DeleteUnique(t *Table, ix int, rb *schema.RowBuilder) *Operation {
	return tx.uniqueOp(t, ix, gsn.OpDelete, rb)
}

// UpdateUnique defines an update by unique index ix: rb holds the
// index's columns and the values of cols (no cols: every column that is
// neither key nor in the index).
func (tx *Transaction) UpdateUnique(t *Table, ix int, rb *schema.RowBuilder, cols ...int) *Operation {
	o := tx.uniqueOp(t, ix, gsn.OpUpdate, rb)
	if o.err != nil {
		return o
	}
	o.s1 = rb.AppendRow(o.s1)
	cs := columnSet(t, cols)
	o.s2 = appendColumnSet(o.s2, &cs)
	return o
}

func (tx *Transaction) setErr(e *Error) {
	if tx.err == nil {
		tx.err = e
	}
}

// Execute sends the operations defined since the last Execute and waits
// for the outcome: NoCommit prepares them, Commit also commits, Rollback
// throws the transaction away. The error is an *Error; after an error the
// transaction is aborted. Other transactions of the Ndb that complete
// meanwhile run their callbacks.
func (tx *Transaction) Execute(et ExecType) error {
	if !tx.prepare(et, nil) {
		return tx.Err()
	}
	n := tx.ndb
	n.prepared = append(n.prepared, tx)
	n.flush()
	n.runLocal()
	deadline := time.Now().Add(n.c.opts.TransactionTimeout + time.Second)
	for tx.busy {
		if _, ok := n.poll(deadline); !ok && tx.busy {
			tx.timeout()
		}
	}
	return tx.Err()
}

// ExecuteAsync prepares the transaction to be sent by the Ndb's next
// SendPollNdb (NDB's executeAsynchPrepare); cb runs on the polling
// goroutine when it completes, with tx.Err().
func (tx *Transaction) ExecuteAsync(et ExecType, cb func(*Transaction, error)) {
	if tx.prepare(et, cb) {
		tx.ndb.prepared = append(tx.ndb.prepared, tx)
	} else if cb != nil {
		cb(tx, tx.Err())
	}
}

// Future is the outcome of ExecuteFuture.
type Future struct {
	tx   *Transaction
	done chan struct{}
	err  error
}

// ExecuteFuture is the Go-idiomatic form of ExecuteAsync: the returned
// Future's Done channel closes when the transaction completes. Someone
// must drive the Ndb: Future.Wait does, or a SendPollNdb loop on the
// Ndb's goroutine.
func (tx *Transaction) ExecuteFuture(et ExecType) *Future {
	f := &Future{tx: tx, done: make(chan struct{})}
	tx.ExecuteAsync(et, func(_ *Transaction, err error) {
		f.err = err
		close(f.done)
	})
	return f
}

// Done is closed when the transaction has completed.
func (f *Future) Done() <-chan struct{} { return f.done }

// Err is the outcome once Done is closed.
func (f *Future) Err() error { return f.err }

// Wait sends what the Ndb has prepared and polls until the transaction
// completes. Call it on the Ndb's goroutine.
func (f *Future) Wait() error {
	n := f.tx.ndb
	n.flush()
	for {
		select {
		case <-f.done:
			return f.err
		default:
		}
		n.PollNdb(n.c.opts.TransactionTimeout, 1)
	}
}

// prepare readies the transaction's next signals; false when it cannot
// execute (its error is set and, with cb, reported).
func (tx *Transaction) prepare(et ExecType, cb func(*Transaction, error)) bool {
	if tx.busy {
		tx.setErr(newError(ndberr.ErrAPIUsage.Code, -1, 0, "Execute while the transaction is executing"))
		return false
	}
	if tx.state != txOpen {
		if tx.state == txClosed || tx.err == nil {
			tx.setErr(newError(ndberr.ErrAPIUsage.Code, -1, 0, "Execute of a finished transaction"))
		}
		return false
	}
	if tx.err != nil { // an operation could not be defined
		tx.abortLocal(et, cb)
		return false
	}
	tx.exec, tx.cb = et, cb
	if et != NoCommit {
		for _, s := range tx.scans { // TC closes them
			s.done, s.closing = true, true
		}
	}
	tx.busy = true
	tx.ndb.inflight++
	tx.deadline = time.Time{} // set when sent (Ndb.flush)
	return true
}

// abortLocal rolls back a transaction that failed before it was sent.
func (tx *Transaction) abortLocal(et ExecType, cb func(*Transaction, error)) {
	if tx.begun {
		tx.signal(gsn.TCROLLBACKREQ)
		tx.ndb.add(tx)
	}
	tx.state = txAborted
	if cb != nil {
		cb(tx, tx.Err())
	}
}

// signal readies the Ndb's signal buffer for a word-less request.
func (tx *Transaction) signal(num signal.Number) {
	g := &tx.ndb.sig
	g.Reset()
	g.Number = num
	g.Sender = signal.Address{Node: tx.ndb.c.self, Block: gsn.BlockAPI, Instance: tx.ndb.idx}
	g.Receiver = signal.Address{Node: tx.tc, Block: gsn.BlockTC}
	g.TransID = tx.id
}

// encode adds the transaction's pending signals to its TC's frame.
func (tx *Transaction) encode() {
	n := tx.ndb
	if !tx.busy {
		return
	}
	if !tx.begun {
		tx.tcConn = n.c.connectCount(tx.tc)
	} else if tx.tcConn != n.c.connectCount(tx.tc) {
		// The TC's node reconnected since the earlier execution: its TC
		// no longer knows the transaction, whose earlier operations the
		// takeover settles. Sending the rest would start a new
		// transaction with only the later operations.
		tx.fail(newError(ndberr.ErrTCNodeFailed.Code, -1, uint16(tx.tc), fmt.Sprintf(
			"data node %d, the TC of transaction %#x, disconnected between its executions", tx.tc, tx.id)))
		return
	}
	switch tx.exec {
	case Rollback:
		if !tx.begun {
			tx.busy = false
			n.inflight--
			tx.state = txAborted
			n.local = append(n.local, tx)
			return
		}
		tx.rollbk = true
		tx.signal(gsn.TCROLLBACKREQ)
		n.add(tx)
		return
	}
	last := tx.nops - 1
	for i := tx.sent; i < tx.nops; i++ {
		o := tx.ops[i]
		flags := o.flags | gsn.TcKeyCommitAck | gsn.TcKeyShortConf // commitack.go; onReply
		if tx.begun {
			flags |= gsn.TcKeyContinued
		}
		if i == last && tx.exec == Commit {
			flags |= gsn.TcKeyCommit
			tx.commit = true
		}
		tx.signal(gsn.TCKEYREQ)
		g := &n.sig
		if flags&gsn.TcKeyUniqueIndex != 0 {
			g.SetWords(o.op, o.table.Def.ID, uint32(i), flags, uint32(o.hash), uint32(o.hash>>32), o.index)
		} else {
			g.SetWords(o.op, o.table.Def.ID, uint32(i), flags, uint32(o.hash), uint32(o.hash>>32))
		}
		g.AddSection(o.s0)
		if len(o.s1) > 0 || len(o.s2) > 0 {
			g.AddSection(o.s1)
		}
		if len(o.s2) > 0 {
			g.AddSection(o.s2)
		}
		n.add(tx)
		tx.wait++
		tx.begun = true
	}
	tx.sent = tx.nops
	if tx.exec == Commit && !tx.commit {
		if !tx.begun { // nothing to commit
			tx.busy = false
			n.inflight--
			tx.state = txCommitted
			n.local = append(n.local, tx)
			return
		}
		tx.commit = true
		tx.signal(gsn.TC_COMMITREQ)
		n.add(tx)
	}
	if tx.wait == 0 && !tx.commit && tx.busy { // NoCommit with nothing new
		tx.busy = false
		n.inflight--
		n.local = append(n.local, tx)
	}
}

// onReply handles one TC answer; true when it completed the execution.
func (tx *Transaction) onReply(r *reply, sect []byte) bool {
	switch r.num {
	case gsn.TCKEYCONF:
		if i := int(r.w[0]); i < tx.nops {
			o := tx.ops[i]
			if !o.done {
				o.done = true
				if sect != nil {
					o.result = append(o.result[:0], sect...)
					o.hasRow = len(sect) >= o.table.Layout.FixedSize
				}
				tx.wait--
			}
		}
		if r.w[1]&gsn.TcKeyConfCommitted != 0 {
			// The last read's answer carries the commit (TcKeyShortConf).
			tx.committed(uint64(r.w[2]) | uint64(r.w[3])<<32)
		}
	case gsn.TCKEYREF:
		op := int(r.w[0])
		e := newError(int(r.w[1]), op, uint16(r.from), "")
		if op < tx.nops {
			tx.ops[op].err = e
		}
		tx.noteStopping(e)
		tx.aborted(e)
	case gsn.TCKEY_FAILCONF, gsn.TCKEY_FAILREF:
		// The takeover of this transaction's failed TC settled it.
		if signal.NodeID(r.w[0]) != tx.tc {
			return false
		}
		if r.num == gsn.TCKEY_FAILREF {
			tx.aborted(newError(ndberr.ErrTCNodeFailed.Code, -1, uint16(tx.tc),
				fmt.Sprintf("data node %d, the TC of transaction %#x, failed; the takeover aborted it", tx.tc, tx.id)))
			break
		}
		tx.gci = uint64(r.w[1]) | uint64(r.w[2])<<32
		tx.commit, tx.wait = false, 0
		if tx.state == txOpen {
			tx.state = txCommitted
		}
	case gsn.TCROLLBACKREP:
		e := newError(int(r.w[0]), -1, uint16(r.from), "")
		tx.noteStopping(e)
		tx.aborted(e)
	case gsn.TCCOMMITCONF:
		tx.committed(uint64(r.w[0]) | uint64(r.w[1])<<32)
	case gsn.TCROLLBACKCONF:
		tx.rollbk = false
		if tx.state == txOpen {
			tx.state = txAborted
		}
	case gsn.SCAN_TABCONF, gsn.SCAN_TABREF:
		for _, s := range tx.scans {
			if s.id == r.w[0] {
				s.onReply(r, sect)
			}
		}
		return false
	default:
		return false
	}
	return tx.maybeDone()
}

// committed notes the commit: every operation is confirmed, also those
// TC sent no TCKEYCONF for (TcKeyShortConf).
func (tx *Transaction) committed(gci uint64) {
	tx.gci = gci
	tx.commit = false
	if tx.wait > 0 {
		for _, o := range tx.ops[:tx.nops] {
			o.done = true
		}
		tx.wait = 0
	}
	if tx.state == txOpen {
		tx.state = txCommitted
	}
}

// noteStopping marks the TC's node as stopping when it refused the
// transaction for a planned stop (270), or as starting (9021): new
// transactions go elsewhere.
func (tx *Transaction) noteStopping(e *Error) {
	switch e.Code {
	case ndberr.ErrNodeShutdown.Code:
		tx.ndb.c.markStopping(tx.tc)
	case ndberr.ErrNodeStarting.Code:
		tx.ndb.c.markStarting(tx.tc)
	}
}

// aborted notes that TC aborted the transaction: nothing more comes.
func (tx *Transaction) aborted(e *Error) {
	tx.setErr(e)
	tx.state = txAborted
	tx.wait, tx.commit, tx.rollbk = 0, false, false
	for _, s := range tx.scans {
		s.abort(e)
	}
}

func (tx *Transaction) maybeDone() bool {
	if !tx.busy || tx.wait > 0 || tx.commit || tx.rollbk {
		return false
	}
	tx.busy = false
	tx.ndb.inflight--
	tx.complete()
	return true
}

// complete runs the callback of a finished execution.
func (tx *Transaction) complete() {
	if cb := tx.cb; cb != nil {
		tx.cb = nil
		cb(tx, tx.Err())
	}
}

// fail ends an execution the API gave up on (a send failure).
func (tx *Transaction) fail(e *Error) {
	tx.aborted(e)
	if tx.busy {
		tx.busy = false
		tx.ndb.inflight--
		tx.ndb.local = append(tx.ndb.local, tx)
	}
}

// tcFailed fails an executing transaction whose TC's data node
// disconnected. Before the commit request the takeover aborts it (4010,
// temporary); after it, with no word from the takeover within
// TakeoverWait, the outcome is unknown (4011), since the TC may have
// decided to commit.
func (tx *Transaction) tcFailed() {
	if !tx.commit {
		tx.giveUp(newError(ndberr.ErrTCNodeFailed.Code, -1, uint16(tx.tc), fmt.Sprintf("data node %d, the TC of transaction %#x, disconnected", tx.tc, tx.id)))
		return
	}
	// Say what was waited for: the takeover's last report of this TC
	// node, against when the transaction was sent.
	last := tx.ndb.c.takenOver[tx.tc].Load()
	report := "none seen"
	if last != 0 {
		report = fmt.Sprintf("the last one %v after it was sent", time.Unix(0, last).Sub(tx.sentAt))
	}
	tx.giveUp(newError(ndberr.ErrTCNodeFailedCommit.Code, -1, uint16(tx.tc), fmt.Sprintf(
		"data node %d, the TC of transaction %#x, disconnected during the commit, and no takeover report (TC_TAKEOVERREP) came in %v (%s)",
		tx.tc, tx.id, tx.ndb.c.opts.TakeoverWait, report)))
}

// notTakenOver fails a transaction whose TC failed during the commit and
// whose takeover found no trace of it: no operation record, no commit-ack
// marker (commitack.go). It did not commit.
func (tx *Transaction) notTakenOver() {
	tx.giveUp(newError(ndberr.ErrTCNodeFailed.Code, -1, uint16(tx.tc),
		fmt.Sprintf("data node %d, the TC of transaction %#x, failed before the commit took effect", tx.tc, tx.id)))
}

// timeout ends an execution whose TC did not answer in time: 4012, the
// outcome unknown.
func (tx *Transaction) timeout() {
	tx.giveUp(newError(ndberr.ErrTCTimeout.Code, -1, uint16(tx.tc),
		fmt.Sprintf("no answer from data node %d's TC for transaction %#x in %v", tx.tc, tx.id, tx.ndb.c.opts.TransactionTimeout)))
}

// giveUp ends an executing transaction with e, without waiting for more
// answers.
func (tx *Transaction) giveUp(e *Error) {
	tx.tcDownAt = time.Time{}
	tx.aborted(e)
	tx.busy = false
	tx.ndb.inflight--
	tx.complete()
}
