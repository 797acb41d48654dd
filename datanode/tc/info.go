package tc

import (
	"cmp"
	"slices"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Counters are the TC's counters for ndbinfo.counters and the metrics,
// kept with NDB's DBTC meanings. They are plain fields bumped on the TC's
// thread; read them there (node.Do). Commits and Aborts stay on TC.
type Counters struct {
	// Transactions started (NDB's TRANSACTIONS).
	Transactions uint64
	// AttrInfo counts the key and row bytes received in TCKEYREQ (NDB's
	// ATTRINFO counts words of attribute info).
	AttrInfo uint64
	// Ops counts key operations sent to an LQH, indexed by their gsn.Op*
	// number, those TC adds for unique indexes included.
	Ops [gsn.OpScan + 1]uint64
	// LocalReads and LocalWrites are key operations whose first replica
	// is on this node (NDB's LOCAL_READS, LOCAL_WRITES).
	LocalReads, LocalWrites uint64
	// TableScans and RangeScans count SCAN_TABREQs (NDB's TABLE_SCANS,
	// RANGE_SCANS: ordered-index scans).
	TableScans, RangeScans uint64
	// CommitsAtPrepare counts transactions committed with their prepare
	// (gsn.LqhCommitNow: no COMMIT round).
	CommitsAtPrepare uint64
	// DirectReads counts committed reads answered by LQH to the API
	// (gsn.LqhAnswerAPI: TC keeps no record).
	DirectReads uint64

	// NodeFailures counts data nodes reported failed (NODE_FAILREP);
	// Takeovers the takeovers this TC ran as president, and
	// TakenOverCommits and TakenOverAborts the failed TCs' transactions
	// they committed and aborted.
	NodeFailures, Takeovers           uint64
	TakenOverCommits, TakenOverAborts uint64

	// Aborts by error code: the first abortCodes codes seen, then the
	// rest together (AbortsOther).
	aborts      [abortCodes]AbortCount
	nAborts     int
	AbortsOther uint64
}

// abortCodes bounds the distinct abort codes counted one by one; a
// transaction is aborted for a handful of reasons.
const abortCodes = 16

// AbortCount is how many transactions were aborted with one code (0: the
// API asked for the rollback).
type AbortCount struct {
	Code  int
	Count uint64
}

// Reads is NDB's READS: primary-key reads, committed and locking.
func (c *Counters) Reads() uint64 {
	return c.Ops[gsn.OpRead] + c.Ops[gsn.OpReadShared] + c.Ops[gsn.OpReadExclusive]
}

// SimpleReads is NDB's SIMPLE_READS: committed reads, which take no lock.
func (c *Counters) SimpleReads() uint64 { return c.Ops[gsn.OpRead] }

// Writes is NDB's WRITES: inserts, updates, writes and deletes.
func (c *Counters) Writes() uint64 {
	return c.Ops[gsn.OpInsert] + c.Ops[gsn.OpUpdate] + c.Ops[gsn.OpWrite] + c.Ops[gsn.OpDelete]
}

// Aborts returns the abort counts by code, ordered by code (allocates).
func (c *Counters) Aborts() []AbortCount {
	out := slices.Clone(c.aborts[:c.nAborts])
	slices.SortFunc(out, func(a, b AbortCount) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// keyOp counts a key operation sent to its first replica.
func (c *Counters) keyOp(op uint32, local bool) {
	if op < uint32(len(c.Ops)) {
		c.Ops[op]++
	}
	if local {
		if gsn.IsWrite(op) {
			c.LocalWrites++
		} else {
			c.LocalReads++
		}
	}
}

func (c *Counters) scan(index bool) {
	if index {
		c.RangeScans++
	} else {
		c.TableScans++
	}
}

// abort counts an aborted transaction (off the commit path).
func (c *Counters) abort(code int) {
	for i := 0; i < c.nAborts; i++ {
		if c.aborts[i].Code == code {
			c.aborts[i].Count++
			return
		}
	}
	if c.nAborts < abortCodes {
		c.aborts[c.nAborts] = AbortCount{Code: code, Count: 1}
		c.nAborts++
		return
	}
	c.AbortsOther++
}

// TxInfo is one open transaction, for ndbinfo.transactions and
// cluster_transactions.
type TxInfo struct {
	TransID uint64
	API     signal.Address // who started it
	// State: TxPreparing, TxCommitting, TxCompleting or TxAborting.
	State int
	// CommitReq: the API asked to commit; WaitComplete: the API hears of
	// the commit after the complete phase (read-backup tables).
	CommitReq, WaitComplete bool
	Ops                     int           // operations, fragment scans included
	Outstanding             int           // requests to LQHs not yet answered
	Idle                    time.Duration // since the transaction last moved
}

// Transaction states in TxInfo (ndbinfo.transactions' state column).
const (
	TxPreparing  = 1
	TxCommitting = 2
	TxCompleting = 3
	TxAborting   = 4
)

// TransactionInfo lists the open transactions, ordered by id. now is the
// block's clock (block.Env.Now on its thread). Call it on the TC's thread
// (node.Do); it allocates.
func (t *TC) TransactionInfo(now time.Duration) []TxInfo {
	out := make([]TxInfo, 0, t.txs.len())
	for id, x := range t.txs.all() {
		ti := TxInfo{TransID: id, API: x.api, State: int(x.state), CommitReq: x.commitReq,
			WaitComplete: x.waitComplete, Ops: len(x.ops), Idle: max(0, now-x.progress)}
		switch x.state {
		case txPreparing:
			ti.Outstanding = len(x.ops) - x.prepared + x.scanWaits
		default:
			ti.Outstanding = x.pending
		}
		out = append(out, ti)
	}
	slices.SortFunc(out, func(a, b TxInfo) int { return cmp.Compare(a.TransID, b.TransID) })
	return out
}
