package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/schemacodec"
)

// The schema dictionary: create, drop and read table definitions, and
// follow their changes. Errors from the server match mgmapi.ErrTableExists,
// mgmapi.ErrNoSuchTable or mgmapi.ErrInvalid (a definition schema.NewLayout
// refuses) with errors.Is.

// CreateTable adds t to the dictionary and returns it as stored: with the
// id the server assigned and its version. t.ID and t.Version are ignored;
// t is not changed.
func (c *Conn) CreateTable(ctx context.Context, t *schema.Table) (*schema.Table, error) {
	def, err := schemacodec.Encode(t)
	if err != nil {
		return nil, fmt.Errorf("create table %s: %w", t.Name, err)
	}
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.TableReply, error) {
		return cl.CreateTable(ctx, &mgmapi.CreateTableRequest{Name: t.Name, Definition: def})
	})
	if err != nil {
		return nil, err
	}
	return decodeInfo(&r.Table)
}

// DropTable removes the table named name.
func (c *Conn) DropTable(ctx context.Context, name string) error {
	_, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.TableReply, error) {
		return cl.DropTable(ctx, &mgmapi.DropTableRequest{Name: name})
	})
	return err
}

// AlterTable stores t as the next version of the table named t.Name,
// which must still be at version t.Version: mgmapi.ErrConflict when
// another change came first (read the table again and redo the change),
// mgmapi.ErrInvalid when t changes more than its indexes
// (schema.CheckIndexChange). It returns the table as stored; t is not
// changed.
func (c *Conn) AlterTable(ctx context.Context, t *schema.Table) (*schema.Table, error) {
	def, err := schemacodec.Encode(t)
	if err != nil {
		return nil, fmt.Errorf("alter table %s: %w", t.Name, err)
	}
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.TableReply, error) {
		return cl.AlterTable(ctx, &mgmapi.AlterTableRequest{Name: t.Name, Version: t.Version, Definition: def})
	})
	if err != nil {
		return nil, err
	}
	return decodeInfo(&r.Table)
}

// Table returns the table named name.
func (c *Conn) Table(ctx context.Context, name string) (*schema.Table, error) {
	return c.getTable(ctx, &mgmapi.GetTableRequest{Name: name})
}

// TableByID returns the table with id.
func (c *Conn) TableByID(ctx context.Context, id uint32) (*schema.Table, error) {
	return c.getTable(ctx, &mgmapi.GetTableRequest{ID: id})
}

func (c *Conn) getTable(ctx context.Context, req *mgmapi.GetTableRequest) (*schema.Table, error) {
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.TableReply, error) {
		return cl.GetTable(ctx, req)
	})
	if err != nil {
		return nil, err
	}
	return decodeInfo(&r.Table)
}

// Tables returns every table, in id order.
func (c *Conn) Tables(ctx context.Context) ([]*schema.Table, error) {
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.ListTablesReply, error) {
		return cl.ListTables(ctx, &mgmapi.ListTablesRequest{})
	})
	if err != nil {
		return nil, err
	}
	out := make([]*schema.Table, 0, len(r.Tables))
	for i := range r.Tables {
		t, err := decodeInfo(&r.Tables[i])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// decodeInfo decodes a table the server sent.
func decodeInfo(ti *mgmapi.TableInfo) (*schema.Table, error) {
	t, err := schemacodec.Decode(ti.Definition)
	if err != nil {
		return nil, fmt.Errorf("table %s (id %d) from the management server: %w", ti.Name, ti.ID, err)
	}
	if t.ID != ti.ID || t.Version != ti.Version {
		return nil, fmt.Errorf("table %s: definition has id %d version %d, the record id %d version %d: %w",
			ti.Name, t.ID, t.Version, ti.ID, ti.Version, schemacodec.ErrCorrupt)
	}
	return t, nil
}

// TableEventType says what a TableEvent reports.
type TableEventType int

const (
	// TableCreated: a table the watcher did not know (every table of the
	// dictionary comes so first).
	TableCreated TableEventType = iota + 1
	// TableAltered: a known table has a new version.
	TableAltered
	// TableDropped: a known table is gone; Table is its last definition.
	TableDropped
	// TablesSynced: every table that existed when the watch began has
	// been delivered. Sent once.
	TablesSynced
)

func (t TableEventType) String() string {
	switch t {
	case TableCreated:
		return "created"
	case TableAltered:
		return "altered"
	case TableDropped:
		return "dropped"
	case TablesSynced:
		return "synced"
	}
	return fmt.Sprintf("TableEventType(%d)", int(t))
}

// TableEvent is one change of the dictionary as WatchTables delivers it.
type TableEvent struct {
	Type  TableEventType
	Table *schema.Table // nil for TablesSynced
	// Err is set on the last event, before the channel closes, when the
	// watch ended for another reason than its context (the Conn closed).
	Err error
}

// Watch retry delays after a stream fails.
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 2 * time.Second
)

