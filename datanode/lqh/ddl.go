package lqh

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/store"
)

// Tables created, changed and dropped while the node runs. All of it runs
// on LQH's thread (node.Do), between signals.

// AddFragments creates empty replicas of the fragments of table, and of
// its unique indexes' hidden tables, that d places on this node. Replicas
// that already exist are kept. It returns how many it created.
func (l *LQH) AddFragments(d *dih.Distribution, table uint32) int {
	t, ok := d.Table(table)
	if !ok {
		return 0
	}
	ids := []uint32{table}
	for _, u := range t.Uniques {
		ids = append(ids, u.Hidden)
	}
	n := 0
	for _, id := range ids {
		tt, ok := d.Table(id)
		if !ok {
			continue
		}
		for _, f := range tt.FragmentsOn(l.node) {
			k := fragKey{id, f}
			if _, ok := l.frags[k]; ok {
				continue
			}
			l.frags[k] = store.NewFragment(l.pool, tt.Layout, f)
			n++
		}
	}
	return n
}

// DropFragments removes this node's replicas of the given tables (a base
// table and its hidden tables): from now on requests for them are refused
// with 723 (no such table). A replica is freed at once unless operation
// records, parked requests or scans still use it; then ReapDropped frees
// it once they are gone (their commits and aborts still find it).
// It returns how many replicas it removed.
func (l *LQH) DropFragments(tables ...uint32) int {
	n := 0
	for k, f := range l.frags {
		for _, id := range tables {
			if k.table == id {
				delete(l.frags, k)
				l.dropped = append(l.dropped, f)
				n++
				break
			}
		}
	}
	l.ReapDropped()
	return n
}

// ReapDropped frees the dropped replicas nothing uses any more and
// returns how many are still waiting.
func (l *LQH) ReapDropped() int {
	if len(l.dropped) == 0 {
		return 0
	}
	busy := map[*store.Fragment]bool{}
	for _, ro := range l.rowTags {
		if ro != nil {
			busy[ro.frag] = true
		}
	}
	for k := range l.waits {
		busy[k.frag] = true
	}
	for _, sc := range l.scans {
		busy[sc.frag] = true
	}
	keep := l.dropped[:0]
	for _, f := range l.dropped {
		if busy[f] {
			keep = append(keep, f)
			continue
		}
		f.Close()
	}
	clear(l.dropped[len(keep):])
	l.dropped = keep
	return len(l.dropped)
}

// CloseDropped frees every dropped replica, used or not: for a node that
// is stopping, whose threads no longer run.
func (l *LQH) CloseDropped() {
	for _, f := range l.dropped {
		f.Close()
	}
	l.dropped = nil
}

// AlterFragments switches this node's replicas of table to the layout d
// has for it, a new version that adds ordered indexes or drops indexes
// (store.Fragment.Alter): added indexes start building over the rows
// (BuildIndexes), dropped ones are retired until no scan reads them
// (ReapIndexes). It returns how many replicas it changed; on an error
// (a change the store cannot make) replicas already switched keep the new
// version, since it only differs in indexes.
func (l *LQH) AlterFragments(d *dih.Distribution, table uint32) (int, error) {
	t, ok := d.Table(table)
	if !ok {
		return 0, fmt.Errorf("lqh: node %d: no table %d in distribution %d", l.node, table, d.Version)
	}
	n := 0
	for _, f := range t.FragmentsOn(l.node) {
		fr, ok := l.frags[fragKey{table, f}]
		if !ok {
			continue
		}
		if err := fr.Alter(t.Layout); err != nil {
			return n, fmt.Errorf("lqh: node %d: %w", l.node, err)
		}
		n++
	}
	return n, nil
}

// IndexBuild is one replica whose added ordered indexes are building.
type IndexBuild struct {
	Table, Fragment uint32
	Primary         bool // this node holds the fragment's primary replica
}

// IndexBuilds lists the replicas with ordered indexes still building, in
// the order BuildIndexes takes them: backups first, then primaries, each
// by table and fragment. Once a fragment's primary is online, so is every
// backup of every other fragment on the node, which is what lets an API
// node wait for an index by scanning the primaries (ndbapi.CreateIndex).
func (l *LQH) IndexBuilds(d *dih.Distribution) []IndexBuild {
	var out []IndexBuild
	for k, f := range l.frags {
		if f.IndexesBuilding() == 0 {
			continue
		}
		b := IndexBuild{Table: k.table, Fragment: k.frag}
		if t, ok := d.Table(k.table); ok && int(k.frag) < len(t.Replicas) {
			b.Primary = t.Replicas[k.frag][0] == l.node
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b IndexBuild) int {
		if a.Primary != b.Primary {
			if a.Primary {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.Table, b.Table); c != 0 {
			return c
		}
		return cmp.Compare(a.Fragment, b.Fragment)
	})
	return out
}

// BuildIndexes moves the builds of added ordered indexes on by at most
// maxExamine row slots, on the first replica of IndexBuilds' order, and
// returns how many replicas are still building. The caller calls it again,
// one bounded batch per call, so a large table never holds the thread.
func (l *LQH) BuildIndexes(d *dih.Distribution, maxExamine int) int {
	builds := l.IndexBuilds(d)
	if len(builds) == 0 {
		return 0
	}
	b := builds[0]
	if !l.frags[fragKey{b.Table, b.Fragment}].BuildIndexes(maxExamine) {
		return len(builds) - 1
	}
	return len(builds)
}

// ReapIndexes frees the dropped ordered indexes that no open scan reads
// and returns how many are still read.
func (l *LQH) ReapIndexes() int {
	left := 0
	for _, f := range l.frags {
		left += f.ReleaseRetired(func(ix int) bool {
			for _, sc := range l.scans {
				if sc.frag == f && sc.ix != nil && sc.ix.Index() == ix {
					return true
				}
			}
			return false
		})
	}
	return left
}
