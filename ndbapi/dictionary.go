package ndbapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// mgmDictionary is the cluster's schema dictionary, read through the
// management servers: what Connect uses unless SetDictionary says
// otherwise.
type mgmDictionary struct{ conn *client.Conn }

func (d mgmDictionary) Table(ctx context.Context, name string) (*schema.Table, error) {
	t, err := d.conn.Table(ctx, name)
	if errors.Is(err, mgmapi.ErrNoSuchTable) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchTable, name)
	}
	return t, err
}

func (d mgmDictionary) Tables(ctx context.Context) ([]*schema.Table, error) {
	return d.conn.Tables(ctx)
}

// followDictionary keeps the API's tables in step with the management
// node's dictionary until the Cluster closes: a table dropped or changed
// elsewhere is forgotten here, so the next Table call reads its new
// definition (or fails with ErrNoSuchTable) instead of using a stale one.
func (c *Cluster) followDictionary(ctx context.Context, conn *client.Conn) {
	events, err := conn.WatchTables(ctx)
	if err != nil {
		c.log.Warn("ndbapi: cannot follow the dictionary", "err", err)
		return
	}
	for ev := range events {
		if ev.Table == nil {
			continue
		}
		switch ev.Type {
		case client.TableAltered:
			// This connection may have stored the new version itself
			// (CreateIndex, DropIndex) and know it already.
			c.mu.Lock()
			cur := c.tables[ev.Table.Name]
			c.mu.Unlock()
			if cur == nil || cur.Def.ID != ev.Table.ID || cur.Def.Version < ev.Table.Version {
				c.forget(ev.Table.Name, ev.Table.ID)
			}
		case client.TableDropped:
			c.forget(ev.Table.Name, ev.Table.ID)
		case client.TableCreated:
			// A table dropped and created again under the same name has
			// a new id: the old one must not be used.
			c.mu.Lock()
			old := c.tables[ev.Table.Name]
			c.mu.Unlock()
			if old != nil && (old.Def.ID != ev.Table.ID || old.Def.Version != ev.Table.Version) {
				c.forget(old.Def.Name, old.Def.ID)
			}
		}
		c.dictChanges.Add(1)
	}
}

// DictionaryChanges counts the dictionary changes this connection has
// seen (tables created, changed or dropped anywhere in the cluster); a
// caller that caches table lists can compare it to know when to refresh.
func (c *Cluster) DictionaryChanges() uint64 { return c.dictChanges.Load() }

// ErrNoDictionary: a schema operation on a connection without a management
// node (ConnectDirect).
var ErrNoDictionary = errors.New("ndbapi: schema operations need a connection through the management node (Connect)")

// CreateTable creates a table through the dictionary (its id is assigned
// there; def.ID is ignored) and returns it once every data node holding
// one of its fragments serves it. Unique hash indexes get their hidden
// tables with it.
func (c *Cluster) CreateTable(ctx context.Context, def *schema.Table) (*Table, error) {
	if c.mgm == nil {
		return nil, ErrNoDictionary
	}
	if _, err := schema.NewLayout(def); err != nil {
		return nil, fmt.Errorf("ndbapi: table %s: %w", def.Name, err)
	}
	created, err := c.mgm.Conn().CreateTable(ctx, def)
	if err != nil {
		return nil, fmt.Errorf("ndbapi: create table %s: %w", def.Name, err)
	}
	t, err := c.AddTable(created)
	if err != nil {
		return nil, err
	}
	return t, c.waitServed(ctx, t)
}

// DropTable drops a table through the dictionary and forgets it here.
func (c *Cluster) DropTable(ctx context.Context, name string) error {
	if c.mgm == nil {
		return ErrNoDictionary
	}
	if err := c.mgm.Conn().DropTable(ctx, name); err != nil {
		if errors.Is(err, mgmapi.ErrNoSuchTable) {
			return fmt.Errorf("%w: %s", ErrNoSuchTable, name)
		}
		return fmt.Errorf("ndbapi: drop table %s: %w", name, err)
	}
	c.mu.Lock()
	if t := c.tables[name]; t != nil {
		delete(c.byID, t.Def.ID)
		delete(c.tables, name)
	}
	c.mu.Unlock()
	c.dictChanges.Add(1)
	return nil
}

// waitServed waits until every fragment of a new table is served: data
// nodes apply dictionary changes as they learn of them, so for a moment a
// node may still answer 723 (no such table). A committed-read scan of the
// whole table touches every fragment's primary.
func (c *Cluster) waitServed(ctx context.Context, t *Table) error {
	ndb, err := c.NewNdb()
	if err != nil {
		return err
	}
	defer ndb.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := scanOnce(ndb, t)
		if err == nil {
			return nil
		}
		if Code(err) != ndberr.ErrNoSuchTable.Code || time.Now().After(deadline) {
			return fmt.Errorf("ndbapi: table %s created, but not yet served: %w", t.Name(), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// scanOnce runs a committed-read scan of the whole table and closes it.
func scanOnce(ndb *Ndb, t *Table) error {
	tx, err := ndb.StartTransaction(t, nil)
	if err != nil {
		return err
	}
	defer tx.Close()
	s, err := tx.ScanTable(t, ScanOptions{BatchRows: 1})
	if err != nil {
		return err
	}
	for _, ok := s.Next(); ok; _, ok = s.Next() {
	}
	serr := s.Err()
	s.Close()
	if serr != nil {
		return serr
	}
	return tx.Execute(Commit)
}
