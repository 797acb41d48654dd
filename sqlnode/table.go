package sqlnode

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// Table is one dictionary table as the engine sees it. It is shared by
// every session; per-session state (the Ndb, the open transaction) lives
// in the Session found through the *sql.Context. A copy with projections
// reads only the named columns.
type Table struct {
	p      *Provider
	db     string
	name   string
	nt     *ndbapi.Table
	def    *schema.Table
	sch    sql.Schema // every column, in definition order
	pkOrds []int
	idx    []*Index
	proj   []int // projected column numbers; nil: all
	pnames []string
	psch   sql.Schema
	cond   *pushedCond // pushed condition (rules.go); nil: none
	limit  uint64      // rows the statement needs at most (rules.go); 0: all
	auto   *autoInc    // the AUTO_INCREMENT column's counter; nil: none
	rbs    *sync.Pool  // row builders (rowBuilder), shared by the copies
}

// rowBuilder returns a reset row builder of the table; putRowBuilder
// gives it back.
func (t *Table) rowBuilder() *schema.RowBuilder {
	if x := t.rbs.Get(); x != nil {
		rb := x.(*schema.RowBuilder)
		rb.Reset()
		return rb
	}
	return t.nt.NewRowBuilder()
}

func (t *Table) putRowBuilder(rb *schema.RowBuilder) { t.rbs.Put(rb) }

var (
	_ sql.Table               = (*Table)(nil)
	_ sql.ProjectedTable      = (*Table)(nil)
	_ sql.IndexAddressable    = (*Table)(nil)
	_ sql.IndexedTable        = (*Table)(nil)
	_ sql.IndexAlterableTable = (*Table)(nil)
	_ sql.InsertableTable     = (*Table)(nil)
	_ sql.UpdatableTable      = (*Table)(nil)
	_ sql.DeletableTable      = (*Table)(nil)
	_ sql.ReplaceableTable    = (*Table)(nil)
	_ sql.PrimaryKeyTable     = (*Table)(nil)
	_ sql.CommentedTable      = (*Table)(nil)
	_ sql.OrderedIndex        = (*Index)(nil)
	_ sql.PartitionIter       = (*partitionIter)(nil)
	_ sql.RowIter             = (*rowIter)(nil)
	_ sql.Partition           = (*partition)(nil)
	_ sql.TableEditor         = (*editor)(nil)
)

func newTable(p *Provider, db string, nt *ndbapi.Table, meta *tableMeta) (*Table, error) {
	_, name := splitName(nt.Name())
	t := &Table{p: p, db: db, name: name, nt: nt, def: nt.Def, rbs: &sync.Pool{}}
	inPK := map[int]bool{}
	for _, k := range t.def.PrimaryKey {
		inPK[k] = true
	}
	for i := range t.def.Columns {
		c := &t.def.Columns[i]
		typ, err := sqlType(c)
		if err != nil {
			return nil, err
		}
		t.sch = append(t.sch, &sql.Column{Name: c.Name, Type: typ, Nullable: c.Nullable, Source: name, DatabaseSource: db, PrimaryKey: inPK[i]})
	}
	if meta != nil && meta.AutoInc != "" {
		if c := t.def.Column(meta.AutoInc); c >= 0 && autoIncColumn(&t.def.Columns[c]) == nil {
			t.sch[c].AutoIncrement, t.sch[c].Extra = true, "auto_increment"
			t.auto = newAutoInc(nt, c)
		}
	}
	if err := t.setDefaults(meta); err != nil {
		return nil, err
	}
	t.pkOrds = append([]int(nil), t.def.PrimaryKey...)
	t.idx = append(t.idx, &Index{t: t, id: "PRIMARY", pos: -1, cols: t.def.PrimaryKey, unique: true, ord: nt.Index(primaryOrdered)})
	for i := range t.def.Indexes {
		ix := &t.def.Indexes[i]
		if ix.Kind == schema.IndexDropped || strings.HasSuffix(ix.Name, ordSuffix) {
			continue // a dropped index's place, or the ordered companion of a key
		}
		x := &Index{t: t, id: ix.Name, pos: i, cols: ix.Columns, unique: ix.Kind == schema.IndexUniqueHash, ord: -1}
		if x.unique {
			x.ord = ordCompanion(nt, ix.Name)
		} else {
			x.ord = i
		}
		t.idx = append(t.idx, x)
	}
	return t, nil
}

// Name implements sql.Nameable.
func (t *Table) Name() string { return t.name }

// String implements fmt.Stringer.
func (t *Table) String() string { return t.name }

// Schema implements sql.Table: the projected columns, if projected.
func (t *Table) Schema(*sql.Context) sql.Schema {
	if t.proj != nil {
		return t.psch
	}
	return t.sch
}

// Collation implements sql.Table.
func (t *Table) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }

// Comment implements sql.CommentedTable: the NDB_TABLE options.
func (t *Table) Comment() string { return ndbComment(t.def) }

// PrimaryKeySchema implements sql.PrimaryKeyTable.
func (t *Table) PrimaryKeySchema(*sql.Context) sql.PrimaryKeySchema {
	return sql.NewPrimaryKeySchema(t.sch, t.pkOrds...)
}

// WithProjections implements sql.ProjectedTable.
func (t *Table) WithProjections(_ *sql.Context, names []string) (sql.Table, error) {
	nt := *t
	nt.proj, nt.pnames, nt.psch = make([]int, 0, len(names)), names, make(sql.Schema, 0, len(names))
	for _, n := range names {
		c := t.def.Column(n)
		if c < 0 {
			return nil, sql.ErrTableColumnNotFound.New(t.name, n)
		}
		nt.proj = append(nt.proj, c)
		nt.psch = append(nt.psch, t.sch[c])
	}
	return &nt, nil
}

