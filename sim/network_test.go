package sim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

// TestFIFOPerPairInterleavedAcrossPairs: nodes 1 and 3 each send numbered
// signals to node 2 over a network with wide random delays. Each pair's
// signals arrive complete and in order; the two streams interleave in an
// order other than the global send order.
func TestFIFOPerPairInterleavedAcrossPairs(t *testing.T) {
	c := newCluster(t, wideConfig(7), 1, 2, 3)
	global := uint32(0)
	const perTick, ticks = 5, 40
	for _, from := range []signal.NodeID{1, 3} {
		sent := 0
		c.recs[from].onTick = func(env block.Env) {
			for range perTick {
				if sent == perTick*ticks {
					return
				}
				sent++
				global++
				if err := env.Send(sig(2, uint32(sent), global)); err != nil {
					t.Fatalf("send: %v", err)
				}
			}
		}
	}
	c.s.RunTicks(ticks + 10)
	gs := c.recs[2].got
	if len(gs) != 2*perTick*ticks {
		t.Fatalf("node 2 got %d signals, want %d", len(gs), 2*perTick*ticks)
	}
	for _, from := range []signal.NodeID{1, 3} {
		for i, g := range fromNode(gs, from) {
			if g.words[0] != uint32(i+1) {
				t.Fatalf("from node %d: signal %d arrived as number %d: not FIFO", from, g.words[0], i+1)
			}
		}
	}
	overtaken := 0
	for i := 1; i < len(gs); i++ {
		if gs[i].words[1] < gs[i-1].words[1] {
			overtaken++
		}
	}
	if overtaken == 0 {
		t.Fatal("signals of different pairs arrived in global send order: no interleaving modelled")
	}
}

// TestSelfSend: a node's signal to itself is delivered, whether addressed
// to node 0 (this node) or by its id; the simulator stamps the sender.
func TestSelfSend(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(1), 1, 2)
	local := &signal.Signal{Number: 3, Receiver: signal.Address{Block: recBlock}, Sender: addr(2)}
	errs := c.sendOnce(t, 1, local, sig(1, 8))
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c.s.RunTicks(1)
	gs := c.recs[1].got
	if len(gs) != 2 {
		t.Fatalf("got %d signals, want 2", len(gs))
	}
	for _, g := range gs {
		if g.sender != addr(1) || g.receiver != addr(1) {
			t.Errorf("sender %v receiver %v, want both %v", g.sender, g.receiver, addr(1))
		}
	}
}

// TestSectionsAreCopied: Send copies the sections (through the codec), so
// the sender may reuse its buffer at once.
func TestSectionsAreCopied(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(1), 1, 2)
	buf := []byte("row image")
	s := sig(2, 1)
	s.AddSection(buf)
	c.sendOnce(t, 1, s)
	copy(buf, "XXXXXXXXX")
	c.s.RunTicks(1)
	if gs := c.recs[2].got; len(gs) != 1 || string(gs[0].section) != "row image" {
		t.Fatalf("got %+v, want the section as sent", gs)
	}
}

// TestDropLinkLosesInFlight: a link drop loses what is in flight between
// the two nodes in both directions, and only that; the link works again at
// once.
func TestDropLinkLosesInFlight(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(3), 1, 2, 3)
	c.recs[1].onTick = func(env block.Env) {
		for i := range 10 {
			env.Send(sig(2, uint32(i)))
			env.Send(sig(3, uint32(i)))
		}
		c.recs[1].onTick = nil
	}
	c.recs[2].onTick = func(env block.Env) {
		for i := range 10 {
			env.Send(sig(1, uint32(i)))
		}
		c.recs[2].onTick = nil
	}
	c.s.RunTicks(1)
	c.s.DropLink(2, 1)
	c.s.RunTicks(2)
	if n := len(c.recs[2].got) + len(c.recs[1].got); n != 0 {
		t.Fatalf("%d signals crossed a dropped link", n)
	}
	if n := len(c.recs[3].got); n != 10 {
		t.Fatalf("node 3 got %d signals, want 10", n)
	}
	if st := c.s.Stats(); st.Lost != 20 || st.LinkDrops != 1 {
		t.Fatalf("stats %+v, want 20 lost, 1 link drop", st)
	}
	c.sendOnce(t, 1, sig(2, 99))
	c.s.RunTicks(1)
	if len(c.recs[2].got) != 1 {
		t.Fatal("link did not come back after the drop")
	}
}

