package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gondb/gondb/signal"
)

// Swarm is one seed's fault profile, as TigerBeetle's VOPR swarm testing:
// every seed runs with its own delays and fault rates, some faults off, so
// that over many seeds rare combinations (long partitions with no crashes,
// crash storms over a quiet network) all get their turn.
type Swarm struct {
	// MinDelay and MaxDelay bound each signal's network delay.
	MinDelay, MaxDelay time.Duration
	// LinkDropsPerSec resets a random connection (TCP reset).
	LinkDropsPerSec float64
	// PartitionsPerSec starts a partition when none is on: half the time
	// one pair of nodes is cut, half the time a random proper subset is
	// cut from the rest. It lasts PartitionMean on average.
	PartitionsPerSec float64
	PartitionMean    time.Duration
	// CrashesPerSec crashes a random live node while fewer than MaxDown
	// are down; a crashed node stays down DownMean on average.
	CrashesPerSec float64
	DownMean      time.Duration
	MaxDown       int
}

func (w Swarm) String() string {
	return fmt.Sprintf("delay [%v, %v], link drops %.2f/s, partitions %.2f/s (mean %v), crashes %.2f/s (down %v, at most %d)",
		w.MinDelay, w.MaxDelay, w.LinkDropsPerSec, w.PartitionsPerSec, w.PartitionMean,
		w.CrashesPerSec, w.DownMean, w.MaxDown)
}

// PickSwarm draws a fault profile for a cluster of nodes nodes. Each kind
// of fault is on for three seeds in four.
func PickSwarm(r *rand.Rand, nodes int) Swarm {
	on := func() bool { return r.IntN(4) != 0 }
	w := Swarm{
		MinDelay: time.Duration(r.Int64N(int64(time.Millisecond))),
		MaxDown:  1 + r.IntN(nodes),
	}
	// The spread is log-uniform from 10 µs to 40 ms, so some seeds run a
	// tight LAN and others reorder heavily across pairs.
	w.MaxDelay = w.MinDelay + 10*time.Microsecond<<r.IntN(13)
	if on() {
		w.LinkDropsPerSec = 10 * r.Float64()
	}
	if on() {
		w.PartitionsPerSec = 3 * r.Float64()
	}
	w.PartitionMean = 50*time.Millisecond + time.Duration(r.Int64N(int64(time.Second)))
	if on() {
		w.CrashesPerSec = 3 * r.Float64()
	}
	w.DownMean = 20*time.Millisecond + time.Duration(r.Int64N(int64(time.Second)))
	return w
}

// Nemesis injects a Swarm's faults into a Sim, one Step per tick, with the
// Sim's random source.
type Nemesis struct {
	s           *Sim
	w           Swarm
	partitioned bool
}

// NewNemesis applies w's delays to s and returns its fault injector.
func NewNemesis(s *Sim, w Swarm) *Nemesis {
	s.SetDelay(w.MinDelay, w.MaxDelay)
	return &Nemesis{s: s, w: w}
}

// RunTick runs the simulation to its next tick, with Step's faults struck
// at a random moment before it, between two deliveries: a crash can find
// writes not yet synced and signals half way.
func (n *Nemesis) RunTick() {
	s := n.s
	from, to := s.now, s.nextTick
	s.RunUntil(from + time.Duration(s.rng.Int64N(int64(to-from))))
	n.Step()
	s.RunUntil(to)
}

// chance is true with probability p.
func (n *Nemesis) chance(p float64) bool { return n.s.rng.Float64() < p }

// Step may inject faults now; RunTick calls it once per tick.
func (n *Nemesis) Step() {
	s := n.s
	dt := s.cfg.TickInterval.Seconds()
	nodes := len(s.nodes)
	if nodes >= 2 && n.chance(n.w.LinkDropsPerSec*dt) {
		a, b := n.pair()
		s.DropLink(a, b)
	}
	if n.partitioned {
		if n.chance(dt / n.w.PartitionMean.Seconds()) {
			s.Heal()
			n.partitioned = false
		}
	} else if nodes >= 2 && n.chance(n.w.PartitionsPerSec*dt) {
		if s.rng.IntN(2) == 0 {
			a, b := n.pair()
			s.Cut(a, b)
		} else {
			s.Partition(n.side()...)
		}
		n.partitioned = true
	}
	up := 0
	for _, nd := range s.nodes {
		if nd.up {
			up++
		}
	}
	if nodes-up < n.w.MaxDown && up > 0 && n.chance(n.w.CrashesPerSec*dt) {
		k := s.rng.IntN(up)
		for _, nd := range s.nodes {
			if nd.up {
				if k == 0 {
					s.Crash(nd.id)
					break
				}
				k--
			}
		}
	}
	for _, nd := range s.nodes {
		if !nd.up && n.chance(dt/n.w.DownMean.Seconds()) {
			s.Restart(nd.id)
		}
	}
}

// pair picks two distinct nodes.
func (n *Nemesis) pair() (signal.NodeID, signal.NodeID) {
	s := n.s
	a := s.rng.IntN(len(s.nodes))
	b := (a + 1 + s.rng.IntN(len(s.nodes)-1)) % len(s.nodes)
	return s.nodes[a].id, s.nodes[b].id
}

// side picks a random proper, non-empty subset of the nodes.
func (n *Nemesis) side() []signal.NodeID {
	s := n.s
	var side []signal.NodeID
	for len(side) == 0 || len(side) == len(s.nodes) {
		side = side[:0]
		for _, nd := range s.nodes {
			if s.rng.IntN(2) == 0 {
				side = append(side, nd.id)
			}
		}
	}
	return side
}

// HealAll ends the fault phase: every partition heals and every crashed
// node restarts.
func (n *Nemesis) HealAll() {
	s := n.s
	s.Heal()
	n.partitioned = false
	for _, nd := range s.nodes {
		if !nd.up {
			s.Restart(nd.id)
		}
	}
}
