package sched

import "github.com/gondb/gondb/signal"

// denseBlocks is the number of block ids looked up by index; the rest
// (BlockLocal and other high ids) go through a map. Every signal is routed
// through these tables, so the common case must not hash.
const denseBlocks = 64

// blockMap maps a block instance (block id, instance) to a value. It is
// built before the threads start and only read afterwards, so concurrent
// lookups need no lock.
type blockMap[T any] struct {
	dense [denseBlocks][]slot[T] // [block id][instance]
	other map[uint32]T           // blockKey -> value, for ids >= denseBlocks
}

type slot[T any] struct {
	v  T
	ok bool
}

func (m *blockMap[T]) put(id signal.BlockID, inst uint16, v T) {
	if id < denseBlocks {
		s := m.dense[id]
		for len(s) <= int(inst) {
			s = append(s, slot[T]{})
		}
		s[inst] = slot[T]{v: v, ok: true}
		m.dense[id] = s
		return
	}
	if m.other == nil {
		m.other = map[uint32]T{}
	}
	m.other[blockKey(id, inst)] = v
}

func (m *blockMap[T]) get(id signal.BlockID, inst uint16) (T, bool) {
	if id < denseBlocks {
		if s := m.dense[id]; int(inst) < len(s) {
			return s[inst].v, s[inst].ok
		}
		var zero T
		return zero, false
	}
	v, ok := m.other[blockKey(id, inst)]
	return v, ok
}
