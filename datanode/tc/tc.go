package tc

import (
	"log/slog"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Config configures a TC.
type Config struct {
	Node signal.NodeID
	// Distribution returns the current distribution state.
	Distribution func() *dih.Distribution
	// DeadlockTimeout aborts a transaction that has waited this long for
	// its operations (NDB's TransactionDeadlockDetectionTimeout, default
	// 1200 ms).
	DeadlockTimeout time.Duration
	// InactiveTimeout aborts a transaction whose API has sent nothing for
	// this long while it holds no operation in flight (NDB's
	// TransactionInactiveTimeout). 0 disables it, NDB's default in effect.
	InactiveTimeout time.Duration
	// MaxOperations caps a transaction's operations (NDB's
	// MaxNoOfConcurrentOperations applies per node; here per transaction).
	MaxOperations int
	// InitialGCI is the epoch commits get until the GCP block moves it
	// (default 1).
	InitialGCI uint64
	// APINodes are told when a takeover is done (TC_TAKEOVERREP).
	APINodes []signal.NodeID
	// Logger logs each takeover's start and end (nil: no logs; the
	// simulator's TCs log nothing).
	Logger *slog.Logger
}

type opState uint8

const (
	opSent opState = iota + 1
	opPrepared
	opCommitting
	opCommitted
	opCompleted
	opAborting // ABORT sent, ABORTED awaited
	opAborted
)

type txOp struct {
	apiID uint32
	op    uint32
	state opState
	// holds: the operation keeps something on its LQHs (a change or a lock)
	// that COMMIT or ABORT must settle. Committed reads and non-locking
	// scans hold nothing.
	holds bool
	chain []signal.NodeID // nodes that run it: the whole chain for writes, the primary for reads
	// seq numbers the LQHKEYREQs this TC sent (switch.go).
	seq  uint64
	scan *scan  // OpScan: the scan this fragment scan belongs to
	frag uint32 // OpScan: the fragment
	// waiting: OpScan asked its LQH for a batch and has no answer yet.
	waiting bool
	kind    opKind
	table   uint32
	uniques bool       // a write of a table with unique indexes: LQH returns its images
	index   *indexWork // kindIndexLookup: the operation to run on the base row
	// triggers counts a write's index maintenance operations not yet
	// prepared; parent is a trigger's write.
	triggers int
	parent   uint32
}

// opKind tells the API's own operations from those TC adds for them.
type opKind uint8

const (
	kindUser        opKind = iota // an operation the API asked for
	kindIndexLookup               // reads a unique index's hidden table for an API operation by unique key
	kindTrigger                   // keeps a unique index's hidden table in step with a write
)

type txState uint8

const (
	txPreparing txState = iota + 1
	txCommitting
	txCompleting
	txAborting
)

type tx struct {
	api       signal.Address
	state     txState
	ops       []txOp
	prepared  int
	pending   int // COMMITTED, COMPLETED or ABORTED still awaited
	commitReq bool
	gci       uint64
	// progress is when the transaction last moved: a request from the API
	// or an answer from an LQH. The time-outs count from it.
	progress time.Duration
	scans    map[uint32]*scan // open scans by API scan id
	// scanWaits counts fragment batches asked of LQHs and not yet answered.
	scanWaits   int
	rollbackReq bool // the API asked to roll back: answer TCROLLBACKCONF when done
	// waitComplete: the transaction wrote a read-backup table, so the API
	// hears of the commit only after the complete phase.
	waitComplete bool
	// started is when the request that created the transaction came: its
	// latency counts from it (latency.go).
	started time.Duration
	// ackMarker: the API asked for commit-ack markers (marker.go);
	// markOp is the operation whose COMMIT leaves them (-1: none).
	ackMarker bool
	markOp    int32
	// alone is the operation whose COMMIT also completes it
	// (gsn.CommitComplete; -1: none).
	alone int32
	// shortConf: the API set gsn.TcKeyShortConf. confWithCommit: the
	// read answer in TC.keyConf goes out with the commit (commitConf),
	// within the same LQHKEYCONF's handling.
	shortConf      bool
	confWithCommit bool
	// commitNow: the transaction's only operation went out with
	// gsn.LqhCommitNow, the commit decided at gci (counted in inCommit);
	// its LQH's answer says whether it committed (commitNowAnswer).
	commitNow bool
}

// keyConf is a read's TCKEYCONF held back, within one handler, to carry
// its transaction's commit.
type keyConf struct {
	apiID uint32
	row   []byte
}

// TC is one transaction coordinator instance.
type TC struct {
	block.Handlers
	cfg   Config
	self  signal.Address
	txs   txTable
	out   signal.Signal
	words []uint32
	// keyConf is the read answer of the transaction marked
	// confWithCommit, while one LQHKEYCONF is handled.
	keyConf keyConf

	// Global checkpoint state (package gcp): the epoch commits get, whether
	// commit decisions are held for the next epoch's switch, the
	// transactions waiting for it, and how many transactions of each
	// epoch are in their commit phase.
	gci       uint64
	holding   bool
	held      []uint64
	inCommit  epochCommits
	finishGCI uint64 // the previous epoch, until its commits are done
	gcp       signal.Address

	selfChain []signal.NodeID // this node alone: local reads of read-backup tables
	// refused are the last transactions refused because the node was
	// starting: their later operations are refused too, even once it has
	// started, since the API took the transaction for aborted.
	refused    [16]uint64
	refusedPos int
	// draining: the node is stopping (Drain): new transactions are
	// refused with 270, those running go on.
	draining bool
	uniques  map[uint32]*schema.UniqueIndex
	freeTxs  []*tx

	// Counters (ndbinfo, metrics); Counters has the rest (info.go).
	Commits, Aborts uint64
	Counters        Counters
	// Latency are the transaction and scan latency histograms (latency.go).
	Latency Latency
	clk     clock // env.Now for the signal being handled

	// Node failures (nodefail.go): the data nodes failed since they last
	// joined, the president, this node's QMGR, and the takeover the
	// president's TC runs.
	failedEver qmgr.NodeSet
	president  signal.NodeID
	qmgr       signal.Address
	take       *takeover
	takeRuns   uint32 // takeovers started

	// Commit-ack markers (marker.go) by transaction id, the removals being
	// batched per LQH node, and when expired ones were last looked for.
	markers     map[uint64]tcMarker
	removes     []removeBatch
	markerSweep time.Duration

	// Distribution switches of node restarts (switch.go): the last
	// LQHKEYREQ's number, and the switches not yet confirmed.
	opSeq    uint64
	switches []pendingSwitch
}

// New creates a TC.
func New(cfg Config) *TC {
	if cfg.DeadlockTimeout == 0 {
		cfg.DeadlockTimeout = 1200 * time.Millisecond
	}
	if cfg.MaxOperations == 0 {
		cfg.MaxOperations = 32768
	}
	if cfg.InitialGCI == 0 {
		cfg.InitialGCI = 1
	}
	t := &TC{cfg: cfg, gci: cfg.InitialGCI,
		selfChain: []signal.NodeID{cfg.Node}, markers: map[uint64]tcMarker{}}
	t.On(gsn.TCKEYREQ, t.tcKeyReq)
	t.On(gsn.LQHKEYCONF, t.lqhKeyConf)
	t.On(gsn.LQHKEYREF, t.lqhKeyRef)
	t.On(gsn.COMMITTED, t.committed)
	t.On(gsn.COMPLETED, t.completed)
	t.On(gsn.ABORTED, t.aborted)
	t.On(gsn.TC_COMMITREQ, t.commitReq)
	t.On(gsn.TCROLLBACKREQ, t.rollbackReq)
	t.On(gsn.SCAN_TABREQ, t.scanTabReq)
	t.On(gsn.SCAN_NEXTREQ, t.scanNextReq)
	t.On(gsn.SCAN_FRAGCONF, t.scanFragConf)
	t.On(gsn.SCAN_FRAGREF, t.scanFragRef)
	t.On(gsn.GCP_TCPREPARE, t.gcpPrepare)
	t.On(gsn.GCP_NOMORETRANS, t.gcpNoMoreTrans)
	t.On(gsn.NODE_FAILREP, t.nodeFailRep)
	t.On(gsn.NODE_INCLREP, t.nodeInclRep)
	t.On(gsn.LQH_TRANSCONF, t.lqhTransConf)
	t.On(gsn.API_FAILREQ, t.apiFailReq)
	t.On(gsn.TC_COMMIT_ACK, t.commitAck)
	t.On(gsn.DIST_SWITCHREQ, t.distSwitchReq)
	return t
}

// Drain makes the TC refuse new transactions (270, temporary: the API
// retries on another node) while those it runs finish, before a planned
// stop: they then end with their real outcome, not an unknown result.
// Call it on the TC's thread; Transactions says when none is left.
func (t *TC) Drain() { t.draining = true }

// wasRefused reports whether transaction trans was refused lately because
// the node was starting.
func (t *TC) wasRefused(trans uint64) bool {
	if t.refusedPos == 0 {
		return false
	}
	for _, r := range t.refused {
		if r == trans {
			return true
		}
	}
	return false
}

// distSwitchReq: this node's RESTART block swapped the distribution; the
// TC answers the president's RESTART block once every write it routes
// from now on takes the new chains and every write it routed by the old
// ones is prepared (switch.go). w0-w2 the switch, w3 the president.
func (t *TC) distSwitchReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 4 {
		return
	}
	to := signal.Address{Node: signal.NodeID(s.Words[3]), Block: gsn.BlockRESTART}
	t.switches = append(t.switches, pendingSwitch{to: to, words: [3]uint32{s.Words[0], s.Words[1], s.Words[2]}, upTo: t.opSeq})
	t.answerSwitches(env)
}

