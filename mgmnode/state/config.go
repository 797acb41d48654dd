package state

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ClusterConfig is the cluster's configuration as stored: the config.ini
// text, opaque to this package, and its generation. Generation 0 means no
// configuration has been stored yet.
type ClusterConfig struct {
	Text       string
	Generation uint64
	// Revision is the etcd revision this was read or written at; watch
	// from it to see every later change.
	Revision int64
}

// The generation is etcd's version of the config key: 1 at its first Put,
// one more at each Put after. Comparing it in a transaction makes PutConfig
// a compare-and-swap with no extra key.

// Config returns the stored configuration (Generation 0 when none).
func (s *Store) Config(ctx context.Context) (ClusterConfig, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return ClusterConfig{}, err
	}
	defer cancel()
	r, err := s.cli.Get(ctx, s.k.config())
	if err != nil {
		return ClusterConfig{}, s.etcdErr("read config", err)
	}
	if len(r.Kvs) == 0 {
		return ClusterConfig{Revision: r.Header.Revision}, nil
	}
	kv := r.Kvs[0]
	return ClusterConfig{Text: string(kv.Value), Generation: uint64(kv.Version), Revision: r.Header.Revision}, nil
}

// PutConfig stores text as the next generation if the stored generation is
// still expect (0: none stored yet). It returns the new configuration, or
// ErrConflict when another writer got there first.
func (s *Store) PutConfig(ctx context.Context, text string, expect uint64) (ClusterConfig, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return ClusterConfig{}, err
	}
	defer cancel()
	key := s.k.config()
	r, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(key), "=", int64(expect))).
		Then(clientv3.OpPut(key, text)).
		Else(clientv3.OpGet(key, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return ClusterConfig{}, s.etcdErr("write config", err)
	}
	if !r.Succeeded {
		var cur int64
		if kvs := r.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			cur = kvs[0].Version
		}
		return ClusterConfig{}, fmt.Errorf("write config generation %d: stored generation is %d: %w", expect+1, cur, ErrConflict)
	}
	return ClusterConfig{Text: text, Generation: expect + 1, Revision: r.Header.Revision}, nil
}

// ConfigEvent is a new configuration generation, or Err when the watch
// failed (the channel closes after it).
type ConfigEvent struct {
	Config ClusterConfig
	Err    error
}

// WatchConfig delivers every configuration stored after etcd revision
// afterRev (0: from now). The channel closes when ctx ends, after an
// error event, or when the Store closes.
func (s *Store) WatchConfig(ctx context.Context, afterRev int64) <-chan ConfigEvent {
	return watch(s, ctx, s.k.config(), false, afterRev,
		func(ev *clientv3.Event) (ConfigEvent, bool, error) {
			if ev.Type != clientv3.EventTypePut {
				return ConfigEvent{}, false, nil
			}
			return ConfigEvent{
				Config: ClusterConfig{Text: string(ev.Kv.Value), Generation: uint64(ev.Kv.Version), Revision: ev.Kv.ModRevision},
			}, true, nil
		},
		func(err error) ConfigEvent { return ConfigEvent{Err: err} })
}
