package partition

import "testing"

func BenchmarkHash(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"8B", 8}, {"32B", 32}} {
		b.Run(size.name, func(b *testing.B) {
			key := pattern(size.n)
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			var sink uint64
			for b.Loop() {
				sink += Hash(key)
			}
			_ = sink
		})
	}
}

func BenchmarkHashUint64Key(b *testing.B) {
	b.ReportAllocs()
	var sink uint64
	for i := uint64(0); b.Loop(); i++ {
		sink += HashUint64Key(i)
	}
	_ = sink
}

func BenchmarkHashMapFragment(b *testing.B) {
	m, err := NewHashMap(DefaultBuckets, 24)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var sink uint32
	h := uint64(0x9e3779b97f4a7c15)
	for b.Loop() {
		h += 0x9e3779b97f4a7c15
		sink += m.Fragment(h)
	}
	_ = sink
}

func BenchmarkPlanReorg(b *testing.B) {
	m, err := NewHashMap(DefaultBuckets, 16)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlanReorg(m, 24); err != nil {
			b.Fatal(err)
		}
	}
}
