package sqlnode

import (
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
)

// The ndbinfo database (docs/ndbinfo.md, "From SQL"): the monitoring
// tables of the ndbinfo catalog, read-only, under NDB's names. A SELECT
// reads a table with Cluster.NdbInfoScan, every data node's rows merged,
// a batch at a time as the engine takes the rows (so a statement that
// stops early, as under a LIMIT, leaves the rest on the nodes); the
// WHERE conjuncts the data nodes evaluate exactly are pushed down as for
// ordinary tables (rules.go), and sent as InfoOptions.Filter. Writes and
// DDL are refused by the engine (the database is a sql.ReadOnlyDatabase)
// and reported as ER_OPEN_AS_READONLY (handler.go).
//
// server_locks is the SQL node's own table, as in NDB: cluster_locks
// restricted to the transactions of this SQL node's connections, each
// row with its connection's id (serverLocks, below).

// InfoDatabase is the name of the read-only database of ndbinfo tables.
// Dictionary tables named "ndbinfo/..." (created through ndbapi) are not
// visible from SQL: the name belongs to the catalog.
const InfoDatabase = "ndbinfo"

// MySQL error numbers of the ndbinfo database.
const (
	erOpenAsReadonly   = 1036 // Table '%s' is read only
	erDBAccessDenied   = 1044 // Access denied for user '%s'@'%s' to database '%s'
	readOnlyEngineText = "Database " + InfoDatabase + " is read-only"
)

// errReadOnly is the error for a write to ndbinfo table name.
func errReadOnly(name string) error {
	return sqlErr(erOpenAsReadonly, "HY000", "Table '%s' is read only", name)
}

// isInfoDB reports whether db names the ndbinfo database.
func isInfoDB(db string) bool { return strings.EqualFold(db, InfoDatabase) }

// newInfoTables builds the SQL view of every catalog table, by lower-case
// name. A catalog column without a SQL type is a bug of the catalog.
func newInfoTables(p *Provider) map[string]*InfoTable {
	out := map[string]*InfoTable{}
	for _, it := range ndbinfo.Tables() {
		out[strings.ToLower(it.Name)] = &InfoTable{p: p, it: it, sch: infoSchema(it)}
	}
	return out
}

// infoSchema is the SQL schema of virtual table it.
func infoSchema(it *ndbinfo.Table) sql.Schema {
	var sch sql.Schema
	for i := range it.Def.Columns {
		c := &it.Def.Columns[i]
		typ, err := sqlType(c)
		if err != nil {
			panic("sqlnode: ndbinfo table " + it.Name + ": " + err.Error())
		}
		sch = append(sch, &sql.Column{Name: c.Name, Type: typ, Nullable: c.Nullable, Source: it.Name,
			DatabaseSource: InfoDatabase, Comment: it.Columns[i].Doc})
	}
	return sch
}

// infoDatabase is the ndbinfo database: read-only, its tables the
// catalog's.
type infoDatabase struct {
	noObjects
	p *Provider
}

var (
	_ sql.Database         = (*infoDatabase)(nil)
	_ sql.ReadOnlyDatabase = (*infoDatabase)(nil)
	_ sql.CollatedDatabase = (*infoDatabase)(nil)
	_ sql.TableDropper     = (*infoDatabase)(nil)
	_ sql.TableRenamer     = (*infoDatabase)(nil)
)

// Name implements sql.Nameable.
func (d *infoDatabase) Name() string { return InfoDatabase }

// IsReadOnly implements sql.ReadOnlyDatabase: the engine refuses every
// statement that writes a table of the database or changes its schema.
func (d *infoDatabase) IsReadOnly() bool { return true }

// GetTableInsensitive implements sql.Database. The table is remembered
// in the session, so that a refused write names it (handler.go).
func (d *infoDatabase) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	var st sql.Table
	var it *ndbinfo.Table
	if t, ok := d.p.info[strings.ToLower(name)]; ok {
		st, it = t, t.it
	} else if strings.EqualFold(name, serverLocksDef.Name) {
		st, it = &serverLocks{p: d.p}, serverLocksDef
	} else {
		return nil, false, nil
	}
	if s, ok := ctx.Session.(*Session); ok {
		s.lastInfo.Store(it)
	}
	return st, true, nil
}

