package server

import (
	"context"
	"sync"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// Status answers SHOW and ALL STATUS: every node of the configuration,
// with its status from the registry and the held ids (through any
// server), and the figures from the latest heartbeat any management
// server has.
func (s *Server) Status(ctx context.Context, req *mgmapi.StatusRequest) (*mgmapi.StatusReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	conf := s.conf.Load()
	if req.Local {
		return &mgmapi.StatusReply{ConfigGeneration: conf.Generation, MgmNodeID: s.cfg.NodeID, Nodes: s.localFigures(),
			Rolling: s.rollingState()}, nil
	}
	regs, _, err := s.st.ListNodes(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	held, err := s.st.HeldNodeIDs(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	figures := map[uint32]mgmapi.NodeInfo{}
	merge := func(ns []mgmapi.NodeInfo) {
		for _, n := range ns {
			if f, ok := figures[n.NodeID]; !ok || n.LastHeartbeat.After(f.LastHeartbeat) {
				figures[n.NodeID] = n
			}
		}
	}
	merge(s.localFigures())
	rolling := s.rollingState()
	var mu sync.Mutex
	s.peers.each(ctx, heldSet(held), func(ctx context.Context, p peer) {
		r, err := p.cl.Status(ctx, &mgmapi.StatusRequest{Local: true})
		if err != nil {
			s.log.Debug("mgmd: peer status", "peer", p.id, "err", err)
			return
		}
		mu.Lock()
		merge(r.Nodes)
		rolling = latestRolling(rolling, r.Rolling)
		mu.Unlock()
	})
	return &mgmapi.StatusReply{ConfigGeneration: conf.Generation, MgmNodeID: s.cfg.NodeID,
		Nodes: buildStatus(nodesOf(conf.Config), regs, held, figures), Rolling: rolling}, nil
}

// latestRolling is the one of two rolling restarts that began last (a
// running one first).
func latestRolling(a, b *mgmapi.RollingRestart) *mgmapi.RollingRestart {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.Running() != b.Running():
		if a.Running() {
			return a
		}
		return b
	case b.Began.After(a.Began):
		return b
	}
	return a
}

func heldSet(held []state.NodeLease) map[uint32]bool {
	m := make(map[uint32]bool, len(held))
	for _, l := range held {
		m[l.ID] = true
	}
	return m
}

// buildStatus joins the configuration, the registry, the held ids and the
// heartbeat figures into one NodeInfo per configured node, in id order.
func buildStatus(cfg map[uint32]configNode, regs []state.NodeInfo, held []state.NodeLease, figures map[uint32]mgmapi.NodeInfo) []mgmapi.NodeInfo {
	reg := make(map[uint32]state.NodeInfo, len(regs))
	for _, r := range regs {
		reg[r.ID] = r
	}
	hold := make(map[uint32]state.NodeLease, len(held))
	for _, l := range held {
		hold[l.ID] = l
	}
	out := make([]mgmapi.NodeInfo, 0, len(cfg))
	for _, id := range sortedIDs(cfg) {
		cn := cfg[id]
		n := mgmapi.NodeInfo{NodeID: id, Type: cn.typ, ConfigHost: cn.host, NodeGroup: cn.ng, Status: mgmapi.StatusNotConnected}
		l, isHeld := hold[id]
		r, isReg := reg[id]
		if isHeld {
			n.Host = l.Host
			n.Status = mgmapi.StatusNotStarted
			if isReg {
				n.Status = fromStore(r.State, true)
				if n.Status == mgmapi.StatusStarting {
					n.StartPhase = r.StartPhase
				}
				n.Version, n.PID = r.Version, r.PID
				if r.Host != "" {
					n.Host = r.Host
				}
			}
			if f, ok := figures[id]; ok {
				n.Master, n.Memory, n.Port, n.LastHeartbeat, n.RestorableGCI = f.Master, f.Memory, f.Port, f.LastHeartbeat, f.RestorableGCI
				n.RestorableNodes = f.RestorableNodes
				if n.Status == mgmapi.StatusStarting {
					n.NodeRestart = f.NodeRestart // a node restart's figures mean nothing once it ended
				}
				if n.Status != mgmapi.StatusStarting && n.Status != mgmapi.StatusStarted {
					// A heartbeat sent before the node stopped may land after
					// its NOT_STARTED: a stopped node listens on no port.
					n.Port = 0
				}
			}
		}
		if isReg && n.LastHeartbeat.IsZero() {
			n.LastHeartbeat = r.Heartbeat
		}
		out = append(out, n)
	}
	return out
}

// localFigures are the heartbeat figures of the nodes that talk to this
// server.
func (s *Server) localFigures() []mgmapi.NodeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]mgmapi.NodeInfo, 0, len(s.sessions))
	for id, ses := range s.sessions {
		if ses.hbAt.IsZero() {
			continue
		}
		out = append(out, mgmapi.NodeInfo{NodeID: id, Type: typeOf(ses.lease.Kind), Status: mgmapi.StatusNotStarted,
			Master: ses.hb.Master, Memory: ses.hb.Memory, Port: ses.hb.Port, RestorableGCI: ses.hb.RestorableGCI, RestorableNodes: ses.hb.RestorableNodes, NodeRestart: ses.hb.NodeRestart,
			LastHeartbeat: ses.hbAt, NodeGroup: -1})
	}
	return out
}
