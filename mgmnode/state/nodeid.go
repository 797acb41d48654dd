package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Slot is a node id the config declares for a kind of node ([api] or
// [mysqld] sections for API and SQL nodes). Host, when set, restricts the
// slot to nodes connecting from that host (compared as given: the caller
// canonicalizes host names).
type Slot struct {
	ID   uint32
	Kind NodeKind
	Host string
}

// NodeLease is a node id held by one process. The id stays held while the
// lease is renewed (RenewNodeID) and is freed by ReleaseNodeID or when the
// lease expires, Options.NodeIDLeaseTTL after the last renewal. Leases live
// in etcd, so any mgmd of the cluster can renew or release one.
type NodeLease struct {
	ID    uint32
	Kind  NodeKind
	Host  string
	Lease int64 // etcd lease id
}

// holder is the stored value of a held node id.
type holder struct {
	Kind  NodeKind  `json:"kind"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// AllocateNodeID gives a node of this kind on host a free id from slots:
// the lowest free slot restricted to host, else the lowest free open slot
// (NDB's preference). Taking the id is one etcd transaction that succeeds
// only if the id is not held, so concurrent allocations, through one mgmd
// or several, never hand out the same id. A *NodeIDError matching
// ErrNoFreeNodeID when every matching slot is held.
func (s *Store) AllocateNodeID(ctx context.Context, kind NodeKind, host string, slots []Slot) (NodeLease, error) {
	if !kind.valid() {
		return NodeLease{}, fmt.Errorf("allocate node id: kind %d: %w", kind, ErrInvalidArgument)
	}
	var cand []uint32
	for _, pass := range []func(Slot) bool{
		func(sl Slot) bool { return sl.Host != "" && sl.Host == host },
		func(sl Slot) bool { return sl.Host == "" },
	} {
		var ids []uint32
		for _, sl := range slots {
			if sl.ID == 0 || sl.ID > MaxNodeID {
				return NodeLease{}, fmt.Errorf("allocate node id: slot id %d not in 1..%d: %w", sl.ID, MaxNodeID, ErrInvalidArgument)
			}
			if sl.Kind == kind && pass(sl) && !slices.Contains(cand, sl.ID) && !slices.Contains(ids, sl.ID) {
				ids = append(ids, sl.ID)
			}
		}
		slices.Sort(ids)
		cand = append(cand, ids...)
	}
	noFree := &NodeIDError{Kind: kind, Host: host, Slots: len(slots), Matching: len(cand), err: ErrNoFreeNodeID}
	if len(cand) == 0 {
		return NodeLease{}, noFree
	}
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return NodeLease{}, err
	}
	defer cancel()

	// Skip the ids known to be held, then race for the rest in order: a
	// lost race means another caller took that id, so move on.
	r, err := s.cli.Get(ctx, s.k.nodeIDs(), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return NodeLease{}, s.etcdErr("allocate node id", err)
	}
	held := make(map[uint32]bool, len(r.Kvs))
	for _, kv := range r.Kvs {
		if id, err := idFromKey(string(kv.Key)); err == nil {
			held[id] = true
		}
	}
	var lease clientv3.LeaseID
	for _, id := range cand {
		if held[id] {
			continue
		}
		if lease == 0 {
			g, err := s.cli.Grant(ctx, ttlSeconds(s.opts.NodeIDLeaseTTL))
			if err != nil {
				return NodeLease{}, s.etcdErr("allocate node id: grant lease", err)
			}
			lease = g.ID
		}
		ok, err := s.takeNodeID(ctx, id, kind, host, lease)
		if err != nil {
			s.revoke(lease)
			return NodeLease{}, err
		}
		if ok {
			return NodeLease{ID: id, Kind: kind, Host: host, Lease: int64(lease)}, nil
		}
	}
	if lease != 0 {
		s.revoke(lease)
	}
	return NodeLease{}, noFree
}

// ClaimNodeID takes the given id (a node started with a fixed NodeId), or
// returns a *NodeIDError matching ErrNodeIDInUse when another process holds
// it. Whether the id may serve this kind and host is the config's business,
// checked before.
func (s *Store) ClaimNodeID(ctx context.Context, id uint32, kind NodeKind, host string) (NodeLease, error) {
	if id == 0 || id > MaxNodeID || !kind.valid() {
		return NodeLease{}, fmt.Errorf("claim node id %d (%v): %w", id, kind, ErrInvalidArgument)
	}
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return NodeLease{}, err
	}
	defer cancel()
	g, err := s.cli.Grant(ctx, ttlSeconds(s.opts.NodeIDLeaseTTL))
	if err != nil {
		return NodeLease{}, s.etcdErr(fmt.Sprintf("claim node id %d: grant lease", id), err)
	}
	ok, err := s.takeNodeID(ctx, id, kind, host, g.ID)
	if err == nil && ok {
		return NodeLease{ID: id, Kind: kind, Host: host, Lease: int64(g.ID)}, nil
	}
	s.revoke(g.ID)
	if err != nil {
		return NodeLease{}, err
	}
	e := &NodeIDError{Kind: kind, Host: host, ID: id, err: ErrNodeIDInUse}
	if r, gerr := s.cli.Get(ctx, s.k.nodeID(id)); gerr == nil && len(r.Kvs) > 0 {
		var h holder
		if json.Unmarshal(r.Kvs[0].Value, &h) == nil {
			e.HolderHost = h.Host
		}
	}
	return NodeLease{}, e
}

// takeNodeID puts id's holder record under lease if id is not held.
func (s *Store) takeNodeID(ctx context.Context, id uint32, kind NodeKind, host string, lease clientv3.LeaseID) (bool, error) {
	b, err := json.Marshal(holder{Kind: kind, Host: host, Since: time.Now()})
	if err != nil {
		return false, err
	}
	key := s.k.nodeID(id)
	r, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(b), clientv3.WithLease(lease))).
		Commit()
	if err != nil {
		return false, s.etcdErr(fmt.Sprintf("take node id %d", id), err)
	}
	return r.Succeeded, nil
}

// RenewNodeID restarts the lease's TTL; call it on each heartbeat of the
// node. ErrLeaseExpired when the lease is gone: the id may now be someone
// else's, and the node must ask again.
func (s *Store) RenewNodeID(ctx context.Context, l NodeLease) error {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if _, err := s.cli.KeepAliveOnce(ctx, clientv3.LeaseID(l.Lease)); err != nil {
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return fmt.Errorf("node id %d: %w", l.ID, ErrLeaseExpired)
		}
		return s.etcdErr(fmt.Sprintf("renew node id %d", l.ID), err)
	}
	return nil
}

// ReleaseNodeID frees the id now (a node that disconnects cleanly).
// Releasing an expired lease is not an error.
func (s *Store) ReleaseNodeID(ctx context.Context, l NodeLease) error {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if _, err := s.cli.Revoke(ctx, clientv3.LeaseID(l.Lease)); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return s.etcdErr(fmt.Sprintf("release node id %d", l.ID), err)
	}
	return nil
}

// HeldNodeIDs lists the ids held now, in id order.
func (s *Store) HeldNodeIDs(ctx context.Context) ([]NodeLease, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	r, err := s.cli.Get(ctx, s.k.nodeIDs(), clientv3.WithPrefix())
	if err != nil {
		return nil, s.etcdErr("list node ids", err)
	}
	out := make([]NodeLease, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		id, err := idFromKey(string(kv.Key))
		if err != nil {
			return nil, err
		}
		var h holder
		if err := json.Unmarshal(kv.Value, &h); err != nil {
			return nil, corrupt(string(kv.Key), err)
		}
		out = append(out, NodeLease{ID: id, Kind: h.Kind, Host: h.Host, Lease: kv.Lease})
	}
	return out, nil
}

// revoke drops a lease that holds nothing we keep, best effort: if it
// fails the lease expires by itself.
func (s *Store) revoke(l clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.RequestTimeout)
	defer cancel()
	if _, err := s.cli.Revoke(ctx, l); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		s.log.Debug("revoke unused lease", "lease", int64(l), "err", err)
	}
}
