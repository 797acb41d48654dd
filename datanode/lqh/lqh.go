package lqh

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

type fragKey struct{ table, frag uint32 }

// opKey names an operation record: its TC and the TC's operation index.
// It is two 64-bit words with no padding, so Go's maps hash it as one
// block of memory rather than field by field (it is looked up on every
// signal of a key operation).
type opKey struct {
	trans uint64
	tcIdx uint64 // TC node << 32 | operation index
}

func mkOpKey(tc signal.NodeID, trans uint64, idx uint32) opKey {
	return opKey{trans: trans, tcIdx: uint64(tc)<<32 | uint64(idx)}
}

func (k opKey) tcNode() signal.NodeID { return signal.NodeID(k.tcIdx >> 32) }
func (k opKey) idx() uint32           { return uint32(k.tcIdx) }

// rowOp is one store operation record. Several operations of a
// transaction on one row share it (the store joins them), so it is
// committed when the last of them commits (the write's COMMIT, which comes
// back from the backups, not an earlier lock's) and aborted by the first
// ABORT.
type rowOp struct {
	frag  *store.Fragment
	ref   store.OpRef
	tag   uint32   // its index in LQH.rowTags while its store operation is live
	stats *FragOps // its replica's counters (nil: look them up)
	users int      // operations not yet committed
	refs  int      // operation records pointing here; at 0 the rowOp is reused
	done  bool     // committed or aborted in the store
}

type opRec struct {
	row       *rowOp   // a key operation's row (nil for a scan's record)
	scanned   []*rowOp // the rows a locking scan locked
	committed bool
	gci       uint64 // the commit's GCI, once committed (a takeover reads it)
	op        uint8  // gsn.Op* (OpScan for a locking scan's record), for ndbinfo
	shared    bool   // a shared-lock scan's record
}

// rowOps calls fn for every store operation the record holds.
func (o *opRec) rowOps(fn func(*rowOp)) {
	if o.row != nil {
		fn(o.row)
	}
	for _, ro := range o.scanned {
		fn(ro)
	}
}

// waiter is a key request parked behind a row lock held by another
// transaction. It owns a copy of the request; it runs again, in arrival
// order, when a holder of the row commits or aborts, and leaves the queue
// when its transaction is aborted (TC's deadlock time-out).
type waiter struct {
	sig  signal.Signal // sections point into buf
	buf  []byte
	key  opKey
	scan *scanRec // a locking scan waiting for a row, instead of sig
	copy *copyRec // a node restart's copy waiting for a row (copyfrag.go)
}

type waitKey struct {
	frag *store.Fragment
	row  uint64 // a store.RowID, widened so the key has no padding (see opKey)
}

// LQH is one node's local query handler.
type LQH struct {
	block.Handlers
	node  signal.NodeID
	pool  *mem.Pool // for fragments created at run time (ddl.go)
	frags map[fragKey]*store.Fragment
	// dropped are fragments of dropped tables that operation records or
	// scans still point to; closed once they no longer do (ddl.go).
	dropped []*store.Fragment
	ops     opTable
	// rowTags holds the rowOps of live store operations by their tag
	// (store.Fragment.OpTag): an operation joins its row's record through
	// it, without a map; freeTags are the unused tags (0 is never one).
	rowTags  []*rowOp
	freeTags []uint32
	waits    map[waitKey][]*waiter
	// waiting finds a parked request by its operation, for ABORT.
	waiting map[opKey]waitKey
	scans   map[opKey]*scanRec
	freed   []waitKey // rows released by the signal being handled

	// Node restarts (copyfrag.go): copies this node runs as a fragment's
	// primary, and the replicas it is filling as a starting node.
	copies  map[opKey]*copyRec
	filling map[*store.Fragment]bool
	// markers are the commit-ack markers kept by transaction id (marker.go).
	markers map[uint64]marker
	// tcFailed are TC nodes failed and not yet back (takeover.go): their
	// key requests are dropped. inclAt is the view (failure number) that
	// last took each node in.
	tcFailed [signal.MaxNodeID + 1]bool
	inclAt   [signal.MaxNodeID + 1]uint64
	nr       nrJoin // the starting node's side of its node restart (copyfrag.go)
	// leased: reads need the node's read lease, which ends at leaseEnd
	// (lease.go); set by the first LEASE_ORD.
	leased   bool
	leaseEnd time.Duration // Env.Now
	Copy     CopyStats
	// Free lists of records, so the steady state allocates nothing.
	freeOps  []*opRec
	freeRows []*rowOp
	dkey     []byte // scratch for distribution keys
	before   []byte // a write's before image, for unique index maintenance
	imgs     []byte // before and after images passed on to starting replicas
	row      []byte
	out      signal.Signal

	redo    []*redo.Log // redo log parts (redo.go); nil: diskless
	rec     redo.Record
	redoRow []byte
	redoKey []byte
	maxGCI  uint64    // the highest commit GCI seen
	lcp     *lcpState // online local checkpoints (lcp.go); nil: none

	// prefetch is Prefetch's list of keys; sink keeps its loads.
	prefetch []prefetchKey
	sink     uint64

	// Counters for ndbinfo and the metrics (info.go), bumped on the LQH's
	// thread.
	Counters Counters
	// fragStats are each replica's counters (info.go: fragOps).
	fragStats map[*store.Fragment]*FragOps
}

