package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Table is the dictionary's durable record of one table. Definition is
// opaque here (the schema package encodes it). Stored as JSON, Definition
// in base64.
type Table struct {
	ID         uint32 `json:"id"`
	Name       string `json:"name"`
	Version    uint32 `json:"version"`
	Definition []byte `json:"def"`
	// Revision is the etcd revision of this record (not stored).
	Revision int64 `json:"-"`
}

// maxTableName bounds a name so a key stays small; NDB's limit on a
// database/schema/table name is far below it.
const maxTableName = 1024

func checkTableName(name string) error {
	if name == "" || len(name) > maxTableName {
		return fmt.Errorf("table name %q: empty or over %d bytes: %w", name, maxTableName, ErrInvalidArgument)
	}
	return nil
}

func decodeTable(key string, val []byte, rev int64) (Table, error) {
	var t Table
	if err := json.Unmarshal(val, &t); err != nil {
		return Table{}, corrupt(key, err)
	}
	t.Revision = rev
	return t, nil
}

func encodeTable(t *Table) (string, error) {
	b, err := json.Marshal(t)
	return string(b), err
}

// CreateTable adds a table at version 1 with the next table id. Ids start
// at 1 and are never reused, so a stale reference to a dropped table never
// finds a new one. ErrTableExists when the name is taken. The name check,
// the id and the record are one transaction.
func (s *Store) CreateTable(ctx context.Context, name string, def []byte) (Table, error) {
	if err := checkTableName(name); err != nil {
		return Table{}, err
	}
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return Table{}, err
	}
	defer cancel()
	nameKey, idKey := s.k.tableName(name), s.k.nextTableID()
	for {
		r, err := s.cli.Get(ctx, idKey)
		if err != nil {
			return Table{}, s.etcdErr("create table "+name, err)
		}
		next, idRev := uint64(1), int64(0)
		if len(r.Kvs) > 0 {
			idRev = r.Kvs[0].ModRevision
			if next, err = strconv.ParseUint(string(r.Kvs[0].Value), 10, 32); err != nil {
				return Table{}, corrupt(idKey, err)
			}
		}
		t := Table{ID: uint32(next), Name: name, Version: 1, Definition: def}
		val, err := encodeTable(&t)
		if err != nil {
			return Table{}, err
		}
		tr, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(nameKey), "=", 0),
				clientv3.Compare(clientv3.ModRevision(idKey), "=", idRev)).
			Then(clientv3.OpPut(s.k.table(t.ID), val),
				clientv3.OpPut(nameKey, strconv.FormatUint(next, 10)),
				clientv3.OpPut(idKey, strconv.FormatUint(next+1, 10))).
			Else(clientv3.OpGet(nameKey, clientv3.WithCountOnly())).
			Commit()
		if err != nil {
			return Table{}, s.etcdErr("create table "+name, err)
		}
		if tr.Succeeded {
			t.Revision = tr.Header.Revision
			return t, nil
		}
		if tr.Responses[0].GetResponseRange().Count > 0 {
			return Table{}, fmt.Errorf("create table %s: %w", name, ErrTableExists)
		}
		// Another table took the id first; take the next.
	}
}

// AlterTable stores a new definition (and, when newName is not empty and
// differs, a new name) as version expectVersion+1, if the table is still at
// expectVersion; ErrConflict if not, ErrTableExists if newName is taken,
// ErrNoSuchTable if the id is unknown.
func (s *Store) AlterTable(ctx context.Context, id, expectVersion uint32, newName string, def []byte) (Table, error) {
	if newName != "" {
		if err := checkTableName(newName); err != nil {
			return Table{}, err
		}
	}
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return Table{}, err
	}
	defer cancel()
	key := s.k.table(id)
	for {
		cur, err := s.tableAt(ctx, key, id)
		if err != nil {
			return Table{}, err
		}
		if cur.Version != expectVersion {
			return Table{}, fmt.Errorf("alter table %s (id %d): version %d, not %d: %w", cur.Name, id, cur.Version, expectVersion, ErrConflict)
		}
		t := Table{ID: id, Name: cur.Name, Version: cur.Version + 1, Definition: def}
		cmps := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", cur.Revision)}
		var ops []clientv3.Op
		if newName != "" && newName != cur.Name {
			t.Name = newName
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(s.k.tableName(newName)), "=", 0))
			ops = append(ops, clientv3.OpDelete(s.k.tableName(cur.Name)),
				clientv3.OpPut(s.k.tableName(newName), strconv.FormatUint(uint64(id), 10)))
		}
		val, err := encodeTable(&t)
		if err != nil {
			return Table{}, err
		}
		ops = append(ops, clientv3.OpPut(key, val))
		tr, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).
			Else(clientv3.OpGet(s.k.tableName(t.Name), clientv3.WithCountOnly())).
			Commit()
		if err != nil {
			return Table{}, s.etcdErr(fmt.Sprintf("alter table %d", id), err)
		}
		if tr.Succeeded {
			t.Revision = tr.Header.Revision
			return t, nil
		}
		if t.Name != cur.Name && tr.Responses[0].GetResponseRange().Count > 0 {
			return Table{}, fmt.Errorf("rename table %s to %s: %w", cur.Name, t.Name, ErrTableExists)
		}
		// The record changed under us: read it again (a version moved on
		// becomes ErrConflict above).
	}
}

