package hashidx

import (
	"encoding/binary"
	"github.com/gondb/gondb/internal/benchcpu"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// benchN is the fragment size the targets are stated for.
const benchN = 1_000_000

// benchChunk is how many fresh keys BenchmarkHashIdxInsert adds (or
// BenchmarkHashIdxDelete removes) before undoing them outside the timer,
// keeping the index within 7% of benchN.
const benchChunk = 1 << 16

// benchData is a fragment's key column and the request streams the
// benchmarks replay. Row r holds key keys[r]; the matcher reads it, a
// random access per call like the storage engine's row read.
type benchData struct {
	keys     []uint64
	resident stream // the benchN rows of benchIndex, in random order
	fresh    stream // benchChunk further rows, never in benchIndex
}

// stream is a sequence of requests laid out in the order they are issued,
// as a batch of requests would arrive in a signal buffer: reading the next
// request is sequential, only the index and the rows are accessed at random.
type stream struct {
	rows   []uint32
	hashes []uint32 // high 32 bits of xxh3 of the encoded key
	keys   []byte   // 8 little-endian bytes per request
}

func (s *stream) key(i int) []byte { return s.keys[8*i : 8*i+8 : 8*i+8] }

func newStream(keys []uint64, rows []uint32) stream {
	s := stream{rows: rows, hashes: make([]uint32, len(rows)), keys: make([]byte, 8*len(rows))}
	for i, r := range rows {
		binary.LittleEndian.PutUint64(s.keys[8*i:], keys[r])
		s.hashes[i] = xxh3High(keys[r])
	}
	return s
}

var benchOnce = sync.OnceValue(func() *benchData {
	rng := rand.New(rand.NewPCG(42, 42))
	total := benchN + benchChunk
	d := &benchData{keys: make([]uint64, total)}
	seen := make(map[uint64]bool, total)
	for r := range d.keys {
		k := rng.Uint64()
		for seen[k] {
			k = rng.Uint64()
		}
		seen[k] = true
		d.keys[r] = k
	}
	rows := make([]uint32, total)
	for i := range rows {
		rows[i] = uint32(i)
	}
	rng.Shuffle(benchN, func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	d.resident = newStream(d.keys, rows[:benchN])
	d.fresh = newStream(d.keys, rows[benchN:])
	return d
})

// benchMatcher is the Matcher over the key column.
type benchMatcher struct{ keys []uint64 }

func (m *benchMatcher) KeyEquals(r uint32, key []byte) bool {
	return m.keys[r] == binary.LittleEndian.Uint64(key)
}

// benchShapes are the two index shapes the benchmarks run on: "grown" was
// built from New(0) as a real fragment grows (at benchN it sits at load 0.56,
// just past a growth), "full" is presized so that benchN+benchChunk entries
// reach the maximum load (0.75 to 0.8 while a benchmark runs).
var benchShapes = []struct {
	name    string
	initial int
}{
	{"grown", 0},
	{"full", benchN + benchChunk},
}

// benchIndex builds an index of the benchN resident rows, inserted in
// random order, with its last migration finished as an idle owner would.
func benchIndex(b *testing.B, d *benchData, m Matcher, initial int) *Index {
	x := New(initial)
	s := &d.resident
	for i, r := range s.rows {
		if _, ok := x.Insert(s.hashes[i], s.key(i), r, m); !ok {
			b.Fatalf("Insert(row %d) refused", r)
		}
	}
	for x.MigrateStep(1 << 20) {
	}
	return x
}

func reportIndex(b *testing.B, x *Index) {
	b.ReportMetric(float64(x.MemoryBytes())/float64(x.Len()), "idxbytes/row")
	b.ReportMetric(float64(x.Len())/float64(len(x.cur.slots)), "load")
}

// onShapes runs f as a sub-benchmark on each of benchShapes.
func onShapes(b *testing.B, f func(b *testing.B, x *Index, d *benchData, m *benchMatcher)) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	for _, shape := range benchShapes {
		b.Run(shape.name, func(b *testing.B) {
			x := benchIndex(b, d, m, shape.initial)
			defer x.Close()
			b.ReportAllocs()
			b.ResetTimer()
			f(b, x, d, m)
			b.StopTimer()
			reportIndex(b, x)
		})
	}
}

func BenchmarkHashIdxLookup(b *testing.B) {
	onShapes(b, func(b *testing.B, x *Index, d *benchData, m *benchMatcher) {
		s := &d.resident
		cpu := benchcpu.Start()
		for i, j := 0, 0; i < b.N; i++ {
			if got, ok := x.Lookup(s.hashes[j], s.key(j), m); !ok || got != s.rows[j] {
				b.Fatalf("Lookup(row %d) = %d,%v", s.rows[j], got, ok)
			}
			if j++; j == benchN {
				j = 0
			}
		}
		cpu.Report(b)
	})
}

func BenchmarkHashIdxLookupMiss(b *testing.B) {
	onShapes(b, func(b *testing.B, x *Index, d *benchData, m *benchMatcher) {
		s := &d.fresh
		cpu := benchcpu.Start()
		for i, j := 0, 0; i < b.N; i++ {
			if _, ok := x.Lookup(s.hashes[j], s.key(j), m); ok {
				b.Fatalf("Lookup(fresh row %d) hit", s.rows[j])
			}
			if j++; j == benchChunk {
				j = 0
			}
		}
		cpu.Report(b)
	})
}

// BenchmarkHashIdxLookupBatch is BenchmarkHashIdxLookup through LookupBatch
// with 32 lookups per call.
func BenchmarkHashIdxLookupBatch(b *testing.B) {
	const size = 32
	onShapes(b, func(b *testing.B, x *Index, d *benchData, m *benchMatcher) {
		s := &d.resident
		b.StopTimer()
		ks := make([][]byte, benchN)
		for i := range ks {
			ks[i] = s.key(i)
		}
		var out [size]uint32
		b.StartTimer()
		cpu := benchcpu.Start()
		for i, j := 0, 0; i < b.N; i += size {
			x.LookupBatch(s.hashes[j:j+size], ks[j:j+size], m, out[:])
			for k, got := range out {
				if got != s.rows[j+k] {
					b.Fatalf("LookupBatch(row %d) = %d", s.rows[j+k], got)
				}
			}
			if j += size; j+size > benchN {
				j = 0
			}
		}
		cpu.Report(b)
	})
}

// BenchmarkHashIdxInsert inserts fresh keys, deleting each chunk of
// benchChunk again outside the timer.
func BenchmarkHashIdxInsert(b *testing.B) {
	onShapes(b, func(b *testing.B, x *Index, d *benchData, m *benchMatcher) {
		s := &d.fresh
		cpu := benchcpu.Start()
		for i := 0; i < b.N; i++ {
			j := i % benchChunk
			if _, ok := x.Insert(s.hashes[j], s.key(j), s.rows[j], m); !ok {
				b.Fatalf("Insert(row %d) refused", s.rows[j])
			}
			if j == benchChunk-1 || i == b.N-1 {
				b.StopTimer()
				cpu.Pause()
				for k := 0; k <= j; k++ {
					x.Delete(s.hashes[k], s.rows[k])
				}
				cpu.Resume()
				b.StartTimer()
			}
		}
		cpu.Report(b)
		if x.Migrating() {
			b.Fatal("the index grew: the benchmark measured a migration")
		}
	})
}

// BenchmarkHashIdxDelete deletes resident rows in random order, inserting
// each chunk of benchChunk again outside the timer.
func BenchmarkHashIdxDelete(b *testing.B) {
	onShapes(b, func(b *testing.B, x *Index, d *benchData, m *benchMatcher) {
		s := &d.resident
		cpu := benchcpu.Start()
		for i, j := 0, 0; i < b.N; i++ {
			if !x.Delete(s.hashes[j], s.rows[j]) {
				b.Fatalf("Delete(row %d) = false", s.rows[j])
			}
			j++
			if j%benchChunk == 0 || j == benchN || i == b.N-1 {
				b.StopTimer()
				cpu.Pause()
				for k := (j - 1) / benchChunk * benchChunk; k < j; k++ {
					x.Insert(s.hashes[k], s.key(k), s.rows[k], m)
				}
				if j == benchN {
					j = 0
				}
				cpu.Resume()
				b.StartTimer()
			}
		}
		cpu.Report(b)
	})
}

// BenchmarkHashIdxInsertGrow builds the benchN-row index from New(0): the
// amortized insert cost including every growth migration.
func BenchmarkHashIdxInsertGrow(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	s := &d.resident
	b.ReportAllocs()
	var x *Index
	cpu := benchcpu.Start()
	for i := 0; i < b.N; i += benchN {
		b.StopTimer()
		cpu.Pause()
		if x != nil {
			x.Close()
		}
		x = New(0)
		cpu.Resume()
		b.StartTimer()
		for j := range min(benchN, b.N-i) {
			x.Insert(s.hashes[j], s.key(j), s.rows[j], m)
		}
	}
	b.StopTimer()
	cpu.Report(b)
	reportIndex(b, x)
	x.Close()
}

// BenchmarkGoMapLookup is the comparison: a Go map from the key itself, so
// it reads no row.
func BenchmarkGoMapLookup(b *testing.B) {
	d := benchOnce()
	s := &d.resident
	mp := make(map[uint64]uint32)
	for i, r := range s.rows {
		mp[binary.LittleEndian.Uint64(s.key(i))] = r
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i, j := 0, 0; i < b.N; i++ {
		if got, ok := mp[binary.LittleEndian.Uint64(s.key(j))]; !ok || got != s.rows[j] {
			b.Fatalf("map lookup of row %d = %d,%v", s.rows[j], got, ok)
		}
		if j++; j == benchN {
			j = 0
		}
	}
	b.StopTimer()
	cpu.Report(b)
}

// BenchmarkHashIdxGrowPause is BenchmarkHashIdxInsertGrow timing every
// Insert, and reports the slowest: growth must not pause. On a shared
// machine the maximum also catches preemptions; the 99.99th percentile is
// the steadier figure.
func BenchmarkHashIdxGrowPause(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	s := &d.resident
	lat := make([]int64, b.N)
	var x *Index
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % benchN
		if j == 0 {
			b.StopTimer()
			if x != nil {
				x.Close()
			}
			x = New(0)
			b.StartTimer()
		}
		t0 := time.Now()
		x.Insert(s.hashes[j], s.key(j), s.rows[j], m)
		lat[i] = int64(time.Since(t0))
	}
	b.StopTimer()
	x.Close()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[b.N-1])/1e3, "max-us")
	b.ReportMetric(float64(lat[b.N-1-b.N/10000])/1e3, "p99.99-us")
	b.ReportMetric(float64(lat[b.N-1-b.N/1000])/1e3, "p99.9-us")
}
