package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport/tcp"
	"github.com/gondb/gondb/transport/transporttest"
)

const initialBalance = 1000

// TestTwoNodesOverTCP runs the bank on a two-node cluster (NoOfReplicas=2)
// over the real TCP transporter: API nodes, each its own node id and
// connection, load the accounts through transactions, then run concurrent
// transfers (lock and read two accounts, write both, commit; an abort is
// retried) and locked audits on both nodes' TCs; deadlocks among them are
// broken by TC's deadlock time-out. At the end: every audit
// saw the right total, the balances still add up, both replicas of every
// fragment are identical, no TC transaction or LQH operation record is
// left, and no signal was lost.
func TestTwoNodesOverTCP(t *testing.T) {
	const accounts = 32
	apiIDs := []signal.NodeID{10, 11, 12}
	slots, txPerSlot := 3, 400
	if testing.Short() {
		txPerSlot = 60
	}
	// Transfers lock their two accounts in parallel and audits lock them
	// all, so deadlocks happen; a short deadlock time-out resolves them
	// quickly (and exercises TC's time-out abort).
	nodes := startCluster(t, 2, 2, apiIDs, func(c *node.Config) { c.DeadlockTimeout = 100 * time.Millisecond })
	var apis []*apiNode
	for _, id := range apiIDs {
		apis = append(apis, newAPINode(t, id, nodes, slots))
	}

	// Signals sent while the nodes were still connecting (QMGR's join
	// requests, resent until answered) may be lost; none may be after.
	var lostBefore [2]uint64
	for i, n := range nodes {
		st, err := n.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		lostBefore[i] = st.LostSignals
	}

	// Load the accounts, 8 per transaction.
	for lo := int64(0); lo < accounts; lo += 8 {
		ids := []int64{lo, lo + 1, lo + 2, lo + 3, lo + 4, lo + 5, lo + 6, lo + 7}
		if err := apis[0].slots[0].insert(ids, initialBalance); err != nil {
			t.Fatalf("loading accounts %d..: %v", lo, err)
		}
	}

	type result struct {
		committed, aborted, audits int
		err                        error
	}
	var wg sync.WaitGroup
	results := make(chan result, len(apis)*slots)
	for ai, a := range apis {
		for si, s := range a.slots {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(ai), uint64(si)))
				var res result
				defer func() { results <- res }()
				for i := 0; i < txPerSlot; i++ {
					for attempt := 0; ; attempt++ {
						var err error
						if i%10 == 9 {
							// Audits alternate between the two TCs.
							var sum int64
							sum, err = s.audit(nodes[i/10%2].ID(), accounts)
							if err == nil && sum != accounts*initialBalance {
								res.err = fmt.Errorf("api %d: audit saw a total of %d, want %d", a.id, sum, accounts*initialBalance)
								return
							}
							if err == nil {
								res.audits++
							}
						} else {
							from := rng.Int64N(accounts)
							to := (from + 1 + rng.Int64N(accounts-1)) % accounts
							err = s.transfer(from, to, rng.Int64N(50))
						}
						if err == nil {
							res.committed++
							break
						}
						if !errors.Is(err, errAborted) {
							res.err = err
							return
						}
						res.aborted++
						// Back off a little, more after each conflict, so an
						// audit (which locks every account) gets through.
						time.Sleep(time.Duration(rng.IntN(50*(min(attempt, 20)+1))) * time.Microsecond)
					}
				}
			})
		}
	}
	wg.Wait()
	close(results)
	var total result
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		total.committed += r.committed
		total.aborted += r.aborted
		total.audits += r.audits
	}
	if want := len(apis) * slots * txPerSlot; total.committed != want || total.audits == 0 {
		t.Fatalf("%d transactions committed (%d audits), want %d", total.committed, total.audits, want)
	}

	ctx := context.Background()
	// The complete phase runs after the API heard TCCOMMITCONF: wait for
	// it to finish on both nodes.
	transporttest.Eventually(t, 10*time.Second, func() bool {
		for _, n := range nodes {
			st, err := n.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.OpenTransactions != 0 || st.OpenOperations != 0 {
				return false
			}
		}
		return true
	}, "every TC transaction and LQH operation record to be released")

	var commits [2]uint64
	for i, n := range nodes {
		st, err := n.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if lost := st.LostSignals - lostBefore[i]; lost != 0 {
			t.Errorf("node %d lost %d signals", n.ID(), lost)
		}
		commits[i] = st.Commits
		// Global checkpoints ran on both nodes (100 ms epochs).
		if st.GCP.Current < 3 || st.GCP.Completed+2 < st.GCP.Current {
			t.Errorf("node %d: GCP at epoch %d, complete %d", n.ID(), st.GCP.Current, st.GCP.Completed)
		}
	}
	if commits[0] == 0 || commits[1] == 0 {
		t.Errorf("commits per TC %v: both nodes' TCs should have run transactions", commits)
	}
	sum := checkReplicas(t, nodes)
	if sum != accounts*initialBalance {
		t.Fatalf("balances add up to %d, want %d", sum, accounts*initialBalance)
	}
	t.Logf("%d transactions committed (%d audits), %d aborts retried; commits per TC %v",
		total.committed, total.audits, total.aborted, commits)
}

