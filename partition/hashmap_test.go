package partition

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNewHashMapErrors(t *testing.T) {
	for _, tc := range []struct {
		buckets, fragments int
		want               error
	}{
		{0, 1, ErrBuckets},
		{-1, 1, ErrBuckets},
		{MaxBuckets + 1, 1, ErrBuckets},
		{10, 0, ErrFragments},
		{10, -3, ErrFragments},
		{10, 11, ErrFragments},
		{MaxBuckets, MaxFragments + 1, ErrFragments},
		{1, 1, nil},
		{MaxBuckets, MaxFragments, nil},
	} {
		m, err := NewHashMap(tc.buckets, tc.fragments)
		if !errors.Is(err, tc.want) {
			t.Errorf("NewHashMap(%d, %d) error %v, want %v", tc.buckets, tc.fragments, err, tc.want)
		}
		if (m == nil) != (tc.want != nil) {
			t.Errorf("NewHashMap(%d, %d) = %v with error %v", tc.buckets, tc.fragments, m, err)
		}
	}
}

func TestNewHashMapRoundRobin(t *testing.T) {
	for _, tc := range []struct {
		buckets, fragments int
		counts             []int
	}{
		{1, 1, []int{1}},
		{10, 3, []int{4, 3, 3}},
		{DefaultBuckets, 8, []int{480, 480, 480, 480, 480, 480, 480, 480}},
		{DefaultBuckets, 7, []int{549, 549, 549, 549, 548, 548, 548}},
	} {
		m, err := NewHashMap(tc.buckets, tc.fragments)
		if err != nil {
			t.Fatal(err)
		}
		if m.Buckets() != tc.buckets || m.Fragments() != tc.fragments || m.Version() != 1 {
			t.Errorf("NewHashMap(%d, %d): buckets %d fragments %d version %d", tc.buckets, tc.fragments, m.Buckets(), m.Fragments(), m.Version())
		}
		for b := range tc.buckets {
			if got := m.BucketFragment(b); got != uint32(b%tc.fragments) {
				t.Fatalf("NewHashMap(%d, %d): bucket %d -> fragment %d, want %d", tc.buckets, tc.fragments, b, got, b%tc.fragments)
			}
		}
		if got := m.BucketCounts(); !slices.Equal(got, tc.counts) {
			t.Errorf("NewHashMap(%d, %d) counts %v, want %v", tc.buckets, tc.fragments, got, tc.counts)
		}
		if !m.Balanced() {
			t.Errorf("NewHashMap(%d, %d) not balanced", tc.buckets, tc.fragments)
		}
	}
}

// checkFragmentBuckets checks FragmentBuckets against BucketFragment and
// BucketCounts: each bucket listed once, under its own fragment, ascending.
func checkFragmentBuckets(t *testing.T, m *HashMap) {
	t.Helper()
	counts := m.BucketCounts()
	seen := 0
	for f := range uint32(m.Fragments()) {
		bs := m.FragmentBuckets(f)
		if len(bs) != counts[f] || !slices.IsSorted(bs) {
			t.Fatalf("fragment %d: buckets %v, count %d", f, bs, counts[f])
		}
		for _, b := range bs {
			if m.BucketFragment(b) != f {
				t.Fatalf("fragment %d lists bucket %d of fragment %d", f, b, m.BucketFragment(b))
			}
		}
		seen += len(bs)
	}
	if seen != m.Buckets() {
		t.Fatalf("fragments list %d buckets, map has %d", seen, m.Buckets())
	}
	if bs := m.FragmentBuckets(uint32(m.Fragments())); len(bs) != 0 {
		t.Fatalf("fragment past the end lists %v", bs)
	}
}

func TestHashMapBalanceProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	n := 300
	if testing.Short() {
		n = 25
	}
	for range n {
		buckets := 1 + rng.IntN(5000)
		fragments := 1 + rng.IntN(min(buckets, 200))
		m, err := NewHashMap(buckets, fragments)
		if err != nil {
			t.Fatal(err)
		}
		counts := m.BucketCounts()
		if lo, hi := slices.Min(counts), slices.Max(counts); hi-lo > 1 || !m.Balanced() {
			t.Fatalf("NewHashMap(%d, %d): counts %d..%d", buckets, fragments, lo, hi)
		}
		checkFragmentBuckets(t, m)
		for range 20 {
			h := rng.Uint64()
			if got, want := m.Fragment(h), m.BucketFragment(m.Bucket(h)); got != want {
				t.Fatalf("Fragment(%#x) = %d, bucket says %d", h, got, want)
			}
		}
	}
}

func TestHashMapCloneAndSet(t *testing.T) {
	m, err := NewHashMap(12, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Clone()
	if !c.Equal(m) || c.Version() != m.Version() {
		t.Fatal("clone differs from its original")
	}
	if err := c.SetBucketFragment(4, 1); err != nil { // bucket 4 is already on fragment 1
		t.Fatal(err)
	}
	if c.Version() != 1 {
		t.Errorf("no-op set bumped version to %d", c.Version())
	}
	if err := c.SetBucketFragment(4, 2); err != nil {
		t.Fatal(err)
	}
	if c.Version() != 2 || c.BucketFragment(4) != 2 {
		t.Errorf("after move: version %d, bucket 4 on %d", c.Version(), c.BucketFragment(4))
	}
	if m.BucketFragment(4) != 1 || m.Version() != 1 || m.Equal(c) {
		t.Error("changing the clone changed the original")
	}
	if c.Balanced() {
		t.Errorf("counts %v reported balanced", c.BucketCounts())
	}
	checkFragmentBuckets(t, c)

	for _, tc := range []struct {
		b    int
		f    uint32
		want error
	}{
		{-1, 0, ErrBuckets},
		{12, 0, ErrBuckets},
		{0, 3, ErrFragments},
	} {
		if err := c.SetBucketFragment(tc.b, tc.f); !errors.Is(err, tc.want) {
			t.Errorf("SetBucketFragment(%d, %d) = %v, want %v", tc.b, tc.f, err, tc.want)
		}
	}
	if c.Version() != 2 {
		t.Errorf("failed sets changed version to %d", c.Version())
	}
}

func TestHashMapFromTable(t *testing.T) {
	m, err := NewHashMap(DefaultBuckets, 6)
	if err != nil {
		t.Fatal(err)
	}
	table := m.AppendTable(nil)
	r, err := HashMapFromTable(6, table, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Equal(m) || r.Version() != 9 {
		t.Fatalf("round trip: equal %v version %d", r.Equal(m), r.Version())
	}
	table[0] = 5 // the map must own its table
	if r.BucketFragment(0) != 0 {
		t.Fatal("HashMapFromTable kept the caller's slice")
	}
	if !r.Equal(m) {
		t.Fatal("changing the appended table changed the map")
	}

	for _, tc := range []struct {
		name      string
		fragments int
		table     []uint16
		want      error
	}{
		{"empty", 1, nil, ErrBuckets},
		{"entry past fragments", 2, []uint16{0, 1, 2}, ErrFragments},
		{"no fragments", 0, []uint16{0}, ErrFragments},
		{"unbalanced is fine", 2, []uint16{0, 0, 0, 1}, nil},
	} {
		if _, err := HashMapFromTable(tc.fragments, tc.table, 1); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}
