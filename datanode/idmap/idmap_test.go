package idmap

import (
	"math/rand/v2"
	"testing"
)

// TestModel checks Map against a Go map through random puts, gets and
// deletes, with keys that crowd into few probe runs (node, slot and
// counter in their bits, as transaction ids are made), and with a
// two-word key whose zero value is a valid key.
func TestModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		rng := rand.New(rand.NewPCG(seed, 0))
		t.Run("id", func(t *testing.T) {
			check(t, rng, func() Key {
				return Key{A: uint64(rng.IntN(4)+1)<<48 | uint64(rng.IntN(3000))<<16 | uint64(rng.IntN(3))}
			})
		})
		t.Run("pair", func(t *testing.T) {
			check(t, rng, func() Key { return Key{uint64(rng.IntN(2000)), uint64(rng.IntN(3))} })
		})
	}
}

func check(t *testing.T, rng *rand.Rand, key func() Key) {
	var m Map[int]
	model := map[Key]int{}
	for step := 0; step < 100000; step++ {
		k := key()
		switch r := rng.IntN(10); {
		case r < 4:
			m.Put(k, step)
			model[k] = step
		case r < 7:
			m.Delete(k)
			delete(model, k)
		default:
			got, ok := m.Get(k)
			want, wok := model[k]
			if got != want || ok != wok {
				t.Fatalf("step %d: Get(%v) = %d, %v; want %d, %v", step, k, got, ok, want, wok)
			}
		}
		if m.Len() != len(model) {
			t.Fatalf("step %d: Len %d, want %d", step, m.Len(), len(model))
		}
	}
	n := 0
	for k, v := range m.All() {
		if want, ok := model[k]; !ok || want != v {
			t.Fatalf("All yields %v -> %d, model has %d, %v", k, v, want, ok)
		}
		n++
	}
	if n != len(model) {
		t.Fatalf("All yields %d entries, want %d", n, len(model))
	}
}

// BenchmarkMap: a key transaction's life with 2,048 others open: added,
// looked up twice, removed.
func BenchmarkMap(b *testing.B) {
	const open = 2048
	id := func(i int) Key { return Key{A: 9<<48 | uint64(i%4096)<<16 | uint64(i/4096)&0xFFFF} }
	x := new(int)
	b.Run("idmap", func(b *testing.B) {
		var m Map[*int]
		for i := 0; i < open; i++ {
			m.Put(id(i), x)
		}
		for i := open; b.Loop(); i++ {
			m.Put(id(i), x)
			m.Get(id(i))
			m.Get(id(i))
			m.Delete(id(i - open))
		}
	})
	b.Run("gomap", func(b *testing.B) {
		m := map[Key]*int{}
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
