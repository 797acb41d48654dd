package lqh

import (
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/store"
)

// Tables created and dropped while the node runs. Both run on LQH's
// thread (node.Do), between signals.

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
	for k := range l.rows {
		busy[k.frag] = true
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
