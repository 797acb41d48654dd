package ndbapi_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/restart"
	"github.com/gondb/gondb/datanode/sysfile"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/signal"
)

// TestSystemRestartAfterFailure: node 2 fails, node 1 goes on and saves
// epochs node 2 never saw, then node 1 stops too. The sysfiles tell the
// system restart whose disk restores what: node 1's records the latest
// saved GCI with only node 1, so node 1 starts the cluster alone from its
// disk and node 2, whose redo lacks those epochs, joins by a node restart
// instead of replaying up to them. Afterwards node 2 alone holds every row
// with its last value.
func TestSystemRestartAfterFailure(t *testing.T) {
	tc, _ := startDiskCluster(t)
	ndb := tc.ndb(t)
	const rows = 200
	insertN(t, ndb, tc.t, rows/2)
	tc.nodes[1].Stop()

	// Node 1 alone: update every row and insert the rest, until saved.
	rb := tc.t.NewRowBuilder()
	var last uint64
	write := func(id, val int64, insert bool) {
		t.Helper()
		for try := 0; ; try++ {
			tx, err := ndb.StartTransaction(tc.t, nil)
			if err == nil {
				setItem(rb, id, val)
				if insert {
					tx.Insert(tc.t, rb)
				} else {
					tx.Update(tc.t, rb)
				}
				if err = tx.Execute(ndbapi.Commit); err == nil {
					last = max(last, tx.GCI())
				}
				tx.Close()
			}
			if err == nil {
				return
			}
			if try == 200 {
				t.Fatalf("writing %d: %v", id, err)
			}
			time.Sleep(20 * time.Millisecond) // until node 2's failure is handled
		}
	}
	for id := int64(0); id < rows; id++ {
		write(id, id*10+7, id >= rows/2)
	}
	cfg1 := tc.cfgs[0]
	for deadline := time.Now().Add(20 * time.Second); ; {
		if g, _, err := node.DiskState(cfg1); err == nil && g >= last {
			break
		}
		if time.Now().After(deadline) {
			st, _ := tc.nodes[0].Stats(context.Background())
			t.Fatalf("node 1 did not save GCI %d: %+v", last, st.GCP)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tc.nodes[0].Stop()

	g1, n1, err := node.DiskState(cfg1)
	if err != nil {
		t.Fatal(err)
	}
	cfg2 := tc.cfgs[1]
	g2, _, err := node.DiskState(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	covers := func(nodes [8]uint32, id int) bool { return nodes[id/32]&(1<<(id%32)) != 0 }
	if g2 >= g1 || !covers(n1, 1) || covers(n1, 2) {
		t.Fatalf("sysfiles: node 1 GCI %d nodes %v, node 2 GCI %d; want node 1 ahead, recording node 1 only", g1, n1, g2)
	}

	// The system restart: node 1 restores g1 alone; node 2 joins.
	cfg1.RestoreGCI, cfg1.Membership.Members = g1, []signal.NodeID{1}
	n1Node, err := node.Start(cfg1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n1Node.Stop)
	cfg2.RestoreGCI = g2
	n2Node, prog := nodeRestart(t, cfg2)
	// Node 1's system restart began a new history of the cluster: node 2's
	// restored rows are not trusted, every row is copied whole.
	if prog.KeysCopied != 0 || prog.RowsCopied == 0 {
		t.Fatalf("progress %+v: want every row copied whole (node 2 restored another history)", prog)
	}
	// Its disk restores the copy once a local checkpoint after it is
	// complete; then saves take it in again.
	select {
	case <-n2Node.Durable():
	case <-time.After(30 * time.Second):
		t.Fatal("node 2 did not become durable after its node restart")
	}
	n1Node.Stop()
	r := tc.ndb(t)
	for id := int64(0); id < rows; id++ {
		var got int64
		var err error
		for try := 0; try < 300; try++ {
			tx, terr := r.StartTransaction(tc.t, nil)
			if err = terr; err == nil {
				op := tx.Read(tc.t, keyOf(rb, id), ndbapi.CommittedRead)
				if err = tx.Execute(ndbapi.Commit); err == nil {
					row, ok := op.Row()
					if !ok {
						t.Fatalf("row %d missing on node 2", id)
					}
					got = row.Int64(1)
				}
				tx.Close()
			}
			if err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("reading %d from node 2: %v", id, err)
		}
		if want := id*10 + 7; got != want {
			t.Errorf("row %d: %d on node 2, want %d", id, got, want)
		}
	}
}

// TestNodeRestartFromDisk: a node restarted with its disk keeps the rows
// it restored: the live node sends rows unchanged since the restarted
// node's GCI as keys only, changed ones whole, and the restarted node
// deletes those deleted meanwhile. Afterwards it alone holds every row as
// the cluster does.
func TestNodeRestartFromDisk(t *testing.T) {
	tc, dirs := startDiskCluster(t)
	ndb := tc.ndb(t)
	const rows = 200
	insertN(t, ndb, tc.t, rows)
	// The GCI of a write after the inserts: once both sysfiles record it,
	// node 2's disk restores every row as it is now, and the cluster's
	// history (a save wrote it).
	rb0 := tc.t.NewRowBuilder()
	tx, err := ndb.StartTransaction(tc.t, nil)
	if err != nil {
		t.Fatal(err)
	}
	setItem(rb0, 0, 0)
	tx.Update(tc.t, rb0)
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatal(err)
	}
	last := tx.GCI()
	tx.Close()
	for deadline := time.Now().Add(20 * time.Second); ; {
		s1, err1 := sysfile.Read(dirs[0])
		s2, err2 := sysfile.Read(dirs[1])
		if err1 == nil && err2 == nil && s1.History != 0 && s1.History == s2.History && s2.LastCompletedGCI >= last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sysfiles never agreed on the cluster's history: %+v %v, %+v %v", s1, err1, s2, err2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tc.nodes[1].Stop()

	// Node 1 alone: update rows 0-49, delete 50-59, insert 200-249.
	rb := tc.t.NewRowBuilder()
	for id := int64(0); id < 250; id++ {
		if id >= 60 && id < rows {
			continue
		}
		err := ndbapi.RunTransaction(context.Background(), ndb, tc.t, nil, func(tx *ndbapi.Transaction) error {
			switch {
			case id < 50:
				setItem(rb, id, id*10+3)
				tx.Update(tc.t, rb)
			case id < 60:
				tx.Delete(tc.t, keyOf(rb, id))
			default:
				setItem(rb, id, id*10)
				tx.Insert(tc.t, rb)
			}
			return nil
		}, settling)
		if err != nil {
			t.Fatalf("writing %d: %v", id, err)
		}
	}

	n2, p := nodeRestart(t, tc.cfgs[1])
	t.Logf("node restart from disk: restored GCI %d; %d rows whole, %d keys, %d swept", p.RestoredGCI, p.RowsCopied, p.KeysCopied, p.RowsSwept)
	if p.RestoredGCI == 0 || p.KeysCopied == 0 || p.RowsSwept < 10 {
		t.Fatalf("progress %+v: want a restored GCI, rows sent as keys and the 10 deleted rows swept", p)
	}
	select {
	case <-n2.Durable():
	case <-time.After(30 * time.Second):
		t.Fatal("node 2 did not become durable after its node restart")
	}
	tc.nodes[0].Stop()
	readAllFrom(t, tc, 250, func(id int64) (int64, bool) {
		switch {
		case id < 50:
			return id*10 + 3, true
		case id < 60:
			return 0, false
		}
		return id * 10, true
	})
}

// readAllFrom reads ids 0..n-1 (retrying temporary errors while the
// cluster settles) and checks each against want (value, present).
func readAllFrom(t *testing.T, tc *testCluster, n int64, want func(id int64) (int64, bool)) {
	t.Helper()
	r := tc.ndb(t)
	rb := tc.t.NewRowBuilder()
	for id := int64(0); id < n; id++ {
		var got int64
		var found bool
		var err error
		for try := 0; try < settling.MaxAttempts; try++ {
			var tx *ndbapi.Transaction
			if tx, err = r.StartTransaction(tc.t, nil); err != nil {
				break
			}
			op := tx.Read(tc.t, keyOf(rb, id), ndbapi.CommittedRead)
			err = tx.Execute(ndbapi.Commit)
			if row, ok := op.Row(); ok {
				found, got = true, row.Int64(1)
			} else {
				found = false
			}
			tx.Close()
			if ndbapi.Code(err) == 626 { // no such row
				found, err = false, nil
			}
			if !ndbapi.IsTemporary(err) {
				break
			}
			time.Sleep(settling.MaxBackoff)
		}
		if err != nil {
			t.Fatalf("reading %d: %v", id, err)
		}
		if v, ok := want(id); ok != found || ok && v != got {
			t.Errorf("row %d: %d (present %v), want %d (present %v)", id, got, found, v, ok)
		}
	}
}

// settling retries temporary errors for a few seconds: while a failure
// is handled, or a node restart ends.
var settling = ndbapi.RetryPolicy{MaxAttempts: 300, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}

// nodeRestart starts a data node of cfg by a node restart, waits until it
// is a full replica again, and returns it with the restart's last progress
// report.
func nodeRestart(t *testing.T, cfg node.Config) (*node.Node, restart.Progress) {
	t.Helper()
	var mu sync.Mutex
	var last restart.Progress
	started := make(chan struct{})
	cfg.Membership.Starting = true
	cfg.Membership.OnStarted = func() { close(started) }
	cfg.Membership.OnProgress = func(p restart.Progress) {
		mu.Lock()
		last = p
		mu.Unlock()
	}
	nd, err := node.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nd.Stop)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatalf("node %d's node restart did not finish", cfg.NodeID)
	}
	mu.Lock()
	defer mu.Unlock()
	return nd, last
}

// startDiskCluster starts two data nodes (NoOfReplicas=2) with file
// systems, node failure handling and fast epochs and saves; it returns
// their directories too.
func startDiskCluster(t *testing.T) (*testCluster, []string) {
	dirs := []string{filepath.Join(t.TempDir(), "n1"), filepath.Join(t.TempDir(), "n2")}
	return startPair(t, func(c *node.Config) {
		c.FileSystem = dirs[c.NodeID-1]
		c.SaveInterval = 50 * time.Millisecond
	}), dirs
}
