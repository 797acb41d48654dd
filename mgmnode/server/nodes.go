package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// subQueue is how many events wait for a slow subscriber before a command
// to it is refused.
const subQueue = 16

// session is a node id held by a process that talks to this server: what
// it reported in heartbeats and its subscriptions. Guarded by Server.mu.
type session struct {
	ref      mgmapi.NodeRef
	lease    state.NodeLease
	subs     map[*subscriber]struct{}
	hb       mgmapi.HeartbeatRequest
	hbAt     time.Time // when hb arrived
	lastSeen time.Time // last call of any kind
}

type subscriber struct {
	ch   chan *mgmapi.Event
	done chan struct{}
	err  error // why done was closed
}

// push queues e for every subscription, dropping it for one that is full
// (config events only: a node also learns the generation from heartbeats).
func (ses *session) push(e *mgmapi.Event) {
	for sub := range ses.subs {
		select {
		case sub.ch <- e:
		default:
		}
	}
}

func (ses *session) closeSubs(err error) {
	for sub := range ses.subs {
		sub.err = err
		close(sub.done)
		delete(ses.subs, sub)
	}
}

func kindOf(t mgmapi.NodeType) state.NodeKind {
	switch t {
	case mgmapi.TypeData:
		return state.KindData
	case mgmapi.TypeMgm:
		return state.KindMgm
	case mgmapi.TypeSQL:
		return state.KindSQL
	}
	return state.KindAPI
}

func typeOf(k state.NodeKind) mgmapi.NodeType {
	switch k {
	case state.KindData:
		return mgmapi.TypeData
	case state.KindMgm:
		return mgmapi.TypeMgm
	case state.KindSQL:
		return mgmapi.TypeSQL
	}
	return mgmapi.TypeAPI
}

// toStore is the registry state a reported status is stored as; see the
// package doc for NOT_STARTED.
func toStore(s mgmapi.NodeStatus) state.NodeState {
	switch s {
	case mgmapi.StatusStarting:
		return state.StateStarting
	case mgmapi.StatusStarted:
		return state.StateStarted
	case mgmapi.StatusStopping:
		return state.StateStopping
	}
	return state.StateNotConnected
}

// fromStore is the status a node shows: its registry state, read with
// whether its id is held.
func fromStore(st state.NodeState, held bool) mgmapi.NodeStatus {
	if !held {
		return mgmapi.StatusNotConnected
	}
	switch st {
	case state.StateStarting:
		return mgmapi.StatusStarting
	case state.StateStarted:
		return mgmapi.StatusStarted
	case state.StateStopping:
		return mgmapi.StatusStopping
	}
	return mgmapi.StatusNotStarted
}

// configNode is a node id's section in the configuration.
type configNode struct {
	typ  mgmapi.NodeType
	host string // "" for any host
	ng   int    // node group (data nodes), else -1
}

// nodesOf lists every node id the configuration declares, in id order.
func nodesOf(c *config.Config) map[uint32]configNode {
	out := map[uint32]configNode{}
	for _, d := range c.DataNodes {
		out[uint32(d.NodeID)] = configNode{mgmapi.TypeData, d.HostName, d.NodeGroup}
	}
	for _, m := range c.MgmNodes {
		out[uint32(m.NodeID)] = configNode{mgmapi.TypeMgm, m.HostName, -1}
	}
	for _, a := range c.APINodes {
		t := mgmapi.TypeAPI
		if a.Kind == config.KindMySQLD {
			t = mgmapi.TypeSQL
		}
		out[uint32(a.NodeID)] = configNode{t, a.HostName, -1}
	}
	return out
}

