package ndbinfo_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
)

// TestCatalogIsStable: ids are wire values and names are NDB's; both are
// pinned here for a few tables, and every table is reachable both ways.
func TestCatalogIsStable(t *testing.T) {
	pinned := map[string]uint32{"nodes": 1, "memoryusage": 3, "counters": 5, "cluster_locks": 14,
		"restart_info": 20, "transporters": 27, "error_messages": 28, "operations_per_fragment": 29}
	for name, n := range pinned {
		tb, ok := ndbinfo.ByName(name)
		if !ok || tb.ID != ndbinfo.IDBase+n {
			t.Errorf("%s: id %v, want IDBase+%d", name, tb, n)
		}
	}
	seen := map[string]bool{}
	for i, tb := range ndbinfo.Tables() {
		if tb.ID != ndbinfo.IDBase+uint32(i+1) {
			t.Errorf("table %d (%s) has id %#x", i, tb.Name, tb.ID)
		}
		if seen[tb.Name] {
			t.Errorf("table %s twice", tb.Name)
		}
		seen[tb.Name] = true
		if got, ok := ndbinfo.ByID(tb.ID); !ok || got != tb {
			t.Errorf("ByID(%#x) = %v", tb.ID, got)
		}
		if got, ok := ndbinfo.ByName("ndbinfo." + strings.ToUpper(tb.Name)); !ok || got != tb {
			t.Errorf("ByName(ndbinfo.%s) = %v", strings.ToUpper(tb.Name), got)
		}
		if tb.ID < 1<<23 || tb.ID >= 1<<31 {
			t.Errorf("%s: id %#x collides with dictionary or hidden index ids", tb.Name, tb.ID)
		}
		if len(tb.Def.PrimaryKey) == 0 {
			t.Errorf("%s: no key columns", tb.Name)
		}
		if (tb.NodeColumn() < 0) != tb.Global {
			t.Errorf("%s: Global %v but node_id column %d", tb.Name, tb.Global, tb.NodeColumn())
		}
		for _, c := range tb.Columns {
			if c.Doc == "" {
				t.Errorf("%s.%s: no description", tb.Name, c.Name)
			}
		}
	}
	if len(seen) != 29 {
		t.Errorf("%d tables, want 29", len(seen))
	}
	for _, bad := range []uint32{0, ndbinfo.IDBase, ndbinfo.IDBase + 30, 7} {
		if _, ok := ndbinfo.ByID(bad); ok {
			t.Errorf("ByID(%#x) found a table", bad)
		}
	}
	if _, ok := ndbinfo.ByName("no_such_table"); ok {
		t.Error("ByName(no_such_table) found a table")
	}
}

// sample returns a value of the right kind for every column of tb.
func sample(tb *ndbinfo.Table, node uint32) []any {
	vals := make([]any, len(tb.Columns))
	for i, c := range tb.Columns {
		switch {
		case c.Name == "node_id":
			vals[i] = node
		case c.Nullable:
			vals[i] = nil
		case c.Type == schema.TypeVarchar:
			vals[i] = strings.Repeat("é", c.Length+3) // too long: clipped
		default:
			vals[i] = uint64(i)
		}
	}
	return vals
}

