package ndbinfo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gondb/gondb/schema"
)

// IDBase is the first virtual table id: table n of the catalog has id
// IDBase + n. Dictionary tables have ids below 2^23, and hidden
// unique-index tables (dih.HiddenTableID) have the top bit set, so the
// range [IDBase, 2^31) is free for ndbinfo.
const IDBase uint32 = 0x7FF00000

// Column is one column of a virtual table: its schema definition and what
// it means (docs/ndbinfo.md).
type Column struct {
	schema.Column
	Doc string
}

// Table is one virtual table.
type Table struct {
	ID      uint32
	Name    string // NDB's name
	Comment string // what the table shows
	// Global tables describe the cluster rather than one data node (they
	// have no node_id column): the API reads them from one data node only.
	Global  bool
	Columns []Column
	// Def and Layout are the table as schema sees it: rows are built with
	// schema.NewRowBuilder(Layout) and read with Layout.RowOf.
	Def    *schema.Table
	Layout *schema.Layout
}

// Column returns the number of the named column (case-insensitive), or -1.
func (t *Table) Column(name string) int { return t.Def.Column(name) }

// NodeColumn is the number of the node_id column, or -1 (global tables).
func (t *Table) NodeColumn() int { return t.Column("node_id") }

// Tables returns every virtual table, ordered by id.
func Tables() []*Table { return slices.Clone(catalog) }

// ByName returns the named table (case-insensitive; an "ndbinfo." prefix
// is allowed).
func ByName(name string) (*Table, bool) {
	name = strings.ToLower(strings.TrimPrefix(strings.ToLower(name), "ndbinfo."))
	t, ok := byName[name]
	return t, ok
}

// ByID returns the table with id id.
func ByID(id uint32) (*Table, bool) {
	if id < IDBase+1 || id >= IDBase+1+uint32(len(catalog)) {
		return nil, false
	}
	return catalog[id-IDBase-1], true
}

var (
	catalog []*Table
	byName  = map[string]*Table{}
)

// def is one table of the catalog as written in tables.go.
type def struct {
	n       uint32 // id - IDBase; never renumbered
	name    string
	comment string
	global  bool
	key     []string // primary-key columns (NDB's keys where they mean the same)
	cols    []Column
}

// build turns the definitions into the catalog. A bad definition is a
// bug, caught by the package's tests at init.
func build(defs []def) {
	for i, d := range defs {
		if d.n != uint32(i+1) {
			panic(fmt.Sprintf("ndbinfo: table %s has number %d, want %d (never renumber)", d.name, d.n, i+1))
		}
		t := &Table{ID: IDBase + d.n, Name: d.name, Comment: d.comment, Global: d.global, Columns: d.cols}
		st := &schema.Table{ID: t.ID, Name: d.name, Version: 1}
		for _, c := range d.cols {
			st.Columns = append(st.Columns, c.Column)
		}
		for _, k := range d.key {
			c := st.Column(k)
			if c < 0 {
				panic(fmt.Sprintf("ndbinfo: table %s: key column %s does not exist", d.name, k))
			}
			st.PrimaryKey = append(st.PrimaryKey, c)
		}
		l, err := schema.NewLayout(st)
		if err != nil {
			panic(fmt.Sprintf("ndbinfo: table %s: %v", d.name, err))
		}
		t.Def, t.Layout = st, l
		if (t.NodeColumn() < 0) != d.global {
			panic(fmt.Sprintf("ndbinfo: table %s: global %v but node_id column %d", d.name, d.global, t.NodeColumn()))
		}
		catalog = append(catalog, t)
		byName[d.name] = t
	}
}

// Column constructors. Numbers are unsigned, as NDB's Number (32 bits)
// and Number64; strings are VARCHAR of n characters.

func u32(name, doc string) Column {
	return Column{schema.Column{Name: name, Type: schema.TypeInt, Unsigned: true}, doc}
}

func u64(name, doc string) Column {
	return Column{schema.Column{Name: name, Type: schema.TypeBigInt, Unsigned: true}, doc}
}

func str(name string, n int, doc string) Column {
	return Column{schema.Column{Name: name, Type: schema.TypeVarchar, Length: n}, doc}
}

// null makes a column nullable: NULL where gondb does not measure it.
func null(c Column) Column {
	c.Nullable = true
	return c
}

func init() { build(tableDefs) }
