package ndbapi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
)

// InfoOptions configure an ndbinfo read (Cluster.NdbInfo). The zero value
// reads every connected data node with the data nodes' default batches.
type InfoOptions struct {
	// Nodes are the data nodes to read. Nil: every connected data node,
	// or for a global table (ndbinfo.Table.Global) the first of them.
	Nodes []signal.NodeID
	// Filter is a pushed-down filter program built against the virtual
	// table's layout (filter.NewBuilder(t.Layout) for t from InfoTable);
	// each data node runs it on its rows and sends only those that match.
	Filter []byte
	// BatchRows and BatchBytes bound each batch a data node sends before
	// the API asks for the next (0: the node's default, 256 rows and 64
	// KiB; at most 4096 rows and 512 KiB).
	BatchRows, BatchBytes int
	// Limit ends the read once it has returned this many rows (0: no
	// limit); no node is asked for a batch of more rows than that.
	Limit int
}

// InfoRows is the result of an ndbinfo read: the rows of every node read,
// merged.
type InfoRows struct {
	Table *ndbinfo.Table
	// Rows are ordered by data node (ascending id), each node's rows in
	// the order it sent them. They read the result's own memory.
	Rows []schema.Row
}

// Maps returns the rows as column name -> value (RowMap), for tools.
func (r *InfoRows) Maps() []map[string]any {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		out[i] = RowMap(r.Table.Layout, row)
	}
	return out
}

// InfoTable returns the named ndbinfo table (an "ndbinfo." prefix is
// allowed): its schema.Table and Layout decode the rows NdbInfo returns
// and build filters for it. An unknown name is an *Error with code 723.
func InfoTable(name string) (*ndbinfo.Table, error) {
	t, ok := ndbinfo.ByName(name)
	if !ok {
		return nil, newError(ndberr.ErrNoSuchTable.Code, -1, 0, "no ndbinfo table "+name)
	}
	return t, nil
}

// Reference is the Ndb's part of the ids of the transactions it starts:
// the API node id << 16 | the Ndb's number, the high 32 bits of every
// Transaction.ID() (ndbinfo's cluster_operations shows its halves as
// client_node_id and client_block_ref). A SQL node joins cluster_locks to
// its connections by it, as NDB's server_locks does. A closed Ndb's number
// is given to the next Ndb created.
func (n *Ndb) Reference() uint32 { return uint32(n.c.self)<<16 | uint32(n.idx) }

