package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/hashicorp/memberlist"
)

// State is what the gossip cluster says of a member. The numbers are
// those of GOSSIP_REP's w1 (qmgr.GossipState).
type State uint8

const (
	// Alive: the member joined, or came back (it refuted being dead, or
	// restarted).
	Alive State = 1
	// 2 would be suspect: memberlist tells its delegates nothing about
	// suspicion (v0.7.0), so it is never reported.

	// Dead: the member failed its probes, direct and through other
	// members, and did not refute the suspicion in time.
	Dead State = 3
	// Left: the member said goodbye (Leave).
	Left State = 4
)

func (s State) String() string {
	switch s {
	case Alive:
		return "alive"
	case Dead:
		return "dead"
	case Left:
		return "left"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Event is one change of another member's state.
type Event struct {
	Node  signal.NodeID
	State State
	Addr  string // the member's host:port
}

// MemberState is one member as this member last heard of it.
type MemberState struct {
	Node  signal.NodeID
	State State
	Addr  string
	Since time.Time // when this member learnt the state
}

// ErrShutdown: the member was shut down.
var ErrShutdown = errors.New("gossip: member shut down")

// Member is a data node's member of the gossip cluster. See the package
// doc.
type Member struct {
	cfg  Config
	log  *slog.Logger
	ml   *memberlist.Memberlist
	addr string // the advertised host:port
	port int

	mu        sync.Mutex
	members   map[signal.NodeID]*MemberState
	nodeSeeds map[signal.NodeID]string // AddSeed's, by node
	seeds     []string                 // Config.Seeds

	// life orders Leave before Shutdown (memberlist panics on a Leave
	// after its Shutdown); down is set by Shutdown, under it.
	life    sync.Mutex
	left    bool
	down    atomic.Bool
	leaving atomic.Bool // this member's meta says it is leaving (Leave)

	poke chan struct{} // wakes the rejoin loop (AddSeed)
	stop chan struct{}
	done chan struct{}
}

// Create starts a member: it binds the address, and joins the seeds in
// the background (again every RejoinInterval while some are not alive
// members).
func Create(cfg Config) (*Member, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Member{cfg: cfg, log: cfg.Logger, members: map[signal.NodeID]*MemberState{},
		nodeSeeds: map[signal.NodeID]string{}, seeds: slices.Clone(cfg.Seeds),
		poke: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.log = m.log.With("gossip", cfg.Node)
	mc := memberlist.DefaultLANConfig()
	mc.Name = strconv.Itoa(int(cfg.Node))
	mc.BindAddr = cfg.BindAddr
	if mc.BindAddr == "" {
		mc.BindAddr = "0.0.0.0"
	}
	mc.BindPort, mc.AdvertisePort = cfg.BindPort, cfg.BindPort
	mc.Label = cfg.Label
	mc.ProbeInterval, mc.ProbeTimeout = cfg.ProbeInterval, cfg.ProbeTimeout
	mc.SuspicionMult = cfg.SuspicionMult
	mc.GossipInterval = cfg.GossipInterval
	mc.PushPullInterval, mc.GossipToTheDeadTime = cfg.PushPullInterval, cfg.PushPullInterval
	mc.TCPTimeout = cfg.TCPTimeout
	// A restarted node (another ephemeral port) takes its name back as
	// soon as the old incarnation is dead or left.
	mc.DeadNodeReclaimTime = cfg.ProbeInterval
	mc.Logger = newLogger(m.log)
	mc.Events = (*events)(m)
	mc.Delegate = (*delegate)(m)
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("gossip: node %d on %s: %w", cfg.Node, net.JoinHostPort(mc.BindAddr, strconv.Itoa(cfg.BindPort)), err)
	}
	// Create wrote the bound port into mc; the local node's address is
	// written once, by Create.
	self := ml.LocalNode()
	m.ml, m.port = ml, int(self.Port)
	m.addr = net.JoinHostPort(self.Addr.String(), strconv.Itoa(m.port))
	m.log.Info("gossip member started", "addr", m.addr, "seeds", len(cfg.Seeds))
	go m.rejoinLoop()
	return m, nil
}

// Addr is the advertised host:port (with the port bound when BindPort
// was 0).
func (m *Member) Addr() string { return m.addr }

// Port is the port bound.
func (m *Member) Port() int { return m.port }

// Join joins the members at addrs (host:port) now and returns how many
// answered; an error means none did.
func (m *Member) Join(addrs ...string) (int, error) {
	if m.down.Load() {
		return 0, ErrShutdown
	}
	return m.ml.Join(addrs)
}

// AddSeed records node's member address; the member joins it in the
// background unless node is an alive member already (a later AddSeed of
// the same node replaces the address). It never blocks.
func (m *Member) AddSeed(node signal.NodeID, addr string) {
	if node == m.cfg.Node {
		return
	}
	m.mu.Lock()
	changed := m.nodeSeeds[node] != addr
	m.nodeSeeds[node] = addr
	st := m.members[node]
	alive := st != nil && st.State == Alive
	m.mu.Unlock()
	if changed && !alive {
		select {
		case m.poke <- struct{}{}:
		default:
		}
	}
}

// Members returns the other members as this member last heard of them,
// in node id order.
func (m *Member) Members() []MemberState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]MemberState, 0, len(m.members))
	for _, s := range m.members {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b MemberState) int { return int(a.Node) - int(b.Node) })
	return out
}

