package tc_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// lockPair is a scripted client: it locks account first, then, at tick
// second, account other, and then moves 1 from first to other and commits.
type lockPair struct {
	trans         uint64
	first, other  int64
	second        int
	l             *schema.Layout
	ticks, locked int
	bal           map[uint32]int64
	outcome       string // "" while running, "commit" or the error code
}

func (c *lockPair) send(env block.Env, op, apiID, flags uint32, data []byte) {
	h := partition.Hash(data[:8])
	s := &signal.Signal{Number: gsn.TCKEYREQ, Receiver: signal.Address{Block: gsn.BlockTC}, TransID: c.trans}
	s.SetWords(op, tableID, apiID, flags, uint32(h), uint32(h>>32))
	s.AddSection(data)
	env.Send(s)
}

func (c *lockPair) Tick(env block.Env) {
	c.ticks++
	switch c.ticks {
	case 1:
		c.send(env, gsn.OpReadExclusive, 0, 0, keyOf(c.first))
	case c.second:
		c.send(env, gsn.OpReadExclusive, 1, 0, keyOf(c.other))
	}
}

func (c *lockPair) Handle(env block.Env, s *signal.Signal) {
	if s.TransID != c.trans || c.outcome != "" {
		return
	}
	switch s.Number {
	case gsn.TCKEYCONF:
		if row := s.Section(0); row != nil {
			c.bal[s.Words[0]] = c.l.RowOf(row).Int64(1)
		}
		if c.locked++; c.locked == 2 {
			c.send(env, gsn.OpUpdate, 2, 0, rowOf(c.l, c.first, c.bal[0]-1))
			c.send(env, gsn.OpUpdate, 3, gsn.TcKeyCommit, rowOf(c.l, c.other, c.bal[1]+1))
		}
	case gsn.TCCOMMITCONF:
		c.outcome = "commit"
	case gsn.TCROLLBACKREP:
		c.outcome = fmt.Sprint(s.Words[0])
	case gsn.TCKEYREF:
		c.outcome = fmt.Sprint(s.Words[1])
	}
}

// TestDeadlockTimesOut: two transactions lock two rows in opposite order
// and wait for each other. The one that has waited longer is aborted with
// 266 when TransactionDeadlockDetectionTimeout passes; the other then gets
// its lock and commits. NoOfReplicas 1 and 2, the two clients on one node
// or on different nodes.
func TestDeadlockTimesOut(t *testing.T) {
	for _, cfg := range []struct{ nodes, replicas int }{{2, 1}, {2, 2}} {
		for _, spread := range []bool{false, true} {
			name := fmt.Sprintf("nodes=%d,replicas=%d,spread=%v", cfg.nodes, cfg.replicas, spread)
			t.Run(name, func(t *testing.T) {
				for _, seed := range simFlags.List(20, 5, testing.Short()) {
					l := accountLayout()
					a := &lockPair{trans: 1 << 60, first: 1, other: 2, second: 3, l: l, bal: map[uint32]int64{}}
					b := &lockPair{trans: 2 << 60, first: 2, other: 1, second: 5, l: l, bal: map[uint32]int64{}}
					c := newSimCluster(t, clusterConfig{seed: seed, nodes: cfg.nodes, replicas: cfg.replicas,
						tables: []simTable{accountTable("")},
						api: func(n signal.NodeID) []sim.Placed {
							switch {
							case n == 1 && !spread:
								return []sim.Placed{{ID: gsn.BlockAPI, Instance: 1, Block: a}, {ID: gsn.BlockAPI, Instance: 2, Block: b}}
							case n == 1:
								return []sim.Placed{{ID: gsn.BlockAPI, Instance: 1, Block: a}}
							case n == 2 && spread:
								return []sim.Placed{{ID: gsn.BlockAPI, Instance: 2, Block: b}}
							}
							return nil
						}})
					c.s.RunTicks(100) // 1 s: several deadlock time-outs (100 ms here)
					want := fmt.Sprint(ndberr.ErrDeadlockTimeout.Code)
					if a.outcome != want || b.outcome != "commit" {
						t.Fatalf("seed %d: first transaction %q (want %s), second %q (want commit); %s",
							seed, a.outcome, want, b.outcome, sim.Reproduce(seed))
					}
					c.s.RunTicks(300)
					if err := c.checkSettled(10); err != nil {
						c.fail(t, err)
					}
					if err := c.checkTotal(); err != nil {
						c.fail(t, err)
					}
					for _, id := range []int64{1, 2} {
						if got, want := c.balance(id), int64(initialBalance)+map[int64]int64{1: 1, 2: -1}[id]; got != want {
							t.Fatalf("seed %d: account %d holds %d, want %d (the survivor's transfer)", seed, id, got, want)
						}
					}
					c.close()
				}
			})
		}
	}
}