// New creates the LQH of node with an empty fragment replica for every
// fragment of every table in d that the node holds.
func New(node signal.NodeID, d *dih.Distribution, pool *mem.Pool) *LQH {
	l := &LQH{node: node, pool: pool, frags: map[fragKey]*store.Fragment{}, rowTags: []*rowOp{nil},
		waits: map[waitKey][]*waiter{}, waiting: map[opKey]waitKey{}, scans: map[opKey]*scanRec{},
		copies: map[opKey]*copyRec{}, filling: map[*store.Fragment]bool{}, markers: map[uint64]marker{}}
	for _, id := range d.TableIDs() {
		t, _ := d.Table(id)
		for _, f := range t.FragmentsOn(node) {
			l.frags[fragKey{id, f}] = store.NewFragment(pool, t.Layout, f)
		}
	}
	l.On(gsn.LQHKEYREQ, l.lqhKeyReq)
	l.On(gsn.COMMIT, l.commit)
	l.On(gsn.COMPLETE, l.complete)
	l.On(gsn.ABORT, l.abort)
	l.On(gsn.LQH_TRANSREQ, l.lqhTransReq)
	l.On(gsn.REMOVE_MARKER_ORD, l.removeMarkerOrd)
	l.On(gsn.SCAN_FRAGREQ, l.scanFragReq)
	l.On(gsn.SCAN_FRAGNEXT, l.scanFragNext)
	l.On(gsn.NR_EMPTYREQ, l.emptyReq)
	l.On(gsn.COPY_FRAGREQ, l.copyFragReq)
	l.On(gsn.COPY_ROWS, l.copyRows)
	l.On(gsn.COPY_ROWSCONF, l.copyRowsConf)
	l.On(gsn.NODE_FAILREP, l.nodeFailRep)
	l.On(gsn.NODE_INCLREP, l.nodeInclRep)
	l.On(gsn.LEASE_ORD, l.leaseOrd)
	return l
}

// Handle implements block.Block.
func (l *LQH) Handle(env block.Env, s *signal.Signal) { l.Dispatch(env, s) }

// Tick implements block.Block.
func (l *LQH) Tick(block.Env) {
	if l.lcp != nil {
		l.lcpTick()
	}
}

// prefetchKey is a key request's fragment and hash, or, in Prefetch's
// last pass, its candidate row.
type prefetchKey struct {
	f *store.Fragment
	h uint64
}

// Prefetch implements block.Prefetcher: for the key requests of a batch it
// reads the hash index slots their lookups start at, then the rows those
// point to, so that the batch's cache misses overlap instead of each
// request waiting for its own (store.Fragment.PrefetchIndex).
func (l *LQH) Prefetch(sigs []signal.Signal) {
	pf := l.prefetch[:0]
	for i := range sigs {
		s := &sigs[i]
		if s.Number != gsn.LQHKEYREQ || s.Receiver.Block != gsn.BlockLQH || s.NumWords < 8 {
			continue
		}
		f := l.frags[fragKey{s.Words[1], s.Words[2]}]
		if f == nil {
			continue
		}
		pf = append(pf, prefetchKey{f, uint64(s.Words[4]) | uint64(s.Words[5])<<32})
	}
	// Tight loops: the more work between two loads, the fewer the CPU
	// keeps in flight.
	var sink uint64
	for _, p := range pf {
		sink += p.f.PrefetchIndex(p.h)
	}
	n := 0
	for _, p := range pf {
		if r, ok := p.f.Candidate(p.h); ok {
			pf[n] = prefetchKey{p.f, uint64(r)}
			n++
		}
	}
	for _, p := range pf[:n] {
		sink += p.f.PrefetchRow(store.RowID(p.h))
	}
	l.sink += sink
	clear(pf)
	l.prefetch = pf[:0]
}

// Fragment returns this node's replica of a table fragment (tests, scans).
func (l *LQH) Fragment(table, frag uint32) (*store.Fragment, bool) {
	f, ok := l.frags[fragKey{table, frag}]
	return f, ok
}