// Handle implements block.Block.
func (t *TC) Handle(env block.Env, s *signal.Signal) {
	t.self = env.Self()
	t.clk.read = false
	t.Dispatch(env, s)
}

// Tick aborts transactions that waited too long: for their operations
// (TransactionDeadlockDetectionTimeout: a lock wait, most likely a
// deadlock) or for their API (TransactionInactiveTimeout).
func (t *TC) Tick(env block.Env) {
	t.self = env.Self()
	t.clk.read = false
	now := t.now(env)
	late := func(x *tx) bool { return t.timedOut(x, now) != 0 }
	for _, x := range t.txs.all() {
		if late(x) {
			// Abort in id order, not map order: the simulator replays a
			// seed's signals exactly.
			for _, id := range t.txIDs(late) {
				if x := t.txs.get(id); x != nil {
					t.abortTx(env, id, x, t.timedOut(x, now), -1)
				}
			}
			break
		}
	}
	t.expireMarkers(env, now)
	if len(t.switches) > 0 {
		t.answerSwitches(env)
	}
}

// timedOut returns the error that aborts a preparing transaction that
// waited too long, or 0.
func (t *TC) timedOut(x *tx, now time.Duration) int {
	if x.state != txPreparing {
		return 0
	}
	idle := now - x.progress
	switch {
	case (x.prepared < len(x.ops) || x.scanWaits > 0) && idle > t.cfg.DeadlockTimeout:
		return ndberr.ErrDeadlockTimeout.Code
	case x.prepared == len(x.ops) && t.cfg.InactiveTimeout > 0 && idle > t.cfg.InactiveTimeout:
		return ndberr.ErrInactiveTimeout.Code
	}
	return 0
}

