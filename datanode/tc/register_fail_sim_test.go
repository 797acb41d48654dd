package tc_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// The register workload under node failures: the clients of
// register_sim_test.go's TestRegisterLinearizable, made to live with
// operations whose outcome they never learn.

// regClientTimeout is how long a register client waits for an answer
// before it goes on to its next operation (as ndbapi's TransactionTimeout,
// 4012). The operation stays open: a late answer still settles it.
const regClientTimeout = time.Second

// regAPI is the API side of one node incarnation's register clients: their
// operations not yet settled, by transaction id. A takeover's TCKEY_FAILCONF
// or TCKEY_FAILREF goes to the API node's block instance 0, whichever
// client ran the transaction, and a late answer may come after its client
// gave up waiting; both find the operation here. A node's crash loses its
// regAPI with it, as an API process's state.
type regAPI struct {
	open map[uint64]*regOp
	// started is when the node incarnation started, in simulated time.
	started time.Duration
	// dead: the node incarnation crashed or stopped, and with it the API
	// (the test sets it).
	dead bool
}

// regFailClient runs register operations one after another, each its own
// transaction, as regClient, and settles each from whatever answer comes
// (see settle), or leaves it open.
type regFailClient struct {
	id    int
	node  signal.NodeID
	nodes int
	l     *schema.Layout
	r     *rand.Rand
	api   *regAPI
	ops   []*regOp
	cur   *regOp
	curAt time.Duration // env.Now when cur was sent
	// acks: the client asks for commit-ack markers on its writes
	// (TcKeyCommitAck) and acknowledges their commits (TC_COMMIT_ACK):
	// a takeover then tells it every outcome, and one it is not told of
	// did not commit.
	acks    bool
	stopped bool
	seq     uint64
	sig     signal.Signal
}

func (c *regFailClient) Tick(env block.Env) {
	if c.cur != nil && env.Now()-c.curAt > regClientTimeout {
		c.cur = nil // give up waiting; the operation stays open
	}
	if c.cur == nil && !c.stopped && c.r.IntN(4) != 0 {
		c.start(env)
	}
}

// start sends the next operation: a random key and kind, through this
// node's TC or, one time in three, any node's (it may be down: then
// nothing was sent and the operation did not happen).
func (c *regFailClient) start(env block.Env) {
	c.seq++
	o := &regOp{client: c.id, tc: c.node, trans: uint64(c.node)<<48 | uint64(c.id)<<32 | c.seq,
		key: int64(c.r.IntN(registerKeys)), call: c.now(env)}
	if c.r.IntN(3) == 0 {
		o.tc = signal.NodeID(1 + c.r.IntN(c.nodes))
	}
	o.op = randomRegisterOp(c.r)
	var data []byte
	if o.write() {
		o.value = int64(c.id+1)<<32 | int64(c.seq) // every write's value is unique
		data = registerRow(c.l, o.key, o.value)
	} else {
		data = registerRow(c.l, o.key, 0)[:c.l.KeySize]
	}
	c.ops = append(c.ops, o)
	flags := uint32(gsn.TcKeyCommit)
	if c.acks && o.write() {
		flags |= gsn.TcKeyCommitAck
		o.marker = true
	}
	keyReq(&c.sig, tcAt(o.tc), o.trans, c.l, o.op, 0, flags, data)
	if err := env.Send(&c.sig); err != nil {
		// Not sent (the TC's node is down or cut off): it did not happen.
		o.ret, o.failCode, o.settled = o.call, uint32(ndberr.ErrSendFailed.Code), true
		return
	}
	c.api.open[o.trans] = o
	c.cur, c.curAt = o, env.Now()
}

// now is the simulation's time: env.Now counts from the node's last
// start, and a history needs one clock.
func (c *regFailClient) now(env block.Env) int64 { return int64(env.Now() + c.api.started) }

