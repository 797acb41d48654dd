package store

import (
	"encoding/binary"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

// loadRows inserts ids [from, to) of benchTable into f, reusing one row
// image (only the key bytes change), so the loader itself allocates nothing.
func loadRows(tb testing.TB, f *Fragment, img []byte, from, to int) {
	for id := from; id < to; id++ {
		binary.LittleEndian.PutUint64(img, uint64(id))
		ref, err := f.PrepareInsert(1, partition.Hash(img[:8]), img)
		if err != nil {
			tb.Fatalf("insert %d: %v", id, err)
		}
		if err := f.Commit(ref, 1); err != nil {
			tb.Fatal(err)
		}
	}
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// gcPauseP99 reads the 99th percentile of stop-the-world GC pauses since
// the process started, from runtime/metrics.
func gcPauseP99() float64 {
	s := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	want := uint64(float64(total) * 0.99)
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= want {
			return h.Buckets[i+1]
		}
	}
	return h.Buckets[len(h.Buckets)-1]
}

// TestHeapFlatWith10MRows loads 10 million rows and checks that the Go heap
// does not grow with the row count: rows and the hash index live in mapped
// memory, page tables are a few bytes per 280 rows.
func TestHeapFlatWith10MRows(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 10M rows")
	}
	l, err := schema.NewLayout(benchTable())
	if err != nil {
		t.Fatal(err)
	}
	pool, err := mem.NewPool(2 << 30)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	f := NewFragment(pool, l, 0)
	defer f.Close()
	img := benchRowImage(schema.NewRowBuilder(l), 0)

	loadRows(t, f, img, 0, 1_000_000)
	at1M := heapInuse()
	loadRows(t, f, img, 1_000_000, 10_000_000)
	at10M := heapInuse()
	m := f.Memory()
	growth := int64(at10M) - int64(at1M)
	t.Logf("10M rows: Go heap in use %.1f MiB (+%.1f MiB from 1M rows); DataMemory %.0f MiB, hash index %.0f MiB (mapped), page tables %.1f MiB; GC pause p99 %.0f µs",
		float64(at10M)/(1<<20), float64(growth)/(1<<20), float64(m.DataMemoryBytes())/(1<<20),
		float64(m.PKIndexBytes)/(1<<20), float64(m.TableBytes)/(1<<20), gcPauseP99()*1e6)
	// 9M more rows may add page-table entries (about 9M/280 pages x 24 B =
	// 0.8 MiB, doubled by slice growth); anything per row would be >= 9 MB.
	if growth > 4<<20 {
		t.Fatalf("Go heap grew %d bytes from 1M to 10M rows: row memory is leaking onto the heap", growth)
	}
}
