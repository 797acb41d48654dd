package store

import (
	"encoding/binary"
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
	keys   [][]byte // key image of id i
	hashes []uint64
	rows   [][]byte // row image of id i
	order  []int    // random permutation of ids
	gomap  map[int64][]byte
	valueB int // bytes of column values per row
}

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
		e := &benchEnv{pool: pool, l: l, f: NewFragment(pool, l, 0), gomap: map[int64][]byte{}}
		e.valueB = 8 + 4 + 8 + 8 + 76
		rb := schema.NewRowBuilder(l)
		n := 2 * benchRows // ids beyond benchRows are for inserts
		e.keys, e.hashes, e.rows = make([][]byte, n), make([]uint64, n), make([][]byte, n)
		for i := 0; i < n; i++ {
			e.keys[i] = binary.LittleEndian.AppendUint64(nil, uint64(i))
			e.hashes[i] = partition.Hash(e.keys[i])
			e.rows[i] = benchRowImage(rb, int64(i))
		}
		for i := 0; i < benchRows; i++ {
			ref, err := e.f.PrepareInsert(1, e.hashes[i], e.rows[i])
			must(err)
			must(e.f.Commit(ref, 1))
			e.gomap[int64(i)] = append([]byte(nil), e.rows[i]...)
		}
		e.order = rand.New(rand.NewPCG(1, 2)).Perm(benchRows)
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
			id := e.order[i%benchRows]
			dst = append(dst[:0], e.gomap[int64(id)]...)
		}
		recordMap(b, "read")
	})
	b.Run("store", func(b *testing.B) {
		dst := make([]byte, 0, 256)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			id := e.order[i%benchRows]
			var err error
			if dst, err = e.f.Read(e.hashes[id], e.keys[id], dst[:0]); err != nil {
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
			id := e.order[i%benchRows]
			copy(e.gomap[int64(id)], e.rows[id])
		}
		recordMap(b, "update")
	})
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			id := e.order[i%benchRows]
			ref, err := e.f.PrepareUpdate(TxID(i), e.hashes[id], e.rows[id], &cols)
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

func BenchmarkPKInsert(b *testing.B) {
	e := loadBench(b)
	b.Run("gomap", func(b *testing.B) {
		b.ReportAllocs()
		done := 0
		for b.Loop() {
			id := benchRows + done%insertDeleteChunk
			e.gomap[int64(id)] = append([]byte(nil), e.rows[id]...)
			done++
			if done%insertDeleteChunk == 0 {
				b.StopTimer()
				for j := benchRows; j < benchRows+insertDeleteChunk; j++ {
					delete(e.gomap, int64(j))
				}
				b.StartTimer()
			}
		}
		b.StopTimer()
		for j := benchRows; j < benchRows+insertDeleteChunk; j++ {
			delete(e.gomap, int64(j))
		}
		recordMap(b, "insert")
	})
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		done := 0
		undo := func(n int) {
			for j := benchRows; j < benchRows+n; j++ {
				ref, err := e.f.PrepareDelete(1, e.hashes[j], e.keys[j])
				must(err)
				must(e.f.Commit(ref, 3))
			}
		}
		for b.Loop() {
			id := benchRows + done%insertDeleteChunk
			ref, err := e.f.PrepareInsert(TxID(done), e.hashes[id], e.rows[id])
			if err != nil {
				b.Fatal(err)
			}
			e.f.Commit(ref, 3)
			done++
			if done%insertDeleteChunk == 0 {
				b.StopTimer()
				undo(insertDeleteChunk)
				b.StartTimer()
			}
		}
		b.StopTimer()
		undo(done % insertDeleteChunk)
		reportVsMap(b, "insert")
	})
}

func BenchmarkPKDelete(b *testing.B) {
	e := loadBench(b)
	// Deletes take ids from the random order, in chunks; each chunk is put
	// back with the timer stopped.
	b.Run("gomap", func(b *testing.B) {
		b.ReportAllocs()
		done := 0
		for b.Loop() {
			id := e.order[done%insertDeleteChunk]
			delete(e.gomap, int64(id))
			done++
			if done%insertDeleteChunk == 0 {
				b.StopTimer()
				for _, j := range e.order[:insertDeleteChunk] {
					e.gomap[int64(j)] = append([]byte(nil), e.rows[j]...)
				}
				b.StartTimer()
			}
		}
		b.StopTimer()
		for _, j := range e.order[:done%insertDeleteChunk] {
			e.gomap[int64(j)] = append([]byte(nil), e.rows[j]...)
		}
		recordMap(b, "delete")
	})
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		redo := func(n int) {
			for _, j := range e.order[:n] {
				ref, err := e.f.PrepareInsert(1, e.hashes[j], e.rows[j])
				must(err)
				must(e.f.Commit(ref, 4))
			}
		}
		done := 0
		for b.Loop() {
			id := e.order[done%insertDeleteChunk]
			ref, err := e.f.PrepareDelete(TxID(done), e.hashes[id], e.keys[id])
			if err != nil {
				b.Fatal(err)
			}
			e.f.Commit(ref, 4)
			done++
			if done%insertDeleteChunk == 0 {
				b.StopTimer()
				redo(insertDeleteChunk)
				b.StartTimer()
			}
		}
		b.StopTimer()
		redo(done % insertDeleteChunk)
		reportVsMap(b, "delete")
	})
}
