package lqh

import (
	"cmp"
	"slices"

	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Counters are the LQH's counters for ndbinfo.counters and the metrics.
// They are plain fields bumped on the LQH's thread; read them there
// (node.Do).
type Counters struct {
	// Ops counts key requests by their gsn.Op* number. Each replica counts
	// a write, so NDB's OPERATIONS is their sum; a request that waited for
	// a lock counts once.
	Ops [gsn.OpScan + 1]uint64
	// Scans and RangeScans count fragment scans started (RangeScans: on
	// an ordered index); ScanRows the rows they returned.
	Scans, RangeScans, ScanRows uint64
	// LockWaits counts key requests parked behind another transaction's
	// row lock.
	LockWaits uint64
	// FailedTCRequests counts key requests dropped because their TC had
	// failed (takeover.go).
	FailedTCRequests uint64
	// ReadsFenced counts key reads and scan batches refused because the
	// node's read lease had run out (lease.go).
	ReadsFenced uint64
}

// Operations is NDB's OPERATIONS: key operations on this LQH.
func (c *Counters) Operations() uint64 {
	var n uint64
	for _, v := range c.Ops {
		n += v
	}
	return n
}

func (c *Counters) keyOp(op uint32) {
	if op < uint32(len(c.Ops)) {
		c.Ops[op]++
	}
}

func (c *Counters) scan(index bool) {
	c.Scans++
	if index {
		c.RangeScans++
	}
}

// FragOps are one fragment replica's operation counters, for
// ndbinfo.operations_per_fragment: plain 64-bit fields bumped on the
// LQH's thread, kept for the replica's life (a replica created again for
// a re-created table starts from 0).
type FragOps struct {
	// Key requests by kind (Reads: committed, shared and exclusive), each
	// counted once when it arrives (a request that waited for a lock too),
	// on every replica it runs on.
	Reads, Inserts, Updates, Writes, Deletes uint64
	// Refs counts key requests refused with an error (LQHKEYREF).
	Refs uint64
	// KeyBytes counts the row bytes key reads returned.
	KeyBytes uint64
	// Scans counts fragment scans started; ScanProgBytes the bytes of
	// their pushed filter programs.
	Scans, ScanProgBytes uint64
	// ScanExamined counts the committed rows the scans looked at, before
	// the pushed filter; ScanReturned the rows they sent (those that
	// passed it) and ScanBytes the bytes of the batches they sent.
	ScanExamined, ScanReturned, ScanBytes uint64
	// Commits counts row changes committed (a lock alone is no change).
	Commits uint64
}

// keyOp counts a key request of kind op.
func (c *FragOps) keyOp(op uint32) {
	switch op {
	case gsn.OpRead, gsn.OpReadShared, gsn.OpReadExclusive:
		c.Reads++
	case gsn.OpInsert:
		c.Inserts++
	case gsn.OpUpdate:
		c.Updates++
	case gsn.OpWrite:
		c.Writes++
	case gsn.OpDelete:
		c.Deletes++
	}
}

// fragOps returns replica f's counters, creating them at its first
// operation. They live in a map beside l.frags (which ddl.go and lcp.go
// own) keyed by the replica itself, so that a re-created table's new
// replica starts from 0: one map lookup per request, no allocation after
// a replica's first operation. Entries of replicas no longer in l.frags
// are dropped when a new entry finds the map as large as l.frags, and
// by FragmentOpInfo.
func (l *LQH) fragOps(f *store.Fragment) *FragOps {
	if c := l.fragStats[f]; c != nil {
		return c
	}
	if l.fragStats == nil {
		l.fragStats = map[*store.Fragment]*FragOps{}
	}
	if len(l.fragStats) >= len(l.frags) {
		l.pruneFragOps()
	}
	c := &FragOps{}
	l.fragStats[f] = c
	return c
}

// pruneFragOps drops the counters of replicas the LQH no longer holds
// (dropped tables).
func (l *LQH) pruneFragOps() {
	for f := range l.fragStats {
		if l.frags[fragKey{f.Layout().Table.ID, f.ID}] != f {
			delete(l.fragStats, f)
		}
	}
}

// FragOpInfo is one fragment replica's counters, for
// ndbinfo.operations_per_fragment.
type FragOpInfo struct {
	Table, Fragment uint32
	Name            string // the table's name
	FragOps
	// OpenScans is the number of fragment scans open on the replica now.
	OpenScans int
}

// FragmentOpInfo lists the counters of every fragment replica the LQH
// holds, ordered by table and fragment (zero for a replica that has seen
// no operation). Call it on the LQH's thread (node.Do); it allocates.
func (l *LQH) FragmentOpInfo() []FragOpInfo {
	l.pruneFragOps()
	open := map[*store.Fragment]int{}
	for _, sc := range l.scans {
		open[sc.frag]++
	}
	frags := l.Fragments()
	out := make([]FragOpInfo, len(frags))
	for i, f := range frags {
		t := f.Layout().Table
		out[i] = FragOpInfo{Table: t.ID, Fragment: f.ID, Name: t.Name, OpenScans: open[f]}
		if c := l.fragStats[f]; c != nil {
			out[i].FragOps = *c
		}
	}
	return out
}

// Operation states in OpInfo (ndbinfo.operations' state column).
const (
	OpPrepared  = 1 // prepared: holds its row (or lock) until commit or abort
	OpCommitted = 2 // committed, kept until COMPLETE
	OpLockWait  = 3 // parked behind another transaction's row lock
	OpScanning  = 4 // a fragment scan in progress
)

// OpInfo is one operation record, for ndbinfo.operations and
// cluster_operations.
type OpInfo struct {
	TransID         uint64
	TC              signal.Address // the transaction's TC (node and instance)
	Table, Fragment uint32
	Op              uint32 // gsn.Op*; gsn.OpScan for fragment scans
	State           int    // OpPrepared, OpCommitted, OpLockWait or OpScanning
}

// OperationInfo lists the LQH's operation records: prepared and committed
// ones, requests waiting for a lock and running fragment scans, ordered by
// transaction, TC and operation index. Call it on the LQH's thread
// (node.Do); it allocates.
func (l *LQH) OperationInfo() []OpInfo {
	type keyed struct {
		k opKey
		i OpInfo
	}
	var all []keyed
	add := func(k opKey, table, frag, op uint32, state int) {
		all = append(all, keyed{k, OpInfo{TransID: k.trans, TC: signal.Address{Node: k.tcNode(), Block: gsn.BlockTC},
			Table: table, Fragment: frag, Op: op, State: state}})
	}
	for k, o := range l.ops.all() {
		if sc := l.scans[k]; sc != nil {
			continue // a locking scan's record: listed with the scan
		}
		state := OpPrepared
		if o.committed {
			state = OpCommitted
		}
		var f *store.Fragment
		switch {
		case o.row != nil:
			f = o.row.frag
		case len(o.scanned) > 0:
			f = o.scanned[0].frag
		}
		var table, frag uint32
		if f != nil {
			table, frag = f.Layout().Table.ID, f.ID
		}
		add(k, table, frag, uint32(o.op), state)
	}
	for k, wk := range l.waiting {
		op := uint32(gsn.OpScan)
		for _, w := range l.waits[wk] {
			if w.key == k && w.scan == nil {
				op = w.sig.Words[0] & 0xFFFF
			}
		}
		add(k, wk.frag.Layout().Table.ID, wk.frag.ID, op, OpLockWait)
	}
	for k, sc := range l.scans {
		if _, waiting := l.waiting[k]; waiting {
			continue // listed as waiting
		}
		add(k, sc.frag.Layout().Table.ID, sc.fragID, gsn.OpScan, OpScanning)
	}
	slices.SortFunc(all, func(a, b keyed) int {
		if c := cmp.Compare(a.k.trans, b.k.trans); c != 0 {
			return c
		}
		return cmp.Compare(a.k.tcIdx, b.k.tcIdx)
	})
	out := make([]OpInfo, len(all))
	for i := range all {
		out[i] = all[i].i
	}
	return out
}

// LockInfo is one row lock held or waited for, for ndbinfo.cluster_locks.
type LockInfo struct {
	Table, Fragment uint32
	Row             uint64 // the row's store.RowID
	TransID         uint64
	Exclusive       bool
	Waiting         bool
	First           bool   // the first holder listed for the row
	Op              uint32 // gsn.Op*; gsn.OpScan for a locking scan
	LockNum         uint64 // the lock's number in this list, from 1
	WaitingFor      uint64 // for a waiting lock: the row's first holder's LockNum (0: none)
}

// LockInfo lists the row locks: those held by operation records, then
// the requests waiting for them, ordered by table, fragment, row and
// transaction. Lock numbers are positions in this list. Call it on the
// LQH's thread (node.Do); it allocates.
func (l *LQH) LockInfo() []LockInfo {
	var held, waiting []LockInfo
	for k, o := range l.ops.all() {
		if o.committed {
			continue // committed: its locks are released
		}
		lock := func(ro *rowOp, exclusive bool) {
			if ro.done {
				return
			}
			held = append(held, LockInfo{Table: ro.frag.Layout().Table.ID, Fragment: ro.frag.ID,
				Row: uint64(ro.frag.OpRow(ro.ref)), TransID: k.trans, Exclusive: exclusive, Op: uint32(o.op)})
		}
		if o.row != nil {
			lock(o.row, o.op != gsn.OpReadShared)
		}
		for _, ro := range o.scanned {
			lock(ro, !o.shared)
		}
	}
	for wk, q := range l.waits {
		for _, w := range q {
			li := LockInfo{Table: wk.frag.Layout().Table.ID, Fragment: wk.frag.ID, Row: wk.row,
				TransID: w.key.trans, Waiting: true}
			if w.scan != nil {
				li.Op, li.Exclusive = gsn.OpScan, w.scan.flags&gsn.ScanLockShared == 0
			} else {
				li.Op = w.sig.Words[0] & 0xFFFF
				li.Exclusive = li.Op != gsn.OpReadShared
			}
			waiting = append(waiting, li)
		}
	}
	order := func(a, b LockInfo) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Fragment, b.Fragment),
			cmp.Compare(a.Row, b.Row), cmp.Compare(a.TransID, b.TransID))
	}
	slices.SortStableFunc(held, order)
	slices.SortStableFunc(waiting, order)
	type rowID struct {
		table, frag uint32
		row         uint64
	}
	first := map[rowID]uint64{}
	out := append(held, waiting...)
	for i := range out {
		li := &out[i]
		li.LockNum = uint64(i + 1)
		id := rowID{li.Table, li.Fragment, li.Row}
		if li.Waiting {
			li.WaitingFor = first[id]
			continue
		}
		if _, ok := first[id]; !ok {
			first[id] = li.LockNum
			li.First = true
		}
	}
	return out
}
