package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// NodeOptions configure Join.
type NodeOptions struct {
	Options
	// Type is the kind of node joining: mgmapi.TypeData, TypeSQL or
	// TypeAPI.
	Type mgmapi.NodeType
	// NodeID asks for this id (--ndb-nodeid); 0 takes a free slot of the
	// type, or the connect string's nodeid= when it has one.
	NodeID uint32
	// Version is shown by SHOW next to the node. Default "gondb".
	Version string
	// Config is how the fetched config.ini is parsed (ThreadConfig check).
	Config config.Options
	// HeartbeatInterval overrides the interval the server asks for.
	HeartbeatInterval time.Duration
	// EventBuffer is the capacity of the Events channel. Default 16.
	EventBuffer int
}

// EventType says what an Event is.
type EventType uint8

const (
	// EventCommand: a command addressed to this node (Command is set).
	EventCommand EventType = 1
	// EventConfig: a new configuration was stored (Config and Generation
	// are set; Node.Config returns it from now on).
	EventConfig EventType = 2
	// EventLost: the node lost its node id (its lease expired and another
	// process took the id, or it could not be claimed again) and the Node
	// has stopped; Err says why. It is the last event.
	EventLost EventType = 3
)

// Event is something the management server told the node.
type Event struct {
	Type       EventType
	Command    mgmapi.Command
	Config     *config.Config
	Generation uint64
	Err        error
}

// HeartbeatInfo is what a node reports with every heartbeat.
type HeartbeatInfo struct {
	Memory []mgmapi.MemoryUsage
	Master bool
	Port   uint16
	// RestorableGCI and RestorableNodes: see mgmapi.HeartbeatRequest (nil:
	// not reported).
	RestorableGCI   *uint64
	RestorableNodes []uint32
	// NodeRestart: see mgmapi.HeartbeatRequest (nil: not restarting).
	NodeRestart *mgmapi.NodeRestartProgress
}

// Node is a data, SQL or API node joined to the cluster: it holds a node
// id, keeps it with heartbeats, receives commands and configuration
// changes, and reports its state, moving to another management server of
// the connect string when its server goes away.
//
// Its methods are safe for concurrent use. It runs two goroutines (the
// heartbeat and the subscription), both ended by Close.
type Node struct {
	conn    *Conn
	opts    NodeOptions
	typ     mgmapi.NodeType
	id      uint32
	host    string
	hbEvery time.Duration

	events chan Event
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	ref       mgmapi.NodeRef
	cfg       *config.Config
	gen       uint64
	status    mgmapi.NodeStatus
	phase     int
	hb        HeartbeatInfo
	subCancel context.CancelFunc // ends the current subscription stream
	lost      error
	closeOnce sync.Once
}

// Join connects to the cluster's management servers, takes a node id,
// fetches and parses the configuration, and subscribes to the node's
// events. When it returns, commands addressed to the node reach Events.
// The node's status is NOT_STARTED until it reports otherwise.
func Join(ctx context.Context, connectString string, o NodeOptions) (*Node, error) {
	if o.Type != mgmapi.TypeData && o.Type != mgmapi.TypeSQL && o.Type != mgmapi.TypeAPI {
		return nil, fmt.Errorf("join: node type %v cannot join (want data, sql or api)", o.Type)
	}
	if o.Version == "" {
		o.Version = "gondb"
	}
	if o.EventBuffer <= 0 {
		o.EventBuffer = 16
	}
	c, err := Dial(ctx, connectString, o.Options)
	if err != nil {
		return nil, err
	}
	if o.NodeID == 0 {
		o.NodeID = c.cs.NodeID
	}
	n := &Node{conn: c, opts: o, typ: o.Type, events: make(chan Event, o.EventBuffer), status: mgmapi.StatusNotStarted}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	recv, cancel, err := n.join(ctx)
	if err != nil {
		n.cancel()
		c.Close()
		return nil, err
	}
	n.wg.Add(2)
	go n.heartbeatLoop()
	go n.subscribeLoop(recv, cancel)
	return n, nil
}

