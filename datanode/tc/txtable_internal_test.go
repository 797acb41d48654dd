package tc

import (
	"math/rand/v2"
	"testing"
)

// TestTxTableModel checks txTable against a Go map through random puts,
// gets and deletes, with ids that crowd into few probe runs (API node,
// slot and counter in their bits, as ndbapi makes them).
func TestTxTableModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		rng := rand.New(rand.NewPCG(seed, 0))
		var m txTable
		model := map[uint64]*tx{}
		id := func() uint64 {
			return uint64(rng.IntN(4)+1)<<48 | uint64(rng.IntN(3000))<<16 | uint64(rng.IntN(3))
		}
		for step := 0; step < 200000; step++ {
			k := id()
			switch r := rng.IntN(10); {
			case r < 4:
				x := &tx{}
				m.put(k, x)
				model[k] = x
			case r < 7:
				m.del(k)
				delete(model, k)
			default:
				if got, want := m.get(k), model[k]; got != want {
					t.Fatalf("seed %d step %d: get(%x) = %p, want %p", seed, step, k, got, want)
				}
			}
			if m.len() != len(model) {
				t.Fatalf("seed %d step %d: len %d, want %d", seed, step, m.len(), len(model))
			}
		}
		n := 0
		for k, x := range m.all() {
			if model[k] != x {
				t.Fatalf("seed %d: all yields %x -> %p, model has %p", seed, k, x, model[k])
			}
			n++
		}
		if n != len(model) {
			t.Fatalf("seed %d: all yields %d entries, want %d", seed, n, len(model))
		}
		for k := range model {
			if m.get(k) == nil {
				t.Fatalf("seed %d: %x lost", seed, k)
			}
		}
	}
}

// BenchmarkTxTable: a key transaction's life with 2,048 others open:
// added, looked up twice, removed.
func BenchmarkTxTable(b *testing.B) {
	const open = 2048
	id := func(i int) uint64 { return 9<<48 | uint64(i%4096)<<16 | uint64(i/4096)&0xFFFF }
	x := &tx{}
	b.Run("txTable", func(b *testing.B) {
		var m txTable
		for i := 0; i < open; i++ {
			m.put(id(i), x)
		}
		for i := open; b.Loop(); i++ {
			m.put(id(i), x)
			_ = m.get(id(i))
			_ = m.get(id(i))
			m.del(id(i - open))
		}
	})
	b.Run("map", func(b *testing.B) {
		m := map[uint64]*tx{}
		for i := 0; i < open; i++ {
			m[id(i)] = x
		}
		for i := open; b.Loop(); i++ {
			m[id(i)] = x
			_ = m[id(i)]
			_ = m[id(i)]
			delete(m, id(i-open))
		}
	})
}
