package datanodeproc

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/transporttest"
)

// frameChan passes received signals' words and first section to the test.
type frameChan chan tcReply

type tcReply struct {
	num   signal.Number
	trans uint64
	w     [2]uint32
	row   []byte
}

func (c frameChan) Frame(_ signal.NodeID, f *signal.Frame) {
	var v signal.View
	for f.NextView(&v) {
		r := tcReply{num: v.Number(), trans: v.TransID(), w: [2]uint32{v.Word(0), v.Word(1)},
			row: append([]byte(nil), v.Section(0)...)}
		select {
		case c <- r:
		default:
		}
	}
}

// runOne sends one operation with the commit flag to node to's TC and
// returns the row read (reads) and the ndberr code it failed with (0:
// committed).
func runOne(t *testing.T, tr transport.Transporter, replies frameChan, self, to signal.NodeID, trans uint64,
	op, table uint32, key, data []byte) ([]byte, uint32) {
	t.Helper()
	h := partition.Hash(key)
	var s signal.Signal
	s.Number = gsn.TCKEYREQ
	s.Sender = signal.Address{Node: self, Block: gsn.BlockAPI}
	s.Receiver = signal.Address{Node: to, Block: gsn.BlockTC}
	s.TransID = trans
	s.SetWords(op, table, 0, gsn.TcKeyCommit, uint32(h), uint32(h>>32))
	s.AddSection(data)
	var w signal.FrameWriter
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(to, w.Bytes()); err != nil {
		t.Fatal(err)
	}
	var row []byte
	timeout := time.After(20 * time.Second)
	for {
		select {
		case r := <-replies:
			if r.trans != trans {
				continue
			}
			switch r.num {
			case gsn.TCKEYCONF:
				if len(r.row) > 0 {
					row = r.row
				}
			case gsn.TCCOMMITCONF:
				return row, 0
			case gsn.TCKEYREF:
				return nil, r.w[1]
			case gsn.TCROLLBACKREP:
				return nil, r.w[0]
			}
		case <-timeout:
			t.Fatalf("no answer from node %d's TC", to)
		}
	}
}

// A table created through the management API appears on the running data
// nodes, takes a transaction, and goes away again when dropped.
func TestTableFromDictionary(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	conn := dial(t, c)
	ctx := context.Background()
	// One table exists before the nodes start: they load it at start.
	before := &schema.Table{Name: "before", PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "v", Type: schema.TypeBigInt}}}
	tb, err := conn.CreateTable(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	procs := []*running{startProc(t, options(c.ConnectString, 2)), startProc(t, options(c.ConnectString, 3))}
	for _, id := range c.DataNodeIDs {
		waitStatus(t, c, id, mgmapi.StatusStarted)
	}
	has := func(p *running, id uint32) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.rt != nil && p.rt.HasTable(id)
	}
	for _, p := range procs {
		if !has(p, tb.ID) {
			t.Fatalf("node %d started without table %d", p.ID(), tb.ID)
		}
	}

	created, err := conn.CreateTable(ctx, &schema.Table{Name: "accounts", PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "v", Type: schema.TypeBigInt}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		transporttest.Eventually(t, 20*time.Second, func() bool { return has(p, created.ID) }, "node %d to add table %d", p.ID(), created.ID)
	}

	// An API node (the [api] slot after the [mysqld] one) runs a
	// transaction on the new table through each data node's TC.
	const api = apiNodeID
	tr, replies := apiNode(t, procs...)
	l, err := schema.NewLayout(created)
	if err != nil {
		t.Fatal(err)
	}
	rb := schema.NewRowBuilder(l)
	rb.SetInt64(0, 42)
	rb.SetInt64(1, 7)
	row := rb.AppendRow(nil)
	key := binary.LittleEndian.AppendUint64(nil, 42)
	trans := uint64(api) << 48
	next := func() uint64 { trans++; return trans }
	// The API node's connection may reach a data node's TC before that
	// node has heard of it; retry until the insert gets through.
	var code uint32
	transporttest.Eventually(t, 20*time.Second, func() bool {
		_, code = runOne(t, tr, replies, api, 2, next(), gsn.OpInsert, created.ID, key, row)
		return code == 0
	}, "insert into table %d (last code %d)", created.ID, code)
	for _, to := range []signal.NodeID{2, 3} {
		got, code := runOne(t, tr, replies, api, to, next(), gsn.OpRead, created.ID, key, key)
		if code != 0 || len(got) < l.FixedSize || l.RowOf(got).Int64(1) != 7 {
			t.Fatalf("read through node %d: code %d, row %x", to, code, got)
		}
	}

	if err := conn.DropTable(ctx, "accounts"); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		transporttest.Eventually(t, 20*time.Second, func() bool { return !has(p, created.ID) }, "node %d to drop table %d", p.ID(), created.ID)
	}
	if _, code := runOne(t, tr, replies, api, 3, next(), gsn.OpRead, created.ID, key, key); code != uint32(ndberr.ErrNoSuchTable.Code) {
		t.Fatalf("read after drop: code %d, want 723", code)
	}
}
