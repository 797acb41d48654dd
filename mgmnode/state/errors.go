package state

import (
	"errors"
	"fmt"
)

// Operating errors, checked with errors.Is. Errors from etcd itself
// (unreachable, no leader, deadline) are returned wrapped, unchanged.
var (
	// ErrNoFreeNodeID: every slot that may serve the kind and host is held.
	// The returned error is a *NodeIDError with the slot counts.
	ErrNoFreeNodeID = errors.New("state: no free node id")
	// ErrNodeIDInUse: the node id asked for is held by another process.
	ErrNodeIDInUse = errors.New("state: node id in use")
	// ErrLeaseExpired: a node id's lease ran out (or was released); the id
	// may already belong to someone else.
	ErrLeaseExpired = errors.New("state: node id lease expired")
	// ErrNoSuchNode: the registry has no entry for the node id.
	ErrNoSuchNode = errors.New("state: no such node")
	// ErrTableExists: a table of that name is already in the dictionary.
	ErrTableExists = errors.New("state: table exists")
	// ErrNoSuchTable: no table of that name or id.
	ErrNoSuchTable = errors.New("state: no such table")
	// ErrConflict: a compare-and-swap lost, the caller's generation or
	// version is not the current one. Re-read and decide again.
	ErrConflict = errors.New("state: conflict, value changed")
	// ErrArbitrationLost: the arbitrator refused the request; the side must
	// stop.
	ErrArbitrationLost = errors.New("state: arbitration lost")
	// ErrInvalidArgument: a caller passed a value the store cannot take
	// (empty name, node id out of range, ticket 0, bad option).
	ErrInvalidArgument = errors.New("state: invalid argument")
	// ErrCorrupt: a value under the prefix does not decode; something other
	// than this package wrote it.
	ErrCorrupt = errors.New("state: malformed value in etcd")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("state: store closed")
)

// NodeIDError explains why no node id could be had. It matches
// ErrNoFreeNodeID or ErrNodeIDInUse with errors.Is.
type NodeIDError struct {
	Kind NodeKind
	Host string
	// ID is the id asked for (ClaimNodeID), 0 for AllocateNodeID.
	ID uint32
	// Slots is the number of slots given; Matching the number that could
	// serve this kind and host (all of them held).
	Slots, Matching int
	// HolderHost is the host holding ID (ClaimNodeID only).
	HolderHost string
	err        error
}

func (e *NodeIDError) Error() string {
	if e.err == ErrNodeIDInUse {
		return fmt.Sprintf("node id %d is in use by a %s node on host %q", e.ID, e.Kind, e.HolderHost)
	}
	if e.Matching == 0 {
		return fmt.Sprintf("no free node id for a %s node on host %q: none of the %d slots in the config is a %s slot open to this host",
			e.Kind, e.Host, e.Slots, e.Kind.Section())
	}
	return fmt.Sprintf("no free node id for a %s node on host %q: all %d %s slots open to this host are in use (%d slots in the config)",
		e.Kind, e.Host, e.Matching, e.Kind.Section(), e.Slots)
}

func (e *NodeIDError) Unwrap() error { return e.err }

func corrupt(key string, err error) error {
	return fmt.Errorf("key %q: %v: %w", key, err, ErrCorrupt)
}
