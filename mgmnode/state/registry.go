package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// NodeInfo is one node's registry entry. It is stored as JSON (the tags
// below); unknown fields from a newer gondb are ignored when read.
type NodeInfo struct {
	ID    uint32    `json:"id"`
	Kind  NodeKind  `json:"kind"`
	Host  string    `json:"host"`
	State NodeState `json:"state"`
	// StartPhase is the start phase while State is StateStarting, else 0.
	StartPhase int `json:"startPhase,omitempty"`
	// Heartbeat is when the node last reported (the writing mgmd's clock).
	Heartbeat time.Time `json:"heartbeat"`
	PID       int       `json:"pid,omitempty"`
	Version   string    `json:"version,omitempty"`
	// Revision is the etcd revision of this entry (not stored).
	Revision int64 `json:"-"`
}

func (n *NodeInfo) check() error {
	switch {
	case n.ID == 0 || n.ID > MaxNodeID:
		return fmt.Errorf("node id %d not in 1..%d: %w", n.ID, MaxNodeID, ErrInvalidArgument)
	case !n.Kind.valid():
		return fmt.Errorf("node %d: kind %d: %w", n.ID, n.Kind, ErrInvalidArgument)
	case !n.State.valid():
		return fmt.Errorf("node %d: state %d: %w", n.ID, n.State, ErrInvalidArgument)
	case n.StartPhase < 0:
		return fmt.Errorf("node %d: start phase %d: %w", n.ID, n.StartPhase, ErrInvalidArgument)
	}
	return nil
}

func decodeNode(key string, val []byte, rev int64) (NodeInfo, error) {
	var n NodeInfo
	if err := json.Unmarshal(val, &n); err != nil {
		return NodeInfo{}, corrupt(key, err)
	}
	n.Revision = rev
	return n, nil
}

// RegisterNode writes n as node n.ID's entry, replacing any entry there. A
// zero State is taken as StateNotConnected.
func (s *Store) RegisterNode(ctx context.Context, n NodeInfo) (NodeInfo, error) {
	if n.State == 0 {
		n.State = StateNotConnected
	}
	if err := n.check(); err != nil {
		return NodeInfo{}, err
	}
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return NodeInfo{}, err
	}
	defer cancel()
	b, err := json.Marshal(&n)
	if err != nil {
		return NodeInfo{}, err
	}
	r, err := s.cli.Put(ctx, s.k.node(n.ID), string(b))
	if err != nil {
		return NodeInfo{}, s.etcdErr(fmt.Sprintf("register node %d", n.ID), err)
	}
	n.Revision = r.Header.Revision
	return n, nil
}

// Node returns node id's entry, or ErrNoSuchNode.
func (s *Store) Node(ctx context.Context, id uint32) (NodeInfo, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return NodeInfo{}, err
	}
	defer cancel()
	key := s.k.node(id)
	r, err := s.cli.Get(ctx, key)
	if err != nil {
		return NodeInfo{}, s.etcdErr(fmt.Sprintf("read node %d", id), err)
	}
	if len(r.Kvs) == 0 {
		return NodeInfo{}, fmt.Errorf("node %d: %w", id, ErrNoSuchNode)
	}
	return decodeNode(key, r.Kvs[0].Value, r.Kvs[0].ModRevision)
}