func (n *Node) join(ctx context.Context) (mgmapi.EventReceiver, context.CancelFunc, error) {
	host, _ := os.Hostname()
	rep, err := call(n.conn, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.AllocNodeIDReply, error) {
		return cl.AllocNodeID(ctx, &mgmapi.AllocNodeIDRequest{Type: n.typ, NodeID: n.opts.NodeID,
			Version: n.opts.Version, PID: os.Getpid(), Hostname: host})
	})
	if err != nil {
		return nil, nil, err
	}
	n.id, n.host = rep.NodeID, rep.Host
	n.ref = mgmapi.NodeRef{NodeID: rep.NodeID, Lease: rep.Lease}
	n.hbEvery = n.opts.HeartbeatInterval
	if n.hbEvery <= 0 {
		n.hbEvery = time.Duration(rep.HeartbeatMillis) * time.Millisecond
	}
	if n.hbEvery <= 0 {
		n.hbEvery = time.Second
	}
	if err := n.refreshConfig(ctx); err != nil {
		n.release()
		return nil, nil, err
	}
	// Subscribe before returning, so a command sent right after Join
	// finds the subscription.
	recv, cancel, err := n.subscribe(ctx)
	if err != nil {
		n.release()
		return nil, nil, err
	}
	return recv, cancel, nil
}

// ID is the node's id.
func (n *Node) ID() uint32 { return n.id }

// Type is the node's type.
func (n *Node) Type() mgmapi.NodeType { return n.typ }

// Host is the address the management server saw the node connect from.
func (n *Node) Host() string { return n.host }

// Conn is the node's connection to the management servers, for calls
// such as Status or Arbitrate.
func (n *Node) Conn() *Conn { return n.conn }

// Config returns the cluster configuration and its generation. It changes
// when an EventConfig is delivered.
func (n *Node) Config() (*config.Config, uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg, n.gen
}

// Events delivers commands and configuration changes, in order. Read it
// promptly: while it is full the node stops taking events from its
// management server. It closes when the node is closed or lost.
func (n *Node) Events() <-chan Event { return n.events }

// ReportState tells the management servers where the node is: NOT_STARTED,
// STARTING with the start phase last completed, STARTED, or STOPPING. The
// last report is sent again after a failover.
func (n *Node) ReportState(ctx context.Context, s mgmapi.NodeStatus, phase int) error {
	if s == mgmapi.StatusNotConnected || !s.Valid() {
		return fmt.Errorf("report state: %v cannot be reported (Close releases the node)", s)
	}
	n.mu.Lock()
	n.status, n.phase = s, phase
	ref := n.ref
	n.mu.Unlock()
	return n.sendState(ctx, ref, s, phase)
}

func (n *Node) sendState(ctx context.Context, ref mgmapi.NodeRef, s mgmapi.NodeStatus, phase int) error {
	_, err := call(n.conn, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.Empty, error) {
		return cl.ReportState(ctx, &mgmapi.StateReport{Node: ref, Status: s, StartPhase: phase})
	})
	return err
}

// SetHeartbeatInfo sets what the next heartbeats carry (memory usage,
// president flag, transporter port, node restart progress). The slice and
// what the pointers point to are copied. It never blocks for long (one
// mutex), so a data node's threads may call it.
func (n *Node) SetHeartbeatInfo(h HeartbeatInfo) {
	h.Memory = append([]mgmapi.MemoryUsage(nil), h.Memory...)
	if h.NodeRestart != nil {
		nr := *h.NodeRestart
		h.NodeRestart = &nr
	}
	if h.RestorableGCI != nil {
		g := *h.RestorableGCI
		h.RestorableGCI = &g
	}
	h.RestorableNodes = append([]uint32(nil), h.RestorableNodes...)
	n.mu.Lock()
	n.hb = h
	n.mu.Unlock()
}

// Arbitrate asks the arbitrator whether this node's side (the data nodes
// side) may go on after a split in membership round ticket.
func (n *Node) Arbitrate(ctx context.Context, ticket uint64, side []uint32) (bool, error) {
	return n.conn.Arbitrate(ctx, ticket, n.id, side)
}

// Close releases the node id (the node shows as not connected at once),
// stops the goroutines and closes the connection.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.cancel()
		n.mu.Lock()
		if n.subCancel != nil {
			n.subCancel()
		}
		lost := n.lost
		n.mu.Unlock()
		n.wg.Wait()
		if lost == nil {
			n.release()
		}
		n.conn.Close()
		close(n.events)
	})
	return nil
}

