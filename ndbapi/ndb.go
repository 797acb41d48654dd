package ndbapi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// reply is one signal from a TC, copied out of the frame; its section 0
// lives in the inbox's arena at off (n bytes; -1: none).
type reply struct {
	num    signal.Number
	from   signal.NodeID
	trans  uint64
	w      [4]uint32
	off, n int32
}

// inbox is where the receive goroutines leave an Ndb's replies: two
// slices under the Ndb's own mutex (no lock shared between Ndbs), swapped
// by the Ndb's goroutine when it polls. The receiver never blocks on a
// slow Ndb; the slices grow to the Ndb's peak and are then reused, so the
// steady state allocates nothing.
type inbox struct {
	mu      sync.Mutex
	replies []reply
	arena   []byte
	notify  chan struct{} // cap 1: something arrived
}

func (in *inbox) deliver(from signal.NodeID, v *signal.View) {
	r := reply{num: v.Number(), from: from, trans: v.TransID(), n: -1}
	nw := min(v.NumWords(), len(r.w))
	for i := 0; i < nw; i++ {
		r.w[i] = v.Word(i)
	}
	in.mu.Lock()
	if v.NumSections() > 0 {
		s := v.Section(0)
		r.off, r.n = int32(len(in.arena)), int32(len(s))
		in.arena = append(in.arena, s...)
	}
	in.replies = append(in.replies, r)
	in.mu.Unlock()
	select {
	case in.notify <- struct{}{}:
	default:
	}
}

// Ndb is one thread's handle on the cluster, as NDB's Ndb object: it
// starts transactions, sends them and polls for their completion. An Ndb
// is NOT safe for concurrent use: give each goroutine its own (they are
// cheap); replies for its transactions are routed to it alone.
type Ndb struct {
	c     *Cluster
	idx   uint16
	in    inbox
	spare struct {
		replies []reply
		arena   []byte
	}
	slots    []*Transaction // by slot number (transaction id bits 16-31)
	free     []uint16
	prepared []*Transaction // ExecuteAsync'ed, not yet sent
	local    []*Transaction // completed without a round trip, callbacks due
	inflight int
	writers  map[signal.NodeID]*nodeWriter
	dirty    []*nodeWriter
	sig      signal.Signal
	timer    *time.Timer
	nextScan time.Time // next time-out check
	polledAt time.Time // when replies were last taken in (PolledAt)
	uniq     map[uint32]*schema.UniqueIndex
	scratch  []byte
	closed   bool
	// acks are the commit acknowledgements owed to TCs (commitack.go).
	acks     []ackBatch
	ackCount int
}

type nodeWriter struct {
	node signal.NodeID
	w    signal.FrameWriter
	txs  []*Transaction // transactions with signals in the frame
}

