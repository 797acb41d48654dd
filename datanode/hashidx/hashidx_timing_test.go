package hashidx

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
)

// benchN is the fragment size the targets are stated for.
const benchN = 1_000_000

// benchChunk is how many fresh keys an insert benchmark adds before it
// deletes them again outside the timer, keeping the index near benchN.
const benchChunk = 1 << 16

// benchData holds benchN+benchChunk random distinct keys: row r holds key
// keys[r]. The first benchN are the resident rows; the rest are fresh keys
// for insert benchmarks.
type benchData struct {
	keys   []uint64 // row -> key
	buf    []byte   // keys encoded little-endian, 8 bytes each, by row
	hashes []uint32 // row -> high 32 bits of xxh3 of the encoded key
	order  []uint32 // a random permutation of the resident rows
}

var benchOnce = sync.OnceValue(func() *benchData {
	rng := rand.New(rand.NewPCG(42, 42))
	total := benchN + benchChunk
	d := &benchData{keys: make([]uint64, total), buf: make([]byte, 8*total), hashes: make([]uint32, total)}
	seen := make(map[uint64]bool, total)
	for r := range d.keys {
		k := rng.Uint64()
		for seen[k] {
			k = rng.Uint64()
		}
		seen[k] = true
		d.keys[r] = k
		binary.LittleEndian.PutUint64(d.buf[8*r:], k)
		d.hashes[r] = xxh3High(k)
	}
	d.order = make([]uint32, benchN)
	for i := range d.order {
		d.order[i] = uint32(i)
	}
	rng.Shuffle(benchN, func(i, j int) { d.order[i], d.order[j] = d.order[j], d.order[i] })
	return d
})

func (d *benchData) key(r uint32) []byte { return d.buf[8*r : 8*r+8 : 8*r+8] }

// benchMatcher compares against the key column, a random access per call
// like a row read by the storage engine.
type benchMatcher struct{ keys []uint64 }

func (m *benchMatcher) KeyEquals(r uint32, key []byte) bool {
	return m.keys[r] == binary.LittleEndian.Uint64(key)
}

// benchIndex builds an index of the benchN resident rows, inserted in
// random order from New(0) so that it has grown as a real fragment does,
// with its last migration finished as an idle owner would.
func benchIndex(b *testing.B, d *benchData, m Matcher) *Index {
	x := New(0)
	for _, r := range d.order {
		if _, ok := x.Insert(d.hashes[r], d.key(r), r, m); !ok {
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

func BenchmarkHashIdxLookup(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	x := benchIndex(b, d, m)
	defer x.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		r := d.order[i%benchN]
		if got, ok := x.Lookup(d.hashes[r], d.key(r), m); !ok || got != r {
			b.Fatalf("Lookup(row %d) = %d,%v", r, got, ok)
		}
	}
	b.StopTimer()
	cpu.report(b)
	reportIndex(b, x)
}

func BenchmarkHashIdxLookupMiss(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	x := benchIndex(b, d, m)
	defer x.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		r := uint32(benchN + i%benchChunk) // fresh keys: never inserted
		if _, ok := x.Lookup(d.hashes[r], d.key(r), m); ok {
			b.Fatalf("Lookup(fresh row %d) hit", r)
		}
	}
	b.StopTimer()
	cpu.report(b)
	reportIndex(b, x)
}

func BenchmarkHashIdxLookupBatch(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	x := benchIndex(b, d, m)
	defer x.Close()
	for _, size := range []int{8, 16, 32, 64} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			hs := make([]uint32, size)
			ks := make([][]byte, size)
			out := make([]uint32, size)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i += size {
				for j := range size {
					r := d.order[(i+j)%benchN]
					hs[j], ks[j] = d.hashes[r], d.key(r)
				}
				x.LookupBatch(hs, ks, m, out)
				for j, got := range out {
					if r := d.order[(i+j)%benchN]; got != r {
						b.Fatalf("LookupBatch slot %d = %d, want %d", j, got, r)
					}
				}
			}
			b.StopTimer()
			cpu.report(b)
		})
	}
}

// BenchmarkHashIdxInsert inserts fresh keys into the resident index, deleting
// each chunk of benchChunk again outside the timer.
func BenchmarkHashIdxInsert(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	x := benchIndex(b, d, m)
	defer x.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		j := i % benchChunk
		r := uint32(benchN + j)
		if _, ok := x.Insert(d.hashes[r], d.key(r), r, m); !ok {
			b.Fatalf("Insert(row %d) refused", r)
		}
		if j == benchChunk-1 || i == b.N-1 {
			b.StopTimer()
			cpu.pause()
			for k := 0; k <= j; k++ {
				x.Delete(d.hashes[benchN+k], uint32(benchN+k))
			}
			cpu.resume()
			b.StartTimer()
		}
	}
	b.StopTimer()
	cpu.report(b)
	reportIndex(b, x)
}

// BenchmarkHashIdxDelete deletes resident rows in random order, inserting
// each chunk of benchChunk again outside the timer.
func BenchmarkHashIdxDelete(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	x := benchIndex(b, d, m)
	defer x.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		j := i % benchN
		r := d.order[j]
		if !x.Delete(d.hashes[r], r) {
			b.Fatalf("Delete(row %d) = false", r)
		}
		if (j+1)%benchChunk == 0 || j == benchN-1 || i == b.N-1 {
			b.StopTimer()
			cpu.pause()
			for k := j - j%benchChunk; k <= j; k++ {
				r := d.order[k]
				x.Insert(d.hashes[r], d.key(r), r, m)
			}
			cpu.resume()
			b.StartTimer()
		}
	}
	b.StopTimer()
	cpu.report(b)
	reportIndex(b, x)
}

// BenchmarkHashIdxInsertGrow builds the benchN-row index from New(0): the
// amortized insert cost including every growth migration.
func BenchmarkHashIdxInsertGrow(b *testing.B) {
	d := benchOnce()
	m := &benchMatcher{keys: d.keys}
	b.ReportAllocs()
	var x *Index
	cpu := startCPU()
	for i := 0; i < b.N; i += benchN {
		b.StopTimer()
		cpu.pause()
		if x != nil {
			x.Close()
		}
		x = New(0)
		cpu.resume()
		b.StartTimer()
		for _, r := range d.order[:min(benchN, b.N-i)] {
			x.Insert(d.hashes[r], d.key(r), r, m)
		}
	}
	b.StopTimer()
	cpu.report(b)
	reportIndex(b, x)
	x.Close()
}

func BenchmarkGoMapLookup(b *testing.B) {
	d := benchOnce()
	mp := make(map[uint64]uint32)
	for _, r := range d.order {
		mp[d.keys[r]] = r
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		r := d.order[i%benchN]
		if got, ok := mp[d.keys[r]]; !ok || got != r {
			b.Fatalf("map[%d] = %d,%v", d.keys[r], got, ok)
		}
	}
	b.StopTimer()
	cpu.report(b)
}
