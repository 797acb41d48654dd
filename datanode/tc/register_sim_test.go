package tc_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// The register table: a few keys, each a register holding a BIGINT.
const (
	registerTableID = 4
	registerKeys    = 3
)

func registerLayout() *schema.Layout {
	return mustLayout(&schema.Table{ID: registerTableID, Name: "register", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "k", Type: schema.TypeBigInt}, {Name: "v", Type: schema.TypeBigInt}}})
}

func registerRow(l *schema.Layout, k, v int64) []byte {
	b := schema.NewRowBuilder(l)
	b.SetInt64(0, k)
	b.SetInt64(1, v)
	return b.AppendRow(nil)
}

// regInput is a register operation as porcupine sees it.
type regInput struct {
	key   int64
	write bool
	value int64 // written
}

// regOp is one operation a register client ran, with its outcome.
type regOp struct {
	client     int
	op         uint32 // gsn.Op*
	tc         signal.NodeID
	trans      uint64
	key, value int64 // value: written, or read
	call, ret  int64 // simulated nanoseconds
	ok         bool  // committed (writes) or read (reads); failed ones did not happen
	failCode   uint32
	// With node failures (register_fail_sim_test.go): settled, an answer
	// came; unknown, a write that may or may not have happened; marker,
	// a write that asked for commit-ack markers.
	settled, unknown, marker bool
}

func (o *regOp) write() bool { return gsn.IsWrite(o.op) }

var regOpNames = map[uint32]string{gsn.OpRead: "read", gsn.OpReadShared: "read-shared", gsn.OpReadExclusive: "read-exclusive",
	gsn.OpWrite: "write", gsn.OpUpdate: "update"}

func (o *regOp) String() string {
	s := fmt.Sprintf("client %d via TC %d tx %x: %s k%d", o.client, o.tc, o.trans, regOpNames[o.op], o.key)
	if o.write() {
		s += fmt.Sprintf(" := %d", o.value)
	} else if o.ok {
		s += fmt.Sprintf(" -> %d", o.value)
	}
	switch {
	case o.unknown:
		s += " unknown"
		if o.failCode != 0 {
			s += fmt.Sprintf(" (%d)", o.failCode)
		}
	case !o.ok:
		s += fmt.Sprintf(" failed (%d)", o.failCode)
	}
	return s + fmt.Sprintf(" [%d, %d]", o.call, o.ret)
}

// regClient runs register operations one after another, each its own
// transaction, on random keys through its own node's TC or, now and then,
// another node's.
type regClient struct {
	id      int
	node    signal.NodeID
	nodes   int
	l       *schema.Layout
	r       *rand.Rand
	ops     []regOp
	cur     *regOp
	stopped bool
	seq     uint64
	sig     signal.Signal
}

func newRegClient(id int, node signal.NodeID, nodes int, l *schema.Layout, seed uint64) *regClient {
	return &regClient{id: id, node: node, nodes: nodes, l: l, r: rand.New(rand.NewPCG(seed, uint64(id)))}
}

func (c *regClient) Tick(env block.Env) {
	if c.cur == nil && !c.stopped && c.r.IntN(4) != 0 {
		c.start(env)
	}
}

// start begins the next operation.
func (c *regClient) start(env block.Env) {
	c.seq++
	o := regOp{client: c.id, tc: c.node, trans: uint64(c.node)<<48 | uint64(c.id)<<32 | c.seq,
		key: int64(c.r.IntN(registerKeys)), call: int64(env.Now())}
	if c.r.IntN(3) == 0 {
		o.tc = signal.NodeID(1 + c.r.IntN(c.nodes))
	}
	var data []byte
	o.op = randomRegisterOp(c.r)
	if o.write() {
		o.value = int64(c.id+1)<<32 | int64(c.seq) // every write's value is unique
		data = registerRow(c.l, o.key, o.value)
	} else {
		data = registerRow(c.l, o.key, 0)[:c.l.KeySize]
	}
	c.ops = append(c.ops, o)
	c.cur = &c.ops[len(c.ops)-1]
	keyReq(&c.sig, tcAt(o.tc), o.trans, c.l, o.op, 0, gsn.TcKeyCommit, data)
	env.Send(&c.sig)
}

// finish ends the current operation and, most of the time, starts the next
// one at once.
func (c *regClient) finish(env block.Env) {
	c.cur = nil
	if !c.stopped && c.r.IntN(3) != 0 {
		c.start(env)
	}
}

func (c *regClient) Handle(env block.Env, s *signal.Signal) {
	o := c.cur
	if o == nil || s.TransID != o.trans {
		return
	}
	now := int64(env.Now())
	switch s.Number {
	case gsn.TCKEYCONF:
		if !o.write() {
			row := s.Section(0)
			if len(row) != c.l.FixedSize {
				panic(fmt.Sprintf("register client %d: a read returned %d bytes", c.id, len(row)))
			}
			// The value is known now: the read takes effect before this.
			o.value, o.ret, o.ok = c.l.RowOf(row).Int64(1), now, true
		}
	case gsn.TCCOMMITCONF:
		if o.write() {
			o.ret, o.ok = now, true
		}
		c.finish(env)
	case gsn.TCKEYREF, gsn.TCROLLBACKREP:
		// Aborted before its commit decision: with no node failing, the
		// operation did not happen. (A read that returned its value and
		// then failed to commit still read it.)
		if !o.ok {
			o.ret = now
			o.failCode = s.Words[0] // TCROLLBACKREP: w0 the code
			if s.Number == gsn.TCKEYREF {
				o.failCode = s.Words[1]
			}
		}
		c.finish(env)
	}
}