// WatchTables delivers every table of the dictionary (TableCreated each,
// then TablesSynced), then every change, until ctx ends; then the channel
// closes. When the stream breaks (the management server stopped), it
// reconnects to the next server of the connect string, reads the whole
// dictionary again and delivers only the difference, so a consumer sees
// each table created once, each new version once, and each drop once.
// A slow reader delays the watch; it never loses events.
func (c *Conn) WatchTables(ctx context.Context) (<-chan TableEvent, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	out := make(chan TableEvent, 64)
	go c.watchTables(ctx, out)
	return out, nil
}

func (c *Conn) watchTables(ctx context.Context, out chan<- TableEvent) {
	defer close(out)
	w := &tableWatch{c: c, ctx: ctx, out: out, known: map[uint32]*schema.Table{}}
	delay := watchRetryMin
	idx := int(c.cur.Load())
	for {
		if c.closed.Load() {
			w.emit(TableEvent{Err: ErrClosed})
			return
		}
		progressed, err := w.run(c.clients[idx])
		if ctx.Err() != nil {
			return
		}
		if progressed {
			delay = watchRetryMin
		}
		c.log.Info("mgm client: table watch broke; reconnecting", "server", c.cs.Addrs[idx], "err", err, "retry_in", delay)
		idx = (idx + 1) % len(c.clients)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, watchRetryMax)
	}
}

type tableWatch struct {
	c      *Conn
	ctx    context.Context
	out    chan<- TableEvent
	known  map[uint32]*schema.Table
	synced bool
}

func (w *tableWatch) emit(e TableEvent) bool {
	select {
	case w.out <- e:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// run reads one stream to its end; progressed says it got as far as the
// snapshot.
func (w *tableWatch) run(cl *mgmapi.Client) (progressed bool, err error) {
	sctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	recv, err := cl.WatchTables(sctx, &mgmapi.WatchTablesRequest{})
	if err != nil {
		return false, err
	}
	seen := map[uint32]bool{}
	for {
		ev, err := recv.Recv()
		if err != nil {
			return progressed, err
		}
		switch ev.Kind {
		case mgmapi.TableExists, mgmapi.TablePut:
			t, err := decodeInfo(&ev.Table)
			if err != nil {
				w.c.log.Error("mgm client: table watch: undecodable table skipped", "err", err)
				continue
			}
			seen[t.ID] = true
			old, ok := w.known[t.ID]
			switch {
			case !ok:
				w.known[t.ID] = t
				if !w.emit(TableEvent{Type: TableCreated, Table: t}) {
					return progressed, w.ctx.Err()
				}
			case t.Version > old.Version:
				w.known[t.ID] = t
				if !w.emit(TableEvent{Type: TableAltered, Table: t}) {
					return progressed, w.ctx.Err()
				}
			}
		case mgmapi.TablesSynced:
			progressed = true
			// Tables known from an earlier stream and gone from this
			// snapshot were dropped while the watch was away.
			for id, t := range w.known {
				if !seen[id] {
					delete(w.known, id)
					if !w.emit(TableEvent{Type: TableDropped, Table: t}) {
						return progressed, w.ctx.Err()
					}
				}
			}
			if !w.synced {
				w.synced = true
				if !w.emit(TableEvent{Type: TablesSynced}) {
					return progressed, w.ctx.Err()
				}
			}
		case mgmapi.TableDropped:
			if t, ok := w.known[ev.Table.ID]; ok {
				delete(w.known, ev.Table.ID)
				if !w.emit(TableEvent{Type: TableDropped, Table: t}) {
					return progressed, w.ctx.Err()
				}
			}
		default:
			return progressed, errors.New("unknown table event kind " + string(ev.Kind))
		}
	}
}
