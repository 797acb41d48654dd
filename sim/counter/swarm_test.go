package counter

import (
	"bytes"
	"errors"
	"flag"
	"runtime"
	"sync"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

var simFlags = sim.RegisterFlags(flag.CommandLine)

// Seeds of TestSwarm: 1,000 seeds take a few seconds on two cores (see
// doc.go); -short runs 100.
const (
	swarmSeeds      = 1000
	swarmSeedsShort = 100
)

// runSeeds runs Run over seeds on every CPU (each Run is one goroutine
// with its own simulation) and returns results and errors in seed order.
func runSeeds(seeds []uint64, opt Options) ([]Result, []error) {
	res, errs := make([]Result, len(seeds)), make([]error, len(seeds))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				res[i], errs[i] = Run(seeds[i], opt)
			}
		})
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	return res, errs
}

// TestSwarm is the acceptance run: the replicated counter among 3 nodes
// over many seeds, each with its own crash, partition, link-drop and delay
// profile, safety checked throughout and convergence required after heal.
func TestSwarm(t *testing.T) {
	seeds := simFlags.List(swarmSeeds, swarmSeedsShort, testing.Short())
	one := simFlags.Seed != 0
	res, errs := runSeeds(seeds, Options{KeepTrace: one})
	var total sim.Stats
	var acked, maxConverge uint64
	failed := 0
	for i, err := range errs {
		r := res[i]
		if one {
			t.Log(r)
		}
		if err != nil {
			failed++
			if failed <= 5 {
				t.Errorf("%v\n%v\n%s", err, r, sim.Reproduce(r.Seed))
			}
			if one {
				if werr := simFlags.WriteTrace(r.Trace); werr != nil {
					t.Error(werr)
				}
				t.Logf("trace tail:\n%s", tail(r.Trace, 40))
			}
			continue
		}
		total.Crashes += r.Stats.Crashes
		total.Partitions += r.Stats.Partitions
		total.LinkDrops += r.Stats.LinkDrops
		total.LostWrites += r.Stats.LostWrites
		total.Lost += r.Stats.Lost
		acked += r.Acked
		maxConverge = max(maxConverge, uint64(r.ConvergedAfter))
	}
	if failed > 0 {
		t.Fatalf("%d of %d seeds failed", failed, len(seeds))
	}
	t.Logf("%d seeds: %d crashes, %d partitions, %d link drops, %d signals and %d unsynced writes lost, %d increments acknowledged; slowest convergence %d ticks",
		len(seeds), total.Crashes, total.Partitions, total.LinkDrops, total.Lost, total.LostWrites, acked, maxConverge)
	if !one && (total.Crashes == 0 || total.Partitions == 0 || total.LinkDrops == 0 || total.LostWrites == 0 || acked == 0) {
		t.Fatalf("the swarm did not exercise every fault: %+v, %d acknowledged", total, acked)
	}
}

func tail(b []byte, lines int) []byte {
	for i := len(b) - 2; i >= 0; i-- {
		if b[i] == '\n' {
			if lines--; lines == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}

// TestSameSeedSameTrace: a seed reproduces exactly, byte for byte, and
// different seeds run differently.
func TestSameSeedSameTrace(t *testing.T) {
	a, errA := Run(7, Options{KeepTrace: true})
	b, errB := Run(7, Options{KeepTrace: true})
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if len(a.Trace) == 0 || !bytes.Equal(a.Trace, b.Trace) || a.TraceHash != b.TraceHash || a.Value != b.Value {
		t.Fatalf("seed 7 twice: %d and %d trace bytes, equal %v", len(a.Trace), len(b.Trace), bytes.Equal(a.Trace, b.Trace))
	}
	for _, kind := range []string{" deliver ", " crash ", " restart ", " heal", " inject "} {
		if !bytes.Contains(a.Trace, []byte(kind)) {
			t.Errorf("seed 7's trace has no%q event", kind)
		}
	}
	seen := map[uint64]uint64{}
	for seed := uint64(1); seed <= 20; seed++ {
		r, err := Run(seed, Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if other, dup := seen[r.TraceHash]; dup {
			t.Fatalf("seeds %d and %d gave the same trace", other, seed)
		}
		seen[r.TraceHash] = seed
	}
}

// TestBrokenVariantsAreCaught proves the checker can fail: each broken
// protocol is caught on some seed within a bounded number of seeds.
// AckBeforeSync is tried twice: with the acknowledgment check, and with the
// value checks alone (it needs a crash that loses an acknowledged
// increment, then a restart that reuses its number).
func TestBrokenVariantsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		opt   Options
		bound uint64
	}{
		{Options{Variant: AckOnOne}, 10},
		{Options{Variant: AckBeforeSync}, 10},
		{Options{Variant: AckBeforeSync, NoAckCheck: true}, 300},
		{Options{Variant: AddOnMerge}, 10},
	} {
		caught := uint64(0)
		var err error
		for seed := uint64(1); seed <= tc.bound && caught == 0; seed++ {
			if _, err = Run(seed, tc.opt); err != nil {
				caught = seed
			}
		}
		switch {
		case caught == 0:
			t.Errorf("%v (ack check %v): not caught in %d seeds", tc.opt.Variant, !tc.opt.NoAckCheck, tc.bound)
		case !errors.Is(err, ErrSafety):
			t.Errorf("%v: caught on seed %d, but not as a safety violation: %v", tc.opt.Variant, caught, err)
		default:
			t.Logf("%v (ack check %v): caught on seed %d: %v", tc.opt.Variant, !tc.opt.NoAckCheck, caught, err)
		}
	}
}

// TestQuietClusterAcknowledgesEverything composes the pieces by hand with no
// faults: every increment issued is acknowledged and counted everywhere.
func TestQuietClusterAcknowledgesEverything(t *testing.T) {
	s := sim.New(sim.DefaultConfig(1))
	chk := NewChecker(s, three, true)
	for _, id := range three {
		s.AddNode(id, func(d *sim.Disk) []sim.Placed {
			return []sim.Placed{
				{ID: BlockCounter, Block: NewCounter(DefaultConfig(three, id), d)},
				{ID: BlockClient, Block: NewClient(ClientConfig{Node: id, Every: 1, MaxOutstanding: 4, Observer: chk})},
			}
		})
	}
	s.RunTicks(100)
	for _, id := range three {
		if err := s.Inject(signal.Address{Node: id, Block: BlockClient}, &signal.Signal{Number: GsnStopOrd}); err != nil {
			t.Fatal(err)
		}
	}
	for range 50 {
		s.RunTicks(1)
		if chk.Converged() {
			break
		}
	}
	if !chk.Converged() {
		t.Fatal("a quiet cluster did not converge")
	}
	if err := chk.Final(); err != nil {
		t.Fatal(err)
	}
	issued, acked := chk.Totals()
	if v := chk.counter(1).Value(); issued == 0 || acked != issued || v != issued {
		t.Fatalf("issued %d, acknowledged %d, value %d: want all equal", issued, acked, v)
	}
}
