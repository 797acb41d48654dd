package ndbapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
)

// Indexes created and dropped on a table that exists (CREATE INDEX, DROP
// INDEX). Each change is a new version of the table in the dictionary
// (mgmd's AlterTable, checked by schema.CheckIndexChange); every data node
// applies it while transactions run and builds an added ordered index over
// its rows in the background. Indexes are numbered by their position in
// Def.Indexes, so a dropped index leaves its place (schema.IndexDropped)
// and the others keep their numbers.

// Errors of CreateIndex and DropIndex, matched with errors.Is.
var (
	// ErrIndexExists: the table has an index of that name (names compare
	// without case, as MySQL's do).
	ErrIndexExists = errors.New("ndbapi: the table has an index of that name")
	// ErrNoSuchIndex: DropIndex named an index the table lacks.
	ErrNoSuchIndex = errors.New("ndbapi: no such index")
	// ErrIndexKind: CreateIndex was given another kind than
	// schema.IndexOrdered; unique indexes come with CREATE TABLE only.
	ErrIndexKind = errors.New("ndbapi: only ordered indexes can be added to an existing table")
)

// alterRetries bounds how often a change is redone after another change
// of the same table came first.
const alterRetries = 20

// indexPollInterval is how often CreateIndex looks whether the build is
// done.
const indexPollInterval = 20 * time.Millisecond

// applyTimeout bounds how long CreateIndex waits for a data node to apply
// the new version at all (it answers 241 until then; data nodes apply a
// dictionary change within milliseconds). The build itself is waited for
// as long as ctx allows: a large table takes a while.
const applyTimeout = time.Minute

