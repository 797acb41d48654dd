package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// The rolling restart: RESTART of every data node (ALL RESTART) when the
// cluster runs with NodeFailover. The server restarts the data nodes one
// at a time on a goroutine of its own, so the restart goes on when the
// client that asked goes away; the client follows it in StatusReply's
// Rolling. Before a node is restarted every other node of its node group
// must be STARTED (a node group keeps a live node throughout, also
// against a second rolling restart run through another management
// server); after it, the next waits until the node is STARTED again,
// which a data node reports only once its node restart copied its
// replicas. The president (the node marked master in the heartbeats)
// goes last, so the president changes once.

// rolling is the server's rolling restart: the running one, or the last.
type rolling struct {
	mu  sync.Mutex
	cur *mgmapi.RollingRestart // nil before the first
}

// rollingState is a copy of the server's latest rolling restart (nil when
// none ran since the server started).
func (s *Server) rollingState() *mgmapi.RollingRestart {
	s.roll.mu.Lock()
	defer s.roll.mu.Unlock()
	return cloneRolling(s.roll.cur)
}

func cloneRolling(r *mgmapi.RollingRestart) *mgmapi.RollingRestart {
	if r == nil {
		return nil
	}
	c := *r
	c.Nodes = slices.Clone(r.Nodes)
	return &c
}

// whyNotRolling says why RESTART of every data node cannot be a rolling
// restart under cfg, and so restarts them all at once: "" when it can.
func whyNotRolling(cfg *config.Config) string {
	if !cfg.Cluster.NodeFailover {
		return "NodeFailover is off, so the cluster cannot run without a data node: every data node restarts at once (a system restart) and the cluster is down until they are started again"
	}
	for g, nodes := range cfg.NodeGroups() {
		if len(nodes) == 1 {
			return fmt.Sprintf("node group %d has one data node (NoOfReplicas=%d), which a rolling restart cannot take down: every data node restarts at once (a system restart)",
				g, cfg.Cluster.NoOfReplicas)
		}
	}
	return ""
}

// rollingCommand answers a RESTART of every data node as a rolling
// restart: it starts one and answers at once (req.Follow) or when it
// ended (or ctx did).
func (s *Server) rollingCommand(ctx context.Context, req *mgmapi.CommandRequest, cmd mgmapi.Command) (*mgmapi.CommandReply, error) {
	if cmd.NoStart {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid,
			"RESTART -n of every data node: with NodeFailover on, ALL RESTART is a rolling restart, which waits for each node to start again before it restarts the next; stop them with ALL STOP, or one with <id> RESTART -n")
	}
	perNode := s.cfg.MaxCommandWait
	if req.WaitMillis > 0 {
		perNode = min(time.Duration(req.WaitMillis)*time.Millisecond, perNode)
	}
	job, done, err := s.startRolling(ctx, cmd, perNode)
	if err != nil {
		return nil, err
	}
	if !req.Follow {
		select {
		case <-done:
			job = s.rollingState()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	rep := &mgmapi.CommandReply{Rolling: job}
	for _, n := range job.Nodes {
		r := mgmapi.CommandResult{NodeID: n.NodeID, Delivered: n.State == mgmapi.RollingStarted || n.State == mgmapi.RollingRestarting,
			Done: n.State == mgmapi.RollingStarted}
		if n.State == mgmapi.RollingSkipped || n.State == mgmapi.RollingFailed {
			r.Error = fmt.Sprintf("node %d: %s", n.NodeID, n.Note)
		}
		rep.Results = append(rep.Results, r)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if st, err := s.Status(rctx, &mgmapi.StatusRequest{}); err == nil {
		for i := range rep.Results {
			r := &rep.Results[i]
			if j := slices.IndexFunc(st.Nodes, func(n mgmapi.NodeInfo) bool { return n.NodeID == r.NodeID }); j >= 0 {
				r.Status, r.StartPhase = st.Nodes[j].Status, st.Nodes[j].StartPhase
			}
		}
	}
	return rep, nil
}

// startRolling plans a rolling restart and starts it on its own
// goroutine. It refuses while one runs, here or on another management
// server. done closes when it ended.
func (s *Server) startRolling(ctx context.Context, cmd mgmapi.Command, perNode time.Duration) (*mgmapi.RollingRestart, <-chan struct{}, error) {
	st, err := s.Status(ctx, &mgmapi.StatusRequest{})
	if err != nil {
		return nil, nil, err
	}
	plan := rollingPlan(st.Nodes)
	if len(plan) == 0 {
		return nil, nil, mgmapi.Errorf(mgmapi.CodeInvalid, "the configuration has no data node to restart")
	}
	now := time.Now()
	job := &mgmapi.RollingRestart{ID: uint64(now.UnixNano()), MgmNodeID: s.cfg.NodeID, Command: cmd, Began: now, Nodes: plan}
	s.roll.mu.Lock()
	if r := latestRolling(s.roll.cur, st.Rolling); r != nil && r.Running() {
		s.roll.mu.Unlock()
		return nil, nil, mgmapi.Errorf(mgmapi.CodeConflict, "a rolling restart is running on management server %d since %s (%s): wait for it to end",
			r.MgmNodeID, r.Began.Format(time.RFC3339), rollingWhere(r))
	}
	s.roll.cur = job
	s.roll.mu.Unlock()
	var ids []string
	for _, n := range plan {
		if n.State == mgmapi.RollingWaiting {
			ids = append(ids, fmt.Sprint(n.NodeID))
		}
	}
	s.clog.add(mgmapi.SeverityInfo, "Command", 0, "Rolling restart of data nodes %s (%s) requested by management client at %s",
		strings.Join(ids, ", "), describe(cmd), cmd.From)
	done := make(chan struct{})
	// The gRPC call that started it is still running, so Stop, which
	// waits for calls (GracefulStop) before s.wg, cannot be waiting yet.
	s.wg.Add(1)
	go s.runRolling(job.ID, cmd, perNode, done)
	return cloneRolling(job), done, nil
}

// rollingPlan orders the data nodes of a status for a rolling restart: by
// node id, the president last. Nodes that are not connected or not
// started are skipped, as ALL commands leave them out.
func rollingPlan(nodes []mgmapi.NodeInfo) []mgmapi.RollingNode {
	var plan []mgmapi.RollingNode
	var master []mgmapi.RollingNode
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b mgmapi.NodeInfo) int { return int(a.NodeID) - int(b.NodeID) })
	for _, n := range nodes {
		if n.Type != mgmapi.TypeData {
			continue
		}
		rn := mgmapi.RollingNode{NodeID: n.NodeID, NodeGroup: n.NodeGroup, State: mgmapi.RollingWaiting}
		switch n.Status {
		case mgmapi.StatusNotConnected:
			rn.State, rn.Note = mgmapi.RollingSkipped, "not connected"
		case mgmapi.StatusNotStarted, mgmapi.StatusStopping:
			rn.State, rn.Note = mgmapi.RollingSkipped, "not started (START starts it)"
		}
		if n.Master && rn.State == mgmapi.RollingWaiting {
			master = append(master, rn)
			continue
		}
		plan = append(plan, rn)
	}
	return append(plan, master...)
}

