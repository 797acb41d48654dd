package sqlnode

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema/filter"
)

// TestInfoTablesMapEveryColumn: every catalog table is an SQL table of
// the ndbinfo database with the catalog's columns, in order, and a
// condition on each of its columns compiles against its layout.
func TestInfoTablesMapEveryColumn(t *testing.T) {
	p := NewProvider(nil, nil)
	d := &infoDatabase{p: p}
	names, _ := d.GetTableNames(nil)
	if len(names) != len(ndbinfo.Tables()) {
		t.Fatalf("%d tables, want %d", len(names), len(ndbinfo.Tables()))
	}
	ctx := sql.NewEmptyContext()
	for _, it := range ndbinfo.Tables() {
		st, ok, err := d.GetTableInsensitive(ctx, strings.ToUpper(it.Name))
		if !ok || err != nil {
			t.Fatalf("%s: not found (%v)", it.Name, err)
		}
		tb := st.(*InfoTable)
		sch := tb.Schema(ctx)
		if len(sch) != len(it.Columns) {
			t.Fatalf("%s: %d columns, want %d", it.Name, len(sch), len(it.Columns))
		}
		def, layout := tb.pushSchema()
		for i, c := range it.Columns {
			if sch[i].Name != c.Name || sch[i].Nullable != c.Nullable || sch[i].Source != it.Name || sch[i].DatabaseSource != InfoDatabase {
				t.Errorf("%s column %d: %+v, want %s", it.Name, i, sch[i], c.Name)
			}
			b := filter.NewBuilder(layout)
			b.IsNull(def.Column(c.Name))
			if _, err := b.Program(); err != nil {
				t.Errorf("%s.%s: %v", it.Name, c.Name, err)
			}
		}
		pt, err := tb.WithProjections(ctx, []string{it.Columns[len(it.Columns)-1].Name, it.Columns[0].Name})
		if err != nil || len(pt.Schema(ctx)) != 2 || pt.Schema(ctx)[1].Name != it.Columns[0].Name {
			t.Errorf("%s: projection %v", it.Name, err)
		}
	}
	if _, ok, _ := d.GetTableInsensitive(ctx, "no_such_table"); ok {
		t.Error("no_such_table found")
	}
	if !d.IsReadOnly() {
		t.Error("ndbinfo is not read-only")
	}
}

func TestReadOnlyError(t *testing.T) {
	counters, _ := ndbinfo.ByName("counters")
	var last atomic.Pointer[ndbinfo.Table]
	engine := mysql.NewSQLError(mysql.ERUnknownError, "HY000", "Database ndbinfo is read-only.")
	other := mysql.NewSQLError(mysql.ERUnknownError, "HY000", "something else")
	plain := errors.New("plain")
	cases := []struct {
		name string
		err  error
		last *ndbinfo.Table
		code int
		msg  string
	}{
		{"names the table resolved", engine, counters, erOpenAsReadonly, "Table 'counters' is read only"},
		{"names the database when no table was", engine, nil, erOpenAsReadonly, "Table 'ndbinfo' is read only"},
		{"other engine error unchanged", other, counters, mysql.ERUnknownError, "something else"},
		{"other error unchanged", plain, counters, 0, "plain"},
	}
	for _, c := range cases {
		last.Store(c.last)
		got := readOnlyError(c.err, &last)
		var se *mysql.SQLError
		code := 0
		if errors.As(got, &se) {
			code = se.Num
		}
		if code != c.code || !strings.Contains(got.Error(), c.msg) {
			t.Errorf("%s: %v, want %d %q", c.name, got, c.code, c.msg)
		}
	}
	if got := readOnlyError(engine, nil); !strings.Contains(got.Error(), "'ndbinfo'") {
		t.Errorf("no session: %v", got)
	}
}
