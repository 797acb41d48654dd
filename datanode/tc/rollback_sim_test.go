package tc_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// refusedLockingScan starts a shared-lock scan with a program the data
// nodes refuse; when SCAN_TABREF comes it closes the transaction with
// TCROLLBACKREQ, as an API does after a failed scan, and waits for the
// answer.
type refusedLockingScan struct {
	trans   uint64
	prog    []byte
	started bool
	ref     uint32
	rep     uint32 // TCROLLBACKREP's code: TC aborted the transaction itself
	conf    bool   // TCROLLBACKCONF: the rollback request was answered
}

func (c *refusedLockingScan) Tick(env block.Env) {
	if c.started {
		return
	}
	c.started = true
	s := &signal.Signal{Number: gsn.SCAN_TABREQ, Receiver: tcAt(1), TransID: c.trans}
	s.SetWords(typedTableID, 1, gsn.ScanLockShared, 0, 4, 0, gsn.ScanNoIndex)
	s.AddSection(c.prog)
	env.Send(s)
}

func (c *refusedLockingScan) Handle(env block.Env, s *signal.Signal) {
	if s.TransID != c.trans {
		return
	}
	switch s.Number {
	case gsn.SCAN_TABREF:
		c.ref = s.Words[1]
		env.Send(&signal.Signal{Number: gsn.TCROLLBACKREQ, Receiver: tcAt(1), TransID: c.trans})
	case gsn.TCROLLBACKREP:
		c.rep = s.Words[0]
	case gsn.TCROLLBACKCONF:
		c.conf = true
	}
}

// TestRollbackAnsweredWhileAborting: a shared-lock scan is refused (a bad
// filter program), and TC aborts its transaction by itself; the API, which
// cannot know that when SCAN_TABREF comes, asks to roll back. TC must
// answer TCROLLBACKCONF however the request and TC's own abort interleave:
// an unanswered TCROLLBACKREQ leaves the API waiting for ever.
func TestRollbackAnsweredWhileAborting(t *testing.T) {
	l := typedLayout()
	_, imgs := typedRows(t, l, 1, 40)
	bad := []byte{9} // an unsupported program version
	var unanswered []uint64
	seeds := simFlags.List(50, 10, testing.Short())
	for _, seed := range seeds {
		cl := &refusedLockingScan{trans: 1<<40 | seed, prog: bad}
		c := newSimCluster(t, clusterConfig{seed: seed, nodes: 2, replicas: 2,
			tables: []simTable{{layout: l, rows: imgs, fragments: 4}},
			api: func(n signal.NodeID) []sim.Placed {
				if n != 2 {
					return nil
				}
				return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
			}})
		c.s.RunTicks(100)
		if cl.ref == 0 {
			c.fail(t, fmt.Errorf("the scan was not refused"))
		}
		if err := c.checkQuiet(); err != nil {
			c.fail(t, err)
		}
		if !cl.conf {
			unanswered = append(unanswered, seed)
		}
		c.close()
	}
	if len(unanswered) > 0 {
		t.Fatalf("TCROLLBACKREQ sent after SCAN_TABREF was never answered in %d of %d seeds (TC was aborting the transaction when it came), e.g. -sim.seed=%d",
			len(unanswered), len(seeds), unanswered[0])
	}
}
