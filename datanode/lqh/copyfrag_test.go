package lqh

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// A node restart's copy between two LQHs: node 1 holds the primaries,
// node 2 restarts; node 3 plays the president's RESTART block and a TC
// that runs single-operation write transactions through the chain [1, 2]
// while the copy goes on.

const (
	nrPrimary signal.NodeID = 1
	nrJoiner  signal.NodeID = 2
	nrOther   signal.NodeID = 3 // the president and the TC
)

type nrNet struct {
	t       *testing.T
	lqhs    map[signal.NodeID]*LQH
	q       []signal.Signal
	confs   []signal.Signal // COPY_FRAGCONF
	empties int             // NR_EMPTYCONF
	txs     map[uint64]*nrTx
	nextTx  uint64
	gci     uint64 // the epoch live commits get
	refs    int    // writes the joiner refused (must stay 0)
	commits int    // live writes committed
	l       *schema.Layout
	tbl     *dih.Table
}

type nrTx struct {
	abort bool
}

type nrEnv struct {
	n    *nrNet
	self signal.Address
}

func (e nrEnv) Self() signal.Address { return e.self }
func (e nrEnv) Now() time.Duration   { return 0 }
func (e nrEnv) Send(s *signal.Signal) error {
	c := *s
	c.Sender = e.self
	for i := 0; i < int(c.NumSects); i++ {
		c.Sections[i] = bytes.Clone(s.Sections[i])
	}
	e.n.q = append(e.n.q, c)
	return nil
}

func nrTable() *schema.Layout {
	l, err := schema.NewLayout(&schema.Table{ID: 7, Name: "acct", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "bal", Type: schema.TypeInt},
			{Name: "note", Type: schema.TypeVarchar, Length: 30, Nullable: true}},
		Indexes: []schema.Index{{Name: "ib", Kind: schema.IndexOrdered, Columns: []int{1}}}})
	if err != nil {
		panic(err)
	}
	return l
}

