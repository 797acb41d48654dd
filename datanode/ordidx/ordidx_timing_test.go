package ordidx

import (
	"encoding/binary"
	"github.com/gondb/gondb/internal/benchcpu"
	"math/rand/v2"
	"testing"
)

// The benchmarks run over 1,000,000 rows with random int64 keys read from
// a slice indexed by row id, so each comparison touches a random cache
// line as a real row would. Besides ns/op they report cpu-ns/op, the
// benchmark thread's CPU time, which is steadier on a shared machine.

const benchRows = 1_000_000

// benchTree returns a tree over rows 0..benchRows-1 inserted in random
// order, with keys for extra more rows.
func benchTree(b *testing.B, extra int) (*Tree, *rand.Rand) {
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
	return tree, rng
}

// BenchmarkOrdIdxInsert inserts random keys into a tree of 1,000,000 rows.
func BenchmarkOrdIdxInsert(b *testing.B) {
	tree, _ := benchTree(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i := range b.N {
		tree.Insert(uint32(benchRows + i))
	}
	cpu.Report(b)
	b.ReportMetric(float64(tree.MemoryBytes())/float64(tree.Len()), "B/row")
}

// BenchmarkOrdIdxDelete deletes random rows from a tree of 1,000,000 rows
// plus b.N more, so that it never runs dry.
func BenchmarkOrdIdxDelete(b *testing.B) {
	tree, rng := benchTree(b, b.N)
	for r := benchRows; r < benchRows+b.N; r++ {
		tree.Insert(uint32(r))
	}
	order := rng.Perm(benchRows + b.N)[:b.N]
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for _, r := range order {
		if !tree.Delete(uint32(r)) {
			b.Fatalf("Delete(%d) failed", r)
		}
	}
	cpu.Report(b)
}

// BenchmarkOrdIdxSeekNext seeks to a random key and reads the next 10 rows.
func BenchmarkOrdIdxSeekNext(b *testing.B) {
	tree, rng := benchTree(b, 0)
	var kb [8]byte
	lo := Bound{Key: kb[:], Inclusive: true}
	hi := Bound{Unbounded: true}
	buf := make([]uint32, 10)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for range b.N {
		binary.LittleEndian.PutUint64(kb[:], uint64(rng.Int64N(1<<40)))
		c := tree.Seek(lo, hi, false)
		c.Next(buf)
	}
	cpu.Report(b)
}
