package node

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/gcp"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/datanode/restart"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Membership configures the node's QMGR block (datanode/qmgr): heartbeats
// between data nodes, failure detection and agreement, arbitration.
type Membership struct {
	// Enabled places QMGR on the node; without it the node runs no
	// failure detection and the cluster waits for a failed node to return
	// (config.ini's NodeFailover).
	Enabled bool
	// Generation numbers the cluster's system starts; arbitration requests
	// carry it (qmgr.Config.Generation).
	Generation uint64
	// Founder: this node starts a new cluster and the others join it. The
	// zero value lets Start choose: the lowest id of DataNodes, which every
	// node of a system start computes alike.
	Founder *bool
	// StartID tells this start of the node from its earlier ones (0: the
	// start time in nanoseconds).
	StartID uint64
	// HeartbeatIntervalDbDb and HeartbeatIntervalDbApi (0: QMGR's
	// defaults, 5 s and 1.5 s); MissedHeartbeats in a row declare a node
	// dead (0: 4).
	HeartbeatIntervalDbDb, HeartbeatIntervalDbApi time.Duration
	MissedHeartbeats                              int
	// Arbitration mode and its time-out (0: 7.5 s); Arbitrator decides a
	// split into halves (nil: none, so Default mode stops both halves).
	Arbitration        qmgr.ArbitrationMode
	ArbitrationTimeout time.Duration
	Arbitrator         qmgr.Arbitrator
	// OnShutdown is called (on its own goroutine) when QMGR stops the node:
	// it was excluded from the cluster, or its side of a partition lost.
	// The process must stop the node; nil: the node stops itself.
	OnShutdown func(reason string)
	// Starting: this start is a node restart: the cluster runs without
	// this node, which joins it, has its replicas copied from the live
	// ones (package restart) and takes transactions only once that is
	// done. OnStarted is then called (on its own goroutine); OnProgress
	// is told of the copy's progress (on the node's main thread: it must
	// not block). Both may be nil.
	Starting   bool
	OnStarted  func()
	OnProgress func(restart.Progress)
	// Members are the data nodes of a system start whose disks restore
	// the GCI it restores (nil: every data node). The others join by node
	// restarts: until then they are no replicas, no GCP participants, and
	// the founder is the lowest member.
	Members []signal.NodeID
	// Gossip configures the gossip member that gives QMGR a second
	// opinion on data node failures (gossip.go; off by default).
	Gossip Gossip
}

// newQMGR builds the node's QMGR, which reports failures to TC, LQH and
// GCP, and on a view that loses nodes swaps in a distribution without
// them before its signals reach those blocks. With Membership.Gossip the
// block is QMGR with the node's gossip member (gossip.go).
func (n *Node) newQMGR(groups []partition.NodeGroup) (block.Block, error) {
	m := n.cfg.Membership
	qc := qmgr.DefaultConfig()
	qc.Node = n.cfg.NodeID
	qc.StartID = n.startID
	lowest := n.cfg.NodeID
	for _, d := range n.cfg.DataNodes {
		qc.DataNodes = append(qc.DataNodes, d.ID)
		if m.Members == nil || slices.Contains(m.Members, d.ID) {
			lowest = min(lowest, d.ID)
		}
	}
	qc.Founder = lowest == n.cfg.NodeID
	if m.Founder != nil {
		qc.Founder = *m.Founder
	}
	if m.Starting {
		qc.Founder = false // the cluster runs: join it
	}
	for _, g := range groups {
		var ns []signal.NodeID
		for _, id := range g.Nodes {
			ns = append(ns, signal.NodeID(id))
		}
		qc.NodeGroups = append(qc.NodeGroups, ns)
	}
	if m.HeartbeatIntervalDbDb > 0 {
		qc.HeartbeatIntervalDbDb = m.HeartbeatIntervalDbDb
	}
	if m.HeartbeatIntervalDbApi > 0 {
		qc.HeartbeatIntervalDbApi = m.HeartbeatIntervalDbApi
	}
	if m.MissedHeartbeats > 0 {
		qc.MissedHeartbeats = m.MissedHeartbeats
	}
	if m.ArbitrationTimeout > 0 {
		qc.ArbitrationTimeout = m.ArbitrationTimeout
	}
	qc.Arbitration, qc.Arbitrator, qc.Generation = m.Arbitration, m.Arbitrator, m.Generation
	self := n.cfg.NodeID
	qc.Local = []qmgr.Local{
		{Addr: signal.Address{Node: self, Block: gsn.BlockTC}, Acks: true},
		{Addr: signal.Address{Node: self, Block: gsn.BlockLQH}, Lease: true},
		{Addr: signal.Address{Node: self, Block: gsn.BlockDIH}},
		{Addr: signal.Address{Node: self, Block: gsn.BlockRESTART}},
	}
	qc.OnEvent = n.onMembership
	q, err := qmgr.New(qc)
	if err != nil {
		return nil, err
	}
	if !m.Gossip.Enabled {
		return q, nil
	}
	gc, err := n.gossipConfig(qc.HeartbeatIntervalDbDb)
	if err != nil {
		return nil, err
	}
	return newGossipQMGR(n, q, gc), nil
}

