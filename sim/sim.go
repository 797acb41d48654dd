package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
)

// Errors Env.Send returns. A block treats both like a lost signal.
var (
	// ErrUnreachable: the receiver's node is down, partitioned from the
	// sender or not in the simulation.
	ErrUnreachable = errors.New("sim: node unreachable")
	// ErrOverloaded: Config.MaxInFlight signals are already in flight on
	// the (sender, receiver) pair, as a full send buffer.
	ErrOverloaded = errors.New("sim: send buffer full")
)

// Config is a simulation's fixed parameters. Start from DefaultConfig;
// New panics on a config that fails Validate.
type Config struct {
	// Seed decides every choice the simulator makes.
	Seed uint64
	// TickInterval is the simulated time between two Ticks of every block.
	TickInterval time.Duration
	// MinDelay and MaxDelay bound a signal's network delay, drawn uniformly
	// per signal (SetDelay changes them during a run).
	MinDelay, MaxDelay time.Duration
	// MaxInFlight bounds the signals in flight from one node to another;
	// Send returns ErrOverloaded beyond it.
	MaxInFlight int
	// MaxEventsPerTick bounds the deliveries between two ticks; more means
	// blocks are sending without end, which panics.
	MaxEventsPerTick int
	// KeepTrace keeps the full text of the trace (Trace) besides its hash.
	KeepTrace bool
}

// DefaultConfig returns the defaults for seed.
func DefaultConfig(seed uint64) Config {
	return Config{
		Seed: seed,
		// 10 ms: coarse enough that a second of simulated time is 100
		// ticks, fine enough for protocol timers of tens of milliseconds.
		TickInterval: 10 * time.Millisecond,
		// A LAN: tens of microseconds to a few milliseconds.
		MinDelay: 50 * time.Microsecond,
		MaxDelay: 2 * time.Millisecond,
		// A send buffer of a few thousand signals per peer.
		MaxInFlight: 4096,
		// Far above any sane protocol's traffic in 10 ms of 3 nodes.
		MaxEventsPerTick: 1 << 20,
	}
}

// Validate reports whether c can run. It never changes c.
func (c Config) Validate() error {
	switch {
	case c.TickInterval <= 0:
		return fmt.Errorf("sim: TickInterval %v must be positive", c.TickInterval)
	case c.MinDelay < 0 || c.MaxDelay < c.MinDelay:
		return fmt.Errorf("sim: delay range [%v, %v] is empty or negative", c.MinDelay, c.MaxDelay)
	case c.MaxInFlight <= 0:
		return fmt.Errorf("sim: MaxInFlight %d must be positive", c.MaxInFlight)
	case c.MaxEventsPerTick <= 0:
		return fmt.Errorf("sim: MaxEventsPerTick %d must be positive", c.MaxEventsPerTick)
	}
	return nil
}

// Placed is one block instance of a node and the address (on its node) it
// answers to.
type Placed struct {
	ID       signal.BlockID
	Instance uint16
	Block    block.Block
}

// Factory builds a node's blocks. It is called when the node is added and
// again at every restart; disk is the node's Disk, the only state that
// survives a crash.
type Factory func(disk *Disk) []Placed

// Stats counts what happened in a run.
type Stats struct {
	Ticks      uint64 // simulated ticks (of the whole simulation)
	Sent       uint64 // signals queued by Send
	Delivered  uint64 // signals handled by their receiver
	Lost       uint64 // in-flight signals lost to a link drop, partition or crash
	Refused    uint64 // Sends that returned ErrUnreachable
	Overloaded uint64 // Sends that returned ErrOverloaded
	NoReceiver uint64 // signals whose receiver block did not exist
	Injected   uint64
	LinkDrops  uint64
	Partitions uint64 // Cut and Partition calls that cut at least one link
	Heals      uint64
	Crashes    uint64
	Restarts   uint64
	LostWrites uint64 // unsynced disk writes lost in crashes
}

