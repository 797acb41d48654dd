package lqh

import (
	"iter"

	"github.com/gondb/gondb/datanode/idmap"
)

// opTable holds the operation records by key: a write's COMMIT and
// COMPLETE look its record up, so it is an idmap, not a Go map.
type opTable struct{ m idmap.Map[*opRec] }

func (t *opTable) get(k opKey) *opRec {
	o, _ := t.m.Get(idmap.Key{A: k.trans, B: k.tcIdx})
	return o
}

func (t *opTable) has(k opKey) bool {
	_, ok := t.m.Get(idmap.Key{A: k.trans, B: k.tcIdx})
	return ok
}

func (t *opTable) put(k opKey, o *opRec) { t.m.Put(idmap.Key{A: k.trans, B: k.tcIdx}, o) }
func (t *opTable) del(k opKey)           { t.m.Delete(idmap.Key{A: k.trans, B: k.tcIdx}) }
func (t *opTable) len() int              { return t.m.Len() }

// all yields every record in table order (not key order); the table must
// not change during the iteration.
func (t *opTable) all() iter.Seq2[opKey, *opRec] {
	return func(yield func(opKey, *opRec) bool) {
		for k, o := range t.m.All() {
			if !yield(opKey{trans: k.A, tcIdx: k.B}, o) {
				return
			}
		}
	}
}