// GetTableNames implements sql.Database: the catalog's tables and
// server_locks.
func (d *infoDatabase) GetTableNames(*sql.Context) ([]string, error) {
	out := make([]string, 0, len(d.p.info)+1)
	for _, t := range d.p.info {
		out = append(out, t.it.Name)
	}
	out = append(out, serverLocksDef.Name)
	slices.Sort(out)
	return out, nil
}

// GetCollation implements sql.CollatedDatabase.
func (d *infoDatabase) GetCollation(*sql.Context) sql.CollationID { return sql.Collation_utf8mb4_bin }

// SetCollation implements sql.CollatedDatabase: refused.
func (d *infoDatabase) SetCollation(*sql.Context, sql.CollationID) error {
	return errReadOnly(InfoDatabase)
}

// DropTable implements sql.TableDropper: refused (the engine's
// read-only check does not cover DROP TABLE).
func (d *infoDatabase) DropTable(_ *sql.Context, name string) error { return errReadOnly(name) }

// RenameTable implements sql.TableRenamer: refused.
func (d *infoDatabase) RenameTable(_ *sql.Context, oldName, _ string) error {
	return errReadOnly(oldName)
}

// errDropInfoDB refuses DROP DATABASE ndbinfo as MySQL refuses dropping
// its system schemas.
func errDropInfoDB(ctx *sql.Context) error {
	user, host := "", ""
	if ctx != nil && ctx.Session != nil {
		user, host = ctx.Client().User, ctx.Client().Address
	}
	return sqlErr(erDBAccessDenied, "42000", "Access denied for user '%s'@'%s' to database '%s'", user, host, InfoDatabase)
}

// InfoTable is one ndbinfo table as the engine sees it: read-only, its
// rows read by Cluster.NdbInfo from every data node (one data node for
// global tables) when a statement reads it. A copy with projections
// converts only the named columns; a copy with a pushed condition sends
// it to the data nodes as InfoOptions.Filter.
type InfoTable struct {
	p      *Provider
	it     *ndbinfo.Table
	sch    sql.Schema // every column, in catalog order
	proj   []int      // projected column numbers; nil: all
	pnames []string
	psch   sql.Schema
	cond   *pushedCond // pushed condition (rules.go); nil: none
	limit  uint64      // rows the statement needs at most (rules.go); 0: all
}

var (
	_ sql.Table            = (*InfoTable)(nil)
	_ sql.ProjectedTable   = (*InfoTable)(nil)
	_ sql.CommentedTable   = (*InfoTable)(nil)
	_ sql.PrimaryKeyTable  = (*InfoTable)(nil)
	_ sql.InsertableTable  = (*InfoTable)(nil)
	_ sql.ReplaceableTable = (*InfoTable)(nil)
	_ sql.RowReplacer      = readOnlyEditor{}
	_ sql.RowIter          = (*infoIter)(nil)
)

// Name implements sql.Nameable.
func (t *InfoTable) Name() string { return t.it.Name }

// String implements fmt.Stringer.
func (t *InfoTable) String() string { return t.it.Name }

// Schema implements sql.Table: the projected columns, if projected.
func (t *InfoTable) Schema(*sql.Context) sql.Schema {
	if t.proj != nil {
		return t.psch
	}
	return t.sch
}

// Collation implements sql.Table.
func (t *InfoTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }

// Comment implements sql.CommentedTable: what the table shows.
func (t *InfoTable) Comment() string { return t.it.Comment }

// PrimaryKeySchema implements sql.PrimaryKeyTable: every column, none a
// key (the engine's join planner needs the whole schema of a projected
// table). The catalog's key columns identify a row but are no index.
func (t *InfoTable) PrimaryKeySchema(*sql.Context) sql.PrimaryKeySchema {
	return sql.NewPrimaryKeySchema(t.sch)
}

// Inserter implements sql.InsertableTable so that the engine's read-only
// check, rather than its "table doesn't support INSERT INTO", refuses an
// INSERT; the editor itself refuses every row.
func (t *InfoTable) Inserter(*sql.Context) sql.RowInserter { return readOnlyEditor{t.it.Name} }