// GCI is the epoch this TC's commits get now.
func (t *TC) GCI() uint64 { return t.gci }

// Transactions is the number of open transactions.
func (t *TC) Transactions() int { return t.txs.len() }

func (t *TC) send(env block.Env, n signal.Number, to signal.Address, trans uint64, words []uint32, sect []byte) {
	o := &t.out
	o.Reset()
	o.Number = n
	o.Receiver = to
	o.TransID = trans
	o.SetWords(words...)
	if sect != nil {
		o.AddSection(sect)
	}
	env.Send(o)
}

func (t *TC) tcKeyReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 6 {
		return
	}
	op, table, apiID, flags := s.Words[0], s.Words[1], s.Words[2], s.Words[3]
	h := uint64(s.Words[4]) | uint64(s.Words[5])<<32
	t.Counters.AttrInfo += uint64(len(s.Section(0)))
	d := t.cfg.Distribution()
	x := t.txs.get(s.TransID)
	if x == nil {
		if flags&gsn.TcKeyContinued != 0 {
			t.send(env, gsn.TCROLLBACKREP, s.Sender, s.TransID, []uint32{uint32(ndberr.ErrTxAborted.Code)}, nil)
			return
		}
		x = t.newTx(s.Sender, t.now(env))
		t.txs.put(s.TransID, x)
		if t.draining || d.IsStarting(t.cfg.Node) || t.wasRefused(s.TransID) {
			t.refused[t.refusedPos%len(t.refused)] = s.TransID
			t.refusedPos++
			code := ndberr.ErrNodeStarting.Code
			if t.draining {
				code = ndberr.ErrNodeShutdown.Code
			}
			t.abortTx(env, s.TransID, x, code, int64(apiID))
			return
		}
	}
	x.progress = t.now(env)
	refuse := func(code int) {
		t.send(env, gsn.TCKEYREF, s.Sender, s.TransID, []uint32{apiID, uint32(code)}, nil)
	}
	if x.state != txPreparing {
		refuse(ndberr.ErrNoSuchOperation.Code)
		return
	}
	if len(x.ops) >= t.cfg.MaxOperations {
		t.abortTx(env, s.TransID, x, ndberr.ErrTooManyOperations.Code, int64(apiID))
		return
	}
	tbl, ok := d.Table(table)
	if !ok {
		t.abortTx(env, s.TransID, x, ndberr.ErrNoSuchTable.Code, int64(apiID))
		return
	}
	if flags&gsn.TcKeyCommit != 0 {
		x.commitReq = true
	}
	if flags&gsn.TcKeyCommitAck != 0 {
		x.ackMarker = true
	}
	if flags&gsn.TcKeyShortConf != 0 {
		x.shortConf = true
	}
	if flags&gsn.TcKeyUniqueIndex != 0 {
		t.indexOp(env, s, x, tbl)
		return
	}
	t.sendKeyOp(env, s.TransID, x, txOp{apiID: apiID, op: op}, tbl, h, s.Sections[:s.NumSects])
}

