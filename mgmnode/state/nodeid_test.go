package state

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

var testSlots = []Slot{
	{ID: 1, Kind: KindData},
	{ID: 2, Kind: KindData},
	{ID: 102, Kind: KindAPI},
	{ID: 101, Kind: KindAPI},
	{ID: 100, Kind: KindAPI, Host: "h1"},
	{ID: 103, Kind: KindAPI, Host: "h2"},
	{ID: 110, Kind: KindSQL},
}

func testAllocateNodeID(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	steps := []struct {
		kind         NodeKind
		host         string
		wantID       uint32
		wantErr      error
		wantMatching int
	}{
		{KindAPI, "h1", 100, nil, 0}, // the slot restricted to the host first
		{KindAPI, "h1", 101, nil, 0}, // then the lowest open slot
		{KindAPI, "h2", 103, nil, 0},
		{KindAPI, "h3", 102, nil, 0}, // never another host's slot
		{KindAPI, "h3", 0, ErrNoFreeNodeID, 2},
		{KindAPI, "h1", 0, ErrNoFreeNodeID, 3},
		{KindSQL, "h1", 110, nil, 0},
		{KindSQL, "h9", 0, ErrNoFreeNodeID, 1},
		{KindMgm, "h1", 0, ErrNoFreeNodeID, 0},
	}
	var got []NodeLease
	for i, st := range steps {
		s := []*Store{a, b}[i%2] // both mgmds hand out from one pool
		l, err := s.AllocateNodeID(ctx, st.kind, st.host, testSlots)
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("step %d: AllocateNodeID(%v, %s) err = %v, want %v", i, st.kind, st.host, err, st.wantErr)
		}
		if err != nil {
			var ne *NodeIDError
			if !errors.As(err, &ne) || ne.Matching != st.wantMatching || ne.Slots != len(testSlots) || ne.Error() == "" {
				t.Fatalf("step %d: error %#v, want a NodeIDError with %d matching of %d slots", i, err, st.wantMatching, len(testSlots))
			}
			t.Logf("step %d: %v", i, err)
			continue
		}
		if l.ID != st.wantID || l.Kind != st.kind || l.Host != st.host || l.Lease == 0 {
			t.Fatalf("step %d: got %+v, want id %d", i, l, st.wantID)
		}
		got = append(got, l)
	}
	held, err := b.HeldNodeIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(leaseIDs(held)) != "[100 101 102 103 110]" {
		t.Fatalf("HeldNodeIDs = %v", leaseIDs(held))
	}
	// Releasing through the other mgmd frees the id for the next node.
	if err := b.ReleaseNodeID(ctx, got[1]); err != nil {
		t.Fatal(err)
	}
	if l, err := a.AllocateNodeID(ctx, KindAPI, "h3", testSlots); err != nil || l.ID != 101 {
		t.Fatalf("after release: %+v, %v; want id 101", l, err)
	}
	for _, bad := range [][]Slot{{{ID: 0, Kind: KindAPI}}, {{ID: MaxNodeID + 1, Kind: KindAPI}}} {
		if _, err := a.AllocateNodeID(ctx, KindAPI, "h", bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("slots %v: %v, want ErrInvalidArgument", bad, err)
		}
	}
	if _, err := a.AllocateNodeID(ctx, NodeKind(0), "h", testSlots); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("kind 0: %v, want ErrInvalidArgument", err)
	}
}

func leaseIDs(ls []NodeLease) []uint32 {
	ids := make([]uint32, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return ids
}

// More API nodes than slots ask at once through two mgmds: every slot goes
// to exactly one of them and the rest hear ErrNoFreeNodeID.
func testAllocateNodeIDConcurrent(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	const nslots, callers = 12, 20
	slots := make([]Slot, nslots)
	for i := range slots {
		slots[i] = Slot{ID: uint32(200 + i), Kind: KindAPI}
	}
	var wg sync.WaitGroup
	ids := make([]uint32, callers)
	errs := make([]error, callers)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := []*Store{a, b}[c%2].AllocateNodeID(ctx, KindAPI, fmt.Sprintf("host%d", c), slots)
			ids[c], errs[c] = l.ID, err
		}()
	}
	wg.Wait()
	seen := map[uint32]int{}
	refused := 0
	for c := range callers {
		switch {
		case errors.Is(errs[c], ErrNoFreeNodeID):
			refused++
		case errs[c] != nil:
			t.Fatalf("caller %d: %v", c, errs[c])
		default:
			if prev, dup := seen[ids[c]]; dup {
				t.Fatalf("node id %d handed to callers %d and %d", ids[c], prev, c)
			}
			seen[ids[c]] = c
		}
	}
	if len(seen) != nslots || refused != callers-nslots {
		t.Fatalf("%d ids handed out, %d refused; want %d and %d", len(seen), refused, nslots, callers-nslots)
	}
}

