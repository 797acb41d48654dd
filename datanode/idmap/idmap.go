// Package idmap is an open-addressing hash map for the data node's record
// tables: TC's transactions by id, LQH's operation records by TC and
// operation. Each key transaction looks such a record up on every signal,
// and adds and removes it once, so these are the hottest maps of a node;
// Go's built-in map costs three to four times as much there
// (BenchmarkMap).
//
// The map uses linear probing over a power-of-two array kept at most half
// full, and backward-shift deletion, so lookups need no tombstones. A key
// is two 64-bit words, hashed by multiplications (keys made of counters
// and node ids spread well); the values are generic, the keys not, so
// hashing and comparing stay inline.
//
// A Map is not safe for concurrent use: each belongs to one block, on
// its thread.
package idmap

import "iter"

// Key is a map key: a transaction id, or a transaction id and a second
// word (TC node and operation index).
type Key struct{ A, B uint64 }

// Map maps keys to values. The zero Map is empty and ready.
type Map[V any] struct {
	slots []slot[V]
	n     int
	shift uint // 64 - log2(len(slots))
}

type slot[V any] struct {
	k    Key
	v    V
	used bool
}

// minSlots is a map's first size: room for 512 entries.
const minSlots = 1024

func (m *Map[V]) home(k Key) int {
	return int(((k.A ^ k.B*0xFF51AFD7ED558CCD) * 0x9E3779B97F4A7C15) >> m.shift)
}

// Get returns k's value and whether k is present.
func (m *Map[V]) Get(k Key) (V, bool) {
	if m.n > 0 {
		mask := len(m.slots) - 1
		for i := m.home(k); ; i = (i + 1) & mask {
			s := &m.slots[i]
			if !s.used {
				break
			}
			if s.k == k {
				return s.v, true
			}
		}
	}
	var zero V
	return zero, false
}

// Put sets k's value.
func (m *Map[V]) Put(k Key, v V) {
	if 2*(m.n+1) > len(m.slots) {
		m.grow()
	}
	mask := len(m.slots) - 1
	for i := m.home(k); ; i = (i + 1) & mask {
		s := &m.slots[i]
		if !s.used {
			*s = slot[V]{k: k, v: v, used: true}
			m.n++
			return
		}
		if s.k == k {
			s.v = v
			return
		}
	}
}

// Delete removes k, if present, shifting later entries of its probe run
// back into the hole.
func (m *Map[V]) Delete(k Key) {
	if m.n == 0 {
		return
	}
	mask := len(m.slots) - 1
	i := m.home(k)
	for {
		s := &m.slots[i]
		if !s.used {
			return
		}
		if s.k == k {
			break
		}
		i = (i + 1) & mask
	}
	// Fill hole i with a later entry of the run that may move there: one
	// whose home is not cyclically within (i, j].
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := &m.slots[j]
		if !s.used {
			break
		}
		h := m.home(s.k)
		if (j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j)) {
			m.slots[i] = *s
			i = j
		}
	}
	m.slots[i] = slot[V]{}
	m.n--
}

// Len is the number of entries.
func (m *Map[V]) Len() int { return m.n }

// All yields every entry in the map's order (not the keys' order). The
// map must not change during the iteration.
func (m *Map[V]) All() iter.Seq2[Key, V] {
	return func(yield func(Key, V) bool) {
		for i := range m.slots {
			if s := &m.slots[i]; s.used && !yield(s.k, s.v) {
				return
			}
		}
	}
}

func (m *Map[V]) grow() {
	old := m.slots
	size := max(minSlots, 2*len(old))
	m.slots = make([]slot[V], size)
	m.shift = 64
	for s := size; s > 1; s >>= 1 {
		m.shift--
	}
	m.n = 0
	for i := range old {
		if old[i].used {
			m.Put(old[i].k, old[i].v)
		}
	}
}
