package sqlnode

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/gondb/gondb/ndbapi"
)

// Name mapping (docs/sqlnode.md): SQL table db.t is the dictionary table
// "db/t"; dictionary tables without a '/' (created through ndbapi) are in
// the database DefaultDatabase, and a table created in DefaultDatabase gets
// no prefix, so the mapping goes both ways.

// DefaultDatabase holds the dictionary tables whose names have no
// database part.
const DefaultDatabase = "ndbapi"

// dictName is the dictionary name of SQL table db.table.
func dictName(db, table string) string {
	if strings.EqualFold(db, DefaultDatabase) {
		return table
	}
	return db + "/" + table
}

// splitName splits a dictionary name into database and table.
func splitName(name string) (db, table string) {
	if i := strings.IndexByte(name, '/'); i > 0 && i < len(name)-1 {
		return name[:i], name[i+1:]
	}
	return DefaultDatabase, name
}

// Provider is the engine's catalog over the cluster's dictionary: every
// table of the dictionary is visible, in the database its name says.
// Databases are not in the dictionary yet: a database exists while it has
// tables, plus DefaultDatabase and the ones this SQL node created. Safe for
// concurrent use.
type Provider struct {
	c   *ndbapi.Cluster
	log *slog.Logger

	mu       sync.Mutex
	loaded   bool
	seen     uint64                   // c.DictionaryChanges() when tables was read
	tables   map[string]*ndbapi.Table // by dictionary name
	sqlTabs  map[*ndbapi.Table]*Table // SQL views of them
	localDBs map[string]string        // lower-case name -> name, created here

	prefetch uint64 // AUTO_INCREMENT values reserved at a time

	info map[string]*InfoTable // the ndbinfo database's tables, by lower-case name; immutable

	ndbMu sync.Mutex
	ndb   *ndbapi.Ndb // DDL and table loading (metaNdb)

	stats Stats
}

var (
	_ sql.DatabaseProvider         = (*Provider)(nil)
	_ sql.MutableDatabaseProvider  = (*Provider)(nil)
	_ sql.CollatedDatabaseProvider = (*Provider)(nil)
)

// NewProvider returns a catalog over c's dictionary.
func NewProvider(c *ndbapi.Cluster, log *slog.Logger) *Provider {
	if log == nil {
		log = slog.Default()
	}
	p := &Provider{c: c, log: log, sqlTabs: map[*ndbapi.Table]*Table{}, localDBs: map[string]string{}, prefetch: 1}
	p.info = newInfoTables(p)
	return p
}

// close releases the provider's Ndb.
func (p *Provider) close() {
	p.ndbMu.Lock()
	if p.ndb != nil {
		p.ndb.Close()
		p.ndb = nil
	}
	p.ndbMu.Unlock()
}

// refresh re-reads the table list when the dictionary changed (or was
// never read). Called with p.mu held.
func (p *Provider) refresh(ctx context.Context) error {
	gen := p.c.DictionaryChanges()
	if p.loaded && gen == p.seen {
		return nil
	}
	ts, err := p.c.Tables(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]*ndbapi.Table, len(ts))
	for _, t := range ts {
		m[t.Name()] = t
	}
	for t := range p.sqlTabs {
		if m[t.Name()] != t {
			delete(p.sqlTabs, t)
		}
	}
	p.tables, p.seen, p.loaded = m, gen, true
	return nil
}

// invalidate makes the next lookup re-read the dictionary.
func (p *Provider) invalidate() {
	p.mu.Lock()
	p.loaded = false
	p.mu.Unlock()
}

// databases lists the database names (original case), sorted.
func (p *Provider) databases(ctx context.Context) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.refresh(ctx); err != nil {
		return nil, err
	}
	set := map[string]string{strings.ToLower(DefaultDatabase): DefaultDatabase, InfoDatabase: InfoDatabase}
	for k, v := range p.localDBs {
		set[k] = v
	}
	for name := range p.tables {
		if hiddenTable(name) {
			continue
		}
		db, _ := splitName(name)
		if _, ok := set[strings.ToLower(db)]; !ok && !isInfoDB(db) {
			set[strings.ToLower(db)] = db
		}
	}
	out := make([]string, 0, len(set))
	for _, v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

