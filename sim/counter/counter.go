package counter

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
)

// Disk is the durable storage a Counter needs; *sim.Disk implements it.
// Writes are durable only after Sync.
type Disk interface {
	Put(key string, value []byte)
	Get(dst []byte, key string) ([]byte, bool)
	Sync()
}

// Variant selects the protocol: Correct, or one of the deliberately broken
// versions the tests use to show the checker fails.
type Variant uint8

const (
	// Correct: acknowledge once a majority durably holds the increment.
	Correct Variant = 0
	// AckOnOne acknowledges once the origin alone has synced it.
	AckOnOne Variant = 1
	// AckBeforeSync advertises in-memory (unsynced) counts and
	// acknowledges on them: a crash can lose an acknowledged increment.
	AckBeforeSync Variant = 2
	// AddOnMerge adds the growth a peer reports instead of taking the
	// maximum, so an increment relayed by two peers counts twice.
	AddOnMerge Variant = 3
)

func (v Variant) String() string {
	switch v {
	case Correct:
		return "correct"
	case AckOnOne:
		return "ack-on-one"
	case AckBeforeSync:
		return "ack-before-sync"
	case AddOnMerge:
		return "add-on-merge"
	}
	return "variant(" + strconv.Itoa(int(v)) + ")"
}

// Config is one Counter's configuration.
type Config struct {
	// Nodes is the cluster, in the same order on every node.
	Nodes []signal.NodeID
	// Self is this node; it must be in Nodes.
	Self signal.NodeID
	// ResendTicks is the anti-entropy period: every ResendTicks ticks the
	// counter sends its durable counts to every peer, which repairs any
	// loss. 10 ticks: 100 ms at the simulator's default tick.
	ResendTicks int
	// MaxPending bounds the increments waiting for a majority; more are
	// refused (GsnIncrRef).
	MaxPending int
	Variant    Variant
}

// DefaultConfig returns the configuration of node self in a cluster.
func DefaultConfig(nodes []signal.NodeID, self signal.NodeID) Config {
	return Config{Nodes: nodes, Self: self, ResendTicks: 10, MaxPending: 64}
}

// pending is an increment waiting for a majority.
type pending struct {
	seq    uint64
	req    uint32
	client signal.Address
}

// Counter is the replicated counter's block: a grow-only counter per origin
// node (a G-counter), each count persisted before it is advertised.
type Counter struct {
	block.Handlers
	cfg  Config
	self int
	disk Disk
	keys []string

	mem     []uint64   // counts[i] for origin i, possibly unsynced
	durable []uint64   // counts as of the last Sync: all a peer is told
	peers   [][]uint64 // peers[p]: what node p told us it durably holds
	dirty   bool       // mem has writes not yet synced
	owe     []bool     // owe[p]: p's view differs from ours; tell it at the next tick
	ticks   int
	pending []pending

	out signal.Signal // scratch for sends
	vec []byte        // scratch for the GsnState section
	val [8]byte       // scratch for disk values
}

var _ block.Block = (*Counter)(nil)

// NewCounter returns node cfg.Self's counter, reading its counts from disk.
func NewCounter(cfg Config, disk Disk) *Counter {
	n := len(cfg.Nodes)
	if n == 0 || 8*n > signal.MaxSectionBytes || cfg.ResendTicks <= 0 || cfg.MaxPending <= 0 {
		panic(fmt.Sprintf("counter: bad config %+v", cfg))
	}
	c := &Counter{cfg: cfg, self: -1, disk: disk,
		keys: make([]string, n), mem: make([]uint64, n), durable: make([]uint64, n),
		peers: make([][]uint64, n), owe: make([]bool, n), vec: make([]byte, 8*n),
		pending: make([]pending, 0, cfg.MaxPending)}
	var buf []byte
	for i, id := range cfg.Nodes {
		if id == cfg.Self {
			c.self = i
		}
		c.keys[i] = DiskKey(id)
		c.peers[i] = make([]uint64, n)
		if b, ok := disk.Get(buf[:0], c.keys[i]); ok {
			c.mem[i] = binary.LittleEndian.Uint64(b)
			buf = b
		}
	}
	if c.self < 0 {
		panic(fmt.Sprintf("counter: node %d is not in %v", cfg.Self, cfg.Nodes))
	}
	copy(c.durable, c.mem)
	c.On(GsnIncrReq, c.onIncrReq)
	c.On(GsnState, c.onState)
	return c
}

// DiskKey is the disk key of origin node id's count: 8 bytes little-endian.
func DiskKey(id signal.NodeID) string { return "count/" + strconv.Itoa(int(id)) }

// Handle runs one signal.
func (c *Counter) Handle(env block.Env, s *signal.Signal) {
	if !c.Dispatch(env, s) {
		panic(fmt.Sprintf("counter: node %d: unknown signal %d from %v", c.cfg.Self, s.Number, s.Sender))
	}
}

// onIncrReq counts one increment of this node's clients: in memory and on
// disk now, advertised after the next Sync.
func (c *Counter) onIncrReq(env block.Env, s *signal.Signal) {
	req := s.Words[0]
	if len(c.pending) == c.cfg.MaxPending {
		c.reply(env, s.Sender, GsnIncrRef, req, 0)
		return
	}
	c.mem[c.self]++
	c.persist(c.self)
	c.pending = append(c.pending, pending{seq: c.mem[c.self], req: req, client: s.Sender})
	if c.cfg.Variant == AckBeforeSync {
		c.advertise(env, -1)
		c.confirm(env)
	}
}

