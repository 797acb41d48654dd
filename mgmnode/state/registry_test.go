package state

import (
	"errors"
	"sync"
	"testing"
)

func testRegistry(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	for _, n := range []NodeInfo{
		{ID: 2, Kind: KindData, Host: "h2"},
		{ID: 1, Kind: KindData, Host: "h1", PID: 4242, Version: "0.1.0"},
		{ID: 50, Kind: KindMgm, Host: "h0", State: StateStarted},
		{ID: 100, Kind: KindAPI, Host: "h3"},
	} {
		if _, err := a.RegisterNode(ctx, n); err != nil {
			t.Fatalf("RegisterNode(%d): %v", n.ID, err)
		}
	}
	nodes, rev, err := b.ListNodes(ctx)
	if err != nil || rev == 0 {
		t.Fatalf("ListNodes: rev %d, %v", rev, err)
	}
	wantIDs := []uint32{1, 2, 50, 100}
	if len(nodes) != len(wantIDs) {
		t.Fatalf("ListNodes: %d nodes, want %d", len(nodes), len(wantIDs))
	}
	for i, n := range nodes {
		if n.ID != wantIDs[i] {
			t.Fatalf("ListNodes[%d] = node %d, want %d (id order)", i, n.ID, wantIDs[i])
		}
	}
	if nodes[1].State != StateNotConnected {
		t.Fatalf("node 2 registered without a state is %v, want NOT_CONNECTED", nodes[1].State)
	}

	// A node's reports, through either mgmd.
	reports := []struct {
		via       *Store
		id        uint32
		state     NodeState
		phase     int
		wantPhase int
		wantErr   error
	}{
		{b, 1, StateStarting, 3, 3, nil},
		{a, 1, StateStarting, 5, 5, nil},
		{b, 1, StateStarted, 7, 0, nil}, // the phase counts only while starting
		{a, 1, StateStopping, 0, 0, nil},
		{a, 99, StateStarted, 0, 0, ErrNoSuchNode},
		{a, 1, NodeState(9), 0, 0, ErrInvalidArgument},
		{a, 1, StateStarting, -1, 0, ErrInvalidArgument},
	}
	for i, r := range reports {
		got, err := r.via.ReportNodeState(ctx, r.id, r.state, r.phase)
		if !errors.Is(err, r.wantErr) {
			t.Fatalf("report %d: err %v, want %v", i, err, r.wantErr)
		}
		if err != nil {
			continue
		}
		for _, s := range []*Store{a, b} {
			n, err := s.Node(ctx, r.id)
			if err != nil {
				t.Fatal(err)
			}
			if n.State != r.state || n.StartPhase != r.wantPhase || n.Heartbeat.IsZero() ||
				n.Host != "h1" || n.PID != 4242 || n.Version != "0.1.0" || n.Revision != got.Revision {
				t.Fatalf("report %d: entry %+v, want state %v phase %d with host, pid and version kept", i, n, r.state, r.wantPhase)
			}
		}
	}

	if err := b.RemoveNode(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Node(ctx, 50); !errors.Is(err, ErrNoSuchNode) {
		t.Fatalf("Node(50) after remove: %v, want ErrNoSuchNode", err)
	}
	if err := a.RemoveNode(ctx, 50); !errors.Is(err, ErrNoSuchNode) {
		t.Fatalf("second RemoveNode(50): %v, want ErrNoSuchNode", err)
	}
	// An error from the update function stops the update.
	stop := errors.New("stop")
	if _, err := a.UpdateNode(ctx, 2, func(*NodeInfo) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("UpdateNode error = %v, want fn's error", err)
	}
}

func testRegistryInvalid(t *testing.T, endpoints []string) {
	a, _ := pair(t, endpoints, Options{})
	ctx := tctx(t)
	for _, n := range []NodeInfo{
		{ID: 0, Kind: KindData},
		{ID: MaxNodeID + 1, Kind: KindData},
		{ID: 1},
		{ID: 1, Kind: NodeKind(7)},
		{ID: 1, Kind: KindData, State: NodeState(7)},
		{ID: 1, Kind: KindData, StartPhase: -1},
	} {
		if _, err := a.RegisterNode(ctx, n); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("RegisterNode(%+v) = %v, want ErrInvalidArgument", n, err)
		}
	}
	if _, err := a.RegisterNode(ctx, NodeInfo{ID: 1, Kind: KindData}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateNode(ctx, 1, func(n *NodeInfo) error { n.Kind = 0; return nil }); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("UpdateNode to a bad kind = %v, want ErrInvalidArgument", err)
	}
}

// Updates from many goroutines on two mgmds: compare-and-swap loses none.
func testRegistryConcurrentUpdate(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	if _, err := a.RegisterNode(ctx, NodeInfo{ID: 7, Kind: KindData, Host: "h"}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		s := []*Store{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := s.UpdateNode(ctx, 7, func(n *NodeInfo) error { n.PID++; return nil }); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := b.Node(ctx, 7)
	if err != nil || n.PID != workers*each {
		t.Fatalf("PID = %d, %v after %d increments", n.PID, err, workers*each)
	}
}

func testRegistryWatch(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	if _, err := a.RegisterNode(ctx, NodeInfo{ID: 1, Kind: KindData, Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	_, rev, err := b.ListNodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := b.WatchNodes(ctx, rev)
	if _, err := a.ReportNodeState(ctx, 1, StateStarting, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RegisterNode(ctx, NodeInfo{ID: 3, Kind: KindSQL, Host: "h3"}); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveNode(ctx, 1); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id      uint32
		state   NodeState
		phase   int
		removed bool
	}{
		{1, StateStarting, 2, false},
		{3, StateNotConnected, 0, false},
		{1, StateStarting, 2, true}, // a removal carries the last entry
	}
	var last int64
	for i, wn := range want {
		ev := recv(t, w)
		if ev.Err != nil || ev.Node.ID != wn.id || ev.Node.State != wn.state || ev.Node.StartPhase != wn.phase || ev.Removed != wn.removed {
			t.Fatalf("event %d = %+v, want %+v", i, ev, wn)
		}
		if ev.Node.Revision <= last {
			t.Fatalf("event %d revision %d not after %d", i, ev.Node.Revision, last)
		}
		last = ev.Node.Revision
	}
}