// Sim runs the blocks of several nodes in one goroutine. Its methods must
// be called from that goroutine and never from inside a block's Handle or
// Tick (faults are injected between steps).
type Sim struct {
	cfg      Config
	rng      *rand.Rand
	now      time.Duration
	nextTick time.Duration
	nodes    []*node
	index    [signal.MaxNodeID + 1]int16 // node id -> position in nodes + 1
	links    [][]link                    // [from][to]
	queue    msgHeap
	seq      uint64
	free     [][]byte // message buffers for reuse
	recv     signal.Signal
	order    []int // scratch: the nodes' tick order
	events   int   // deliveries since the last tick
	inBlock  bool
	tr       tracer
	stats    Stats
}

// node is one simulated node.
type node struct {
	id          signal.NodeID
	pos         int
	factory     Factory
	disk        *Disk
	up          bool
	incarnation uint32
	startedAt   time.Duration
	blocks      []running
	// crashWhen, if set, sees every signal about to be delivered to the
	// node; the first it accepts crashes the node instead (CrashWhen).
	crashWhen func(*signal.Signal) bool
}

type running struct {
	Placed
	env *env
}

// New returns an empty simulation at time 0.
func New(cfg Config) *Sim {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	s := &Sim{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		nextTick: cfg.TickInterval,
	}
	s.tr.keep = cfg.KeepTrace
	s.tr.hash = fnvOffset
	return s
}

// AddNode adds node id, calls f for its blocks and starts it. Ids are
// 1..signal.MaxNodeID and unique.
func (s *Sim) AddNode(id signal.NodeID, f Factory) {
	s.notInBlock("AddNode")
	if id == 0 || id > signal.MaxNodeID || s.index[id] != 0 {
		panic(fmt.Sprintf("sim: bad or duplicate node id %d", id))
	}
	n := &node{id: id, pos: len(s.nodes), factory: f, disk: newDisk()}
	s.nodes = append(s.nodes, n)
	s.index[id] = int16(n.pos + 1)
	for i := range s.links {
		s.links[i] = append(s.links[i], link{})
	}
	s.links = append(s.links, make([]link, len(s.nodes)))
	s.order = append(s.order, n.pos)
	s.start(n)
}

// start runs n's factory and makes n live.
func (s *Sim) start(n *node) {
	n.up = true
	n.startedAt = s.now
	placed := n.factory(n.disk)
	n.blocks = make([]running, 0, len(placed))
	for _, p := range placed {
		if p.Block == nil {
			panic(fmt.Sprintf("sim: node %d: nil block %d.%d", n.id, p.ID, p.Instance))
		}
		if n.lookup(p.ID, p.Instance) != nil {
			panic(fmt.Sprintf("sim: node %d: block %d.%d placed twice", n.id, p.ID, p.Instance))
		}
		self := signal.Address{Node: n.id, Block: p.ID, Instance: p.Instance}
		e := &env{s: s, n: n, self: self, incarnation: n.incarnation}
		n.blocks = append(n.blocks, running{Placed: p, env: e})
	}
}

func (n *node) lookup(id signal.BlockID, instance uint16) *running {
	for i := range n.blocks {
		if r := &n.blocks[i]; r.ID == id && r.Instance == instance {
			return r
		}
	}
	return nil
}

// node returns node id; an unknown id is the caller's bug.
func (s *Sim) node(id signal.NodeID) *node {
	if i := s.index[id]; i > 0 {
		return s.nodes[i-1]
	}
	panic(fmt.Sprintf("sim: no node %d", id))
}

func (s *Sim) notInBlock(what string) {
	if s.inBlock {
		panic("sim: " + what + " called from inside a block")
	}
}

// Now is the simulated time since the simulation started.
func (s *Sim) Now() time.Duration { return s.now }

// Rand is the simulation's random source, for the harness (faults,
// workloads) so that one seed decides everything.
func (s *Sim) Rand() *rand.Rand { return s.rng }

// Stats returns the counts so far.
func (s *Sim) Stats() Stats { return s.stats }

// Nodes returns the node ids in the order they were added.
func (s *Sim) Nodes() []signal.NodeID {
	ids := make([]signal.NodeID, len(s.nodes))
	for i, n := range s.nodes {
		ids[i] = n.id
	}
	return ids
}

// Up reports whether node id is running.
func (s *Sim) Up(id signal.NodeID) bool { return s.node(id).up }

// Disk returns node id's disk (it exists while the node is down too).
func (s *Sim) Disk(id signal.NodeID) *Disk { return s.node(id).disk }

