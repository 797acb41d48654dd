package counter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sim"
)

// Violations the checker reports, wrapped with the details.
var (
	ErrSafety   = errors.New("counter: safety violated")
	ErrLiveness = errors.New("counter: no convergence after heal")
	ErrPanic    = errors.New("counter: a block or the simulator panicked")
)

// Checker watches a simulated cluster from outside the protocol: it counts
// what clients issue and see acknowledged (as their Observer) and reads
// counters and disks through the simulator's test hooks.
type Checker struct {
	s        *sim.Sim
	nodes    []signal.NodeID
	ackCheck bool
	keys     []string // DiskKey of each node
	issued   []uint64 // per origin: increments issued by its clients
	acked    []uint64 // per origin: increments acknowledged
	ackedMax []uint64 // per origin: highest acknowledged sequence number
	err      error
	counts   []uint64
	first    []uint64
	buf      []byte
}

var _ Observer = (*Checker)(nil)

// NewChecker returns a checker for the nodes of s. With ackCheck, every
// acknowledgment is checked against the definition: a majority of the
// nodes' disks durably hold the increment at that moment.
func NewChecker(s *sim.Sim, nodes []signal.NodeID, ackCheck bool) *Checker {
	n := len(nodes)
	k := &Checker{s: s, nodes: nodes, ackCheck: ackCheck, keys: make([]string, n),
		issued: make([]uint64, n), acked: make([]uint64, n), ackedMax: make([]uint64, n)}
	for i, id := range nodes {
		k.keys[i] = DiskKey(id)
	}
	return k
}

func (k *Checker) fail(format string, args ...any) {
	if k.err == nil {
		k.err = fmt.Errorf("%w: t=%v: %s", ErrSafety, k.s.Now(), fmt.Sprintf(format, args...))
	}
}

func (k *Checker) index(id signal.NodeID) int {
	for i, n := range k.nodes {
		if n == id {
			return i
		}
	}
	panic(fmt.Sprintf("counter: checker: unknown node %d", id))
}

// Issued implements Observer.
func (k *Checker) Issued(origin signal.NodeID) { k.issued[k.index(origin)]++ }

// Acknowledged implements Observer.
func (k *Checker) Acknowledged(origin signal.NodeID, seq uint64) {
	i := k.index(origin)
	k.acked[i]++
	k.ackedMax[i] = max(k.ackedMax[i], seq)
	if seq == 0 || seq > k.issued[i] {
		k.fail("node %d acknowledged increment %d, but its clients issued %d", origin, seq, k.issued[i])
	}
	if !k.ackCheck {
		return
	}
	have := 0
	for _, id := range k.nodes {
		if k.durable(id, i) >= seq {
			have++
		}
	}
	if need := len(k.nodes)/2 + 1; have < need {
		k.fail("node %d acknowledged increment %d, durable on %d nodes, a majority is %d", origin, seq, have, need)
	}
}

// durable is node id's durable count of the increments of the origin at
// index i.
func (k *Checker) durable(id signal.NodeID, i int) uint64 {
	b, ok := k.s.Disk(id).Durable(k.buf[:0], k.keys[i])
	k.buf = b
	if !ok {
		return 0
	}
	if len(b) != 8 {
		k.fail("node %d: disk value of %s has %d bytes", id, k.keys[i], len(b))
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// counter returns node id's counter block, or nil when the node is down.
func (k *Checker) counter(id signal.NodeID) *Counter {
	b := k.s.Block(signal.Address{Node: id, Block: BlockCounter})
	if b == nil {
		return nil
	}
	return b.(*Counter)
}

func (k *Checker) client(id signal.NodeID) *Client {
	b := k.s.Block(signal.Address{Node: id, Block: BlockClient})
	if b == nil {
		return nil
	}
	return b.(*Client)
}

// Safety checks what must hold at every moment: no node, in memory or on
// disk, counts more increments of an origin than that origin's clients
// issued. It returns the first violation seen so far, acknowledgment
// checks included.
func (k *Checker) Safety() error {
	for _, id := range k.nodes {
		for i, origin := range k.nodes {
			if d := k.durable(id, i); d > k.issued[i] {
				k.fail("node %d's disk counts %d increments of node %d, only %d issued", id, d, origin, k.issued[i])
			}
		}
		c := k.counter(id)
		if c == nil {
			continue
		}
		k.counts = c.Counts(k.counts[:0])
		for i, v := range k.counts {
			if v > k.issued[i] {
				k.fail("node %d counts %d increments of node %d, only %d issued", id, v, k.nodes[i], k.issued[i])
			}
		}
	}
	return k.err
}

// Converged reports whether the cluster has settled: every node up with
// the same synced counts, no increment pending, every client stopped with
// every increment answered.
func (k *Checker) Converged() bool {
	for j, id := range k.nodes {
		c, cl := k.counter(id), k.client(id)
		if c == nil || cl == nil || !c.Synced() || c.Pending() != 0 || !cl.Stopped() || cl.Outstanding() != 0 {
			return false
		}
		k.counts = c.Counts(k.counts[:0])
		if j == 0 {
			k.first = append(k.first[:0], k.counts...)
			continue
		}
		for i := range k.counts {
			if k.counts[i] != k.first[i] {
				return false
			}
		}
	}
	return true
}

// Final checks a converged cluster: every acknowledged increment is
// counted. Acknowledged increments of an origin carry distinct sequence
// numbers (each was durable at the origin before anyone acknowledged it, so
// no restart reuses it), hence the origin's count is at least their number.
func (k *Checker) Final() error {
	if err := k.Safety(); err != nil {
		return err
	}
	c := k.counter(k.nodes[0])
	k.counts = c.Counts(k.counts[:0])
	var value, acked uint64
	for i, v := range k.counts {
		value += v
		acked += k.acked[i]
		if v < k.acked[i] || v < k.ackedMax[i] {
			k.fail("converged count of node %d's increments is %d, but %d were acknowledged (highest %d)",
				k.nodes[i], v, k.acked[i], k.ackedMax[i])
		}
	}
	if value < acked {
		k.fail("converged value %d is below the %d acknowledged increments", value, acked)
	}
	return k.err
}

// Totals returns the increments issued and acknowledged so far.
func (k *Checker) Totals() (issued, acked uint64) {
	for i := range k.nodes {
		issued += k.issued[i]
		acked += k.acked[i]
	}
	return issued, acked
}
