package ndbapi_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
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
	dirs := []string{filepath.Join(t.TempDir(), "n1"), filepath.Join(t.TempDir(), "n2")}
	tc := startInproc(t, 2, func(c *node.Config) {
		c.NoOfReplicas = 2
		c.FileSystem = dirs[c.NodeID-1]
		c.Membership.Enabled = true
		c.Membership.HeartbeatIntervalDbDb = 50 * time.Millisecond
		c.Membership.Arbitration = qmgr.ArbitrationDisabled
		c.EpochInterval = 20 * time.Millisecond
		c.SaveInterval = 50 * time.Millisecond
	})
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
	started := make(chan struct{})
	cfg2.RestoreGCI = g2
	cfg2.Membership.Starting = true
	cfg2.Membership.OnStarted = func() { close(started) }
	n2Node, err := node.Start(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n2Node.Stop)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("node 2's node restart did not finish")
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
