package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/schema"
)

// Tables created and dropped while the node runs.
//
// Ordering. Every data node applies the same dictionary change on its
// own, when its process hears of it; nothing orders the nodes against
// each other yet. So a TC on one node may know a new table before
// another node's LQH has created its replica of a fragment: that LQH
// answers 723 (no such table) and the transaction aborts; a retry after
// every node applied the change succeeds. Likewise a dropped table
// disappears from TCs one node at a time. A schema transaction protocol
// (NDB's DICT with SCHEMA_TRANS) will close this window later.

// ErrTableExists: AddTable got a table id the node has at another version.
var ErrTableExists = errors.New("node: table id exists with another definition")

// ErrNoSuchTable: DropTable named a table the node does not have.
var ErrNoSuchTable = errors.New("node: no such table")

// reapInterval is how often a dropped table's replicas that operations
// still used are checked again.
const reapInterval = 100 * time.Millisecond

// AddTable adds table t while the node runs: it computes the new
// distribution (t hash-partitioned into PartitionsPerNode × data nodes
// fragments, as the tables given at start), creates this node's empty
// replicas on LQH's thread, and only then publishes the distribution, so
// that this node's TC never sends to a replica this LQH lacks. Adding a
// table the node has at the same version does nothing. t must not change
// afterwards.
func (n *Node) AddTable(ctx context.Context, t *schema.Table) error {
	n.ddl.Lock()
	defer n.ddl.Unlock()
	d := n.Distribution()
	if cur, ok := d.Table(t.ID); ok {
		if cur.Base == 0 && cur.Layout.Table.Version == t.Version && cur.Layout.Table.Name == t.Name {
			return nil
		}
		return fmt.Errorf("%w: table %s id %d version %d; the node has %s version %d",
			ErrTableExists, t.Name, t.ID, t.Version, cur.Layout.Table.Name, cur.Layout.Table.Version)
	}
	l, err := schema.NewLayout(t)
	if err != nil {
		return fmt.Errorf("node %d: table %s: %w", n.cfg.NodeID, t.Name, err)
	}
	nd, err := d.WithTable(l, n.groups, n.cfg.PartitionsPerNode*len(n.cfg.DataNodes))
	if err != nil {
		return fmt.Errorf("node %d: %w", n.cfg.NodeID, err)
	}
	var created int
	if err := n.WithLQH(ctx, func(q *lqh.LQH) { created = q.AddFragments(nd, t.ID) }); err != nil {
		return fmt.Errorf("node %d: create the fragments of table %s: %w", n.cfg.NodeID, t.Name, err)
	}
	n.dist.Store(nd)
	n.log.Info("table added", "table", t.Name, "id", t.ID, "version", t.Version, "replicas_here", created,
		"distribution", nd.Version)
	return nil
}

// DropTable removes table id (and its unique indexes' hidden tables):
// first from the published distribution, so this node's TC starts no
// more operations on it, then this node's replicas on LQH's thread;
// requests that still arrive are refused with 723. Replicas that
// running operations use are freed when those end.
func (n *Node) DropTable(ctx context.Context, id uint32) error {
	n.ddl.Lock()
	defer n.ddl.Unlock()
	d := n.Distribution()
	t, ok := d.Table(id)
	if !ok || t.Base != 0 {
		return fmt.Errorf("%w: node %d has no table %d", ErrNoSuchTable, n.cfg.NodeID, id)
	}
	nd, err := n.without(d, id)
	if err != nil {
		return err
	}
	ids := []uint32{id}
	for _, u := range t.Uniques {
		ids = append(ids, u.Hidden)
	}
	n.dist.Store(nd)
	var removed, pending int
	if err := n.WithLQH(ctx, func(q *lqh.LQH) {
		removed = q.DropFragments(ids...)
		pending = q.ReapDropped()
	}); err != nil {
		return fmt.Errorf("node %d: free the fragments of table %d: %w", n.cfg.NodeID, id, err)
	}
	if pending > 0 {
		go n.reap()
	}
	n.log.Info("table dropped", "table", t.Layout.Table.Name, "id", id, "replicas_here", removed,
		"still_in_use", pending, "distribution", nd.Version)
	return nil
}

// without returns d less table id and its hidden tables. dih has no
// removal yet, so the other tables are placed again: placement depends
// only on the node groups and the fragment count, so they come out the
// same.
func (n *Node) without(d *dih.Distribution, id uint32) (*dih.Distribution, error) {
	nd := dih.New()
	for _, tid := range d.TableIDs() {
		t, _ := d.Table(tid)
		if tid == id || t.Base != 0 {
			continue
		}
		var err error
		if nd, err = nd.WithTable(t.Layout, n.groups, len(t.Replicas)); err != nil {
			return nil, fmt.Errorf("node %d: redistribute table %s: %w", n.cfg.NodeID, t.Layout.Table.Name, err)
		}
	}
	nd.Version = d.Version + 1
	return nd, nil
}

// reap frees dropped replicas once their operations ended, until none
// is left or the node stops.
func (n *Node) reap() {
	t := time.NewTicker(reapInterval)
	defer t.Stop()
	for {
		select {
		case <-n.stopped:
			return
		case <-t.C:
		}
		left := 0
		if err := n.WithLQH(context.Background(), func(q *lqh.LQH) { left = q.ReapDropped() }); err != nil || left == 0 {
			return
		}
	}
}

// HasTable reports whether the node's distribution has table id.
func (n *Node) HasTable(id uint32) bool {
	_, ok := n.Distribution().Table(id)
	return ok
}