func (c *regFailClient) Handle(env block.Env, s *signal.Signal) {
	if s.Number == gsn.TC_TAKEOVERREP {
		c.takenOver(env, s)
		return
	}
	o := c.api.open[s.TransID]
	if o == nil {
		return
	}
	now := c.now(env)
	switch s.Number {
	case gsn.TCKEYCONF:
		if !o.write() && !o.ok {
			row := s.Section(0)
			if len(row) != c.l.FixedSize {
				panic(fmt.Sprintf("register client %d: a read returned %d bytes", c.id, len(row)))
			}
			// The value is known now: the read took effect before this,
			// whatever happens to its transaction later.
			o.value, o.ret, o.ok = c.l.RowOf(row).Int64(1), now, true
		}
		return
	case gsn.TCCOMMITCONF:
		if o.write() {
			o.ret, o.ok = now, true
		}
		if s.NumWords > 2 && s.Words[2]&gsn.CommitAckMarker != 0 {
			c.commitAck(env, s)
		}
	case gsn.TCKEY_FAILCONF:
		// The takeover committed it (w1-w2 the GCI): a write took effect
		// before now.
		if o.write() {
			o.ret, o.ok = now, true
		}
		if s.NumWords > 3 && s.Words[3]&gsn.CommitAckMarker != 0 {
			c.commitAck(env, s)
		}
	case gsn.TCKEY_FAILREF:
		// The takeover aborted it: no replica kept it.
		o.failCode = uint32(ndberr.ErrTCNodeFailed.Code)
		if !o.ok {
			o.ret = now
		}
	case gsn.TCKEYREF, gsn.TCROLLBACKREP:
		code := s.Words[0] // TCROLLBACKREP: w0 the code
		if s.Number == gsn.TCKEYREF {
			code = s.Words[1]
		}
		o.failCode = code
		if !o.ok {
			o.ret = now
			o.unknown = !refAborted(int(code))
		}
	default:
		return
	}
	c.settle(env, o)
}

// settle forgets a settled operation and, if it was this client's
// current one, most of the time starts the next at once.
func (c *regFailClient) settle(env block.Env, o *regOp) {
	o.settled = true
	delete(c.api.open, o.trans)
	if c.cur == o {
		c.cur = nil
		if !c.stopped && c.r.IntN(3) != 0 {
			c.start(env)
		}
	}
}

// commitAck acknowledges a commit with markers to the TC that confirmed
// it.
func (c *regFailClient) commitAck(env block.Env, s *signal.Signal) {
	ack := &signal.Signal{Number: gsn.TC_COMMIT_ACK, Receiver: s.Sender}
	ack.SetWords(1, uint32(s.TransID), uint32(s.TransID>>32))
	env.Send(ack)
}

// takenOver handles TC_TAKEOVERREP (w0-w7 the failed TC nodes): the
// takeover told this API node the outcome of every transaction of those
// TCs it found a trace of. A write with commit-ack markers that it was
// not told of did not commit (its markers would have told): proven
// aborted, as ndbapi's 4010. One without markers may have committed and
// been completed before its TC failed: it stays unknown (ndbapi's 4011).
// A read without a value never counts.
func (c *regFailClient) takenOver(env block.Env, s *signal.Signal) {
	if s.NumWords < 8 {
		return
	}
	failed := qmgr.SetFromWords(s.Words[:8])
	var ids []uint64
	for id, o := range c.api.open {
		if failed.Has(o.tc) && o.marker && !o.ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids) // settle starts operations: in a fixed order
	now := c.now(env)
	for _, id := range ids {
		o := c.api.open[id]
		o.ret, o.failCode = now, uint32(ndberr.ErrTCNodeFailed.Code)
		c.settle(env, o)
	}
}