// TestPartitionAndHeal: a partition loses what is in flight across it and
// refuses sends across it until Heal; links inside each side keep working.
// Cut separates one pair only.
func TestPartitionAndHeal(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(4), 1, 2, 3)
	c.sendOnce(t, 1, sig(2, 1), sig(3, 1))
	c.s.Partition(1)
	errs := c.sendOnce(t, 2, sig(1, 2), sig(3, 2))
	if !errors.Is(errs[0], sim.ErrUnreachable) || errs[1] != nil {
		t.Fatalf("sends across / inside the partition: %v, want ErrUnreachable, nil", errs)
	}
	c.s.RunTicks(2)
	if len(c.recs[1].got)+len(c.recs[2].got) != 0 || len(c.recs[3].got) != 1 {
		t.Fatalf("got 1:%d 2:%d 3:%d, want 0 0 1 (only 2->3)", len(c.recs[1].got), len(c.recs[2].got), len(c.recs[3].got))
	}
	c.s.Heal()
	if errs := c.sendOnce(t, 2, sig(1, 3)); errs[0] != nil {
		t.Fatalf("send after heal: %v", errs[0])
	}
	c.s.RunTicks(1)
	if len(c.recs[1].got) != 1 {
		t.Fatal("nothing crossed the healed partition")
	}

	c.s.Cut(1, 2)
	errs = c.sendOnce(t, 1, sig(2, 4), sig(3, 4))
	if !errors.Is(errs[0], sim.ErrUnreachable) || errs[1] != nil {
		t.Fatalf("after Cut(1, 2): sends to 2 and 3: %v, want ErrUnreachable, nil", errs)
	}
	errs = c.sendOnce(t, 3, sig(2, 5))
	if errs[0] != nil {
		t.Fatalf("Cut(1, 2) cut 3->2: %v", errs[0])
	}
}

// TestCrashRestart: a crash loses the node's blocks and every signal in
// flight to or from it, refuses sends to it, and a restart builds fresh
// blocks whose clock starts again from 0.
func TestCrashRestart(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(5), 1, 2, 3)
	c.recs[2].onTick = func(env block.Env) { env.Send(sig(1, 2)); env.Send(sig(3, 2)) }
	c.sendOnce(t, 1, sig(2, 1), sig(3, 1))
	old := c.recs[2]
	old.onTick = nil
	c.s.Crash(2)
	if c.s.Up(2) || c.s.Block(addr(2)) != nil {
		t.Fatal("crashed node still up")
	}
	errs := c.sendOnce(t, 1, sig(2, 3))
	if !errors.Is(errs[0], sim.ErrUnreachable) {
		t.Fatalf("send to a crashed node: %v, want ErrUnreachable", errs[0])
	}
	c.s.RunTicks(3)
	oldTicks := len(old.ticks)
	if len(c.recs[1].got) != 0 {
		t.Fatal("a signal from the crashed node arrived")
	}
	if gs := c.recs[3].got; len(gs) != 1 || gs[0].sender.Node != 1 {
		t.Fatalf("node 3 got %+v, want only node 1's signal", gs)
	}
	c.s.Restart(2)
	if c.starts[2] != 2 || c.recs[2] == old || c.s.Block(addr(2)) != c.recs[2] {
		t.Fatal("restart did not build a fresh block")
	}
	c.s.RunTicks(2)
	if len(old.ticks) != oldTicks || len(old.got) != 0 {
		t.Fatal("the crashed incarnation's block ran")
	}
	if ticks := c.recs[2].ticks; len(ticks) != 2 || ticks[0] <= 0 || ticks[0] > 10*time.Millisecond {
		t.Fatalf("restarted node's ticks at %v, want two, the first within 10ms of its start", ticks)
	}
	if st := c.s.Stats(); st.Crashes != 1 || st.Restarts != 1 || st.Lost != 3 || st.Refused != 1 {
		t.Fatalf("stats %+v, want 1 crash, 1 restart, 3 lost, 1 refused", st)
	}
}