// NdbInfo reads an ndbinfo virtual table (NDB's ndbinfo.<table>) as a
// scan: each data node's DBINFO block gathers its rows, runs the filter,
// and sends them in batches the API asks for one after another; the API
// merges the nodes' rows (each carries its node_id column, as in NDB).
// Rows are live values of the moment each node gathered them. With
// opts.Limit, the read stops once it has that many rows.
//
// Errors are *Error: 723 for an unknown table, a node's refusal with its
// code (filter errors, 233 when a node has too many scans open), 4009
// when no data node is connected, 4035 when a request cannot be sent,
// 4012 when a node does not answer within Options.TransactionTimeout;
// or ctx's error. Safe for concurrent use; it does not touch the
// transaction path.
func (c *Cluster) NdbInfo(ctx context.Context, table string, opts InfoOptions) (*InfoRows, error) {
	// Every batch is asked for at once, unless a limit may make the rest
	// unneeded.
	s, err := c.startInfo(ctx, table, opts, opts.Limit == 0)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	out := &InfoRows{Table: s.t}
	for {
		r, ok := s.Next()
		if !ok {
			break
		}
		out.Rows = append(out.Rows, r)
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// NdbInfoScan starts reading an ndbinfo virtual table as NdbInfo does,
// and returns its rows one at a time as the caller asks for them: each
// data node's next batch is asked for only once the caller has taken the
// rows before it, so a reader that stops early (Close, or opts.Limit)
// leaves the rest of the rows on the nodes. Rows come in NdbInfo's
// order: by data node, each node's in the order it sent them. The scan
// runs under ctx (errors as NdbInfo's). Close it when done: until then it
// holds a scan open on every node it reads. A node forgets a scan whose
// reader has not asked for its next batch for 60 s; the read then fails
// with 9002.
func (c *Cluster) NdbInfoScan(ctx context.Context, table string, opts InfoOptions) (*InfoScan, error) {
	return c.startInfo(ctx, table, opts, false)
}

// startInfo starts an ndbinfo read of every node it reads at once, so that
// they gather their rows in parallel. eager asks each node for its next
// batch as soon as one arrives (NdbInfo, which keeps every row).
func (c *Cluster) startInfo(ctx context.Context, table string, opts InfoOptions, eager bool) (*InfoScan, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	t, err := InfoTable(table)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Limit < 0 {
		return nil, newError(ndberr.ErrAPIUsage.Code, -1, 0, fmt.Sprintf("ndbinfo %s: negative limit %d", t.Name, opts.Limit))
	}
	if opts.Limit > 0 && (opts.BatchRows <= 0 || opts.BatchRows > opts.Limit) {
		opts.BatchRows = opts.Limit // no node sends more than the read keeps
	}
	nodes := slices.Clone(opts.Nodes)
	if nodes == nil {
		nodes = c.Connected()
		if len(nodes) == 0 {
			return nil, newError(ndberr.ErrClusterUnavailable.Code, -1, 0, "no data node is connected")
		}
		slices.Sort(nodes)
		if t.Global {
			nodes = nodes[:1]
		}
	}
	slices.Sort(nodes)
	nodes = slices.Compact(nodes)
	s := &InfoScan{ctx: ctx, c: c, t: t, opts: opts, eager: eager, order: nodes,
		trans: uint64(c.self)<<48 | c.info.seq.Add(1)&(1<<48-1), nodes: map[signal.NodeID]*infoNode{}}
	s.call = c.info.register(s.trans)
	for _, n := range nodes {
		s.nodes[n] = &infoNode{}
	}
	for _, n := range nodes {
		if err := s.send(n, 0, 0); err != nil {
			s.Close()
			return nil, err
		}
		s.nodes[n].asked = true
	}
	return s, nil
}

// InfoScan is an ndbinfo read in progress (Cluster.NdbInfoScan). Not safe
// for concurrent use.
type InfoScan struct {
	ctx   context.Context
	c     *Cluster
	t     *ndbinfo.Table
	opts  InfoOptions
	eager bool
	trans uint64
	call  *infoCall
	order []signal.NodeID // the nodes read, ascending
	cur   int             // the node whose rows Next returns now (index in order)
	nodes map[signal.NodeID]*infoNode
	err   error
	ended bool   // every row returned, or stopped (Close, Limit, an error)
	taken int    // rows Next returned
	recv  uint64 // rows received from the nodes
	sig   signal.Signal
	w     signal.FrameWriter
	timer *time.Timer
	reply []infoReply
}

// infoNode is one node's part of a read.
type infoNode struct {
	rows   [][]byte // received and not yet returned
	asked  bool     // a batch was asked for and its DBINFO_SCANCONF not yet received
	cursor uint32   // the cursor of the next batch (0 once the node is done)
	done   bool     // the node sent its last batch, or was told to close
}

// Table is the virtual table read: its Layout decodes the rows.
func (s *InfoScan) Table() *ndbinfo.Table { return s.t }

// Received is the number of rows the data nodes have sent so far (rows
// Next has not returned yet included).
func (s *InfoScan) Received() uint64 { return s.recv }

// Err is the error that ended the read, or nil.
func (s *InfoScan) Err() error { return s.err }

// Next returns the next row, or false at the end, after an error (Err)
// and after Close. The row reads the scan's own memory and stays valid.
func (s *InfoScan) Next() (schema.Row, bool) {
	for !s.ended {
		if s.opts.Limit > 0 && s.taken >= s.opts.Limit {
			s.Close()
			break
		}
		if s.cur >= len(s.order) {
			s.ended = true
			break
		}
		n := s.order[s.cur]
		ns := s.nodes[n]
		if len(ns.rows) > 0 {
			img := ns.rows[0]
			ns.rows[0] = nil
			ns.rows = ns.rows[1:]
			s.taken++
			return s.t.Layout.RowOf(img), true
		}
		switch {
		case ns.done:
			s.cur++
		case !ns.asked:
			if err := s.send(n, ns.cursor, 0); err != nil {
				s.fail(err)
				break
			}
			ns.asked = true
		default:
			if err := s.wait(); err != nil {
				s.fail(err)
			}
		}
	}
	return schema.Row{}, false
}

// Close ends the read: nodes still scanning are told to drop their scans
// (without waiting). Rows already returned stay valid.
func (s *InfoScan) Close() {
	if s.call == nil {
		return
	}
	s.ended = true
	for _, n := range s.order {
		if ns := s.nodes[n]; !ns.done {
			ns.done = true
			s.send(n, 0, gsn.DbinfoClose) // best effort
		}
	}
	s.c.info.unregister(s.trans)
	s.call = nil
	if s.timer != nil {
		s.timer.Stop()
	}
}

func (s *InfoScan) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.Close()
}

// infoSendRetries bounds how long a request waits out a full send buffer.
const infoSendRetries = 2000

// send sends DBINFO_SCANREQ to node: a start (cursor 0, with the filter),
// the next batch, or a close.
func (s *InfoScan) send(node signal.NodeID, cursor, flags uint32) error {
	g := &s.sig
	g.Reset()
	g.Number = gsn.DBINFO_SCANREQ
	g.Sender = signal.Address{Node: s.c.self, Block: gsn.BlockAPI}
	g.Receiver = signal.Address{Node: node, Block: gsn.BlockDBINFO}
	g.TransID = s.trans
	g.SetWords(s.t.ID, 0, uint32(s.opts.BatchRows), uint32(s.opts.BatchBytes), cursor, flags)
	if cursor == 0 && flags == 0 && len(s.opts.Filter) > 0 {
		g.AddSection(s.opts.Filter)
	}
	s.w.Reset()
	if err := s.w.Add(g); err != nil {
		return newError(ndberr.ErrAPIUsage.Code, -1, 0, fmt.Sprintf("ndbinfo %s: %v", s.t.Name, err))
	}
	var err error
	for try := 0; ; try++ {
		err = s.c.tr.Send(node, s.w.Bytes())
		if err == nil || !errors.Is(err, transport.ErrOverloaded) || try >= infoSendRetries {
			break
		}
		time.Sleep(20 * time.Microsecond)
	}
	if err != nil {
		return newError(ndberr.ErrSendFailed.Code, -1, uint16(node), fmt.Sprintf("ndbinfo %s: %v", s.t.Name, err))
	}
	return nil
}

// wait handles the replies that arrive next, waiting for at least one.
// A node that does not answer within TransactionTimeout fails the read.
func (s *InfoScan) wait() error {
	timeout := s.c.opts.TransactionTimeout
	if s.timer == nil {
		s.timer = time.NewTimer(timeout)
	} else {
		s.timer.Reset(timeout)
	}
	select {
	case <-s.call.notify:
	case <-s.ctx.Done():
		return s.ctx.Err()
	case <-s.timer.C:
		pending := 0
		for _, ns := range s.nodes {
			if ns.asked && !ns.done {
				pending++
			}
		}
		return newError(ndberr.ErrTCTimeout.Code, -1, 0,
			fmt.Sprintf("ndbinfo %s: %d data nodes did not answer within %v", s.t.Name, pending, timeout))
	}
	s.timer.Stop()
	s.reply = s.call.take(s.reply[:0])
	for i := range s.reply {
		r := &s.reply[i]
		ns := s.nodes[r.from]
		if ns == nil || ns.done || r.w[0] != 0 {
			continue
		}
		switch r.num {
		case gsn.DBINFO_TRANSID_AI:
			if err := s.rows(ns, r); err != nil {
				return err
			}
		case gsn.DBINFO_SCANCONF:
			ns.asked, ns.cursor = false, r.w[1]
			if ns.cursor == 0 {
				ns.done = true
				continue
			}
			if s.eager {
				if err := s.send(r.from, ns.cursor, 0); err != nil {
					return err
				}
				ns.asked = true
			}
		case gsn.DBINFO_SCANREF:
			ns.done = true
			return newError(int(r.w[1]), -1, uint16(r.from), "ndbinfo "+s.t.Name)
		}
	}
	clear(s.reply)
	return nil
}

// rows takes the rows of a DBINFO_TRANSID_AI, checking each image: a
// malformed one fails the read rather than the caller's decoding.
func (s *InfoScan) rows(ns *infoNode, r *infoReply) error {
	b := r.sect
	for len(b) > 0 {
		if len(b) < 4 {
			return s.malformed(r.from, "truncated row length")
		}
		n := binary.LittleEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return s.malformed(r.from, "row longer than its signal")
		}
		img := b[4 : 4+n : 4+n]
		if _, err := s.t.Layout.CheckRow(img); err != nil {
			return s.malformed(r.from, err.Error())
		}
		ns.rows = append(ns.rows, img)
		s.recv++
		b = b[4+n:]
	}
	return nil
}