func newNRNet(t *testing.T) *nrNet {
	l := nrTable()
	groups, err := partition.FormNodeGroups([]partition.NodeID{1, 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dih.New().WithTable(l, groups, 4)
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ := d.Table(l.Table.ID)
	n := &nrNet{t: t, lqhs: map[signal.NodeID]*LQH{}, txs: map[uint64]*nrTx{}, l: l, tbl: tbl}
	for _, id := range []signal.NodeID{nrPrimary, nrJoiner} {
		pool, err := mem.NewPool(16 << 20)
		if err != nil {
			t.Fatal(err)
		}
		lq := New(id, d, pool)
		n.lqhs[id] = lq
		t.Cleanup(func() {
			for _, f := range lq.Fragments() {
				f.Close()
			}
			lq.CloseDropped()
			pool.Close()
		})
	}
	return n
}

func (n *nrNet) row(id int64, bal int64) []byte {
	b := schema.NewRowBuilder(n.l)
	if err := b.SetInt64(0, id); err != nil {
		panic(err)
	}
	if err := b.SetInt64(1, bal); err != nil {
		panic(err)
	}
	if id%3 == 0 {
		if err := b.SetString(2, fmt.Sprintf("note %d/%d", id, bal)); err != nil {
			panic(err)
		}
	}
	return b.AppendRow(nil)
}

func (n *nrNet) locate(key []byte) (uint64, uint32) {
	h := partition.Hash(n.l.DistributionKey(key, nil))
	frag, _ := n.tbl.Locate(h)
	return h, frag
}

// put commits a row (delete: its key) straight into node's replica with gci.
func (n *nrNet) put(node signal.NodeID, id, bal int64, gci uint64, del bool) {
	row := n.row(id, bal)
	key := n.l.Key(row)
	h, frag := n.locate(key)
	f, _ := n.lqhs[node].Fragment(n.l.Table.ID, frag)
	var ref store.OpRef
	var err error
	if del {
		ref, err = f.PrepareDelete(1, h, key)
	} else {
		ref, err = f.PrepareWrite(1, h, row)
	}
	if err == nil {
		err = f.Commit(ref, gci)
	}
	if err != nil {
		n.t.Fatalf("node %d: putting row %d: %v", node, id, err)
	}
}

// signal queues a signal from node 3's block from.
func (n *nrNet) signal(num signal.Number, from signal.BlockID, to signal.Address, trans uint64, sect []byte, words ...uint32) {
	var s signal.Signal
	s.Number = num
	s.Receiver = to
	s.TransID = trans
	s.SetWords(words...)
	if sect != nil {
		s.AddSection(sect)
	}
	nrEnv{n: n, self: signal.Address{Node: nrOther, Block: from}}.Send(&s)
}

// startCopy runs NR_EMPTYREQ on the joiner with restored GCI r, then asks
// node 1 to copy every fragment.
func (n *nrNet) startCopy(r uint64) {
	n.signal(gsn.NR_EMPTYREQ, gsn.BlockRESTART, signal.Address{Node: nrJoiner, Block: gsn.BlockLQH}, 0, nil, 9, 0, uint32(r), uint32(r>>32))
	for n.empties == 0 {
		n.step()
	}
	for frag := range n.tbl.Replicas {
		n.signal(gsn.COPY_FRAGREQ, gsn.BlockRESTART, signal.Address{Node: nrPrimary, Block: gsn.BlockLQH}, 0, nil,
			n.l.Table.ID, uint32(frag), uint32(nrJoiner), 9, 0, uint32(r), uint32(r>>32))
	}
}

// write starts a single-operation transaction through the chain [1, 2]
// with the joiner at its tail.
func (n *nrNet) write(op uint32, id, bal int64, abort bool) {
	n.nextTx++
	trans := n.nextTx
	n.txs[trans] = &nrTx{abort: abort}
	data := n.row(id, bal)
	if op == gsn.OpDelete {
		data = n.l.Key(data)
	}
	h, frag := n.locate(n.l.Key(data))
	n.signal(gsn.LQHKEYREQ, gsn.BlockTC, signal.Address{Node: nrPrimary, Block: gsn.BlockLQH}, trans, data,
		op|1<<gsn.LqhTailShift<<16, n.l.Table.ID, frag, 0, uint32(h), uint32(h>>32), 0, 2,
		uint32(nrPrimary), uint32(nrJoiner), uint32(nrOther), 0)
}

// tc plays the transactions' TC.
func (n *nrNet) tc(s *signal.Signal) {
	x := n.txs[s.TransID]
	if x == nil {
		return
	}
	chainWords := func(num signal.Number, to signal.NodeID, pos uint32) {
		n.signal(num, gsn.BlockTC, signal.Address{Node: to, Block: gsn.BlockLQH}, s.TransID, nil,
			0, uint32(n.gci), uint32(n.gci>>32), pos, 2, uint32(nrPrimary), uint32(nrJoiner), uint32(nrOther), 0)
	}
	abort := func() {
		n.signal(gsn.ABORT, gsn.BlockTC, signal.Address{Node: nrPrimary, Block: gsn.BlockLQH}, s.TransID, nil,
			0, 0, 2, uint32(nrPrimary), uint32(nrJoiner), uint32(nrOther), 0)
	}
	switch s.Number {
	case gsn.LQHKEYCONF:
		if x.abort {
			abort()
		} else {
			chainWords(gsn.COMMIT, nrJoiner, 1)
		}
	case gsn.LQHKEYREF:
		if s.Sender.Node == nrPrimary {
			delete(n.txs, s.TransID) // refused first: nothing prepared
			return
		}
		n.refs++
		abort()
	case gsn.COMMITTED:
		n.commits++
		chainWords(gsn.COMPLETE, nrJoiner, 1)
	case gsn.COMPLETED, gsn.ABORTED:
		delete(n.txs, s.TransID)
	}
}

// step delivers the oldest signal.
func (n *nrNet) step() bool {
	if len(n.q) == 0 {
		return false
	}
	s := n.q[0]
	n.q = n.q[1:]
	switch {
	case s.Receiver.Block == gsn.BlockLQH:
		lq := n.lqhs[s.Receiver.Node]
		lq.Handle(nrEnv{n: n, self: signal.Address{Node: s.Receiver.Node, Block: gsn.BlockLQH}}, &s)
	case s.Receiver.Block == gsn.BlockTC:
		n.tc(&s)
	case s.Number == gsn.COPY_FRAGCONF:
		n.confs = append(n.confs, s)
	case s.Number == gsn.NR_EMPTYCONF:
		n.empties++
	case s.Number == gsn.COPY_FRAGREF:
		n.t.Fatalf("COPY_FRAGREF %v", s.Words[:s.NumWords])
	}
	return true
}

// copied reports whether every fragment's copy was confirmed.
func (n *nrNet) copied() bool { return len(n.confs) == len(n.tbl.Replicas) }

// fragRows is a replica's rows with their GCIs, sorted.
func fragRows(f *store.Fragment) [][]byte {
	var pos store.ScanPos
	out := make([]store.RowID, 64)
	var rows [][]byte
	for !pos.Done() {
		k := f.ScanNext(&pos, nil, out, 1<<20)
		for _, r := range out[:k] {
			rows = append(rows, f.ReadRow(r, binary.LittleEndian.AppendUint64(nil, f.RowGCI(r))))
		}
	}
	slices.SortFunc(rows, func(a, b []byte) int { return bytes.Compare(a[8:], b[8:]) })
	return rows
}

// checkEqual compares every fragment's replicas on the two nodes, rows and
// GCIs, and the joiner's ordered index with its rows.
func (n *nrNet) checkEqual() {
	n.t.Helper()
	for frag := range n.tbl.Replicas {
		p, _ := n.lqhs[nrPrimary].Fragment(n.l.Table.ID, uint32(frag))
		j, _ := n.lqhs[nrJoiner].Fragment(n.l.Table.ID, uint32(frag))
		pr, jr := fragRows(p), fragRows(j)
		if !slices.EqualFunc(pr, jr, bytes.Equal) {
			n.t.Fatalf("fragment %d: the joiner's replica (%d rows) differs from the primary's (%d rows)", frag, len(jr), len(pr))
		}
		if m := j.CopiedMarks(); m != 0 {
			n.t.Fatalf("fragment %d: %d copy marks left on the joiner", frag, m)
		}
		all := store.Bound{Unbounded: true}
		sc, err := j.OrderedScan(0, all, all, false, nil)
		if err != nil {
			n.t.Fatal(err)
		}
		ids := make([]store.RowID, 64)
		inIndex := 0
		for k := sc.Next(ids); k > 0; k = sc.Next(ids) {
			inIndex += k
		}
		if inIndex != len(jr) || j.Stats().Rows != int64(len(jr)) {
			n.t.Fatalf("fragment %d: the joiner's ordered index holds %d rows, its row count is %d, a scan finds %d",
				frag, inIndex, j.Stats().Rows, len(jr))
		}
	}
}

// TestNodeRestartCopy restarts node 2 with a restored state at GCI R =
// 10 (rows unchanged since, changed, deleted and inserted in the window
// before the copy) and copies while writes go on: the replicas end equal,
// with keys sent for the unchanged rows and the deleted ones swept. With R
// 0 (an initial start) every row goes whole; a restored state that is not
// what R promises (a row with another GCI, one missing) falls back to a
// full copy of its fragment.
func TestNodeRestartCopy(t *testing.T) {
	const R, rows = 10, 20000
	cases := []struct {
		name     string
		restored uint64 // the GCI the joiner reports
		corrupt  bool   // the joiner's restored state differs from R's
		live     bool   // writes during the copy
	}{
		{"partial", R, false, false},
		{"partial with writes", R, false, true},
		{"initial", 0, false, true},
		{"mismatch falls back", R, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNRNet(t)
			rng := rand.New(rand.NewPCG(1, uint64(len(c.name))))
			// The state at R on both nodes.
			for id := int64(0); id < rows; id++ {
				for _, node := range []signal.NodeID{nrPrimary, nrJoiner} {
					n.put(node, id, id, uint64(1+id%R), false)
				}
			}
			// The window after R, before the joiner takes writes: only
			// the primary changes.
			changed, deleted := 0, 0
			for id := int64(0); id < rows; id++ {
				switch id % 10 {
				case 1:
					n.put(nrPrimary, id, -id, R+2, false)
					changed++
				case 2:
					n.put(nrPrimary, id, 0, R+3, true)
					deleted++
				}
			}
			for id := int64(rows); id < rows+100; id++ {
				n.put(nrPrimary, id, id, R+4, false)
				changed++
			}
			if c.corrupt {
				n.put(nrJoiner, 5, 5, 3, false) // 1+5%10 = 6 on the primary
				n.put(nrJoiner, 7, 0, 1, true)  // missing
				n.put(nrJoiner, rows+500, 1, 2, false)
			}
			n.gci = R + 10
			n.startCopy(c.restored)
			for steps := 0; !n.copied() || len(n.txs) > 0 || len(n.q) > 0; steps++ {
				if steps > 1_000_000 {
					t.Fatalf("the copy does not end: %d of %d fragments, %d transactions open", len(n.confs), len(n.tbl.Replicas), len(n.txs))
				}
				for w := rng.IntN(3); c.live && !n.copied() && len(n.txs) < 32 && w > 0; w-- {
					ops := []uint32{gsn.OpInsert, gsn.OpUpdate, gsn.OpDelete, gsn.OpWrite}
					// Often the keys the window deleted (stale on the
					// joiner) or inserted (missing there).
					id := int64(rng.IntN(rows + 200))
					switch rng.IntN(4) {
					case 0:
						id = id/10*10 + 2
					case 1:
						id = rows + id%100
					}
					n.write(ops[rng.IntN(len(ops))], id, int64(rng.IntN(1000)), rng.IntN(8) == 0)
				}
				if steps%200 == 199 {
					n.gci++
				}
				n.step()
			}
			if n.refs != 0 {
				t.Fatalf("the joiner refused %d writes", n.refs)
			}
			if f := n.lqhs[nrJoiner].Filling(); f != 0 {
				t.Fatalf("%d replicas still filling", f)
			}
			n.checkEqual()

			p, j := n.lqhs[nrPrimary].Copy, n.lqhs[nrJoiner].Copy
			var keys, swept, fallbacks uint64
			for _, s := range n.confs {
				keys += uint64(s.Words[7]) | uint64(s.Words[8])<<32
				swept += uint64(s.Words[9]) | uint64(s.Words[10])<<32
				fallbacks += uint64(s.Words[11])
			}
			t.Logf("sent %d rows whole and %d keys; the joiner swept %d, refused %d batches; %d fallbacks; %d writes committed during the copy, %d applied leniently",
				p.RowsSent, p.KeysSent, j.RowsSwept, j.Mismatches, p.Fallbacks, n.commits, j.Lenient)
			if c.live && (n.commits < 30 || j.Lenient == 0) {
				t.Fatalf("only %d writes committed during the copy, %d applied leniently", n.commits, j.Lenient)
			}
			if keys != p.KeysSent || swept != j.RowsSwept || fallbacks != p.Fallbacks {
				t.Fatalf("COPY_FRAGCONF says %d keys, %d swept, %d fallbacks; the counters %d, %d, %d",
					keys, swept, fallbacks, p.KeysSent, j.RowsSwept, p.Fallbacks)
			}
			if j.Conflicts != 0 {
				t.Fatalf("%d copied rows refused", j.Conflicts)
			}
			switch {
			case c.restored == 0:
				if p.KeysSent != 0 || j.RowsSwept != 0 {
					t.Fatalf("initial start: %d keys sent, %d rows swept", p.KeysSent, j.RowsSwept)
				}
			case c.corrupt:
				if j.Mismatches == 0 || p.Fallbacks == 0 || p.Fallbacks != j.Mismatches {
					t.Fatalf("corrupt restore: %d mismatches, %d fallbacks", j.Mismatches, p.Fallbacks)
				}
			case c.live:
				// Writes during the copy turn some keys into whole rows
				// and save some deleted rows from the sweep.
				if p.Fallbacks != 0 || j.Mismatches != 0 || p.KeysSent == 0 || j.RowsSwept == 0 {
					t.Fatalf("%d fallbacks, %d mismatches, %d keys sent, %d rows swept", p.Fallbacks, j.Mismatches, p.KeysSent, j.RowsSwept)
				}
			default:
				unchanged := rows - (changed - 100) - deleted
				if p.KeysSent != uint64(unchanged) || p.RowsSent != uint64(changed) || j.RowsSwept != uint64(deleted) ||
					j.KeysMatched != p.KeysSent || p.Fallbacks != 0 {
					t.Fatalf("%d keys, %d rows sent, %d swept, %d fallbacks; want %d, %d, %d, 0",
						p.KeysSent, p.RowsSent, j.RowsSwept, p.Fallbacks, unchanged, changed, deleted)
				}
			}
		})
	}
}