func (n *Node) release() {
	n.mu.Lock()
	ref := n.ref
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), n.conn.opts.CallTimeout)
	defer cancel()
	if _, err := call(n.conn, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.Empty, error) {
		return cl.Release(ctx, &ref)
	}); err != nil {
		n.conn.log.Warn("mgm client: release node id", "node", ref.NodeID, "err", err)
	}
}

// emit delivers an event unless the node is closing.
func (n *Node) emit(e Event) bool {
	select {
	case n.events <- e:
		return true
	case <-n.ctx.Done():
		return false
	}
}

func (n *Node) refreshConfig(ctx context.Context) error {
	text, gen, err := n.conn.FetchConfig(ctx)
	if err != nil {
		return err
	}
	n.mu.Lock()
	known := n.gen
	n.mu.Unlock()
	if gen <= known {
		return nil
	}
	cfg, err := parseConfig(text, gen, n.opts.Config)
	if err != nil {
		return err
	}
	n.mu.Lock()
	first := n.cfg == nil
	n.cfg, n.gen = cfg, gen
	n.mu.Unlock()
	if !first {
		n.emit(Event{Type: EventConfig, Config: cfg, Generation: gen})
	}
	return nil
}

// heartbeatLoop renews the node id every interval. A lease that expired
// (the node was unreachable for longer than the TTL) is claimed again
// under the same id; if that fails the node is lost.
func (n *Node) heartbeatLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.hbEvery)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		switch err := n.Heartbeat(n.ctx); {
		case err == nil:
		case errors.Is(err, mgmapi.ErrLeaseExpired):
			if !n.reclaim() {
				return
			}
		case n.ctx.Err() != nil:
			return
		default:
			n.conn.log.Warn("mgm client: heartbeat failed", "node", n.id, "err", err)
		}
	}
}

// Heartbeat sends a heartbeat now, with the figures of SetHeartbeatInfo,
// and fetches a newer configuration if the server has one. The node also
// heartbeats by itself every interval; call this to have new figures shown
// at once.
func (n *Node) Heartbeat(ctx context.Context) error {
	n.mu.Lock()
	req := &mgmapi.HeartbeatRequest{Node: n.ref, Memory: n.hb.Memory, Master: n.hb.Master, Port: n.hb.Port,
		RestorableGCI: n.hb.RestorableGCI, RestorableNodes: n.hb.RestorableNodes, NodeRestart: n.hb.NodeRestart}
	gen := n.gen
	n.mu.Unlock()
	// A heartbeat must not wait on one server for long: the lease runs.
	attempt := min(max(3*n.hbEvery, time.Second), n.conn.opts.CallTimeout)
	rep, err := callEach(n.conn, ctx, attempt, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.HeartbeatReply, error) {
		return cl.Heartbeat(ctx, req)
	})
	if err != nil {
		return err
	}
	if rep.ConfigGeneration > gen {
		if err := n.refreshConfig(ctx); err != nil && n.ctx.Err() == nil {
			n.conn.log.Warn("mgm client: fetch new configuration", "node", n.id, "err", err)
		}
	}
	return nil
}

// reclaim asks for the node's id again after its lease expired. It
// returns false when the node is lost.
func (n *Node) reclaim() bool {
	n.conn.log.Warn("mgm client: node id lease expired; claiming it again", "node", n.id)
	host, _ := os.Hostname()
	n.mu.Lock()
	status, phase := n.status, n.phase
	n.mu.Unlock()
	rep, err := call(n.conn, n.ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.AllocNodeIDReply, error) {
		return cl.AllocNodeID(ctx, &mgmapi.AllocNodeIDRequest{Type: n.typ, NodeID: n.id,
			Version: n.opts.Version, PID: os.Getpid(), Hostname: host, Status: status, StartPhase: phase})
	})
	if n.ctx.Err() != nil {
		return false
	}
	if err != nil {
		if mgmapi.IsUnavailable(err) || errors.Is(err, ErrNoServer) {
			return true // try again at the next heartbeat
		}
		n.lose(fmt.Errorf("node %d lost its node id: %w", n.id, err))
		return false
	}
	n.mu.Lock()
	n.ref = mgmapi.NodeRef{NodeID: rep.NodeID, Lease: rep.Lease}
	s, phase, ref := n.status, n.phase, n.ref
	if n.subCancel != nil {
		n.subCancel() // resubscribe under the new lease
	}
	n.mu.Unlock()
	if err := n.sendState(n.ctx, ref, s, phase); err != nil {
		n.conn.log.Warn("mgm client: report state after reclaim", "node", n.id, "err", err)
	}
	return true
}