// Block returns the block at addr, or nil when its node is down or it has
// no such block. It is a test hook: checkers read block state through it.
func (s *Sim) Block(addr signal.Address) block.Block {
	n := s.node(addr.Node)
	if !n.up {
		return nil
	}
	if r := n.lookup(addr.Block, addr.Instance); r != nil {
		return r.Block
	}
	return nil
}

// TraceHash is the FNV-1a hash of the trace so far: equal for two runs
// exactly when their traces are equal (barring a collision).
func (s *Sim) TraceHash() uint64 { return s.tr.hash }

// Trace is the full text of the trace, one line per event, when
// Config.KeepTrace is set (else nil). The slice is the simulator's.
func (s *Sim) Trace() []byte { return s.tr.full }

// TraceLines is the number of events traced so far.
func (s *Sim) TraceLines() uint64 { return s.tr.lines }

// SetDelay changes the network delay range for signals sent from now on.
func (s *Sim) SetDelay(lo, hi time.Duration) {
	s.notInBlock("SetDelay")
	if lo < 0 || hi < lo {
		panic(fmt.Sprintf("sim: delay range [%v, %v] is empty or negative", lo, hi))
	}
	s.cfg.MinDelay, s.cfg.MaxDelay = lo, hi
}

// RunTicks runs the simulation through n more ticks: every signal due
// before each tick is delivered, then every live block is ticked.
func (s *Sim) RunTicks(n int) {
	s.notInBlock("RunTicks")
	if n > 0 {
		s.RunUntil(s.nextTick + time.Duration(n-1)*s.cfg.TickInterval)
	}
}

// NextTick is the simulated time of the next tick.
func (s *Sim) NextTick() time.Duration { return s.nextTick }

// RunUntil runs the simulation up to time t: every delivery and tick due
// at or before t happens (a delivery due at a tick's time goes first), then
// the clock reads t. A harness uses it to inject a fault between two
// deliveries, at any moment, not only at tick boundaries.
func (s *Sim) RunUntil(t time.Duration) {
	s.notInBlock("RunUntil")
	for {
		if s.queue.len() > 0 && s.queue.top().at <= s.nextTick && s.queue.top().at <= t {
			if s.events == s.cfg.MaxEventsPerTick {
				panic(fmt.Sprintf("sim: more than %d deliveries before tick %d: blocks send without end",
					s.events, s.stats.Ticks+1))
			}
			s.events++
			m := s.queue.pop()
			s.now = m.at
			s.deliver(&m)
			continue
		}
		if s.nextTick > t {
			break
		}
		s.tick()
	}
	s.now = max(s.now, t)
}

func (s *Sim) tick() {
	s.now = s.nextTick
	s.nextTick += s.cfg.TickInterval
	s.events = 0
	s.stats.Ticks++
	// Nodes tick in a random order each time; blocks within a node in the
	// order the factory placed them, as a node's runtime would.
	s.rng.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
	for _, pos := range s.order {
		n := s.nodes[pos]
		for i := 0; n.up && i < len(n.blocks); i++ {
			r := &n.blocks[i]
			s.inBlock = true
			r.Block.Tick(r.env)
			s.inBlock = false
		}
	}
}

// Inject hands sig to the block at to now, as if from outside the cluster
// (a management client): encoded and decoded through the codec like any
// signal, with a zero Sender. It returns ErrUnreachable when the node is
// down or has no such block.
func (s *Sim) Inject(to signal.Address, sig *signal.Signal) error {
	s.notInBlock("Inject")
	n := s.node(to.Node)
	r := n.lookup(to.Block, to.Instance)
	if !n.up || r == nil {
		return ErrUnreachable
	}
	tmp := *sig
	tmp.Sender, tmp.Receiver = signal.Address{}, to
	buf, err := signal.AppendSignal(s.getBuf(), &tmp)
	if err != nil {
		s.putBuf(buf)
		return err
	}
	s.decode(buf)
	s.stats.Injected++
	s.tr.begin(s.now, "inject ")
	s.tr.addr(to)
	s.tr.num("gsn=", uint64(s.recv.Number))
	s.tr.hex("h=", contentHash(buf))
	s.tr.end()
	s.handle(r, buf)
	return nil
}