// refAborted reports whether TCKEYREF or TCROLLBACKREP with code proves
// the transaction aborted, so that a write in it never happened. TC sends
// them from abortTx alone, which runs only while the transaction prepares:
// no COMMIT was sent, and a takeover commits only a transaction of which
// some LQH record committed. So every temporary error (266 and 274
// time-outs, 4025/4028 node failure aborts, 9021 node starting, 270 node
// shutdown, 233 too many operations) and every permanent one (723 no such
// table, row errors) proves an abort. Two do not: an unknown-result code
// (4011, 4012: the API's own, never from TC, but a client must not take
// them for aborts) and an internal error, such as 9002, which TC sends
// without aborting when an operation arrives for a transaction already
// past its commit decision (this client sends one operation per
// transaction, so it never should).
func refAborted(code int) bool {
	switch e := ndberr.ByCode(code); e.Classification {
	case ndberr.ClassUnknownResult, ndberr.ClassInternal:
		return false
	}
	return true
}

// crashPoint is where a round of TestRegisterLinearizableFailures crashes
// its victim.
type crashPoint uint8

const (
	crashAnyTime   crashPoint = iota // a random moment
	crashTCCommit                    // its TC between COMMIT and COMMITTED (the commit decision taken)
	crashTCDone                      // its TC between COMMITTED and COMPLETED (the API answered, LQH records kept)
	crashLQHCommit                   // its LQH on a COMMIT, in the middle of the chain
	crashLQHPrep                     // its LQH on an LQHKEYREQ (prepare)
	crashGCPMaster                   // the GCP master in the middle of a round
	crashPoints
)

var crashPointNames = [crashPoints]string{"any time", "TC mid-commit", "TC before complete", "LQH commit", "LQH prepare", "GCP master mid-round"}

// trigger returns the CrashWhen predicate of a crash point: it accepts
// the skip+1st matching signal.
func (p crashPoint) trigger(skip int) func(*signal.Signal) bool {
	match := func(s *signal.Signal) bool {
		switch p {
		case crashTCCommit:
			return s.Number == gsn.COMMITTED
		case crashTCDone:
			return s.Number == gsn.COMPLETED
		case crashLQHCommit:
			return s.Number == gsn.COMMIT
		case crashLQHPrep:
			return s.Number == gsn.LQHKEYREQ
		case crashGCPMaster:
			// The master's part of a round: after GCP_PREPARE went out
			// (its answers), or after GCP_COMMIT (the nodes finishing).
			return s.Number == gsn.GCP_PREPARECONF || s.Number == gsn.GCP_NODEFINISH
		}
		return false
	}
	return func(s *signal.Signal) bool {
		if !match(s) {
			return false
		}
		skip--
		return skip < 0
	}
}

// regFailStats sums what TestRegisterLinearizableFailures saw over seeds.
type regFailStats struct {
	ops, reads, writes, failed, unknown, sendFailed int
	fired                                           [crashPoints]int
	takeoverCommits, takeoverAborts                 int
	afterRestart                                    int // settled operations called after the last restart
	// fenced counts reads refused for want of a read lease (ErrReadFenced).
	fenced int
	// rounds counts crash rounds: each takes the next crash point in
	// turn, so that a dozen seeds try every one (a random pick missed
	// some in 1 run of 20 or so).
	rounds int
}