// onMembership runs on QMGR's thread for each of its events.
func (n *Node) onMembership(e qmgr.Event) {
	switch e.Kind {
	case qmgr.EventView:
		if !e.Failed.Empty() {
			// Before QMGR's NODE_FAILREP reaches TC (this callback runs in
			// the handler that sends it): new operations go to live
			// replicas from now on.
			n.distMu.Lock()
			if m := n.members; m != nil {
				n.members = &memberSets{live: m.live.Minus(e.Failed), starting: m.starting.Minus(e.Failed)}
			}
			n.distMu.Unlock()
			n.publish(func(d *dih.Distribution) (*dih.Distribution, error) {
				return d.WithoutNodes(e.Failed.Has), nil
			})
			n.log.Warn("data nodes failed", "view", e.FailNo, "failed", e.Failed.String(), "president", e.President,
				"members", len(e.Members))
		} else {
			n.log.Info("cluster view", "view", e.FailNo, "joined", e.Joined.String(), "president", e.President,
				"members", len(e.Members))
		}
	case qmgr.EventSuspect:
		switch e.Gossip {
		case qmgr.GossipAlive:
			n.log.Warn("data node suspected: link failure (gossip reaches it)", "node", e.Node, "reason", e.Reason)
		case qmgr.GossipUnknown:
			n.log.Warn("data node suspected", "node", e.Node, "reason", e.Reason)
		default:
			n.log.Warn("data node suspected", "node", e.Node, "reason", e.Reason, "gossip", e.Gossip.String())
		}
	case qmgr.EventArbitration:
		n.log.Warn("arbitration", "verdict", e.Verdict.String(), "reason", e.Reason)
	case qmgr.EventAPIFailed:
		n.log.Warn("API node failed", "node", e.Node, "reason", e.Reason)
	case qmgr.EventShutdown:
		n.log.Error("data node shutting down", "reason", e.Reason)
		if f := n.cfg.Membership.OnShutdown; f != nil {
			go f(e.Reason)
		} else {
			go n.Stop()
		}
	}
}

// ErrNoMembership: the node runs no QMGR.
var ErrNoMembership = errors.New("node: no membership block")

// MembershipState is QMGR's state (ndbinfo.membership, metrics, tests).
func (n *Node) MembershipState(ctx context.Context) (qmgr.State, error) {
	var st qmgr.State
	err := n.Do(ctx, gsn.BlockQMGR, 0, func(b block.Block) {
		if g, ok := b.(*gossipQMGR); ok {
			b = g.QMGR
		}
		st = b.(*qmgr.QMGR).State()
	})
	return st, err
}

// memberSets are the distribution's full and starting replicas.
type memberSets struct{ live, starting qmgr.NodeSet }