// NewNdb returns a new Ndb. Close it when done.
func (c *Cluster) NewNdb() (*Ndb, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	n := &Ndb{c: c, writers: map[signal.NodeID]*nodeWriter{}, uniq: map[uint32]*schema.UniqueIndex{}}
	n.in.notify = make(chan struct{}, 1)
	n.timer = time.NewTimer(time.Hour)
	n.timer.Stop()
	max := c.opts.MaxTransactions
	n.slots = make([]*Transaction, max)
	for i := max - 1; i >= 0; i-- {
		n.free = append(n.free, uint16(i))
	}
	c.ndbMu.Lock()
	defer c.ndbMu.Unlock()
	old := *c.ndbs.Load()
	var idx int
	if k := len(c.freeNdb); k > 0 {
		idx = int(c.freeNdb[k-1])
		c.freeNdb = c.freeNdb[:k-1]
	} else {
		idx = len(old)
		if idx > 0xFFFF {
			return nil, errors.New("ndbapi: too many Ndb objects (65536)")
		}
	}
	next := make([]*Ndb, max2(len(old), idx+1))
	copy(next, old)
	next[idx] = n
	n.idx = uint16(idx)
	c.ndbs.Store(&next)
	return n, nil
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Close releases the Ndb; its open transactions are abandoned (their TCs
// time them out).
func (n *Ndb) Close() {
	if n.closed {
		return
	}
	n.sendAcks() // owed to TCs: send them now
	n.flushDirty()
	n.closed = true
	c := n.c
	c.ndbMu.Lock()
	defer c.ndbMu.Unlock()
	old := *c.ndbs.Load()
	next := make([]*Ndb, len(old))
	copy(next, old)
	next[n.idx] = nil
	c.ndbs.Store(&next)
	c.freeNdb = append(c.freeNdb, n.idx)
}

// Cluster returns the Ndb's cluster connection.
func (n *Ndb) Cluster() *Cluster { return n.c }

// StartTransaction starts a transaction whose TC runs on the data node
// holding the primary replica of key (a key image of table, e.g.
// RowBuilder.AppendKey) — NDB's distribution hint. With a nil table or
// key, the TC is picked round robin.
func (n *Ndb) StartTransaction(table *Table, key []byte) (*Transaction, error) {
	var prefer signal.NodeID
	if table != nil && key != nil {
		prefer = table.primaryOf(table.keyHash(key, n.scratch[:0]))
	}
	return n.start(prefer)
}

// StartTransactionOn starts a transaction on data node node's TC (falling
// back to another data node when it is not connected).
func (n *Ndb) StartTransactionOn(node signal.NodeID) (*Transaction, error) { return n.start(node) }

func (n *Ndb) start(prefer signal.NodeID) (*Transaction, error) {
	if n.closed {
		return nil, ErrClosed
	}
	tc, ok := n.c.chooseTC(prefer)
	if !ok {
		return nil, newError(ndberr.ErrClusterUnavailable.Code, -1, 0, "no data node is connected")
	}
	k := len(n.free)
	if k == 0 {
		return nil, newError(ndberr.ErrAPIUsage.Code, -1, 0, fmt.Sprintf("this Ndb has %d transactions open (Options.MaxTransactions)", len(n.slots)))
	}
	slot := n.free[k-1]
	n.free = n.free[:k-1]
	tx := n.slots[slot]
	if tx == nil {
		tx = &Transaction{ndb: n, slot: slot}
		n.slots[slot] = tx
	}
	tx.gen++
	tx.reset(uint64(n.c.self)<<48|uint64(n.idx)<<32|uint64(slot)<<16|uint64(tx.gen), tc)
	return tx, nil
}

// writer returns the frame being built for node.
func (n *Ndb) writer(node signal.NodeID) *nodeWriter {
	nw := n.writers[node]
	if nw == nil {
		nw = &nodeWriter{node: node}
		nw.w.Reset()
		n.writers[node] = nw
	}
	if nw.w.Len() == 0 && len(nw.txs) == 0 {
		n.dirty = append(n.dirty, nw)
	}
	return nw
}

// add appends n.sig to tx's TC's frame, flushing a full frame first.
func (n *Ndb) add(tx *Transaction) {
	nw := n.writer(tx.tc)
	if k := len(nw.txs); k == 0 || nw.txs[k-1] != tx {
		nw.txs = append(nw.txs, tx)
	}
	if err := nw.w.Add(&n.sig); err != nil {
		if errors.Is(err, signal.ErrTooLarge) && nw.w.Len() > 0 {
			n.flushNode(nw)
			nw = n.writer(tx.tc)
			nw.txs = append(nw.txs, tx)
			err = nw.w.Add(&n.sig)
		}
		if err != nil {
			tx.fail(newError(ndberr.ErrAPIUsage.Code, -1, 0, err.Error()))
		}
	}
}

// sendRetries bounds how long a flush waits out a full send buffer.
const sendRetries = 2000

// flushNode sends one node's frame; the transactions in a frame that
// cannot be sent fail with a temporary error.
func (n *Ndb) flushNode(nw *nodeWriter) {
	if nw.w.Len() > 0 {
		var err error
		for try := 0; ; try++ {
			err = n.c.tr.Send(nw.node, nw.w.Bytes())
			if err == nil || !errors.Is(err, transport.ErrOverloaded) || try >= sendRetries {
				break
			}
			time.Sleep(20 * time.Microsecond)
		}
		if err != nil {
			for _, tx := range nw.txs {
				tx.fail(newError(ndberr.ErrSendFailed.Code, -1, uint16(nw.node), err.Error()))
			}
		}
	}
	nw.w.Reset()
	clear(nw.txs)
	nw.txs = nw.txs[:0]
}

// flush sends every prepared transaction: one frame per data node.
func (n *Ndb) flush() {
	if len(n.prepared) > 0 {
		now := time.Now()
		deadline := now.Add(n.c.opts.TransactionTimeout)
		for _, tx := range n.prepared {
			tx.sentAt, tx.deadline = now, deadline
			tx.encode()
		}
	}
	clear(n.prepared)
	n.prepared = n.prepared[:0]
	n.sendAcks()
	n.flushDirty()
}

// flushDirty sends every frame built.
func (n *Ndb) flushDirty() {
	for _, nw := range n.dirty {
		n.flushNode(nw)
	}
	clear(n.dirty)
	n.dirty = n.dirty[:0]
}

// SendPollNdb sends every transaction prepared with ExecuteAsync, then
// waits up to timeout until at least minCompleted transactions completed
// (0: all in flight), running their callbacks on this goroutine. It
// returns how many completed (NDB's sendPollNdb).
func (n *Ndb) SendPollNdb(timeout time.Duration, minCompleted int) int {
	n.flush()
	return n.PollNdb(timeout, minCompleted)
}

// PollNdb waits, like SendPollNdb, without sending.
func (n *Ndb) PollNdb(timeout time.Duration, minCompleted int) int {
	done := n.runLocal()
	if minCompleted <= 0 {
		minCompleted = n.inflight + done
	}
	deadline := time.Now().Add(timeout)
	for done < minCompleted && n.inflight > 0 {
		k, ok := n.poll(deadline)
		done += k
		if !ok {
			break
		}
	}
	return done
}

// Pending is the number of transactions sent and not yet completed.
func (n *Ndb) Pending() int { return n.inflight }

func (n *Ndb) runLocal() int {
	k := len(n.local)
	for i := 0; i < len(n.local); i++ {
		n.local[i].complete()
	}
	clear(n.local)
	n.local = n.local[:0]
	return k
}

// poll waits until replies arrive or deadline passes, handles them, and
// returns how many transactions completed; ok is false at the deadline.
func (n *Ndb) poll(deadline time.Time) (completed int, ok bool) {
	now := time.Now()
	if !now.Before(n.nextScan) {
		completed += n.expire(now)
		n.nextScan = now.Add(timeoutCheck)
	}
	wait := min(deadline.Sub(now), n.nextScan.Sub(now))
	select {
	case <-n.in.notify:
	default:
		if wait <= 0 {
			return completed, !now.After(deadline)
		}
		n.timer.Reset(wait)
		select {
		case <-n.in.notify:
			n.timer.Stop()
		case <-n.timer.C:
			return completed, time.Now().Before(deadline)
		}
	}
	return completed + n.drain(), true
}

// timeoutCheck is how often the API looks for transactions whose TC has
// not answered within TransactionTimeout.
const timeoutCheck = 50 * time.Millisecond

// PolledAt is when the Ndb last took replies in: callbacks can time their
// transactions by it (SendPollNdb reads the clock once per batch of
// replies, not per transaction). Before the first poll it is zero.
func (n *Ndb) PolledAt() time.Time { return n.polledAt }

// drain handles every reply in the inbox.
func (n *Ndb) drain() int {
	n.polledAt = time.Now()
	in := &n.in
	in.mu.Lock()
	rs, arena := in.replies, in.arena
	in.replies, in.arena = n.spare.replies[:0], n.spare.arena[:0]
	in.mu.Unlock()
	done := 0
	for i := range rs {
		r := &rs[i]
		var sect []byte
		if r.n >= 0 {
			sect = arena[r.off : r.off+r.n]
		}
		if n.handle(r, sect) {
			done++
		}
	}
	n.spare.replies, n.spare.arena = rs[:0], arena[:0]
	return done
}

// handle routes a reply to its transaction; true when that completed it.
func (n *Ndb) handle(r *reply, sect []byte) bool {
	slot := int(uint16(r.trans >> 16))
	if slot >= len(n.slots) {
		return false
	}
	n.noteAck(r) // even for a transaction given up on
	tx := n.slots[slot]
	if tx == nil || tx.id != r.trans {
		return false // a late answer for an earlier transaction
	}
	return tx.onReply(r, sect)
}

// expire fails transactions whose TC has not answered in time, or whose
// TC's data node is no longer connected (it failed: the survivors' takeover
// settles the transaction).
func (n *Ndb) expire(now time.Time) int {
	k := 0
	if n.inflight == 0 {
		return 0
	}
	for _, tx := range n.slots {
		switch {
		case tx == nil || !tx.busy:
		case tx.deadline.IsZero(): // prepared, not sent yet
		case n.c.tcLost(tx.tc, tx.tcConn):
			// After the commit request, wait a while for the takeover to
			// tell the outcome (TCKEY_FAILCONF/REF) before giving 4011.
			if tx.commit && n.c.opts.TakeoverWait > 0 {
				if tx.tcDownAt.IsZero() {
					tx.tcDownAt = now
				}
				if n.c.takeoverDoneSince(tx.tc, tx.sentAt) {
					// The takeover's answers came before its TC_TAKEOVERREP:
					// handle those waiting first. A transaction it found no
					// trace of, not even a commit-ack marker, did not commit.
					id := tx.id
					k += n.drain()
					if tx.id == id && tx.busy {
						tx.notTakenOver()
						k++
					}
					continue
				}
				if now.Sub(tx.tcDownAt) < n.c.opts.TakeoverWait {
					continue
				}
			}
			tx.tcFailed()
			k++
		case now.After(tx.deadline):
			tx.timeout()
			k++
		}
	}
	return k
}

// uniqueIndex returns this Ndb's helper for unique index ix of t.
func (n *Ndb) uniqueIndex(t *Table, ix int) (*schema.UniqueIndex, uint32, error) {
	u, ok := t.uniques[ix]
	if !ok {
		return nil, 0, fmt.Errorf("ndbapi: table %s: index %d is not a unique hash index", t.Def.Name, ix)
	}
	if ui := n.uniq[u.hidden]; ui != nil && ui.Base == t.Layout {
		return ui, u.hidden, nil
	}
	ui, err := schema.NewUniqueIndex(t.Layout, ix, u.hidden)
	if err != nil {
		return nil, 0, err
	}
	n.uniq[u.hidden] = ui
	return ui, u.hidden, nil
}

// appendColumnSet appends a column set in TCKEYREQ's s1 form.
func appendColumnSet(dst []byte, cs *schema.ColumnSet) []byte {
	for _, w := range cs {
		dst = binary.LittleEndian.AppendUint64(dst, w)
	}
	return dst
}
