package tc

import (
	"cmp"
	"slices"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Node failures (QMGR's NODE_FAILREP). Every TC settles its own
// transactions that touched the failed data nodes:
//
//   - a transaction still preparing is aborted with 4025 (4028 when a scan
//     ran there): temporary, the API retries on the survivors;
//   - one past its commit decision goes on without them: COMMIT, COMPLETE
//     or ABORT is sent again along the operation's live replicas (LQH
//     answers a repeat as it answered the first).
//
// The distribution has already lost the failed nodes (the node swaps it
// before QMGR's signal arrives), so new operations go to live replicas.
//
// The president's TC also takes over the failed nodes' own transactions:
// it collects their operation records from every live LQH (LQH_TRANSREQ),
// commits each transaction any of whose records committed and aborts the
// others, then tells its node's GCP (TAKE_OVERTCCONF), which completes
// no epoch meanwhile: the records it commits keep their GCI. A
// transaction the failed TC decided to commit but whose COMMIT reached no
// LQH is aborted: no replica changed, and its API, having lost its TC,
// reports an unknown result. Takeover is idempotent, so a new president
// takes over again every node failed since it last joined.

// takeover is the president TC's work on the transactions of failed TCs.
type takeover struct {
	run     uint32       // tags LQH_TRANSREQ; answers of an older run are ignored
	nodes   qmgr.NodeSet // the failed TC nodes taken over
	waiting int          // LQH reports (TransLast) still to come
	txs     map[uint64]*takenTx
	pending int // transactions not yet settled
	failNo  uint64
	told    map[signal.NodeID]uint32 // outcomes (TCKEY_FAILCONF/REF) sent to each API node
}

// takenTx is one transaction of a failed TC.
type takenTx struct {
	owner     signal.NodeID // the failed TC
	committed bool          // a record committed: commit them all
	gci       uint64
	ops       []takenOp
	markers   []signal.NodeID // nodes that hold a commit-ack marker of it
	phase     signal.Number   // COMMIT, COMPLETE or ABORT once decided
	pending   int             // answers to the current phase outstanding
}

type takenOp struct {
	node signal.NodeID
	idx  uint32
	done bool // answered in the current phase
}

// nodeFailRep handles NODE_FAILREP: w0-w1 the failure number, w2 the
// president, w3-w10 the failed nodes, w11-w18 the live data nodes.
func (t *TC) nodeFailRep(env block.Env, s *signal.Signal) {
	if s.NumWords < 19 {
		return
	}
	t.self = env.Self()
	w := s.Words[:s.NumWords]
	failNo := uint64(w[0]) | uint64(w[1])<<32
	failed, live := qmgr.SetFromWords(w[3:11]), qmgr.SetFromWords(w[11:19])
	t.failedEver = t.failedEver.Union(failed)
	t.president, t.qmgr = signal.NodeID(w[2]), s.Sender
	t.Counters.NodeFailures += uint64(failed.Count())

	for _, id := range t.txIDs(func(*tx) bool { return true }) {
		if x := t.txs.get(id); x != nil {
			t.nodeFailedTx(env, id, x, failed)
		}
	}
	if t.president == t.cfg.Node {
		t.startTakeover(env, failNo, live)
		return
	}
	t.nfComplete(env, failNo)
}

// nodeInclRep handles NODE_INCLREP: joined nodes start afresh, with no
// transactions left to take over.
func (t *TC) nodeInclRep(env block.Env, s *signal.Signal) {
	if s.NumWords < 19 {
		return
	}
	joined := qmgr.SetFromWords(s.Words[3:11])
	t.failedEver = t.failedEver.Minus(joined)
	t.president = signal.NodeID(s.Words[2])
}

func (t *TC) nfComplete(env block.Env, failNo uint64) {
	t.send(env, gsn.NF_COMPLETEREP, t.qmgr, 0, []uint32{uint32(failNo), uint32(failNo >> 32)}, nil)
}

// liveChain returns chain without the failed nodes (possibly empty), and
// whether it lost any.
func liveChain(chain []signal.NodeID, failed qmgr.NodeSet) ([]signal.NodeID, bool) {
	n := 0
	for _, c := range chain {
		if !failed.Has(c) {
			n++
		}
	}
	if n == len(chain) {
		return chain, false
	}
	out := make([]signal.NodeID, 0, n)
	for _, c := range chain {
		if !failed.Has(c) {
			out = append(out, c)
		}
	}
	return out, true
}

// nodeFailedTx settles one of this TC's transactions after a failure. An
// operation that lost every replica it ran on (a lock taken by a read on
// the failed primary) has nothing left to commit, complete or abort: it
// counts as answered. (A write that lost every replica means a whole node
// group failed, and QMGR stops the node.)
func (t *TC) nodeFailedTx(env block.Env, id uint64, x *tx, failed qmgr.NodeSet) {
	affected, scanHit := false, false
	for i := range x.ops {
		op := &x.ops[i]
		chain, changed := liveChain(op.chain, failed)
		if !changed {
			continue
		}
		op.chain = chain
		gone := len(chain) == 0
		switch x.state {
		case txPreparing:
			// A change or lock there, an answer still to come from
			// there, or a scan running there.
			if op.holds || op.state == opSent || op.scan != nil {
				affected = true
				scanHit = scanHit || op.scan != nil
			}
		case txCommitting:
			switch {
			case x.gci == 0 || op.state != opCommitting:
				// Held for the epoch switch: decideCommit sends along the
				// live chains.
			case gone:
				op.state = opCompleted
				x.pending--
			default:
				t.sendChainAs(env, gsn.COMMIT, id, uint32(i), x.gci, chain, 0, x.commitFlags(i))
			}
		case txCompleting:
			switch {
			case op.state != opCommitted:
			case gone:
				op.state = opCompleted
				x.pending--
			default:
				t.sendChain(env, gsn.COMPLETE, id, uint32(i), x.gci, chain)
			}
		case txAborting:
			switch {
			case op.state != opAborting:
			case gone:
				op.state = opAborted
				x.pending--
			default:
				t.sendAbort(env, id, uint32(i), chain, 0)
			}
		}
	}
	switch x.state {
	case txPreparing:
		// Scans still to start fragments take the new primaries.
		d := t.cfg.Distribution()
		for _, sc := range x.scans {
			if tbl, ok := d.Table(sc.tableID); ok {
				sc.table = tbl
			}
		}
		if affected {
			code := ndberr.ErrNodeFailAbort.Code
			if scanHit {
				code = ndberr.ErrNodeFailScan.Code
			}
			t.abortTx(env, id, x, code, -1)
		}
	case txCommitting:
		if x.gci != 0 && x.pending == 0 {
			t.finishCommit(env, id, x)
		}
	case txCompleting:
		if x.pending == 0 {
			t.completeDone(env, id, x)
		}
	case txAborting:
		if x.pending == 0 {
			t.abortDone(env, id, x)
		}
	}
}

// sendAbort sends ABORT for operation idx along chain; owner, if not 0,
// is the failed TC whose record it is (a takeover).
func (t *TC) sendAbort(env block.Env, trans uint64, idx uint32, chain []signal.NodeID, owner signal.NodeID) {
	w := append(t.words[:0], idx, 0, uint32(len(chain)))
	for _, c := range chain {
		w = append(w, uint32(c))
	}
	w = append(w, uint32(t.cfg.Node), uint32(t.self.Instance))
	if owner != 0 {
		w = append(w, uint32(owner))
	}
	t.words = w
	t.send(env, gsn.ABORT, signal.Address{Node: chain[0], Block: gsn.BlockLQH}, trans, w, nil)
}

// startTakeover (re)starts the takeover of every TC node failed since
// this node last saw it join: ask each live LQH for their records.
func (t *TC) startTakeover(env block.Env, failNo uint64, live qmgr.NodeSet) {
	if t.take != nil && t.cfg.Logger != nil {
		t.cfg.Logger.Warn("tc: a takeover replaces an unfinished one", "run", t.take.run,
			"lqh_reports_awaited", t.take.waiting, "transactions_unsettled", t.take.pending)
	}
	t.takeRuns++ // runs never repeat in a TC's life: the API counts outcomes by run
	run := t.takeRuns
	t.take = &takeover{run: run, nodes: t.failedEver, txs: map[uint64]*takenTx{}, failNo: failNo, told: map[signal.NodeID]uint32{}}
	t.Counters.Takeovers++
	if t.cfg.Logger != nil {
		t.cfg.Logger.Info("tc: taking over failed TCs' transactions", "run", run, "tc_nodes", t.failedEver.Nodes(), "lqh_nodes", live.Nodes(), "view", failNo)
	}
	for _, tcNode := range t.failedEver.Nodes() {
		for _, lqhNode := range live.Nodes() {
			t.take.waiting++
			t.send(env, gsn.LQH_TRANSREQ, signal.Address{Node: lqhNode, Block: gsn.BlockLQH}, 0,
				[]uint32{uint32(tcNode), run, uint32(failNo), uint32(failNo >> 32)}, nil)
		}
	}
	t.maybeTakenOver(env)
}

// lqhTransConf collects one LQH's report of a failed TC's record.
func (t *TC) lqhTransConf(env block.Env, s *signal.Signal) {
	tk := t.take
	if tk == nil || s.NumWords < 7 || s.Words[6] != tk.run || tk.waiting == 0 {
		return
	}
	w := s.Words[:s.NumWords]
	owner, idx, flags := signal.NodeID(w[0]), w[1], w[2]
	if flags&gsn.TransLast != 0 {
		tk.waiting--
		if tk.waiting == 0 {
			t.decideTakenOver(env)
		}
		return
	}
	x := tk.txs[s.TransID]
	if x == nil {
		x = &takenTx{owner: owner}
		tk.txs[s.TransID] = x
	}
	if flags&gsn.TransCommitted != 0 {
		x.committed = true
		x.gci = max(x.gci, uint64(w[3])|uint64(w[4])<<32)
	}
	if flags&gsn.TransMarker != 0 {
		x.markers = append(x.markers, signal.NodeID(w[5]))
		return
	}
	x.ops = append(x.ops, takenOp{node: signal.NodeID(w[5]), idx: idx})
}

// decideTakenOver settles every collected transaction: COMMIT (then
// COMPLETE) if any record committed, else ABORT, to each record's node.
func (t *TC) decideTakenOver(env block.Env) {
	tk := t.take
	ids := make([]uint64, 0, len(tk.txs))
	for id := range tk.txs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		x := tk.txs[id]
		slices.SortFunc(x.ops, func(a, b takenOp) int { return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.idx, b.idx)) })
		if len(x.ops) == 0 {
			// Only commit-ack markers: the transaction committed and
			// completed; its API may not have heard.
			t.Counters.TakenOverCommits++
			t.takeMarkers(env, id, x)
			t.tellAPI(env, id, x)
			delete(tk.txs, id)
			continue
		}
		tk.pending++
		if x.committed {
			t.Counters.TakenOverCommits++
			t.takeMarkers(env, id, x)
			t.takenPhase(env, id, x, gsn.COMMIT)
		} else {
			t.Counters.TakenOverAborts++
			t.takenPhase(env, id, x, gsn.ABORT)
		}
		t.tellAPI(env, id, x)
	}
	t.maybeTakenOver(env)
}

