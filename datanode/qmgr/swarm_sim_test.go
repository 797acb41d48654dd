package qmgr_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/sim"
)

// Seeds of TestSwarm: -short runs 200 in a few seconds; `make soak`
// passes -sim.seeds.
const (
	swarmSeeds      = 1000
	swarmSeedsShort = 200
)

// swarmResult is one seed's run.
type swarmResult struct {
	seed            uint64
	nodes, replicas int
	swarm           sim.Swarm
	stats           sim.Stats
	views           int    // distinct views committed
	restarts        int    // system restarts the harness needed (the whole cluster shut down)
	settledAfter    int    // ticks after the heal
	finished        uint64 // rounds that finished an earlier president's value
	caughtUp        uint64
	err             error
	trace           []byte
}

// runSwarm runs one seed: a cluster of 2 to 6 data nodes in node groups
// forms, then suffers the seed's crashes (restarted), partitions, link
// drops and delays; a node that shuts itself down is restarted as its
// angel process would. Throughout, no view number may name two
// memberships and every local block's report must match its view. After
// the heal every node must be back in one agreed view of all the nodes;
// when the whole cluster shut down, the harness restarts it from a
// founder first (a system restart).
//
// With hunt, presidents in the middle of a view change are crashed or cut
// off from a random node, often: the recovery of half-done rounds (Paxos)
// is what that exercises.
func runSwarm(t testing.TB, seed uint64, hunt bool) (res swarmResult) {
	res.seed = seed
	// The cluster's shape comes from the seed, apart from the simulator's
	// own random source so that it does not shift the fault schedule.
	shape := seed * 0x9e3779b97f4a7c15
	res.replicas = 1 + int(shape>>3%3)
	groups := 1 + int(shape>>7%3)
	if res.replicas*groups < 2 {
		groups = 2
	}
	res.nodes = min(res.replicas*groups, 6)
	arb := &qmgr.FirstAsker{Delay: int(shape >> 11 % 4)}
	c := newCluster(t, seed, res.nodes, res.replicas, func(cfg *qmgr.Config) { cfg.Arbitrator = arb })
	defer func() {
		res.stats, res.views = c.s.Stats(), len(c.views)
		res.finished, res.caughtUp = c.finished, c.caughtUp
		if res.err != nil && simFlags.Trace != "" {
			res.trace = c.s.Trace()
		}
	}()
	if err := c.settle(c.all(), 500); err != nil {
		res.err = fmt.Errorf("forming: %w", err)
		return res
	}
	res.swarm = sim.PickSwarm(c.s.Rand(), res.nodes)
	nem := sim.NewNemesis(c.s, res.swarm)
	// The angel: a node whose QMGR shut down is crashed; the nemesis
	// restarts it later.
	angel := func() {
		for _, n := range c.nodes {
			if c.phase(n) == qmgr.Stopped {
				c.s.Crash(n)
			}
		}
	}
	for i := 0; i < 300 && c.err == nil; i++ {
		nem.RunTick()
		angel()
		if !hunt {
			continue
		}
		r := c.s.Rand()
		for _, n := range c.nodes {
			if q := c.q(n); q == nil || q.Phase() != qmgr.Running || q.State().Round == "" || r.IntN(4) != 0 {
				continue
			}
			if other := c.nodes[r.IntN(len(c.nodes))]; other != n && r.IntN(2) == 0 {
				c.s.Cut(n, other)
			} else {
				c.s.Crash(n)
			}
		}
	}
	if c.err != nil {
		res.err = c.err
		return res
	}
	nem.HealAll()
	quiet, stable := 0, 0
	limit := 3000
	for i := 0; i < limit; i++ {
		c.s.RunTicks(1)
		for _, n := range c.nodes {
			if c.phase(n) == qmgr.Stopped {
				c.s.Crash(n)
				c.s.Restart(n)
			}
		}
		if c.err != nil {
			res.err = c.err
			return res
		}
		// Agreement must hold for two time-outs: a failure the faults
		// left behind (a node silent just long enough) may still strike
		// right after the heal.
		if c.agreed(c.all()) == nil {
			if stable++; stable == 2*ticksFor(c.timeout()) {
				res.settledAfter = i - stable
				return res
			}
			continue
		}
		stable = 0
		// No member anywhere for three time-outs: the cluster is gone;
		// restart it from the lowest node.
		running := false
		for _, n := range c.nodes {
			running = running || c.phase(n) == qmgr.Running
		}
		if quiet++; running {
			quiet = 0
		}
		if quiet > 3*ticksFor(c.timeout()) {
			quiet = 0
			res.restarts++
			c.gen++
			for _, n := range c.nodes {
				c.s.Crash(n)
			}
			c.found[c.nodes[0]] = true
			for _, n := range c.nodes {
				c.s.Restart(n)
			}
		}
	}
	res.err = fmt.Errorf("seed %d: no agreement %d ticks after the heal: %v\n%s", seed, limit, c.agreed(c.all()), c.describe())
	return res
}

// TestSwarm runs many seeds in parallel (each its own simulation).
func TestSwarm(t *testing.T) {
	for _, hunt := range []bool{false, true} {
		t.Run(fmt.Sprintf("hunt=%v", hunt), func(t *testing.T) { swarm(t, hunt) })
	}
}

func swarm(t *testing.T, hunt bool) {
	seeds := simFlags.List(swarmSeeds, swarmSeedsShort, testing.Short())
	res := make([]swarmResult, len(seeds))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				res[i] = runSwarm(t, seeds[i], hunt)
			}
		})
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	failed := 0
	var crashes, partitions, drops, restarts, views, finished, caughtUp uint64
	maxSettle := 0
	shapes := map[[2]int]int{}
	for _, r := range res {
		if r.err != nil {
			failed++
			if failed <= 3 {
				t.Errorf("%d nodes, %d replicas, %v: %v\n%s", r.nodes, r.replicas, r.swarm, r.err, sim.Reproduce(r.seed))
				if werr := simFlags.WriteTrace(r.trace); werr != nil {
					t.Error(werr)
				}
			}
			continue
		}
		crashes += r.stats.Crashes
		partitions += r.stats.Partitions
		drops += r.stats.LinkDrops
		restarts += uint64(r.restarts)
		views += uint64(r.views)
		finished += r.finished
		caughtUp += r.caughtUp
		maxSettle = max(maxSettle, r.settledAfter)
		shapes[[2]int{r.nodes, r.replicas}]++
	}
	if failed > 0 {
		t.Fatalf("%d of %d seeds failed", failed, len(seeds))
	}
	t.Logf("%d seeds (shapes nodes/replicas: %v): %d crashes, %d partitions, %d link drops, %d views committed (%d rounds finished an earlier president's value, %d views caught up), %d system restarts; slowest agreement %d ticks after heal",
		len(seeds), shapes, crashes, partitions, drops, views, finished, caughtUp, restarts, maxSettle)
	if len(seeds) >= 50 && (crashes == 0 || partitions == 0 || drops == 0) {
		t.Fatal("the swarm did not exercise every fault")
	}
}

// TestSameSeedSameRun: a seed replays exactly.
func TestSameSeedSameRun(t *testing.T) {
	for _, seed := range []uint64{3, 11} {
		a, b := runSwarm(t, seed, true), runSwarm(t, seed, true)
		if a.err != nil || b.err != nil {
			t.Fatal(a.err, b.err)
		}
		if a.stats != b.stats || a.views != b.views || a.settledAfter != b.settledAfter {
			t.Fatalf("seed %d ran twice differently: %+v / %+v", seed, a, b)
		}
	}
}
