package sqlnode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// CREATE TABLE. The engine calls Database.CreateTable with the columns
// only, then Table.CreateIndex per secondary index; the whole definition
// is created at once (an index added later is a new table version, built
// online: CreateIndex). A
// CREATE TABLE hook (createTableHook) keeps the statement's plan node in
// the session; CreateTable takes the indexes and table options from it
// and the PARTITION BY clause from the statement text (the engine's
// planner drops it), and the engine's later CreateIndex calls find their
// index already there.

// MySQL error numbers of index DDL.
const (
	erDupKeyName        = 1061 // Duplicate key name '%s'
	erWrongNameForIndex = 1280 // Incorrect index name '%s'
)

// ordSuffix names the ordered index NDB creates beside a primary key or
// unique index so that ranges on its columns are index scans. Such
// indexes are not shown to the engine as indexes of their own.
const ordSuffix = "$ord"

// primaryOrdered is the ordered index beside the primary key.
const primaryOrdered = "PRIMARY" + ordSuffix

// createTableHook is the engine's CREATE TABLE PreSQLExecution hook: it
// names unnamed indexes (as MySQL does: the first column, then _2, _3)
// and keeps the node for Database.CreateTable.
func createTableHook(ctx *sql.Context, _ sql.StatementRunner, n sql.Node) (sql.Node, error) {
	ct, ok := n.(*plan.CreateTable)
	if !ok {
		return n, nil
	}
	used := map[string]bool{"primary": true}
	for _, ix := range ct.Indexes() {
		if ix.Name != "" {
			used[strings.ToLower(ix.Name)] = true
		}
	}
	for _, ix := range ct.Indexes() {
		if ix.Name != "" || ix.IsPrimary() || len(ix.Columns) == 0 {
			continue
		}
		name := ix.Columns[0].Name
		for i := 2; used[strings.ToLower(name)]; i++ {
			name = fmt.Sprintf("%s_%d", ix.Columns[0].Name, i)
		}
		used[strings.ToLower(name)] = true
		ix.Name = name
	}
	if s, ok := ctx.Session.(*Session); ok {
		s.pendingCreate = ct
	}
	return n, nil
}

// CreateTable implements sql.TableCreator.
func (d *Database) CreateTable(ctx *sql.Context, name string, sch sql.PrimaryKeySchema, collation sql.CollationID, comment string) error {
	var ct *plan.CreateTable
	if s, ok := ctx.Session.(*Session); ok && s.pendingCreate != nil {
		if strings.EqualFold(s.pendingCreate.Name(), name) {
			ct = s.pendingCreate
		}
		s.pendingCreate = nil
	}
	if strings.ContainsRune(name, '/') && !strings.EqualFold(d.name, DefaultDatabase) {
		return errNotSupported("table names containing '/' outside database %s", DefaultDatabase)
	}
	def, warns, err := tableDef(ctx, dictName(d.name, name), sch, ct, comment)
	if err != nil {
		return err
	}
	meta, err := sqlMeta(ctx, sch.Schema)
	if err != nil {
		return err
	}
	if _, ok, err := d.p.table(ctx, d.name, name); err != nil {
		return err
	} else if ok {
		return sql.ErrTableAlreadyExists.New(name)
	}
	// The metadata goes first: a SQL node that sees the table sees it.
	if err := d.p.writeMeta(ctx, def.Name, meta); err != nil {
		return sqlErr(1005, "HY000", "Can't create table '%s.%s' (SQL metadata: %v)", d.name, name, err)
	}
	nt, err := d.p.c.CreateTable(ctx, def)
	d.p.invalidate()
	if err != nil {
		if strings.Contains(err.Error(), "exists") {
			return sql.ErrTableAlreadyExists.New(name)
		}
		return sqlErr(1005, "HY000", "Can't create table '%s.%s' (%v)", d.name, name, err)
	}
	if meta.AutoInc != "" {
		if err := d.p.metaNdb(func(ndb *ndbapi.Ndb) error { return ndb.SetAutoIncrement(ctx, nt, 1) }); err != nil {
			return sqlErr(1005, "HY000", "Can't create table '%s.%s' (auto-increment counter: %v)", d.name, name, err)
		}
	}
	for _, w := range warns {
		ctx.Warn(w.code, "%s", w.msg)
	}
	return nil
}

// sqlMeta is the SQL metadata of a new table's columns: its
// AUTO_INCREMENT column and literal defaults (meta.go).
func sqlMeta(ctx *sql.Context, sch sql.Schema) (*tableMeta, error) {
	m := &tableMeta{}
	for _, c := range sch {
		if c.AutoIncrement {
			if m.AutoInc != "" {
				return nil, sql.ErrInvalidAutoIncCols.New()
			}
			m.AutoInc = c.Name
		}
		if c.Default == nil || isNullDefault(c.Default) {
			continue
		}
		v, err := c.Default.Eval(ctx, nil)
		if err != nil {
			return nil, err
		}
		dv, err := encodeDefault(ctx, c, v)
		if err != nil {
			return nil, err
		}
		if m.Defaults == nil {
			m.Defaults = map[string]defaultValue{}
		}
		m.Defaults[c.Name] = dv
	}
	return m, nil
}