// rollingWhere says where a rolling restart is, for messages.
func rollingWhere(r *mgmapi.RollingRestart) string {
	done := 0
	for _, n := range r.Nodes {
		switch n.State {
		case mgmapi.RollingRestarting:
			return fmt.Sprintf("node %d restarting", n.NodeID)
		case mgmapi.RollingStarted:
			done++
		}
	}
	return fmt.Sprintf("%d of %d nodes restarted", done, len(r.Nodes))
}

// updateRolling changes node i of the running rolling restart id.
func (s *Server) updateRolling(id uint64, f func(r *mgmapi.RollingRestart)) {
	s.roll.mu.Lock()
	defer s.roll.mu.Unlock()
	if s.roll.cur != nil && s.roll.cur.ID == id {
		f(s.roll.cur)
	}
}

// runRolling restarts the planned nodes in turn, stopping at the first
// that fails.
func (s *Server) runRolling(id uint64, cmd mgmapi.Command, perNode time.Duration, done chan struct{}) {
	defer s.wg.Done()
	defer close(done)
	job := s.rollingState()
	var failure string
	count, total := 0, 0
	for _, n := range job.Nodes {
		if n.State == mgmapi.RollingWaiting {
			total++
		}
	}
	for i, n := range job.Nodes {
		if n.State != mgmapi.RollingWaiting {
			continue
		}
		count++
		state, note := s.rollOne(id, i, n, cmd, perNode, count, total)
		s.updateRolling(id, func(r *mgmapi.RollingRestart) {
			x := &r.Nodes[i]
			x.State, x.Note = state, note
			if !x.Began.IsZero() {
				x.Ended = time.Now()
			}
		})
		if state == mgmapi.RollingFailed {
			failure = fmt.Sprintf("node %d: %s", n.NodeID, note)
			break
		}
	}
	var took time.Duration
	s.updateRolling(id, func(r *mgmapi.RollingRestart) {
		r.Ended, r.Error = time.Now(), failure
		took = r.Ended.Sub(r.Began)
	})
	if failure != "" {
		s.clog.add(mgmapi.SeverityAlert, "NodeRestart", 0, "Rolling restart stopped after %v: %s; the nodes after it were not restarted",
			took.Round(time.Millisecond), failure)
		return
	}
	s.clog.add(mgmapi.SeverityInfo, "NodeRestart", 0, "Rolling restart done in %v", took.Round(time.Millisecond))
}

