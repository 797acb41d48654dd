package lqh

import (
	"bytes"
	"slices"
	"testing"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// singleNodeLQH is the LQH of node 1, the only node, holding the two
// fragments of a table of layout in a pool of poolBytes, until the test
// ends.
func singleNodeLQH(tb testing.TB, layout *schema.Layout, poolBytes int64) (*LQH, *dih.Table) {
	tb.Helper()
	groups, err := partition.FormNodeGroups([]partition.NodeID{1}, 1)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := dih.New().WithTable(layout, groups, 2)
	if err != nil {
		tb.Fatal(err)
	}
	tbl, _ := d.Table(layout.Table.ID)
	pool, err := mem.NewPool(poolBytes)
	if err != nil {
		tb.Fatal(err)
	}
	l := New(1, d, pool)
	tb.Cleanup(func() {
		for _, f := range l.Fragments() {
			f.Close()
		}
		pool.Close()
	})
	return l, tbl
}

// TestCommitNow: an LQHKEYREQ carrying TC's commit decision
// (gsn.LqhCommitNow) commits at once at its GCI and keeps no record; one
// that meets a row lock answers LqhConfWaiting and later prepares only;
// one refused changes nothing.
func TestCommitNow(t *testing.T) {
	layout := nrTable()
	l, tbl := singleNodeLQH(t, layout, 16<<20)
	n := &nrNet{l: layout, tbl: tbl}
	env := &recEnv{}
	tc := signal.Address{Node: 1, Block: gsn.BlockTC}
	deliver := func(num signal.Number, trans uint64, sect []byte, w ...uint32) []signal.Signal {
		s := &signal.Signal{Number: num, Sender: tc, Receiver: signal.Address{Node: 1, Block: gsn.BlockLQH}, TransID: trans}
		s.SetWords(w...)
		if sect != nil {
			s.AddSection(sect)
		}
		l.Handle(env, s)
		out := env.sent
		env.sent = nil
		return out
	}
	// keyReq sends an LQHKEYREQ for row id; gci 0: a plain prepare.
	keyReq := func(trans uint64, op uint32, id, bal int64, gci uint64) []signal.Signal {
		data := n.row(id, bal)
		if op == gsn.OpDelete {
			data = layout.Key(data)
		}
		h, frag := n.locate(layout.Key(data))
		w := []uint32{op, layout.Table.ID, frag, 0, uint32(h), uint32(h >> 32), 0, 1, 1, 1, 0}
		if gci != 0 {
			w[0] |= gsn.LqhCommitNow << 16
			w = append(w, uint32(gci), uint32(gci>>32))
		}
		return deliver(gsn.LQHKEYREQ, trans, data, w...)
	}
	commit := func(trans uint64, gci uint64) []signal.Signal {
		return deliver(gsn.COMMIT, trans, nil, 0, uint32(gci), uint32(gci>>32), gsn.CommitComplete, 1, 1, 1, 0)
	}
	answer := func(sent []signal.Signal) (signal.Number, uint32) {
		t.Helper()
		if len(sent) != 1 {
			t.Fatalf("answered %d signals, want 1", len(sent))
		}
		var flags uint32
		if sent[0].NumWords > 1 {
			flags = sent[0].Words[1]
		}
		return sent[0].Number, flags
	}
	check := func(id, bal int64, gci uint64) {
		t.Helper()
		key := layout.Key(n.row(id, bal))
		h, frag := n.locate(key)
		f, _ := l.Fragment(layout.Table.ID, frag)
		row, err := f.Read(h, key, nil)
		if err != nil || !bytes.Equal(row, n.row(id, bal)) {
			t.Fatalf("row %d reads %x, %v; want balance %d", id, row, err, bal)
		}
		if g, _ := f.GCI(h, key); g != gci {
			t.Fatalf("row %d has GCI %d, want %d", id, g, gci)
		}
	}

	if num, flags := answer(keyReq(1, gsn.OpInsert, 10, 100, 5)); num != gsn.LQHKEYCONF || flags != gsn.LqhConfCommitted {
		t.Fatalf("insert answered %d flags %d, want LQHKEYCONF committed", num, flags)
	}
	check(10, 100, 5)
	if l.OpenOperations() != 0 {
		t.Fatalf("%d operation records after a committed-at-once insert", l.OpenOperations())
	}

	// Transaction 2 holds row 10; transaction 3's update waits for it.
	if num, _ := answer(keyReq(2, gsn.OpUpdate, 10, 200, 0)); num != gsn.LQHKEYCONF {
		t.Fatalf("plain update answered %d", num)
	}
	if num, flags := answer(keyReq(3, gsn.OpUpdate, 10, 300, 6)); num != gsn.LQHKEYCONF || flags != gsn.LqhConfWaiting {
		t.Fatalf("update behind a lock answered %d flags %d, want LQHKEYCONF waiting", num, flags)
	}
	// Transaction 2 commits; transaction 3 then prepares only.
	sent := commit(2, 6)
	if len(sent) != 2 || sent[0].Number != gsn.COMMITTED || sent[1].Number != gsn.LQHKEYCONF || sent[1].NumWords != 1 {
		t.Fatalf("commit answered %v, want COMMITTED, then a plain LQHKEYCONF for the waiting update", sent)
	}
	check(10, 200, 6)
	commit(3, 7)
	check(10, 300, 7)

	// Refused: the row to delete is not there.
	if num, _ := answer(keyReq(4, gsn.OpDelete, 11, 0, 7)); num != gsn.LQHKEYREF {
		t.Fatalf("delete of a missing row answered %d, want LQHKEYREF", num)
	}
	if num, flags := answer(keyReq(5, gsn.OpDelete, 10, 0, 8)); num != gsn.LQHKEYCONF || flags != gsn.LqhConfCommitted {
		t.Fatalf("delete answered %d flags %d, want LQHKEYCONF committed", num, flags)
	}
	h, frag := n.locate(layout.Key(n.row(10, 0)))
	if f, _ := l.Fragment(layout.Table.ID, frag); f.Stats().Rows != 0 {
		t.Fatalf("%d rows after the delete", f.Stats().Rows)
	} else if _, err := f.Read(h, layout.Key(n.row(10, 0)), nil); err == nil {
		t.Fatal("deleted row still reads")
	}
	if l.OpenOperations() != 0 {
		t.Fatalf("%d operation records left", l.OpenOperations())
	}
}

// TestCommitNowInPlace: an insert, and an update of columns neither
// var-size nor indexed, committed with their prepare are made in place:
// committed at the GCI TC sent, with no lock or operation record. Then
// committed reads that TC handed over (gsn.LqhAnswerAPI) are answered to
// the API, rows and refusals alike.
func TestCommitNowInPlace(t *testing.T) {
	layout, err := schema.NewLayout(&schema.Table{ID: 8, Name: "flat", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "k", Type: schema.TypeBigInt}, {Name: "a", Type: schema.TypeInt}, {Name: "b", Type: schema.TypeInt}}})
	if err != nil {
		t.Fatal(err)
	}
	l, tbl := singleNodeLQH(t, layout, 16<<20)
	env := &recEnv{}
	rb := schema.NewRowBuilder(layout)
	rowOf := func(a int64) []byte {
		rb.Reset()
		rb.SetInt64(0, 5)
		rb.SetInt64(1, a)
		rb.SetInt64(2, -a)
		return rb.AppendRow(nil)
	}
	key := layout.Key(rowOf(0))
	h := partition.Hash(layout.DistributionKey(key, nil))
	frag, _ := tbl.Locate(h)
	// keyReq sends an LQHKEYREQ for key hash h in fragment frag with the
	// words extra after the TC's address, and returns the one answer.
	keyReq := func(trans uint64, word0 uint32, h uint64, frag uint32, data []byte, extra ...uint32) signal.Signal {
		s := &signal.Signal{Number: gsn.LQHKEYREQ, Sender: signal.Address{Node: 1, Block: gsn.BlockTC},
			Receiver: signal.Address{Node: 1, Block: gsn.BlockLQH}, TransID: trans}
		s.SetWords(append([]uint32{word0, layout.Table.ID, frag, 0, uint32(h), uint32(h >> 32), 0, 1, 1, 1, 0}, extra...)...)
		s.AddSection(data)
		l.Handle(env, s)
		if len(env.sent) != 1 {
			t.Fatalf("answered %d signals", len(env.sent))
		}
		out := env.sent[0]
		env.sent = nil
		return out
	}
	send := func(trans uint64, op uint32, data []byte, gci uint64) signal.Signal {
		return keyReq(trans, op|gsn.LqhCommitNow<<16, h, frag, data, uint32(gci), uint32(gci>>32))
	}
	for i, step := range []struct {
		op  uint32
		a   int64
		gci uint64
	}{{gsn.OpInsert, 1, 4}, {gsn.OpUpdate, 2, 5}, {gsn.OpUpdate, 3, 6}} {
		if a := send(uint64(i+1), step.op, rowOf(step.a), step.gci); a.Number != gsn.LQHKEYCONF || a.Words[1] != gsn.LqhConfCommitted {
			t.Fatalf("step %d answered %d %v", i, a.Number, a.Words[:a.NumWords])
		}
		f, _ := l.Fragment(layout.Table.ID, frag)
		row, err := f.Read(h, key, nil)
		if err != nil || !bytes.Equal(row, rowOf(step.a)) {
			t.Fatalf("step %d: row %x, %v; want %x", i, row, err, rowOf(step.a))
		}
		if g, _ := f.GCI(h, key); g != step.gci {
			t.Fatalf("step %d: GCI %d, want %d", i, g, step.gci)
		}
		if f.LockedRows() != 0 || l.OpenOperations() != 0 {
			t.Fatalf("step %d: %d locked rows, %d operation records", i, f.LockedRows(), l.OpenOperations())
		}
	}
	f := mustFrag(t, l, layout.Table.ID, frag)
	if c := l.fragStats[f].Commits; c != 3 {
		t.Fatalf("%d commits counted, want 3", c)
	}
	if n := f.Stats().InPlace; n != 3 {
		t.Fatalf("%d writes in place, want 3 (the insert and both updates)", n)
	}

	// Committed reads that TC handed over are answered to the API.
	api := signal.Address{Node: 60, Block: gsn.BlockAPI, Instance: 2}
	read := func(k []byte, h uint64, frag uint32) signal.Signal {
		return keyReq(9, gsn.OpRead|gsn.LqhAnswerAPI<<16, h, frag, k, uint32(api.Node), uint32(api.Instance), 4, 6, 0)
	}
	a := read(key, h, frag)
	if a.Number != gsn.TCKEYCONF || a.Receiver != api || !slices.Equal(a.Words[:a.NumWords], []uint32{4, gsn.TcKeyConfCommitted, 6, 0}) ||
		!bytes.Equal(a.Section(0), rowOf(3)) {
		t.Fatalf("a handed-over read answered %d to %v: %v %x", a.Number, a.Receiver, a.Words[:a.NumWords], a.Section(0))
	}
	rb.Reset()
	rb.SetInt64(0, 6)
	missing := layout.Key(rb.AppendRow(nil))
	mh := partition.Hash(layout.DistributionKey(missing, nil))
	mfrag, _ := tbl.Locate(mh)
	if a := read(missing, mh, mfrag); a.Number != gsn.TCKEYREF || a.Receiver != api || a.Words[0] != 4 || a.Words[1] != uint32(ndberr.ErrNoSuchRow.Code) {
		t.Fatalf("a handed-over read of a missing row answered %d to %v: %v", a.Number, a.Receiver, a.Words[:a.NumWords])
	}
}

func mustFrag(t *testing.T, l *LQH, table, frag uint32) *store.Fragment {
	t.Helper()
	f, ok := l.Fragment(table, frag)
	if !ok {
		t.Fatalf("no fragment %d.%d", table, frag)
	}
	return f
}