// Projections implements sql.ProjectedTable.
func (t *Table) Projections() []string { return t.pnames }

// GetIndexes implements sql.IndexAddressable.
func (t *Table) GetIndexes(*sql.Context) ([]sql.Index, error) {
	out := make([]sql.Index, len(t.idx))
	for i, x := range t.idx {
		out[i] = x
	}
	return out, nil
}

// PreciseMatch implements sql.IndexAddressable: false, so the engine
// re-checks every condition above the table and an access may return a
// superset of the rows (it does when a bound cannot be encoded exactly).
func (t *Table) PreciseMatch() bool { return false }

// IndexedAccess implements sql.IndexAddressable.
func (t *Table) IndexedAccess(*sql.Context, sql.IndexLookup) sql.IndexedTable { return t }

// Partitions implements sql.Table: one partition; the cluster scans the
// fragments in parallel by itself.
func (t *Table) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &partitionIter{parts: []*partition{{}}}, nil
}

// LookupPartitions implements sql.IndexedTable.
func (t *Table) LookupPartitions(_ *sql.Context, l sql.IndexLookup) (sql.PartitionIter, error) {
	return &partitionIter{parts: []*partition{{lookup: &l}}}, nil
}

// PartitionRows implements sql.Table.
func (t *Table) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	part, ok := p.(*partition)
	if !ok {
		return nil, fmt.Errorf("sqlnode: table %s: foreign partition %T", t.name, p)
	}
	it := &rowIter{t: t, s: s, cond: t.cond, limit: t.limit}
	s.mu.Lock()
	defer s.mu.Unlock()
	it.lock = s.readLock(ctx, t)
	// The data nodes evaluate a pushed condition on the committed row; a
	// read of a table the open transaction wrote sees the transaction's
	// own versions, so the condition is checked here instead.
	it.local = it.cond != nil && it.lock.inTx && s.written[t.def.ID]
	if part.lookup == nil {
		it.specs = []scanSpec{{index: -1}}
	} else if err := t.planLookup(ctx, s, part.lookup, it); err != nil {
		return nil, err
	}
	return it, nil
}

// toRow converts a storage row to the engine's row, projected.
func (t *Table) toRow(r schema.Row) (sql.Row, error) {
	if t.proj == nil {
		out := make(sql.Row, len(t.def.Columns))
		for c := range out {
			v, err := value(r, c)
			if err != nil {
				return nil, err
			}
			out[c] = v
		}
		return out, nil
	}
	out := make(sql.Row, len(t.proj))
	for i, c := range t.proj {
		v, err := value(r, c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type partition struct{ lookup *sql.IndexLookup }

func (p *partition) Key() []byte { return nil }

type partitionIter struct {
	parts []*partition
	i     int
}

func (it *partitionIter) Next(*sql.Context) (sql.Partition, error) {
	if it.i >= len(it.parts) {
		return nil, io.EOF
	}
	it.i++
	return it.parts[it.i-1], nil
}

func (it *partitionIter) Close(*sql.Context) error { return nil }

// Index is a primary key, unique or ordered index as the engine sees it.
type Index struct {
	t      *Table
	id     string
	pos    int   // position in Def.Indexes; -1 for PRIMARY
	cols   []int // column numbers
	unique bool
	ord    int // ordered index for ranges: itself, the companion of a key, or -1
}

func (x *Index) ID() string       { return x.id }
func (x *Index) Database() string { return x.t.db }
func (x *Index) Table() string    { return x.t.name }
func (x *Index) Expressions() []string {
	out := make([]string, len(x.cols))
	for i, c := range x.cols {
		out[i] = x.t.name + "." + x.t.def.Columns[c].Name
	}
	return out
}
func (x *Index) IsUnique() bool   { return x.unique }
func (x *Index) IsSpatial() bool  { return false }
func (x *Index) IsFullText() bool { return false }
func (x *Index) IsVector() bool   { return false }
func (x *Index) Comment() string  { return "" }
func (x *Index) IndexType() string {
	if x.ord < 0 {
		return "HASH"
	}
	return "BTREE"
}
func (x *Index) IsGenerated() bool { return false }
func (x *Index) ColumnExpressionTypes(*sql.Context) []sql.ColumnExpressionType {
	ex := x.Expressions()
	out := make([]sql.ColumnExpressionType, len(x.cols))
	for i, c := range x.cols {
		out[i] = sql.ColumnExpressionType{Expression: ex[i], Type: x.t.sch[c].Type}
	}
	return out
}
func (x *Index) CanSupport(*sql.Context, ...sql.Range) bool { return true }
func (x *Index) CanSupportOrderBy(sql.Expression) bool      { return false }

// Order implements sql.OrderedIndex: an index with an ordered index
// returns rows in its order (the scans merge the fragments' streams), so
// the engine drops a sort by the index's columns.
func (x *Index) Order(*sql.Context) sql.IndexOrder {
	if x.ord < 0 {
		return sql.IndexOrderNone
	}
	return sql.IndexOrderAsc
}

// Reversible implements sql.OrderedIndex: ordered scans run descending too.
func (x *Index) Reversible(*sql.Context) bool { return x.ord >= 0 }
func (x *Index) PrefixLengths() []uint16      { return nil }
