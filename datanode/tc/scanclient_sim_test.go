package tc_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// scanSpec is one scan a scanClient runs: SCAN_TABREQ's words and sections.
type scanSpec struct {
	name       string
	table      uint32
	index      uint32 // ordered index number, or gsn.ScanNoIndex
	flags      uint32 // gsn.Scan* flags
	parallel   uint32 // 0: every fragment at once
	batchRows  uint32
	batchBytes uint32
	prog       []byte // s0: the filter program (nil: none)
	lo, hi     []byte // s1, s2: index bounds (nil: unbounded)
}

// scanBatch is one SCAN_TABCONF as the client received it.
type scanBatch struct {
	frag  uint32
	flags uint32
	rows  [][]byte
}

// scanResult is what one scan returned.
type scanResult struct {
	batches []scanBatch // in arrival order
	ref     uint32      // SCAN_TABREF's error code, 0 if none
	// rollbackRep is TCROLLBACKREP's code when TC aborted the transaction.
	rollbackRep  uint32
	rollbackConf bool // TCROLLBACKCONF, the answer to the client's rollback
	committed    bool // TCCOMMITCONF
	done         bool // the scan is finished and its transaction ended
}

// rows returns every row of a scan, in arrival order.
func (r *scanResult) rows() [][]byte {
	var all [][]byte
	for _, b := range r.batches {
		all = append(all, b.rows...)
	}
	return all
}

// fragRows returns each fragment's rows in the order its batches came.
func (r *scanResult) fragRows() map[uint32][][]byte {
	m := map[uint32][][]byte{}
	for _, b := range r.batches {
		m[b.frag] = append(m[b.frag], b.rows...)
	}
	return m
}

// scanClient runs its scans one after another, each in a transaction of
// its own against TC tc: it asks for every fragment's next batch as soon as
// one arrives, and once the scan is done commits the transaction (a
// refused scan's transaction is rolled back, as an API closes it). It notes
// any signal that breaks the scan protocol in violation.
type scanClient struct {
	node      signal.NodeID
	tc        signal.Address
	specs     []scanSpec
	results   []scanResult
	cur       int
	busy      bool
	trans     uint64
	fragDone  map[uint32]bool
	violation string
}

func newScanClient(node signal.NodeID, tc signal.Address, specs []scanSpec) *scanClient {
	return &scanClient{node: node, tc: tc, specs: specs, results: make([]scanResult, len(specs))}
}

// finished reports whether every scan has run to its end.
func (c *scanClient) finished() bool { return c.cur == len(c.specs) }

// end ends the current scan's transaction and starts the next scan.
func (c *scanClient) end(env block.Env, res *scanResult) {
	res.done = true
	c.busy = false
	c.cur++
	c.start(env)
}

func (c *scanClient) violate(format string, args ...any) {
	if c.violation == "" {
		c.violation = fmt.Sprintf("node %d scan %d (%s): ", c.node, c.cur, c.specs[c.cur].name) + fmt.Sprintf(format, args...)
	}
}

func (c *scanClient) Tick(env block.Env) { c.start(env) }

// start starts the next scan, if there is one and none is running.
func (c *scanClient) start(env block.Env) {
	if c.busy || c.finished() {
		return
	}
	sp := &c.specs[c.cur]
	c.busy = true
	c.trans = uint64(c.node)<<48 | 1<<44 | uint64(c.cur+1)
	c.fragDone = map[uint32]bool{}
	s := &signal.Signal{Number: gsn.SCAN_TABREQ, Receiver: c.tc, TransID: c.trans}
	s.SetWords(sp.table, uint32(c.cur+1), sp.flags, sp.parallel, sp.batchRows, sp.batchBytes, sp.index)
	s.AddSection(sp.prog)
	s.AddSection(sp.lo)
	s.AddSection(sp.hi)
	env.Send(s)
}

