package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/schema"
)

// Tables created and dropped while the node runs.
//
// Indexes created and dropped on a table with rows (AlterTable) take a
// new version of the table. The added ordered indexes are built on LQH's
// thread in bounded batches by a goroutine of the node (buildIndexes):
// each batch is one node.Do, so signals run between batches. Until its
// fragment's build is done an added index refuses scans with the
// temporary error 9020 (index not online). See store's alter.go for why
// writes during the build keep the index exact.
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
	// Placed again on the distribution of now, restricted to its members
	// (a failure or a node restart may have changed them meanwhile).
	if nd, err = n.publish(func(d *dih.Distribution) (*dih.Distribution, error) {
		return d.WithTable(l, n.groups, n.cfg.PartitionsPerNode*len(n.cfg.DataNodes))
	}); err != nil {
		return fmt.Errorf("node %d: %w", n.cfg.NodeID, err)
	}
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
	nd, err := n.publish(func(d *dih.Distribution) (*dih.Distribution, error) { return n.without(d, id) })
	if err != nil {
		return err
	}
	ids := []uint32{id}
	for _, u := range t.Uniques {
		ids = append(ids, u.Hidden)
	}
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
// same, and publish restricts the chains to the members again.
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

// AlterTable applies a new version of a table the node has, one that only
// adds ordered indexes or drops indexes (schema.CheckIndexChange): LQH's
// replicas switch to it first (added indexes start building, dropped
// ones are retired), then the distribution is published; a dropped unique
// index's hidden table is dropped after that, as DropTable does. The
// builds run in the background (buildIndexes); IndexBuildsPending counts
// them. Applying the version the node has again does nothing.
func (n *Node) AlterTable(ctx context.Context, t *schema.Table) error {
	n.ddl.Lock()
	defer n.ddl.Unlock()
	d := n.Distribution()
	cur, ok := d.Table(t.ID)
	if !ok || cur.Base != 0 {
		return fmt.Errorf("%w: node %d has no table %d to alter", ErrNoSuchTable, n.cfg.NodeID, t.ID)
	}
	old := cur.Layout.Table
	if t.Version == old.Version && t.Name == old.Name {
		return nil
	}
	if t.Version < old.Version {
		return fmt.Errorf("%w: table %s version %d is older than the node's %d", ErrTableExists, t.Name, t.Version, old.Version)
	}
	if err := schema.CheckIndexChange(old, t); err != nil {
		return fmt.Errorf("node %d: %w", n.cfg.NodeID, err)
	}
	l, err := schema.NewLayout(t)
	if err != nil {
		return fmt.Errorf("node %d: table %s: %w", n.cfg.NodeID, t.Name, err)
	}
	var hidden []uint32 // hidden tables of dropped unique indexes
	for _, u := range cur.Uniques {
		if t.Indexes[u.Index].Kind == schema.IndexDropped {
			hidden = append(hidden, u.Hidden)
		}
	}
	// The new entry replaces the table and its remaining hidden tables.
	// A dropped unique index's hidden table keeps its entry (dih has no
	// removal; without would place every table again, forgetting failed
	// replicas): nothing reaches it, since TC maintains the unique indexes
	// the base table lists, and its replicas are dropped below.
	nd, err := d.WithTable(l, n.groups, len(cur.Replicas))
	if err != nil {
		return fmt.Errorf("node %d: %w", n.cfg.NodeID, err)
	}
	var changed, pending int
	var aerr error
	if err := n.WithLQH(ctx, func(q *lqh.LQH) { changed, aerr = q.AlterFragments(nd, t.ID) }); err != nil {
		return fmt.Errorf("node %d: alter the fragments of table %s: %w", n.cfg.NodeID, t.Name, err)
	}
	if aerr != nil {
		return aerr
	}
	if nd, err = n.publish(func(d *dih.Distribution) (*dih.Distribution, error) {
		return d.WithTable(l, n.groups, len(cur.Replicas))
	}); err != nil {
		return fmt.Errorf("node %d: %w", n.cfg.NodeID, err)
	}
	if len(hidden) > 0 {
		if err := n.WithLQH(ctx, func(q *lqh.LQH) {
			q.DropFragments(hidden...)
			pending = q.ReapDropped()
		}); err != nil {
			return fmt.Errorf("node %d: free the dropped unique indexes of table %s: %w", n.cfg.NodeID, t.Name, err)
		}
		if pending > 0 {
			go n.reap()
		}
	}
	n.log.Info("table altered", "table", t.Name, "id", t.ID, "version", t.Version,
		"indexes_added", len(schema.IndexesAdded(old, t)), "indexes_dropped", len(schema.IndexesDropped(old, t)),
		"replicas_here", changed, "distribution", nd.Version)
	n.startBuilder()
	return nil
}

// buildBatch is how many row slots one batch of an ordered index build
// examines on LQH's thread: about an LCP tick's 2048 rows, so a build
// delays signals no more than a checkpoint does.
const buildBatch = 2048

// builders holds the nodes whose index builder runs, so that a burst of
// ALTERs starts one builder per node, not one each.
var builders struct {
	sync.Mutex
	running map[*Node]bool
}

// startBuilder starts the node's index builder unless it runs.
func (n *Node) startBuilder() {
	builders.Lock()
	defer builders.Unlock()
	if builders.running[n] {
		return
	}
	if builders.running == nil {
		builders.running = map[*Node]bool{}
	}
	builders.running[n] = true
	go n.buildIndexes()
}

// buildIndexes runs the builds of added ordered indexes to their end, a
// batch per call on LQH's thread, and frees dropped ordered indexes once
// no scan reads them; it returns when nothing is left or the node stops.
func (n *Node) buildIndexes() {
	start := time.Now()
	batches := 0
	for {
		var building, retired int
		err := n.WithLQH(context.Background(), func(q *lqh.LQH) {
			building = q.BuildIndexes(n.Distribution(), buildBatch)
			retired = q.ReapIndexes()
		})
		batches++
		if err == nil && (building > 0 || retired > 0) {
			if building == 0 { // only scans of dropped indexes left: poll
				select {
				case <-n.stopped:
				case <-time.After(reapInterval):
				}
			}
			continue
		}
		// Stop, unless an AlterTable added work after the last batch
		// looked (it saw this builder running and started none).
		builders.Lock()
		more := err == nil && n.indexWorkLeft()
		if !more {
			delete(builders.running, n)
		}
		builders.Unlock()
		if !more {
			if err == nil {
				n.log.Info("ordered index builds done", "batches", batches, "elapsed", time.Since(start))
			}
			return
		}
	}
}

// indexWorkLeft reports whether an index build or a dropped index waits.
func (n *Node) indexWorkLeft() bool {
	var left int
	if err := n.WithLQH(context.Background(), func(q *lqh.LQH) {
		left = len(q.IndexBuilds(n.Distribution())) + q.ReapIndexes()
	}); err != nil {
		return false
	}
	return left > 0
}

// IndexBuildsPending is how many of this node's replicas have added
// ordered indexes still building.
func (n *Node) IndexBuildsPending(ctx context.Context) (int, error) {
	var left int
	err := n.WithLQH(ctx, func(q *lqh.LQH) { left = len(q.IndexBuilds(n.Distribution())) })
	return left, err
}