// sendKeyOp adds an operation to the transaction and sends its LQHKEYREQ
// to the first replica of the key's fragment (the local one for committed
// reads of read-backup tables).
func (t *TC) sendKeyOp(env block.Env, trans uint64, x *tx, o txOp, tbl *dih.Table, h uint64, sects [][]byte) {
	op := o.op
	frag, chain := tbl.Locate(h)
	switch {
	case op == gsn.OpRead && chain[0] != t.cfg.Node && tbl.ReadReplica(frag, t.cfg.Node) == t.cfg.Node:
		chain = t.selfChain // read-backup: the local replica
	case !gsn.IsWrite(op):
		chain = chain[:1]
	case tbl.WaitsForComplete():
		x.waitComplete = true
	}
	t.Counters.keyOp(op, chain[0] == t.cfg.Node)
	word0 := op
	if gsn.IsWrite(op) && len(tbl.Uniques) > 0 {
		word0 |= gsn.LqhImages << 16 // to keep the unique indexes in step
		word0 |= uint32(tbl.StartingTail(frag)) << (16 + gsn.LqhTailShift)
		o.uniques = true
	}
	direct := t.canAnswerDirect(x, o, chain)
	if direct {
		word0 |= gsn.LqhAnswerAPI << 16
	}
	now := t.canCommitNow(x, o, chain)
	if now {
		word0 |= gsn.LqhCommitNow << 16
		x.state, x.gci, x.pending, x.commitNow = txCommitting, t.gci, 1, true
		t.inCommit.add(x.gci)
	}
	t.opSeq++
	o.state, o.chain, o.holds, o.table, o.seq = opSent, chain, op != gsn.OpRead, tbl.Layout.Table.ID, t.opSeq
	idx := uint32(len(x.ops))
	x.ops = append(x.ops, o)
	w := append(t.words[:0], word0, o.table, frag, idx, uint32(h), uint32(h>>32), 0, uint32(len(chain)))
	for _, n := range chain {
		w = append(w, uint32(n))
	}
	w = append(w, uint32(t.cfg.Node), uint32(t.self.Instance))
	if now {
		w = append(w, uint32(x.gci), uint32(x.gci>>32))
	}
	if direct {
		w = append(w, uint32(x.api.Node), uint32(x.api.Instance), o.apiID, uint32(t.gci), uint32(t.gci>>32))
	}
	t.words = w
	out := &t.out
	out.Reset()
	out.Number = gsn.LQHKEYREQ
	out.Receiver = signal.Address{Node: chain[0], Block: gsn.BlockLQH}
	out.TransID = trans
	out.SetWords(w...)
	for _, b := range sects {
		out.AddSection(b)
	}
	env.Send(out)
	if direct {
		// Committed: LQH answers the API.
		t.Commits++
		t.Counters.DirectReads++
		t.forget(trans, x)
	}
}

// canAnswerDirect reports whether operation o, about to be sent along
// chain, is answered by its LQH straight to the API (gsn.LqhAnswerAPI):
// the first and last operation of a committing transaction whose API
// takes short answers, a committed read (it holds nothing, so there is
// nothing to commit), on this node's replica (no node failure can leave
// it unanswered while TC lives).
func (t *TC) canAnswerDirect(x *tx, o txOp, chain []signal.NodeID) bool {
	return x.commitReq && x.shortConf && len(x.ops) == 0 && o.kind == kindUser && o.op == gsn.OpRead &&
		len(chain) == 1 && chain[0] == t.cfg.Node
}

