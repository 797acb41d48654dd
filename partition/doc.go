// Package partition decides where every row of a table lives. It owns the
// distribution hash, hash maps (hash -> bucket -> fragment), node groups,
// fragment-replica placement and the reorganization plans used by online
// add-node.
//
// # The model
//
// A row's distribution key (the primary key, or a declared distribution key)
// is hashed once, and the hash walks down a fixed chain:
//
//	key bytes --Hash--> h (uint64)
//	uint32(h) --Bucket--> bucket (0..buckets-1)        [low 32 bits]
//	bucket --HashMap--> fragment (0..fragments-1)
//	fragment --Placement--> node group --> replicas, Nodes[0] the primary
//	h >> 32 --> the data node's primary-key hash index  [high 32 bits]
//
// The low 32 bits of the hash choose the bucket and the high 32 bits are left
// to the data node's primary-key hash index (DBACC), so the two never
// correlate: rows that share a fragment still spread across the index. Bucket
// uses Lemire's multiply-shift "fast range" instead of a modulo.
//
// Why buckets: a table's hash map has many more buckets (DefaultBuckets =
// 3840, as in NDB) than fragments. Reorganization (ALTER TABLE ... REORGANIZE
// PARTITION after adding node groups) moves whole buckets from old fragments to
// new ones; the hash of a row never changes, and a row moves exactly when its
// bucket does. PlanReorg moves the fewest buckets that leave every fragment
// balanced. 3840 = 2^8 * 3 * 5 divides evenly by most fragment counts.
//
// Fragments are placed on node groups round robin (fragment f on group
// f % groups); inside a group the primary role rotates so that every node is
// primary for an equal share, and the order of the backups rotates too, so
// that when a primary fails its fragments are taken over by different nodes.
//
// # Byte order
//
// The hash is stable across hosts: xxh3 (github.com/zeebo/xxh3) reads its
// input with explicit little-endian loads, so the same bytes hash to the same
// value on amd64, ppc64le and big-endian ppc64. HashUint64Key encodes integers
// little-endian before hashing. A golden test pins the values.
//
// # Threading
//
// Everything here is a pure function or a plain value: no I/O, no goroutines,
// no clock. A HashMap that has been shared with other goroutines must not be
// modified; Clone it, change the clone, and publish the clone. Reads of an
// unmodified HashMap are safe from any number of goroutines.
//
// # Imports
//
// partition is a leaf package: it must never import any other gondb package.
package partition