// Fragments lists the fragment replicas the LQH holds, ordered by table
// and fragment id.
func (l *LQH) Fragments() []*store.Fragment {
	keys := make([]fragKey, 0, len(l.frags))
	for k := range l.frags {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b fragKey) int {
		if a.table != b.table {
			return cmp.Compare(a.table, b.table)
		}
		return cmp.Compare(a.frag, b.frag)
	})
	out := make([]*store.Fragment, len(keys))
	for i, k := range keys {
		out[i] = l.frags[k]
	}
	return out
}

// OpenOperations is the number of operation records held, parked requests
// included.
func (l *LQH) OpenOperations() int { return l.ops.len() + len(l.waiting) }

// Waiting is the number of requests parked behind row locks.
func (l *LQH) Waiting() int { return len(l.waiting) }

// keyReq is LQHKEYREQ's words decoded.
type keyReq struct {
	op, flags, table, frag, idx uint32
	hash                        uint64
	pos, n                      int
	chain                       [gsn.MaxReplicas]signal.NodeID
	tc                          signal.Address
	// commitGCI: the request carries gsn.LqhCommitNow, the commit at this
	// GCI (0: a plain prepare).
	commitGCI uint64
	// api, apiOp and apiGCI: the request carries gsn.LqhAnswerAPI, and
	// LQH answers the API at api (Node 0: TC) for its operation apiOp,
	// committed in epoch apiGCI.
	api    signal.Address
	apiOp  uint32
	apiGCI uint64
}

func parseKeyReq(s *signal.Signal) (keyReq, bool) {
	var r keyReq
	if s.NumWords < 8 {
		return r, false
	}
	w := s.Words[:s.NumWords]
	r.op, r.flags, r.table, r.frag, r.idx = w[0]&0xFFFF, w[0]>>16, w[1], w[2], w[3]
	r.hash = uint64(w[4]) | uint64(w[5])<<32
	r.pos, r.n = int(w[6]), int(w[7])
	if r.n < 1 || r.n > gsn.MaxReplicas || r.pos >= r.n || len(w) < 10+r.n {
		return r, false
	}
	for i := 0; i < r.n; i++ {
		r.chain[i] = signal.NodeID(w[8+i])
	}
	r.tc = signal.Address{Node: signal.NodeID(w[8+r.n]), Block: gsn.BlockTC, Instance: uint16(w[9+r.n])}
	switch e := w[10+r.n:]; {
	case r.flags&gsn.LqhCommitNow != 0 && r.n == 1 && len(e) >= 2:
		r.commitGCI = uint64(e[0]) | uint64(e[1])<<32
	case r.flags&gsn.LqhAnswerAPI != 0 && r.n == 1 && len(e) >= 5 && e[0] != 0 && e[0] <= signal.MaxNodeID:
		r.api = signal.Address{Node: signal.NodeID(e[0]), Block: gsn.BlockAPI, Instance: uint16(e[1])}
		r.apiOp, r.apiGCI = e[2], uint64(e[3])|uint64(e[4])<<32
	}
	return r, true
}

func (l *LQH) lqhKeyReq(env block.Env, s *signal.Signal) { l.execKeyReq(env, s, nil) }

