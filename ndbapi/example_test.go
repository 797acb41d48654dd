package ndbapi_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/inproc"
)

// exampleCluster starts one in-process data node and connects to it.
func exampleCluster() (*ndbapi.Cluster, *ndbapi.Table, func()) {
	net := inproc.NewNetwork()
	c := node.DefaultTestConfig()
	c.NodeID, c.NoOfReplicas, c.Network = 1, 1, net
	c.DataNodes = []node.DataNode{{ID: 1}}
	c.APINodes = []signal.NodeID{apiID}
	c.Tables = []*schema.Table{itemTable()}
	nd, err := node.Start(c)
	if err != nil {
		panic(err)
	}
	o := ndbapi.DefaultTestOptions()
	o.NodeID, o.Network, o.NoOfReplicas = apiID, net, 1
	o.DataNodes = []ndbapi.DataNode{{ID: 1}}
	cl, err := ndbapi.ConnectDirect(context.Background(), o)
	if err != nil {
		panic(err)
	}
	tbl, _ := cl.AddTable(itemTable())
	return cl, tbl, func() { cl.Close(); nd.Stop() }
}

// A synchronous insert and read.
func Example() {
	cl, tbl, stop := exampleCluster()
	defer stop()
	ndb, _ := cl.NewNdb()
	defer ndb.Close()
	rb := tbl.NewRowBuilder()
	rb.Reset()
	rb.SetInt64(0, 1)
	rb.SetInt64(1, 42)
	rb.SetInt64(3, 7)
	tx, _ := ndb.StartTransaction(tbl, rb.AppendKey(nil))
	tx.Insert(tbl, rb)
	if err := tx.Execute(ndbapi.Commit); err != nil {
		fmt.Println(err)
	}
	tx.Close()

	tx, _ = ndb.StartTransaction(tbl, nil)
	op := tx.Read(tbl, rb, ndbapi.CommittedRead)
	err := tx.Execute(ndbapi.Commit)
	r, _ := op.Row()
	fmt.Println(err, r.Int64(1))
	tx.Close()
	// Output: <nil> 42
}

// Many transactions prepared, sent in one flush, completed by callbacks.
func ExampleNdb_SendPollNdb() {
	cl, tbl, stop := exampleCluster()
	defer stop()
	ndb, _ := cl.NewNdb()
	defer ndb.Close()
	rb := tbl.NewRowBuilder()
	ok := 0
	for i := 0; i < 100; i++ {
		rb.Reset()
		rb.SetInt64(0, int64(i))
		rb.SetInt64(3, int64(i))
		tx, _ := ndb.StartTransaction(tbl, rb.AppendKey(nil))
		tx.Insert(tbl, rb)
		tx.ExecuteAsync(ndbapi.Commit, func(tx *ndbapi.Transaction, err error) {
			if err == nil {
				ok++
			}
			tx.Close()
		})
	}
	for ndb.Pending() > 0 {
		ndb.SendPollNdb(time.Second, 0)
	}
	fmt.Println(ok)
	// Output: 100
}

// A table scan with a pushed-down filter.
func ExampleTransaction_ScanTable() {
	cl, tbl, stop := exampleCluster()
	defer stop()
	ndb, _ := cl.NewNdb()
	defer ndb.Close()
	rb := tbl.NewRowBuilder()
	tx, _ := ndb.StartTransaction(nil, nil)
	for i := 0; i < 10; i++ {
		rb.Reset()
		rb.SetInt64(0, int64(i))
		rb.SetInt64(1, int64(i*i))
		rb.SetInt64(3, int64(i))
		tx.Insert(tbl, rb)
	}
	tx.Execute(ndbapi.Commit)
	tx.Close()

	b := filter.NewBuilder(tbl.Layout)
	b.Cmp(1, filter.Gt, filter.Int(20)) // val > 20
	prog, _ := b.Program()
	tx, _ = ndb.StartTransaction(nil, nil)
	defer tx.Close()
	s, _ := tx.ScanTable(tbl, ndbapi.ScanOptions{Filter: prog})
	n := 0
	for _, ok := s.Next(); ok; _, ok = s.Next() {
		n++
	}
	fmt.Println(n, s.Err())
	// Output: 5 <nil>
}
