package store

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

// The acceptance benchmarks: one core, a table of 1,000,000 rows with an
// int64 key and four columns (104 bytes of values), primary-key operations
// in random key order, each a full prepare+commit for writes. Each has a
// gomap sub-benchmark doing the same work on a map[int64][]byte first, and
// the store sub-benchmark reports its speed relative to it (x-gomap).

const benchRows = 1_000_000

func benchTable() *schema.Table {
	return &schema.Table{
		ID: 7, Name: "bench", Version: 1,
		Columns: []schema.Column{
			{Name: "id", Type: schema.TypeBigInt},
			{Name: "a", Type: schema.TypeInt},
			{Name: "b", Type: schema.TypeBigInt},
			{Name: "c", Type: schema.TypeDouble},
			{Name: "d", Type: schema.TypeChar, Length: 76, Charset: schema.CharsetLatin1, Nullable: true},
		},
		PrimaryKey: []int{0},
	}
}

type benchEnv struct {
	f      *Fragment
	pool   *mem.Pool
	l      *schema.Layout
	rowLen int
	valueB int // bytes of column values per row
	// The rows in random access order, laid out contiguously so the
	// harness itself reads sequentially and only the structure under test
	// misses the cache: ids[i], keys[8i:8i+8], hashes[i], rows[rowLen*i:].
	ids    []int64
	keys   []byte
	hashes []uint64
	rows   []byte
	// ids benchRows .. benchRows+insertDeleteChunk-1, for inserts.
	newKeys   []byte
	newHashes []uint64
	newRows   []byte
	gomap     map[int64][]byte
}

func (e *benchEnv) key(i int) []byte    { return e.keys[8*i : 8*i+8] }
func (e *benchEnv) row(i int) []byte    { return e.rows[e.rowLen*i : e.rowLen*(i+1)] }
func (e *benchEnv) newKey(i int) []byte { return e.newKeys[8*i : 8*i+8] }
func (e *benchEnv) newRow(i int) []byte { return e.newRows[e.rowLen*i : e.rowLen*(i+1)] }

var (
	benchOnce sync.Once
	bench     *benchEnv
)

func benchRowImage(b *schema.RowBuilder, id int64) []byte {
	b.Reset()
	must(b.SetInt64(0, id))
	must(b.SetInt64(1, id%1000))
	must(b.SetInt64(2, id*3))
	must(b.SetFloat64(3, float64(id)/7))
	must(b.SetString(4, "subscriber profile data for an HLR row, padded to fill the column ......."))
	return b.AppendRow(nil)
}

// loadBench builds the 1M-row fragment and the map once; benchmarks leave
// both as they found them.
func loadBench(tb testing.TB) *benchEnv {
	benchOnce.Do(func() {
		l, err := schema.NewLayout(benchTable())
		must(err)
		pool, err := mem.NewPool(1 << 30)
		must(err)
		pool.Prefault()
		e := &benchEnv{pool: pool, l: l, f: NewFragment(pool, l, 0), gomap: map[int64][]byte{}}
		e.valueB = 8 + 4 + 8 + 8 + 76
		e.rowLen = l.FixedSize
		rb := schema.NewRowBuilder(l)
		for _, id := range rand.New(rand.NewPCG(1, 2)).Perm(benchRows) {
			img := benchRowImage(rb, int64(id))
			e.ids = append(e.ids, int64(id))
			e.keys = append(e.keys, img[:8]...)
			e.hashes = append(e.hashes, partition.Hash(img[:8]))
			e.rows = append(e.rows, img...)
		}
		for id := benchRows; id < benchRows+insertDeleteChunk; id++ {
			img := benchRowImage(rb, int64(id))
			e.newKeys = append(e.newKeys, img[:8]...)
			e.newHashes = append(e.newHashes, partition.Hash(img[:8]))
			e.newRows = append(e.newRows, img...)
		}
		for i := range e.ids {
			ref, err := e.f.PrepareInsert(1, e.hashes[i], e.row(i))
			must(err)
			must(e.f.Commit(ref, 1))
			e.gomap[e.ids[i]] = append([]byte(nil), e.row(i)...)
		}
		bench = e
	})
	return bench
}

// overheadPerRow is the memory a row costs beyond its column values:
// DataMemory pages (header, null bitmap, slack) plus the hash index plus
// the page tables.
func (e *benchEnv) overheadPerRow() float64 {
	m := e.f.Memory()
	total := m.DataMemoryBytes() + m.PKIndexBytes + m.TableBytes
	rows := e.f.Stats().Rows
	return float64(total)/float64(rows) - float64(e.valueB)
}