// State returns what this member last heard of node (0: nothing).
func (m *Member) State(node signal.NodeID) State {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.members[node]; s != nil {
		return s.State
	}
	return 0
}

// Leave tells the other members this one is going (they see it Left),
// waiting at most timeout in all for its messages to go out. Shutdown
// must follow. It does nothing after Shutdown or a first Leave.
func (m *Member) Leave(timeout time.Duration) error {
	m.life.Lock()
	defer m.life.Unlock()
	if m.down.Load() || m.left {
		return nil
	}
	m.left = true
	// memberlist's delegates cannot tell a member that left from a dead
	// one (both are NotifyLeave), so the member first says in its meta
	// that it is leaving, and the others take its end for Left.
	// (Should the meta not reach a member first, it sees Dead: gone
	// either way.)
	deadline := time.Now().Add(timeout)
	m.leaving.Store(true)
	if err := m.ml.UpdateNode(timeout / 2); err != nil {
		m.log.Debug("gossip: announcing the leave", "err", err)
	}
	return m.ml.Leave(max(time.Until(deadline), time.Millisecond))
}

// Shutdown stops the member: its sockets and goroutines (a join still
// waiting for a seed's answer ends on its own, within TCPTimeout, and
// reports nothing). Without Leave before, the others take it for
// crashed. Later calls do nothing.
func (m *Member) Shutdown() error {
	m.life.Lock()
	defer m.life.Unlock()
	if m.down.Load() {
		return nil
	}
	m.down.Store(true)
	close(m.stop)
	<-m.done
	err := m.ml.Shutdown()
	m.log.Info("gossip member stopped")
	return err
}

// joinResult is what one background Join got.
type joinResult struct {
	addrs []string
	n     int
	err   error
}

