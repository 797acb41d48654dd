package partition

import (
	"fmt"
	"slices"
)

const (
	// DefaultBuckets is the bucket count of a new table's hash map, as in
	// NDB: 3840 = 2^8*3*5 divides evenly by most fragment counts, and is
	// large enough that moving one bucket moves ~0.03% of a table.
	DefaultBuckets = 3840
	// MaxBuckets bounds a hash map to 2 MiB of table (uint16 per bucket).
	MaxBuckets = 1 << 20
	// MaxFragments is the most fragments a table may have: fragment ids are
	// stored as uint16.
	MaxFragments = 65535
)

// HashMap maps a distribution hash to one of its buckets and each bucket to a
// fragment. The table holds no pointers, so a HashMap costs the garbage
// collector nothing to scan however many tables there are.
//
// A HashMap must not be modified once other goroutines can see it: Clone,
// modify the clone, publish the clone.
type HashMap struct {
	table     []uint16 // bucket -> fragment id
	fragments uint32
	version   uint64
}

// NewHashMap returns a balanced hash map of the given size: bucket i belongs
// to fragment i % fragments, so fragment sizes differ by at most one bucket.
// Its Version is 1.
func NewHashMap(buckets, fragments int) (*HashMap, error) {
	if err := checkSize(buckets, fragments); err != nil {
		return nil, err
	}
	table := make([]uint16, buckets)
	for b := range table {
		table[b] = uint16(b % fragments)
	}
	return &HashMap{table: table, fragments: uint32(fragments), version: 1}, nil
}

// HashMapFromTable rebuilds a hash map from its bucket -> fragment table, as
// stored in the dictionary. The table is copied. Every entry must be below
// fragments; a map restored this way need not be balanced.
func HashMapFromTable(fragments int, table []uint16, version uint64) (*HashMap, error) {
	if err := checkSize(len(table), fragments); err != nil {
		return nil, err
	}
	for b, f := range table {
		if int(f) >= fragments {
			return nil, fmt.Errorf("%w: bucket %d maps to fragment %d of %d", ErrFragments, b, f, fragments)
		}
	}
	return &HashMap{table: append([]uint16(nil), table...), fragments: uint32(fragments), version: version}, nil
}

func checkSize(buckets, fragments int) error {
	if buckets < 1 || buckets > MaxBuckets {
		return fmt.Errorf("%w: %d buckets, want 1..%d", ErrBuckets, buckets, MaxBuckets)
	}
	if fragments < 1 || fragments > MaxFragments {
		return fmt.Errorf("%w: %d fragments, want 1..%d", ErrFragments, fragments, MaxFragments)
	}
	if fragments > buckets {
		return fmt.Errorf("%w: %d fragments exceed %d buckets", ErrFragments, fragments, buckets)
	}
	return nil
}

// Fragment returns the fragment that holds rows with distribution hash h.
// This is the hot path of every key operation: no allocation, no division.
func (m *HashMap) Fragment(h uint64) uint32 {
	return uint32(m.table[Bucket(h, uint32(len(m.table)))])
}

// Bucket returns the bucket of distribution hash h.
func (m *HashMap) Bucket(h uint64) int {
	return int(Bucket(h, uint32(len(m.table))))
}

// Buckets returns the number of buckets.
func (m *HashMap) Buckets() int { return len(m.table) }

// Fragments returns the number of fragments.
func (m *HashMap) Fragments() int { return int(m.fragments) }

// Version counts changes: 1 for a new map, bumped by every change that moves
// a bucket or adds fragments. Nodes compare versions to tell maps apart.
func (m *HashMap) Version() uint64 { return m.version }

// BucketFragment returns the fragment of bucket b, 0 <= b < Buckets().
func (m *HashMap) BucketFragment(b int) uint32 {
	return uint32(m.table[b])
}

// FragmentBuckets returns the buckets of fragment frag in ascending order
// (empty for a fragment outside the map).
func (m *HashMap) FragmentBuckets(frag uint32) []int {
	var out []int
	for b, f := range m.table {
		if uint32(f) == frag {
			out = append(out, b)
		}
	}
	return out
}

// BucketCounts returns how many buckets each fragment holds, indexed by
// fragment id.
func (m *HashMap) BucketCounts() []int {
	counts := make([]int, m.fragments)
	for _, f := range m.table {
		counts[f]++
	}
	return counts
}

// Balanced reports whether every fragment holds floor or ceil of
// Buckets()/Fragments() buckets.
func (m *HashMap) Balanced() bool {
	lo := len(m.table) / int(m.fragments)
	hi := lo
	if len(m.table)%int(m.fragments) != 0 {
		hi++
	}
	for _, c := range m.BucketCounts() {
		if c < lo || c > hi {
			return false
		}
	}
	return true
}

// SetBucketFragment moves bucket b to fragment frag and bumps Version if that
// is a change. Only for a map no other goroutine can see (see Clone).
func (m *HashMap) SetBucketFragment(b int, frag uint32) error {
	if b < 0 || b >= len(m.table) {
		return fmt.Errorf("%w: bucket %d of %d", ErrBuckets, b, len(m.table))
	}
	if frag >= m.fragments {
		return fmt.Errorf("%w: fragment %d of %d", ErrFragments, frag, m.fragments)
	}
	if uint32(m.table[b]) != frag {
		m.table[b] = uint16(frag)
		m.version++
	}
	return nil
}

// AppendTable appends the bucket -> fragment table to dst, for storing the
// map in the dictionary (see HashMapFromTable).
func (m *HashMap) AppendTable(dst []uint16) []uint16 {
	return append(dst, m.table...)
}

// Clone returns a deep copy with the same Version.
func (m *HashMap) Clone() *HashMap {
	return &HashMap{table: append([]uint16(nil), m.table...), fragments: m.fragments, version: m.version}
}

// Equal reports whether m and o send every bucket to the same fragment and
// have the same fragment count. Versions are not compared.
func (m *HashMap) Equal(o *HashMap) bool {
	return m.fragments == o.fragments && slices.Equal(m.table, o.table)
}
