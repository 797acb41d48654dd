package ndbapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/internal/datanodeproc"
	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// startDataNodes runs the cluster's data nodes as in `gondb datanode`, in
// this process, until the test ends.
func startDataNodes(t *testing.T, c *mgmtest.Cluster) {
	t.Helper()
	for _, id := range c.DataNodeIDs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p, err := datanodeproc.Join(ctx, datanodeproc.Options{
			ConnectString: c.ConnectString, NodeID: id, Version: "gondb-test", Logger: mgmtest.QuietLogger(),
			Client:        client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second},
			StatsInterval: 50 * time.Millisecond,
			Adjust:        func(c *node.Config) { c.TickInterval = time.Millisecond; c.Prefault = false },
		})
		cancel()
		if err != nil {
			t.Fatalf("data node %d: %v", id, err)
		}
		rctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(rctx) }()
		t.Cleanup(func() { stop(); <-done })
	}
}

// TestConnectThroughManagementNode: an API node joins through the
// management server, creates a table through the dictionary, runs
// transactions on it, drops it, and the table is gone.
func TestConnectThroughManagementNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a management server and two data nodes")
	}
	mc := mgmtest.Start(t, mgmtest.Options{})
	startDataNodes(t, mc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := ndbapi.DefaultTestOptions()
	opts.Client = client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
	c, err := ndbapi.Connect(ctx, mc.ConnectString, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	def := &schema.Table{Name: "subscribers", PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "name", Type: schema.TypeVarchar, Length: 20}},
		Indexes: []schema.Index{{Name: "name", Kind: schema.IndexUniqueHash, Columns: []int{1}}}}
	tbl, err := c.CreateTable(ctx, def)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Def.ID == 0 {
		t.Fatal("the dictionary assigned no table id")
	}
	if _, err := c.CreateTable(ctx, def); err == nil {
		t.Fatal("creating the table twice succeeded")
	}
	ndb, err := c.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	for i := int64(1); i <= 20; i++ {
		rb := tbl.NewRowBuilder()
		rb.SetInt64(0, i)
		rb.SetString(1, string(rune('a'+i)))
		key := rb.AppendKey(nil)
		tx, err := ndb.StartTransaction(tbl, key)
		if err != nil {
			t.Fatal(err)
		}
		tx.Insert(tbl, rb)
		if err := tx.Execute(ndbapi.Commit); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		tx.Close()
	}
	// Another API connection learns the table from the dictionary by name.
	c2, err := ndbapi.Connect(ctx, mc.ConnectString, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	tbl2, err := c2.Table(ctx, "subscribers")
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := c2.Tables(ctx); err != nil || len(ts) != 1 || ts[0].Name() != "subscribers" {
		t.Fatalf("Tables: %v, err %v", ts, err)
	}
	ndb2, err := c2.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb2.Close()
	tx, err := ndb2.StartTransaction(tbl2, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tx.ScanTable(tbl2, ndbapi.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ok := s.Next(); ok; _, ok = s.Next() {
		n++
	}
	if err := s.Err(); err != nil || n != 20 {
		t.Fatalf("scan through the second connection: %d rows, err %v", n, err)
	}
	s.Close()
	tx.Close()

	if err := c.DropTable(ctx, "subscribers"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Table(ctx, "subscribers"); !errors.Is(err, ndbapi.ErrNoSuchTable) {
		t.Fatalf("after drop: %v, want ErrNoSuchTable", err)
	}
	// The data nodes drop it too: the second connection's operations fail.
	deadline := time.Now().Add(20 * time.Second)
	for {
		rb := tbl2.NewRowBuilder()
		rb.SetInt64(0, 1)
		tx, err := ndb2.StartTransaction(tbl2, nil)
		if err != nil {
			t.Fatal(err)
		}
		tx.Read(tbl2, rb, ndbapi.CommittedRead)
		err = tx.Execute(ndbapi.Commit)
		tx.Close()
		if ndbapi.Code(err) == ndberr.ErrNoSuchTable.Code {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read after drop: %v, want 723", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The second connection follows the dictionary: it forgets the
	// dropped table, and lists none. (Its change counter alone does not
	// say the drop arrived: the create it watched may be what it
	// counted.)
	for {
		_, err := c2.Table(ctx, "subscribers")
		if errors.Is(err, ndbapi.ErrNoSuchTable) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second connection after drop: %v, want ErrNoSuchTable", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c2.DictionaryChanges() == 0 {
		t.Fatal("the second connection counted no dictionary change")
	}
	if ts, err := c2.Tables(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("Tables after drop: %d tables, err %v", len(ts), err)
	}
}