// Replacer implements sql.ReplaceableTable, as Inserter.
func (t *InfoTable) Replacer(*sql.Context) sql.RowReplacer { return readOnlyEditor{t.it.Name} }

// readOnlyEditor refuses every change to an ndbinfo table.
type readOnlyEditor struct{ name string }

func (e readOnlyEditor) StatementBegin(*sql.Context)              {}
func (e readOnlyEditor) DiscardChanges(*sql.Context, error) error { return nil }
func (e readOnlyEditor) StatementComplete(*sql.Context) error     { return nil }
func (e readOnlyEditor) Insert(*sql.Context, sql.Row) error       { return errReadOnly(e.name) }
func (e readOnlyEditor) Delete(*sql.Context, sql.Row) error       { return errReadOnly(e.name) }
func (e readOnlyEditor) Close(*sql.Context) error                 { return nil }

// WithProjections implements sql.ProjectedTable.
func (t *InfoTable) WithProjections(_ *sql.Context, names []string) (sql.Table, error) {
	nt := *t
	nt.proj, nt.pnames, nt.psch = make([]int, 0, len(names)), names, make(sql.Schema, 0, len(names))
	for _, n := range names {
		c := t.it.Column(n)
		if c < 0 {
			return nil, sql.ErrTableColumnNotFound.New(t.it.Name, n)
		}
		nt.proj = append(nt.proj, c)
		nt.psch = append(nt.psch, t.sch[c])
	}
	return &nt, nil
}

// Projections implements sql.ProjectedTable.
func (t *InfoTable) Projections() []string { return t.pnames }

// pushSchema implements pushTable.
func (t *InfoTable) pushSchema() (*schema.Table, *schema.Layout) { return t.it.Def, t.it.Layout }

// pushed implements pushTable.
func (t *InfoTable) pushed() (*pushedCond, uint64) { return t.cond, t.limit }

// withPushed implements pushTable: the read sends cond as its filter and
// stops after limit rows (InfoOptions.Limit).
func (t *InfoTable) withPushed(cond *pushedCond, limit uint64) pushTable {
	nt := *t
	nt.cond, nt.limit = cond, limit
	return &nt
}

// readOptions are the InfoOptions of a read of t.
func (t *InfoTable) readOptions() ndbapi.InfoOptions {
	var opts ndbapi.InfoOptions
	if t.cond != nil {
		opts.Filter = t.cond.prog
	}
	if t.limit > 0 && t.limit <= math.MaxInt32 {
		opts.Limit = int(t.limit)
	}
	return opts
}

// Partitions implements sql.Table: one partition (NdbInfoScan reads the
// data nodes in parallel by itself).
func (t *InfoTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &partitionIter{parts: []*partition{{}}}, nil
}

// PartitionRows implements sql.Table. The read happens at the first Next.
func (t *InfoTable) PartitionRows(_ *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	return &infoIter{t: t}, nil
}

// infoIter returns one read's rows, read at the first Next and then a
// batch at a time as the engine takes them.
type infoIter struct {
	t       *InfoTable
	scan    *ndbapi.InfoScan
	ended   bool
	counted uint64 // rows received and added to Stats.InfoRowsIn
}

// Next implements sql.RowIter.
func (it *infoIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.scan == nil {
		if it.ended {
			return nil, io.EOF
		}
		if err := it.start(ctx); err != nil {
			it.ended = true
			return nil, err
		}
	}
	r, ok := it.scan.Next()
	it.count()
	if !ok {
		err := it.scan.Err()
		it.finish()
		if err != nil {
			return nil, mysqlError(err)
		}
		return nil, io.EOF
	}
	return it.t.toRow(r)
}

// start starts the read, with the pushed condition and limit.
func (it *infoIter) start(ctx *sql.Context) error {
	t := it.t
	opts := t.readOptions()
	st := &t.p.stats
	if opts.Filter != nil {
		st.PushedScans.Add(1)
	}
	st.InfoReads.Add(1)
	scan, err := t.p.c.NdbInfoScan(ctx, t.it.Name, opts)
	if err != nil {
		return mysqlError(err)
	}
	it.scan = scan
	return nil
}