// canCommitNow reports whether operation o, about to be sent along chain,
// may carry the commit decision (gsn.LqhCommitNow): it is the first and
// last operation of its transaction, a write of a table without unique
// indexes, with a single replica on this node (whose LQH always answers:
// no node failure can leave the decision unresolved, and no other replica
// needs a COMMIT), while commit decisions are not held for an epoch
// switch.
func (t *TC) canCommitNow(x *tx, o txOp, chain []signal.NodeID) bool {
	return x.commitReq && len(x.ops) == 0 && o.kind == kindUser && gsn.IsWrite(o.op) && !o.uniques &&
		len(chain) == 1 && chain[0] == t.cfg.Node && !t.holding
}

// commitNowAnswer handles the LQHKEYCONF of a commitNow transaction's
// operation: committed, the transaction is done; waiting for a row lock,
// TC takes its decision back and the operation goes on as a plain
// prepare. It reports whether the answer needs no more handling.
func (t *TC) commitNowAnswer(env block.Env, s *signal.Signal, x *tx, op *txOp) bool {
	var flags uint32
	if s.NumWords > 1 {
		flags = s.Words[1]
	}
	if flags&gsn.LqhConfCommitted == 0 {
		t.undoCommitNow(env, x)
		return flags&gsn.LqhConfWaiting != 0
	}
	x.commitNow = false
	t.Counters.CommitsAtPrepare++
	op.state = opCompleted
	x.prepared++
	x.pending--
	x.progress = t.now(env)
	if !x.shortConf {
		t.send(env, gsn.TCKEYCONF, x.api, s.TransID, []uint32{op.apiID}, nil)
	}
	t.finishCommit(env, s.TransID, x)
	return true
}

// undoCommitNow takes back a commitNow transaction's commit decision: it
// is preparing again, and its epoch no longer waits for it.
func (t *TC) undoCommitNow(env block.Env, x *tx) {
	gci := x.gci
	x.commitNow, x.state, x.gci, x.pending = false, txPreparing, 0, 0
	t.commitDone(env, gci)
}

// newTx returns an empty transaction record, reusing a finished one: the
// steady state allocates none.
func (t *TC) newTx(api signal.Address, now time.Duration) *tx {
	t.Counters.Transactions++
	n := len(t.freeTxs)
	if n == 0 {
		return &tx{api: api, state: txPreparing, started: now, markOp: -1, alone: -1}
	}
	x := t.freeTxs[n-1]
	t.freeTxs = t.freeTxs[:n-1]
	ops := x.ops[:0]
	*x = tx{api: api, state: txPreparing, ops: ops, started: now, markOp: -1, alone: -1}
	return x
}

// forget drops a finished transaction and keeps its record for reuse.
func (t *TC) forget(trans uint64, x *tx) {
	t.txs.del(trans)
	clear(x.ops) // drop pointers (scans, index work) the record no longer needs
	t.freeTxs = append(t.freeTxs, x)
}

func (t *TC) lookup(s *signal.Signal) (*tx, *txOp) {
	x := t.txs.get(s.TransID)
	if x == nil || s.NumWords < 1 || int(s.Words[0]) >= len(x.ops) {
		return nil, nil // a late answer for a finished transaction
	}
	return x, &x.ops[s.Words[0]]
}

func (t *TC) lqhKeyConf(env block.Env, s *signal.Signal) {
	x, op := t.lookup(s)
	if x != nil && x.commitNow && op.state == opSent && t.commitNowAnswer(env, s, x, op) {
		return
	}
	if x == nil || x.state != txPreparing || op.state != opSent {
		return
	}
	op.state = opPrepared
	x.prepared++
	x.progress = t.now(env)
	switch {
	case op.kind == kindIndexLookup:
		t.indexLookupDone(env, s, x, op)
	case op.kind == kindTrigger:
		t.triggerPrepared(env, s.TransID, x, op.parent)
	case op.uniques:
		// The API hears of the write once its unique indexes are in step
		// too, so a NoCommit execute never reports success for a write
		// whose index maintenance then fails.
		o, idx := *op, s.Words[0] // triggers append to x.ops
		if n := t.fireTriggers(env, s, x, &o, idx); n > 0 {
			x.ops[idx].triggers = n
		} else if x.state == txPreparing {
			t.send(env, gsn.TCKEYCONF, x.api, s.TransID, []uint32{o.apiID}, nil)
		}
	case x.shortConf && x.commitReq && len(s.Section(0)) == 0:
		// Confirmed by the TCCOMMITCONF to come, or by the abort's report.
	case x.shortConf && x.commitReq && x.prepared == len(x.ops) && !x.writes():
		// The last answer of a read-only transaction asked to commit:
		// maybeCommit commits it at once, and commitConf sends this
		// answer with the commit.
		t.keyConf = keyConf{apiID: op.apiID, row: s.Section(0)}
		x.confWithCommit = true
	default:
		t.send(env, gsn.TCKEYCONF, x.api, s.TransID, []uint32{op.apiID}, s.Section(0))
	}
	if x.state == txPreparing {
		t.maybeCommit(env, s.TransID, x)
	}
	if x.confWithCommit { // not committed after all: answer as usual
		x.confWithCommit = false
		t.send(env, gsn.TCKEYCONF, x.api, s.TransID, []uint32{t.keyConf.apiID}, t.keyConf.row)
	}
	t.keyConf.row = nil
}

