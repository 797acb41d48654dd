package inproc

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// Network is the hub in-process nodes join. It knows which nodes are up
// and which links tests have cut. Safe for concurrent use.
type Network struct {
	mu    sync.Mutex
	nodes map[signal.NodeID]*Transporter
	cut   map[[2]signal.NodeID]bool // keyed by (lower id, higher id)
}

// ErrDuplicateNode: a node with this id is already on the network.
var ErrDuplicateNode = errors.New("inproc: node id already joined the network")

// NewNetwork returns an empty network.
func NewNetwork() *Network {
	return &Network{nodes: map[signal.NodeID]*Transporter{}, cut: map[[2]signal.NodeID]bool{}}
}

// Join starts a transporter for cfg.Self on the network and brings up its
// links to the peers already there. A node that closed may join again (a
// restart); its links come back with fresh queues.
func (n *Network) Join(cfg Config) (*Transporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes[cfg.Self] != nil {
		return nil, fmt.Errorf("%w: node %d", ErrDuplicateNode, cfg.Self)
	}
	t := newTransporter(n, cfg)
	n.nodes[cfg.Self] = t
	for _, p := range cfg.Peers {
		n.relinkLocked(cfg.Self, p, "")
	}
	return t, nil
}

// Disconnect cuts the link between a and b in both directions, as a
// network failure would: queued frames are dropped, Send returns
// transport.ErrNotConnected, both sides report StateDisconnected. The cut
// lasts until Connect, across restarts of either node.
func (n *Network) Disconnect(a, b signal.NodeID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut[linkKey(a, b)] = true
	n.relinkLocked(a, b, "link cut by Network.Disconnect")
}

// Connect restores a link cut by Disconnect; it comes up when both nodes
// are on the network and list each other.
func (n *Network) Connect(a, b signal.NodeID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.cut, linkKey(a, b))
	n.relinkLocked(a, b, "")
}

// leave takes a closing transporter off the network.
func (n *Network) leave(t *Transporter) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes[t.self] == t {
		delete(n.nodes, t.self)
	}
	t.closing = true
	for _, p := range t.order {
		n.relinkLocked(t.self, p, fmt.Sprintf("node %d closed", t.self))
	}
}

func linkKey(a, b signal.NodeID) [2]signal.NodeID {
	if a > b {
		a, b = b, a
	}
	return [2]signal.NodeID{a, b}
}

// relinkLocked brings the link between a and b up or down to match the
// network: up when both nodes are on it, list each other and the link is
// not cut. reason is recorded on each side when the link goes down.
func (n *Network) relinkLocked(a, b signal.NodeID, reason string) {
	ta, tb := n.nodes[a], n.nodes[b]
	want := ta != nil && tb != nil && ta.peers[b] != nil && tb.peers[a] != nil &&
		!ta.closing && !tb.closing && !n.cut[linkKey(a, b)]
	if want {
		if ta.peers[b].state.Load() != uint32(transport.StateConnected) {
			linkUp(ta, tb)
			linkUp(tb, ta)
		}
		return
	}
	for _, side := range []struct {
		t     *Transporter
		other signal.NodeID
	}{{ta, b}, {tb, a}} {
		if side.t != nil && side.t.peers[side.other] != nil {
			side.t.peers[side.other].down(reason)
		}
	}
}

// linkUp opens the direction from -> to: from's sends to to go into to's
// inbound queue for from, bounded by from's send buffer.
func linkUp(from, to *Transporter) {
	sp := from.peers[to.self]
	l := to.peers[from.self].in
	l.mu.Lock()
	l.up = true
	l.limit = from.cfg.SendBufferBytes
	l.sender = sp
	l.mu.Unlock()
	sp.connects.Add(1) // before Send can use l: see transport.ConnectCounter
	sp.out.Store(l)
	sp.state.Store(uint32(transport.StateConnected))
}
