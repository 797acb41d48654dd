package ordidx

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestNoAllocations asserts that Insert, Delete, Seek and Next allocate
// nothing once the node slices have grown: freed nodes are reused.
func TestNoAllocations(t *testing.T) {
	const rows = 5000
	rng := rand.New(rand.NewPCG(5, 6))
	keys := make(int64Keys, rows)
	for i := range keys {
		keys[i] = rng.Int64N(rows / 4)
	}
	tree := New(keys)
	for r := range uint32(rows) {
		tree.Insert(r)
	}
	// Churn the upper half in and out once so that the free lists hold
	// every node the measured loops need.
	churn := func() {
		for r := uint32(rows / 2); r < rows; r++ {
			tree.Delete(r)
		}
		for r := uint32(rows / 2); r < rows; r++ {
			tree.Insert(r)
		}
	}
	churn()
	if a := testing.AllocsPerRun(5, churn); a != 0 {
		t.Errorf("Insert/Delete: %v allocations per run, want 0", a)
	}

	var kb [8]byte
	buf := make([]uint32, 10)
	lo := Bound{Key: kb[:], Inclusive: true}
	hi := Bound{Unbounded: true}
	scan := func() {
		for i := range 100 {
			binary.LittleEndian.PutUint64(kb[:], uint64(i*10))
			for _, desc := range []bool{false, true} {
				c := tree.Seek(lo, hi, desc)
				c.Next(buf)
				tree.Delete(uint32(i)) // forces the next batch to re-seek
				c.Next(buf)
				tree.Insert(uint32(i))
			}
		}
	}
	scan()
	if a := testing.AllocsPerRun(5, scan); a != 0 {
		t.Errorf("Seek/Next: %v allocations per run, want 0", a)
	}
	if err := tree.Check(); err != nil {
		t.Fatal(err)
	}
}