// checkReplicas compares every fragment's replicas byte for byte, read on
// the owning LDM threads, and returns the sum of column 1 over the
// primaries.
func checkReplicas(t *testing.T, nodes []*node.Node) int64 {
	t.Helper()
	ctx := context.Background()
	byID := map[signal.NodeID]*node.Node{}
	for _, n := range nodes {
		byID[n.ID()] = n
	}
	tbl, _ := nodes[0].Distribution().Table(tableID)
	var sum int64
	for frag, chain := range tbl.Replicas {
		var first []byte
		for i, id := range chain {
			var img []byte
			var fragSum int64
			err := byID[id].WithFragment(ctx, tableID, uint32(frag), func(f *store.Fragment) {
				img, fragSum = dump(f)
			})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = img
				sum += fragSum
				if len(img) == 0 {
					t.Errorf("fragment %d is empty on its primary, node %d", frag, id)
				}
			} else if !bytes.Equal(img, first) {
				t.Errorf("fragment %d: replica on node %d differs from the primary on node %d", frag, id, chain[0])
			}
		}
	}
	return sum
}

// dump is a fragment's committed rows in scan order, and the sum of their
// column 1.
func dump(f *store.Fragment) ([]byte, int64) {
	var pos store.ScanPos
	out := make([]store.RowID, 64)
	var img []byte
	var sum int64
	for !pos.Done() {
		n := f.ScanNext(&pos, nil, out, 1<<20)
		for _, r := range out[:n] {
			img = f.ReadRow(r, img)
			sum += f.RowView(r).Int64(1)
		}
	}
	return img, sum
}

// TestReplicasOnePerNodeGroup: with NoOfReplicas=1 each of the two nodes
// is its own node group, holds only its fragments, and a transaction over
// rows of both commits through either TC.
func TestReplicasOnePerNodeGroup(t *testing.T) {
	nodes := startCluster(t, 2, 1, []signal.NodeID{20}, nil)
	if g := nodes[0].NodeGroups(); len(g) != 2 {
		t.Fatalf("node groups %v, want two of one node", g)
	}
	api := newAPINode(t, 20, nodes, 1)
	s := api.slots[0]
	ids := make([]int64, 40)
	for i := range ids {
		ids[i] = int64(i)
	}
	if err := s.insert(ids, 7); err != nil {
		t.Fatal(err)
	}
	if err := s.update(ids, 9); err != nil {
		t.Fatal(err)
	}
	tbl, _ := nodes[0].Distribution().Table(tableID)
	ctx := context.Background()
	var rows [2]int
	for frag, chain := range tbl.Replicas {
		if len(chain) != 1 {
			t.Fatalf("fragment %d has replicas %v", frag, chain)
		}
		for i, n := range nodes {
			err := n.WithFragment(ctx, tableID, uint32(frag), func(f *store.Fragment) {
				img, sum := dump(f)
				if int64(f.Stats().Rows)*9 != sum || len(img) == 0 {
					t.Errorf("fragment %d: %d rows sum to %d, want all 9s", frag, f.Stats().Rows, sum)
				}
				rows[i] += int(f.Stats().Rows)
			})
			if n.ID() == chain[0] && err != nil {
				t.Fatal(err)
			}
			if n.ID() != chain[0] && !errors.Is(err, node.ErrNoSuchFragment) {
				t.Fatalf("node %d, fragment %d on node %d: err %v, want ErrNoSuchFragment", n.ID(), frag, chain[0], err)
			}
		}
	}
	if rows[0] == 0 || rows[1] == 0 || rows[0]+rows[1] != len(ids) {
		t.Fatalf("rows per node %v, want %d spread over both", rows, len(ids))
	}
}

