package store

import (
	"testing"

	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

// TestKeyPathsAllocateNothing pins the hot paths at zero heap allocations
// per operation once warm (benchmarks measure speed; this keeps CI honest).
func TestKeyPathsAllocateNothing(t *testing.T) {
	f, _ := newTestFragment(t, benchTable(), 16<<20)
	rb := schema.NewRowBuilder(f.Layout())
	const n = 512
	rows := make([][]byte, n)
	hs := make([]uint64, n)
	for i := range rows {
		rows[i] = benchRowImage(rb, int64(i))
		hs[i] = partition.Hash(rows[i][:8])
	}
	var cols schema.ColumnSet
	cols.Add(2)
	dst := make([]byte, 0, 256)
	i := 0
	ops := map[string]func(){
		"insert+commit": func() {
			ref, err := f.PrepareInsert(1, hs[i%n], rows[i%n])
			must(err)
			must(f.Commit(ref, 1))
		},
		"read": func() {
			var err error
			dst, err = f.Read(hs[i%n], rows[i%n][:8], dst[:0])
			must(err)
		},
		"update+commit": func() {
			ref, err := f.PrepareUpdate(2, hs[i%n], rows[i%n], &cols)
			must(err)
			must(f.Commit(ref, 2))
		},
		"update+abort": func() {
			ref, err := f.PrepareUpdate(3, hs[i%n], rows[i%n], &cols)
			must(err)
			must(f.Abort(ref))
		},
		"delete+commit": func() {
			ref, err := f.PrepareDelete(4, hs[i%n], rows[i%n][:8])
			must(err)
			must(f.Commit(ref, 3))
		},
	}
	for _, name := range []string{"insert+commit", "read", "update+commit", "update+abort", "delete+commit"} {
		op := ops[name]
		i = 0
		got := testing.AllocsPerRun(n-1, func() { op(); i++ })
		if got != 0 {
			t.Errorf("%s: %v allocations per op, want 0", name, got)
		}
	}
}
