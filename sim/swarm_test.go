package sim_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"regexp"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

const chatterBlock signal.BlockID = 3

// chatter is a test block that sends numbered signals to every node
// (itself included) and checks that what it receives from each node comes
// in order: (boot, seq) strictly increasing, where boot counts the
// sender's starts on its disk. Replies to some signals make the traffic
// depend on the order of deliveries.
type chatter struct {
	self  signal.NodeID
	nodes []signal.NodeID
	boot  uint32
	seq   []uint32
	last  [signal.MaxNodeID + 1][2]uint32
	got   int
	ticks int
	fail  func(string)
	out   signal.Signal
}

func newChatter(self signal.NodeID, nodes []signal.NodeID, d *sim.Disk, fail func(string)) *chatter {
	c := &chatter{self: self, nodes: nodes, seq: make([]uint32, signal.MaxNodeID+1), fail: fail}
	if b, ok := d.Get(nil, "boot"); ok {
		c.boot = binary.LittleEndian.Uint32(b)
	}
	c.boot++
	d.Put("boot", binary.LittleEndian.AppendUint32(nil, c.boot))
	d.Sync()
	return c
}

func (c *chatter) send(env block.Env, to signal.NodeID, reply bool) {
	c.seq[to]++
	c.out.Reset()
	c.out.Number = 1
	if reply {
		c.out.Number = 2
	}
	c.out.Receiver = signal.Address{Node: to, Block: chatterBlock}
	c.out.SetWords(c.boot, c.seq[to])
	c.out.AddSection([]byte{byte(c.self), byte(to), byte(c.seq[to])})
	env.Send(&c.out)
}

func (c *chatter) Tick(env block.Env) {
	c.ticks++
	for _, n := range c.nodes {
		if (c.ticks+int(n))%2 == 0 {
			c.send(env, n, false)
		}
	}
}

func (c *chatter) Handle(env block.Env, s *signal.Signal) {
	c.got++
	from := s.Sender.Node
	b, q := s.Words[0], s.Words[1]
	if last := c.last[from]; b < last[0] || b == last[0] && q <= last[1] {
		c.fail(fmt.Sprintf("node %d: from node %d got (boot %d, seq %d) after (%d, %d)", c.self, from, b, q, last[0], last[1]))
	}
	c.last[from] = [2]uint32{b, q}
	if sec := s.Section(0); len(sec) != 3 || sec[0] != byte(from) || sec[1] != byte(c.self) || sec[2] != byte(q) {
		c.fail(fmt.Sprintf("node %d: section %v from node %d seq %d is corrupt", c.self, sec, from, q))
	}
	if s.Number == 1 && q%3 == 0 {
		c.send(env, from, true)
	}
}

type chatterRun struct {
	trace    []byte
	hash     uint64
	stats    sim.Stats
	failures []string
	gotAfter []int // per node, signals received after heal
}

// runChatter runs 4 chatter nodes for one seed: a swarm fault phase, heal,
// and a quiet phase.
func runChatter(seed uint64, keep bool) chatterRun {
	cfg := sim.DefaultConfig(seed)
	cfg.KeepTrace = keep
	s := sim.New(cfg)
	var r chatterRun
	nodes := []signal.NodeID{1, 2, 3, 4}
	chatters := make([]*chatter, len(nodes))
	for i, id := range nodes {
		s.AddNode(id, func(d *sim.Disk) []sim.Placed {
			chatters[i] = newChatter(id, nodes, d, func(msg string) { r.failures = append(r.failures, msg) })
			return []sim.Placed{{ID: chatterBlock, Block: chatters[i]}}
		})
	}
	nem := sim.NewNemesis(s, sim.PickSwarm(s.Rand(), len(nodes)))
	for range 150 {
		nem.RunTick()
	}
	nem.HealAll()
	before := make([]int, len(nodes))
	for i, c := range chatters {
		before[i] = c.got
	}
	s.RunTicks(20)
	for i, c := range chatters {
		r.gotAfter = append(r.gotAfter, c.got-before[i])
	}
	r.trace, r.hash, r.stats = s.Trace(), s.TraceHash(), s.Stats()
	return r
}