type warning struct {
	code int
	msg  string
}

// tableDef builds the storage definition of a new table.
func tableDef(ctx *sql.Context, dict string, sch sql.PrimaryKeySchema, ct *plan.CreateTable, comment string) (*schema.Table, []warning, error) {
	def := &schema.Table{Name: dict}
	var warns []warning
	for _, c := range sch.Schema {
		col, err := columnFromSQL(c)
		if err != nil {
			return nil, nil, err
		}
		def.Columns = append(def.Columns, col)
	}
	if len(sch.PkOrdinals) == 0 {
		return nil, nil, sqlErr(1173, "42000", "This table type requires a primary key (gondb has no hidden primary key yet)")
	}
	def.PrimaryKey = append([]int(nil), sch.PkOrdinals...)
	def.Indexes = append(def.Indexes, schema.Index{Name: primaryOrdered, Kind: schema.IndexOrdered, Columns: def.PrimaryKey})
	if ct != nil {
		for _, ix := range ct.Indexes() {
			if ix.IsPrimary() {
				continue
			}
			if ix.IsFullText() || ix.IsSpatial() || ix.IsVector() {
				return nil, nil, errNotSupported("index %s: FULLTEXT, SPATIAL and VECTOR indexes", ix.Name)
			}
			var cols []int
			for _, ic := range ix.Columns {
				if ic.Length > 0 {
					return nil, nil, errNotSupported("index %s: prefix index on %s", ix.Name, ic.Name)
				}
				c := def.Column(ic.Name)
				if c < 0 {
					return nil, nil, sql.ErrKeyColumnDoesNotExist.New(ic.Name)
				}
				cols = append(cols, c)
			}
			if ix.IsUnique() {
				def.Indexes = append(def.Indexes, schema.Index{Name: ix.Name, Kind: schema.IndexUniqueHash, Columns: cols})
				if ix.Storage != sql.IndexUsing_Hash {
					def.Indexes = append(def.Indexes, schema.Index{Name: ix.Name + ordSuffix, Kind: schema.IndexOrdered, Columns: cols})
				}
			} else {
				def.Indexes = append(def.Indexes, schema.Index{Name: ix.Name, Kind: schema.IndexOrdered, Columns: cols})
			}
		}
		if e, ok := ct.TableOpts["engine"].(string); ok && e != "" && !strings.EqualFold(e, "ndb") && !strings.EqualFold(e, "ndbcluster") {
			warns = append(warns, warning{erWarnOtherHandler, fmt.Sprintf("Using storage engine ndbcluster for table '%s' (ENGINE=%s asked)", ct.Name(), e)})
		}
	}
	if comment != "" {
		rb, fr, rest, err := parseNDBComment(comment)
		if err != nil {
			return nil, nil, err
		}
		def.ReadBackup, def.FullyReplicated = rb || fr, fr
		if rest != "" {
			warns = append(warns, warning{erIllegalHaOption, "table comments are not stored yet; only NDB_TABLE options are kept"})
		}
	}
	unsignedReals(ctx.Query(), def)
	dist, w, err := partitionKey(ctx.Query(), def)
	if err != nil {
		return nil, nil, err
	}
	def.DistributionKey = dist
	warns = append(warns, w...)
	if err := def.Validate(); err != nil {
		return nil, nil, errNotSupported("%v", err)
	}
	if _, err := schema.NewLayout(def); err != nil {
		return nil, nil, errNotSupported("%v", err)
	}
	return def, warns, nil
}

// parseNDBComment reads NDB_TABLE=READ_BACKUP=1,FULLY_REPLICATED=1 from a
// table comment; rest is whatever else the comment says.
func parseNDBComment(c string) (readBackup, fullyReplicated bool, rest string, err error) {
	i := strings.Index(strings.ToUpper(c), "NDB_TABLE=")
	if i < 0 {
		return false, false, c, nil
	}
	opts := c[i+len("NDB_TABLE="):]
	end := strings.IndexAny(opts, " \t\n")
	if end < 0 {
		end = len(opts)
	}
	rest = strings.TrimSpace(c[:i] + opts[end:])
	for _, kv := range strings.Split(opts[:end], ",") {
		k, v, _ := strings.Cut(kv, "=")
		on := v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "on")
		if !on && v != "0" && !strings.EqualFold(v, "false") && !strings.EqualFold(v, "off") {
			return false, false, "", sqlErr(erIllegalHaOption, "HY000", "NDB_TABLE option %s: value %q is not 0 or 1", k, v)
		}
		switch strings.ToUpper(k) {
		case "READ_BACKUP":
			readBackup = on
		case "FULLY_REPLICATED":
			fullyReplicated = on
		default:
			return false, false, "", errNotSupported("NDB_TABLE option %s (READ_BACKUP and FULLY_REPLICATED are)", k)
		}
	}
	return readBackup, fullyReplicated, rest, nil
}