// tellAPI tells a taken-over transaction's API node its outcome, decided
// now (TCKEY_FAILCONF: it commits, with its GCI; TCKEY_FAILREF: it
// aborts). The API node is in the transaction id's top 16 bits (ndbapi's
// ids); the node restart's copies use 0xFFFF and take no part here.
func (t *TC) tellAPI(env block.Env, trans uint64, x *takenTx) {
	api := signal.NodeID(trans >> 48)
	if api == 0 || trans>>48 > signal.MaxNodeID {
		return
	}
	to := signal.Address{Node: api, Block: gsn.BlockAPI}
	t.take.told[api]++
	if x.committed {
		t.send(env, gsn.TCKEY_FAILCONF, to, trans, []uint32{uint32(x.owner), uint32(x.gci), uint32(x.gci >> 32), gsn.CommitAckMarker, t.take.run}, nil)
		return
	}
	t.send(env, gsn.TCKEY_FAILREF, to, trans, []uint32{uint32(x.owner), t.take.run}, nil)
}

// takeMarkers makes a committed taken-over transaction's markers this
// TC's until the API acknowledges its TCKEY_FAILCONF: the records'
// COMMIT leaves markers on their nodes too (takenPhase), so a takeover
// that fails before the API heard from it leaves the next one a trace.
func (t *TC) takeMarkers(env block.Env, trans uint64, x *takenTx) {
	nodes := slices.Clone(x.markers)
	for _, op := range x.ops {
		nodes = append(nodes, op.node)
	}
	if api := trans >> 48; api != 0 && api <= signal.MaxNodeID { // an API's, not a node restart's copy
		t.keepMarker(trans, signal.NodeID(api), nodes, t.now(env))
	}
}