// maybeCommit starts the commit phase once every operation is prepared
// and the API asked to commit. While the GCP holds commit decisions, a
// transaction that writes waits for the epoch switch.
func (t *TC) maybeCommit(env block.Env, trans uint64, x *tx) {
	if !x.commitReq || x.prepared != len(x.ops) {
		return
	}
	x.state = txCommitting
	if t.holding && x.writes() {
		t.held = append(t.held, trans)
		return
	}
	t.decideCommit(env, trans, x)
}

// writes reports whether a transaction holds anything to commit.
func (x *tx) writes() bool {
	for i := range x.ops {
		if x.ops[i].holds {
			return true
		}
	}
	return false
}

// decideCommit takes the commit decision: the transaction gets the current
// epoch and COMMIT goes to every operation's last replica.
func (t *TC) decideCommit(env block.Env, trans uint64, x *tx) {
	x.gci = t.gci
	t.inCommit.add(x.gci)
	if x.ackMarker {
		// The markers go with the first write that has a replica on
		// another node: only such a replica can tell a takeover, which
		// runs when this node failed, that the transaction committed. A
		// transaction that wrote only here needs none (losing this node
		// loses those rows too), and its API is not asked to acknowledge.
		for i := range x.ops {
			if op := &x.ops[i]; op.holds && gsn.IsWrite(op.op) && t.elsewhere(op.chain) {
				x.markOp = int32(i)
				t.keepMarker(trans, x.api.Node, op.chain, t.now(env))
				break
			}
		}
	}
	x.alone = x.completesAtCommit()
	for i := range x.ops {
		op := &x.ops[i]
		if !op.holds || len(op.chain) == 0 {
			// Committed reads hold nothing; nor does a lock on a failed
			// node (nodefail.go).
			op.state = opCompleted
			continue
		}
		op.state = opCommitting
		x.pending++
		t.sendChainAs(env, gsn.COMMIT, trans, uint32(i), x.gci, op.chain, 0, x.commitFlags(i))
	}
	if x.pending == 0 {
		t.finishCommit(env, trans, x)
	}
}

// commitFlags are the COMMIT flags of operation i.
func (x *tx) commitFlags(i int) uint32 {
	var f uint32
	if int32(i) == x.markOp {
		f |= gsn.CommitMarker
	}
	if int32(i) == x.alone {
		f |= gsn.CommitComplete
	}
	return f
}

// completesAtCommit is the operation whose COMMIT may complete it too
// (gsn.CommitComplete), or -1: the only one holding anything, with a
// single replica. With more, a takeover that finds one committed record
// commits the others, so records must outlive the commit until every
// operation committed; and every replica but the last needs COMPLETE.
func (x *tx) completesAtCommit() int32 {
	alone := int32(-1)
	for i := range x.ops {
		if op := &x.ops[i]; op.holds && len(op.chain) > 0 {
			if alone >= 0 || len(op.chain) != 1 {
				return -1
			}
			alone = int32(i)
		}
	}
	return alone
}

// elsewhere reports whether chain has a node other than this one.
func (t *TC) elsewhere(chain []signal.NodeID) bool {
	for _, n := range chain {
		if n != t.cfg.Node {
			return true
		}
	}
	return false
}

// sendChain sends COMMIT or COMPLETE to the last replica of a chain.
func (t *TC) sendChain(env block.Env, n signal.Number, trans uint64, idx uint32, gci uint64, chain []signal.NodeID) {
	t.sendChainAs(env, n, trans, idx, gci, chain, 0, 0)
}