// DropTable removes the table named name and returns its last record.
// ErrNoSuchTable when there is none.
func (s *Store) DropTable(ctx context.Context, name string) (Table, error) {
	if err := checkTableName(name); err != nil {
		return Table{}, err
	}
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return Table{}, err
	}
	defer cancel()
	for {
		t, err := s.tableByName(ctx, name)
		if err != nil {
			return Table{}, err
		}
		key, nameKey := s.k.table(t.ID), s.k.tableName(name)
		tr, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", t.Revision),
				clientv3.Compare(clientv3.Value(nameKey), "=", strconv.FormatUint(uint64(t.ID), 10))).
			Then(clientv3.OpDelete(key), clientv3.OpDelete(nameKey)).
			Commit()
		if err != nil {
			return Table{}, s.etcdErr("drop table "+name, err)
		}
		if tr.Succeeded {
			return t, nil
		}
	}
}

// Table returns the table named name, or ErrNoSuchTable.
func (s *Store) Table(ctx context.Context, name string) (Table, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return Table{}, err
	}
	defer cancel()
	return s.tableByName(ctx, name)
}

// TableByID returns the table with id, or ErrNoSuchTable.
func (s *Store) TableByID(ctx context.Context, id uint32) (Table, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return Table{}, err
	}
	defer cancel()
	return s.tableAt(ctx, s.k.table(id), id)
}

func (s *Store) tableAt(ctx context.Context, key string, id uint32) (Table, error) {
	r, err := s.cli.Get(ctx, key)
	if err != nil {
		return Table{}, s.etcdErr(fmt.Sprintf("read table %d", id), err)
	}
	if len(r.Kvs) == 0 {
		return Table{}, fmt.Errorf("table id %d: %w", id, ErrNoSuchTable)
	}
	return decodeTable(key, r.Kvs[0].Value, r.Kvs[0].ModRevision)
}

// tableByName follows the name index to the record, reading both at one
// etcd revision so they agree (every write keeps them in step).
func (s *Store) tableByName(ctx context.Context, name string) (Table, error) {
	nameKey := s.k.tableName(name)
	r, err := s.cli.Get(ctx, nameKey)
	if err != nil {
		return Table{}, s.etcdErr("read table "+name, err)
	}
	if len(r.Kvs) == 0 {
		return Table{}, fmt.Errorf("table %s: %w", name, ErrNoSuchTable)
	}
	id, err := strconv.ParseUint(string(r.Kvs[0].Value), 10, 32)
	if err != nil {
		return Table{}, corrupt(nameKey, err)
	}
	key := s.k.table(uint32(id))
	tr, err := s.cli.Get(ctx, key, clientv3.WithRev(r.Header.Revision))
	if err != nil {
		return Table{}, s.etcdErr("read table "+name, err)
	}
	if len(tr.Kvs) == 0 {
		return Table{}, corrupt(nameKey, fmt.Errorf("names table id %d, which has no record", id))
	}
	t, err := decodeTable(key, tr.Kvs[0].Value, tr.Kvs[0].ModRevision)
	if err == nil && t.Name != name {
		err = corrupt(nameKey, fmt.Errorf("names table id %d, which is named %q", id, t.Name))
	}
	return t, err
}

// ListTables returns every table in id order, and the etcd revision of the
// read: WatchTables from it misses nothing.
func (s *Store) ListTables(ctx context.Context) ([]Table, int64, error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer cancel()
	r, err := s.cli.Get(ctx, s.k.tables(), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, s.etcdErr("list tables", err)
	}
	out := make([]Table, 0, len(r.Kvs))
	for _, kv := range r.Kvs { // zero-padded ids: id order
		t, err := decodeTable(string(kv.Key), kv.Value, kv.ModRevision)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, r.Header.Revision, nil
}

// TableEvent is a dictionary change: Table is the new record, or the last
// one when Dropped. Err is set on the final event of a failed watch.
type TableEvent struct {
	Table   Table
	Dropped bool
	Err     error
}

// WatchTables delivers dictionary changes after etcd revision afterRev (0:
// from now). See watch for how it ends.
func (s *Store) WatchTables(ctx context.Context, afterRev int64) <-chan TableEvent {
	return watch(s, ctx, s.k.tables(), true, afterRev,
		func(ev *clientv3.Event) (TableEvent, bool, error) {
			if ev.Type == clientv3.EventTypeDelete {
				if ev.PrevKv == nil {
					id, err := idFromKey(string(ev.Kv.Key))
					return TableEvent{Table: Table{ID: id, Revision: ev.Kv.ModRevision}, Dropped: true}, true, err
				}
				t, err := decodeTable(string(ev.Kv.Key), ev.PrevKv.Value, ev.Kv.ModRevision)
				return TableEvent{Table: t, Dropped: true}, true, err
			}
			t, err := decodeTable(string(ev.Kv.Key), ev.Kv.Value, ev.Kv.ModRevision)
			return TableEvent{Table: t}, true, err
		},
		func(err error) TableEvent { return TableEvent{Err: err} })
}