// takenPhase sends a phase's signal for each record of a taken-over
// transaction, straight to the record's node.
func (t *TC) takenPhase(env block.Env, trans uint64, x *takenTx, n signal.Number) {
	x.phase, x.pending = n, len(x.ops)
	for i := range x.ops {
		op := &x.ops[i]
		op.done = false
		chain := []signal.NodeID{op.node}
		if n == gsn.ABORT {
			t.sendAbort(env, trans, op.idx, chain, x.owner)
			continue
		}
		var flags uint32
		if n == gsn.COMMIT {
			flags = gsn.CommitMarker
		}
		t.sendChainAs(env, n, trans, op.idx, x.gci, chain, x.owner, flags)
	}
}

// takenAnswer counts COMMITTED, COMPLETED or ABORTED for a taken-over
// transaction; false if the signal is not one.
func (t *TC) takenAnswer(env block.Env, s *signal.Signal, phase signal.Number) bool {
	tk := t.take
	if tk == nil || s.NumWords < 1 {
		return false
	}
	x := tk.txs[s.TransID]
	if x == nil || x.phase != phase {
		return x != nil
	}
	for i := range x.ops {
		op := &x.ops[i]
		if op.node == s.Sender.Node && op.idx == s.Words[0] && !op.done {
			op.done = true
			x.pending--
		}
	}
	if x.pending > 0 {
		return true
	}
	switch phase {
	case gsn.COMMIT:
		t.takenPhase(env, s.TransID, x, gsn.COMPLETE)
		return true
	}
	delete(tk.txs, s.TransID)
	tk.pending--
	t.maybeTakenOver(env)
	return true
}