// sendChainAs is sendChain for the operation record of TC node owner (a
// takeover; 0: this TC's own), with COMMIT's flags.
func (t *TC) sendChainAs(env block.Env, n signal.Number, trans uint64, idx uint32, gci uint64, chain []signal.NodeID, owner signal.NodeID, flags uint32) {
	last := len(chain) - 1
	w := append(t.words[:0], idx, uint32(gci), uint32(gci>>32), uint32(last)|flags, uint32(len(chain)))
	for _, c := range chain {
		w = append(w, uint32(c))
	}
	w = append(w, uint32(t.cfg.Node), uint32(t.self.Instance))
	if owner != 0 {
		w = append(w, uint32(owner))
	}
	t.words = w
	t.send(env, n, signal.Address{Node: chain[last], Block: gsn.BlockLQH}, trans, w, nil)
}

func (t *TC) committed(env block.Env, s *signal.Signal) {
	x, op := t.lookup(s)
	if x == nil {
		t.takenAnswer(env, s, gsn.COMMIT)
		return
	}
	if x.state != txCommitting || op.state != opCommitting {
		return
	}
	op.state = opCommitted
	if x.alone >= 0 && op == &x.ops[x.alone] {
		op.state = opCompleted // its LQH completed it with the commit
	}
	if x.pending--; x.pending == 0 {
		t.finishCommit(env, s.TransID, x)
	}
}

// finishCommit answers the API, then runs the complete phase.
func (t *TC) finishCommit(env block.Env, trans uint64, x *tx) {
	t.Commits++
	t.commitDone(env, x.gci)
	if !x.waitComplete {
		t.commitConf(env, trans, x)
	}
	x.state = txCompleting
	for i := range x.ops {
		op := &x.ops[i]
		if op.state != opCommitted {
			continue
		}
		if len(op.chain) == 0 { // its node failed: nothing to complete
			op.state = opCompleted
			continue
		}
		x.pending++
		t.sendChain(env, gsn.COMPLETE, trans, uint32(i), x.gci, op.chain)
	}
	if x.pending == 0 {
		t.completeDone(env, trans, x)
	}
}

func (t *TC) commitConf(env block.Env, trans uint64, x *tx) {
	t.Latency.Commit.Observe(t.now(env) - x.started)
	var flags uint32
	if x.markOp >= 0 {
		flags = gsn.CommitAckMarker
	}
	if x.confWithCommit {
		x.confWithCommit = false
		k := &t.keyConf
		t.send(env, gsn.TCKEYCONF, x.api, trans, []uint32{k.apiID, gsn.TcKeyConfCommitted, uint32(x.gci), uint32(x.gci >> 32)}, k.row)
		return
	}
	t.send(env, gsn.TCCOMMITCONF, x.api, trans, []uint32{uint32(x.gci), uint32(x.gci >> 32), flags}, nil)
}

func (t *TC) completed(env block.Env, s *signal.Signal) {
	x, op := t.lookup(s)
	if x == nil {
		t.takenAnswer(env, s, gsn.COMPLETE)
		return
	}
	if x.state != txCompleting || op.state != opCommitted {
		return
	}
	op.state = opCompleted
	if x.pending--; x.pending == 0 {
		t.completeDone(env, s.TransID, x)
	}
}

// completeDone forgets a transaction whose complete phase is over,
// acknowledging the commit now if it wrote a read-backup table.
func (t *TC) completeDone(env block.Env, trans uint64, x *tx) {
	if x.waitComplete {
		t.commitConf(env, trans, x)
	}
	t.forget(trans, x)
}

func (t *TC) lqhKeyRef(env block.Env, s *signal.Signal) {
	x, op := t.lookup(s)
	if x != nil && x.commitNow && op.state == opSent {
		t.undoCommitNow(env, x) // refused: nothing was committed
	}
	if x == nil || x.state != txPreparing || s.NumWords < 2 {
		return
	}
	code := int(s.Words[1])
	if op.kind == kindTrigger {
		code = triggerError(op.op, code)
	}
	t.abortTx(env, s.TransID, x, code, int64(op.apiID))
}

