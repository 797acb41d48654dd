package partition

import "errors"

// Operating errors. Functions wrap them with details; check with errors.Is.
var (
	// ErrBuckets: a bucket count or bucket number out of range.
	ErrBuckets = errors.New("partition: bucket out of range")
	// ErrFragments: a fragment count or fragment id out of range.
	ErrFragments = errors.New("partition: fragment out of range")
	// ErrReplicas: NoOfReplicas outside 1..MaxReplicas, or node groups of
	// different sizes.
	ErrReplicas = errors.New("partition: replica count out of range")
	// ErrNodes: a node list that cannot form node groups (zero or duplicate
	// ids, a count that is not a multiple of the replica count, no nodes).
	ErrNodes = errors.New("partition: invalid node list")
	// ErrShrink: a reorganization to fewer fragments; only growth is
	// supported.
	ErrShrink = errors.New("partition: cannot reorganize to fewer fragments")
	// ErrUnbalanced: the old hash map is so unbalanced that balancing it would
	// move buckets between old fragments, which a reorganization never does.
	ErrUnbalanced = errors.New("partition: old hash map too unbalanced to reorganize")
)
