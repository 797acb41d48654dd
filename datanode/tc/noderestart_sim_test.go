package tc_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// staticTableID is a table the bank workload never writes: its rows stay
// unchanged since the restarted node's GCI, unless the test changes them
// while the node is down.
const staticTableID = 2

func staticTable() simTable {
	l := mustLayout(&schema.Table{ID: staticTableID, Name: "static", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "v", Type: schema.TypeBigInt}}})
	st := simTable{layout: l}
	for id := int64(0); id < 64; id++ {
		st.rows = append(st.rows, rowOf(l, id, id))
	}
	return st
}

// restored is what a crashed node's disk restores: its rows of GCI R and
// before, as they were when it crashed.
type restored struct {
	gci  uint64
	rows map[[2]uint32][]restoredRow // (table, fragment) -> rows
}

type restoredRow struct {
	image []byte
	gci   uint64
}

// snapshot is what node's disk would restore if it crashed now: the
// state at R, its GCP's last complete epoch. Every commit of an epoch up
// to R reached every replica before R completed (the commit phase ends
// with the primary's COMMITTED, and the epoch with every TC's commit
// phases), so the node's rows of GCI R and before are R's versions; a row
// it changed after R is left out (its version at R is gone), which the
// primary then holds at a GCI above R and copies whole.
func (c *cluster) snapshot(node signal.NodeID) *restored {
	r := &restored{gci: c.gcps[node].Stats().Completed, rows: map[[2]uint32][]restoredRow{}}
	for _, f := range c.lqhs[node].Fragments() {
		k := [2]uint32{f.Layout().Table.ID, f.ID}
		var pos store.ScanPos
		out := make([]store.RowID, 64)
		for !pos.Done() {
			n := f.ScanNext(&pos, nil, out, 1<<20)
			for _, id := range out[:n] {
				if g := f.RowGCI(id); g <= r.gci {
					r.rows[k] = append(r.rows[k], restoredRow{image: f.ReadRow(id, nil), gci: g})
				}
			}
		}
	}
	return r
}

// restore replaces the rows of a (re)started node's replicas by what its
// disk restored.
func restore(lq *lqh.LQH, r *restored) {
	for _, f := range lq.Fragments() {
		l := f.Layout()
		var pos store.ScanPos
		out := make([]store.RowID, 64)
		var keys [][]byte
		for !pos.Done() {
			n := f.ScanNext(&pos, nil, out, 1<<20)
			for _, id := range out[:n] {
				keys = append(keys, append([]byte(nil), f.RowKey(id)...))
			}
		}
		for _, k := range keys {
			ref, err := f.PrepareDelete(1, keyHash(l, k), k)
			if err == nil {
				err = f.Commit(ref, 1)
			}
			if err != nil {
				panic(fmt.Sprintf("%s: %v", f, err))
			}
		}
		for _, row := range r.rows[[2]uint32{l.Table.ID, f.ID}] {
			ref, err := f.PrepareInsert(1, keyHash(l, l.Key(row.image)), row.image)
			if err == nil {
				err = f.Commit(ref, row.gci)
			}
			if err != nil {
				panic(fmt.Sprintf("restoring a row: %v", err))
			}
		}
	}
}

// changeStatic changes the static table on every live node as committed
// transactions of epoch gci would (no transaction touches it): rows with
// id%8 == 1 are deleted, id%8 == 2 updated. The crashed node misses this
// window, before it joins the chains again.
func (c *cluster) changeStatic(gci uint64) {
	l := c.layout(staticTableID)
	for _, n := range c.nodes {
		if !c.s.Up(n) {
			continue
		}
		for id := int64(0); id < 64; id++ {
			if id%8 != 1 && id%8 != 2 {
				continue
			}
			k := keyOf(id)
			h := keyHash(l, k)
			tbl, _ := c.dist.Table(staticTableID)
			frag, _ := tbl.Locate(h)
			f, ok := c.lqhs[n].Fragment(staticTableID, frag)
			if !ok {
				continue
			}
			var ref store.OpRef
			var err error
			if id%8 == 1 {
				ref, err = f.PrepareDelete(1, h, k)
			} else {
				cols := schema.AllColumns(len(l.Cols))
				ref, err = f.PrepareUpdate(1, h, rowOf(l, id, -id), &cols)
			}
			if err == nil {
				err = f.Commit(ref, gci)
			}
			if err != nil {
				panic(fmt.Sprintf("node %d: changing static row %d: %v", n, id, err))
			}
		}
	}
}