// execKeyReq runs a key request: a new one (w nil) or a parked one again.
func (l *LQH) execKeyReq(env block.Env, s *signal.Signal, w *waiter) {
	r, ok := parseKeyReq(s)
	if !ok {
		return // malformed: the sender's bug; nothing to answer to
	}
	f, ok := l.frags[fragKey{r.table, r.frag}]
	if !ok {
		l.refuse(env, r, s.TransID, ndberr.ErrNoSuchTable)
		return
	}
	if l.tcFailed[r.tc.Node] {
		l.Counters.FailedTCRequests++
		return // see takeover.go
	}
	if isRead(r.op) && l.fenced(env) {
		l.refuse(env, r, s.TransID, ndberr.ErrReadFenced)
		return
	}
	key := mkOpKey(r.tc.Node, s.TransID, r.idx)
	fo := l.fragOps(f)
	if w == nil {
		l.Counters.keyOp(r.op)
		fo.keyOp(r.op)
	}
	if w == nil && gsn.IsWrite(r.op) {
		if err := l.redoAdmit(r.frag); err != nil {
			fo.Refs++
			l.refuse(env, r, s.TransID, err)
			return
		}
	}
	tx := store.TxID(s.TransID)
	data := s.Section(0)
	// TC keeps unique indexes in step from the row's images before and
	// after the operation, which the last replica returns. When the chain
	// ends in starting replicas (a node restart fills them), the last
	// replica before them takes the images and passes them on.
	tail := int(r.flags>>gsn.LqhTailShift) & gsn.LqhTailMask
	images := r.flags&gsn.LqhImages != 0 && r.pos+1+tail == r.n && gsn.IsWrite(r.op)
	passed := r.flags&gsn.LqhImages != 0 && tail > 0 && r.pos+1 == r.n && gsn.IsWrite(r.op)
	if images {
		k := data
		if len(k) > f.Layout().KeySize {
			k = k[:f.Layout().KeySize]
		}
		l.before, _ = f.ReadTx(tx, r.hash, k, l.before[:0]) // none: not found
	}
	var ref store.OpRef
	var err error
	switch r.op {
	case gsn.OpRead:
		l.row, err = f.Read(r.hash, data, l.row[:0])
		if err != nil {
			fo.Refs++
			l.refuse(env, r, s.TransID, err)
			return
		}
		fo.KeyBytes += uint64(len(l.row))
		if r.api.Node != 0 {
			l.answerAPI(env, r, s.TransID, l.row)
			return
		}
		l.conf(env, r.tc, s.TransID, r.idx, l.row)
		return
	case gsn.OpReadExclusive:
		if ref, err = f.PrepareLock(tx, r.hash, data); err == nil {
			l.row, err = f.ReadTx(tx, r.hash, data, l.row[:0])
		}
	case gsn.OpReadShared:
		if ref, err = f.PrepareLockShared(tx, r.hash, data); err == nil {
			l.row, err = f.ReadTx(tx, r.hash, data, l.row[:0])
		}
	case gsn.OpInsert:
		if r.commitGCI != 0 && !l.filling[f] {
			var row store.RowID
			if row, err = f.InsertCommitted(r.hash, data, r.commitGCI); err == nil {
				l.committedInPlace(env, f, store.EffectPut, row, nil, fo, r, s.TransID)
				return
			}
			break // a lock wait or a refusal, as below
		}
		ref, err = f.PrepareInsert(tx, r.hash, data)
	case gsn.OpUpdate:
		var cols schema.ColumnSet
		if c := s.Section(1); len(c) == len(cols)*8 {
			for i := range cols {
				cols[i] = binary.LittleEndian.Uint64(c[8*i:])
			}
		} else {
			cols = allColumns
		}
		if r.commitGCI != 0 && !l.filling[f] {
			// Committed with the prepare: in place when it can be.
			var row store.RowID
			if row, err = f.UpdateCommitted(r.hash, data, &cols, r.commitGCI); err == nil {
				l.committedInPlace(env, f, store.EffectPut, row, nil, fo, r, s.TransID)
				return
			}
			if !errors.Is(err, store.ErrNotInPlace) {
				break // a lock wait or a refusal, as below
			}
		}
		ref, err = f.PrepareUpdate(tx, r.hash, data, &cols)
	case gsn.OpWrite:
		ref, err = f.PrepareWrite(tx, r.hash, data)
	case gsn.OpDelete:
		if r.commitGCI != 0 && !l.filling[f] {
			if l.redoKey, err = f.DeleteCommitted(r.hash, data, l.redoKey[:0]); err == nil {
				l.committedInPlace(env, f, store.EffectDelete, store.NoRow, l.redoKey, fo, r, s.TransID)
				return
			}
			break
		}
		ref, err = f.PrepareDelete(tx, r.hash, data)
	default:
		err = ndberr.ErrBadAttribute
	}
	if errors.Is(err, store.ErrRowLocked) {
		w = l.park(s, w, key, waitKey{f, uint64(f.LastConflict())})
		if r.commitGCI != 0 {
			// It runs again as a plain prepare; TC takes its decision back.
			w.sig.Words[0] &^= gsn.LqhCommitNow << 16
			l.confFlags(env, r.tc, s.TransID, r.idx, gsn.LqhConfWaiting)
		}
		return
	}
	noop := false
	if err != nil && len(l.filling) > 0 && l.filling[f] {
		var ok bool
		ref, ok, err = l.lenient(f, tx, r.op, r.hash, data, err)
		noop = err == nil && !ok
	}
	if err != nil {
		fo.Refs++
		l.refuse(env, r, s.TransID, err)
		return
	}
	if r.commitGCI != 0 && gsn.IsWrite(r.op) {
		l.commitNow(env, f, ref, noop, fo, r, s.TransID)
		return
	}
	o := l.newOpRec()
	if !noop {
		o.row = l.joinRow(f, ref, fo)
	}
	o.op = uint8(r.op)
	l.ops.put(key, o)
	if !gsn.IsWrite(r.op) {
		fo.KeyBytes += uint64(len(l.row))
		l.conf(env, r.tc, s.TransID, r.idx, l.row)
		return
	}
	if images {
		k := data
		if len(k) > f.Layout().KeySize {
			k = k[:f.Layout().KeySize]
		}
		l.row, _ = f.ReadTx(tx, r.hash, k, l.row[:0]) // none: deleted
	}
	if r.pos+1 < r.n {
		// Forward to the next replica: same signal, next position.
		l.out = *s
		l.out.Receiver = signal.Address{Node: r.chain[r.pos+1], Block: gsn.BlockLQH}
		l.out.Words[6] = uint32(r.pos + 1)
		if images {
			// For the starting replicas' last one to answer with.
			if l.out.NumSects < 2 {
				l.out.Sections[1], l.out.NumSects = nil, 2
			}
			l.imgs = binary.LittleEndian.AppendUint32(l.imgs[:0], uint32(len(l.before)))
			l.imgs = append(append(l.imgs, l.before...), l.row...)
			l.out.Sections[2], l.out.NumSects = l.imgs, 3
		}
		env.Send(&l.out)
		return
	}
	if passed {
		l.confPassedImages(env, r, s)
		return
	}
	if images {
		l.confImages(env, r.tc, s.TransID, r.idx, l.before, l.row)
		return
	}
	l.conf(env, r.tc, s.TransID, r.idx, nil)
}

