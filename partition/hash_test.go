package partition

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"testing/quick"
)

// pattern returns n deterministic bytes for golden inputs.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + 7)
	}
	return b
}

// The expected values come from the C reference implementation of XXH3_64bits
// (seed 0), not from this package. The lengths cover every code path of xxh3:
// 0, 1-3, 4-8, 9-16, 17-128, 129-240 and the long-input loop (>240, one and
// several 1024-byte blocks). They must never change: they place rows.
var hashGolden = []struct {
	name string
	key  []byte
	want uint64
}{
	{"empty", nil, 0x2d06800538d394c2},
	{"a", []byte("a"), 0xe6c632b61e964e1f},
	{"abc", []byte("abc"), 0x78af5f94892f3950},
	{"abcd", []byte("abcd"), 0x6497a96f53a89890},
	{"gondb-pk", []byte("gondb-pk"), 0x91e1a9c4717170dd},
	{"9 bytes!!", []byte("9 bytes!!"), 0x2793db6ddca09159},
	{"pat16", pattern(16), 0x86abf6baccea0858},
	{"pat17", pattern(17), 0xb58bf5dc5022d071},
	{"pat128", pattern(128), 0x10d17f72c0ccba41},
	{"pat129", pattern(129), 0x1648bdc3db49d1a2},
	{"pat240", pattern(240), 0xb6cfaf343fab81e6},
	{"pat241", pattern(241), 0x956cae592c67279e},
	{"pat1024", pattern(1024), 0x70bd377d9574f4bb},
	{"pat1031", pattern(1031), 0x03975e64062bb1a2},
	{"pat4099", pattern(4099), 0xd84ddd40d2dfa2c7},
}

func TestHashGolden(t *testing.T) {
	for _, tc := range hashGolden {
		if got := Hash(tc.key); got != tc.want {
			t.Errorf("Hash(%s) = %#016x, want %#016x", tc.name, got, tc.want)
		}
	}
}

func TestHashUint64KeyGolden(t *testing.T) {
	for _, tc := range []struct {
		key  uint64
		want uint64
	}{
		{0, 0xc77b3abb6f87acd9},
		{1, 0x2fbc593564db792e},
		{42, 0xd5a6f8c838df27c8},
		{1 << 32, 0xeeab51d59cf4ca5b},
		{math.MaxUint64, 0x5111c7e47d784413},
	} {
		if got := HashUint64Key(tc.key); got != tc.want {
			t.Errorf("HashUint64Key(%d) = %#016x, want %#016x", tc.key, got, tc.want)
		}
	}
}

// HashUint64Key must equal Hash of the little-endian encoding on every host.
func TestHashUint64KeyIsLittleEndianHash(t *testing.T) {
	f := func(k uint64) bool {
		return HashUint64Key(k) == Hash(binary.LittleEndian.AppendUint64(nil, k))
	}
	if err := quick.Check(f, nil); err != nil {
		t.Fatal(err)
	}
}

func TestHashAllocs(t *testing.T) {
	key := pattern(32)
	m, err := NewHashMap(DefaultBuckets, 8)
	if err != nil {
		t.Fatal(err)
	}
	var sink uint64
	for name, fn := range map[string]func(){
		"Hash":          func() { sink += Hash(key) },
		"HashUint64Key": func() { sink += HashUint64Key(sink) },
		"Fragment":      func() { sink += uint64(m.Fragment(sink)) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}

func TestBucket(t *testing.T) {
	for _, tc := range []struct {
		h    uint64
		n    uint32
		want uint32
	}{
		{0, 10, 0},
		{0xffffffff, 10, 9},
		{1 << 31, 10, 5},
		{0xdeadbeef_00000000, 10, 0}, // high bits never choose the bucket
		{0xffffffff_ffffffff, DefaultBuckets, DefaultBuckets - 1},
		{0x12345678, 1, 0},
		{0x12345678, 0, 0},
	} {
		if got := Bucket(tc.h, tc.n); got != tc.want {
			t.Errorf("Bucket(%#x, %d) = %d, want %d", tc.h, tc.n, got, tc.want)
		}
	}
}

// Bucket b owns the low-32-bit values [ceil(b*2^32/n), ceil((b+1)*2^32/n)):
// a reference formulation independent of the multiply-shift.
func TestBucketQuickAgainstRanges(t *testing.T) {
	start := func(b, n uint64) uint64 { return (b<<32 + n - 1) / n }
	f := func(h uint64, n32 uint32, high uint32) bool {
		n := uint64(n32%MaxBuckets) + 1
		b := Bucket(h, uint32(n))
		low := uint64(uint32(h))
		return uint64(b) < n && start(uint64(b), n) <= low && low < start(uint64(b)+1, n) &&
			Bucket(h^uint64(high)<<32, uint32(n)) == b
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000}); err != nil {
		t.Fatal(err)
	}
}

// chiSquare returns the chi-square statistic of counts against a uniform
// expectation.
func chiSquare(counts []int, total int) float64 {
	exp := float64(total) / float64(len(counts))
	var x float64
	for _, c := range counts {
		d := float64(c) - exp
		x += d * d / exp
	}
	return x
}

// Sequential keys, the worst case for a weak hash, must spread over buckets
// (low 32 bits) and over the hash index (high 32 bits). The bound is the mean
// of the chi-square distribution plus ten standard deviations: a failure means
// a broken hash, never bad luck.
func TestHashDistribution(t *testing.T) {
	const keys = 100_000
	keyFns := map[string]func(i int, buf []byte) uint64{
		"uint64": func(i int, _ []byte) uint64 { return HashUint64Key(uint64(i)) },
		"decimal": func(i int, buf []byte) uint64 {
			return Hash(strconv.AppendInt(buf[:0], int64(i), 10))
		},
	}
	for name, key := range keyFns {
		low := make([]int, DefaultBuckets)
		high := make([]int, DefaultBuckets)
		buf := make([]byte, 0, 20)
		for i := range keys {
			h := key(i, buf)
			low[Bucket(h, DefaultBuckets)]++
			high[Bucket(uint64(IndexHash(h)), DefaultBuckets)]++
		}
		df := float64(DefaultBuckets - 1)
		limit := df + 10*math.Sqrt(2*df)
		for part, counts := range map[string][]int{"low": low, "high": high} {
			if x := chiSquare(counts, keys); x > limit {
				t.Errorf("%s keys, %s 32 bits: chi-square %.0f over %d buckets, limit %.0f", name, part, x, DefaultBuckets, limit)
			}
		}
	}
}

// Rows spread evenly over the fragments of a default hash map.
func TestHashFragmentSpread(t *testing.T) {
	const keys = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	for _, frags := range []int{1, 2, 3, 7, 8, 24, 100} {
		m, err := NewHashMap(DefaultBuckets, frags)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, frags)
		base := rng.Uint64()
		for i := range uint64(keys) {
			counts[m.Fragment(HashUint64Key(base+i))]++
		}
		exp := float64(keys) / float64(frags)
		for f, c := range counts {
			// 5 sigma of the binomial plus the 1-bucket imbalance of the map.
			slack := 5*math.Sqrt(exp) + float64(keys)/DefaultBuckets
			if math.Abs(float64(c)-exp) > slack {
				t.Errorf("%d fragments: fragment %d has %d rows, want %.0f +- %.0f", frags, f, c, exp, slack)
			}
		}
	}
}
