package partition

import (
	"encoding/binary"

	"github.com/zeebo/xxh3"
)

// Hash returns the distribution hash of a table's distribution-key bytes. The
// value is part of the cluster's persistent state (it decides which fragment
// holds a row, and which bucket a reorganization moves), so it must never
// change: xxh3 64-bit, seed 0, input read little-endian on every host.
func Hash(key []byte) uint64 {
	return xxh3.Hash(key)
}

// HashUint64Key hashes the 8-byte little-endian encoding of k, the way a table
// with a single BIGINT UNSIGNED distribution key encodes it. It does not
// allocate.
func HashUint64Key(k uint64) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], k)
	return xxh3.Hash(b[:])
}

// Bucket maps the low 32 bits of hash h onto 0..n-1 with Lemire's fast range
// (a multiply and a shift, no modulo). The high 32 bits are left to the data
// node's primary-key hash index. n must be at least 1; Bucket(h, 0) is 0.
func Bucket(h uint64, n uint32) uint32 {
	return uint32((uint64(uint32(h)) * uint64(n)) >> 32)
}

// IndexHash returns the high 32 bits of hash h: the part reserved for the data
// node's primary-key hash index, independent of the bucket choice.
func IndexHash(h uint64) uint32 {
	return uint32(h >> 32)
}