func (p *Provider) findDB(ctx context.Context, name string) (string, bool) {
	dbs, err := p.databases(ctx)
	if err != nil {
		p.log.Warn("sqlnode: reading the dictionary", "err", err)
		return "", false
	}
	for _, d := range dbs {
		if strings.EqualFold(d, name) {
			return d, true
		}
	}
	return "", false
}

// database returns the engine's view of database name.
func (p *Provider) database(name string) sql.Database {
	if isInfoDB(name) {
		return &infoDatabase{p: p}
	}
	return &Database{p: p, name: name}
}

// Database implements sql.DatabaseProvider.
func (p *Provider) Database(ctx *sql.Context, name string) (sql.Database, error) {
	if isInfoDB(name) {
		return p.database(name), nil
	}
	if d, ok := p.findDB(ctx, name); ok {
		return p.database(d), nil
	}
	return nil, sql.ErrDatabaseNotFound.New(name)
}

// HasDatabase implements sql.DatabaseProvider.
func (p *Provider) HasDatabase(ctx *sql.Context, name string) bool {
	if isInfoDB(name) {
		return true
	}
	_, ok := p.findDB(ctx, name)
	return ok
}

// AllDatabases implements sql.DatabaseProvider.
func (p *Provider) AllDatabases(ctx *sql.Context) []sql.Database {
	dbs, err := p.databases(ctx)
	if err != nil {
		p.log.Warn("sqlnode: reading the dictionary", "err", err)
	}
	out := make([]sql.Database, 0, len(dbs))
	for _, d := range dbs {
		out = append(out, p.database(d))
	}
	return out
}

// CreateDatabase implements sql.MutableDatabaseProvider. The dictionary
// cannot hold an empty database yet, so until the database has a table
// only this SQL node knows it.
func (p *Provider) CreateDatabase(ctx *sql.Context, name string) error {
	if strings.ContainsRune(name, '/') {
		return errNotSupported("database names containing '/'")
	}
	if isInfoDB(name) {
		return sql.ErrDatabaseExists.New(name)
	}
	if _, ok := p.findDB(ctx, name); ok {
		return sql.ErrDatabaseExists.New(name)
	}
	p.mu.Lock()
	p.localDBs[strings.ToLower(name)] = name
	p.mu.Unlock()
	return nil
}

// CreateCollatedDatabase implements sql.CollatedDatabaseProvider: only the
// collations storage compares with are accepted.
func (p *Provider) CreateCollatedDatabase(ctx *sql.Context, name string, collation sql.CollationID) error {
	if collation != sql.Collation_Unspecified && collation != sql.Collation_Default {
		if _, err := charsetOf(collation); err != nil {
			return errNotSupported("database %s: %v", name, err)
		}
	}
	return p.CreateDatabase(ctx, name)
}

// DropDatabase implements sql.MutableDatabaseProvider: it drops every
// table of the database from the dictionary.
func (p *Provider) DropDatabase(ctx *sql.Context, name string) error {
	if isInfoDB(name) {
		return errDropInfoDB(ctx)
	}
	d, ok := p.findDB(ctx, name)
	if !ok {
		return sql.ErrDatabaseNotFound.New(name)
	}
	if strings.EqualFold(d, DefaultDatabase) {
		return errNotSupported("dropping the database %s, which holds the tables named without a database", DefaultDatabase)
	}
	db := &Database{p: p, name: d}
	names, err := db.GetTableNames(ctx)
	if err != nil {
		return err
	}
	for _, t := range names {
		if err := db.DropTable(ctx, t); err != nil && !sql.ErrTableNotFound.Is(err) {
			return err
		}
	}
	p.mu.Lock()
	delete(p.localDBs, strings.ToLower(d))
	p.mu.Unlock()
	return nil
}