// CreateIndex adds ordered index ix to the existing table named table and
// returns the table's new version once the index serves scans: the
// dictionary stores the new version, every data node builds the index over
// its replicas in bounded batches while reads and writes go on, and
// CreateIndex waits until an ordered scan of the index through every data
// node's TC succeeds. Data nodes build their backup replicas before their
// primaries, and the placement gives every data node primaries of every
// table, so by then every replica is built (after a node failure moved
// primaries, a node's backups may still be building: their scans, which
// come only after another failure, get 9020 meanwhile).
//
// Meanwhile another API node that already knows the new version gets the
// temporary error 9020 (ndberr.ErrIndexNotOnline) from scans of the index,
// and retries. ix.Kind must be schema.IndexOrdered (ErrIndexKind); a name
// in use is ErrIndexExists. The index's number is t.Index(ix.Name).
func (c *Cluster) CreateIndex(ctx context.Context, table string, ix schema.Index) (*Table, error) {
	if ix.Kind != schema.IndexOrdered {
		return nil, fmt.Errorf("%w (index %s of table %s has kind %d)", ErrIndexKind, ix.Name, table, ix.Kind)
	}
	ix.Columns = slices.Clone(ix.Columns)
	t, err := c.alterTable(ctx, table, func(def *schema.Table, retry bool) (bool, error) {
		if i := indexNamed(def, ix.Name); i >= 0 {
			have := &def.Indexes[i]
			// After a retry, our own change may have been stored by a
			// management server that failed before it answered.
			if retry && have.Kind == ix.Kind && slices.Equal(have.Columns, ix.Columns) && have.Name == ix.Name {
				return false, nil
			}
			return false, fmt.Errorf("%w: %s on table %s", ErrIndexExists, ix.Name, table)
		}
		def.Indexes = append(def.Indexes, ix)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	pos := t.Index(ix.Name)
	if err := c.waitIndexOnline(ctx, t, pos); err != nil {
		return nil, fmt.Errorf("ndbapi: index %s of table %s created, but not yet online: %w", ix.Name, table, err)
	}
	return t, nil
}

// DropIndex drops the named indexes of table (names compare without case)
// in one new version of it and returns that version. Each leaves its
// place (schema.IndexDropped); a unique index's hidden table is dropped
// with it, and DropIndex returns once no data node's TC keeps it any more
// (so a value it held can be inserted again at once). Scans of a dropped
// ordered index that had started go on to their end; a new one from an
// API node that still knows the old version fails with 241
// (ndberr.ErrSchemaVersion) until the node learns the new version, which
// it does by itself (the dictionary watch). An unknown name is
// ErrNoSuchIndex and drops nothing.
func (c *Cluster) DropIndex(ctx context.Context, table string, names ...string) (*Table, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: DropIndex of table %s names no index", ErrNoSuchIndex, table)
	}
	var before *schema.Table
	var uniques []int
	t, err := c.alterTable(ctx, table, func(def *schema.Table, _ bool) (bool, error) {
		b := *def
		b.Indexes = slices.Clone(def.Indexes)
		before, uniques = &b, uniques[:0]
		for _, name := range names {
			i := indexNamed(def, name)
			if i < 0 {
				return false, fmt.Errorf("%w: %s on table %s", ErrNoSuchIndex, name, table)
			}
			if def.Indexes[i].Kind == schema.IndexUniqueHash {
				uniques = append(uniques, i)
			}
			def.Indexes[i] = schema.Index{Kind: schema.IndexDropped}
		}
		return true, nil
	})
	if err != nil || len(uniques) == 0 {
		return t, err
	}
	old, err := newTable(before, c.groups, Fragments(c.opts.PartitionsPerNode, len(c.nodes)))
	if err != nil {
		return nil, err
	}
	for _, ix := range uniques {
		if err := c.waitUniqueGone(ctx, old, ix); err != nil {
			return nil, fmt.Errorf("ndbapi: unique index %s of table %s dropped, but still kept: %w", before.Indexes[ix].Name, table, err)
		}
	}
	return t, nil
}

// waitUniqueGone waits until every data node's TC refuses a read by
// unique index ix of old (the table before the drop) with 4004: the node
// applied the new version, and its TC no longer keeps the index.
func (c *Cluster) waitUniqueGone(ctx context.Context, old *Table, ix int) error {
	ndb, err := c.NewNdb()
	if err != nil {
		return err
	}
	defer ndb.Close()
	rb := old.NewRowBuilder()
	for _, col := range old.Def.Indexes[ix].Columns {
		if old.Def.Columns[col].Nullable { // any value will do; NULL is not a key
			if rb.SetRaw(col, nil) != nil {
				_ = rb.SetRaw(col, make([]byte, old.Layout.Cols[col].Size))
			}
		}
	}
	deadline := time.Now().Add(applyTimeout)
	for _, node := range c.nodes {
		for {
			tx, err := ndb.StartTransactionOn(node)
			if err != nil {
				return err
			}
			tx.ReadUnique(old, ix, rb, CommittedRead)
			err = tx.Execute(Commit)
			tx.Close()
			if code := Code(err); code == ndberr.ErrBadAttribute.Code || code == ndberr.ErrNoSuchTable.Code {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("data node %d has not applied version %d of table %s (last: %v)", node, old.Def.Version+1, old.Name(), err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
			case <-time.After(indexPollInterval):
			}
		}
	}
	return nil
}

// indexNamed is the position of def's index called name (without case),
// or -1. Dropped places have no name.
func indexNamed(def *schema.Table, name string) int {
	for i := range def.Indexes {
		if ix := &def.Indexes[i]; ix.Kind != schema.IndexDropped && strings.EqualFold(ix.Name, name) {
			return i
		}
	}
	return -1
}

// alterTable reads the table's current definition from the dictionary,
// lets change edit it (retry says an earlier attempt lost a race; change
// returns false when there is nothing to store), stores it as the next
// version, and makes it the API's. Another change that came first makes
// it read and change the table again.
func (c *Cluster) alterTable(ctx context.Context, table string, change func(def *schema.Table, retry bool) (bool, error)) (*Table, error) {
	if c.mgm == nil {
		return nil, ErrNoDictionary
	}
	conn := c.mgm.Conn()
	for attempt := 0; ; attempt++ {
		def, err := conn.Table(ctx, table)
		if errors.Is(err, mgmapi.ErrNoSuchTable) {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchTable, table)
		}
		if err != nil {
			return nil, fmt.Errorf("ndbapi: alter table %s: %w", table, err)
		}
		store, err := change(def, attempt > 0)
		if err != nil {
			return nil, err
		}
		if store {
			if _, err := schema.NewLayout(def); err != nil {
				return nil, fmt.Errorf("ndbapi: alter table %s: %w", table, err)
			}
			if def, err = conn.AlterTable(ctx, def); err != nil {
				if errors.Is(err, mgmapi.ErrConflict) && attempt < alterRetries {
					continue
				}
				return nil, fmt.Errorf("ndbapi: alter table %s: %w", table, err)
			}
		}
		t, err := c.AddTable(def)
		if err != nil {
			return nil, err
		}
		c.dictChanges.Add(1)
		return t, nil
	}
}

// waitIndexOnline waits until an ordered scan of index ix of t succeeds
// through every data node's TC: each such scan opens the index on every
// fragment's primary replica (or the TC node's own replica, for
// read-backup tables). The scan's range is empty (NULL < key < NULL), so
// it reads nothing. A data node that has not applied the new version yet
// answers 241, one still building 9020: both mean "not yet".
func (c *Cluster) waitIndexOnline(ctx context.Context, t *Table, ix int) error {
	ndb, err := c.NewNdb()
	if err != nil {
		return err
	}
	defer ndb.Close()
	for _, node := range c.nodes {
		var stale time.Time // since when the node answers 241
		for {
			err := scanIndexOnce(ndb, t, ix, node)
			if err == nil {
				break
			}
			switch code := Code(err); {
			case code == ndberr.ErrSchemaVersion.Code:
				if stale.IsZero() {
					stale = time.Now()
				} else if time.Since(stale) > applyTimeout {
					return fmt.Errorf("a data node (scanned through node %d) has not applied version %d of table %s: %w", node, t.Def.Version, t.Name(), err)
				}
			case code == ndberr.ErrIndexNotOnline.Code || IsTemporary(err):
				stale = time.Time{}
			default:
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
			case <-time.After(indexPollInterval):
			}
		}
	}
	return nil
}

// nullKey is a search key of one NULL: the bounds of an empty range.
var nullKey = []byte{1}

// scanIndexOnce runs an ordered scan of an empty range of index ix
// through node's TC.
func scanIndexOnce(ndb *Ndb, t *Table, ix int, node signal.NodeID) error {
	tx, err := ndb.StartTransactionOn(node)
	if err != nil {
		return err
	}
	defer tx.Close()
	s, err := tx.ScanIndex(t, ix, ScanOptions{BatchRows: 1, Low: nullKey, High: nullKey})
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