func (s *InfoScan) malformed(node signal.NodeID, why string) error {
	return newError(ndberr.ErrInternal.Code, -1, uint16(node), fmt.Sprintf("ndbinfo %s: malformed rows: %s", s.t.Name, why))
}

// infoReply is one DBINFO answer, copied out of its frame.
type infoReply struct {
	num  signal.Number
	from signal.NodeID
	w    [4]uint32
	sect []byte
}

// infoCall collects one NdbInfo call's replies from the receive
// goroutines. It holds at most one batch per node at a time: a node sends
// its next batch only when asked.
type infoCall struct {
	mu      sync.Mutex
	replies []infoReply
	notify  chan struct{} // cap 1
}

func (call *infoCall) take(dst []infoReply) []infoReply {
	call.mu.Lock()
	dst = append(dst, call.replies...)
	clear(call.replies)
	call.replies = call.replies[:0]
	call.mu.Unlock()
	return dst
}

// infoRouter routes DBINFO answers to their NdbInfo call by transaction
// id (Cluster.Frame sends them here by signal number, so the key
// operation path never looks at them).
type infoRouter struct {
	seq   atomic.Uint64
	mu    sync.Mutex
	calls map[uint64]*infoCall
}

func (ir *infoRouter) register(trans uint64) *infoCall {
	call := &infoCall{notify: make(chan struct{}, 1)}
	ir.mu.Lock()
	if ir.calls == nil {
		ir.calls = map[uint64]*infoCall{}
	}
	ir.calls[trans] = call
	ir.mu.Unlock()
	return call
}

func (ir *infoRouter) unregister(trans uint64) {
	ir.mu.Lock()
	delete(ir.calls, trans)
	ir.mu.Unlock()
}

// deliver copies a DBINFO answer to its call (on a receive goroutine);
// answers for finished calls are dropped.
func (ir *infoRouter) deliver(from signal.NodeID, v *signal.View) {
	ir.mu.Lock()
	call := ir.calls[v.TransID()]
	ir.mu.Unlock()
	if call == nil {
		return
	}
	r := infoReply{num: v.Number(), from: from}
	for i := range r.w {
		r.w[i] = v.Word(i)
	}
	if v.NumSections() > 0 {
		r.sect = append([]byte(nil), v.Section(0)...)
	}
	call.mu.Lock()
	call.replies = append(call.replies, r)
	call.mu.Unlock()
	select {
	case call.notify <- struct{}{}:
	default:
	}
}
