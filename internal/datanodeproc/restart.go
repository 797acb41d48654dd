package datanodeproc

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gondb/gondb/signal"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// The system restart's GCI agreement (start phase 0). Every data node's
// sysfile names the last GCI it saw saved, and a GCP save writes no
// sysfile before every node synced its redo log up to that GCI. So the
// highest sysfile GCI of the cluster is restorable on every node, and the
// nodes must all restore that one: a node restoring its own, older GCI
// would lack transactions its replicas have. The nodes learn each other's
// through the management servers (the RestorableGCI heartbeat figure),
// before any restores.

// agreeRestorable returns the GCI this start restores, given own, this
// node's disk's. It waits until every other data node reported its own
// while STARTING, then returns the highest. When another data node is
// running (it heartbeats while STARTED), this is a node restart and own is
// returned. After StartPartialTimeout it goes on without the nodes that
// did not report, if those that did cover every node group (as phase 3).
//
// A node with nothing to restore (own 0: no sysfile) reports 0 and does not
// wait: the agreement cannot give it data.
func (p *Proc) agreeRestorable(ctx context.Context, cfg *config.Config, own uint64, ownNodes [8]uint32, began time.Time) (gci uint64, nodeRestart bool, members []signal.NodeID, err error) {
	p.setRestorable(&own, ownNodes)
	if err := p.heartbeatNow(ctx); err != nil {
		p.log.Warn("data node: reporting the restorable GCI", "err", err)
	}
	if own == 0 {
		return 0, p.anyStarted(ctx), nil, nil
	}
	partial := cfg.Cluster.StartPartialTimeout
	seen := map[uint32]time.Time{} // STARTED nodes' last heartbeat, to tell a live one from a killed one
	var lastLog time.Time
	for {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := p.mgm.Conn().Status(sctx)
		cancel()
		if err == nil {
			gci, reported, missing, running := restorableOf(st.Nodes, uint32(p.id), own, seen)
			agreed := func() (uint64, bool, []signal.NodeID, error) {
				p.logAgreed(own, gci, reported)
				nodes := restoringNodes(st.Nodes, uint32(p.id), own, ownNodes, gci)
				if nodes == nil {
					return gci, false, nil, nil // not recorded: every node restores gci
				}
				if !slices.Contains(nodes, signal.NodeID(p.id)) {
					p.log.Warn("data node: this node's disk does not restore the agreed GCI (it was not in that save: failed, or still being filled by a node restart); it joins by a node restart",
						"gci", gci, "own_gci", own, "restoring_nodes", nodes)
					return own, true, nil, nil
				}
				return gci, false, nodes, nil
			}
			switch {
			case running != 0:
				p.log.Info("data node: data node running: a node restart restores this node's own GCI", "running", running, "gci", own)
				return own, true, nil, nil
			case len(missing) == 0:
				return agreed()
			case partial > 0 && time.Since(began) >= partial && coversGroups(cfg, reported):
				p.log.Warn("data node: StartPartialTimeout passed; restoring without the data nodes that did not report (every node group did)",
					"missing", missing, "timeout", partial)
				return agreed()
			}
			if time.Since(lastLog) >= 5*time.Second {
				if !lastLog.IsZero() {
					p.log.Info("data node: start phase 0: waiting for the restorable GCI of other data nodes", "missing", missing)
				}
				lastLog = time.Now()
			}
		} else if ctx.Err() == nil {
			p.log.Warn("data node: start phase 0: reading the cluster's status", "err", err)
		}
		select {
		case <-ctx.Done():
			return 0, false, nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// anyStarted reports whether another data node is STARTED: a node with
// nothing on disk joins that cluster by a node restart.
func (p *Proc) anyStarted(ctx context.Context) bool {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	st, err := p.mgm.Conn().Status(sctx)
	cancel()
	if err != nil {
		return false
	}
	for _, n := range st.Nodes {
		if n.Type == mgmapi.TypeData && n.NodeID != uint32(p.id) && n.Status == mgmapi.StatusStarted {
			return true
		}
	}
	return false
}

func (p *Proc) logAgreed(own, gci uint64, reported map[uint32]uint64) {
	if gci > own {
		p.log.Warn("data node: another node's sysfile is ahead of this node's; replaying the redo log up to it", "own_gci", own, "gci", gci, "reported", reported)
		return
	}
	p.log.Info("data node: restorable GCI agreed", "gci", gci, "reported", reported)
}

// restorableOf reads a status: the highest restorable GCI among self (own)
// and the data nodes that reported one while STARTING, those nodes, the
// data nodes still missing, and a data node that is running (STARTED and
// heartbeating since the last status: its heartbeat time moved), if any.
// seen carries the STARTED nodes' heartbeat times between calls.
func restorableOf(nodes []mgmapi.NodeInfo, self uint32, own uint64, seen map[uint32]time.Time) (gci uint64, reported map[uint32]uint64, missing []uint32, running uint32) {
	gci, reported = own, map[uint32]uint64{self: own}
	for _, n := range nodes {
		if n.Type != mgmapi.TypeData || n.NodeID == self {
			continue
		}
		switch {
		case n.Status == mgmapi.StatusStarting && n.RestorableGCI != nil:
			reported[n.NodeID] = *n.RestorableGCI
			gci = max(gci, *n.RestorableGCI)
			continue
		case n.Status == mgmapi.StatusStarted:
			if at, ok := seen[n.NodeID]; ok && n.LastHeartbeat.After(at) && running == 0 {
				running = n.NodeID
			}
			seen[n.NodeID] = n.LastHeartbeat
		}
		missing = append(missing, n.NodeID)
	}
	slices.Sort(missing)
	return gci, reported, missing, running
}

// coversGroups reports whether the nodes in reported hold a node of every
// node group.
func coversGroups(cfg *config.Config, reported map[uint32]uint64) bool {
	for _, g := range cfg.NodeGroups() {
		if !slices.ContainsFunc(g, func(id int) bool { _, ok := reported[uint32(id)]; return ok }) {
			return false
		}
	}
	return true
}

// restoringNodes returns the data nodes whose disks restore gci, the
// agreed GCI, from the report of a node (self included, with own and
// ownNodes) whose sysfile records it; nil when none recorded the nodes (a
// version 1 sysfile: every node restores it).
func restoringNodes(nodes []mgmapi.NodeInfo, self uint32, own uint64, ownNodes [8]uint32, gci uint64) []signal.NodeID {
	set := func(w [8]uint32) []signal.NodeID {
		if w == [8]uint32{} {
			return nil
		}
		var out []signal.NodeID
		for n := 1; n <= signal.MaxNodeID; n++ {
			if w[n/32]&(1<<(n%32)) != 0 {
				out = append(out, signal.NodeID(n))
			}
		}
		return out
	}
	if own == gci {
		return set(ownNodes)
	}
	for _, n := range nodes {
		if n.NodeID != self && n.RestorableGCI != nil && *n.RestorableGCI == gci && len(n.RestorableNodes) == 8 {
			return set([8]uint32(n.RestorableNodes))
		}
	}
	return nil
}

// setRestorable sets the RestorableGCI and RestorableNodes the heartbeats
// carry (nil: none).
func (p *Proc) setRestorable(g *uint64, nodes [8]uint32) {
	p.mu.Lock()
	p.restorable = g
	p.restorableNodes = nil
	if g != nil && nodes != ([8]uint32{}) {
		p.restorableNodes = nodes[:]
	}
	p.mu.Unlock()
	p.publishHeartbeat()
}

func (p *Proc) heartbeatNow(ctx context.Context) error {
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.mgm.Heartbeat(hctx); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}
