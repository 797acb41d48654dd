package state

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchBuffer is how many events a watcher may fall behind before the
// watch goroutine waits for it (etcd then buffers on its side).
const watchBuffer = 64

// watch runs one etcd watch on key (or every key under it when prefix is
// set) from revision afterRev+1 (0: from now) and delivers conv's events on
// the returned channel. conv returns false to skip an event. Any failure
// (etcd error, compacted revision, lost leader, a value that does not
// decode, the Store closing) is delivered once as fail(err), then the
// channel closes; the caller lists again and watches from the list's
// revision. Cancelling ctx closes the channel without an error event.
func watch[E any](s *Store, ctx context.Context, key string, prefix bool, afterRev int64,
	conv func(*clientv3.Event) (E, bool, error), fail func(error) E) <-chan E {
	out := make(chan E, watchBuffer)
	if s.closed.Load() {
		out <- fail(ErrClosed)
		close(out)
		return out
	}
	opts := []clientv3.OpOption{clientv3.WithPrevKV()}
	if prefix {
		opts = append(opts, clientv3.WithPrefix())
	}
	if afterRev > 0 {
		opts = append(opts, clientv3.WithRev(afterRev+1))
	}
	// Without a leader the member cannot see new writes; end the watch so
	// the caller notices instead of waiting on a stale member.
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	wch := s.cli.Watch(wctx, key, opts...)
	go func() {
		defer close(out)
		defer cancel()
		finish := func(err error) {
			select { // never block: the reader may be gone
			case out <- fail(err):
			default:
			}
		}
		for resp := range wch {
			if err := resp.Err(); err != nil {
				if ctx.Err() == nil {
					finish(s.etcdErr(fmt.Sprintf("watch %s", key), err))
				}
				return
			}
			for _, ev := range resp.Events {
				e, ok, err := conv(ev)
				if err != nil {
					finish(err)
					return
				}
				if !ok {
					continue
				}
				select {
				case out <- e:
				case <-ctx.Done():
					return
				case <-s.cli.Ctx().Done():
					finish(ErrClosed)
					return
				}
			}
		}
		if ctx.Err() == nil {
			finish(fmt.Errorf("watch %s: %w", key, ErrClosed))
		}
	}()
	return out
}
