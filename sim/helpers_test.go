package sim_test

import (
	"flag"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

var simFlags = sim.RegisterFlags(flag.CommandLine)

const recBlock signal.BlockID = 9

// got is one signal a recorder received.
type got struct {
	at       time.Duration // sim time (env.Now of a node that never restarts)
	number   signal.Number
	sender   signal.Address
	receiver signal.Address
	words    []uint32
	section  []byte
}

// recorder records every signal and tick, and runs onTick (if any) at each
// tick so tests can send from inside the block.
type recorder struct {
	got    []got
	ticks  []time.Duration
	onTick func(env block.Env)
	onSig  func(env block.Env, s *signal.Signal)
}

func (r *recorder) Handle(env block.Env, s *signal.Signal) {
	g := got{at: env.Now(), number: s.Number, sender: s.Sender, receiver: s.Receiver,
		words: append([]uint32(nil), s.Words[:s.NumWords]...)}
	if s.NumSects > 0 {
		g.section = append([]byte(nil), s.Section(0)...)
	}
	r.got = append(r.got, g)
	if r.onSig != nil {
		r.onSig(env, s)
	}
}

func (r *recorder) Tick(env block.Env) {
	r.ticks = append(r.ticks, env.Now())
	if r.onTick != nil {
		r.onTick(env)
	}
}

// cluster is a Sim with one recorder per node; recs[id] is node id's
// current recorder, replaced at each restart.
type cluster struct {
	s      *sim.Sim
	recs   map[signal.NodeID]*recorder
	starts map[signal.NodeID]int
}

func newCluster(t *testing.T, cfg sim.Config, ids ...signal.NodeID) *cluster {
	t.Helper()
	c := &cluster{s: sim.New(cfg), recs: map[signal.NodeID]*recorder{}, starts: map[signal.NodeID]int{}}
	for _, id := range ids {
		c.s.AddNode(id, func(*sim.Disk) []sim.Placed {
			r := &recorder{}
			c.recs[id] = r
			c.starts[id]++
			return []sim.Placed{{ID: recBlock, Block: r}}
		})
	}
	return c
}

func addr(n signal.NodeID) signal.Address { return signal.Address{Node: n, Block: recBlock} }

// sendOnce makes node from send the signals built by mk at its next tick.
func (c *cluster) sendOnce(t *testing.T, from signal.NodeID, sigs ...*signal.Signal) (errs []error) {
	t.Helper()
	r := c.recs[from]
	r.onTick = func(env block.Env) {
		for _, s := range sigs {
			errs = append(errs, env.Send(s))
		}
		r.onTick = nil
	}
	c.s.RunTicks(1)
	return errs
}

func sig(to signal.NodeID, words ...uint32) *signal.Signal {
	s := &signal.Signal{Number: 1, Receiver: addr(to)}
	s.SetWords(words...)
	return s
}

// wideConfig has delays up to 20 ms, so signals of different pairs overtake
// each other.
func wideConfig(seed uint64) sim.Config {
	cfg := sim.DefaultConfig(seed)
	cfg.MinDelay, cfg.MaxDelay = 0, 20*time.Millisecond
	return cfg
}

func fromNode(gs []got, n signal.NodeID) []got {
	var out []got
	for _, g := range gs {
		if g.sender.Node == n {
			out = append(out, g)
		}
	}
	return out
}