// ndbComment is the comment SHOW CREATE TABLE shows for a table's options.
func ndbComment(t *schema.Table) string {
	switch {
	case t.FullyReplicated:
		return "NDB_TABLE=FULLY_REPLICATED=1"
	case t.ReadBackup:
		return "NDB_TABLE=READ_BACKUP=1"
	}
	return ""
}

// unsignedReals marks the FLOAT, DOUBLE and DECIMAL columns a CREATE
// TABLE statement declares UNSIGNED (or ZEROFILL, which implies it):
// the engine's planner drops the attribute from these types, the
// dictionary keeps it, and a negative value is refused with 1264 (as
// MySQL and MariaDB do in strict mode) by the row builder and setValue.
func unsignedReals(query string, def *schema.Table) {
	lq := strings.ToLower(query)
	if !strings.Contains(lq, "unsigned") && !strings.Contains(lq, "zerofill") {
		return
	}
	st, err := ast.Parse(query)
	if err != nil {
		return
	}
	ddl, ok := st.(*ast.DDL)
	if !ok || ddl.TableSpec == nil {
		return
	}
	for _, cd := range ddl.TableSpec.Columns {
		if !cd.Type.Unsigned && !cd.Type.Zerofill {
			continue
		}
		switch strings.ToLower(cd.Type.Type) {
		case "float", "double", "real", "double precision", "decimal", "dec", "numeric", "fixed":
		default:
			continue
		}
		if c := def.Column(cd.Name.String()); c >= 0 {
			switch def.Columns[c].Type {
			case schema.TypeFloat, schema.TypeDouble, schema.TypeDecimal:
				def.Columns[c].Unsigned = true
			}
		}
	}
}

// partitionKey reads PARTITION BY KEY(cols) from a CREATE TABLE
// statement's text, which the engine's planner does not keep. The key
// columns must be part of the primary key, as in MySQL.
func partitionKey(query string, def *schema.Table) ([]int, []warning, error) {
	if query == "" || !strings.Contains(strings.ToLower(query), "partition") {
		return nil, nil, nil
	}
	st, err := ast.Parse(query)
	if err != nil {
		return nil, nil, nil // a statement the engine parsed another way; no partition clause
	}
	ddl, ok := st.(*ast.DDL)
	if !ok || ddl.TableSpec == nil || ddl.TableSpec.PartitionOpt == nil {
		return nil, nil, nil
	}
	po := ddl.TableSpec.PartitionOpt
	if !strings.EqualFold(po.PartitionType, "KEY") || po.SubPartition != nil || len(po.Definitions) > 0 || po.IsLinear {
		return nil, nil, errNotSupported("PARTITION BY %s (only PARTITION BY KEY(columns) is)", po.PartitionType)
	}
	var warns []warning
	if po.Partitions != nil {
		warns = append(warns, warning{erIllegalHaOption, "PARTITIONS n is ignored: the cluster gives every table PartitionsPerNode x data nodes fragments"})
	}
	inPK := map[int]bool{}
	for _, k := range def.PrimaryKey {
		inPK[k] = true
	}
	var out []int
	for _, c := range po.ColList {
		i := def.Column(c.String())
		if i < 0 {
			return nil, nil, sql.ErrKeyColumnDoesNotExist.New(c.String())
		}
		if !inPK[i] {
			return nil, nil, sqlErr(1503, "HY000", "A PRIMARY KEY must include all columns in the table's partitioning function (%s)", c.String())
		}
		out = append(out, i)
	}
	return out, warns, nil
}