// TestOverloaded: Send refuses beyond MaxInFlight signals on one pair.
func TestOverloaded(t *testing.T) {
	cfg := sim.DefaultConfig(1)
	cfg.MaxInFlight = 4
	c := newCluster(t, cfg, 1, 2, 3)
	errs := c.sendOnce(t, 1, sig(2, 1), sig(2, 2), sig(2, 3), sig(2, 4), sig(2, 5), sig(3, 1))
	for i, err := range errs {
		want := error(nil)
		if i == 4 {
			want = sim.ErrOverloaded
		}
		if !errors.Is(err, want) {
			t.Errorf("send %d: %v, want %v", i, err, want)
		}
	}
}

// TestNoReceiver: a signal to a block the node does not have is dropped
// and counted.
func TestNoReceiver(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(1), 1, 2)
	c.sendOnce(t, 1, &signal.Signal{Number: 1, Receiver: signal.Address{Node: 2, Block: 77}})
	c.s.RunTicks(1)
	if st := c.s.Stats(); st.NoReceiver != 1 || st.Delivered != 0 {
		t.Fatalf("stats %+v, want 1 without receiver", st)
	}
}

// TestTicks: every live block is ticked once per TickInterval, nodes in a
// varying order; a down node's blocks are not.
func TestTicks(t *testing.T) {
	cfg := sim.DefaultConfig(2)
	cfg.TickInterval = 5 * time.Millisecond
	c := newCluster(t, cfg, 1, 2, 3)
	var order []signal.NodeID
	for _, id := range []signal.NodeID{1, 2, 3} {
		c.recs[id].onTick = func(block.Env) { order = append(order, id) }
	}
	c.s.RunTicks(20)
	if c.s.Now() != 100*time.Millisecond {
		t.Fatalf("after 20 ticks of 5ms now is %v", c.s.Now())
	}
	for _, id := range []signal.NodeID{1, 2, 3} {
		ticks := c.recs[id].ticks
		if len(ticks) != 20 {
			t.Fatalf("node %d ticked %d times, want 20", id, len(ticks))
		}
		for i, at := range ticks {
			if at != time.Duration(i+1)*cfg.TickInterval {
				t.Fatalf("node %d tick %d at %v", id, i, at)
			}
		}
	}
	firsts := map[signal.NodeID]bool{}
	for i := 0; i < len(order); i += 3 {
		firsts[order[i]] = true
	}
	if len(firsts) < 2 {
		t.Fatalf("node %v always ticked first: tick order is not shuffled", order[0])
	}
	c.s.Crash(3)
	c.s.RunTicks(5)
	if n := len(c.recs[3].ticks); n != 20 {
		t.Fatalf("a crashed node's block ticked (%d ticks)", n)
	}
}

// TestRunUntil: RunUntil stops between deliveries; the clock reads the
// requested time.
func TestRunUntil(t *testing.T) {
	cfg := sim.DefaultConfig(1)
	cfg.MinDelay, cfg.MaxDelay = 3*time.Millisecond, 3*time.Millisecond
	c := newCluster(t, cfg, 1, 2)
	c.sendOnce(t, 1, sig(2, 1)) // sent at 10ms, due at 13ms
	c.s.RunUntil(12 * time.Millisecond)
	if len(c.recs[2].got) != 0 || c.s.Now() != 12*time.Millisecond {
		t.Fatalf("at %v: %d delivered, want none before 13ms", c.s.Now(), len(c.recs[2].got))
	}
	c.s.RunUntil(13 * time.Millisecond)
	if gs := c.recs[2].got; len(gs) != 1 || gs[0].at != 13*time.Millisecond {
		t.Fatalf("got %+v, want one delivery at 13ms", gs)
	}
	if c.s.NextTick() != 20*time.Millisecond {
		t.Fatalf("next tick %v, want 20ms", c.s.NextTick())
	}
}