// registerModel is porcupine's single-register model, partitioned by key.
var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int64][]porcupine.Operation{}
		var keys []int64
		for _, op := range history {
			k := op.Input.(regInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		out := make([][]porcupine.Operation, len(keys))
		for i, k := range keys {
			out[i] = byKey[k]
		}
		return out
	},
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		in := input.(regInput)
		if in.write {
			return true, in.value
		}
		return output.(int64) == state.(int64), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(regInput)
		if in.write {
			return fmt.Sprintf("k%d := %d", in.key, in.value)
		}
		return fmt.Sprintf("k%d -> %d", in.key, output)
	},
}

// TestRegisterLinearizable runs register clients on every node, reading
// (committed reads, shared- and exclusive-lock reads) and writing (write,
// update) a few keys, each operation its own transaction, and checks the
// history of every key for linearizability with porcupine. Committed reads
// go to the primary and a write commits on the primary last, so they must
// be linearizable too. Failed operations (lock wait time-outs) are left
// out: with no node failing, an aborted write did not happen. At the end
// every key's committed value is read from its primary, after everything.
func TestRegisterLinearizable(t *testing.T) {
	const clientsPerNode, runTicks = 3, 50
	l := registerLayout()
	initial := simTable{layout: l, fragments: 2}
	for k := int64(0); k < registerKeys; k++ {
		initial.rows = append(initial.rows, registerRow(l, k, 0))
	}
	seeds := simFlags.List(200, 20, testing.Short())
	for _, cfg := range []struct{ nodes, replicas int }{{2, 1}, {2, 2}, {3, 3}} {
		t.Run(fmt.Sprintf("nodes=%d,replicas=%d", cfg.nodes, cfg.replicas), func(t *testing.T) {
			var ops, reads, failed int
			for _, seed := range seeds {
				var clients []*regClient
				c := newSimCluster(t, clusterConfig{seed: seed, nodes: cfg.nodes, replicas: cfg.replicas,
					tables: []simTable{initial},
					api: func(n signal.NodeID) []sim.Placed {
						var placed []sim.Placed
						for i := 0; i < clientsPerNode; i++ {
							cl := newRegClient(len(clients), n, cfg.nodes, l, seed)
							clients = append(clients, cl)
							placed = append(placed, sim.Placed{ID: gsn.BlockAPI, Instance: uint16(i), Block: cl})
						}
						return placed
					}})
				c.s.RunTicks(runTicks)
				for _, cl := range clients {
					cl.stopped = true
				}
				c.s.RunTicks(50)
				if err := c.checkSettled(1); err != nil {
					c.fail(t, err)
				}
				var history []porcupine.Operation
				var all []*regOp
				for _, cl := range clients {
					if cl.cur != nil {
						c.fail(t, fmt.Errorf("operation still running after the run: %v", cl.cur))
					}
					for i := range cl.ops {
						o := &cl.ops[i]
						all = append(all, o)
						ops++
						if !o.ok {
							failed++
							continue
						}
						if !o.write() {
							reads++
						}
						history = append(history, porcupine.Operation{ClientId: o.client,
							Input: regInput{key: o.key, write: o.write(), value: o.value}, Call: o.call, Output: o.value, Return: o.ret})
					}
				}
				end := int64(c.s.Now())
				for k := int64(0); k < registerKeys; k++ {
					row, err := c.primaryRow(registerTableID, registerRow(l, k, 0)[:l.KeySize])
					if err != nil {
						c.fail(t, err)
					}
					history = append(history, porcupine.Operation{ClientId: len(clients), Input: regInput{key: k},
						Call: end, Output: l.RowOf(row).Int64(1), Return: end})
				}
				res, info := porcupine.CheckOperationsVerbose(registerModel, history, 0)
				if res != porcupine.Ok {
					c.fail(t, fmt.Errorf("histories not linearizable (%s):\n%s", res, describeViolation(t, seed, all, info)))
				}
				c.close()
			}
			if reads == 0 || ops == reads+failed {
				t.Fatalf("no reads (%d) or no writes among %d operations", reads, ops)
			}
			t.Logf("%d seeds: %d operations, %d reads, %d writes, %d failed", len(seeds), ops, reads, ops-reads-failed, failed)
		})
	}
}

// describeViolation lists every operation of the run by key, in call
// order, and writes porcupine's visualization to a temporary file.
func describeViolation(t *testing.T, seed uint64, all []*regOp, info porcupine.LinearizationInfo) string {
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].key != all[j].key {
			return all[i].key < all[j].key
		}
		return all[i].call < all[j].call
	})
	var sb strings.Builder
	for _, o := range all {
		sb.WriteString("  " + o.String() + "\n")
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("gondb-register-seed%d.html", seed))
	if err := porcupine.VisualizePath(registerModel, info, path); err == nil {
		sb.WriteString("visualization: " + path + "\n")
	}
	return sb.String()
}

// randomRegisterOp picks a register client's next operation: 30%
// committed reads, 20% shared-lock and 10% exclusive-lock reads, 20%
// writes and 20% updates.
func randomRegisterOp(r *rand.Rand) uint32 {
	switch k := r.IntN(10); {
	case k < 3:
		return gsn.OpRead
	case k < 5:
		return gsn.OpReadShared
	case k < 6:
		return gsn.OpReadExclusive
	case k < 8:
		return gsn.OpWrite
	}
	return gsn.OpUpdate
}