// commitNow commits a write prepared by an LQHKEYREQ that carried TC's
// commit decision (gsn.LqhCommitNow) in the same step: no operation
// record, no COMMIT to wait for.
func (l *LQH) commitNow(env block.Env, f *store.Fragment, ref store.OpRef, noop bool, fo *FragOps, r keyReq, trans uint64) {
	if !noop {
		if err := l.commitStoreOp(f, ref, fo, r.commitGCI); err != nil {
			panic(fmt.Sprintf("lqh node %d: commit of %x/%d: %v", l.node, trans, r.idx, err))
		}
	}
	l.committedNow(env, r, trans)
	l.wakeFreed(env)
}

// committedNow answers TC that a write carrying its commit decision
// committed at that GCI.
func (l *LQH) committedNow(env block.Env, r keyReq, trans uint64) {
	l.maxGCI = max(l.maxGCI, r.commitGCI)
	l.confFlags(env, r.tc, trans, r.idx, gsn.LqhConfCommitted)
}

// committedInPlace finishes a write that the store made and committed in
// one step (store.Fragment.InsertCommitted, UpdateCommitted,
// DeleteCommitted): the redo record (row r's image, or a delete's key)
// and the answer.
func (l *LQH) committedInPlace(env block.Env, f *store.Fragment, eff store.Effect, r store.RowID, key []byte, fo *FragOps, req keyReq, trans uint64) {
	fo.Commits++
	if l.redo != nil {
		l.logCommit(f, eff, r, key, req.commitGCI)
	}
	l.committedNow(env, req, trans)
}

// commitStoreOp commits store operation ref of f at gci, logs the change
// to the redo log and queues the row's waiters to run (wakeFreed).
func (l *LQH) commitStoreOp(f *store.Fragment, ref store.OpRef, stats *FragOps, gci uint64) error {
	row := f.OpRow(ref)
	eff := f.OpEffect(ref)
	if l.redo != nil && eff == store.EffectDelete {
		l.redoKey = append(l.redoKey[:0], f.RowKey(row)...)
	}
	if err := f.Commit(ref, gci); err != nil {
		return err
	}
	if eff != store.EffectNone {
		stats.Commits++
		if l.redo != nil {
			l.logCommit(f, eff, row, l.redoKey, gci)
		}
	}
	l.freed = append(l.freed, waitKey{f, uint64(row)})
	return nil
}

// confPassedImages answers a write at the last replica, a starting one,
// with the images the last full replica passed on in section 2.
func (l *LQH) confPassedImages(env block.Env, r keyReq, s *signal.Signal) {
	b := s.Section(2)
	if len(b) < 4 || int(binary.LittleEndian.Uint32(b)) > len(b)-4 {
		l.confImages(env, r.tc, s.TransID, r.idx, nil, nil)
		return
	}
	n := int(binary.LittleEndian.Uint32(b))
	l.confImages(env, r.tc, s.TransID, r.idx, b[4:4+n], b[4+n:])
}

// confImages answers a write with the row's images before and after it
// (empty when the row did not exist, or no longer does).
func (l *LQH) confImages(env block.Env, tc signal.Address, trans uint64, idx uint32, before, after []byte) {
	out := &l.out
	out.Reset()
	out.Number = gsn.LQHKEYCONF
	out.Receiver = tc
	out.TransID = trans
	out.SetWords(idx)
	out.AddSection(before)
	out.AddSection(after)
	env.Send(out)
}

// allColumns is an update's column set when it names none: every column.
var allColumns = schema.AllColumns(schema.MaxColumns)

