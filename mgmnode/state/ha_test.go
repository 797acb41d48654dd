package state

import (
	"errors"
	"testing"
)

// Two mgmds on one etcd: a watch on one sees writes through the other; one
// mgmd goes away mid-test and the other carries on with everything the
// first had done, including renewing the node id lease it granted.
func testMgmdFailover(t *testing.T, endpoints []string) {
	o := Options{ClusterName: uniqueCluster(t)}
	a, b := openClient(t, endpoints, o), openClient(t, endpoints, o)
	ctx := tctx(t)

	_, nrev, err := b.ListNodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, trev, err := b.ListTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nodes, tables := b.WatchNodes(ctx, nrev), b.WatchTables(ctx, trev)
	aNodes := a.WatchNodes(ctx, nrev) // ends when a closes

	if _, err := a.PutConfig(ctx, "cfg", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RegisterNode(ctx, NodeInfo{ID: 1, Kind: KindData, Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, nodes); ev.Err != nil || ev.Node.ID != 1 {
		t.Fatalf("b's watch: %+v, want node 1 registered through a", ev)
	}
	if _, err := a.CreateTable(ctx, "t1", nil); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, tables); ev.Err != nil || ev.Table.Name != "t1" {
		t.Fatalf("b's watch: %+v, want t1 created through a", ev)
	}
	api, err := a.AllocateNodeID(ctx, KindAPI, "h5", testSlots)
	if err != nil {
		t.Fatal(err)
	}
	recv(t, aNodes) // node 1

	// mgmd a goes away.
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := a.Config(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Config on a closed Store: %v, want ErrClosed", err)
	}
	if ev, ok := <-aNodes; ok && !errors.Is(ev.Err, ErrClosed) {
		t.Fatalf("a's watch after Close: %+v, want ErrClosed or closed channel", ev)
	}
	if ev, ok := <-a.WatchTables(ctx, 0); !ok || !errors.Is(ev.Err, ErrClosed) {
		t.Fatalf("watch on a closed Store: %+v, want ErrClosed", ev)
	}

	// b carries on: it sees a's state and keeps a's lease alive.
	if c, err := b.Config(ctx); err != nil || c.Text != "cfg" {
		t.Fatalf("b.Config = %+v, %v", c, err)
	}
	if err := b.RenewNodeID(ctx, api); err != nil {
		t.Fatalf("b renewing the lease a granted: %v", err)
	}
	if _, err := b.ReportNodeState(ctx, 1, StateStarted, 0); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, nodes); ev.Err != nil || ev.Node.State != StateStarted {
		t.Fatalf("b's watch after a closed: %+v", ev)
	}
	if _, err := b.CreateTable(ctx, "t2", nil); err != nil {
		t.Fatal(err)
	}
	// A restarted mgmd sees all of it, and b's watch sees its writes.
	c := openClient(t, endpoints, o)
	if _, err := c.DropTable(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		name    string
		dropped bool
	}{{"t2", false}, {"t1", true}} {
		if ev := recv(t, tables); ev.Err != nil || ev.Table.Name != want.name || ev.Dropped != want.dropped {
			t.Fatalf("b's table watch: %+v, want %+v", ev, want)
		}
	}
	if n, err := c.Node(ctx, 1); err != nil || n.State != StateStarted {
		t.Fatalf("c.Node(1) = %+v, %v", n, err)
	}
	held, err := c.HeldNodeIDs(ctx)
	if err != nil || len(held) != 1 || held[0].ID != api.ID || held[0].Lease != api.Lease {
		t.Fatalf("c.HeldNodeIDs = %+v, %v; want a's allocation", held, err)
	}
}

// Two clusters on one etcd share nothing.
func testPrefixIsolation(t *testing.T, endpoints []string) {
	x1, _ := pair(t, endpoints, Options{})
	y1, _ := pair(t, endpoints, Options{})
	ctx := tctx(t)
	if x1.Prefix() == y1.Prefix() {
		t.Fatalf("same prefix %q", x1.Prefix())
	}
	for _, s := range []*Store{x1, y1} {
		if _, err := s.PutConfig(ctx, s.Prefix(), 0); err != nil {
			t.Fatal(err)
		}
		if tb, err := s.CreateTable(ctx, "t", nil); err != nil || tb.ID != 1 {
			t.Fatalf("CreateTable in %s: %+v, %v", s.Prefix(), tb, err)
		}
		if l, err := s.AllocateNodeID(ctx, KindAPI, "h1", testSlots); err != nil || l.ID != 100 {
			t.Fatalf("AllocateNodeID in %s: %+v, %v", s.Prefix(), l, err)
		}
		if ok, err := s.Arbitrate(ctx, ArbitrationRequest{1, 1, nil}); !ok {
			t.Fatalf("Arbitrate in %s: %v", s.Prefix(), err)
		}
	}
	for _, s := range []*Store{x1, y1} {
		if c, err := s.Config(ctx); err != nil || c.Text != s.Prefix() || c.Generation != 1 {
			t.Fatalf("Config in %s = %+v, %v", s.Prefix(), c, err)
		}
	}
}
