package ndbapi

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal/gsn"
)

// ScanOptions configure a scan. The zero value scans every fragment at
// once with the data nodes' default batch, without locks or filter.
type ScanOptions struct {
	// Parallel is how many fragments are scanned at once (0: all).
	Parallel int
	// BatchRows and BatchBytes bound each fragment's batch (0: default).
	BatchRows, BatchBytes int
	// Lock: CommittedRead, or LockShared/LockExclusive to lock each row
	// returned until the transaction ends (then rows may be updated or
	// deleted in the same transaction: Scan.UpdateCurrent, DeleteCurrent).
	Lock LockMode
	// Filter is a pushed-down filter program (schema/filter.Builder).
	Filter []byte
	// Index scans: Low and High are search keys (Table.SearchKey; nil:
	// unbounded), with their inclusive flags; Descending reverses the order
	// within each fragment.
	Low, High                   []byte
	LowInclusive, HighInclusive bool
	Descending                  bool
	// Ordered merges the fragments' ordered streams into one index order
	// (index scans; forces Parallel to every fragment).
	Ordered bool
}

// Scan is a running table or index scan of a transaction. Not safe for
// concurrent use (its Ndb's goroutine only).
type Scan struct {
	tx      *Transaction
	t       *Table
	id      uint32
	opts    ScanOptions
	cols    []int // ordered index columns (Ordered)
	frags   []fragBatch
	ready   []uint32 // unordered: fragments with a batch to consume, in arrival order
	cur     int      // the fragment the current row came from (-1: none)
	row     []byte
	done    bool // TC said ScanDone (or the scan failed)
	closing bool
	err     *Error
	sent    bool // SCAN_NEXTREQs queued in the frame

	batchesIn, rowsIn uint64 // batches and rows received (Received)
}

type fragBatch struct {
	buf      []byte
	pos      int
	have     bool // a batch is here (possibly consumed)
	fragDone bool
}

// ScanTable starts a scan of table t in the transaction.
func (tx *Transaction) ScanTable(t *Table, opts ScanOptions) (*Scan, error) {
	return tx.scan(t, gsn.ScanNoIndex, opts)
}

// ScanIndex starts a scan of ordered index ix (a position in
// t.Def.Indexes) between opts.Low and opts.High.
func (tx *Transaction) ScanIndex(t *Table, ix int, opts ScanOptions) (*Scan, error) {
	if _, ok := t.ordered[ix]; !ok {
		return nil, newError(ndberr.ErrBadAttribute.Code, -1, 0, fmt.Sprintf("table %s: index %d is not an ordered index", t.Def.Name, ix))
	}
	return tx.scan(t, uint32(ix), opts)
}

func (tx *Transaction) scan(t *Table, index uint32, opts ScanOptions) (*Scan, error) {
	if tx.state != txOpen || tx.busy {
		return nil, newError(ndberr.ErrAPIUsage.Code, -1, 0, "scan on a finished or executing transaction")
	}
	s := &Scan{tx: tx, t: t, id: uint32(len(tx.scans)), opts: opts, cur: -1, frags: make([]fragBatch, t.Fragments())}
	if opts.Ordered {
		if index == gsn.ScanNoIndex {
			return nil, newError(ndberr.ErrAPIUsage.Code, -1, 0, "an ordered scan needs an index")
		}
		s.cols = t.ordered[int(index)]
		opts.Parallel = 0
	}
	flags := uint32(0)
	switch opts.Lock {
	case LockShared:
		flags |= gsn.ScanLockShared
	case LockExclusive:
		flags |= gsn.ScanLockExclusive
	}
	if opts.Descending {
		flags |= gsn.ScanDescending
	}
	if opts.LowInclusive {
		flags |= gsn.ScanLowInclusive
	}
	if opts.HighInclusive {
		flags |= gsn.ScanHighInclusive
	}
	tx.scans = append(tx.scans, s)
	tx.signal(gsn.SCAN_TABREQ)
	g := &tx.ndb.sig
	g.SetWords(t.Def.ID, s.id, flags, uint32(opts.Parallel), uint32(opts.BatchRows), uint32(opts.BatchBytes), index)
	g.AddSection(opts.Filter)
	g.AddSection(opts.Low)
	g.AddSection(opts.High)
	if !tx.begun {
		tx.tcConn = tx.ndb.c.connectCount(tx.tc)
	}
	tx.ndb.add(tx)
	tx.begun = true
	tx.ndb.flush()
	if tx.err != nil {
		return nil, tx.err
	}
	return s, nil
}

func (s *Scan) onReply(r *reply, sect []byte) {
	if r.num == gsn.SCAN_TABREF {
		s.abort(newError(int(r.w[1]), -1, uint16(r.from), ""))
		return
	}
	flags := r.w[2]
	if r.w[1] == gsn.ScanClose {
		s.done = true
		return
	}
	if flags&gsn.ScanDone != 0 {
		s.done = true
	}
	if s.closing {
		return
	}
	f := int(r.w[1])
	if f >= len(s.frags) {
		return
	}
	fb := &s.frags[f]
	s.batchesIn++
	s.rowsIn += uint64(r.w[3])
	fb.buf = append(fb.buf[:0], sect...)
	fb.pos, fb.have = 0, true
	fb.fragDone = flags&gsn.ScanFragDone != 0
	if s.cols == nil {
		s.ready = append(s.ready, uint32(f))
	}
}

func (s *Scan) abort(e *Error) {
	if s.err == nil {
		s.err = e
	}
	s.done = true
}

// Received reports the batches and rows that have arrived from the data
// nodes so far (rows sent that Next has not returned yet included).
func (s *Scan) Received() (batches, rows uint64) { return s.batchesIn, s.rowsIn }

