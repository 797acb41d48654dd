package node

import (
	"encoding/binary"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/gossip"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Gossip configures the data node's gossip member (datanode/gossip,
// memberlist): a second opinion on data node failures for QMGR, which
// suspects a node gossip reports dead as soon as it has missed one
// heartbeat (datanode/qmgr, "Gossip, a second opinion"). It runs only
// with Membership.Enabled.
type Gossip struct {
	// Enabled starts the member.
	Enabled bool
	// BindAddr is the IP address to listen on, UDP and TCP ("": every
	// interface; the member advertises a private address of the host).
	BindAddr string
	// Port is the port (0: an ephemeral one; GossipAddr tells it).
	Port int
	// Seeds are other data nodes' gossip addresses (host:port) known from
	// the configuration. They are not needed: every node also sends its
	// gossip address to the data nodes gossip does not hold alive, over
	// the transporter (GOSSIP_ADDRREP), every gossip RejoinInterval.
	Seeds []string
	// Adjust, if set, changes the member's configuration after it is
	// derived from HeartbeatIntervalDbDb (gossip.ConfigFor; tests: faster
	// probes).
	Adjust func(*gossip.Config)
}

// gossipConfig derives the gossip member's configuration from the
// membership's; OnEvent is the QMGR wrapper's to set.
func (n *Node) gossipConfig(hb time.Duration) (gossip.Config, error) {
	g := n.cfg.Membership.Gossip
	gc := gossip.ConfigFor(hb)
	gc.Node, gc.BindAddr, gc.BindPort = n.cfg.NodeID, g.BindAddr, g.Port
	gc.Seeds = append([]string(nil), g.Seeds...)
	gc.Logger = n.log
	if g.Adjust != nil {
		g.Adjust(&gc)
	}
	return gc, gc.Validate()
}

// gossipQMGR is the node's QMGR with its gossip member: it starts the
// member at its first tick (on a goroutine: binding sockets is no work
// for a block's thread), hands QMGR each change of the member's opinion
// as a GOSSIP_REP sent on the thread, and tells the other data nodes its
// gossip address (GOSSIP_ADDRREP, taken here, never by QMGR). Close, at
// the node's Stop, shuts the member down without Leave: to the others
// the node crashed.
type gossipQMGR struct {
	*qmgr.QMGR
	n   *Node
	cfg gossip.Config

	mu      sync.Mutex
	pending [signal.MaxNodeID + 1]gossip.State // opinions not yet told to QMGR
	dirty   qmgr.NodeSet
	member  *gossip.Member
	closed  bool

	started   atomic.Bool
	startDone chan struct{}

	// On the block's thread.
	known    [signal.MaxNodeID + 1]gossip.State // opinions told to QMGR
	nextAddr time.Duration
	addr     [5]uint32 // GOSSIP_ADDRREP's words for this member (addr[0], the port, 0: not yet)
	out      signal.Signal
}

var (
	_ block.Block = (*gossipQMGR)(nil)
	_ Closer      = (*gossipQMGR)(nil)
)

func newGossipQMGR(n *Node, q *qmgr.QMGR, cfg gossip.Config) *gossipQMGR {
	g := &gossipQMGR{QMGR: q, n: n, cfg: cfg, startDone: make(chan struct{})}
	g.cfg.OnEvent = g.onGossip
	return g
}

// Handle takes GOSSIP_ADDRREP and hands every other signal to QMGR.
func (g *gossipQMGR) Handle(env block.Env, s *signal.Signal) {
	if s.Number == gsn.GOSSIP_ADDRREP {
		g.addrRep(s)
		return
	}
	g.QMGR.Handle(env, s)
}

// Tick starts the member once, sends QMGR the new opinions and the other
// data nodes this node's address, then ticks QMGR.
func (g *gossipQMGR) Tick(env block.Env) {
	if !g.started.Swap(true) {
		go g.start()
	}
	g.deliver(env)
	g.tellAddr(env)
	g.QMGR.Tick(env)
}

// start creates the member. A member that cannot start (its port taken,
// an address the host lacks) leaves QMGR to its heartbeats.
func (g *gossipQMGR) start() {
	defer close(g.startDone)
	m, err := gossip.Create(g.cfg)
	if err != nil {
		g.n.log.Error("gossip: not started; data node failures are detected by heartbeats alone", "err", err)
		return
	}
	g.mu.Lock()
	closed := g.closed
	if !closed {
		g.member = m
	}
	g.mu.Unlock()
	if closed {
		_ = m.Shutdown()
	}
}

func (g *gossipQMGR) memberNow() *gossip.Member {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.member
}

// onGossip is the member's OnEvent (memberlist's goroutines, its locks
// held): it only records the opinion for the next tick.
func (g *gossipQMGR) onGossip(e gossip.Event) {
	if !g.n.isDataNode(e.Node) {
		return
	}
	g.mu.Lock()
	g.pending[e.Node] = e.State
	g.dirty.Add(e.Node)
	g.mu.Unlock()
}

// deliver sends QMGR a GOSSIP_REP for every opinion that changed since
// the last tick.
func (g *gossipQMGR) deliver(env block.Env) {
	g.mu.Lock()
	if g.dirty.Empty() {
		g.mu.Unlock()
		return
	}
	dirty := g.dirty
	g.dirty = qmgr.NodeSet{}
	var states [signal.MaxNodeID + 1]gossip.State
	for i := range states {
		if dirty.Has(signal.NodeID(i)) {
			states[i] = g.pending[i]
		}
	}
	g.mu.Unlock()
	for i, st := range states {
		if st == 0 {
			continue
		}
		g.known[i] = st
		g.out.Reset()
		g.out.Number = gsn.GOSSIP_REP
		g.out.Receiver = env.Self()
		g.out.SetWords(uint32(i), uint32(qmgrState(st)))
		_ = env.Send(&g.out) // to this thread: only a bug refuses it
	}
}

// qmgrState is GOSSIP_REP's word for a gossip state.
func qmgrState(s gossip.State) qmgr.GossipState {
	switch s {
	case gossip.Alive:
		return qmgr.GossipAlive
	case gossip.Dead:
		return qmgr.GossipDead
	case gossip.Left:
		return qmgr.GossipLeft
	}
	return qmgr.GossipUnknown
}

// tellAddr sends this node's gossip address to every data node gossip
// does not hold alive, every RejoinInterval.
func (g *gossipQMGR) tellAddr(env block.Env) {
	now := env.Now()
	if now < g.nextAddr {
		return
	}
	g.nextAddr = now + g.cfg.RejoinInterval
	if g.addr[0] == 0 && !g.encodeAddr() {
		return
	}
	for _, d := range g.n.cfg.DataNodes {
		if d.ID == g.n.cfg.NodeID || g.known[d.ID] == gossip.Alive {
			continue
		}
		g.out.Reset()
		g.out.Number = gsn.GOSSIP_ADDRREP
		g.out.Receiver = signal.Address{Node: d.ID, Block: gsn.BlockQMGR}
		g.out.SetWords(g.addr[:]...)
		_ = env.Send(&g.out) // not connected yet: the next round sends it again
	}
}

// encodeAddr fills g.addr from the member's address once it runs.
func (g *gossipQMGR) encodeAddr() bool {
	m := g.memberNow()
	if m == nil {
		return false
	}
	host, port, err := net.SplitHostPort(m.Addr())
	ip := net.ParseIP(host).To16()
	p, perr := strconv.Atoi(port)
	if err != nil || ip == nil || perr != nil || p <= 0 || p > 65535 {
		return false
	}
	g.addr[0] = uint32(p)
	for i := 0; i < 4; i++ {
		g.addr[1+i] = binary.LittleEndian.Uint32(ip[4*i:])
	}
	return true
}

// addrRep takes another data node's gossip address (GOSSIP_ADDRREP): the
// member joins it unless it is an alive member already.
func (g *gossipQMGR) addrRep(s *signal.Signal) {
	from := s.Sender.Node
	if s.NumWords < 5 || from == g.n.cfg.NodeID || !g.n.isDataNode(from) || s.Words[0] == 0 || s.Words[0] > 65535 {
		return
	}
	ip := make(net.IP, net.IPv6len)
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint32(ip[4*i:], s.Words[1+i])
	}
	if ip.IsUnspecified() {
		return
	}
	if m := g.memberNow(); m != nil {
		m.AddSeed(from, net.JoinHostPort(ip.String(), strconv.Itoa(int(s.Words[0]))))
	}
}