// count adds the rows received since the last call to Stats.InfoRowsIn.
func (it *infoIter) count() {
	if n := it.scan.Received(); n > it.counted {
		it.t.p.stats.InfoRowsIn.Add(n - it.counted)
		it.counted = n
	}
}

// finish ends the read: the data nodes drop what was not read.
func (it *infoIter) finish() {
	if it.scan != nil {
		it.scan.Close()
		it.count()
		it.scan = nil
	}
	it.ended = true
}

// Close implements sql.RowIter.
func (it *infoIter) Close(*sql.Context) error {
	it.finish()
	return nil
}

// toRow converts an ndbinfo row to the engine's row, projected.
func (t *InfoTable) toRow(r schema.Row) (sql.Row, error) {
	cols := t.proj
	n := len(cols)
	if cols == nil {
		n = len(t.sch)
	}
	out := make(sql.Row, n)
	for i := range out {
		c := i
		if cols != nil {
			c = cols[i]
		}
		v, err := value(r, c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// readOnlyError turns the engine's refusal of a write to the ndbinfo
// database into ER_OPEN_AS_READONLY naming the ndbinfo table the
// statement resolved last (the engine names only the database). Other
// errors pass unchanged.
func readOnlyError(err error, last *atomic.Pointer[ndbinfo.Table]) error {
	se, ok := err.(*mysql.SQLError)
	if !ok || se.Num != mysql.ERUnknownError || !strings.Contains(se.Message, readOnlyEngineText) {
		return err
	}
	name := InfoDatabase
	if last != nil {
		if t := last.Load(); t != nil {
			name = t.Name
		}
	}
	return errReadOnly(name)
}

// server_locks: NDB's SQL node view of cluster_locks joined to the
// server's connections. Every transaction of a session runs on the
// session's own Ndb, whose reference is the high 32 bits of the
// transaction id (API node << 16 | Ndb number), so the join goes by Ndb,
// as NDB's does (transid >> 32): each session registers its Ndb once,
// when it creates it (session.go), and removes it when it ends.

// ndbKey names an Ndb of this process: its cluster connection (tests
// run several in one process) and its reference.
type ndbKey struct {
	c   *ndbapi.Cluster
	ref uint32
}

// sessionNdbs maps each session's Ndb (ndbKey) to the session's
// connection id (uint32). It is process-wide because sessions reach
// their cluster, not their Provider; it holds one entry per connection
// with an Ndb, touched when the Ndb is created and when the session ends.
var sessionNdbs sync.Map

// registerSessionNdb records that ndb belongs to connection conn.
func registerSessionNdb(ndb *ndbapi.Ndb, conn uint32) {
	sessionNdbs.Store(ndbKey{ndb.Cluster(), ndb.Reference()}, conn)
}

// unregisterSessionNdb forgets ndb, unless a newer session's Ndb took its
// reference meanwhile. Call it before closing ndb.
func unregisterSessionNdb(ndb *ndbapi.Ndb, conn uint32) {
	sessionNdbs.CompareAndDelete(ndbKey{ndb.Cluster(), ndb.Reference()}, conn)
}

// sessionConn returns the connection whose Ndb has reference ref.
func sessionConn(c *ndbapi.Cluster, ref uint32) (uint32, bool) {
	v, ok := sessionNdbs.Load(ndbKey{c, ref})
	if !ok {
		return 0, false
	}
	return v.(uint32), true
}

// serverLocksDef is server_locks as a virtual table of its own (the data
// nodes do not serve it, and it has no id): mysql_connection_id, then
// cluster_locks' columns.
var serverLocksDef = newServerLocksDef()

// serverLocksSchema is its SQL schema.
var serverLocksSchema = infoSchema(serverLocksDef)

func newServerLocksDef() *ndbinfo.Table {
	cl, ok := ndbinfo.ByName("cluster_locks")
	if !ok {
		panic("sqlnode: the ndbinfo catalog has no cluster_locks")
	}
	cols := append([]ndbinfo.Column{{
		Column: schema.Column{Name: "mysql_connection_id", Type: schema.TypeBigInt, Unsigned: true},
		Doc:    "the connection of this SQL node whose transaction holds or waits for the lock (its CONNECTION_ID())",
	}}, cl.Columns...)
	def := &schema.Table{Name: "server_locks", Version: 1}
	for _, c := range cols {
		def.Columns = append(def.Columns, c.Column)
	}
	for _, k := range cl.Def.PrimaryKey {
		def.PrimaryKey = append(def.PrimaryKey, k+1)
	}
	lay, err := schema.NewLayout(def)
	if err != nil {
		panic("sqlnode: server_locks: " + err.Error())
	}
	return &ndbinfo.Table{Name: def.Name, Comment: "row locks held and waited for by the transactions of this SQL node's connections",
		Columns: cols, Def: def, Layout: lay}
}

// serverLocks is the engine's view of server_locks. The engine evaluates
// its WHERE (the rows are this SQL node's locks only); the read sends
// the data nodes a filter on the transaction id's API node.
type serverLocks struct{ p *Provider }

var (
	_ sql.Table            = (*serverLocks)(nil)
	_ sql.CommentedTable   = (*serverLocks)(nil)
	_ sql.InsertableTable  = (*serverLocks)(nil)
	_ sql.ReplaceableTable = (*serverLocks)(nil)
)

// Name implements sql.Nameable.
func (t *serverLocks) Name() string { return serverLocksDef.Name }

// String implements fmt.Stringer.
func (t *serverLocks) String() string { return serverLocksDef.Name }

// Schema implements sql.Table.
func (t *serverLocks) Schema(*sql.Context) sql.Schema { return serverLocksSchema }

// Collation implements sql.Table.
func (t *serverLocks) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }

// Comment implements sql.CommentedTable.
func (t *serverLocks) Comment() string { return serverLocksDef.Comment }

// Inserter implements sql.InsertableTable, as InfoTable's.
func (t *serverLocks) Inserter(*sql.Context) sql.RowInserter {
	return readOnlyEditor{serverLocksDef.Name}
}

// Replacer implements sql.ReplaceableTable, as InfoTable's.
func (t *serverLocks) Replacer(*sql.Context) sql.RowReplacer {
	return readOnlyEditor{serverLocksDef.Name}
}

// Partitions implements sql.Table: one partition.
func (t *serverLocks) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &partitionIter{parts: []*partition{{}}}, nil
}

// PartitionRows implements sql.Table: the rows are read here, whole (a
// node's locks of one SQL node are few).
func (t *serverLocks) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	rows, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	return sql.RowsToRowIter(rows...), nil
}