// joinRow returns the LQH record of store operation ref, shared by every
// operation of the transaction on that row, with one more user.
func (l *LQH) joinRow(f *store.Fragment, ref store.OpRef, fo *FragOps) *rowOp {
	var ro *rowOp
	if tag := f.OpTag(ref); tag != 0 && int(tag) < len(l.rowTags) {
		if r := l.rowTags[tag]; r != nil && r.frag == f && r.ref == ref && !r.done {
			ro = r
		}
	}
	if ro == nil {
		if n := len(l.freeRows); n > 0 {
			ro = l.freeRows[n-1]
			l.freeRows = l.freeRows[:n-1]
			*ro = rowOp{frag: f, ref: ref, stats: fo}
		} else {
			ro = &rowOp{frag: f, ref: ref, stats: fo}
		}
		if n := len(l.freeTags); n > 0 {
			ro.tag = l.freeTags[n-1]
			l.freeTags = l.freeTags[:n-1]
			l.rowTags[ro.tag] = ro
		} else {
			ro.tag = uint32(len(l.rowTags))
			l.rowTags = append(l.rowTags, ro)
		}
		f.SetOpTag(ref, ro.tag)
	}
	ro.users++
	ro.refs++
	return ro
}

// newOpRec returns an empty operation record, reusing a released one: the
// steady state allocates none.
func (l *LQH) newOpRec() *opRec {
	if n := len(l.freeOps); n > 0 {
		o := l.freeOps[n-1]
		l.freeOps = l.freeOps[:n-1]
		return o
	}
	return &opRec{}
}

// dropOpRec forgets operation record key (after its commit and complete,
// or its abort) and keeps it, and row records no longer pointed to, for
// reuse.
func (l *LQH) dropOpRec(key opKey) {
	o := l.ops.get(key)
	if o == nil {
		return
	}
	l.ops.del(key)
	o.rowOps(func(ro *rowOp) {
		if ro.refs--; ro.refs == 0 && ro.done {
			l.freeRows = append(l.freeRows, ro)
		}
	})
	clear(o.scanned)
	*o = opRec{scanned: o.scanned[:0]}
	l.freeOps = append(l.freeOps, o)
}

// park queues a request refused by a row lock on the row's wait queue
// and returns its waiter.
func (l *LQH) park(s *signal.Signal, w *waiter, key opKey, k waitKey) *waiter {
	if w == nil {
		l.Counters.LockWaits++
		w = &waiter{key: key}
		w.sig = *s
		n := 0
		for i := 0; i < int(s.NumSects); i++ {
			n += len(s.Sections[i])
		}
		w.buf = make([]byte, 0, n)
		for i := 0; i < int(s.NumSects); i++ {
			start := len(w.buf)
			w.buf = append(w.buf, s.Sections[i]...)
			w.sig.Sections[i] = w.buf[start:len(w.buf):len(w.buf)]
		}
	}
	l.enqueue(w, k)
	return w
}

// enqueue adds w to row k's wait queue.
func (l *LQH) enqueue(w *waiter, k waitKey) {
	l.waits[k] = append(l.waits[k], w)
	l.waiting[w.key] = k
}

// wake runs again, in order, the requests parked on a row whose holder just
// committed or aborted. Those refused again park anew (behind the new
// holder, in the same order).
func (l *LQH) wake(env block.Env, k waitKey) {
	q := l.waits[k]
	if len(q) == 0 {
		return
	}
	delete(l.waits, k)
	for _, w := range q {
		delete(l.waiting, w.key)
		if w.scan != nil {
			l.runScan(env, w.scan)
			continue
		}
		if w.copy != nil {
			w.copy.parked = false
			l.runCopy(env, w.copy)
			continue
		}
		l.execKeyReq(env, &w.sig, w)
	}
}