// registryReadTimeout bounds one read of the node registry by a rolling
// restart, whatever its wait per node.
const registryReadTimeout = 5 * time.Second

// rollOne restarts node n (number i of the rolling restart id) once it
// and every other node of its node group are STARTED, and waits until it
// is STARTED again. It returns the node's final state and why, for
// skipped or failed nodes.
func (s *Server) rollOne(id uint64, i int, n mgmapi.RollingNode, cmd mgmapi.Command, perNode time.Duration, count, total int) (mgmapi.RollingState, string) {
	ctx, cancel := context.WithTimeout(s.ctx, perNode)
	defer cancel()
	// Wait until the node and its node group are up.
	var (
		regs []state.NodeInfo
		rev  int64
		held []state.NodeLease
		why  string
	)
	for {
		// The registry reads get their own deadline: a short wait for the
		// node group must still judge it from one read, on a slow etcd too.
		rctx, rcancel := context.WithTimeout(s.ctx, registryReadTimeout)
		var err error
		regs, rev, err = s.st.ListNodes(rctx)
		if err == nil {
			held, err = s.st.HeldNodeIDs(rctx)
		}
		rcancel()
		if err == nil {
			var skip bool
			why, skip = rollReady(nodesOf(s.conf.Load().Config), regs, held, n)
			if skip {
				return mgmapi.RollingSkipped, why
			}
			if why == "" {
				break
			}
		} else {
			why = fmt.Sprintf("reading the node registry: %v", err)
		}
		select {
		case <-ctx.Done():
			if s.ctx.Err() != nil {
				return mgmapi.RollingFailed, fmt.Sprintf("management server %d stopped", s.cfg.NodeID)
			}
			return mgmapi.RollingFailed, fmt.Sprintf("not restarted: after %v %s", perNode, why)
		case <-time.After(100 * time.Millisecond):
		}
	}

	began := time.Now()
	s.updateRolling(id, func(r *mgmapi.RollingRestart) {
		r.Nodes[i].State, r.Nodes[i].Began = mgmapi.RollingRestarting, began
	})
	s.clog.add(mgmapi.SeverityInfo, "Command", n.NodeID, "Node %d: rolling restart: %s (node %d of %d)", n.NodeID, describe(cmd), count, total)
	ok, err := s.routeSoon(ctx, n.NodeID, cmd, heldSet(held))
	if !ok {
		return mgmapi.RollingFailed, fmt.Sprintf("RESTART not delivered: %v", err)
	}
	cur := state.StateStarted
	if j := slices.IndexFunc(regs, func(r state.NodeInfo) bool { return r.ID == n.NodeID }); j >= 0 {
		cur = regs[j].State
	}
	g := newGoal(cmd, cur)
	s.await(ctx, s.st.WatchNodes(ctx, rev), map[uint32]*goal{n.NodeID: g})
	if !g.done {
		if s.ctx.Err() != nil {
			return mgmapi.RollingFailed, fmt.Sprintf("management server %d stopped while the node restarted", s.cfg.NodeID)
		}
		return mgmapi.RollingFailed, fmt.Sprintf("not started again within %v", perNode)
	}
	s.clog.add(mgmapi.SeverityInfo, "NodeRestart", n.NodeID, "Node %d: rolling restart: started again after %v",
		n.NodeID, time.Since(began).Round(time.Millisecond))
	return mgmapi.RollingStarted, ""
}

// rollReady says why node n cannot be restarted now ("" when it can): it
// or another node of its node group is not STARTED. skip: the node itself
// is not connected or not started, and is left alone.
func rollReady(cfg map[uint32]configNode, regs []state.NodeInfo, held []state.NodeLease, n mgmapi.RollingNode) (why string, skip bool) {
	for _, ni := range buildStatus(cfg, regs, held, nil) {
		if ni.Type != mgmapi.TypeData || ni.NodeGroup != n.NodeGroup || ni.Status == mgmapi.StatusStarted {
			continue
		}
		if ni.NodeID == n.NodeID {
			switch ni.Status {
			case mgmapi.StatusNotConnected:
				return "not connected any more", true
			case mgmapi.StatusNotStarted:
				return "not started any more (START starts it)", true
			}
			return fmt.Sprintf("the node is %s", ni.Status.Words()), false
		}
		return fmt.Sprintf("node %d of its node group %d is %s: restarting it would leave the node group without a live node",
			ni.NodeID, n.NodeGroup, ni.Status.Words()), false
	}
	return "", false
}