// maybeTakenOver finishes the takeover once every report came in and
// every transaction is settled.
func (t *TC) maybeTakenOver(env block.Env) {
	tk := t.take
	if tk == nil || tk.waiting > 0 || tk.pending > 0 {
		return
	}
	t.take = nil
	w := make([]uint32, 10)
	copy(w, tk.nodes[:])
	t.send(env, gsn.TAKE_OVERTCCONF, signal.Address{Node: t.cfg.Node, Block: gsn.BlockDIH}, 0, w[:8], nil)
	if t.cfg.Logger != nil {
		t.cfg.Logger.Info("tc: takeover done", "run", tk.run, "tc_nodes", tk.nodes.Nodes(), "outcomes_to_api", tk.told, "api_nodes", t.cfg.APINodes)
	}
	for _, api := range t.cfg.APINodes {
		// The API node in the id's top bits, as its own transactions; the
		// run and how many outcomes it was sent, so that it trusts the
		// report only if none was lost on the way.
		w[8], w[9] = tk.run, tk.told[api]
		t.send(env, gsn.TC_TAKEOVERREP, signal.Address{Node: api, Block: gsn.BlockAPI}, uint64(api)<<48, w, nil)
	}
	t.nfComplete(env, tk.failNo)
}

// apiFailReq handles API_FAILREQ: API node w0 is gone; abort its
// transactions still preparing (those committing finish on their own),
// then answer API_FAILCONF.
func (t *TC) apiFailReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 1 {
		return
	}
	t.self = env.Self()
	api := signal.NodeID(s.Words[0])
	for _, id := range t.txIDs(func(x *tx) bool { return x.api.Node == api && x.state == txPreparing }) {
		t.abortTx(env, id, t.txs.get(id), ndberr.ErrNodeFailAbort.Code, -1)
	}
	// Its acknowledgements will not come.
	t.dropMarkersWhere(env, func(m tcMarker) bool { return m.api == api })
	t.send(env, gsn.API_FAILCONF, s.Sender, 0, []uint32{uint32(api)}, nil)
}

// txIDs lists the open transactions keep selects, in ascending order: map
// order is random, and the simulator needs the same signals in the same
// order for a seed.
func (t *TC) txIDs(keep func(*tx) bool) []uint64 {
	ids := make([]uint64, 0, t.txs.len())
	for id, x := range t.txs.all() {
		if keep(x) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