// read reads cluster_locks of this API node's transactions (the filter
// runs on the data nodes) and keeps the rows of transactions of this SQL
// node's connections, each with its connection's id first.
func (t *serverLocks) read(ctx *sql.Context) ([]sql.Row, error) {
	c := t.p.c
	cl, _ := ndbinfo.ByName("cluster_locks")
	col := cl.Column("transid")
	self := uint64(c.NodeID())
	b := filter.NewBuilder(cl.Layout)
	b.Between(col, filter.Uint(self<<48), filter.Uint(self<<48|(1<<48-1)))
	prog, err := b.Program()
	if err != nil {
		return nil, err
	}
	st := &t.p.stats
	st.InfoReads.Add(1)
	st.PushedScans.Add(1)
	res, err := c.NdbInfo(ctx, cl.Name, ndbapi.InfoOptions{Filter: prog})
	if err != nil {
		return nil, mysqlError(err)
	}
	st.InfoRowsIn.Add(uint64(len(res.Rows)))
	var out []sql.Row
	for _, r := range res.Rows {
		conn, ok := sessionConn(c, uint32(r.Uint64(col)>>32))
		if !ok {
			continue // a transaction of no session (DDL, AUTO_INCREMENT ranges)
		}
		row := make(sql.Row, 1, 1+len(cl.Columns))
		row[0] = uint64(conn)
		for i := range cl.Columns {
			v, err := value(r, i)
			if err != nil {
				return nil, err
			}
			row = append(row, v)
		}
		out = append(out, row)
	}
	return out, nil
}
