package node_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/inproc"
	"github.com/gondb/gondb/transport/tcp"
	"github.com/gondb/gondb/transport/transporttest"
)

// The test's table: (id BIGINT primary key, value BIGINT), the bank's
// accounts and the benchmarks' rows.
const tableID = 1

func accountTable() *schema.Table {
	return &schema.Table{ID: tableID, Name: "account", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "value", Type: schema.TypeBigInt}}}
}

// startCluster starts data nodes 1..nodes on loopback free ports with the
// account table, accepting the given API node ids, and waits until the
// data nodes are connected to each other. Nodes stop at the test's end.
func startCluster(t testing.TB, nodes, replicas int, apis []signal.NodeID, tweak func(*node.Config)) []*node.Node {
	t.Helper()
	var out []*node.Node
	for i := 1; i <= nodes; i++ {
		c := node.DefaultTestConfig()
		c.NodeID = signal.NodeID(i)
		c.NoOfReplicas = replicas
		c.Listen = "127.0.0.1:0"
		for j := 1; j <= nodes; j++ {
			d := node.DataNode{ID: signal.NodeID(j)}
			if j < i {
				d.Addr = out[j-1].Addr()
			}
			c.DataNodes = append(c.DataNodes, d)
		}
		c.APINodes = apis
		c.Tables = []*schema.Table{accountTable()}
		if tweak != nil {
			tweak(&c)
		}
		n, err := node.Start(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Stop)
		out = append(out, n)
	}
	for _, n := range out {
		for _, m := range out {
			if n != m {
				waitPeer(t, n, m.ID())
			}
		}
	}
	return out
}

// waitPeer waits until n's transporter has peer connected.
func waitPeer(t testing.TB, n *node.Node, peer signal.NodeID) {
	t.Helper()
	transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool {
		st, err := n.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Peers {
			if p.Node == peer {
				return p.State == transport.StateConnected
			}
		}
		return false
	}, "node %d to connect to node %d", n.ID(), peer)
}

// reply is one answer from TC, as much of it as the clients need.
type reply struct {
	num    signal.Number
	trans  uint64
	w0, w1 uint32
	value  int64 // column 1 of the returned row, when there is one
	hasRow bool
}

// apiNode is a test API node: a DialOnly tcp transporter connected to
// every data node as its own node id, and slots, each running one
// transaction at a time on its own goroutine. Transaction ids are
// api node << 48 | slot << 32 | sequence, so the receive goroutines route
// every reply to its slot without a lookup. (ndbapi proper comes later.)
type apiNode struct {
	id    signal.NodeID
	tr    transport.Transporter
	dist  *dih.Distribution
	l     *schema.Layout
	slots []*apiSlot
	done  chan struct{}
}

func newAPINode(t testing.TB, id signal.NodeID, data []*node.Node, slots int) *apiNode {
	return newAPINodeWith(t, id, data, slots, nil)
}

// newAPINodeWith is newAPINode with a change to the transporter's config.
func newAPINodeWith(t testing.TB, id signal.NodeID, data []*node.Node, slots int, tweak func(*tcp.Config)) *apiNode {
	t.Helper()
	a := newAPISlots(t, id, data, slots)
	cfg := tcp.DefaultTestConfig()
	cfg.Self = id
	cfg.DialOnly = true
	cfg.Listen = ""
	cfg.Receiver = a
	cfg.Peers = map[signal.NodeID]string{}
	for _, n := range data {
		cfg.Peers[n.ID()] = n.Addr()
	}
	if tweak != nil {
		tweak(&cfg)
	}
	var err error
	if a.tr, err = tcp.New(cfg); err != nil {
		t.Fatal(err)
	}
	return a.connected(t, data)
}

// newAPISlots builds an API node's slots, not yet connected.
func newAPISlots(t testing.TB, id signal.NodeID, data []*node.Node, slots int) *apiNode {
	l, err := schema.NewLayout(accountTable())
	if err != nil {
		t.Fatal(err)
	}
	a := &apiNode{id: id, dist: data[0].Distribution(), l: l, done: make(chan struct{})}
	for i := 0; i < slots; i++ {
		s := &apiSlot{api: a, idx: uint16(i), ch: make(chan reply, 256), rb: schema.NewRowBuilder(l),
			timer: time.NewTimer(time.Hour)}
		s.timer.Stop()
		a.slots = append(a.slots, s)
	}
	return a
}