// ListNodes returns every entry in node id order, and the etcd revision of
// the read: WatchNodes from it misses nothing.
func (s *Store) ListNodes(ctx context.Context) ([]NodeInfo, int64, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer cancel()
	r, err := s.cli.Get(ctx, s.k.nodes(), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, s.etcdErr("list nodes", err)
	}
	out := make([]NodeInfo, 0, len(r.Kvs))
	for _, kv := range r.Kvs { // keys are zero-padded: id order
		n, err := decodeNode(string(kv.Key), kv.Value, kv.ModRevision)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	return out, r.Header.Revision, nil
}

// UpdateNode applies fn to node id's entry and writes the result if nobody
// wrote the entry in between; otherwise it reads again and retries. fn may
// therefore run more than once and must only change the NodeInfo it is
// given; an error from fn stops the update and is returned. ErrNoSuchNode
// when the node is not registered. fn cannot change the id.
func (s *Store) UpdateNode(ctx context.Context, id uint32, fn func(*NodeInfo) error) (NodeInfo, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return NodeInfo{}, err
	}
	defer cancel()
	key := s.k.node(id)
	for {
		r, err := s.cli.Get(ctx, key)
		if err != nil {
			return NodeInfo{}, s.etcdErr(fmt.Sprintf("read node %d", id), err)
		}
		if len(r.Kvs) == 0 {
			return NodeInfo{}, fmt.Errorf("node %d: %w", id, ErrNoSuchNode)
		}
		n, err := decodeNode(key, r.Kvs[0].Value, r.Kvs[0].ModRevision)
		if err != nil {
			return NodeInfo{}, err
		}
		if err := fn(&n); err != nil {
			return NodeInfo{}, err
		}
		n.ID = id
		if err := n.check(); err != nil {
			return NodeInfo{}, err
		}
		b, err := json.Marshal(&n)
		if err != nil {
			return NodeInfo{}, err
		}
		t, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", r.Kvs[0].ModRevision)).
			Then(clientv3.OpPut(key, string(b))).
			Commit()
		if err != nil {
			return NodeInfo{}, s.etcdErr(fmt.Sprintf("update node %d", id), err)
		}
		if t.Succeeded {
			n.Revision = t.Header.Revision
			return n, nil
		}
	}
}

// ReportNodeState records a node's state as it reported it, and stamps its
// heartbeat. phase counts only with StateStarting.
func (s *Store) ReportNodeState(ctx context.Context, id uint32, st NodeState, phase int) (NodeInfo, error) {
	if !st.valid() || phase < 0 {
		return NodeInfo{}, fmt.Errorf("node %d: state %v phase %d: %w", id, st, phase, ErrInvalidArgument)
	}
	if st != StateStarting {
		phase = 0
	}
	now := time.Now()
	return s.UpdateNode(ctx, id, func(n *NodeInfo) error {
		n.State, n.StartPhase, n.Heartbeat = st, phase, now
		return nil
	})
}

// RemoveNode deletes node id's entry (a node taken out of the config).
// ErrNoSuchNode when there is none.
func (s *Store) RemoveNode(ctx context.Context, id uint32) error {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := s.cli.Delete(ctx, s.k.node(id))
	if err != nil {
		return s.etcdErr(fmt.Sprintf("remove node %d", id), err)
	}
	if r.Deleted == 0 {
		return fmt.Errorf("node %d: %w", id, ErrNoSuchNode)
	}
	return nil
}

// NodeEvent is a registry change: Node is the new entry, or the last one
// when Removed. Err is set on the final event of a failed watch.
type NodeEvent struct {
	Node    NodeInfo
	Removed bool
	Err     error
}

// WatchNodes delivers registry changes after etcd revision afterRev (0:
// from now), through whichever mgmd made them. See watch for how it ends.
func (s *Store) WatchNodes(ctx context.Context, afterRev int64) <-chan NodeEvent {
	return watch(s, ctx, s.k.nodes(), true, afterRev,
		func(ev *clientv3.Event) (NodeEvent, bool, error) {
			if ev.Type == clientv3.EventTypeDelete {
				if ev.PrevKv == nil { // history compacted under us
					id, err := idFromKey(string(ev.Kv.Key))
					return NodeEvent{Node: NodeInfo{ID: id, Revision: ev.Kv.ModRevision}, Removed: true}, true, err
				}
				n, err := decodeNode(string(ev.Kv.Key), ev.PrevKv.Value, ev.Kv.ModRevision)
				return NodeEvent{Node: n, Removed: true}, true, err
			}
			n, err := decodeNode(string(ev.Kv.Key), ev.Kv.Value, ev.Kv.ModRevision)
			return NodeEvent{Node: n}, true, err
		},
		func(err error) NodeEvent { return NodeEvent{Err: err} })
}