// TestInject: Inject delivers at once with a zero sender; to a down node
// it is refused.
func TestInject(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(1), 1, 2)
	s := &signal.Signal{Number: 5, Sender: addr(2)}
	s.AddSection([]byte("op"))
	if err := c.s.Inject(addr(1), s); err != nil {
		t.Fatal(err)
	}
	if gs := c.recs[1].got; len(gs) != 1 || gs[0].sender != (signal.Address{}) || string(gs[0].section) != "op" {
		t.Fatalf("got %+v", gs)
	}
	c.s.Crash(1)
	if err := c.s.Inject(addr(1), s); !errors.Is(err, sim.ErrUnreachable) {
		t.Fatalf("inject into a down node: %v", err)
	}
}

// TestMisuseIsABug: harness calls from inside a block and impossible
// faults panic.
func TestMisuseIsABug(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(c *cluster)
	}{
		{"crash from a block", func(c *cluster) {
			c.recs[1].onTick = func(block.Env) { c.s.Crash(2) }
			c.s.RunTicks(1)
		}},
		{"crash a down node", func(c *cluster) { c.s.Crash(1); c.s.Crash(1) }},
		{"restart a live node", func(c *cluster) { c.s.Restart(1) }},
		{"duplicate node", func(c *cluster) { c.s.AddNode(1, func(*sim.Disk) []sim.Placed { return nil }) }},
		{"unknown node", func(c *cluster) { c.s.Up(9) }},
		{"cut self", func(c *cluster) { c.s.Cut(1, 1) }},
		{"block of a crashed incarnation sends", func(c *cluster) {
			var stale block.Env
			c.recs[1].onTick = func(env block.Env) { stale = env }
			c.s.RunTicks(1)
			c.s.Crash(1)
			c.s.Restart(1)
			c.recs[1].onTick = func(block.Env) { stale.Send(sig(2, 1)) }
			c.s.RunTicks(1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, sim.DefaultConfig(1), 1, 2)
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.do(c)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*sim.Config)
		ok   bool
	}{
		{"default", func(*sim.Config) {}, true},
		{"zero delay", func(c *sim.Config) { c.MinDelay, c.MaxDelay = 0, 0 }, true},
		{"no tick", func(c *sim.Config) { c.TickInterval = 0 }, false},
		{"inverted delays", func(c *sim.Config) { c.MinDelay = c.MaxDelay + 1 }, false},
		{"negative delay", func(c *sim.Config) { c.MinDelay = -1 }, false},
		{"no send buffer", func(c *sim.Config) { c.MaxInFlight = 0 }, false},
		{"no event bound", func(c *sim.Config) { c.MaxEventsPerTick = 0 }, false},
	} {
		cfg := sim.DefaultConfig(1)
		tc.edit(&cfg)
		before := cfg
		if err := cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if cfg != before {
			t.Errorf("%s: Validate changed the config", tc.name)
		}
	}
}

// TestEndlessSendingPanics: blocks that answer every signal with a
// zero-delay signal never let time pass; the event bound catches it.
func TestEndlessSendingPanics(t *testing.T) {
	cfg := sim.DefaultConfig(1)
	cfg.MinDelay, cfg.MaxDelay, cfg.MaxEventsPerTick = 0, 0, 1000
	c := newCluster(t, cfg, 1)
	c.recs[1].onSig = func(env block.Env, s *signal.Signal) { env.Send(sig(1, 0)) }
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	c.sendOnce(t, 1, sig(1, 0))
	c.s.RunTicks(1)
}