func testClaimNodeID(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	l, err := a.ClaimNodeID(ctx, 1, KindData, "h1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.ClaimNodeID(ctx, 1, KindData, "h9")
	var ne *NodeIDError
	if !errors.Is(err, ErrNodeIDInUse) || !errors.As(err, &ne) || ne.HolderHost != "h1" {
		t.Fatalf("second claim of id 1: %v, want ErrNodeIDInUse held by h1", err)
	}
	t.Logf("%v", err)
	// A claimed id is not handed out by allocation, and the reverse.
	if _, err := b.AllocateNodeID(ctx, KindData, "h1", testSlots[:1]); !errors.Is(err, ErrNoFreeNodeID) {
		t.Fatalf("allocating the claimed id: %v, want ErrNoFreeNodeID", err)
	}
	al, err := b.AllocateNodeID(ctx, KindSQL, "h1", testSlots)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ClaimNodeID(ctx, al.ID, KindSQL, "h1"); !errors.Is(err, ErrNodeIDInUse) {
		t.Fatalf("claiming an allocated id: %v, want ErrNodeIDInUse", err)
	}
	if err := b.ReleaseNodeID(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ClaimNodeID(ctx, 1, KindData, "h9"); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	for _, id := range []uint32{0, MaxNodeID + 1} {
		if _, err := a.ClaimNodeID(ctx, id, KindData, "h"); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ClaimNodeID(%d) = %v, want ErrInvalidArgument", id, err)
		}
	}
}

func testRenewRelease(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	l, err := a.AllocateNodeID(ctx, KindAPI, "h1", testSlots)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} { // any mgmd can renew
		if err := s.RenewNodeID(ctx, l); err != nil {
			t.Fatalf("renew: %v", err)
		}
	}
	if err := b.ReleaseNodeID(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := a.ReleaseNodeID(ctx, l); err != nil {
		t.Fatalf("second release: %v, want nil", err)
	}
	if err := a.RenewNodeID(ctx, l); !errors.Is(err, ErrLeaseExpired) {
		t.Fatalf("renew after release: %v, want ErrLeaseExpired", err)
	}
}

// An API node that dies without releasing its id loses it when the lease
// expires; one that keeps renewing keeps it.
func testLeaseExpiryFreesNodeID(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{NodeIDLeaseTTL: 2 * time.Second})
	ctx := tctx(t)
	slots := []Slot{{ID: 150, Kind: KindAPI}, {ID: 151, Kind: KindAPI}}
	dead, err := a.AllocateNodeID(ctx, KindAPI, "crashed", slots)
	if err != nil {
		t.Fatal(err)
	}
	alive, err := a.AllocateNodeID(ctx, KindAPI, "alive", slots)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AllocateNodeID(ctx, KindAPI, "new", slots); !errors.Is(err, ErrNoFreeNodeID) {
		t.Fatalf("while both held: %v, want ErrNoFreeNodeID", err)
	}
	deadline := time.Now().Add(8 * time.Second)
	for {
		if err := b.RenewNodeID(ctx, alive); err != nil {
			t.Fatalf("renewing the live node: %v", err)
		}
		l, err := b.AllocateNodeID(ctx, KindAPI, "new", slots)
		if err == nil {
			if l.ID != dead.ID {
				t.Fatalf("got id %d, want the crashed node's %d", l.ID, dead.ID)
			}
			break
		}
		if !errors.Is(err, ErrNoFreeNodeID) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the crashed node's id was not freed 8s after its 2s lease")
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := a.RenewNodeID(ctx, dead); !errors.Is(err, ErrLeaseExpired) {
		t.Fatalf("renewing the expired lease: %v, want ErrLeaseExpired", err)
	}
	if err := a.RenewNodeID(ctx, alive); err != nil {
		t.Fatalf("the renewed lease: %v", err)
	}
}