// table returns the SQL table for db.name (case-insensitive), asking the
// dictionary by name when the cached list does not have it (a table just
// created by another SQL node). The ndbinfo database has none.
func (p *Provider) table(ctx context.Context, db, name string) (*Table, bool, error) {
	if isInfoDB(db) {
		return nil, false, nil
	}
	p.mu.Lock()
	if err := p.refresh(ctx); err != nil {
		p.mu.Unlock()
		return nil, false, err
	}
	want := dictName(db, name)
	if hiddenTable(strings.ToLower(want)) {
		p.mu.Unlock()
		return nil, false, nil
	}
	t := p.tables[want]
	if t == nil {
		for n, x := range p.tables {
			if strings.EqualFold(n, want) {
				t = x
				break
			}
		}
	}
	p.mu.Unlock()
	if t == nil {
		var err error
		t, err = p.c.Table(ctx, want)
		if errors.Is(err, ndbapi.ErrNoSuchTable) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		p.invalidate()
	}
	p.mu.Lock()
	if st := p.sqlTabs[t]; st != nil {
		p.mu.Unlock()
		return st, true, nil
	}
	mt := p.tables[metaTableName]
	p.mu.Unlock()
	if mt == nil {
		// Not in the last listing; a table created since may have
		// metadata (it is written before the table is created).
		if x, err := p.c.Table(ctx, metaTableName); err == nil {
			mt = x
		}
	}
	meta, err := p.readMeta(ctx, mt, t)
	if err != nil {
		return nil, false, err
	}
	st, err := newTable(p, db, t, meta)
	if err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if x := p.sqlTabs[t]; x != nil {
		return x, true, nil
	}
	p.sqlTabs[t] = st
	return st, true, nil
}

// tableNames lists the SQL names of db's tables.
func (p *Provider) tableNames(ctx context.Context, db string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.refresh(ctx); err != nil {
		return nil, err
	}
	var out []string
	for name := range p.tables {
		if hiddenTable(name) {
			continue
		}
		d, t := splitName(name)
		if strings.EqualFold(d, db) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Database is one SQL database: the dictionary tables named "db/...".
type Database struct {
	noObjects
	p    *Provider
	name string
}

var (
	_ sql.Database         = (*Database)(nil)
	_ sql.TableCreator     = (*Database)(nil)
	_ sql.TableDropper     = (*Database)(nil)
	_ sql.CollatedDatabase = (*Database)(nil)
)

// Name implements sql.Nameable.
func (d *Database) Name() string { return d.name }

// GetTableInsensitive implements sql.Database.
func (d *Database) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	t, ok, err := d.p.table(ctx, d.name, name)
	if err != nil || !ok {
		return nil, false, err
	}
	return t, true, nil
}

// GetTableNames implements sql.Database.
func (d *Database) GetTableNames(ctx *sql.Context) ([]string, error) {
	return d.p.tableNames(ctx, d.name)
}

// GetCollation implements sql.CollatedDatabase: new tables default to
// utf8mb4_bin, the collation storage compares with.
func (d *Database) GetCollation(*sql.Context) sql.CollationID { return sql.Collation_utf8mb4_bin }

// SetCollation implements sql.CollatedDatabase.
func (d *Database) SetCollation(_ *sql.Context, c sql.CollationID) error {
	if c == sql.Collation_utf8mb4_bin {
		return nil
	}
	return errNotSupported("changing a database's collation (new tables use utf8mb4_bin)")
}

// DropTable implements sql.TableDropper.
func (d *Database) DropTable(ctx *sql.Context, name string) error {
	t, ok, err := d.p.table(ctx, d.name, name)
	if err != nil {
		return err
	}
	if !ok {
		return sql.ErrTableNotFound.New(name)
	}
	err = d.p.c.DropTable(ctx, t.nt.Name())
	d.p.invalidate()
	if err == nil {
		// Best effort: a row left behind is ignored or replaced by the
		// next table of the name.
		if t.auto != nil {
			if e := d.p.metaNdb(func(ndb *ndbapi.Ndb) error { return ndb.DropAutoIncrement(ctx, t.nt) }); e != nil {
				d.p.log.Warn("sqlnode: dropping an auto-increment counter", "table", t.nt.Name(), "err", e)
			}
		}
		if e := d.p.writeMeta(ctx, t.nt.Name(), &tableMeta{}); e != nil {
			d.p.log.Warn("sqlnode: dropping SQL metadata", "table", t.nt.Name(), "err", e)
		}
	}
	if errors.Is(err, ndbapi.ErrNoSuchTable) {
		return sql.ErrTableNotFound.New(name)
	}
	return mysqlError(err)
}
