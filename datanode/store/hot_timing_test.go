package store

import (
	"testing"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

// BenchmarkHot runs the key operations on a 4096-row table that stays in
// cache: the CPU cost of each path without memory stalls, to tune the code
// apart from the machine's memory latency.
func BenchmarkHot(b *testing.B) {
	const n = 4096
	l, _ := schema.NewLayout(benchTable())
	pool, _ := mem.NewPool(64 << 20)
	defer pool.Close()
	f := NewFragment(pool, l, 0)
	defer f.Close()
	rb := schema.NewRowBuilder(l)
	rows := make([][]byte, n)
	hs := make([]uint64, n)
	for i := range rows {
		rows[i] = benchRowImage(rb, int64(i))
		hs[i] = partition.Hash(rows[i][:8])
		ref, _ := f.PrepareInsert(1, hs[i], rows[i])
		f.Commit(ref, 1)
	}
	var cols schema.ColumnSet
	cols.Add(2)
	b.Run("read", func(b *testing.B) {
		dst := make([]byte, 0, 256)
		for i := 0; b.Loop(); i++ {
			j := i % n
			dst, _ = f.Read(hs[j], rows[j][:8], dst[:0])
		}
	})
	b.Run("update", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			j := i % n
			ref, _ := f.PrepareUpdate(TxID(i), hs[j], rows[j], &cols)
			f.Commit(ref, 2)
		}
	})
	b.Run("delete+insert", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			j := i % n
			ref, _ := f.PrepareDelete(TxID(i), hs[j], rows[j][:8])
			f.Commit(ref, 2)
			ref, _ = f.PrepareInsert(TxID(i), hs[j], rows[j])
			f.Commit(ref, 2)
		}
	})
}