// onState merges a peer's durable counts (elementwise maximum, so a
// repeated or reordered GsnState changes nothing) and learns what the peer
// durably holds, which may complete a majority.
func (c *Counter) onState(env block.Env, s *signal.Signal) {
	n := len(c.cfg.Nodes)
	sec := s.Section(0)
	p := c.index(s.Sender.Node)
	if s.NumWords < 1 || int(s.Words[0]) != n || len(sec) != 8*n || p < 0 || p == c.self {
		return // a peer with another configuration: ignore (a real block logs it)
	}
	changed := false
	for i := range n {
		v := binary.LittleEndian.Uint64(sec[8*i:])
		old := c.peers[p][i]
		if v > old {
			c.peers[p][i] = v
		}
		switch {
		case c.cfg.Variant == AddOnMerge && v > old:
			c.mem[i] += v - old
			c.persist(i)
			changed = true
		case c.cfg.Variant != AddOnMerge && v > c.mem[i]:
			c.mem[i] = v
			c.persist(i)
			changed = true
		}
		if v != c.advertised()[i] {
			c.owe[p] = true
		}
	}
	if c.cfg.Variant == AckBeforeSync && changed {
		c.advertise(env, -1)
	}
	c.confirm(env)
}

// Tick syncs what changed since the last tick (group commit), advertises
// it, and resends to every peer each ResendTicks (anti-entropy).
func (c *Counter) Tick(env block.Env) {
	c.ticks++
	changed := c.dirty
	if c.dirty {
		c.disk.Sync()
		copy(c.durable, c.mem)
		c.dirty = false
	}
	if changed || c.ticks%c.cfg.ResendTicks == 0 {
		c.advertise(env, -1)
	} else {
		for p, owe := range c.owe {
			if owe {
				c.advertise(env, p)
			}
		}
	}
	c.confirm(env)
}

// advertised is what this node tells peers it holds: its durable counts
// (its in-memory ones in the AckBeforeSync variant).
func (c *Counter) advertised() []uint64 {
	if c.cfg.Variant == AckBeforeSync {
		return c.mem
	}
	return c.durable
}

// advertise sends GsnState to peer p, or to every peer when p < 0. A send
// error is a lost signal: anti-entropy repeats it.
func (c *Counter) advertise(env block.Env, p int) {
	for i, v := range c.advertised() {
		binary.LittleEndian.PutUint64(c.vec[8*i:], v)
	}
	c.out.Reset()
	c.out.Number = GsnState
	c.out.SetWords(uint32(len(c.cfg.Nodes)))
	c.out.AddSection(c.vec)
	for i, id := range c.cfg.Nodes {
		if i == c.self || p >= 0 && i != p {
			continue
		}
		c.out.Receiver = signal.Address{Node: id, Block: BlockCounter}
		_ = env.Send(&c.out)
		c.owe[i] = false
	}
}

// confirm acknowledges, in order, the pending increments a majority now
// durably holds.
func (c *Counter) confirm(env block.Env) {
	done := 0
	for _, p := range c.pending {
		if !c.quorum(p.seq) || c.reply(env, p.client, GsnIncrConf, p.req, p.seq) != nil {
			break
		}
		done++
	}
	c.pending = append(c.pending[:0], c.pending[done:]...)
}

// quorum reports whether enough nodes durably hold this node's count seq.
// Nodes only ever advertise durable counts, so a peer's report is a lower
// bound of what survives its crashes.
func (c *Counter) quorum(seq uint64) bool {
	need := len(c.cfg.Nodes)/2 + 1
	if c.cfg.Variant == AckOnOne {
		need = 1
	}
	have := 0
	if c.advertised()[c.self] >= seq {
		have++
	}
	for p := range c.cfg.Nodes {
		if p != c.self && c.peers[p][c.self] >= seq {
			have++
		}
	}
	return have >= need
}

func (c *Counter) reply(env block.Env, to signal.Address, n signal.Number, req uint32, seq uint64) error {
	c.out.Reset()
	c.out.Number = n
	c.out.Receiver = to
	c.out.SetWords(req, uint32(seq), uint32(seq>>32))
	return env.Send(&c.out)
}

func (c *Counter) persist(i int) {
	binary.LittleEndian.PutUint64(c.val[:], c.mem[i])
	c.disk.Put(c.keys[i], c.val[:])
	c.dirty = true
}

func (c *Counter) index(id signal.NodeID) int {
	for i, n := range c.cfg.Nodes {
		if n == id {
			return i
		}
	}
	return -1
}

// Test hooks, for checkers outside the protocol.

// Counts appends the in-memory count of each origin (Config.Nodes order).
func (c *Counter) Counts(dst []uint64) []uint64 { return append(dst, c.mem...) }

// Value is the counter's value: the sum of its counts.
func (c *Counter) Value() uint64 {
	var v uint64
	for _, x := range c.mem {
		v += x
	}
	return v
}

// Synced reports whether every count is durable.
func (c *Counter) Synced() bool { return !c.dirty }

// Pending is the number of increments waiting for a majority.
func (c *Counter) Pending() int { return len(c.pending) }
