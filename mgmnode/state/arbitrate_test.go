package state

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func testArbitration(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	if _, _, ok, err := a.Arbitration(ctx); ok || err != nil {
		t.Fatalf("Arbitration before any round: ok %v, %v", ok, err)
	}
	left, right := []uint32{1, 2}, []uint32{3, 4}
	steps := []struct {
		name string
		via  *Store
		req  ArbitrationRequest
		err  error // nil: granted
	}{
		{"first side of round 5 wins", a, ArbitrationRequest{5, 1, left}, nil},
		{"other side of round 5 loses", b, ArbitrationRequest{5, 3, right}, ErrArbitrationLost},
		{"the winner asking again is granted", b, ArbitrationRequest{5, 1, left}, nil},
		{"another node of the winning side is granted", a, ArbitrationRequest{5, 2, left}, nil},
		{"the loser asking again still loses", a, ArbitrationRequest{5, 4, right}, ErrArbitrationLost},
		{"an older round is refused", b, ArbitrationRequest{4, 3, right}, ErrArbitrationLost},
		{"a later round starts afresh", b, ArbitrationRequest{6, 3, right}, nil},
		{"the old round's winner is now stale", a, ArbitrationRequest{5, 1, left}, ErrArbitrationLost},
		{"the winning side is known by its recorded list", a, ArbitrationRequest{6, 4, nil}, nil},
		{"a requester is on its own side even if unlisted", a, ArbitrationRequest{7, 5, []uint32{6, 6}}, nil},
		{"and its listed peer is granted too", b, ArbitrationRequest{7, 6, nil}, nil},
		{"ticket 0", a, ArbitrationRequest{0, 1, left}, ErrInvalidArgument},
		{"requester 0", a, ArbitrationRequest{8, 0, left}, ErrInvalidArgument},
	}
	for _, st := range steps {
		granted, err := st.via.Arbitrate(ctx, st.req)
		if !errors.Is(err, st.err) || granted != (err == nil) {
			t.Fatalf("%s: granted %v, err %v; want err %v", st.name, granted, err, st.err)
		}
		if err != nil {
			t.Logf("%s: %v", st.name, err)
		}
	}
	d, held, ok, err := b.Arbitration(ctx)
	if err != nil || !ok || !held || d.Ticket != 7 || d.Winner != 5 || fmt.Sprint(d.Side) != "[5 6]" {
		t.Fatalf("Arbitration = %+v held %v ok %v, %v; want round 7 won by node 5, side [5 6]", d, held, ok, err)
	}
}

// Both sides of each split ask at the same moment through different mgmds:
// exactly one is granted, every round.
func testArbitrationConcurrent(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	for ticket := uint64(1); ticket <= 10; ticket++ {
		var wg sync.WaitGroup
		var granted [2]bool
		var errs [2]error
		for i, req := range []ArbitrationRequest{{ticket, 1, []uint32{1, 2}}, {ticket, 3, []uint32{3, 4}}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				granted[i], errs[i] = []*Store{a, b}[i].Arbitrate(ctx, req)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, ErrArbitrationLost) {
				t.Fatal(err)
			}
		}
		if granted[0] == granted[1] {
			t.Fatalf("ticket %d: granted %v; want exactly one side", ticket, granted)
		}
	}
}

// Once the grant's lease runs out the round stays decided: the winner's
// side is no longer granted, the loser still is not, a new round is.
func testArbitrationGrantExpires(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{ArbitrationTimeout: 2 * time.Second})
	ctx := tctx(t)
	if ok, err := a.Arbitrate(ctx, ArbitrationRequest{7, 1, []uint32{1, 2}}); !ok {
		t.Fatal(err)
	}
	deadline := time.Now().Add(8 * time.Second)
	for {
		_, held, _, err := b.Arbitration(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("grant still held 8s after a 2s ArbitrationTimeout")
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, req := range []ArbitrationRequest{{7, 2, []uint32{1, 2}}, {7, 3, []uint32{3, 4}}} {
		if ok, err := b.Arbitrate(ctx, req); ok || !errors.Is(err, ErrArbitrationLost) {
			t.Fatalf("%+v after the grant expired: %v, %v; want ErrArbitrationLost", req, ok, err)
		}
	}
	if ok, err := a.Arbitrate(ctx, ArbitrationRequest{8, 3, []uint32{3, 4}}); !ok {
		t.Fatalf("new round after expiry: %v", err)
	}
}