// TestDeterminism: one seed gives the same trace twice, byte for byte; the
// hash is the FNV-1a of the text; different seeds give different traces.
func TestDeterminism(t *testing.T) {
	a, b := runChatter(42, true), runChatter(42, true)
	if len(a.trace) == 0 || !bytes.Equal(a.trace, b.trace) || a.hash != b.hash {
		t.Fatalf("seed 42 ran twice: traces of %d and %d bytes, equal %v, hashes %x %x",
			len(a.trace), len(b.trace), bytes.Equal(a.trace, b.trace), a.hash, b.hash)
	}
	h := fnv.New64a()
	h.Write(a.trace)
	if h.Sum64() != a.hash {
		t.Fatalf("TraceHash %x is not the FNV-1a of the trace (%x)", a.hash, h.Sum64())
	}
	if c := runChatter(42, false); c.hash != a.hash {
		t.Fatalf("keeping the trace changed the run: hash %x, want %x", c.hash, a.hash)
	}
	seen := map[uint64]uint64{}
	for seed := uint64(1); seed <= 20; seed++ {
		h := runChatter(seed, false).hash
		if other, dup := seen[h]; dup {
			t.Fatalf("seeds %d and %d gave the same trace", other, seed)
		}
		seen[h] = seed
	}
}

// TestSwarmNetworkModel runs the chatter protocol over many seeds with
// swarm faults and checks the network model's promises: per-pair FIFO
// across link drops, partitions and crashes, intact sections, every node
// reachable again after HealAll. Over the seeds, every kind of fault
// happens.
func TestSwarmNetworkModel(t *testing.T) {
	var total sim.Stats
	for _, seed := range simFlags.List(200, 30, testing.Short()) {
		r := runChatter(seed, false)
		for _, f := range r.failures {
			t.Errorf("seed %d: %s", seed, f)
		}
		for i, n := range r.gotAfter {
			if n == 0 {
				t.Errorf("seed %d: node %d received nothing after heal", seed, i+1)
			}
		}
		if t.Failed() {
			t.Fatal(sim.Reproduce(seed))
		}
		total.Crashes += r.stats.Crashes
		total.Partitions += r.stats.Partitions
		total.LinkDrops += r.stats.LinkDrops
		total.Lost += r.stats.Lost
		total.Refused += r.stats.Refused
	}
	if simFlags.Seed == 0 && (total.Crashes == 0 || total.Partitions == 0 || total.LinkDrops == 0 || total.Lost == 0 || total.Refused == 0) {
		t.Fatalf("some fault never happened over all seeds: %+v", total)
	}
}

// TestTraceLines: the trace shows each kind of event in its text form.
func TestTraceLines(t *testing.T) {
	cfg := sim.DefaultConfig(1)
	cfg.KeepTrace = true
	c := newCluster(t, cfg, 1, 2, 3)
	c.sendOnce(t, 1, sig(2, 1))
	c.s.RunTicks(1)
	c.sendOnce(t, 1, sig(2, 2))
	c.s.DropLink(1, 2)
	c.s.Partition(3)
	c.sendOnce(t, 1, sig(3, 3))
	c.s.Heal()
	c.s.Crash(2)
	c.s.Restart(2)
	c.s.RunTicks(1)
	want := []string{
		" deliver 1/9.0->2/9.0 gsn=1 #1 h=",
		" droplink 1 2\n",
		" partition 3 | 1 2\n",
		" refuse 1->3 gsn=1\n",
		" heal\n",
		" crash 2 unsynced=0 lost=0\n",
		" restart 2\n",
		" lose 1->2 #2\n",
	}
	for _, w := range want {
		if !bytes.Contains(c.s.Trace(), []byte(w)) {
			t.Errorf("trace lacks %q:\n%s", w, c.s.Trace())
		}
	}
	line := regexp.MustCompile(`^[0-9]+\.[0-9]{9} [a-z]+[ \n]`)
	for _, l := range bytes.SplitAfter(c.s.Trace(), []byte("\n")) {
		if len(l) > 0 && !line.Match(l) {
			t.Errorf("trace line %q is not \"seconds.nanoseconds event ...\"", l)
		}
	}
	if c.s.TraceLines() != 8 {
		t.Errorf("%d trace lines, want 8:\n%s", c.s.TraceLines(), c.s.Trace())
	}
}

// TestTraceGolden pins one seed's trace hash, so a seed replays the same on
// every architecture (checked on amd64 and, under qemu, big-endian ppc64)
// and across runs of the test binary. A deliberate change to the
// simulator's draws, or a Go release that changes math/rand/v2's streams,
// changes it: then update the constant.
func TestTraceGolden(t *testing.T) {
	const golden = 0x046b53b858abb74b
	if h := runChatter(42, false).hash; h != golden {
		t.Fatalf("seed 42 trace hash %#016x, pinned %#016x", h, golden)
	}
}
