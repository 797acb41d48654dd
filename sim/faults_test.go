package sim_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

// numbered is a signal to node to with number n and one word.
func numbered(to signal.NodeID, n signal.Number, w uint32) *signal.Signal {
	s := sig(to, w)
	s.Number = n
	return s
}

// TestCrashWhen: an armed node crashes instead of handling the first
// signal the predicate accepts; that signal and everything else in flight
// to or from it are lost, the signals before it were handled, and the
// trigger is spent.
func TestCrashWhen(t *testing.T) {
	for _, tc := range []struct {
		name string
		// nth: the trigger accepts the nth signal numbered 7 (counting
		// from 1); 0 never.
		nth int
		// handled: the words node 2 handles, in order.
		handled []uint32
	}{
		{"first", 1, []uint32{1}},
		{"second", 2, []uint32{1, 2, 3}},
		{"never", 0, []uint32{1, 2, 3, 4, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, sim.DefaultConfig(3), 1, 2, 3)
			seen := 0
			var predicateSaw []uint32
			c.s.CrashWhen(2, func(s *signal.Signal) bool {
				predicateSaw = append(predicateSaw, s.Words[0])
				if s.Number != 7 {
					return false
				}
				seen++
				return seen == tc.nth
			})
			if !c.s.Armed(2) {
				t.Fatal("node 2 not armed")
			}
			// Node 2 answers each signal to node 3; node 1 sends 1..5 over
			// one FIFO link, numbers 1, 7, 1, 7, 1.
			c.recs[2].onSig = func(env block.Env, s *signal.Signal) { env.Send(sig(3, 100+s.Words[0])) }
			c.sendOnce(t, 1, numbered(2, 1, 1), numbered(2, 7, 2), numbered(2, 1, 3), numbered(2, 7, 4), numbered(2, 1, 5))
			c.s.RunTicks(5)
			var handled []uint32
			for _, g := range c.recs[2].got {
				handled = append(handled, g.words[0])
			}
			if !slices.Equal(handled, tc.handled) {
				t.Fatalf("node 2 handled %v, want %v", handled, tc.handled)
			}
			fired := tc.nth != 0
			if c.s.Up(2) == fired || c.s.Armed(2) == fired {
				t.Fatalf("node 2 up %v, armed %v; want up and armed %v", c.s.Up(2), c.s.Armed(2), !fired)
			}
			// The predicate saw each signal up to the one that fired.
			if want := tc.handled; fired && !slices.Equal(predicateSaw, append(append([]uint32(nil), want...), uint32(2*tc.nth))) {
				t.Fatalf("the predicate saw %v", predicateSaw)
			}
			// Node 3 got node 2's answers to what it handled, unless they
			// were still in flight at the crash (lost with it).
			if got := len(c.recs[3].got); got > len(tc.handled) || !fired && got != len(tc.handled) {
				t.Fatalf("node 3 got %d answers for %d handled signals", got, len(tc.handled))
			}
			st := c.s.Stats()
			if fired && (st.Crashes != 1 || st.Delivered != uint64(len(tc.handled)+len(c.recs[3].got))) {
				t.Fatalf("stats %+v: want 1 crash and the crashing signal not delivered", st)
			}
			if fired {
				// Spent: a restarted node is not armed, and handles the
				// same signals.
				c.s.Restart(2)
				if c.s.Armed(2) {
					t.Fatal("the trigger survived its crash")
				}
				c.sendOnce(t, 1, numbered(2, 7, 9))
				c.s.RunTicks(5)
				if gs := c.recs[2].got; len(gs) != 1 || gs[0].words[0] != 9 {
					t.Fatalf("restarted node got %+v", gs)
				}
			}
		})
	}
}

// TestCrashWhenDisarm: nil disarms, a later call replaces the trigger,
// any crash spends it, and arming a down node is a bug.
func TestCrashWhenDisarm(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(4), 1, 2)
	always := func(*signal.Signal) bool { return true }
	c.s.CrashWhen(2, always)
	c.s.CrashWhen(2, nil)
	if c.s.Armed(2) {
		t.Fatal("nil did not disarm")
	}
	if errs := c.sendOnce(t, 1, sig(2, 1)); errs[0] != nil {
		t.Fatal(errs[0])
	}
	c.s.RunTicks(3)
	if !c.s.Up(2) || len(c.recs[2].got) != 1 {
		t.Fatal("a disarmed node crashed")
	}
	c.s.CrashWhen(2, func(*signal.Signal) bool { return false })
	c.s.CrashWhen(2, always) // replaces
	c.sendOnce(t, 1, sig(2, 2))
	c.s.RunTicks(3)
	if c.s.Up(2) {
		t.Fatal("the replacing trigger did not fire")
	}
	if errs := c.sendOnce(t, 1, sig(2, 3)); !errors.Is(errs[0], sim.ErrUnreachable) {
		t.Fatalf("send to the crashed node: %v", errs[0])
	}
	c.s.Restart(2)
	c.s.CrashWhen(2, always)
	c.s.Crash(2)
	c.s.Restart(2)
	if c.s.Armed(2) {
		t.Fatal("a plain crash left the trigger armed")
	}
	c.s.Crash(2)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("arming a down node did not panic")
			}
		}()
		c.s.CrashWhen(2, always)
	}()
}
