package node_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// refusal runs a one-insert transaction on node to's TC and returns the
// ndberr code it was refused with (0: committed).
func (s *apiSlot) refusal(t *testing.T, to signal.NodeID, id int64) uint32 {
	t.Helper()
	s.begin(to)
	s.rowOp(gsn.OpInsert, 0, gsn.TcKeyCommit, id, 1)
	if err := s.send(); err != nil {
		t.Fatal(err)
	}
	for {
		r, err := s.next()
		if err != nil {
			t.Fatal(err)
		}
		switch r.num {
		case gsn.TCCOMMITCONF:
			return 0
		case gsn.TCKEYREF:
			return r.w1
		case gsn.TCROLLBACKREP:
			return r.w0
		}
	}
}

func TestAddAndDropTableAtRuntime(t *testing.T) {
	apis := []signal.NodeID{100}
	data := startCluster(t, 2, 2, apis, func(c *node.Config) { c.Tables = nil })
	ctx := context.Background()
	for _, n := range data {
		if n.HasTable(tableID) {
			t.Fatal("table exists before AddTable")
		}
	}
	tbl := accountTable()
	tbl.Indexes = []schema.Index{{Name: "ov", Kind: schema.IndexOrdered, Columns: []int{1}},
		{Name: "uid", Kind: schema.IndexUniqueHash, Columns: []int{0}}}
	for _, n := range data {
		if err := n.AddTable(ctx, tbl); err != nil {
			t.Fatal(err)
		}
		if err := n.AddTable(ctx, tbl); err != nil { // the same again: nothing
			t.Fatalf("second AddTable: %v", err)
		}
		other := accountTable()
		other.Version = 5
		if err := n.AddTable(ctx, other); !errors.Is(err, node.ErrTableExists) {
			t.Fatalf("AddTable of another version: %v", err)
		}
	}
	// Each node holds a replica of every fragment (2 nodes, 2 replicas),
	// of the hidden table too.
	for _, n := range data {
		d := n.Distribution()
		bt, _ := d.Table(tableID)
		if len(bt.Uniques) != 1 {
			t.Fatalf("uniques %v", bt.Uniques)
		}
		for _, id := range []uint32{tableID, bt.Uniques[0].Hidden} {
			tt, ok := d.Table(id)
			if !ok {
				t.Fatalf("node %d: no table %d", n.ID(), id)
			}
			for _, f := range tt.FragmentsOn(n.ID()) {
				if err := n.WithFragment(ctx, id, f, func(*store.Fragment) {}); err != nil {
					t.Fatalf("node %d: %v", n.ID(), err)
				}
			}
		}
	}

	a := newAPINode(t, 100, data, 1)
	s := a.slots[0]
	ids := []int64{0, 1, 2, 3, 4, 5, 6, 7}
	if err := s.insert(ids, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.transfer(1, 2, 3); err != nil {
		t.Fatal(err)
	}
	for _, n := range data {
		sum, err := s.audit(n.ID(), len(ids))
		if err != nil || sum != 80 {
			t.Fatalf("audit on node %d: %d, %v", n.ID(), sum, err)
		}
	}

	// Drop on node 2 only: node 1's TC still knows the table, node 2's
	// LQH refuses (the ordering caveat in ddl.go).
	if err := data[1].DropTable(ctx, tableID); err != nil {
		t.Fatal(err)
	}
	if code := s.refusal(t, 1, 100); code != uint32(ndberr.ErrNoSuchTable.Code) {
		t.Fatalf("insert through node 1 with node 2 dropped: code %d, want 723", code)
	}
	if code := s.refusal(t, 2, 101); code != uint32(ndberr.ErrNoSuchTable.Code) {
		t.Fatalf("insert through node 2's TC: code %d, want 723", code)
	}
	if err := data[0].DropTable(ctx, tableID); err != nil {
		t.Fatal(err)
	}
	if err := data[0].DropTable(ctx, tableID); !errors.Is(err, node.ErrNoSuchTable) {
		t.Fatalf("second drop: %v", err)
	}
	for _, n := range data {
		if n.HasTable(tableID) {
			t.Fatalf("node %d still has the table", n.ID())
		}
		var frags, pending int
		if err := n.WithLQH(ctx, func(q *lqh.LQH) {
			for f := uint32(0); f < 64; f++ {
				if _, ok := q.Fragment(tableID, f); ok {
					frags++
				}
			}
			pending = q.ReapDropped()
		}); err != nil {
			t.Fatal(err)
		}
		if frags != 0 || pending != 0 {
			t.Fatalf("node %d: %d replicas left, %d waiting to be freed", n.ID(), frags, pending)
		}
		if code := s.refusal(t, n.ID(), 0); code != uint32(ndberr.ErrNoSuchTable.Code) {
			t.Fatalf("insert through node %d after drop: code %d, want 723", n.ID(), code)
		}
	}
	// Created again (a new dictionary id in real life; the same here),
	// it starts empty.
	for _, n := range data {
		if err := n.AddTable(ctx, accountTable()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.insert([]int64{0}, 5); err != nil {
		t.Fatalf("insert into the re-added table: %v", err)
	}
}