// Close implements Closer: it shuts the member down (no Leave).
func (g *gossipQMGR) Close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	if g.started.Load() {
		<-g.startDone
	}
	g.mu.Lock()
	m := g.member
	g.member = nil
	g.mu.Unlock()
	if m == nil {
		return nil
	}
	return m.Shutdown()
}

// isDataNode reports whether id is a data node of the configuration.
func (n *Node) isDataNode(id signal.NodeID) bool {
	for _, d := range n.cfg.DataNodes {
		if d.ID == id {
			return true
		}
	}
	return false
}

// gossipMember is the node's gossip member, nil when it runs none (or it
// has not started yet, or failed to).
func (n *Node) gossipMember() *gossip.Member {
	if g, ok := n.blocks[blockKey(gsn.BlockQMGR, 0)].(*gossipQMGR); ok {
		return g.memberNow()
	}
	return nil
}

// GossipAddr is the gossip member's advertised host:port ("" when the
// node runs none, or it has not started yet: it starts at the first tick
// of QMGR's thread).
func (n *Node) GossipAddr() string {
	if m := n.gossipMember(); m != nil {
		return m.Addr()
	}
	return ""
}

// LeaveGossip tells the other data nodes' gossip members that this node
// is going (they take it for left, and their QMGRs suspect it at its
// first missed heartbeat), waiting at most timeout. A planned stop calls
// it before Stop; without it the others see a crash.
func (n *Node) LeaveGossip(timeout time.Duration) error {
	if m := n.gossipMember(); m != nil {
		return m.Leave(timeout)
	}
	return nil
}