// CreateIndex implements sql.IndexAlterableTable. The engine calls it
// for each index of a CREATE TABLE, which CreateTable made already, and
// for CREATE INDEX and ALTER TABLE ... ADD INDEX, which add an ordered
// index to the table while it serves reads and writes
// (ndbapi.Cluster.CreateIndex): the statement returns once the index is
// built on every data node. UNIQUE on an existing table is not supported
// yet (its hidden table would have to be filled from the rows).
func (t *Table) CreateIndex(ctx *sql.Context, def sql.IndexDef) error {
	if i := t.indexNamed(def.Name); i >= 0 {
		if inCreateTable(ctx.Query()) {
			return nil
		}
		return sqlErr(erDupKeyName, "42000", "Duplicate key name '%s'", def.Name)
	}
	switch {
	case def.IsPrimary():
		return errNotSupported("adding a PRIMARY KEY to an existing table")
	case def.IsFullText() || def.IsSpatial() || def.IsVector():
		return errNotSupported("index %s: FULLTEXT, SPATIAL and VECTOR indexes", def.Name)
	case def.IsUnique():
		return errNotSupported("UNIQUE index %s on an existing table (declare UNIQUE keys in CREATE TABLE)", def.Name)
	case def.Storage == sql.IndexUsing_Hash:
		return errNotSupported("USING HASH on the non-unique index %s (ordered indexes are BTREE)", def.Name)
	}
	if def.Name == "" || strings.HasSuffix(def.Name, ordSuffix) || strings.EqualFold(def.Name, "PRIMARY") {
		return sqlErr(erWrongNameForIndex, "42000", "Incorrect index name '%s'", def.Name)
	}
	var cols []int
	for _, ic := range def.Columns {
		if ic.Length > 0 {
			return errNotSupported("index %s: prefix index on %s", def.Name, ic.Name)
		}
		c := t.def.Column(ic.Name)
		if c < 0 {
			return sql.ErrKeyColumnDoesNotExist.New(ic.Name)
		}
		cols = append(cols, c)
	}
	_, err := t.p.c.CreateIndex(ctx, t.nt.Name(), schema.Index{Name: def.Name, Kind: schema.IndexOrdered, Columns: cols})
	t.p.invalidate()
	return t.indexErr("create index "+def.Name, err)
}

// DropIndex implements sql.IndexAlterableTable: DROP INDEX and ALTER
// TABLE ... DROP INDEX, online (ndbapi.Cluster.DropIndex). A unique
// index goes with its ordered companion.
func (t *Table) DropIndex(ctx *sql.Context, name string) error {
	if strings.EqualFold(name, "PRIMARY") {
		return errNotSupported("dropping the primary key")
	}
	i := t.indexNamed(name)
	if i < 0 {
		return sql.ErrCantDropFieldOrKey.New(name)
	}
	ix := &t.def.Indexes[i]
	names := []string{ix.Name}
	if ix.Kind == schema.IndexUniqueHash {
		if o := t.nt.Index(ix.Name + ordSuffix); o >= 0 {
			names = append(names, ix.Name+ordSuffix)
		}
	}
	_, err := t.p.c.DropIndex(ctx, t.nt.Name(), names...)
	t.p.invalidate()
	if errors.Is(err, ndbapi.ErrNoSuchIndex) { // dropped meanwhile by another SQL node
		return sql.ErrCantDropFieldOrKey.New(name)
	}
	return t.indexErr("drop index "+name, err)
}

// indexNamed is the position in the definition of the index the engine
// knows as name (without case), or -1: never a dropped place or an
// ordered companion ($ord), which the engine does not see.
func (t *Table) indexNamed(name string) int {
	for i := range t.def.Indexes {
		ix := &t.def.Indexes[i]
		if ix.Kind != schema.IndexDropped && !strings.HasSuffix(ix.Name, ordSuffix) && strings.EqualFold(ix.Name, name) {
			return i
		}
	}
	return -1
}

// indexErr maps an error of CREATE or DROP INDEX to a MySQL error.
func (t *Table) indexErr(what string, err error) error {
	var ne *ndbapi.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ndbapi.ErrIndexExists):
		return sqlErr(erDupKeyName, "42000", "Duplicate key name (%v)", err)
	case errors.Is(err, ndbapi.ErrNoSuchTable):
		return sql.ErrTableNotFound.New(t.name)
	case errors.Is(err, schema.ErrUnsupportedChange):
		return errNotSupported("%s: %v", what, err)
	case errors.As(err, &ne):
		return mysqlError(err)
	}
	return sqlErr(erGetErrmsg, "HY000", "Got error '%s: %v' from NDBCLUSTER", what, err)
}

// inCreateTable reports whether query is a CREATE TABLE statement (the
// engine adds the indexes of a new table with CreateIndex calls).
func inCreateTable(query string) bool {
	st, err := ast.Parse(query)
	if err != nil {
		return false
	}
	ddl, ok := st.(*ast.DDL)
	return ok && ddl.Action == ast.CreateStr
}

// RenameIndex implements sql.IndexAlterableTable.
func (t *Table) RenameIndex(*sql.Context, string, string) error {
	return errNotSupported("RENAME INDEX (drop the index and create it under the new name)")
}

var errNoSession = errors.New("sqlnode: the statement has no SQL node session")

// ensure the hidden ordered companion indexes exist only where the table
// has the matching key (tables created through ndbapi may lack them).
func ordCompanion(t *ndbapi.Table, name string) int {
	return t.Index(name + ordSuffix)
}