// TestRegisterLinearizableFailures runs the register workload of
// TestRegisterLinearizable on clusters with QMGR, crashes a node (one to
// three rounds, each: crash, run, restart by a node restart, run), and
// checks every key's history for linearizability with porcupine and that
// all replicas are equal. The crashes hit a random node at a random
// moment, or a chosen node at a protocol step (CrashWhen): its TC after
// the commit decision (between COMMIT and COMMITTED) or before the
// complete phase, its LQH in the middle of a commit or a prepare, the GCP
// master in the middle of a round.
//
// Operations with failures: a write that got no definite answer (its TC
// died, its client died, or only the client's time-out) may or may not
// have happened; porcupine takes it with a return time of infinity, so it
// may take effect anywhere after its call, or never be seen (the model's
// write step accepts any output). Reads without a value are left out, as
// are writes proven aborted (refAborted; TCKEY_FAILREF). A takeover's
// TCKEY_FAILCONF proves a write committed.
func TestRegisterLinearizableFailures(t *testing.T) {
	const clientsPerNode = 2
	l := registerLayout()
	initial := simTable{layout: l, fragments: 2}
	for k := int64(0); k < registerKeys; k++ {
		initial.rows = append(initial.rows, registerRow(l, k, 0))
	}
	seeds := seedList(60, 12, 2)
	for _, cfg := range []struct{ nodes, replicas int }{{2, 2}, {4, 2}, {3, 3}} {
		t.Run(fmt.Sprintf("nodes=%d,replicas=%d", cfg.nodes, cfg.replicas), func(t *testing.T) {
			var st regFailStats
			for _, seed := range seeds {
				runRegisterFailures(t, seed, cfg.nodes, cfg.replicas, clientsPerNode, initial, &st)
			}
			if st.reads == 0 || st.writes == 0 || st.afterRestart == 0 {
				t.Fatalf("%d reads, %d writes, %d operations after the restarts", st.reads, st.writes, st.afterRestart)
			}
			if len(seeds) >= 12 && (st.fired[crashTCCommit] == 0 || st.fired[crashGCPMaster] == 0) {
				t.Fatalf("no crash of a TC mid-commit (%d) or of the GCP master mid-round (%d)", st.fired[crashTCCommit], st.fired[crashGCPMaster])
			}
			var fired string
			for p, n := range st.fired {
				fired += fmt.Sprintf(", %s %d", crashPointNames[p], n)
			}
			t.Logf("%d seeds: %d operations, %d reads, %d writes committed, %d writes unknown, %d failed (%d not sent), %d after a restart; takeovers committed %d, aborted %d; crashes%s",
				len(seeds), st.ops, st.reads, st.writes, st.unknown, st.failed, st.sendFailed, st.afterRestart,
				st.takeoverCommits, st.takeoverAborts, fired)
		})
	}
}

// regCluster is a cluster with QMGR running register clients that live
// with failures (regFailClient) on every node, a new set at each restart.
type regCluster struct {
	*cluster
	l       *schema.Layout
	clients []*regFailClient
	apis    map[signal.NodeID]*regAPI // each node's current incarnation's
	// lastRestart is when the last node restart finished; events lists
	// the faults, for a failure's report.
	lastRestart time.Duration
	events      []string
}

// newRegCluster builds a register cluster for one seed.
func newRegCluster(t *testing.T, seed uint64, nodes, replicas, clientsPerNode int, initial simTable) *regCluster {
	rc := &regCluster{l: initial.layout, apis: map[signal.NodeID]*regAPI{}}
	rc.cluster = newSimCluster(t, clusterConfig{seed: seed, nodes: nodes, replicas: replicas, tables: []simTable{initial}, qmgr: true, apiNodes: true,
		api: func(n signal.NodeID) []sim.Placed {
			api := &regAPI{open: map[uint64]*regOp{}}
			if rc.cluster != nil {
				api.started = rc.s.Now()
			}
			rc.apis[n] = api
			var placed []sim.Placed
			for i := 0; i < clientsPerNode; i++ {
				id := len(rc.clients)
				cl := &regFailClient{id: id, node: n, nodes: nodes, l: rc.l, api: api, r: rand.New(rand.NewPCG(seed, uint64(id))),
					acks: id%2 == 0}
				rc.clients = append(rc.clients, cl)
				placed = append(placed, sim.Placed{ID: gsn.BlockAPI, Instance: uint16(i), Block: cl})
			}
			return placed
		}})
	return rc
}

// down notes that nodes crashed or stopped: their API state is lost.
func (rc *regCluster) down(nodes ...signal.NodeID) {
	for _, n := range nodes {
		rc.apis[n].dead = true
	}
}

