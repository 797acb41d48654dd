package tc

import "iter"

// txTable maps transaction ids to their records. Every signal of a key
// transaction looks its record up by id, and a transaction is added and
// removed once each, so this is TC's hottest table: open addressing with
// linear probing over a power-of-two array, kept at most half full, and
// backward-shift deletion (no tombstones), costs a third of a Go map's
// hashing and probing. The ids come from API nodes (node, slot and a
// counter), so they are scrambled by a multiplicative hash.
type txTable struct {
	slots []txSlot // empty: x nil
	n     int
	shift uint // 64 - log2(len(slots))
}

type txSlot struct {
	id uint64
	x  *tx
}

// minTxSlots is the table's first size: room for 512 open transactions.
const minTxSlots = 1024

func (m *txTable) home(id uint64) int {
	return int((id * 0x9E3779B97F4A7C15) >> m.shift)
}

// get returns transaction id's record, or nil.
func (m *txTable) get(id uint64) *tx {
	if m.n == 0 {
		return nil
	}
	mask := len(m.slots) - 1
	for i := m.home(id); ; i = (i + 1) & mask {
		s := &m.slots[i]
		if s.x == nil {
			return nil
		}
		if s.id == id {
			return s.x
		}
	}
}

// put sets transaction id's record (x not nil).
func (m *txTable) put(id uint64, x *tx) {
	if 2*(m.n+1) > len(m.slots) {
		m.grow()
	}
	mask := len(m.slots) - 1
	for i := m.home(id); ; i = (i + 1) & mask {
		s := &m.slots[i]
		if s.x == nil {
			*s = txSlot{id: id, x: x}
			m.n++
			return
		}
		if s.id == id {
			s.x = x
			return
		}
	}
}

// del removes transaction id, if present, shifting later entries of its
// probe run back so that lookups need no tombstones.
func (m *txTable) del(id uint64) {
	if m.n == 0 {
		return
	}
	mask := len(m.slots) - 1
	i := m.home(id)
	for {
		s := &m.slots[i]
		if s.x == nil {
			return
		}
		if s.id == id {
			break
		}
		i = (i + 1) & mask
	}
	// Fill hole i with a later entry of the run that may move there: one
	// whose home is not cyclically within (i, j].
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := &m.slots[j]
		if s.x == nil {
			break
		}
		h := m.home(s.id)
		if (j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j)) {
			m.slots[i] = *s
			i = j
		}
	}
	m.slots[i] = txSlot{}
	m.n--
}

// len is the number of transactions held.
func (m *txTable) len() int { return m.n }

// all yields every transaction in table order (not id order). The table
// must not change during the iteration.
func (m *txTable) all() iter.Seq2[uint64, *tx] {
	return func(yield func(uint64, *tx) bool) {
		for i := range m.slots {
			if s := &m.slots[i]; s.x != nil && !yield(s.id, s.x) {
				return
			}
		}
	}
}

func (m *txTable) grow() {
	old := m.slots
	size := max(minTxSlots, 2*len(old))
	m.slots = make([]txSlot, size)
	m.shift = 64
	for s := size; s > 1; s >>= 1 {
		m.shift--
	}
	m.n = 0
	for _, s := range old {
		if s.x != nil {
			m.put(s.id, s.x)
		}
	}
}