// rejoinLoop joins the seeds that are not alive members: at once, every
// RejoinInterval, and when AddSeed brings a new one. One Join runs at a
// time, on a goroutine of its own, so that Shutdown never waits for a
// seed that does not answer.
func (m *Member) rejoinLoop() {
	defer close(m.done)
	t := time.NewTicker(m.cfg.RejoinInterval)
	defer t.Stop()
	results := make(chan joinResult, 1)
	joining, due := false, true
	failures := 0
	for {
		if due && !joining {
			due = false
			if addrs := m.toJoin(); len(addrs) > 0 {
				joining = true
				go func() {
					n, err := m.ml.Join(addrs)
					results <- joinResult{addrs, n, err}
				}()
			}
		}
		select {
		case <-m.stop:
			return
		case <-t.C:
			due = true
		case <-m.poke:
			due = true
		case r := <-results:
			joining = false
			if r.n == 0 {
				// Expected while the other data nodes start or are down.
				failures++
				if failures == 1 || failures%30 == 0 {
					m.log.Info("gossip: no seed answered yet", "seeds", r.addrs, "tries", failures, "err", r.err)
				}
				break
			}
			failures = 0
			m.log.Debug("gossip: joined", "seeds", r.addrs, "answered", r.n)
		}
	}
}

// toJoin lists the seeds that no alive member holds.
func (m *Member) toJoin() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	alive := map[string]bool{m.addr: true}
	for _, s := range m.members {
		if s.State == Alive {
			alive[s.Addr] = true
		}
	}
	var out []string
	for _, a := range m.seeds {
		if !alive[a] && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for n, a := range m.nodeSeeds {
		if s := m.members[n]; (s == nil || s.State != Alive) && !alive[a] && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// events is the Member as memberlist's EventDelegate. memberlist calls it
// with its node lock held, and its Node is memberlist's: read it here
// only.
type events Member

func (e *events) NotifyJoin(n *memberlist.Node)   { (*Member)(e).note(n, Alive) }
func (e *events) NotifyUpdate(n *memberlist.Node) { (*Member)(e).note(n, Alive) }
func (e *events) NotifyLeave(n *memberlist.Node) {
	st := Dead
	if len(n.Meta) > 0 && n.Meta[0]&metaLeaving != 0 {
		st = Left
	}
	(*Member)(e).note(n, st)
}

var _ memberlist.EventDelegate = (*events)(nil)

// A member's meta (memberlist's NodeMeta, carried in its alive messages)
// is one byte of flags.
const (
	// metaLeaving: the member is leaving (Leave); its end is Left, not
	// Dead. (memberlist v0.7.0 marks a member that left StateLeft in its
	// own node map but gives delegates a Node whose State is always
	// StateAlive.)
	metaLeaving = 1 << 0
)

// delegate is the Member as memberlist's Delegate: it only provides the
// meta; the member sends no messages or state of its own.
type delegate Member

func (d *delegate) NodeMeta(limit int) []byte {
	if limit >= 1 && (*Member)(d).leaving.Load() {
		return []byte{metaLeaving}
	}
	return nil
}
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

var _ memberlist.Delegate = (*delegate)(nil)

// note records a member's new state and tells OnEvent. Names that are no
// data node id (another program's member with our label) are ignored.
func (m *Member) note(n *memberlist.Node, st State) {
	id, err := strconv.ParseUint(n.Name, 10, 16)
	if err != nil || id == 0 || id > signal.MaxNodeID || n.Name != strconv.FormatUint(id, 10) {
		m.log.Warn("gossip: ignoring a member that is not a data node", "name", n.Name, "addr", n.Address())
		return
	}
	node := signal.NodeID(id)
	if node == m.cfg.Node || m.down.Load() {
		return
	}
	ev := Event{Node: node, State: st, Addr: n.Address()}
	m.mu.Lock()
	s := m.members[node]
	if s == nil {
		s = &MemberState{Node: node}
		m.members[node] = s
	}
	same := s.State == st && s.Addr == ev.Addr
	s.State, s.Addr = st, ev.Addr
	if !same {
		s.Since = time.Now()
	}
	m.mu.Unlock()
	if same {
		return
	}
	if st == Alive {
		m.log.Info("gossip: member alive", "node", node, "addr", ev.Addr)
	} else {
		m.log.Warn("gossip: member "+st.String(), "node", node, "addr", ev.Addr)
	}
	if m.cfg.OnEvent != nil {
		m.cfg.OnEvent(ev)
	}
}
