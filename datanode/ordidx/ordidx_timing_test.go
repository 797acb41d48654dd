package ordidx

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

const benchRows = 1_000_000

// benchTree returns a tree over rows 0..benchRows-1 with random int64 keys,
// inserted in random order, and the key slice sized for extra more rows.
func benchTree(b *testing.B, extra int) (*Tree, int64Keys, *rand.Rand) {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	keys := make(int64Keys, benchRows+extra)
	for i := range keys {
		keys[i] = rng.Int64N(1 << 40)
	}
	tree := New(keys)
	for _, r := range rng.Perm(benchRows) {
		tree.Insert(uint32(r))
	}
	return tree, keys, rng
}

// BenchmarkOrdIdxInsert inserts random keys into a tree of 1,000,000 rows.
func BenchmarkOrdIdxInsert(b *testing.B) {
	tree, _, _ := benchTree(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		tree.Insert(uint32(benchRows + i))
	}
	b.StopTimer()
	b.ReportMetric(float64(tree.MemoryBytes())/float64(tree.Len()), "B/row")
}

// BenchmarkOrdIdxDelete deletes random rows from a tree of 1,000,000 rows
// (more when b.N is large, so that it never runs dry).
func BenchmarkOrdIdxDelete(b *testing.B) {
	tree, _, rng := benchTree(b, b.N)
	for r := benchRows; r < benchRows+b.N; r++ {
		tree.Insert(uint32(r))
	}
	order := rng.Perm(benchRows + b.N)[:b.N]
	b.ReportAllocs()
	b.ResetTimer()
	for _, r := range order {
		if !tree.Delete(uint32(r)) {
			b.Fatalf("Delete(%d) failed", r)
		}
	}
}

// BenchmarkOrdIdxSeekNext seeks to a random key in a tree of 1,000,000
// rows and reads the next 10 rows.
func BenchmarkOrdIdxSeekNext(b *testing.B) {
	tree, _, rng := benchTree(b, 0)
	var kb [8]byte
	lo := Bound{Key: kb[:], Inclusive: true}
	hi := Bound{Unbounded: true}
	buf := make([]uint32, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		binary.LittleEndian.PutUint64(kb[:], uint64(rng.Int64N(1<<40)))
		c := tree.Seek(lo, hi, false)
		c.Next(buf)
	}
}
