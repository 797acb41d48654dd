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

// NdbInfo reads an ndbinfo virtual table (NDB's ndbinfo.<table>) as a
// scan: each data node's DBINFO block gathers its rows, runs the filter,
// and sends them in batches the API asks for one after another; the API
// merges the nodes' rows (each carries its node_id column, as in NDB).
// Rows are live values of the moment each node gathered them.
//
// Errors are *Error: 723 for an unknown table, a node's refusal with its
// code (filter errors, 233 when a node has too many scans open), 4009
// when no data node is connected, 4035 when a request cannot be sent,
// 4012 when a node does not answer within Options.TransactionTimeout;
// or ctx's error. Safe for concurrent use; it does not touch the
// transaction path.
func (c *Cluster) NdbInfo(ctx context.Context, table string, opts InfoOptions) (*InfoRows, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	t, err := InfoTable(table)
	if err != nil {
		return nil, err
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
	s := &infoScan{c: c, t: t, opts: opts, trans: uint64(c.self)<<48 | c.info.seq.Add(1)&(1<<48-1),
		nodes: map[signal.NodeID]*infoNode{}}
	call := c.info.register(s.trans)
	defer c.info.unregister(s.trans)
	for _, n := range nodes {
		s.nodes[n] = &infoNode{}
		if err := s.send(n, 0, 0); err != nil {
			s.closeAll()
			return nil, err
		}
	}
	if err := s.run(ctx, call, len(nodes)); err != nil {
		s.closeAll()
		return nil, err
	}
	out := &InfoRows{Table: t}
	for _, n := range nodes {
		for _, img := range s.nodes[n].rows {
			out.Rows = append(out.Rows, t.Layout.RowOf(img))
		}
	}
	return out, nil
}

// infoScan is one NdbInfo call.
type infoScan struct {
	c     *Cluster
	t     *ndbinfo.Table
	opts  InfoOptions
	trans uint64
	nodes map[signal.NodeID]*infoNode
	sig   signal.Signal
	w     signal.FrameWriter
}

type infoNode struct {
	rows [][]byte
	done bool
}

// infoSendRetries bounds how long a request waits out a full send buffer.
const infoSendRetries = 2000

// send sends DBINFO_SCANREQ to node: a start (cursor 0, with the filter),
// the next batch, or a close.
func (s *infoScan) send(node signal.NodeID, cursor, flags uint32) error {
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

// closeAll tells the nodes still scanning to drop the scan (best effort).
func (s *infoScan) closeAll() {
	for n, ns := range s.nodes {
		if !ns.done {
			ns.done = true
			s.send(n, 0, gsn.DbinfoClose)
		}
	}
}

// run handles replies until every node's scan is over.
func (s *infoScan) run(ctx context.Context, call *infoCall, pending int) error {
	timeout := s.c.opts.TransactionTimeout
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var replies []infoReply
	for pending > 0 {
		select {
		case <-call.notify:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return newError(ndberr.ErrTCTimeout.Code, -1, 0,
				fmt.Sprintf("ndbinfo %s: %d data nodes did not answer within %v", s.t.Name, pending, timeout))
		}
		replies = call.take(replies[:0])
		for i := range replies {
			r := &replies[i]
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
				if r.w[1] == 0 {
					ns.done = true
					pending--
					continue
				}
				if err := s.send(r.from, r.w[1], 0); err != nil {
					return err
				}
			case gsn.DBINFO_SCANREF:
				ns.done = true
				return newError(int(r.w[1]), -1, uint16(r.from), "ndbinfo "+s.t.Name)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(timeout)
	}
	return nil
}

// rows takes the rows of a DBINFO_TRANSID_AI, checking each image: a
// malformed one fails the read rather than the caller's decoding.
func (s *infoScan) rows(ns *infoNode, r *infoReply) error {
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
		b = b[4+n:]
	}
	return nil
}

func (s *infoScan) malformed(node signal.NodeID, why string) error {
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