var mapNsPerOp = map[string]float64{}

func reportVsMap(b *testing.B, name string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	if ns, ok := mapNsPerOp[name]; ok {
		mine := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(ns/mine, "x-gomap")
	}
}

func recordMap(b *testing.B, name string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	mapNsPerOp[name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

func BenchmarkPKRead(b *testing.B) {
	e := loadBench(b)
	b.Run("gomap", func(b *testing.B) {
		dst := make([]byte, 0, 256)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			dst = append(dst[:0], e.gomap[e.ids[i%benchRows]]...)
		}
		recordMap(b, "read")
	})
	b.Run("store", func(b *testing.B) {
		dst := make([]byte, 0, 256)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % benchRows
			var err error
			if dst, err = e.f.Read(e.hashes[j], e.key(j), dst[:0]); err != nil {
				b.Fatal(err)
			}
		}
		reportVsMap(b, "read")
		b.ReportMetric(e.overheadPerRow(), "overhead-B/row")
	})
}

func BenchmarkPKUpdate(b *testing.B) {
	e := loadBench(b)
	var cols schema.ColumnSet
	cols.Add(2) // b BIGINT: a typical counter/state update
	b.Run("gomap", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % benchRows
			copy(e.gomap[e.ids[j]], e.row(j))
		}
		recordMap(b, "update")
	})
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % benchRows
			ref, err := e.f.PrepareUpdate(TxID(i), e.hashes[j], e.row(j), &cols)
			if err != nil {
				b.Fatal(err)
			}
			e.f.Commit(ref, 2)
		}
		reportVsMap(b, "update")
	})
}

// insertDeleteChunk bounds how far inserts grow the table (and deletes
// shrink it) before the timer stops and the table is put back.
const insertDeleteChunk = 200_000

// chunked runs op(j) for j = 0, 1, ... within a chunk of
// insertDeleteChunk, calling restore(n) with the timer stopped after each
// full chunk and at the end, so the table is left as it was found.
func chunked(b *testing.B, op func(j int), restore func(n int)) {
	done := 0
	for b.Loop() {
		op(done % insertDeleteChunk)
		if done++; done%insertDeleteChunk == 0 {
			b.StopTimer()
			restore(insertDeleteChunk)
			b.StartTimer()
		}
	}
	b.StopTimer()
	restore(done % insertDeleteChunk)
}

func BenchmarkPKInsert(b *testing.B) {
	e := loadBench(b)
	b.Run("gomap", func(b *testing.B) {
		b.ReportAllocs()
		chunked(b, func(j int) {
			e.gomap[int64(benchRows+j)] = append([]byte(nil), e.newRow(j)...)
		}, func(n int) {
			for j := 0; j < n; j++ {
				delete(e.gomap, int64(benchRows+j))
			}
		})
		recordMap(b, "insert")
	})
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		chunked(b, func(j int) {
			ref, err := e.f.PrepareInsert(TxID(j), e.newHashes[j], e.newRow(j))
			if err != nil {
				b.Fatal(err)
			}
			e.f.Commit(ref, 3)
		}, func(n int) {
			for j := 0; j < n; j++ {
				ref, err := e.f.PrepareDelete(1, e.newHashes[j], e.newKey(j))
				must(err)
				must(e.f.Commit(ref, 3))
			}
		})
		reportVsMap(b, "insert")
	})
}

func BenchmarkPKDelete(b *testing.B) {
	e := loadBench(b)
	// Deletes take rows in the random order, in chunks; each chunk is put
	// back with the timer stopped.
	b.Run("gomap", func(b *testing.B) {
		b.ReportAllocs()
		chunked(b, func(j int) {
			delete(e.gomap, e.ids[j])
		}, func(n int) {
			for j := 0; j < n; j++ {
				e.gomap[e.ids[j]] = append([]byte(nil), e.row(j)...)
			}
		})
		recordMap(b, "delete")
	})
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		chunked(b, func(j int) {
			ref, err := e.f.PrepareDelete(TxID(j), e.hashes[j], e.key(j))
			if err != nil {
				b.Fatal(err)
			}
			e.f.Commit(ref, 4)
		}, func(n int) {
			for j := 0; j < n; j++ {
				ref, err := e.f.PrepareInsert(1, e.hashes[j], e.row(j))
				must(err)
				must(e.f.Commit(ref, 4))
			}
		})
		reportVsMap(b, "delete")
	})
}
