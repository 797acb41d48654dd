package counter

import (
	"fmt"
	"runtime/debug"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

// The cluster of a Run and its liveness bound.
var clusterNodes = []signal.NodeID{1, 2, 3}

const (
	// LivenessTicks bounds the ticks from heal to convergence. The slowest
	// swarm delivers a signal in ~41 ms (5 ticks) and anti-entropy resends
	// every 10 ticks, so a healed cluster settles in a few dozen ticks;
	// 500 (5 simulated seconds) leaves a wide margin without hiding a
	// protocol that only converges by luck.
	LivenessTicks = 500
	// MinSafetyTicks and MaxSafetyTicks bound the fault phase (2 to 10
	// simulated seconds), drawn per seed: long enough for several crashes
	// and partitions at the swarm's rates.
	MinSafetyTicks = 200
	MaxSafetyTicks = 1000
)

// Options select what a Run runs.
type Options struct {
	Variant Variant
	// KeepTrace keeps the full text trace in the Result.
	KeepTrace bool
	// NoAckCheck turns off the checker's check at each acknowledgment
	// (majority durable), leaving the value checks alone.
	NoAckCheck bool
}

// Result describes one Run.
type Result struct {
	Seed        uint64
	Swarm       sim.Swarm
	SafetyTicks int
	// ConvergedAfter is the number of ticks from heal to convergence.
	ConvergedAfter int
	Issued, Acked  uint64
	Value          uint64 // the converged value
	Stats          sim.Stats
	TraceHash      uint64
	Trace          []byte // with Options.KeepTrace
}

func (r Result) String() string {
	return fmt.Sprintf("seed %d: %d safety ticks, swarm %v; issued %d, acknowledged %d, value %d, converged after %d ticks; trace %016x; %+v",
		r.Seed, r.SafetyTicks, r.Swarm, r.Issued, r.Acked, r.Value, r.ConvergedAfter, r.TraceHash, r.Stats)
}

// Run runs the replicated counter among 3 nodes for one seed, as the VOPR
// does: the seed picks a fault profile (sim.PickSwarm), a fault phase of
// MinSafetyTicks..MaxSafetyTicks with clients issuing increments and
// safety checked after every tick, then every fault heals, clients stop,
// and the cluster must converge within LivenessTicks and pass the final
// checks. The error wraps ErrSafety, ErrLiveness or ErrPanic.
func Run(seed uint64, opt Options) (res Result, err error) {
	res.Seed = seed
	cfg := sim.DefaultConfig(seed)
	cfg.KeepTrace = opt.KeepTrace
	s := sim.New(cfg)
	var chk *Checker
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: t=%v: %v\n%s", ErrPanic, s.Now(), p, debug.Stack())
		}
		res.Stats, res.TraceHash, res.Trace = s.Stats(), s.TraceHash(), s.Trace()
		if chk != nil {
			res.Issued, res.Acked = chk.Totals()
		}
	}()

	r := s.Rand()
	res.Swarm = sim.PickSwarm(r, len(clusterNodes))
	res.SafetyTicks = MinSafetyTicks + r.IntN(MaxSafetyTicks-MinSafetyTicks+1)
	every := 1 + r.IntN(5)
	chk = NewChecker(s, clusterNodes, !opt.NoAckCheck)
	for _, id := range clusterNodes {
		s.AddNode(id, func(d *sim.Disk) []sim.Placed {
			ccfg := DefaultConfig(clusterNodes, id)
			ccfg.Variant = opt.Variant
			return []sim.Placed{
				{ID: BlockCounter, Block: NewCounter(ccfg, d)},
				{ID: BlockClient, Block: NewClient(ClientConfig{Node: id, Every: every, MaxOutstanding: 8, Observer: chk})},
			}
		})
	}

	nem := sim.NewNemesis(s, res.Swarm)
	for range res.SafetyTicks {
		nem.RunTick()
		if err := chk.Safety(); err != nil {
			return res, err
		}
	}

	nem.HealAll()
	stop := signal.Signal{Number: GsnStopOrd}
	for _, id := range clusterNodes {
		if err := s.Inject(signal.Address{Node: id, Block: BlockClient}, &stop); err != nil {
			panic(fmt.Sprintf("counter: node %d is down after HealAll: %v", id, err))
		}
	}
	for t := 1; t <= LivenessTicks; t++ {
		s.RunTicks(1)
		if err := chk.Safety(); err != nil {
			return res, err
		}
		if chk.Converged() {
			res.ConvergedAfter = t
			res.Value = chk.counter(clusterNodes[0]).Value()
			return res, chk.Final()
		}
	}
	return res, fmt.Errorf("%w: not converged %d ticks after heal", ErrLiveness, LivenessTicks)
}