// abortTx aborts a preparing transaction: ABORT along every operation's
// chain, and the API told why (TCKEYREF for the failed operation apiOp,
// TCROLLBACKREP when apiOp is -1, nothing yet for a requested rollback,
// -2, which is answered when done).
func (t *TC) abortTx(env block.Env, trans uint64, x *tx, code int, apiOp int64) {
	t.Aborts++
	t.Counters.abort(code)
	t.Latency.Abort.Observe(t.now(env) - x.started)
	switch {
	case apiOp >= 0:
		t.send(env, gsn.TCKEYREF, x.api, trans, []uint32{uint32(apiOp), uint32(code)}, nil)
	case apiOp == -1:
		t.send(env, gsn.TCROLLBACKREP, x.api, trans, []uint32{uint32(code)}, nil)
	}
	x.state = txAborting
	t.closeScans(env, trans, x)
	for i := range x.ops {
		op := &x.ops[i]
		if !op.holds || len(op.chain) == 0 {
			continue
		}
		op.state = opAborting
		x.pending++
		t.sendAbort(env, trans, uint32(i), op.chain, 0)
	}
	if x.pending == 0 {
		t.abortDone(env, trans, x)
	}
}

func (t *TC) aborted(env block.Env, s *signal.Signal) {
	x, op := t.lookup(s)
	if x == nil {
		t.takenAnswer(env, s, gsn.ABORT)
		return
	}
	if x.state != txAborting || op.state != opAborting {
		return
	}
	op.state = opAborted
	if x.pending--; x.pending == 0 {
		t.abortDone(env, s.TransID, x)
	}
}

// abortDone forgets an aborted transaction, answering a rollback request.
func (t *TC) abortDone(env block.Env, trans uint64, x *tx) {
	if x.rollbackReq {
		t.send(env, gsn.TCROLLBACKCONF, x.api, trans, nil, nil)
	}
	t.forget(trans, x)
}

// commitReq commits a transaction whose operations were all sent.
func (t *TC) commitReq(env block.Env, s *signal.Signal) {
	x := t.txs.get(s.TransID)
	if x == nil {
		// Unknown: aborted and forgotten (its reason was reported), or never
		// started. Never answer success for what may not have committed.
		t.send(env, gsn.TCROLLBACKREP, s.Sender, s.TransID, []uint32{uint32(ndberr.ErrTxAborted.Code)}, nil)
		return
	}
	if x.state != txPreparing {
		return // a duplicate
	}
	x.progress = t.now(env)
	t.closeScans(env, s.TransID, x)
	x.commitReq = true
	t.maybeCommit(env, s.TransID, x)
}

// rollbackReq rolls a transaction back at the API's request.
func (t *TC) rollbackReq(env block.Env, s *signal.Signal) {
	x := t.txs.get(s.TransID)
	if x == nil {
		t.send(env, gsn.TCROLLBACKCONF, s.Sender, s.TransID, nil, nil)
		return
	}
	switch x.state {
	case txAborting: // aborting already (a time-out, a failed operation): answer when done
		x.rollbackReq = true
	case txPreparing:
		x.rollbackReq = true
		t.abortTx(env, s.TransID, x, 0, -2)
	}
	// Committing: too late to roll back; the API hears TCCOMMITCONF.
}

// gcpPrepare holds commit decisions until the next epoch begins.
func (t *TC) gcpPrepare(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	t.holding = true
	t.send(env, gsn.GCP_TCPREPARECONF, s.Sender, 0, []uint32{s.Words[0], s.Words[1]}, nil)
}

// gcpNoMoreTrans switches to the next epoch, releases the held commits into
// it, and reports the previous epoch finished once its commits are done.
func (t *TC) gcpNoMoreTrans(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	t.gci = uint64(s.Words[0]) | uint64(s.Words[1])<<32
	t.holding = false
	// The epoch being closed is the one before: this TC's own previous
	// one, except on a node restart's first round (GCP_SYNC moved the
	// node's epochs on; the TC was still at its start).
	t.finishGCI, t.gcp = t.gci-1, s.Sender
	held := t.held
	t.held = t.held[:0]
	for _, trans := range held {
		if x := t.txs.get(trans); x != nil && x.state == txCommitting {
			t.decideCommit(env, trans, x)
		}
	}
	t.commitDone(env, 0)
}

// commitDone counts a transaction of epoch gci out of its commit phase (gci
// 0: none) and tells the GCP block when the epoch being closed is done.
func (t *TC) commitDone(env block.Env, gci uint64) {
	if gci != 0 {
		t.inCommit.done(gci)
	}
	if f := t.finishGCI; f != 0 && t.inCommit.running(f) == 0 {
		t.finishGCI = 0
		t.send(env, gsn.GCP_TCFINISHED, t.gcp, 0, []uint32{uint32(f), uint32(f >> 32)}, nil)
	}
}
