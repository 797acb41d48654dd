package ndbapi_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/inproc"
)

// info reads an ndbinfo table, failing the test on an error.
func info(t *testing.T, c *ndbapi.Cluster, table string, opts ndbapi.InfoOptions) *ndbapi.InfoRows {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.NdbInfo(ctx, table, opts)
	if err != nil {
		t.Fatalf("ndbinfo %s: %v", table, err)
	}
	return r
}

// sum adds column col over the rows whose column key equals val (any
// row when key is "").
func sum(r *ndbapi.InfoRows, col, key, val string) uint64 {
	var s uint64
	for _, m := range r.Maps() {
		if key == "" || m[key] == val {
			s += m[col].(uint64)
		}
	}
	return s
}

func TestNdbInfoMemoryUsageGrowsAndShrinks(t *testing.T) {
	tc := startInproc(t, 2, nil)
	n, tbl := tc.ndb(t), tc.t
	dataUsed := func() uint64 {
		r := info(t, tc.c, "memoryusage", ndbapi.InfoOptions{})
		if len(r.Rows) != 4 {
			t.Fatalf("memoryusage: %d rows from 2 nodes, want 4", len(r.Rows))
		}
		return sum(r, "used", "memory_type", "Data memory")
	}
	before := dataUsed()
	const rows = 6000
	insertN(t, n, tbl, rows)
	grown := dataUsed()
	if grown <= before {
		t.Fatalf("Data memory used %d after %d inserts, %d before", grown, rows, before)
	}
	rb := tbl.NewRowBuilder()
	for i := 0; i < rows; i += 200 {
		tx, err := n.StartTransaction(tbl, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := i; j < i+200; j++ {
			tx.Delete(tbl, keyOf(rb, int64(j)))
		}
		if err := tx.Execute(ndbapi.Commit); err != nil {
			t.Fatal(err)
		}
		tx.Close()
	}
	if shrunk := dataUsed(); shrunk >= grown {
		t.Fatalf("Data memory used %d after deleting every row, %d before", shrunk, grown)
	}
}

func TestNdbInfoCountersRise(t *testing.T) {
	tc := startInproc(t, 2, nil)
	n, tbl := tc.ndb(t), tc.t
	read := func() map[string]uint64 {
		out := map[string]uint64{}
		for _, m := range info(t, tc.c, "counters", ndbapi.InfoOptions{}).Maps() {
			out[m["block_name"].(string)+"."+m["counter_name"].(string)] += m["val"].(uint64)
		}
		return out
	}
	before := read()
	insertN(t, n, tbl, 50) // one transaction of 50 inserts
	rb := tbl.NewRowBuilder()
	for i := int64(0); i < 5; i++ {
		tx, _ := n.StartTransaction(tbl, nil)
		tx.Read(tbl, keyOf(rb, i), ndbapi.CommittedRead)
		if err := tx.Execute(ndbapi.Commit); err != nil {
			t.Fatal(err)
		}
		tx.Close()
	}
	tx, _ := n.StartTransaction(tbl, nil)
	s, err := tx.ScanTable(tbl, ndbapi.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := s.Next(); ok; _, ok = s.Next() {
	}
	tx.Close()
	after := read()
	want := map[string]uint64{
		"DBTC.TRANSACTIONS": 7, "DBTC.COMMITS": 6, "DBTC.WRITES": 50, "DBTC.INSERTS": 50,
		"DBTC.READS": 5, "DBTC.SIMPLE_READS": 5, "DBTC.TABLE_SCANS": 1, "DBTC.ATTRINFO": 50,
		"DBLQH.OPERATIONS": 55, "DBLQH.FRAG_SCANS": 4, "DBLQH.SCAN_ROWS": 50,
	}
	for name, d := range want {
		if got := after[name] - before[name]; got < d {
			t.Errorf("%s rose by %d, want at least %d", name, got, d)
		}
	}
	if after["DBTC.LOCAL_READS"]+after["DBTC.LOCAL_WRITES"] == 0 {
		t.Error("no local reads or writes counted: every transaction starts on its first row's primary")
	}
}

func TestNdbInfoOpenTransactionHoldsALock(t *testing.T) {
	tc := startInproc(t, 2, func(c *node.Config) { c.DeadlockTimeout = 10 * time.Second })
	n, tbl := tc.ndb(t), tc.t
	insertN(t, n, tbl, 10)
	rb := tbl.NewRowBuilder()
	key := keyOf(tbl.NewRowBuilder(), 5).AppendKey(nil)
	holder, err := n.StartTransaction(tbl, key)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.Read(tbl, keyOf(rb, 5), ndbapi.LockExclusive)
	if err := holder.Execute(ndbapi.NoCommit); err != nil {
		t.Fatal(err)
	}
	id := holder.ID()
	byTrans := func(r *ndbapi.InfoRows) []map[string]any {
		var out []map[string]any
		for _, m := range r.Maps() {
			if m["transid"] == id {
				out = append(out, m)
			}
		}
		return out
	}
	txs := byTrans(info(t, tc.c, "cluster_transactions", ndbapi.InfoOptions{}))
	if len(txs) != 1 || txs[0]["state"] != "Started" || txs[0]["count_operations"] != uint64(1) ||
		txs[0]["node_id"] != uint64(holder.Node()) || txs[0]["client_node_id"] != uint64(apiID) {
		t.Fatalf("cluster_transactions for %#x: %v", id, txs)
	}
	base := info(t, tc.c, "transactions", ndbapi.InfoOptions{})
	found := false
	for _, m := range base.Maps() {
		found = found || m["transid0"] == uint64(uint32(id)) && m["transid1"] == uint64(id>>32)
	}
	if !found {
		t.Errorf("transactions has no row for %#x: %v", id, base.Maps())
	}
	locks := byTrans(info(t, tc.c, "cluster_locks", ndbapi.InfoOptions{}))
	if len(locks) != 1 || locks[0]["mode"] != "X" || locks[0]["state"] != "H" || locks[0]["op"] != "READ" ||
		locks[0]["detail"] != "*" || locks[0]["tableid"] != uint64(tbl.Def.ID) {
		t.Fatalf("cluster_locks for %#x: %v", id, locks)
	}
	ops := byTrans(info(t, tc.c, "cluster_operations", ndbapi.InfoOptions{}))
	if len(ops) != 1 || ops[0]["operation_type"] != "READ-EX" || ops[0]["state"] != "Prepared" {
		t.Fatalf("cluster_operations for %#x: %v", id, ops)
	}

	// A second transaction's update of the row waits for the lock.
	n2 := tc.ndb(t)
	waiter, _ := n2.StartTransaction(tbl, key)
	defer waiter.Close()
	keyOf(rb, 5).SetInt64(1, 99)
	waiter.Update(tbl, rb, 1)
	done := make(chan error, 1)
	go func() { done <- waiter.Execute(ndbapi.Commit) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var w, waits []map[string]any
		for _, m := range info(t, tc.c, "cluster_locks", ndbapi.InfoOptions{}).Maps() {
			switch m["transid"] {
			case id:
				w = append(w, m)
			case waiter.ID():
				waits = append(waits, m)
			}
		}
		if len(waits) == 1 && len(w) == 1 {
			if waits[0]["state"] != "W" || waits[0]["op"] != "UPDATE" || waits[0]["waiting_for"] != w[0]["lock_num"] {
				t.Fatalf("the waiting update: %v (holder %v)", waits, w)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no waiting lock shows: %v", waits)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := holder.Execute(ndbapi.Rollback); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the waiting update: %v", err)
	}
	if txs := byTrans(info(t, tc.c, "cluster_transactions", ndbapi.InfoOptions{})); len(txs) != 0 {
		t.Errorf("the rolled back transaction is still listed: %v", txs)
	}
	if locks := byTrans(info(t, tc.c, "cluster_locks", ndbapi.InfoOptions{})); len(locks) != 0 {
		t.Errorf("the rolled back transaction still holds locks: %v", locks)
	}
}

func TestNdbInfoPushedFilter(t *testing.T) {
	tc := startInproc(t, 2, nil)
	ct, err := ndbapi.InfoTable("ndbinfo.counters")
	if err != nil {
		t.Fatal(err)
	}
	b := filter.NewBuilder(ct.Layout)
	b.Begin(filter.And)
	b.Cmp(ct.Column("counter_name"), filter.Eq, filter.String("COMMITS"))
	b.Cmp(ct.Column("node_id"), filter.Eq, filter.Uint(2))
	b.End()
	prog, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	r := info(t, tc.c, "counters", ndbapi.InfoOptions{Filter: prog})
	if len(r.Rows) != 1 {
		t.Fatalf("%d rows, want node 2's COMMITS only: %v", len(r.Rows), r.Maps())
	}
	if m := r.Maps()[0]; m["node_id"] != uint64(2) || m["counter_name"] != "COMMITS" || m["block_name"] != "DBTC" {
		t.Fatalf("row %v", m)
	}
}

func TestNdbInfoSmallBatches(t *testing.T) {
	tc := startInproc(t, 2, nil)
	for _, c := range []struct {
		table string
		nodes int // nodes answering (global tables: 1)
	}{{"error_messages", 1}, {"config_values", 2}, {"threadblocks", 2}} {
		all := info(t, tc.c, c.table, ndbapi.InfoOptions{})
		one := info(t, tc.c, c.table, ndbapi.InfoOptions{BatchRows: 1})
		if len(all.Rows) < 2*c.nodes || len(one.Rows) != len(all.Rows) {
			t.Errorf("%s: %d rows in batches of 1, %d in one batch", c.table, len(one.Rows), len(all.Rows))
		}
		nodes := map[any]bool{}
		for _, m := range one.Maps() {
			nodes[m["node_id"]] = true
		}
		if c.nodes > 1 && len(nodes) != c.nodes {
			t.Errorf("%s: rows from %d nodes, want %d", c.table, len(nodes), c.nodes)
		}
	}
	// Node order: rows of node 1 come before node 2's.
	r := info(t, tc.c, "config_values", ndbapi.InfoOptions{BatchRows: 3, Nodes: []signal.NodeID{2, 1}})
	last := uint64(0)
	for _, m := range r.Maps() {
		if id := m["node_id"].(uint64); id < last {
			t.Fatalf("rows out of node order: %v", r.Maps())
		} else {
			last = id
		}
	}
}

func TestNdbInfoErrors(t *testing.T) {
	tc := startInproc(t, 1, nil)
	ctx := context.Background()
	nodes, _ := ndbapi.InfoTable("nodes")
	b := filter.NewBuilder(nodes.Layout)
	b.Like(nodes.Column("status"), "ST%")
	likeOnStatus, _ := b.Program() // status is column 2: a number in memoryusage
	cases := []struct {
		name  string
		table string
		opts  ndbapi.InfoOptions
		code  int
	}{
		{"unknown table", "no_such_table", ndbapi.InfoOptions{}, ndberr.ErrNoSuchTable.Code},
		{"filter of another table", "memoryusage", ndbapi.InfoOptions{Filter: likeOnStatus}, ndberr.ErrFilterUnsupportedType.Code},
		{"not a data node", "nodes", ndbapi.InfoOptions{Nodes: []signal.NodeID{9}}, ndberr.ErrSendFailed.Code},
	}
	for _, c := range cases {
		_, err := tc.c.NdbInfo(ctx, c.table, c.opts)
		var e *ndbapi.Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: %v, want NDB error %d", c.name, err, c.code)
		}
	}
	if r := info(t, tc.c, "nodes", ndbapi.InfoOptions{Filter: likeOnStatus}); len(r.Rows) != 1 {
		t.Errorf("nodes with status LIKE 'ST%%': %v", r.Maps())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tc.c.NdbInfo(cctx, "nodes", ndbapi.InfoOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("with a cancelled context: %v", err)
	}
}

// TestNdbInfoRestartInfo: a durable node restarted from its disk reports
// the restart; its first, initial start reports none.
func TestNdbInfoRestartInfo(t *testing.T) {
	dir := t.TempDir()
	start := func(initial bool) (*node.Node, *ndbapi.Cluster) {
		net := inproc.NewNetwork()
		c := node.DefaultTestConfig()
		c.NodeID, c.NoOfReplicas, c.Network = 1, 1, net
		c.DataNodes = []node.DataNode{{ID: 1}}
		c.APINodes = []signal.NodeID{apiID}
		c.Tables = []*schema.Table{itemTable()}
		c.FileSystem, c.Initial = dir, initial
		c.EpochInterval, c.SaveInterval = 10*time.Millisecond, 30*time.Millisecond
		nd, err := node.Start(c)
		if err != nil {
			t.Fatal(err)
		}
		o := ndbapi.DefaultTestOptions()
		o.NodeID, o.DataNodes, o.Network, o.NoOfReplicas = apiID, []ndbapi.DataNode{{ID: 1}}, net, 1
		o.PartitionsPerNode = c.PartitionsPerNode
		cl, err := ndbapi.ConnectDirect(context.Background(), o)
		if err != nil {
			nd.Stop()
			t.Fatal(err)
		}
		return nd, cl
	}
	nd, cl := start(true)
	if r := info(t, cl, "restart_info", ndbapi.InfoOptions{}); len(r.Rows) != 0 {
		t.Fatalf("restart_info after an initial start: %v", r.Maps())
	}
	tbl, _ := cl.AddTable(itemTable())
	n, _ := cl.NewNdb()
	insertN(t, n, tbl, 20)
	tx, _ := n.StartTransaction(tbl, nil)
	rb := tbl.NewRowBuilder()
	setItem(rb, 100, 1)
	tx.Insert(tbl, rb)
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatal(err)
	}
	gci := tx.GCI()
	tx.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := nd.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.GCP.Saved >= gci {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("epoch %d not saved", gci)
		}
		time.Sleep(5 * time.Millisecond)
	}
	n.Close()
	cl.Close()
	nd.Stop()

	nd, cl = start(false)
	defer nd.Stop()
	defer cl.Close()
	r := info(t, cl, "restart_info", ndbapi.InfoOptions{})
	if len(r.Rows) != 1 {
		t.Fatalf("restart_info after a restart: %v", r.Maps())
	}
	m := r.Maps()[0]
	if m["node_id"] != uint64(1) || m["node_restart_status"] != "Restart completed" || m["restored_gci"].(uint64) < gci {
		t.Fatalf("restart_info %v, want a completed restart at GCI >= %d", m, gci)
	}
}

// TestNdbInfoMembershipFromQMGR: with node failure handling on,
// ndbinfo.membership is QMGR's view: after the president fails, the
// survivor reports itself president, first in the succession.
func TestNdbInfoMembershipFromQMGR(t *testing.T) {
	tc := startInproc(t, 2, func(c *node.Config) {
		c.NoOfReplicas = 2
		c.Membership.Enabled = true
		c.Membership.HeartbeatIntervalDbDb = 50 * time.Millisecond
		c.Membership.Arbitration = qmgr.ArbitrationDisabled
	})
	byNode := func() map[uint64]map[string]any {
		out := map[uint64]map[string]any{}
		for _, m := range info(t, tc.c, "membership", ndbapi.InfoOptions{}).Maps() {
			out[m["node_id"].(uint64)] = m
		}
		return out
	}
	formed := func(m map[uint64]map[string]any) error {
		for _, id := range []uint64{1, 2} {
			r := m[id]
			if r == nil || r["president"] != uint64(1) || r["successor"] != uint64(2) || r["left_node"] != 3-id || r["right_node"] != 3-id {
				return fmt.Errorf("node %d's membership row %v: want president 1, successor 2, node %d on both sides", id, r, 3-id)
			}
		}
		return nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for err := formed(byNode()); err != nil; err = formed(byNode()) {
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// QMGR's counters are in ndbinfo.counters: the two nodes grant each
	// other read leases.
	granted := func() (n int, sum uint64) {
		for _, m := range info(t, tc.c, "counters", ndbapi.InfoOptions{}).Maps() {
			if m["block_name"] == "QMGR" && m["counter_name"] == "LEASES_GRANTED" {
				n++
				sum += m["val"].(uint64)
			}
		}
		return n, sum
	}
	n0, g0 := granted()
	time.Sleep(200 * time.Millisecond) // a lease is asked for every 12.5 ms here
	if n1, g1 := granted(); n0 != 2 || n1 != 2 || g1 <= g0 {
		t.Fatalf("QMGR LEASES_GRANTED rows: %d then %d, sums %d then %d; want a row per node, growing", n0, n1, g0, g1)
	}
	tc.nodes[0].Stop()
	deadline = time.Now().Add(10 * time.Second)
	for {
		r := byNode()[2]
		if r != nil && r["president"] == uint64(2) && r["succession_order"] == uint64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 2's membership row after node 1 failed: %v; want president 2, succession_order 1", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
