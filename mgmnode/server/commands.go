package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// goal follows one node's registry state after a command until it
// reached what the command asks for.
type goal struct {
	cmd  mgmapi.Command
	left bool // RESTART: the node has left STARTED
	done bool
}

func newGoal(cmd mgmapi.Command, cur state.NodeState) *goal {
	g := &goal{cmd: cmd, left: cur != state.StateStarted}
	g.observe(cur)
	return g
}

// observe takes the node's next registry state. Registry NOT_CONNECTED is
// a node that is not started or gone (see the package doc).
func (g *goal) observe(st state.NodeState) {
	if g.done {
		return
	}
	switch g.cmd.Name {
	case mgmapi.CmdStop:
		g.done = st == state.StateNotConnected
	case mgmapi.CmdStart:
		g.done = st == state.StateStarted
	case mgmapi.CmdRestart:
		if st != state.StateStarted {
			g.left = true
		}
		if g.left {
			if g.cmd.NoStart {
				g.done = st == state.StateNotConnected
			} else {
				g.done = st == state.StateStarted
			}
		}
	}
}

// Command routes STOP, START and RESTART to data nodes (and STOP to
// management servers), and with WaitMillis follows the registry until
// each target reached the command's goal. RESTART of every data node is a
// rolling restart when the cluster runs with NodeFailover (rolling.go).
func (s *Server) Command(ctx context.Context, req *mgmapi.CommandRequest) (*mgmapi.CommandReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	cmd := req.Command
	if !cmd.Name.Valid() {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "unknown command %q (STOP, START or RESTART)", cmd.Name)
	}
	if cmd.From == "" {
		cmd.From = peerHost(ctx)
	}
	var note string
	if cmd.Name == mgmapi.CmdRestart && len(req.NodeIDs) == 0 && !req.Forwarded {
		if note = whyNotRolling(s.conf.Load().Config); note == "" {
			return s.rollingCommand(ctx, req, cmd)
		}
	}
	nodes := nodesOf(s.conf.Load().Config)
	ids := slices.Clone(req.NodeIDs)
	if len(ids) == 0 {
		for _, id := range sortedIDs(nodes) {
			if nodes[id].typ == mgmapi.TypeData {
				ids = append(ids, id)
			}
		}
	}
	results := make([]mgmapi.CommandResult, len(ids))
	if req.Forwarded {
		for i, id := range ids {
			ok, err := s.deliver(id, cmd)
			results[i] = mgmapi.CommandResult{NodeID: id, Delivered: ok}
			if err != nil {
				results[i].Error = err.Error()
			}
		}
		return &mgmapi.CommandReply{Results: results}, nil
	}

	regs, rev, err := s.st.ListNodes(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	held, err := s.st.HeldNodeIDs(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	reg := map[uint32]state.NodeInfo{}
	for _, r := range regs {
		reg[r.ID] = r
	}
	isHeld := map[uint32]bool{}
	for _, l := range held {
		isHeld[l.ID] = true
	}
	wait := min(time.Duration(req.WaitMillis)*time.Millisecond, s.cfg.MaxCommandWait)
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var events <-chan state.NodeEvent
	if wait > 0 {
		events = s.st.WatchNodes(wctx, rev)
	}
	goals := map[uint32]*goal{}
	for i, id := range ids {
		res := &results[i]
		res.NodeID = id
		cn, ok := nodes[id]
		switch {
		case !ok:
			res.Error = fmt.Sprintf("node %d is not in the configuration", id)
		case cn.typ == mgmapi.TypeMgm:
			s.commandMgm(ctx, id, cmd, res)
		case cn.typ != mgmapi.TypeData:
			res.Error = fmt.Sprintf("node %d is a %s node; STOP, START and RESTART are for data nodes", id, cn.typ)
		case !isHeld[id]:
			res.Error = fmt.Sprintf("node %d is not connected", id)
		case cmd.Name == mgmapi.CmdStart && fromStore(reg[id].State, true) != mgmapi.StatusNotStarted:
			res.Error = fmt.Sprintf("node %d is %s; START starts a node that is not started", id, fromStore(reg[id].State, true).Words())
		default:
			res.Delivered, err = s.routeSoon(ctx, id, cmd, isHeld)
			if err != nil {
				res.Error = err.Error()
				break
			}
			s.clog.add(mgmapi.SeverityInfo, "Command", id, "Node %d: %s requested by management client at %s", id, describe(cmd), cmd.From)
			if wait > 0 {
				goals[id] = newGoal(cmd, reg[id].State)
			}
		}
	}
	if len(goals) > 0 {
		s.await(wctx, events, goals)
	}

	// The statuses as they are now.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	regs, _, err = s.st.ListNodes(rctx)
	if err == nil {
		held, err = s.st.HeldNodeIDs(rctx)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	now := buildStatus(nodes, regs, held, nil)
	for i := range results {
		r := &results[i]
		if g := goals[r.NodeID]; g != nil {
			r.Done = g.done
		}
		if j := slices.IndexFunc(now, func(n mgmapi.NodeInfo) bool { return n.NodeID == r.NodeID }); j >= 0 {
			r.Status, r.StartPhase = now[j].Status, now[j].StartPhase
		}
	}
	return &mgmapi.CommandReply{Results: results, Note: note}, nil
}

func describe(c mgmapi.Command) string {
	s := string(c.Name)
	if c.Initial {
		s += " -i"
	}
	if c.NoStart {
		s += " -n"
	}
	if c.Abort {
		s += " -a"
	}
	return s
}

// commandMgm handles a command to a management server: STOP stops it
// (this one, or another through its own Shutdown).
func (s *Server) commandMgm(ctx context.Context, id uint32, cmd mgmapi.Command, res *mgmapi.CommandResult) {
	if cmd.Name != mgmapi.CmdStop {
		res.Error = fmt.Sprintf("node %d is a management server: it can be stopped (%d STOP), not started or restarted from here", id, id)
		return
	}
	s.clog.add(mgmapi.SeverityInfo, "Command", id, "Node %d: STOP requested by management client at %s", id, cmd.From)
	if id == s.cfg.NodeID {
		res.Delivered, res.Done = true, true
		s.shutdown()
		return
	}
	for _, p := range s.peers.list() {
		if p.id != id {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, s.cfg.PeerTimeout)
		_, err := p.cl.Shutdown(pctx, &mgmapi.ShutdownRequest{Forwarded: true})
		cancel()
		if err != nil {
			res.Error = fmt.Sprintf("management server %d at %s: %v", id, p.addr, err)
			return
		}
		res.Delivered, res.Done = true, true
		return
	}
	res.Error = fmt.Sprintf("management server %d has no address in the configuration", id)
}

// routeSoon is route, tried again for a while when the node is between
// subscriptions (it just claimed its id again, or is moving from a
// management server that stopped).
func (s *Server) routeSoon(ctx context.Context, id uint32, cmd mgmapi.Command, held map[uint32]bool) (bool, error) {
	deadline := time.Now().Add(max(2*s.cfg.HeartbeatInterval, time.Second))
	for {
		ok, err := s.route(ctx, id, cmd, held)
		if ok || !errors.Is(err, mgmapi.ErrNotConnected) || time.Now().After(deadline) {
			return ok, err
		}
		select {
		case <-ctx.Done():
			return ok, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// route delivers cmd to node id's subscription here, or forwards it to the
// other management servers.
func (s *Server) route(ctx context.Context, id uint32, cmd mgmapi.Command, held map[uint32]bool) (bool, error) {
	ok, err := s.deliver(id, cmd)
	if ok || err != nil {
		return ok, err
	}
	var delivered atomic.Bool
	var mu sync.Mutex
	var errs []string
	s.peers.each(ctx, held, func(ctx context.Context, p peer) {
		r, err := p.cl.Command(ctx, &mgmapi.CommandRequest{Command: cmd, NodeIDs: []uint32{id}, Forwarded: true})
		switch {
		case err != nil:
			mu.Lock()
			errs = append(errs, fmt.Sprintf("management server %d: %v", p.id, err))
			mu.Unlock()
		case len(r.Results) == 1 && r.Results[0].Delivered:
			delivered.Store(true)
		case len(r.Results) == 1 && r.Results[0].Error != "":
			mu.Lock()
			errs = append(errs, r.Results[0].Error)
			mu.Unlock()
		}
	})
	if delivered.Load() {
		return true, nil
	}
	msg := fmt.Sprintf("node %d holds its node id but is subscribed to no management server that answered", id)
	if len(errs) > 0 {
		msg += fmt.Sprintf(" (%v)", errs)
	}
	return false, mgmapi.Errorf(mgmapi.CodeNotConnected, "%s", msg)
}

// await follows the registry until every goal is done or ctx ends. When
// the watch fails it reads the registry again and watches from there.
func (s *Server) await(ctx context.Context, events <-chan state.NodeEvent, goals map[uint32]*goal) {
	pending := func() bool {
		for _, g := range goals {
			if !g.done {
				return true
			}
		}
		return false
	}
	for pending() {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if ok && ev.Err == nil {
				if g := goals[ev.Node.ID]; g != nil && !ev.Removed {
					g.observe(ev.Node.State)
				}
				continue
			}
			if ctx.Err() != nil {
				return
			}
			regs, rev, err := s.st.ListNodes(ctx)
			if err != nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(200 * time.Millisecond):
				}
				continue
			}
			for _, r := range regs {
				if g := goals[r.ID]; g != nil {
					g.observe(r.State)
				}
			}
			events = s.st.WatchNodes(ctx, rev)
		}
	}
}

// Shutdown stops every connected data node, waits for them, then stops
// every management server of the configuration, this one last.
func (s *Server) Shutdown(ctx context.Context, req *mgmapi.ShutdownRequest) (*mgmapi.ShutdownReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	rep := &mgmapi.ShutdownReply{}
	from := peerHost(ctx)
	if !req.Forwarded {
		s.clog.add(mgmapi.SeverityInfo, "Command", 0, "Cluster shutdown requested by management client at %s", from)
		held, err := s.st.HeldNodeIDs(ctx)
		if err != nil {
			return nil, storeErr(err)
		}
		nodes := nodesOf(s.conf.Load().Config)
		var ids []uint32
		for _, l := range held {
			if cn, ok := nodes[l.ID]; ok && cn.typ == mgmapi.TypeData {
				ids = append(ids, l.ID)
			}
		}
		if len(ids) > 0 {
			wait := time.Duration(req.WaitMillis) * time.Millisecond
			if wait <= 0 {
				wait = s.cfg.ShutdownWait
			}
			r, err := s.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdStop, From: from, Shutdown: true},
				NodeIDs: ids, WaitMillis: uint32(min(wait, s.cfg.MaxCommandWait).Milliseconds())})
			if err != nil {
				return nil, err
			}
			for _, res := range r.Results {
				switch {
				case res.Done:
					rep.DataNodes = append(rep.DataNodes, res.NodeID)
				case res.Error != "":
					rep.Errors = append(rep.Errors, res.Error)
				default:
					rep.Errors = append(rep.Errors, fmt.Sprintf("node %d did not stop in time (%s)", res.NodeID, res.Status.Words()))
				}
			}
		}
		var mu sync.Mutex
		s.peers.each(ctx, heldSet(held), func(ctx context.Context, p peer) {
			_, err := p.cl.Shutdown(ctx, &mgmapi.ShutdownRequest{Forwarded: true})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				rep.Errors = append(rep.Errors, fmt.Sprintf("management server %d at %s: %v", p.id, p.addr, err))
				return
			}
			rep.MgmNodes = append(rep.MgmNodes, p.id)
		})
	} else {
		s.clog.add(mgmapi.SeverityInfo, "Command", s.cfg.NodeID, "Node %d: shutdown requested by management server at %s", s.cfg.NodeID, from)
	}
	rep.MgmNodes = append(rep.MgmNodes, s.cfg.NodeID)
	slices.Sort(rep.MgmNodes)
	s.shutdown()
	return rep, nil
}
