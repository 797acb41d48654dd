package node_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/sysfile"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/inproc"
)

// durableNode runs one data node with a file system in dir, and an API
// connection to it, over an in-process network.
type durableNode struct {
	n   *node.Node
	c   *ndbapi.Cluster
	ndb *ndbapi.Ndb
	t   *ndbapi.Table
}

func startDurable(t *testing.T, dir string, initial bool) *durableNode {
	t.Helper()
	return startDurableWith(t, dir, initial, nil)
}

// startDurableWith is startDurable with tweak applied to the node's config.
func startDurableWith(t *testing.T, dir string, initial bool, tweak func(*node.Config)) *durableNode {
	t.Helper()
	net := inproc.NewNetwork()
	c := node.DefaultTestConfig()
	c.NodeID, c.NoOfReplicas, c.Network = 1, 1, net
	c.DataNodes = []node.DataNode{{ID: 1}}
	c.APINodes = []signal.NodeID{50}
	c.Tables = []*schema.Table{accountTable()}
	c.FileSystem, c.Initial = dir, initial
	c.EpochInterval, c.SaveInterval = 10*time.Millisecond, 30*time.Millisecond
	if tweak != nil {
		tweak(&c)
	}
	n, err := node.Start(c)
	if err != nil {
		t.Fatal(err)
	}
	o := ndbapi.DefaultTestOptions()
	o.NodeID, o.Network, o.NoOfReplicas, o.PartitionsPerNode = 50, net, 1, c.PartitionsPerNode
	o.DataNodes = []ndbapi.DataNode{{ID: 1}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := ndbapi.ConnectDirect(ctx, o)
	if err != nil {
		n.Stop()
		t.Fatal(err)
	}
	tbl, err := cl.AddTable(accountTable())
	if err != nil {
		t.Fatal(err)
	}
	ndb, err := cl.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	return &durableNode{n: n, c: cl, ndb: ndb, t: tbl}
}

func (d *durableNode) stop() { d.ndb.Close(); d.c.Close(); d.n.Stop() }

// apply runs one transaction writing value to ids (deleting them for
// op "delete"), and returns its commit GCI.
func (d *durableNode) apply(t *testing.T, ids []int64, value int64, op string) uint64 {
	t.Helper()
	gci, err := d.tryApply(ids, value, op)
	if err != nil {
		t.Fatalf("%s %v: %v", op, ids, err)
	}
	return gci
}

// contents scans the table: id -> value.
func (d *durableNode) contents(t *testing.T) map[int64]int64 {
	t.Helper()
	tx, err := d.ndb.StartTransaction(d.t, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	s, err := tx.ScanTable(d.t, ndbapi.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for r, ok := s.Next(); ok; r, ok = s.Next() {
		out[r.Int64(0)] = r.Int64(1)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	return out
}

func (d *durableNode) stats(t *testing.T) node.Stats {
	st, err := d.n.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitSaved waits until epoch gci is durable.
func (d *durableNode) waitSaved(t *testing.T, gci uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for d.stats(t).GCP.Saved < gci {
		if time.Now().After(deadline) {
			t.Fatalf("epoch %d not saved (saved %d)", gci, d.stats(t).GCP.Saved)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSystemRestart writes, waits for the GCP save, writes more, stops the
// node, and starts it again from its file system, three times: every
// change at or below the restored GCI is back, none above it, and the
// third start with Initial is empty.
func TestSystemRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ndb_1_fs")
	want := map[int64]int64{}
	type change struct {
		gci   uint64
		ids   []int64
		value int64
		del   bool
	}
	var pending []change // changes whose survival depends on the restored GCI
	d := startDurable(t, dir, true)
	for round := 0; round < 3; round++ {
		base := int64(round * 1000)
		var last uint64
		for i := int64(0); i < 200; i += 10 {
			ids := []int64{base + i, base + i + 1, base + i + 2, base + i + 3, base + i + 4, base + i + 5, base + i + 6, base + i + 7, base + i + 8, base + i + 9}
			last = d.apply(t, ids, base+i, "write")
			for _, id := range ids {
				want[id] = base + i
			}
		}
		last = max(last, d.apply(t, []int64{base + 5, base + 15}, -1, "write"))
		want[base+5], want[base+15] = -1, -1
		last = max(last, d.apply(t, []int64{base + 20, base + 21}, 0, "delete"))
		delete(want, base+20)
		delete(want, base+21)
		d.waitSaved(t, last)
		// Changes after the save: kept or not depending on the GCI the
		// restart restores.
		pending = pending[:0]
		for i := int64(0); i < 5; i++ {
			ids := []int64{base + 500 + i}
			pending = append(pending, change{gci: d.apply(t, ids, 7, "write"), ids: ids, value: 7})
		}
		pending = append(pending, change{gci: d.apply(t, []int64{base + 30}, 0, "delete"), ids: []int64{base + 30}, del: true})
		d.stop()

		d = startDurable(t, dir, false)
		st := d.stats(t)
		if st.Restore.GCI < last {
			t.Fatalf("round %d: restored GCI %d, below the saved %d", round, st.Restore.GCI, last)
		}
		for _, c := range pending {
			if c.gci > st.Restore.GCI {
				continue
			}
			for _, id := range c.ids {
				if c.del {
					delete(want, id)
				} else {
					want[id] = c.value
				}
			}
		}
		got := d.contents(t)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d rows after restart, want %d (restored GCI %d)", round, len(got), len(want), st.Restore.GCI)
		}
		for id, v := range want {
			if g, ok := got[id]; !ok || g != v {
				t.Fatalf("round %d: row %d = %d (present %v), want %d", round, id, g, ok, v)
			}
		}
		if round > 0 && st.Restore.Fragments == 0 {
			t.Fatalf("round %d: no fragment restored from a local checkpoint: %+v", round, st.Restore)
		}
		t.Logf("round %d: restored GCI %d: %+v", round, st.Restore.GCI, st.Restore)
	}
	d.stop()
	d = startDurable(t, dir, true)
	defer d.stop()
	if got := d.contents(t); len(got) != 0 || d.stats(t).Restore.GCI != 0 {
		t.Fatalf("initial start: %d rows, restored GCI %d", len(got), d.stats(t).Restore.GCI)
	}
}

// TestRestoreAgreedGCI is the system restart of a node whose sysfile
// lags the cluster's (a crash between two nodes' sysfile writes): with
// the agreed RestoreGCI it replays its redo log past its own sysfile and
// has every change up to that GCI; DiskGCI reports the sysfile's GCI.
func TestRestoreAgreedGCI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ndb_1_fs")
	d := startDurable(t, dir, true)
	early := d.apply(t, []int64{1, 2}, 10, "write")
	d.waitSaved(t, early)
	// Later epochs, made durable, but a sysfile rolled back to early
	// stands for the node whose sysfile write the crash beat.
	var late uint64
	for id := int64(3); id < 40; id++ {
		late = d.apply(t, []int64{id}, id, "write")
	}
	late = max(late, d.apply(t, []int64{1}, 0, "delete"))
	d.waitSaved(t, late)
	if late <= early {
		t.Fatalf("late GCI %d not after early %d", late, early)
	}
	d.stop()
	sys, err := sysfile.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sf, _ := sys.Current()
	sf.LastCompletedGCI, sf.OldestRestorableGCI = early, early
	if err := sys.Save(sf); err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{NodeID: 1, FileSystem: dir}
	if g, err := node.DiskGCI(cfg); err != nil || g != early {
		t.Fatalf("DiskGCI = %d, %v; want %d", g, err, early)
	}
	cfg.Initial = true
	if g, err := node.DiskGCI(cfg); err != nil || g != 0 {
		t.Fatalf("DiskGCI with Initial = %d, %v; want 0", g, err)
	}

	d = startDurableWith(t, dir, false, func(c *node.Config) { c.RestoreGCI = late })
	defer d.stop()
	if g := d.stats(t).Restore.GCI; g != late {
		t.Fatalf("restored GCI %d, want the agreed %d", g, late)
	}
	got := d.contents(t)
	if _, ok := got[1]; ok || len(got) != 38 || got[2] != 10 || got[39] != 39 {
		t.Fatalf("after restoring the agreed GCI: %d rows (row 1 present %v, row 2 = %d, row 39 = %d), want 38 without row 1",
			len(got), ok, got[2], got[39])
	}
}

// TestWaitDurable: the API's WaitDurable returns once a transaction's
// commit GCI is saved on the node; a diskless node refuses with 9010.
func TestWaitDurable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := startDurable(t, filepath.Join(t.TempDir(), "ndb_1_fs"), true)
	gci := d.apply(t, []int64{1, 2, 3}, 5, "write")
	if err := d.c.WaitDurable(ctx, gci); err != nil {
		t.Fatalf("WaitDurable(%d): %v", gci, err)
	}
	if saved := d.stats(t).GCP.Saved; saved < gci {
		t.Fatalf("WaitDurable(%d) returned with saved GCI %d", gci, saved)
	}
	if err := d.c.WaitDurable(ctx, 0); ndbapi.Code(err) != ndberr.ErrAPIUsage.Code {
		t.Fatalf("WaitDurable(0): %v", err)
	}
	d.stop()

	diskless := startDurable(t, "", false) // no FileSystem: diskless
	defer diskless.stop()
	gci = diskless.apply(t, []int64{1}, 1, "write")
	if err := diskless.c.WaitDurable(ctx, gci); ndbapi.Code(err) != ndberr.ErrDiskless.Code {
		t.Fatalf("WaitDurable on a diskless node: %v, want error %d", err, ndberr.ErrDiskless.Code)
	}
}