// Err is the error that ended the scan, or nil.
func (s *Scan) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// rowAt reads the row at fb.pos: its image and the next position.
func rowAt(fb *fragBatch) ([]byte, int, bool) {
	if fb.pos+4 > len(fb.buf) {
		return nil, 0, false
	}
	n := int(binary.LittleEndian.Uint32(fb.buf[fb.pos:]))
	end := fb.pos + 4 + n
	if n < 0 || end > len(fb.buf) {
		return nil, 0, false
	}
	return fb.buf[fb.pos+4 : end], end, true
}

// requestNext asks TC for fragment f's next batch.
func (s *Scan) requestNext(f int) {
	fb := &s.frags[f]
	fb.have = false
	tx := s.tx
	tx.signal(gsn.SCAN_NEXTREQ)
	tx.ndb.sig.SetWords(s.id, uint32(f))
	tx.ndb.add(tx)
	s.sent = true
}

// exhausted reports whether fragment f's batch is consumed.
func (fb *fragBatch) exhausted() bool {
	_, _, ok := rowAt(fb)
	return !ok
}

// Next advances to the next row; false at the end or on an error (Err).
// The row is valid until the next call.
func (s *Scan) Next() (schema.Row, bool) {
	if s.cur >= 0 {
		s.release(s.cur)
		s.cur = -1
	}
	deadline := time.Now().Add(s.tx.ndb.c.opts.TransactionTimeout)
	for {
		if s.err != nil {
			return schema.Row{}, false
		}
		var f int
		var ok bool
		if s.cols != nil {
			f, ok = s.pickOrdered()
		} else {
			f, ok = s.pickUnordered()
		}
		if s.sent {
			s.tx.ndb.flush()
			s.sent = false
		}
		if ok {
			if f < 0 {
				return schema.Row{}, false
			}
			fb := &s.frags[f]
			img, next, _ := rowAt(fb)
			fb.pos = next
			s.row, s.cur = img, f
			return s.t.Layout.RowOf(img), true
		}
		if _, alive := s.tx.ndb.poll(deadline); !alive {
			s.abort(newError(ndberr.ErrTCTimeout.Code, -1, uint16(s.tx.tc), "scan batch did not arrive"))
		}
	}
}

// release asks for fragment f's next batch once its batch is consumed.
func (s *Scan) release(f int) {
	fb := &s.frags[f]
	if fb.have && fb.exhausted() && !fb.fragDone && !s.closing && !s.done {
		s.requestNext(f)
	}
}

// pickUnordered returns a fragment with a row ready (ok, f >= 0), the
// end (ok, -1), or nothing yet (!ok).
func (s *Scan) pickUnordered() (int, bool) {
	for len(s.ready) > 0 {
		f := int(s.ready[0])
		fb := &s.frags[f]
		if fb.have && !fb.exhausted() {
			return f, true
		}
		s.ready = s.ready[1:]
		if len(s.ready) == 0 {
			s.ready = s.ready[:0:cap(s.ready)]
		}
		s.release(f)
	}
	if s.done {
		return -1, true
	}
	return 0, false
}

// pickOrdered returns the fragment whose next row is first in index
// order, once every unfinished fragment has a batch.
func (s *Scan) pickOrdered() (int, bool) {
	best := -1
	var bestRow schema.Row
	for f := range s.frags {
		fb := &s.frags[f]
		if !fb.have {
			if fb.fragDone || s.done {
				continue
			}
			return 0, false // wait for this fragment
		}
		img, _, ok := rowAt(fb)
		if !ok {
			if fb.fragDone {
				continue
			}
			s.release(f)
			return 0, false
		}
		r := s.t.Layout.RowOf(img)
		if best < 0 {
			best, bestRow = f, r
			continue
		}
		c := s.t.Layout.CompareRows(s.cols, r, bestRow)
		if s.opts.Descending {
			c = -c
		}
		if c < 0 {
			best, bestRow = f, r
		}
	}
	return best, true
}

// Key is the current row's primary-key image (valid until Next).
func (s *Scan) Key() []byte { return s.row[:s.t.Layout.KeySize] }

// DeleteCurrent defines, in the scan's transaction, a delete of the
// current row (lock the scan to be sure it is the row just read).
func (s *Scan) DeleteCurrent() *Operation { return s.tx.DeleteKey(s.t, s.Key()) }

// UpdateCurrent defines an update of the current row setting cols from rb
// (its key columns are taken from the current row).
func (s *Scan) UpdateCurrent(rb *schema.RowBuilder, cols ...int) *Operation {
	o := s.tx.Update(s.t, rb, cols...)
	copy(o.s0, s.Key())
	o.hash = s.t.keyHash(s.Key(), s.tx.scratch[:0])
	return o
}

// Close stops the scan early (rows a locking scan locked stay locked
// until the transaction ends) and waits for TC to confirm.
func (s *Scan) Close() error {
	if s.done || s.closing {
		return s.Err()
	}
	s.closing = true
	tx := s.tx
	tx.signal(gsn.SCAN_NEXTREQ)
	tx.ndb.sig.SetWords(s.id, gsn.ScanClose)
	tx.ndb.add(tx)
	tx.ndb.flush()
	deadline := time.Now().Add(tx.ndb.c.opts.TransactionTimeout)
	for !s.done {
		if _, alive := tx.ndb.poll(deadline); !alive {
			s.abort(newError(ndberr.ErrTCTimeout.Code, -1, uint16(tx.tc), "scan close not confirmed"))
		}
	}
	return s.Err()
}
