package dih

import (
	"fmt"
	"slices"

	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Table is one table's distribution.
type Table struct {
	Layout   *schema.Layout
	HashMap  *partition.HashMap
	Replicas [][]signal.NodeID // per fragment: the replica chain, primary first
	// Placement is, per fragment, the chain the table was created with:
	// every node that holds a replica, in primary-first order. Replicas
	// is Placement less the failed nodes, with starting nodes moved to the
	// tail (WithMembers).
	Placement [][]signal.NodeID
	// tails counts, per fragment, the starting replicas at the end of the
	// chain (nil: none). They take every write but serve no reads.
	tails []uint8
	// Uniques are the table's unique hash indexes, each kept in a hidden
	// table of the same distribution (see schema.UniqueIndexTable).
	Uniques []Unique
	// Base is, for a hidden index table, the id of its base table.
	Base uint32
}

// Unique is a unique hash index of a table and its hidden table's id.
type Unique struct {
	Index  int // position in the base table's Indexes
	Hidden uint32
}

// HiddenTableID is the id of the hidden table of unique index ix of table
// base: the top bit set, then the base id and the index number. Base table
// ids must stay below 2^23 (the dictionary hands them out from 1).
func HiddenTableID(base uint32, ix int) uint32 { return 1<<31 | base<<8 | uint32(ix) }

// Distribution is the cluster's distribution state at one version.
type Distribution struct {
	Version uint64
	tables  map[uint32]*Table
	// starting are the nodes whose replicas are being filled by a node
	// restart (WithMembers): they serve no reads and run no transactions.
	starting []signal.NodeID
}

// IsStarting reports whether node n's replicas are being filled by a node
// restart.
func (d *Distribution) IsStarting(n signal.NodeID) bool { return slices.Contains(d.starting, n) }

// New returns an empty distribution.
func New() *Distribution { return &Distribution{tables: map[uint32]*Table{}} }

// WithTable returns a new Distribution that adds (or replaces) table l,
// hash-partitioned into fragments placed on the node groups.
func (d *Distribution) WithTable(l *schema.Layout, groups []partition.NodeGroup, fragments int) (*Distribution, error) {
	hm, err := partition.NewHashMap(partition.DefaultBuckets, fragments)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", l.Table.Name, err)
	}
	pl, err := partition.Place(groups, fragments)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", l.Table.Name, err)
	}
	t := &Table{Layout: l, HashMap: hm, Replicas: make([][]signal.NodeID, fragments)}
	t.Placement = t.Replicas
	if l.Table.FullyReplicated {
		// Every node holds every fragment: the chain is all data nodes, the
		// primary rotating with the fragment so primaries spread evenly.
		var all []signal.NodeID
		for _, g := range groups {
			for _, n := range g.Nodes {
				all = append(all, signal.NodeID(n))
			}
		}
		slices.Sort(all)
		if len(all) > gsn.MaxReplicas {
			return nil, fmt.Errorf("table %s: fully replicated over %d data nodes, at most %d", l.Table.Name, len(all), gsn.MaxReplicas)
		}
		for f := range t.Replicas {
			for i := range all {
				t.Replicas[f] = append(t.Replicas[f], all[(f+i)%len(all)])
			}
		}
	} else {
		for f := range t.Replicas {
			for _, n := range pl.Replicas(uint32(f)) {
				t.Replicas[f] = append(t.Replicas[f], signal.NodeID(n))
			}
		}
	}
	nd := &Distribution{Version: d.Version + 1, tables: make(map[uint32]*Table, len(d.tables)+1), starting: d.starting}
	for id, tt := range d.tables {
		nd.tables[id] = tt
	}
	nd.tables[l.Table.ID] = t
	for i := range l.Table.Indexes {
		if l.Table.Indexes[i].Kind != schema.IndexUniqueHash {
			continue
		}
		if l.Table.ID >= 1<<23 || i > 255 {
			return nil, fmt.Errorf("table %s: id %d or index %d too large for a unique index", l.Table.Name, l.Table.ID, i)
		}
		id := HiddenTableID(l.Table.ID, i)
		ht, err := schema.UniqueIndexTable(l, &l.Table.Indexes[i], id)
		if err != nil {
			return nil, err
		}
		ht.ReadBackup, ht.FullyReplicated = l.Table.ReadBackup, l.Table.FullyReplicated
		hl, err := schema.NewLayout(ht)
		if err != nil {
			return nil, fmt.Errorf("table %s: unique index %s: %w", l.Table.Name, l.Table.Indexes[i].Name, err)
		}
		hidden := &Table{Layout: hl, HashMap: hm, Replicas: t.Replicas, Placement: t.Placement, Base: l.Table.ID}
		nd.tables[id] = hidden
		t.Uniques = append(t.Uniques, Unique{Index: i, Hidden: id})
	}
	return nd, nil
}

// Table returns table id's distribution.
// ReadReplica is the replica a committed read of fragment frag should use
// on node self: the local one for read-backup and fully replicated tables
// when self holds the fragment, else the primary.
func (t *Table) ReadReplica(frag uint32, self signal.NodeID) signal.NodeID {
	chain := t.Replicas[frag]
	if t.Layout.Table.ReadBackup || t.Layout.Table.FullyReplicated {
		for _, n := range chain[:len(chain)-t.StartingTail(frag)] {
			if n == self {
				return n
			}
		}
	}
	return chain[0]
}

