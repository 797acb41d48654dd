package store

import (
	"math/rand/v2"
	"testing"
)

func TestLockTableModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lt := newLockTable()
	model := map[RowID]OpRef{}
	for step := 0; step < 200000; step++ {
		r := RowID(rng.IntN(3000)) << uint(rng.IntN(3)*6) // runs and spread ids
		switch rng.IntN(3) {
		case 0:
			if _, ok := model[r]; !ok {
				ref := OpRef(rng.Uint32())
				lt.put(r, ref)
				model[r] = ref
			}
		case 1:
			lt.del(r)
			delete(model, r)
		}
		got, ok := lt.get(r)
		want, wok := model[r]
		if ok != wok || got != want {
			t.Fatalf("step %d: get(%d) = %d,%v want %d,%v", step, r, got, ok, want, wok)
		}
	}
	if lt.len() != len(model) {
		t.Fatalf("len %d, model %d", lt.len(), len(model))
	}
	for r, ref := range model {
		if got, ok := lt.get(r); !ok || got != ref {
			t.Fatalf("final get(%d) = %d,%v", r, got, ok)
		}
	}
}
