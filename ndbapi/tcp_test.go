package ndbapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
)

func startTCPNode(t testing.TB, listen string) *node.Node {
	t.Helper()
	c := node.DefaultTestConfig()
	c.NodeID, c.NoOfReplicas, c.Listen = 1, 1, listen
	c.DataNodes = []node.DataNode{{ID: 1}}
	c.APINodes = []signal.NodeID{apiID}
	c.Tables = []*schema.Table{itemTable()}
	nd, err := node.Start(c)
	if err != nil {
		t.Fatal(err)
	}
	return nd
}

func connectTCP(t testing.TB, addr string) *ndbapi.Cluster {
	t.Helper()
	o := ndbapi.DefaultTestOptions()
	o.NodeID, o.NoOfReplicas = apiID, 1
	o.DataNodes = []ndbapi.DataNode{{ID: 1, Addr: addr}}
	o.TCP.HeartbeatInterval = node.DefaultTestConfig().HeartbeatInterval
	c, err := ndbapi.ConnectDirect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The API reconnects by itself after its data node restarts.
func TestReconnectAfterRestart(t *testing.T) {
	nd := startTCPNode(t, "127.0.0.1:0")
	addr := nd.Addr()
	c := connectTCP(t, addr)
	tbl, _ := c.AddTable(itemTable())
	n, _ := c.NewNdb()
	defer n.Close()
	insertN(t, n, tbl, 10)
	nd.Stop()
	nd = startTCPNode(t, addr)
	defer nd.Stop()
	rb := tbl.NewRowBuilder()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		err = ndbapi.RunTransaction(context.Background(), n, tbl, nil, func(tx *ndbapi.Transaction) error {
			setItem(rb, 1, 1)
			tx.Insert(tbl, rb)
			return nil
		}, ndbapi.DefaultRetryPolicy())
		if err == nil {
			break
		}
		if !ndbapi.IsTemporary(err) && ndbapi.Code(err) != 4012 {
			t.Fatalf("after restart: %v (not temporary)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("no success after restart: %v", err)
	}
}

func benchPK(b *testing.B, c *ndbapi.Cluster, insert bool) {
	tbl, _ := c.AddTable(itemTable())
	n, _ := c.NewNdb()
	defer n.Close()
	const inflight = 1000
	rb := tbl.NewRowBuilder()
	fail := 0
	cb := func(tx *ndbapi.Transaction, err error) {
		if err != nil {
			fail++
		}
		tx.Close()
	}
	if !insert {
		insertN(b, n, tbl, 10000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; {
		for k := 0; k < inflight && i < b.N; k, i = k+1, i+1 {
			var tx *ndbapi.Transaction
			var err error
			if insert {
				setItem(rb, int64(i)+1_000_000, int64(i))
				tx, err = n.StartTransaction(tbl, rb.AppendKey(nil))
				tx.Insert(tbl, rb)
			} else {
				keyOf(rb, int64(i%10000))
				tx, err = n.StartTransaction(tbl, nil)
				tx.Read(tbl, rb, ndbapi.CommittedRead)
			}
			if err != nil {
				b.Fatal(err)
			}
			tx.ExecuteAsync(ndbapi.Commit, cb)
		}
		for n.Pending() > 0 {
			n.SendPollNdb(10*time.Second, 0)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	if fail > 0 {
		b.Fatalf("%d failed", fail)
	}
}

func BenchmarkNdbapiPKRead(b *testing.B) {
	b.Run("inproc", func(b *testing.B) { benchPK(b, startInproc(b, 1, nil).c, false) })
	b.Run("tcp", func(b *testing.B) {
		nd := startTCPNode(b, "127.0.0.1:0")
		defer nd.Stop()
		benchPK(b, connectTCP(b, nd.Addr()), false)
	})
}

func BenchmarkNdbapiInsert(b *testing.B) {
	b.Run("inproc", func(b *testing.B) { benchPK(b, startInproc(b, 1, nil).c, true) })
	b.Run("tcp", func(b *testing.B) {
		nd := startTCPNode(b, "127.0.0.1:0")
		defer nd.Stop()
		benchPK(b, connectTCP(b, nd.Addr()), true)
	})
}