func sortedIDs[V any](m map[uint32]V) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// AllocNodeID claims a fixed node id or allocates a free slot.
func (s *Server) AllocNodeID(ctx context.Context, req *mgmapi.AllocNodeIDRequest) (*mgmapi.AllocNodeIDReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if req.Type != mgmapi.TypeData && req.Type != mgmapi.TypeSQL && req.Type != mgmapi.TypeAPI {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "node type %v cannot take a node id here (data, sql or api)", req.Type)
	}
	from := peerHost(ctx)
	conf := s.conf.Load()
	nodes := nodesOf(conf.Config)
	kind := kindOf(req.Type)
	// take claims or allocates the id once the request is checked.
	var take func() (state.NodeLease, error)
	if req.NodeID != 0 {
		cn, ok := nodes[req.NodeID]
		switch {
		case !ok:
			return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "node id %d is not in the configuration (generation %d)", req.NodeID, conf.Generation)
		case cn.typ != req.Type:
			return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "node id %d is a %s section in the configuration, not %s",
				req.NodeID, cn.typ.Section(), req.Type.Section())
		case !s.hosts.matches(ctx, cn.host, from):
			return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "node id %d is configured for host %s; this connection comes from %s",
				req.NodeID, cn.host, from)
		}
		take = func() (state.NodeLease, error) { return s.st.ClaimNodeID(ctx, req.NodeID, kind, from) }
	} else {
		var slots []state.Slot
		var all, elsewhere []uint32
		for _, id := range sortedIDs(nodes) {
			cn := nodes[id]
			if cn.typ != req.Type {
				continue
			}
			all = append(all, id)
			switch {
			case cn.host == "":
				slots = append(slots, state.Slot{ID: id, Kind: kind})
			case s.hosts.matches(ctx, cn.host, from):
				slots = append(slots, state.Slot{ID: id, Kind: kind, Host: from})
			default:
				elsewhere = append(elsewhere, id)
			}
		}
		switch {
		case len(all) == 0:
			return nil, mgmapi.Errorf(mgmapi.CodeNoFreeNodeID, "no free node id for a %s node: the configuration has no %s section",
				req.Type, req.Type.Section())
		case len(slots) == 0:
			return nil, mgmapi.Errorf(mgmapi.CodeNoFreeNodeID, "no free node id for a %s node from %s: every %s section (ids %s) is for another host",
				req.Type, from, req.Type.Section(), idList(elsewhere))
		}
		take = func() (state.NodeLease, error) {
			l, err := s.st.AllocateNodeID(ctx, kind, from, slots)
			if errors.Is(err, state.ErrNoFreeNodeID) {
				ids := make([]uint32, len(slots))
				for i, sl := range slots {
					ids[i] = sl.ID
				}
				return l, mgmapi.Errorf(mgmapi.CodeNoFreeNodeID, "no free node id for a %s node from %s: all %d %s slots open to it (ids %s) are in use",
					req.Type, from, len(slots), req.Type.Section(), idList(ids))
			}
			return l, err
		}
	}
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	lease, err := take()
	if err != nil {
		return nil, storeErr(err)
	}
	st, phase := state.StateNotConnected, 0
	if req.Status.Valid() && req.Status != mgmapi.StatusNotConnected {
		st, phase = toStore(req.Status), max(req.StartPhase, 0)
	}
	if st != state.StateStarting {
		phase = 0
	}
	if _, err := s.st.RegisterNode(ctx, state.NodeInfo{ID: lease.ID, Kind: kind, Host: from,
		State: st, StartPhase: phase, Heartbeat: time.Now(), PID: req.PID, Version: req.Version}); err != nil {
		s.st.ReleaseNodeID(context.WithoutCancel(ctx), lease)
		return nil, storeErr(err)
	}
	ref := mgmapi.NodeRef{NodeID: lease.ID, Lease: lease.Lease}
	s.mu.Lock()
	if old := s.sessions[lease.ID]; old != nil {
		old.closeSubs(mgmapi.Errorf(mgmapi.CodeLeaseExpired, "node %d took its id again", lease.ID))
	}
	s.sessions[lease.ID] = &session{ref: ref, lease: lease, subs: map[*subscriber]struct{}{}, lastSeen: time.Now()}
	s.mu.Unlock()
	s.noteHeld(lease)
	s.log.Info("mgmd: node id granted", "node", lease.ID, "type", req.Type, "from", from, "hostname", req.Hostname, "pid", req.PID)
	return &mgmapi.AllocNodeIDReply{
		NodeID: lease.ID, Lease: lease.Lease, Host: from,
		HeartbeatMillis:  uint32(s.cfg.HeartbeatInterval.Milliseconds()),
		LeaseTTLMillis:   uint32(s.cfg.NodeIDLeaseTTL.Milliseconds()),
		ConfigGeneration: conf.Generation, MgmNodeID: s.cfg.NodeID,
	}, nil
}