// newInprocAPINode is newAPINode over an in-process network.
func newInprocAPINode(t testing.TB, id signal.NodeID, data []*node.Node, slots int, net *inproc.Network) *apiNode {
	t.Helper()
	a := newAPISlots(t, id, data, slots)
	cfg := inproc.DefaultConfig()
	cfg.Self, cfg.Receiver = id, a
	for _, n := range data {
		cfg.Peers = append(cfg.Peers, n.ID())
	}
	var err error
	if a.tr, err = net.Join(cfg); err != nil {
		t.Fatal(err)
	}
	return a.connected(t, data)
}

// connected waits until the API node and the data nodes see each other.
func (a *apiNode) connected(t testing.TB, data []*node.Node) *apiNode {
	t.Cleanup(a.close)
	for _, n := range data {
		transporttest.WaitState(t, a.tr, n.ID(), transport.StateConnected, transporttest.ConnectTimeout)
		waitPeer(t, n, a.id)
	}
	return a
}

func (a *apiNode) close() {
	select {
	case <-a.done:
	default:
		close(a.done)
	}
	a.tr.Close()
}

// Frame routes TC's replies to their slots (transport.Receiver).
func (a *apiNode) Frame(from signal.NodeID, f *signal.Frame) {
	var v signal.View
	for f.NextView(&v) {
		trans := v.TransID()
		slot := int(trans>>32) & 0xFFFF
		if signal.NodeID(trans>>48) != a.id || slot >= len(a.slots) {
			continue
		}
		r := reply{num: v.Number(), trans: trans, w0: v.Word(0), w1: v.Word(1)}
		if row := v.Section(0); len(row) >= a.l.FixedSize {
			r.value, r.hasRow = a.l.RowOf(row).Int64(1), true
		}
		select {
		case a.slots[slot].ch <- r:
		case <-a.done:
			return
		}
	}
}

// apiSlot runs one transaction at a time. Not safe for concurrent use.
type apiSlot struct {
	api   *apiNode
	idx   uint16
	seq   uint32
	trans uint64
	to    signal.NodeID
	ch    chan reply
	timer *time.Timer
	w     signal.FrameWriter
	sig   signal.Signal
	rb    *schema.RowBuilder
	key   [8]byte
	row   []byte
}

// errAborted: TC refused or rolled back the transaction; retry it.
var errAborted = errors.New("transaction aborted")

// replyTimeout bounds a wait for TC: far above the deadlock timeout, so
// it fires only when a reply was lost (a bug).
const replyTimeout = 20 * time.Second

func keyOf(dst *[8]byte, id int64) []byte {
	binary.LittleEndian.PutUint64(dst[:], uint64(id))
	return dst[:]
}

// primaryOf is the data node holding the primary replica of key id.
func (a *apiNode) primaryOf(id int64) signal.NodeID {
	var k [8]byte
	tbl, _ := a.dist.Table(tableID)
	_, chain := tbl.Locate(partition.Hash(keyOf(&k, id)))
	return chain[0]
}

// begin starts a new transaction on node to's TC.
func (s *apiSlot) begin(to signal.NodeID) {
	s.seq++
	s.trans = uint64(s.api.id)<<48 | uint64(s.idx)<<32 | uint64(s.seq)
	s.to = to
	s.w.Reset()
}

func (s *apiSlot) add(op, apiOp, flags uint32, id int64, data []byte) {
	h := partition.Hash(keyOf(&s.key, id))
	g := &s.sig
	g.Reset()
	g.Number = gsn.TCKEYREQ
	g.Sender = signal.Address{Node: s.api.id, Block: gsn.BlockAPI, Instance: s.idx}
	g.Receiver = signal.Address{Node: s.to, Block: gsn.BlockTC}
	g.TransID = s.trans
	g.SetWords(op, tableID, apiOp, flags, uint32(h), uint32(h>>32))
	g.AddSection(data)
	if err := s.w.Add(g); err != nil {
		panic(err) // a test bug: the frame is far below the limits
	}
}

// keyOp adds an operation on a key (reads, locks).
func (s *apiSlot) keyOp(op, apiOp, flags uint32, id int64) {
	s.add(op, apiOp, flags, id, keyOf(&s.key, id))
}

// rowOp adds an operation with a row image (insert, update).
func (s *apiSlot) rowOp(op, apiOp, flags uint32, id, value int64) {
	s.rb.Reset()
	s.rb.SetInt64(0, id)
	s.rb.SetInt64(1, value)
	s.row = s.rb.AppendRow(s.row[:0])
	s.add(op, apiOp, flags, id, s.row)
}