// TestNodeRestartBank crashes a data node under the bank workload, starts
// it again with the rows its disk would restore (as of the last epoch it
// saw complete, R) and lets the node restart bring it back while the
// transfers go on: the president makes its replicas the chains' tails,
// each fragment's primary copies what changed since R whole and the rest
// as keys, the node deletes its restored rows the primary no longer has,
// and it becomes a full replica again. A second table, which the
// transfers never write, is changed while the node is down (rows deleted
// and updated in that window) and otherwise copied as keys. Then the
// restarted node's TC must commit transactions, its replicas must equal
// the others (checkReplicas compares every replica of every fragment), and
// the balances must add up; over the run, keys must have been sent, rows
// swept, and no key refused. With -sim.seeds=N it runs over many seeds
// (make soak).
func TestNodeRestartBank(t *testing.T) {
	configs := []struct {
		nodes, replicas int
		option          string
		// crashDuring: a second node, of another node group or with a
		// full replica left in the restarting node's group (the
		// president, a copy's primary, any), crashes during the restart.
		crashDuring bool
	}{{2, 2, "", false}, {4, 2, "", false}, {3, 3, "", false}, {2, 2, "readbackup", false}, {3, 3, "", true}, {4, 2, "", true}}
	seeds := seedList(30, 6, 4)
	for _, cfg := range configs {
		name := fmt.Sprintf("nodes=%d,replicas=%d", cfg.nodes, cfg.replicas)
		if cfg.option != "" {
			name += "," + cfg.option
		}
		if cfg.crashDuring {
			name += ",crash-during"
		}
		t.Run(name, func(t *testing.T) {
			var runs, aborted, frags, rows, keys, swept, mismatches, lenient, afterCommits int
			for _, seed := range seeds {
				b := &bank{clients: map[signal.NodeID]*bankClient{}}
				incarnation := map[signal.NodeID]int{}
				disks := map[signal.NodeID]*restored{}
				st := accountTable(cfg.option)
				b.cluster = newSimCluster(t, clusterConfig{seed: seed, nodes: cfg.nodes, replicas: cfg.replicas,
					tables: []simTable{st, staticTable()}, qmgr: true,
					api: func(node signal.NodeID) []sim.Placed {
						if d := disks[node]; d != nil {
							// Restarted: its replicas hold what its disk
							// restored, and its RESTART block says up to
							// which GCI.
							restore(b.lqhs[node], d)
							b.restarts[node].SetRestoredGCI(d.gci, 0)
							delete(disks, node)
						}
						cl := newBankClient(node, st.layout)
						// A restarted client's transaction ids must not
						// repeat its earlier incarnation's (as ndbapi's).
						incarnation[node]++
						cl.next = uint64(incarnation[node]) << 32
						b.clients[node] = cl
						return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
					}})
				rng := b.s.Rand()
				b.s.RunTicks(60 + rng.IntN(60))
				victim := signal.NodeID(1 + rng.IntN(cfg.nodes))
				disks[victim] = b.snapshot(victim)
				b.s.Crash(victim)
				delete(b.clients, victim)
				b.s.RunTicks(75 + rng.IntN(50))
				var epoch uint64
				for _, n := range b.nodes {
					if b.s.Up(n) {
						epoch = max(epoch, b.gcps[n].Stats().Current)
					}
				}
				b.changeStatic(epoch)
				b.s.RunTicks(75 + rng.IntN(50))
				b.s.Restart(victim)
				second := signal.NodeID(0)
				if cfg.crashDuring {
					// Any other node whose loss leaves every node group a
					// full replica: with 3 replicas any; with 4x2 one of
					// the other group.
					for second == 0 || second == victim || (cfg.replicas == 2 && (second-1)/2 == (victim-1)/2) {
						second = signal.NodeID(1 + rng.IntN(cfg.nodes))
					}
					b.s.RunTicks(rng.IntN(12))
					b.s.Crash(second)
					delete(b.clients, second)
				}
				for i := 0; i < 3000 && !b.started(victim); i++ {
					b.s.RunTicks(1)
				}
				if !b.started(victim) {
					b.fail(t, fmt.Errorf("node %d did not finish its node restart", victim))
				}
				// Its TC takes transactions again. (Lock conflicts may make
				// its client lose a few times in a row: allow a while.)
				c0 := b.clients[victim].committed
				for i := 0; i < 1000 && b.clients[victim].committed == c0; i++ {
					b.s.RunTicks(1)
				}
				if b.clients[victim].committed == c0 {
					b.fail(t, fmt.Errorf("node %d committed nothing after its node restart", victim))
				}
				b.s.RunTicks(50)
				afterCommits += b.clients[victim].committed - c0
				if err := b.check(); err != nil {
					b.fail(t, fmt.Errorf("after node %d restarted: %w", victim, err))
				}
				for id, r := range b.restarts {
					if !b.s.Up(id) {
						continue
					}
					rs := r.Stats()
					runs += int(rs.Runs)
					aborted += int(rs.Aborted)
					frags += int(rs.FragmentsCopied)
					rows += int(rs.RowsCopied)
					cs := b.lqhs[id].Copy
					lenient += int(cs.Lenient)
					keys += int(cs.KeysMatched)
					swept += int(cs.RowsSwept)
					mismatches += int(cs.Mismatches)
					if cs.Conflicts != 0 {
						b.fail(t, fmt.Errorf("node %d: %d copied rows were refused", id, cs.Conflicts))
					}
				}
				b.close()
			}
			if !cfg.crashDuring && runs < len(seeds) {
				t.Fatalf("%d node restarts completed over %d seeds", runs, len(seeds))
			}
			t.Logf("%d seeds: %d node restarts (%d runs begun again), %d fragments copied, %d rows whole and %d keys, %d rows swept, %d writes applied leniently, %d commits by the restarted TCs",
				len(seeds), runs, aborted, frags, rows, keys, swept, lenient, afterCommits)
			if keys == 0 || swept == 0 {
				t.Fatalf("the restarts confirmed %d keys and swept %d rows: the partial copy did not run", keys, swept)
			}
			if mismatches != 0 {
				t.Fatalf("%d copied keys did not match the restarted nodes' rows", mismatches)
			}
		})
	}
}