func TestRowWriterRoundTripAndFilter(t *testing.T) {
	for _, tb := range ndbinfo.Tables() {
		w := tb.NewRowWriter()
		var imgs [][]byte
		for node := uint32(1); node <= 3; node++ {
			img, err := w.Append(nil, sample(tb, node)...)
			if err != nil {
				t.Fatalf("%s: %v", tb.Name, err)
			}
			if _, err := tb.Layout.CheckRow(img); err != nil {
				t.Fatalf("%s: row image does not check: %v", tb.Name, err)
			}
			imgs = append(imgs, img)
		}
		r := tb.Layout.RowOf(imgs[0])
		for i, c := range tb.Columns {
			switch {
			case c.Name == "node_id":
				if r.Uint64(i) != 1 {
					t.Errorf("%s.node_id = %d", tb.Name, r.Uint64(i))
				}
			case c.Nullable:
				if !r.IsNull(i) {
					t.Errorf("%s.%s is not NULL", tb.Name, c.Name)
				}
			case c.Type == schema.TypeVarchar:
				if got := r.String(i); got != strings.Repeat("é", c.Length) {
					t.Errorf("%s.%s = %q, want %d characters", tb.Name, c.Name, got, c.Length)
				}
			default:
				if r.Uint64(i) != uint64(i) {
					t.Errorf("%s.%s = %d, want %d", tb.Name, c.Name, r.Uint64(i), i)
				}
			}
		}
		if tb.Global {
			continue
		}
		b := filter.NewBuilder(tb.Layout)
		b.Cmp(tb.NodeColumn(), filter.Eq, filter.Uint(2))
		prog, err := b.Program()
		if err != nil {
			t.Fatal(err)
		}
		f, err := filter.Compile(tb.Layout, prog)
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		for i, img := range imgs {
			if got, want := f.Match(tb.Layout.RowOf(img)), i == 1; got != want {
				t.Errorf("%s: node_id = 2 on node %d's row: %v", tb.Name, i+1, got)
			}
		}
	}
}

func TestRowWriterRefusesBadValues(t *testing.T) {
	tb, _ := ndbinfo.ByName("memoryusage")
	w := tb.NewRowWriter()
	cases := []struct {
		name string
		vals []any
	}{
		{"too few values", []any{uint32(1), "Data memory"}},
		{"NULL in NOT NULL", []any{uint32(1), "Data memory", nil, 0, 0, 0}},
		{"negative unsigned", []any{uint32(1), "Data memory", -1, 0, 0, 0}},
		{"string in a number", []any{uint32(1), "Data memory", "x", 0, 0, 0}},
		{"unsupported type", []any{uint32(1), "Data memory", struct{}{}, 0, 0, 0}},
	}
	for _, c := range cases {
		out, err := w.Append([]byte("keep"), c.vals...)
		if err == nil || string(out) != "keep" {
			t.Errorf("%s: err %v, out %q", c.name, err, out)
		}
	}
	if _, err := w.Append(nil, uint32(1), "Data memory", 1, 2, true, uint16(4)); err != nil {
		t.Errorf("valid row: %v", err)
	}
}

var rewrite = flag.Bool("rewrite", false, "rewrite the generated table section of docs/ndbinfo.md")

// Markers around the generated part of docs/ndbinfo.md.
const (
	docBegin = "<!-- tables: generated from the catalog by `go test ./ndbinfo -run TestDocs -rewrite`; do not edit -->\n"
	docEnd   = "<!-- end of tables -->\n"
)

// tablesDoc renders every table and its columns as markdown.
func tablesDoc() string {
	var b strings.Builder
	for _, tb := range ndbinfo.Tables() {
		fmt.Fprintf(&b, "\n### %s\n\n", tb.Name)
		scope := "one row set per data node, merged"
		if tb.Global {
			scope = "global: read from one data node"
		}
		var key []string
		for _, k := range tb.Def.PrimaryKey {
			key = append(key, tb.Columns[k].Name)
		}
		fmt.Fprintf(&b, "%s. Id %#x; %s; key (%s).\n\n", upper(tb.Comment), tb.ID, scope, strings.Join(key, ", "))
		b.WriteString("| column | type | meaning |\n| --- | --- | --- |\n")
		for _, c := range tb.Columns {
			typ := c.Type.String()
			if c.Type == schema.TypeVarchar {
				typ = fmt.Sprintf("VARCHAR(%d)", c.Length)
			} else if c.Unsigned {
				typ += " UNSIGNED"
			}
			if c.Nullable {
				typ += " NULL"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, typ, c.Doc)
		}
	}
	return b.String()
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// TestDocsDescribeEveryColumn: docs/ndbinfo.md's table section is the
// catalog's (run with -rewrite after changing the catalog).
func TestDocsDescribeEveryColumn(t *testing.T) {
	const path = "../docs/ndbinfo.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers of its generated section", path)
	}
	gen := tablesDoc() + "\n"
	if *rewrite {
		doc = doc[:i+len(docBegin)] + gen + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc[i+len(docBegin):j] != gen {
		t.Errorf("%s's tables differ from the catalog; run go test ./ndbinfo -run TestDocs -rewrite", path)
	}
}