func (c *scanClient) Handle(env block.Env, s *signal.Signal) {
	if !c.busy || s.TransID != c.trans {
		return
	}
	res := &c.results[c.cur]
	apiID := uint32(c.cur + 1)
	switch s.Number {
	case gsn.SCAN_TABCONF:
		if res.ref != 0 || s.Words[0] != apiID {
			c.violate("SCAN_TABCONF for scan %d after SCAN_TABREF %d", s.Words[0], res.ref)
			return
		}
		frag, flags := s.Words[1], s.Words[2]
		if c.fragDone[frag] {
			c.violate("a batch of fragment %d after its last", frag)
		}
		b := scanBatch{frag: frag, flags: flags}
		if err := batchRows(s.Section(0), func(row []byte) { b.rows = append(b.rows, append([]byte(nil), row...)) }); err != nil {
			c.violate("fragment %d: %v", frag, err)
		}
		if uint32(len(b.rows)) != s.Words[3] {
			c.violate("fragment %d: batch says %d rows, holds %d", frag, s.Words[3], len(b.rows))
		}
		if n := c.specs[c.cur].batchRows; n > 0 && uint32(len(b.rows)) > n {
			c.violate("fragment %d: batch of %d rows, asked for at most %d", frag, len(b.rows), n)
		}
		res.batches = append(res.batches, b)
		if flags&gsn.ScanFragDone != 0 {
			c.fragDone[frag] = true
		} else {
			next := &signal.Signal{Number: gsn.SCAN_NEXTREQ, Receiver: c.tc, TransID: c.trans}
			next.SetWords(apiID, frag)
			env.Send(next)
		}
		if flags&gsn.ScanDone != 0 {
			env.Send(&signal.Signal{Number: gsn.TC_COMMITREQ, Receiver: c.tc, TransID: c.trans})
		}
	case gsn.SCAN_TABREF:
		if res.ref != 0 {
			c.violate("a second SCAN_TABREF")
		}
		res.ref = s.Words[1]
		// The API closes the transaction after a failed scan.
		env.Send(&signal.Signal{Number: gsn.TCROLLBACKREQ, Receiver: c.tc, TransID: c.trans})
	case gsn.TCROLLBACKREP: // TC aborted the transaction (a refused locking scan)
		res.rollbackRep = s.Words[0]
		c.end(env, res)
	case gsn.TCROLLBACKCONF:
		if res.ref == 0 {
			c.violate("TCROLLBACKCONF without a refused scan")
		}
		res.rollbackConf = true
		c.end(env, res)
	case gsn.TCCOMMITCONF:
		res.committed = true
		c.end(env, res)
	case gsn.TCKEYREF:
		c.violate("TCKEYREF %d", s.Words[1])
	}
}

// updaterBlock is an API block that rewrites rows until stopped.
type updaterBlock interface {
	block.Block
	// stop ends the updates and returns how many committed.
	stop() int
}

func (u *updater) stop() int      { u.stopped = true; return u.committed }
func (u *typedUpdater) stop() int { u.stopped = true; return u.committed }

// runScansUnderUpdates runs a scan client with specs on node scanNode of a
// two-node cluster (NoOfReplicas 2) holding st, while an updater on every
// node rewrites rows; it stops the updaters once the scans are done, lets
// everything settle, and returns the cluster, the client and the number of
// committed updates. A protocol violation seen by the client fails t.
func runScansUnderUpdates(t *testing.T, seed uint64, st simTable, specs []scanSpec, scanNode signal.NodeID,
	newUpdater func(signal.NodeID) updaterBlock) (*cluster, *scanClient, int) {
	var cl *scanClient
	var ups []updaterBlock
	c := newSimCluster(t, clusterConfig{seed: seed, nodes: 2, replicas: 2, tables: []simTable{st},
		api: func(n signal.NodeID) []sim.Placed {
			u := newUpdater(n)
			ups = append(ups, u)
			placed := []sim.Placed{{ID: gsn.BlockAPI, Instance: 1, Block: u}}
			if n == scanNode {
				cl = newScanClient(n, tcAt(n), specs)
				placed = append(placed, sim.Placed{ID: gsn.BlockAPI, Block: cl})
			}
			return placed
		}})
	for i := 0; i < 300 && !cl.finished(); i++ {
		c.s.RunTicks(10)
	}
	updates := 0
	for _, u := range ups {
		updates += u.stop()
	}
	c.s.RunTicks(50)
	if cl.violation != "" {
		c.fail(t, fmt.Errorf("%s", cl.violation))
	}
	return c, cl, updates
}
