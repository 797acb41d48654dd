package sqlnode

import (
	"errors"
	"slices"
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
	if len(names) != len(ndbinfo.Tables())+1 || !slices.Contains(names, "server_locks") {
		t.Fatalf("%d tables %q, want the catalog's %d and server_locks", len(names), names, len(ndbinfo.Tables()))
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
	// server_locks: the connection id, then cluster_locks' columns.
	st, ok, err := d.GetTableInsensitive(ctx, "SERVER_LOCKS")
	if !ok || err != nil {
		t.Fatalf("server_locks: not found (%v)", err)
	}
	cl, _ := ndbinfo.ByName("cluster_locks")
	sch := st.Schema(ctx)
	if len(sch) != 1+len(cl.Columns) || sch[0].Name != "mysql_connection_id" || sch[0].Nullable {
		t.Fatalf("server_locks schema %v", sch)
	}
	for i, c := range cl.Columns {
		if sch[i+1].Name != c.Name || sch[i+1].Nullable != c.Nullable || sch[i+1].Source != "server_locks" {
			t.Errorf("server_locks column %d: %+v, want %s", i+1, sch[i+1], c.Name)
		}
	}
	if _, ok := st.(pushTable); ok {
		t.Error("server_locks takes pushed conditions, which the data nodes cannot run on it")
	}
	if _, ok, _ := d.GetTableInsensitive(ctx, "no_such_table"); ok {
		t.Error("no_such_table found")
	}
	if !d.IsReadOnly() {
		t.Error("ndbinfo is not read-only")
	}
}

// TestInfoTableLimit: a limit pushed into an ndbinfo table travels to
// the read as InfoOptions.Limit, with the pushed filter.
func TestInfoTableLimit(t *testing.T) {
	p := NewProvider(nil, nil)
	counters := p.info["counters"]
	if opts := counters.readOptions(); opts.Limit != 0 || opts.Filter != nil {
		t.Errorf("nothing pushed: %+v", opts)
	}
	lim := counters.withPushed(nil, 7).(*InfoTable)
	if _, n := lim.pushed(); n != 7 {
		t.Errorf("pushed limit %d, want 7", n)
	}
	if opts := lim.readOptions(); opts.Limit != 7 {
		t.Errorf("read options %+v, want Limit 7", opts)
	}
	prog := []byte{1, 2, 3}
	both := counters.withPushed(&pushedCond{prog: prog}, 2).(*InfoTable)
	if opts := both.readOptions(); opts.Limit != 2 || !slices.Equal(opts.Filter, prog) {
		t.Errorf("read options %+v, want Limit 2 and the filter", opts)
	}
	if counters.limit != 0 || counters.cond != nil {
		t.Error("withPushed changed the catalog's table")
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
