package datanodeproc

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/schema"
)

// The schema dictionary on a data node. The process follows the
// dictionary with one table watch (client.Conn.WatchTables) for its whole
// life: a runtime starts with every table of the dictionary (after the
// watch's first snapshot), and tables created, altered (index changes) or
// dropped while it runs are applied to it (node.AddTable, node.AlterTable,
// node.DropTable). Every data node does
// the same from the same events, each in its own time; see datanode/node's
// ddl.go for what that means for transactions meanwhile.

// applyTimeout bounds applying one change to the runtime (a few ticks of
// LQH's thread).
const applyTimeout = 30 * time.Second

type dictState struct {
	mu     sync.Mutex // held while applying a change, and while a runtime starts
	tables map[uint32]*schema.Table
	synced chan struct{} // closed at the watch's first TablesSynced
}

// watchDict starts the table watch; the returned function ends it.
func (p *Proc) watchDict(ctx context.Context) (stop func()) {
	p.dict.mu.Lock()
	if p.dict.synced == nil {
		p.dict.synced = make(chan struct{})
	}
	p.dict.tables = map[uint32]*schema.Table{}
	p.dict.mu.Unlock()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ch, err := p.mgm.Conn().WatchTables(wctx)
			if err != nil {
				p.log.Error("data node: cannot watch the dictionary", "err", err)
				return
			}
			for ev := range ch {
				if ev.Err != nil {
					p.log.Error("data node: dictionary watch ended", "err", ev.Err)
					return
				}
				p.applyDict(ev)
			}
			if wctx.Err() != nil {
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

// applyDict records one dictionary event and applies it to the runtime.
func (p *Proc) applyDict(ev client.TableEvent) {
	d := &p.dict
	d.mu.Lock()
	defer d.mu.Unlock()
	p.mu.Lock()
	rt := p.rt
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
	defer cancel()
	switch ev.Type {
	case client.TablesSynced:
		select {
		case <-d.synced:
		default:
			close(d.synced)
		}
	case client.TableCreated:
		d.tables[ev.Table.ID] = ev.Table
		if rt != nil {
			if err := rt.AddTable(ctx, ev.Table); err != nil {
				p.log.Error("data node: add table", "table", ev.Table.Name, "id", ev.Table.ID, "err", err)
			}
		}
	case client.TableAltered:
		d.tables[ev.Table.ID] = ev.Table
		if rt == nil {
			break
		}
		if !rt.HasTable(ev.Table.ID) {
			if err := rt.AddTable(ctx, ev.Table); err != nil {
				p.log.Error("data node: add altered table", "table", ev.Table.Name, "id", ev.Table.ID, "err", err)
			}
			break
		}
		// Index changes apply online (node.AlterTable); anything else is
		// refused there and used at the next start.
		if err := rt.AlterTable(ctx, ev.Table); err != nil {
			p.log.Error("data node: alter table (the new version is used at the next start)",
				"table", ev.Table.Name, "id", ev.Table.ID, "version", ev.Table.Version, "err", err)
		}
	case client.TableDropped:
		delete(d.tables, ev.Table.ID)
		if rt != nil && rt.HasTable(ev.Table.ID) {
			if err := rt.DropTable(ctx, ev.Table.ID); err != nil {
				p.log.Error("data node: drop table", "table", ev.Table.Name, "id", ev.Table.ID, "err", err)
			}
		}
	}
}

// startWithDict starts the runtime with the dictionary's tables (and
// those of c), once the watch has delivered the whole dictionary, so that
// no change falls between the start and the watch.
func (p *Proc) startWithDict(ctx context.Context, c node.Config) (*node.Node, error) {
	p.dict.mu.Lock()
	synced := p.dict.synced
	p.dict.mu.Unlock()
	if synced == nil {
		return nil, fmt.Errorf("node %d: the dictionary is not watched (Run starts the watch)", p.id)
	}
	select {
	case <-synced:
	case <-ctx.Done():
		return nil, fmt.Errorf("node %d: waiting for the dictionary: %w", p.id, ctx.Err())
	}
	p.dict.mu.Lock()
	defer p.dict.mu.Unlock()
	have := map[uint32]bool{}
	for _, t := range c.Tables {
		have[t.ID] = true
	}
	tables := append([]*schema.Table(nil), c.Tables...)
	for _, t := range sortedTables(p.dict.tables) {
		if !have[t.ID] {
			tables = append(tables, t)
		}
	}
	c.Tables = tables
	return p.startRuntime(c)
}

func sortedTables(m map[uint32]*schema.Table) []*schema.Table {
	out := make([]*schema.Table, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *schema.Table) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