func (n *Node) lose(err error) {
	n.mu.Lock()
	n.lost = err
	n.mu.Unlock()
	n.conn.log.Error("mgm client: node lost", "node", n.id, "err", err)
	select {
	case n.events <- Event{Type: EventLost, Err: err}:
	default:
		// A full channel: the reader will see it closed after Close.
	}
	n.cancel()
}

// subscribe opens the node's event stream on the first server that takes
// it and waits for its EventSubscribed.
func (n *Node) subscribe(ctx context.Context) (mgmapi.EventReceiver, context.CancelFunc, error) {
	type sub struct {
		recv   mgmapi.EventReceiver
		cancel context.CancelFunc
	}
	n.mu.Lock()
	ref := n.ref
	n.mu.Unlock()
	s, err := call(n.conn, ctx, func(actx context.Context, cl *mgmapi.Client) (*sub, error) {
		// The stream outlives the call's deadline: it gets its own
		// context; only the wait for its first event is bounded by actx.
		sctx, cancel := context.WithCancel(n.ctx)
		recv, err := cl.Subscribe(sctx, &ref)
		if err != nil {
			cancel()
			return nil, err
		}
		first := make(chan error, 1)
		go func() {
			e, err := recv.Recv()
			if err == nil && e.Type != mgmapi.EventSubscribed {
				err = fmt.Errorf("subscription opened with a %q event", e.Type)
			}
			first <- err
		}()
		select {
		case err = <-first:
		case <-actx.Done():
			err = actx.Err()
		}
		if err != nil {
			cancel()
			return nil, err
		}
		return &sub{recv, cancel}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	n.mu.Lock()
	n.subCancel = s.cancel
	n.mu.Unlock()
	return s.recv, s.cancel, nil
}

// readEvents delivers one subscription's events until it ends.
func (n *Node) readEvents(recv mgmapi.EventReceiver, cancel context.CancelFunc) error {
	defer cancel()
	for {
		e, err := recv.Recv()
		if err != nil {
			return err
		}
		switch e.Type {
		case mgmapi.EventCommand:
			if e.Command != nil && !n.emit(Event{Type: EventCommand, Command: *e.Command}) {
				return ErrClosed
			}
		case mgmapi.EventConfig:
			if err := n.refreshConfig(n.ctx); err != nil && n.ctx.Err() == nil {
				n.conn.log.Warn("mgm client: fetch new configuration", "node", n.id, "err", err)
			}
		}
	}
}

// subscribeLoop keeps a subscription open: when the stream ends (its
// server went away, or the lease was claimed again under a new ref) it
// subscribes again, on whichever server answers, and re-sends the node's
// state so that the registry is current whatever happened meanwhile.
func (n *Node) subscribeLoop(recv mgmapi.EventReceiver, cancel context.CancelFunc) {
	defer n.wg.Done()
	const minWait, maxWait = 50 * time.Millisecond, 2 * time.Second
	wait := minWait
	for {
		if recv != nil {
			err := n.readEvents(recv, cancel)
			if n.ctx.Err() != nil {
				return
			}
			n.conn.log.Info("mgm client: subscription ended; subscribing again", "node", n.id, "err", err)
			recv = nil
		}
		var err error
		recv, cancel, err = n.subscribe(n.ctx)
		if n.ctx.Err() != nil {
			if cancel != nil {
				cancel()
			}
			return
		}
		if err != nil {
			n.conn.log.Warn("mgm client: subscribe", "node", n.id, "err", err, "retry_in", wait)
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, maxWait)
			continue
		}
		wait = minWait
		n.mu.Lock()
		ref, s, phase := n.ref, n.status, n.phase
		n.mu.Unlock()
		if err := n.sendState(n.ctx, ref, s, phase); err != nil && n.ctx.Err() == nil {
			n.conn.log.Warn("mgm client: report state after resubscribing", "node", n.id, "err", err)
		}
	}
}