// send hands the batch to the transporter, waiting out a full send buffer.
func (s *apiSlot) send() error {
	for tries := 0; ; tries++ {
		err := s.api.tr.Send(s.to, s.w.Bytes())
		if err == nil || !transport.Temporary(err) || tries > 10000 {
			s.w.Reset()
			return err
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// next returns the next reply of the current transaction.
func (s *apiSlot) next() (reply, error) {
	s.timer.Reset(replyTimeout)
	defer s.timer.Stop()
	for {
		select {
		case r := <-s.ch:
			if r.trans == s.trans {
				return r, nil
			}
		case <-s.timer.C:
			return reply{}, fmt.Errorf("api %d slot %d: no reply from node %d for transaction %x in %v", s.api.id, s.idx, s.to, s.trans, replyTimeout)
		}
	}
}

// prepared waits for n TCKEYCONFs, calling each for those with a row.
func (s *apiSlot) prepared(n int, each func(r reply)) error {
	for n > 0 {
		r, err := s.next()
		if err != nil {
			return err
		}
		switch r.num {
		case gsn.TCKEYCONF:
			n--
			if each != nil {
				each(r)
			}
		case gsn.TCKEYREF, gsn.TCROLLBACKREP:
			return errAborted
		}
	}
	return nil
}

// committed waits for TCCOMMITCONF.
func (s *apiSlot) committed() error {
	for {
		r, err := s.next()
		if err != nil {
			return err
		}
		switch r.num {
		case gsn.TCCOMMITCONF:
			return nil
		case gsn.TCKEYREF, gsn.TCROLLBACKREP:
			return errAborted
		}
	}
}

// insert commits rows ids[i] = values[i] in one transaction.
func (s *apiSlot) insert(ids []int64, value int64) error {
	s.begin(s.api.primaryOf(ids[0]))
	for i, id := range ids {
		flags := uint32(0)
		if i == len(ids)-1 {
			flags = gsn.TcKeyCommit
		}
		s.rowOp(gsn.OpInsert, uint32(i), flags, id, value)
	}
	if err := s.send(); err != nil {
		return err
	}
	return s.committed()
}

// update commits value into every row of ids in one transaction, run by
// the TC of the first row's primary.
func (s *apiSlot) update(ids []int64, value int64) error {
	s.begin(s.api.primaryOf(ids[0]))
	for i, id := range ids {
		flags := uint32(0)
		if i == len(ids)-1 {
			flags = gsn.TcKeyCommit
		}
		s.rowOp(gsn.OpUpdate, uint32(i), flags, id, value)
	}
	if err := s.send(); err != nil {
		return err
	}
	return s.committed()
}

// transfer moves amount from account a to account b: lock and read both,
// then write both and commit.
func (s *apiSlot) transfer(a, b, amount int64) error {
	s.begin(s.api.primaryOf(a))
	s.keyOp(gsn.OpReadExclusive, 0, 0, a)
	s.keyOp(gsn.OpReadExclusive, 1, 0, b)
	if err := s.send(); err != nil {
		return err
	}
	var bal [2]int64
	if err := s.prepared(2, func(r reply) {
		if r.w0 < 2 && r.hasRow {
			bal[r.w0] = r.value
		}
	}); err != nil {
		return err
	}
	s.rowOp(gsn.OpUpdate, 2, 0, a, bal[0]-amount)
	s.rowOp(gsn.OpUpdate, 3, gsn.TcKeyCommit, b, bal[1]+amount)
	if err := s.send(); err != nil {
		return err
	}
	return s.committed()
}

// audit locks and reads accounts 0..n-1 on node to's TC and returns their
// sum; it commits with a committed read of account 0 (TCKEYREQ with the
// commit flag needs an operation).
func (s *apiSlot) audit(to signal.NodeID, n int) (int64, error) {
	s.begin(to)
	for i := 0; i < n; i++ {
		s.keyOp(gsn.OpReadExclusive, uint32(i), 0, int64(i))
	}
	if err := s.send(); err != nil {
		return 0, err
	}
	var sum int64
	rows := 0
	if err := s.prepared(n, func(r reply) {
		if r.hasRow {
			sum += r.value
			rows++
		}
	}); err != nil {
		return 0, err
	}
	if rows != n {
		return 0, fmt.Errorf("audit read %d rows, want %d", rows, n)
	}
	s.keyOp(gsn.OpRead, uint32(n), gsn.TcKeyCommit, 0)
	if err := s.send(); err != nil {
		return 0, err
	}
	return sum, s.committed()
}