// newRestart builds the node's RESTART block and restricts the first
// distribution to its members (a starting node is a starting replica of
// its own fragments, so its TC takes no transactions yet).
func (n *Node) newRestart(groups []partition.NodeGroup) *restart.RESTART {
	m := n.cfg.Membership
	rc := restart.Config{Node: n.cfg.NodeID, Starting: m.Starting, StartID: n.startID, Members: m.Members,
		Distribution: n.Distribution, SetMembers: n.setMembers, OnProgress: m.OnProgress, History: n.diskHistory,
		OnStarted: func() {
			n.log.Info("node restart done: the node is a full replica again")
			if m.OnStarted != nil {
				go m.OnStarted()
			}
			go n.announceDurable()
		},
		OnFailed: func(reason string) {
			n.onMembership(qmgr.Event{Kind: qmgr.EventShutdown, Reason: reason})
		}}
	for _, d := range n.cfg.DataNodes {
		rc.DataNodes = append(rc.DataNodes, d.ID)
	}
	for _, g := range groups {
		var ns []signal.NodeID
		for _, id := range g.Nodes {
			ns = append(ns, signal.NodeID(id))
		}
		rc.NodeGroups = append(rc.NodeGroups, ns)
	}
	r := restart.New(rc)
	live, starting := r.Members()
	n.setMembers(live, starting)
	return r
}

// setMembers publishes the distribution restricted to these members
// (RESTART's SetMembers, on the main thread).
func (n *Node) setMembers(live, starting qmgr.NodeSet) {
	n.distMu.Lock()
	n.members = &memberSets{live: live, starting: starting}
	n.distMu.Unlock()
	n.publish(func(d *dih.Distribution) (*dih.Distribution, error) { return d, nil })
}

// publish changes the distribution with f and restricts the result to the
// members, as one step against other changes.
func (n *Node) publish(f func(*dih.Distribution) (*dih.Distribution, error)) (*dih.Distribution, error) {
	n.distMu.Lock()
	defer n.distMu.Unlock()
	nd, err := f(n.dist.Load())
	if err != nil {
		return nil, err
	}
	if m := n.members; m != nil {
		nd = nd.WithMembers(m.live.Has, m.starting.Has)
	}
	n.dist.Store(nd)
	return nd, nil
}

// Restarting reports whether the node is still having its replicas
// copied by a node restart.
func (n *Node) Restarting() bool { return n.Distribution().IsStarting(n.cfg.NodeID) }

// announceDurable waits, after a node restart, until a local checkpoint
// round that began after the copy has finished, so that the node's disk
// restores its replicas, then has GCP tell every node: saves take the
// node in again, and its sysfile records it as restoring the saved GCI.
// Until then a system restart does not trust this node's disk (package
// sysfile: Nodes). A diskless node has nothing to wait for.
func (n *Node) announceDurable() {
	ctx := context.Background()
	if n.dur != nil && !n.cfg.OnlineLCP {
		n.log.Warn("node restart: without online local checkpoints this node's disk cannot restore the copied replicas; a system restart will copy them again")
		return
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for done := false; !done; {
		if err := n.WithLQH(ctx, func(q *lqh.LQH) { done = q.FilledDurable() }); err != nil {
			return
		}
		if done {
			break
		}
		select {
		case <-n.stopped:
			return
		case <-t.C:
		}
	}
	if err := n.Do(ctx, gsn.BlockDIH, 0, func(b block.Block) { b.(*gcp.GCP).AnnounceDurable() }); err != nil {
		return
	}
	n.log.Info("node restart: a local checkpoint after the copy is complete; the node takes part in GCP saves again")
	close(n.durable)
}

// Durable is closed once a node restart's replicas are restorable from
// this node's disk (a local checkpoint after the copy), and the node
// takes part in GCP saves again: the runtime reports the node started
// only then, so a rolling restart never leaves only undurable replicas.
// It is never closed for a node that did not start by a node restart.
func (n *Node) Durable() <-chan struct{} { return n.durable }