// event notes a fault for a failure's report.
func (rc *regCluster) event(format string, a ...any) {
	rc.events = append(rc.events, fmt.Sprintf("%v: ", rc.s.Now())+fmt.Sprintf(format, a...))
}

// runRegisterFailures runs one seed of TestRegisterLinearizableFailures.
func runRegisterFailures(t *testing.T, seed uint64, nodes, replicas, clientsPerNode int, initial simTable, st *regFailStats) {
	rc := newRegCluster(t, seed, nodes, replicas, clientsPerNode, initial)
	c := rc.cluster
	rng := c.s.Rand()
	c.s.RunTicks(20 + rng.IntN(40))
	for round, rounds := 0, 1+rng.IntN(2); round < rounds; round++ {
		victim := signal.NodeID(1 + rng.IntN(nodes))
		point := crashPoint(st.rounds % int(crashPoints))
		st.rounds++
		if point == crashGCPMaster {
			for _, n := range c.nodes {
				if c.s.Up(n) && c.gcps[n].IsMaster() {
					victim = n
				}
			}
		}
		if point != crashAnyTime {
			c.s.CrashWhen(victim, point.trigger(rng.IntN(4)))
			for i := 0; i < 60 && c.s.Up(victim); i++ {
				c.s.RunTicks(1)
			}
		}
		if c.s.Up(victim) {
			// Not fired (nothing went through that step): a random moment.
			c.s.CrashWhen(victim, nil)
			point = crashAnyTime
			c.s.RunUntil(c.s.Now() + time.Duration(rng.Int64N(int64(10*time.Millisecond))))
			c.s.Crash(victim)
		}
		st.fired[point]++
		rc.down(victim)
		rc.event("node %d crashed (%s)", victim, crashPointNames[point])
		c.s.RunTicks(60 + rng.IntN(100))
		rc.event("node %d restarts", victim)
		c.s.Restart(victim)
		for i := 0; i < 3000 && !c.started(victim); i++ {
			c.s.RunTicks(1)
		}
		if !c.started(victim) {
			c.fail(t, fmt.Errorf("round %d: node %d, crashed at %s, did not finish its node restart\n%s", round, victim, crashPointNames[point], c.describeNodes()))
		}
		rc.lastRestart = c.s.Now()
		rc.event("node %d restarted", victim)
		c.s.RunTicks(30 + rng.IntN(60))
	}
	rc.check(t, st)
	c.close()
}

