package tc

import (
	"iter"

	"github.com/gondb/gondb/datanode/idmap"
)

// txTable holds the open transactions by id: every signal of a key
// transaction looks its record up, so it is an idmap, not a Go map.
type txTable struct{ m idmap.Map[*tx] }

func (t *txTable) get(id uint64) *tx {
	x, _ := t.m.Get(idmap.Key{A: id})
	return x
}

func (t *txTable) put(id uint64, x *tx) { t.m.Put(idmap.Key{A: id}, x) }
func (t *txTable) del(id uint64)        { t.m.Delete(idmap.Key{A: id}) }
func (t *txTable) len() int             { return t.m.Len() }

// all yields every transaction in table order (not id order); the table
// must not change during the iteration.
func (t *txTable) all() iter.Seq2[uint64, *tx] {
	return func(yield func(uint64, *tx) bool) {
		for k, x := range t.m.All() {
			if !yield(k.A, x) {
				return
			}
		}
	}
}