func idList(ids []uint32) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}

func (s *Server) live() error {
	if s.stopping.Load() {
		return mgmapi.Errorf(mgmapi.CodeShuttingDown, "management server %d is stopping", s.cfg.NodeID)
	}
	return nil
}

// session returns the session of ref, checking in etcd that ref's lease
// holds the id when this server has not seen it (a node that moved here
// from another management server).
func (s *Server) session(ctx context.Context, ref mgmapi.NodeRef) (*session, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	ses := s.sessions[ref.NodeID]
	s.mu.Unlock()
	if ses != nil && ses.ref == ref {
		return ses, nil
	}
	held, err := s.st.HeldNodeIDs(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	i := slices.IndexFunc(held, func(l state.NodeLease) bool { return l.ID == ref.NodeID })
	if i < 0 || held[i].Lease != ref.Lease {
		return nil, mgmapi.Errorf(mgmapi.CodeLeaseExpired, "node id %d is not held under lease %x (it expired or was released): ask for a node id again",
			ref.NodeID, ref.Lease)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ses := s.sessions[ref.NodeID]; ses != nil {
		if ses.ref == ref {
			return ses, nil
		}
		ses.closeSubs(mgmapi.Errorf(mgmapi.CodeLeaseExpired, "node %d holds its id under a new lease", ref.NodeID))
	}
	ses = &session{ref: ref, lease: held[i], subs: map[*subscriber]struct{}{}, lastSeen: time.Now()}
	s.sessions[ref.NodeID] = ses
	return ses, nil
}

// dropExpiredSessions forgets sessions whose id is no longer held under
// their lease, ending their subscriptions, and sessions that went quiet
// here (the node moved to another server).
func (s *Server) dropExpiredSessions(held map[uint32]state.NodeLease) {
	s.mu.Lock()
	defer s.mu.Unlock()
	quiet := time.Now().Add(-s.cfg.NodeIDLeaseTTL)
	for id, ses := range s.sessions {
		l, ok := held[id]
		switch {
		case !ok || l.Lease != ses.ref.Lease:
			ses.closeSubs(mgmapi.Errorf(mgmapi.CodeLeaseExpired, "node id %d's lease expired", id))
			delete(s.sessions, id)
		case len(ses.subs) == 0 && ses.lastSeen.Before(quiet):
			delete(s.sessions, id)
		}
	}
}

// ReportState records a node's status in the registry.
func (s *Server) ReportState(ctx context.Context, req *mgmapi.StateReport) (*mgmapi.Empty, error) {
	ses, err := s.session(ctx, req.Node)
	if err != nil {
		return nil, err
	}
	if !req.Status.Valid() || req.Status == mgmapi.StatusNotConnected || req.StartPhase < 0 {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "node %d: status %v phase %d cannot be reported", req.Node.NodeID, req.Status, req.StartPhase)
	}
	_, err = s.st.ReportNodeState(ctx, req.Node.NodeID, toStore(req.Status), req.StartPhase)
	if errors.Is(err, state.ErrNoSuchNode) {
		// The entry was removed meanwhile (a config change): write it again.
		_, err = s.st.RegisterNode(ctx, state.NodeInfo{ID: req.Node.NodeID, Kind: ses.lease.Kind, Host: ses.lease.Host,
			State: toStore(req.Status), StartPhase: req.StartPhase, Heartbeat: time.Now()})
	}
	if err != nil {
		return nil, storeErr(err)
	}
	s.mu.Lock()
	ses.lastSeen = time.Now()
	s.mu.Unlock()
	return &mgmapi.Empty{}, nil
}

// Heartbeat renews a node's id and keeps what it reports.
func (s *Server) Heartbeat(ctx context.Context, req *mgmapi.HeartbeatRequest) (*mgmapi.HeartbeatReply, error) {
	ses, err := s.session(ctx, req.Node)
	if err != nil {
		return nil, err
	}
	if err := s.st.RenewNodeID(ctx, ses.lease); err != nil {
		if errors.Is(err, state.ErrLeaseExpired) {
			s.mu.Lock()
			if s.sessions[req.Node.NodeID] == ses {
				ses.closeSubs(mgmapi.Errorf(mgmapi.CodeLeaseExpired, "node id %d's lease expired", req.Node.NodeID))
				delete(s.sessions, req.Node.NodeID)
			}
			s.mu.Unlock()
		}
		return nil, storeErr(err)
	}
	hb := *req
	hb.Memory = slices.Clone(req.Memory)
	s.mu.Lock()
	ses.hb, ses.hbAt, ses.lastSeen = hb, time.Now(), time.Now()
	s.mu.Unlock()
	return &mgmapi.HeartbeatReply{ConfigGeneration: s.conf.Load().Generation}, nil
}

// Release frees a node's id: the node disconnects cleanly.
func (s *Server) Release(ctx context.Context, ref *mgmapi.NodeRef) (*mgmapi.Empty, error) {
	ses, err := s.session(ctx, *ref)
	if err != nil {
		if errors.Is(err, mgmapi.ErrLeaseExpired) {
			return &mgmapi.Empty{}, nil // gone already
		}
		return nil, err
	}
	if _, err := s.st.ReportNodeState(ctx, ref.NodeID, state.StateNotConnected, 0); err != nil && !errors.Is(err, state.ErrNoSuchNode) {
		return nil, storeErr(err)
	}
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	if err := s.st.ReleaseNodeID(ctx, ses.lease); err != nil {
		return nil, storeErr(err)
	}
	s.mu.Lock()
	if s.sessions[ref.NodeID] == ses {
		ses.closeSubs(mgmapi.Errorf(mgmapi.CodeLeaseExpired, "node id %d was released", ref.NodeID))
		delete(s.sessions, ref.NodeID)
	}
	s.mu.Unlock()
	s.noteGone(ref.NodeID, ref.Lease)
	s.log.Info("mgmd: node id released", "node", ref.NodeID)
	return &mgmapi.Empty{}, nil
}

// Subscribe streams a node's events.
func (s *Server) Subscribe(ref *mgmapi.NodeRef, stream mgmapi.EventStream) error {
	ctx := stream.Context()
	ses, err := s.session(ctx, *ref)
	if err != nil {
		return err
	}
	sub := &subscriber{ch: make(chan *mgmapi.Event, subQueue), done: make(chan struct{})}
	s.mu.Lock()
	if s.sessions[ref.NodeID] != ses || s.stopping.Load() {
		s.mu.Unlock()
		return mgmapi.Errorf(mgmapi.CodeLeaseExpired, "node id %d's session ended", ref.NodeID)
	}
	ses.subs[sub] = struct{}{}
	ses.lastSeen = time.Now()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if _, ok := ses.subs[sub]; ok {
			delete(ses.subs, sub)
			ses.lastSeen = time.Now()
		}
		s.mu.Unlock()
	}()
	seq := uint64(1)
	if err := stream.Send(&mgmapi.Event{Seq: seq, Type: mgmapi.EventSubscribed, ConfigGeneration: s.conf.Load().Generation}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.done:
			return sub.err
		case e := <-sub.ch:
			seq++
			ev := *e
			ev.Seq = seq
			if err := stream.Send(&ev); err != nil {
				return err
			}
		}
	}
}

// deliver queues a command for node id's subscriptions on this server.
// It reports false when the node has none here.
func (s *Server) deliver(id uint32, cmd mgmapi.Command) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.sessions[id]
	if ses == nil || len(ses.subs) == 0 {
		return false, nil
	}
	e := &mgmapi.Event{Type: mgmapi.EventCommand, Command: &cmd}
	for sub := range ses.subs {
		select {
		case sub.ch <- e:
		default:
			return false, mgmapi.Errorf(mgmapi.CodeNotConnected, "node %d does not take its events (%d queued)", id, subQueue)
		}
	}
	return true, nil
}