// check stops the clients, lets everything finish, verifies that the
// cluster settled with equal replicas, and checks every key's history for
// linearizability, the final values read from the primaries included.
func (rc *regCluster) check(t *testing.T, st *regFailStats) {
	c := rc.cluster
	for _, cl := range rc.clients {
		cl.stopped = true
	}
	c.s.RunTicks(150)
	err := c.checkSettled(1)
	for i := 0; err != nil && i < 10; i++ {
		c.s.RunTicks(1)
		err = c.checkSettled(1)
	}
	if err != nil {
		c.fail(t, err)
	}
	for id, tcb := range c.tcs {
		if c.s.Up(id) {
			st.takeoverCommits += int(tcb.Counters.TakenOverCommits)
			st.takeoverAborts += int(tcb.Counters.TakenOverAborts)
		}
	}
	var history []porcupine.Operation
	var all []*regOp
	for _, cl := range rc.clients {
		for _, o := range cl.ops {
			all = append(all, o)
			st.ops++
			switch {
			case o.failCode == uint32(ndberr.ErrSendFailed.Code):
				st.sendFailed++
				st.failed++
				continue
			case !o.write() && o.ok:
				st.reads++
			case !o.write():
				st.failed++ // a read without a value: left out
				if o.failCode == uint32(ndberr.ErrReadFenced.Code) {
					st.fenced++
				}
				continue
			case o.ok:
				st.writes++
			case o.settled && !o.unknown:
				st.failed++ // proven aborted: left out
				continue
			default:
				// No definite answer: it may take effect any time after
				// its call, or never.
				o.unknown, o.ret = true, math.MaxInt64
				st.unknown++
				if o.marker && !cl.api.dead {
					// Its API lived on: its TC, or the takeover of its TC
					// (TCKEY_FAILCONF/REF, then TC_TAKEOVERREP), must have
					// told it the outcome.
					c.fail(t, fmt.Errorf("a write with commit-ack markers got no outcome: %v; %s", o, strings.Join(rc.events, ", ")))
				}
			}
			if o.call > int64(rc.lastRestart) && o.ret != math.MaxInt64 {
				st.afterRestart++
			}
			op := porcupine.Operation{ClientId: o.client,
				Input: regInput{key: o.key, write: o.write(), value: o.value}, Call: o.call, Output: o.value, Return: o.ret}
			history = append(history, op)
		}
	}
	end := int64(c.s.Now())
	l := rc.l
	for k := int64(0); k < registerKeys; k++ {
		row, err := c.primaryRow(registerTableID, registerRow(l, k, 0)[:l.KeySize])
		if err != nil {
			c.fail(t, err)
		}
		history = append(history, porcupine.Operation{ClientId: len(rc.clients), Input: regInput{key: k},
			Call: end, Output: l.RowOf(row).Int64(1), Return: end})
	}
	if porcupine.CheckOperationsTimeout(registerModel, history, 10*time.Second) == porcupine.Ok {
		return
	}
	if res, info := porcupine.CheckOperationsVerbose(registerModel, history, time.Minute); res != porcupine.Ok {
		c.fail(t, fmt.Errorf("histories not linearizable (%s) with %s:\n%s%s", res, strings.Join(rc.events, ", "),
			firstViolation(history, all), describeViolation(t, c.seed, all, info)))
	}
}

// firstViolation finds each key whose history porcupine rejects and the
// shortest prefix of it, by call time, that it rejects, and lists the
// operations on that key called in the 300 ms before the prefix's last
// one: the violation is among them.
func firstViolation(history []porcupine.Operation, all []*regOp) string {
	var sb strings.Builder
	byKey := map[int64][]porcupine.Operation{}
	for _, op := range history {
		k := op.Input.(regInput).key
		byKey[k] = append(byKey[k], op)
	}
	for k := int64(0); k < registerKeys; k++ {
		ops := byKey[k]
		if porcupine.CheckOperations(registerModel, ops) {
			continue
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
		lo, hi := 1, len(ops)
		for lo < hi {
			mid := (lo + hi) / 2
			if porcupine.CheckOperations(registerModel, ops[:mid]) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		last := ops[lo-1]
		fmt.Fprintf(&sb, "key %d: the first %d of %d operations are not linearizable; the last of them is called at %d; the operations called in the 300 ms before:\n", k, lo, len(ops), last.Call)
		for _, o := range all {
			if o.key == k && o.call >= last.Call-int64(300*time.Millisecond) && o.call <= last.Call {
				sb.WriteString("    " + o.String() + "\n")
			}
		}
	}
	return sb.String()
}

// describeNodes is every node's membership, restart, GCP and open
// transaction state, for a failure's report.
func (c *cluster) describeNodes() string {
	var sb strings.Builder
	for _, n := range c.nodes {
		if !c.s.Up(n) {
			fmt.Fprintf(&sb, "node %d: down\n", n)
			continue
		}
		q := c.qmgrs[n].State()
		live, starting := c.restarts[n].Members()
		g := c.gcps[n].Stats()
		fmt.Fprintf(&sb, "node %d: QMGR %v, view %d %v, president %d; started %v, members %v starting %v; GCP master %v at %d (complete %d); %d transactions, %d operation records\n",
			n, q.Phase, q.FailNo, q.Members, q.President, c.started(n), live, starting, c.gcps[n].IsMaster(), g.Current, g.Completed,
			c.tcs[n].Transactions(), c.lqhs[n].OpenOperations())
	}
	return sb.String()
}
