package ndbapi

import (
	"fmt"
	"slices"

	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
)

// Fragments is the number of fragments every table gets: PartitionsPerNode
// times the number of data nodes (RonDB's rule, which datanode/node
// applies). The API computes the same hash map and placement as the data
// nodes so that it can send each transaction to the TC on the node that
// holds the primary replica of its first key; TC locates fragments itself,
// so a stale map costs only a hop, never correctness.
func Fragments(partitionsPerNode, dataNodes int) int { return partitionsPerNode * dataNodes }

// Table is a table's definition, row layout and distribution as the API
// knows it. Immutable; safe for concurrent use.
type Table struct {
	Def    *schema.Table
	Layout *schema.Layout
	hm     *partition.HashMap
	// primary is each fragment's primary replica.
	primary []signal.NodeID
	// uniques are the unique hash indexes: position in Def.Indexes ->
	// hidden table id and layout.
	uniques map[int]uniqueInfo
	// ordered are the positions of ordered indexes in Def.Indexes.
	ordered map[int][]int
}

type uniqueInfo struct {
	hidden uint32
	layout *schema.Layout
}

// HiddenTableID is the id of the hidden table of unique index ix of table
// base, as the data nodes number them (datanode/dih.HiddenTableID): the
// top bit set, then the base id and the index number.
func HiddenTableID(base uint32, ix int) uint32 { return 1<<31 | base<<8 | uint32(ix) }

func newTable(def *schema.Table, groups []partition.NodeGroup, fragments int) (*Table, error) {
	l, err := schema.NewLayout(def)
	if err != nil {
		return nil, fmt.Errorf("ndbapi: table %s: %w", def.Name, err)
	}
	hm, err := partition.NewHashMap(partition.DefaultBuckets, fragments)
	if err != nil {
		return nil, fmt.Errorf("ndbapi: table %s: %w", def.Name, err)
	}
	t := &Table{Def: def, Layout: l, hm: hm, primary: make([]signal.NodeID, fragments),
		uniques: map[int]uniqueInfo{}, ordered: map[int][]int{}}
	if def.FullyReplicated {
		var all []signal.NodeID
		for _, g := range groups {
			for _, n := range g.Nodes {
				all = append(all, signal.NodeID(n))
			}
		}
		slices.Sort(all)
		for f := range t.primary {
			t.primary[f] = all[f%len(all)]
		}
	} else {
		pl, err := partition.Place(groups, fragments)
		if err != nil {
			return nil, fmt.Errorf("ndbapi: table %s: %w", def.Name, err)
		}
		for f := range t.primary {
			t.primary[f] = signal.NodeID(pl.Primary(uint32(f)))
		}
	}
	for i := range def.Indexes {
		ix := &def.Indexes[i]
		switch ix.Kind {
		case schema.IndexUniqueHash:
			id := HiddenTableID(def.ID, i)
			ht, err := schema.UniqueIndexTable(l, ix, id)
			if err != nil {
				return nil, err
			}
			hl, err := schema.NewLayout(ht)
			if err != nil {
				return nil, err
			}
			t.uniques[i] = uniqueInfo{hidden: id, layout: hl}
		case schema.IndexOrdered:
			t.ordered[i] = ix.Columns
		}
	}
	return t, nil
}

// Name is the table's name.
func (t *Table) Name() string { return t.Def.Name }

// Column returns the number of the named column, or -1.
func (t *Table) Column(name string) int { return t.Def.Column(name) }

// Index returns the position of the named index in Def.Indexes, or -1.
func (t *Table) Index(name string) int {
	for i := range t.Def.Indexes {
		if t.Def.Indexes[i].Name == name {
			return i
		}
	}
	return -1
}

// Fragments is the table's number of fragments.
func (t *Table) Fragments() int { return len(t.primary) }

// NewRowBuilder returns a row builder for the table (one per goroutine).
func (t *Table) NewRowBuilder() *schema.RowBuilder { return schema.NewRowBuilder(t.Layout) }

// keyHash is the hash TC locates a key image with.
func (t *Table) keyHash(key, scratch []byte) uint64 {
	return partition.Hash(t.Layout.DistributionKey(key, scratch))
}

// primaryOf is the node holding the primary replica of hash h's fragment.
func (t *Table) primaryOf(h uint64) signal.NodeID { return t.primary[t.hm.Fragment(h)] }

// PrimaryNode is the data node holding the primary replica of the row
// with key image key (distribution awareness).
func (t *Table) PrimaryNode(key []byte) signal.NodeID { return t.primaryOf(t.keyHash(key, nil)) }

// SearchKey appends an ordered-index search key (a scan bound) to dst:
// the values of the first columns of index ix taken from row r (a row
// image built with NewRowBuilder; columns past n are not used). n is how
// many index columns the bound has.
func (t *Table) SearchKey(dst []byte, ix int, n int, r schema.Row) ([]byte, error) {
	cols, ok := t.ordered[ix]
	if !ok {
		return nil, fmt.Errorf("ndbapi: table %s: index %d is not an ordered index", t.Def.Name, ix)
	}
	if n > len(cols) {
		return nil, fmt.Errorf("ndbapi: table %s: index %d has %d columns, bound has %d", t.Def.Name, ix, len(cols), n)
	}
	for _, c := range cols[:n] {
		dst = t.Layout.AppendSearchKeyValue(dst, c, r.Raw(c), r.IsNull(c))
	}
	return dst, nil
}