// TestTLS: data nodes and an API node with mutual TLS from one cluster CA
// connect and run transactions; the certificates come from the config.
func TestTLS(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster")
	nodes := startCluster(t, 2, 2, []signal.NodeID{21}, func(c *node.Config) {
		c.TLS = ca.NodeFiles(t, fmt.Sprintf("node%d", c.NodeID))
	})
	tlsCfg, err := ca.NodeFiles(t, "api21").Load()
	if err != nil {
		t.Fatal(err)
	}
	api := newAPINodeWith(t, 21, nodes, 1, func(c *tcp.Config) { c.TLS = tlsCfg })
	if err := api.slots[0].insert([]int64{0, 1, 2}, 5); err != nil {
		t.Fatal(err)
	}
	if err := api.slots[0].transfer(0, 2, 2); err != nil {
		t.Fatal(err)
	}
	sum, err := api.slots[0].audit(2, 3)
	if err != nil || sum != 15 {
		t.Fatalf("audit: %d, %v; want 15", sum, err)
	}
}

// TestThreadLayout checks where blocks run for several ThreadConfigs, and
// that extra blocks join the layout.
func TestThreadLayout(t *testing.T) {
	tests := []struct {
		threads string
		want    []string // thread names, in order
	}{
		{"", []string{"ldm0", "tc0"}},
		{"ldm={count=1}", []string{"ldm0"}},                        // TC shares the LDM thread
		{"ldm={count=1},main={count=1}", []string{"ldm0", "main"}}, // TC on main
		{"ldm={count=4},tc={count=2},recv={count=1},send={count=1},main={count=1}", []string{"ldm0", "tc0", "main"}},
	}
	for _, tt := range tests {
		t.Run(tt.threads, func(t *testing.T) {
			var ran bool
			var mu sync.Mutex
			nodes := startCluster(t, 1, 1, nil, func(c *node.Config) {
				c.ThreadConfig = tt.threads
				if len(tt.want) == 3 {
					c.ExtraBlocks = []node.ExtraBlock{{Kind: thread.KindMain, ID: 999,
						New: func(n *node.Node) (block.Block, error) {
							return &tickBlock{fn: func() { mu.Lock(); ran = true; mu.Unlock() }}, nil
						}}}
				}
			})
			st, err := nodes[0].Stats(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, th := range st.Threads {
				names = append(names, th.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("threads %v, want %v", names, tt.want)
			}
			if len(tt.want) == 3 {
				transporttest.Eventually(t, 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return ran },
					"the extra block to tick")
				if err := nodes[0].Do(context.Background(), 999, 0, func(b block.Block) {
					if _, ok := b.(*tickBlock); !ok {
						t.Errorf("Do ran with %T", b)
					}
				}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type tickBlock struct{ fn func() }

func (b *tickBlock) Handle(block.Env, *signal.Signal) {}
func (b *tickBlock) Tick(block.Env)                   { b.fn() }

func TestConfigValidate(t *testing.T) {
	good := node.DefaultTestConfig()
	good.NodeID = 2
	good.DataNodes = []node.DataNode{{ID: 1, Addr: "127.0.0.1:1"}, {ID: 2, Addr: "127.0.0.1:0"}}
	good.APINodes = []signal.NodeID{5}
	good.Tables = []*schema.Table{accountTable()}
	tests := []struct {
		name   string
		mutate func(*node.Config)
		want   string // "" valid; else part of the error
	}{
		{"good", func(*node.Config) {}, ""},
		{"no node id", func(c *node.Config) { c.NodeID = 0 }, "NodeID 0"},
		{"not a data node", func(c *node.Config) { c.NodeID = 3 }, "not in DataNodes"},
		{"replicas", func(c *node.Config) { c.NoOfReplicas = 5 }, "NoOfReplicas 5"},
		{"odd node count", func(c *node.Config) { c.DataNodes = append(c.DataNodes, node.DataNode{ID: 3}) }, "cannot form node groups"},
		{"duplicate node", func(c *node.Config) { c.DataNodes[1].ID = 1 }, "listed twice"},
		{"lower node without address", func(c *node.Config) { c.DataNodes[0].Addr = "" }, "data node 1 has no address"},
		{"bad address", func(c *node.Config) { c.DataNodes[0].Addr = "nowhere" }, "address \"nowhere\""},
		{"api id is a data node", func(c *node.Config) { c.APINodes = []signal.NodeID{1} }, "API node 1 is also a data node"},
		{"no own address", func(c *node.Config) { c.DataNodes[1].Addr = "" }, "neither Listen"},
		{"own address via Listen", func(c *node.Config) { c.DataNodes[1].Addr = ""; c.Listen = "127.0.0.1:0" }, ""},
		{"tiny DataMemory", func(c *node.Config) { c.DataMemory = 1000 }, "DataMemory"},
		{"bad ThreadConfig", func(c *node.Config) { c.ThreadConfig = "ldm={count=0}" }, "ThreadConfig"},
		{"unknown thread kind", func(c *node.Config) { c.ThreadConfig = "cook={count=1}" }, "ThreadConfig"},
		{"duplicate table id", func(c *node.Config) { c.Tables = append(c.Tables, accountTable()) }, "same id"},
		{"bad table", func(c *node.Config) { c.Tables = []*schema.Table{{ID: 2, Name: "x"}} }, "columns"},
		{"extra block without New", func(c *node.Config) { c.ExtraBlocks = []node.ExtraBlock{{ID: 50}} }, "no New"},
		{"extra block with the exec id", func(c *node.Config) {
			c.ExtraBlocks = []node.ExtraBlock{{ID: 0xFFF0, New: func(*node.Node) (block.Block, error) { return nil, nil }}}
		}, "node's own"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.DataNodes = append([]node.DataNode(nil), good.DataNodes...)
			tt.mutate(&c)
			before := fmt.Sprintf("%+v", c)
			err := c.Validate()
			if fmt.Sprintf("%+v", c) != before {
				t.Fatal("Validate changed the config")
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v", err)
			case tt.want != "" && (err == nil || !errors.Is(err, node.ErrConfig) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an ErrConfig with %q", err, tt.want)
			}
		})
	}
}

// TestStartFailures: a bad layout or a port in use fails Start cleanly.
func TestStartFailures(t *testing.T) {
	nodes := startCluster(t, 1, 1, nil, nil)
	tests := []struct {
		name   string
		mutate func(*node.Config)
		want   string
	}{
		{"no ldm thread", func(c *node.Config) { c.ThreadConfig = "tc={count=1}" }, "no ldm thread"},
		{"extra block on a missing thread", func(c *node.Config) {
			c.ExtraBlocks = []node.ExtraBlock{{Kind: thread.KindLDM, Index: 3, ID: 50,
				New: func(*node.Node) (block.Block, error) { return &tickBlock{fn: func() {}}, nil }}}
		}, "ldm thread 3"},
		{"extra block fails", func(c *node.Config) {
			c.ExtraBlocks = []node.ExtraBlock{{Kind: thread.KindMain, ID: 50,
				New: func(*node.Node) (block.Block, error) { return nil, errors.New("no disk") }}}
		}, "no disk"},
		{"port in use", func(c *node.Config) { c.Listen = nodes[0].Addr() }, "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := node.DefaultTestConfig()
			c.NodeID = 1
			c.NoOfReplicas = 1
			c.DataNodes = []node.DataNode{{ID: 1}}
			c.Listen = "127.0.0.1:0"
			tt.mutate(&c)
			n, err := node.Start(c)
			if err == nil {
				n.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want %q", err, tt.want)
			}
		})
	}
}

// TestDoAfterStop: Do reports ErrStopped once the node is stopped, and
// ErrNoSuchBlock for a block the node does not run.
func TestDoAfterStop(t *testing.T) {
	nodes := startCluster(t, 1, 1, nil, nil)
	n := nodes[0]
	ctx := context.Background()
	if err := n.Do(ctx, 77, 0, func(block.Block) {}); !errors.Is(err, node.ErrNoSuchBlock) {
		t.Fatalf("Do on an unknown block: %v", err)
	}
	var opens int = -1
	if err := n.WithLQH(ctx, func(l *lqh.LQH) { opens = l.OpenOperations() }); err != nil || opens != 0 {
		t.Fatalf("WithLQH: %v, %d open operations", err, opens)
	}
	n.Stop()
	n.Stop() // idempotent
	if err := n.WithTC(ctx, func(*tc.TC) { t.Error("ran after Stop") }); !errors.Is(err, node.ErrStopped) {
		t.Fatalf("WithTC after Stop: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := nodes[0].Do(cctx, gsn.BlockTC, 0, func(block.Block) {}); err == nil {
		t.Fatal("Do with a canceled context succeeded")
	}
}
