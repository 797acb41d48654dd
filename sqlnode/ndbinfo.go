package sqlnode

import (
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema"
)

// The ndbinfo database (docs/ndbinfo.md, "From SQL"): the monitoring
// tables of the ndbinfo catalog, read-only, under NDB's names. A SELECT
// reads a table with Cluster.NdbInfo, every data node's rows merged; the
// WHERE conjuncts the data nodes evaluate exactly are pushed down as for
// ordinary tables (rules.go), and sent as InfoOptions.Filter. Writes and
// DDL are refused by the engine (the database is a sql.ReadOnlyDatabase)
// and reported as ER_OPEN_AS_READONLY (handler.go).

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
		t := &InfoTable{p: p, it: it}
		for i := range it.Def.Columns {
			c := &it.Def.Columns[i]
			typ, err := sqlType(c)
			if err != nil {
				panic("sqlnode: ndbinfo table " + it.Name + ": " + err.Error())
			}
			t.sch = append(t.sch, &sql.Column{Name: c.Name, Type: typ, Nullable: c.Nullable, Source: it.Name,
				DatabaseSource: InfoDatabase, Comment: it.Columns[i].Doc})
		}
		out[strings.ToLower(it.Name)] = t
	}
	return out
}

// infoDatabase is the ndbinfo database: read-only, its tables the
// catalog's.
type infoDatabase struct{ p *Provider }

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
	t, ok := d.p.info[strings.ToLower(name)]
	if !ok {
		return nil, false, nil
	}
	if s, ok := ctx.Session.(*Session); ok {
		s.lastInfo.Store(t.it)
	}
	return t, true, nil
}

// GetTableNames implements sql.Database.
func (d *infoDatabase) GetTableNames(*sql.Context) ([]string, error) {
	out := make([]string, 0, len(d.p.info))
	for _, t := range d.p.info {
		out = append(out, t.it.Name)
	}
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

// pushed implements pushTable: NdbInfo has no early stop, so no limit.
func (t *InfoTable) pushed() (*pushedCond, uint64) { return t.cond, 0 }

// withPushed implements pushTable; the limit is not kept (see pushed).
func (t *InfoTable) withPushed(cond *pushedCond, _ uint64) pushTable {
	nt := *t
	nt.cond = cond
	return &nt
}

// Partitions implements sql.Table: one partition (NdbInfo reads the data
// nodes in parallel by itself).
func (t *InfoTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &partitionIter{parts: []*partition{{}}}, nil
}

// PartitionRows implements sql.Table. The read happens at the first Next.
func (t *InfoTable) PartitionRows(_ *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	return &infoIter{t: t}, nil
}

// infoIter returns one read's rows.
type infoIter struct {
	t       *InfoTable
	fetched bool
	rows    []schema.Row
}

// Next implements sql.RowIter.
func (it *infoIter) Next(ctx *sql.Context) (sql.Row, error) {
	if !it.fetched {
		it.fetched = true
		if err := it.fetch(ctx); err != nil {
			return nil, err
		}
	}
	if len(it.rows) == 0 {
		return nil, io.EOF
	}
	r := it.rows[0]
	it.rows = it.rows[1:]
	return it.t.toRow(r)
}

// fetch reads the table from the data nodes, with the pushed condition.
func (it *infoIter) fetch(ctx *sql.Context) error {
	t := it.t
	var opts ndbapi.InfoOptions
	st := &t.p.stats
	if t.cond != nil {
		opts.Filter = t.cond.prog
		st.PushedScans.Add(1)
	}
	st.InfoReads.Add(1)
	res, err := t.p.c.NdbInfo(ctx, t.it.Name, opts)
	if err != nil {
		return mysqlError(err)
	}
	st.InfoRowsIn.Add(uint64(len(res.Rows)))
	it.rows = res.Rows
	return nil
}

// Close implements sql.RowIter.
func (it *infoIter) Close(*sql.Context) error {
	it.rows = nil
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