// unpark removes an aborted operation's parked request, if it has one.
func (l *LQH) unpark(key opKey) {
	k, ok := l.waiting[key]
	if !ok {
		return
	}
	delete(l.waiting, key)
	q := l.waits[k]
	for i, w := range q {
		if w.key == key {
			q = append(q[:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(l.waits, k)
	} else {
		l.waits[k] = q
	}
}

// answerAPI answers a committed read that TC handed over
// (gsn.LqhAnswerAPI) straight to the API: TCKEYCONF with the row,
// committed.
func (l *LQH) answerAPI(env block.Env, r keyReq, trans uint64, row []byte) {
	out := &l.out
	out.Reset()
	out.Number = gsn.TCKEYCONF
	out.Receiver = r.api
	out.TransID = trans
	out.SetWords(r.apiOp, gsn.TcKeyConfCommitted, uint32(r.apiGCI), uint32(r.apiGCI>>32))
	out.AddSection(row)
	env.Send(out)
}

// refuse refuses a key request: LQHKEYREF to its TC, or TCKEYREF to the
// API for a request TC handed over (gsn.LqhAnswerAPI), which TC no
// longer knows.
func (l *LQH) refuse(env block.Env, r keyReq, trans uint64, err error) {
	if r.api.Node == 0 {
		l.ref(env, r.tc, trans, r.idx, err)
		return
	}
	l.sendRef(env, gsn.TCKEYREF, r.api, trans, r.apiOp, err)
}

// confFlags answers LQHKEYCONF with flags (gsn.LqhConf*) and no row.
func (l *LQH) confFlags(env block.Env, tc signal.Address, trans uint64, idx, flags uint32) {
	out := &l.out
	out.Reset()
	out.Number = gsn.LQHKEYCONF
	out.Receiver = tc
	out.TransID = trans
	out.SetWords(idx, flags)
	env.Send(out)
}

func (l *LQH) conf(env block.Env, tc signal.Address, trans uint64, idx uint32, row []byte) {
	out := &l.out
	out.Reset()
	out.Number = gsn.LQHKEYCONF
	out.Receiver = tc
	out.TransID = trans
	out.SetWords(idx)
	if row != nil {
		out.AddSection(row)
	}
	env.Send(out)
}

func (l *LQH) ref(env block.Env, tc signal.Address, trans uint64, idx uint32, err error) {
	l.sendRef(env, gsn.LQHKEYREF, tc, trans, idx, err)
}

// sendRef sends refusal n (LQHKEYREF or TCKEYREF) to: w0 the TC's op
// index or the API's op id, w1 err's code.
func (l *LQH) sendRef(env block.Env, n signal.Number, to signal.Address, trans uint64, w0 uint32, err error) {
	code := ndberr.CodeOf(err)
	if code == 0 {
		code = ndberr.ErrInternal.Code
	}
	out := &l.out
	out.Reset()
	out.Number = n
	out.Receiver = to
	out.TransID = trans
	out.SetWords(w0, uint32(code))
	env.Send(out)
}

// chainReq is COMMIT/COMPLETE's words decoded.
type chainReq struct {
	idx   uint32
	gci   uint64
	flags uint32 // w3's high 16 bits (gsn.CommitMarker)
	pos   int
	n     int
	chain [gsn.MaxReplicas]signal.NodeID
}

func parseChainReq(s *signal.Signal) (chainReq, bool) {
	var r chainReq
	if s.NumWords < 5 {
		return r, false
	}
	w := s.Words[:s.NumWords]
	r.idx, r.gci = w[0], uint64(w[1])|uint64(w[2])<<32
	r.flags, r.pos, r.n = w[3]&^0xFFFF, int(w[3]&0xFFFF), int(w[4])
	if r.n < 1 || r.n > gsn.MaxReplicas || r.pos >= r.n || len(w) < 5+r.n {
		return r, false
	}
	for i := 0; i < r.n; i++ {
		r.chain[i] = signal.NodeID(w[5+i])
	}
	return r, true
}

// passBack forwards a COMMIT or COMPLETE to the previous replica, or, at the
// primary, answers TC with reply.
func (l *LQH) passBack(env block.Env, s *signal.Signal, r chainReq, reply signal.Number) {
	l.out = *s
	if r.pos > 0 {
		l.out.Receiver = signal.Address{Node: r.chain[r.pos-1], Block: gsn.BlockLQH}
		l.out.Words[3] = uint32(r.pos-1) | r.flags
		env.Send(&l.out)
		return
	}
	tc := tcOf(s)
	l.out.Reset()
	l.out.Number = reply
	l.out.Receiver = tc
	l.out.TransID = s.TransID
	l.out.SetWords(r.idx)
	env.Send(&l.out)
}

// ownerOf is the TC node that owns the operation record a COMMIT,
// COMPLETE or ABORT names: the word at w, present when a takeover TC
// finishes a failed TC's transaction, else the sender TC's node.
func ownerOf(s *signal.Signal, w int, tc signal.NodeID) signal.NodeID {
	if int(s.NumWords) > w {
		return signal.NodeID(s.Words[w])
	}
	return tc
}

// tcOf finds the TC of a COMMIT/COMPLETE forwarded along the chain: the
// words after the chain name it.
func tcOf(s *signal.Signal) signal.Address {
	n := int(s.Words[4])
	return signal.Address{Node: signal.NodeID(s.Words[5+n]), Block: gsn.BlockTC, Instance: uint16(s.Words[6+n])}
}

func (l *LQH) commit(env block.Env, s *signal.Signal) {
	r, ok := parseChainReq(s)
	if !ok || int(s.NumWords) < 7+r.n {
		return
	}
	owner := ownerOf(s, 7+r.n, tcOf(s).Node)
	key := mkOpKey(owner, s.TransID, r.idx)
	if r.flags&gsn.CommitMarker != 0 {
		l.keepMarker(s.TransID, owner, r.gci)
	}
	if op := l.ops.get(key); op != nil && !op.committed {
		op.committed, op.gci = true, r.gci
		l.maxGCI = max(l.maxGCI, r.gci)
		l.closeScan(key)
		op.rowOps(func(ro *rowOp) {
			// The store operation commits with its last user: the write
			// whose COMMIT comes back from the backups, not an earlier lock.
			if ro.users--; ro.users == 0 && !ro.done {
				if ro.stats == nil {
					ro.stats = l.fragOps(ro.frag)
				}
				if err := l.commitStoreOp(ro.frag, ro.ref, ro.stats, r.gci); err != nil {
					panic(fmt.Sprintf("lqh node %d: commit of %x/%d: %v", l.node, s.TransID, r.idx, err))
				}
				l.finish(ro)
			}
		})
	}
	if r.flags&gsn.CommitComplete != 0 && r.n == 1 {
		l.dropOpRec(key) // no COMPLETE follows (gsn.CommitComplete)
	}
	l.passBack(env, s, r, gsn.COMMITTED)
	l.wakeFreed(env)
}

// wakeFreed runs the requests parked on the rows just released.
func (l *LQH) wakeFreed(env block.Env) {
	for len(l.freed) > 0 {
		k := l.freed[len(l.freed)-1]
		l.freed = l.freed[:len(l.freed)-1]
		l.wake(env, k)
	}
}

// finish forgets a store operation once committed or aborted: the store may
// hand its OpRef to a new operation at once.
func (l *LQH) finish(ro *rowOp) {
	ro.done = true
	if ro.tag == 0 {
		return
	}
	if ro.frag.OpTag(ro.ref) == ro.tag { // still the store's record (not released)
		ro.frag.SetOpTag(ro.ref, 0)
	}
	l.rowTags[ro.tag] = nil
	l.freeTags = append(l.freeTags, ro.tag)
	ro.tag = 0
}

func (l *LQH) complete(env block.Env, s *signal.Signal) {
	r, ok := parseChainReq(s)
	if !ok || int(s.NumWords) < 7+r.n {
		return
	}
	l.dropOpRec(mkOpKey(ownerOf(s, 7+r.n, tcOf(s).Node), s.TransID, r.idx))
	l.passBack(env, s, r, gsn.COMPLETED)
}

// abort: w0 TC op index, w1 receiver's position, w2 chain length, w3..
// chain, then TC node and instance. Forwarded along the chain; the last
// replica answers ABORTED.
func (l *LQH) abort(env block.Env, s *signal.Signal) {
	if s.NumWords < 3 {
		return
	}
	idx, pos, n := s.Words[0], int(s.Words[1]), int(s.Words[2])
	if n < 1 || n > gsn.MaxReplicas || pos >= n || int(s.NumWords) < 5+n {
		return
	}
	tc := signal.Address{Node: signal.NodeID(s.Words[3+n]), Block: gsn.BlockTC, Instance: uint16(s.Words[4+n])}
	key := mkOpKey(ownerOf(s, 5+n, tc.Node), s.TransID, idx)
	l.unpark(key)
	l.closeScan(key)
	if op := l.ops.get(key); op != nil {
		if !op.committed {
			op.rowOps(func(ro *rowOp) {
				if ro.done {
					return // an earlier ABORT of the transaction threw it away
				}
				row := ro.frag.OpRow(ro.ref)
				if err := ro.frag.Abort(ro.ref); err != nil {
					panic(fmt.Sprintf("lqh node %d: abort of %x/%d: %v", l.node, s.TransID, idx, err))
				}
				l.finish(ro)
				l.freed = append(l.freed, waitKey{ro.frag, uint64(row)})
			})
		}
		l.dropOpRec(key)
	}
	l.passAbort(env, s, pos, n, idx, tc)
	l.wakeFreed(env)
}

// passAbort forwards an ABORT to the next replica or, from the last one,
// answers TC.
func (l *LQH) passAbort(env block.Env, s *signal.Signal, pos, n int, idx uint32, tc signal.Address) {
	l.out = *s
	if pos+1 < n {
		l.out.Receiver = signal.Address{Node: signal.NodeID(s.Words[3+pos+1]), Block: gsn.BlockLQH}
		l.out.Words[1] = uint32(pos + 1)
		env.Send(&l.out)
		return
	}
	l.out.Reset()
	l.out.Number = gsn.ABORTED
	l.out.Receiver = tc
	l.out.TransID = s.TransID
	l.out.SetWords(idx)
	env.Send(&l.out)
}
