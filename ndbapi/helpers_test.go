package ndbapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/inproc"
)

const apiID signal.NodeID = 50

// itemTable: (id BIGINT PK, val BIGINT, name VARCHAR(32) NULL, code INT
// NOT NULL unique, grp INT with an ordered index).
func itemTable() *schema.Table {
	return &schema.Table{ID: 7, Name: "item", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{
			{Name: "id", Type: schema.TypeBigInt},
			{Name: "val", Type: schema.TypeBigInt},
			{Name: "name", Type: schema.TypeVarchar, Length: 32, Nullable: true},
			{Name: "code", Type: schema.TypeInt},
			{Name: "grp", Type: schema.TypeInt},
		},
		Indexes: []schema.Index{
			{Name: "code_uq", Kind: schema.IndexUniqueHash, Columns: []int{3}},
			{Name: "grp_ix", Kind: schema.IndexOrdered, Columns: []int{4}},
		}}
}

type testCluster struct {
	c     *ndbapi.Cluster
	t     *ndbapi.Table
	nodes []*node.Node
	cfgs  []node.Config  // each node's configuration, to start it again
	opts  ndbapi.Options // the API's options, for more API nodes
}

// startPair starts two data nodes, NoOfReplicas=2, with node failure
// handling (50 ms heartbeats, no arbitration) and 20 ms epochs: the
// cluster of the node failure and restart tests. tweak may change more.
func startPair(t testing.TB, tweak func(*node.Config)) *testCluster {
	t.Helper()
	return startInproc(t, 2, func(c *node.Config) {
		c.NoOfReplicas = 2
		c.Membership.Enabled = true
		c.Membership.HeartbeatIntervalDbDb = 50 * time.Millisecond
		c.Membership.Arbitration = qmgr.ArbitrationDisabled
		c.EpochInterval = 20 * time.Millisecond
		if tweak != nil {
			tweak(c)
		}
	})
}

// startInproc starts n data nodes on an in-process network and connects
// the API to them.
func startInproc(t testing.TB, n int, tweak func(*node.Config)) *testCluster {
	t.Helper()
	net := inproc.NewNetwork()
	var dn []node.DataNode
	var api []ndbapi.DataNode
	for i := 1; i <= n; i++ {
		dn = append(dn, node.DataNode{ID: signal.NodeID(i)})
		api = append(api, ndbapi.DataNode{ID: signal.NodeID(i)})
	}
	tc := &testCluster{}
	replicas := 1
	for i := 1; i <= n; i++ {
		c := node.DefaultTestConfig()
		c.NodeID = signal.NodeID(i)
		c.NoOfReplicas = 1
		c.DataNodes = dn
		c.APINodes = []signal.NodeID{apiID}
		c.Network = net
		c.Tables = []*schema.Table{itemTable()}
		c.DeadlockTimeout = 300 * time.Millisecond
		if tweak != nil {
			tweak(&c)
		}
		replicas = c.NoOfReplicas
		nd, err := node.Start(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nd.Stop)
		tc.nodes = append(tc.nodes, nd)
		tc.cfgs = append(tc.cfgs, c)
	}
	o := ndbapi.DefaultTestOptions()
	o.NodeID, o.DataNodes, o.Network, o.NoOfReplicas = apiID, api, net, replicas
	o.PartitionsPerNode = node.DefaultTestConfig().PartitionsPerNode
	tc.opts = o
	c, err := ndbapi.ConnectDirect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc.c = c
	if tc.t, err = c.AddTable(itemTable()); err != nil {
		t.Fatal(err)
	}
	return tc
}

func (tc *testCluster) ndb(t testing.TB) *ndbapi.Ndb {
	t.Helper()
	n, err := tc.c.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// setItem fills rb with item id.
func setItem(rb *schema.RowBuilder, id, val int64) {
	rb.Reset()
	rb.SetInt64(0, id)
	rb.SetInt64(1, val)
	rb.SetString(2, "n"+string(rune('a'+id%26)))
	rb.SetInt64(3, 1000+id)
	rb.SetInt64(4, id%10)
}

func keyOf(rb *schema.RowBuilder, id int64) *schema.RowBuilder {
	rb.Reset()
	rb.SetInt64(0, id)
	return rb
}

// insertN commits items 0..n-1 in one transaction each batch of 100.
func insertN(t testing.TB, n *ndbapi.Ndb, tbl *ndbapi.Table, count int) {
	t.Helper()
	rb := tbl.NewRowBuilder()
	for i := 0; i < count; i += 100 {
		tx, err := n.StartTransaction(tbl, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := i; j < min(i+100, count); j++ {
			setItem(rb, int64(j), int64(j)*10)
			tx.Insert(tbl, rb)
		}
		if err := tx.Execute(ndbapi.Commit); err != nil {
			t.Fatal(err)
		}
		tx.Close()
	}
}