// WaitsForComplete reports whether a commit that wrote the table is
// acknowledged only after its complete phase.
func (t *Table) WaitsForComplete() bool {
	return t.Layout.Table.ReadBackup || t.Layout.Table.FullyReplicated
}

func (d *Distribution) Table(id uint32) (*Table, bool) {
	t, ok := d.tables[id]
	return t, ok
}

// Locate returns the fragment of a key hash and its replica chain.
func (t *Table) Locate(h uint64) (frag uint32, chain []signal.NodeID) {
	frag = t.HashMap.Fragment(h)
	return frag, t.Replicas[frag]
}

// StartingTail is the number of starting replicas at the end of fragment
// frag's chain: they take writes, but a read must not use them, and the
// row images a unique index needs come from the last replica before them.
func (t *Table) StartingTail(frag uint32) int {
	if t.tails == nil {
		return 0
	}
	return int(t.tails[frag])
}

// FragmentsOn lists the fragments of which node holds a replica.
func (t *Table) FragmentsOn(node signal.NodeID) []uint32 {
	var out []uint32
	for f, chain := range t.Replicas {
		for _, n := range chain {
			if n == node {
				out = append(out, uint32(f))
				break
			}
		}
	}
	return out
}

// TableIDs lists the tables, ascending.
func (d *Distribution) TableIDs() []uint32 {
	ids := make([]uint32, 0, len(d.tables))
	for id := range d.tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// WithoutNodes returns a new Distribution in which the failed data nodes
// hold no replica: every chain loses them, so the next live replica
// becomes a fragment's primary. A chain that would lose every replica
// keeps its nodes (that node group is gone; QMGR stops the node).
// Tables whose chains do not change are shared with d.
func (d *Distribution) WithoutNodes(failed func(signal.NodeID) bool) *Distribution {
	nd := &Distribution{Version: d.Version + 1, tables: make(map[uint32]*Table, len(d.tables))}
	for _, n := range d.starting {
		if !failed(n) {
			nd.starting = append(nd.starting, n)
		}
	}
	// Hidden unique index tables share their base table's chains; keep
	// them sharing the new ones.
	done := map[*[]signal.NodeID][][]signal.NodeID{}
	for id, t := range d.tables {
		key := &t.Replicas[0]
		if len(t.Replicas) == 0 {
			nd.tables[id] = t
			continue
		}
		reps, ok := done[key]
		if !ok {
			reps = withoutNodes(t.Replicas, failed)
			done[key] = reps
		}
		if reps == nil {
			nd.tables[id] = t
			continue
		}
		nt := *t
		nt.Replicas = reps
		if t.tails != nil {
			// The failed starting replicas leave the tails.
			nt.tails = make([]uint8, len(t.tails))
			for f, n := range t.tails {
				old := t.Replicas[f]
				for _, node := range old[len(old)-int(n):] {
					if !failed(node) {
						nt.tails[f]++
					}
				}
			}
		}
		nd.tables[id] = &nt
	}
	return nd
}

// WithMembers returns a new Distribution whose chains are each table's
// placement with only the members: first the full replicas (live, in
// placement order, so a restarted node takes back the primaries it was
// placed with), then the starting ones. A chain with no live full
// replica keeps its current nodes (that node group is gone; QMGR stops
// the node). Every node that applies the same members computes the same
// chains.
func (d *Distribution) WithMembers(live, starting func(signal.NodeID) bool) *Distribution {
	nd := &Distribution{Version: d.Version + 1, tables: make(map[uint32]*Table, len(d.tables))}
	for n := signal.NodeID(1); n < signal.MaxNodeID; n++ {
		if starting(n) {
			nd.starting = append(nd.starting, n)
		}
	}
	type chains struct {
		reps  [][]signal.NodeID
		tails []uint8
	}
	done := map[*[]signal.NodeID]chains{} // hidden tables share their base's
	for id, t := range d.tables {
		if len(t.Placement) == 0 {
			nd.tables[id] = t
			continue
		}
		key := &t.Placement[0]
		c, ok := done[key]
		if !ok {
			c.reps = make([][]signal.NodeID, len(t.Placement))
			for f, place := range t.Placement {
				chain := make([]signal.NodeID, 0, len(place))
				for _, n := range place {
					if live(n) && !starting(n) {
						chain = append(chain, n)
					}
				}
				full := len(chain)
				for _, n := range place {
					if starting(n) {
						chain = append(chain, n)
					}
				}
				switch {
				case full == 0:
					chain = t.Replicas[f]
				case len(chain) > full:
					if c.tails == nil {
						c.tails = make([]uint8, len(t.Placement))
					}
					c.tails[f] = uint8(len(chain) - full)
				}
				c.reps[f] = chain
			}
			done[key] = c
		}
		nt := *t
		nt.Replicas, nt.tails = c.reps, c.tails
		nd.tables[id] = &nt
	}
	return nd
}

// withoutNodes filters failed nodes out of every chain; nil when no chain
// changes.
func withoutNodes(chains [][]signal.NodeID, failed func(signal.NodeID) bool) [][]signal.NodeID {
	var out [][]signal.NodeID
	for f, chain := range chains {
		live := make([]signal.NodeID, 0, len(chain))
		for _, n := range chain {
			if !failed(n) {
				live = append(live, n)
			}
		}
		if len(live) == len(chain) || len(live) == 0 {
			if out != nil {
				out[f] = chain
			}
			continue
		}
		if out == nil {
			out = make([][]signal.NodeID, len(chains))
			copy(out, chains[:f])
		}
		out[f] = live
	}
	return out
}
