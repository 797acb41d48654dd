package sqlnode

import (
	"errors"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
)

func TestNameMapping(t *testing.T) {
	for _, tc := range []struct{ dict, db, table string }{
		{"shop/items", "shop", "items"},
		{"shop/a/b", "shop", "a/b"},
		{"subscribers", DefaultDatabase, "subscribers"},
		{"/x", DefaultDatabase, "/x"},
	} {
		db, table := splitName(tc.dict)
		if db != tc.db || table != tc.table {
			t.Errorf("splitName(%q) = %q, %q; want %q, %q", tc.dict, db, table, tc.db, tc.table)
		}
		if back := dictName(db, table); back != tc.dict {
			t.Errorf("dictName(%q, %q) = %q, want %q", db, table, back, tc.dict)
		}
	}
}

func TestLockIntent(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want ndbapi.LockMode
	}{
		{"SELECT * FROM t WHERE id = 1", ndbapi.CommittedRead},
		{"select * from t where id = 1 for update", ndbapi.LockExclusive},
		{"SELECT * FROM t LOCK IN SHARE MODE", ndbapi.LockShared},
		{"SELECT * FROM t FOR SHARE", ndbapi.LockShared},
		{"  /* hint */ UPDATE t SET a = 1", ndbapi.LockExclusive},
		{"-- c\ndelete from t", ndbapi.LockExclusive},
		{"INSERT INTO t SELECT * FROM u", ndbapi.CommittedRead},
		{"(SELECT 1 FOR UPDATE)", ndbapi.LockExclusive},
		{"", ndbapi.CommittedRead},
	} {
		if got := lockIntent(tc.q); got != tc.want {
			t.Errorf("lockIntent(%q) = %d, want %d", tc.q, got, tc.want)
		}
	}
}

func TestParseNDBComment(t *testing.T) {
	for _, tc := range []struct {
		c        string
		rb, fr   bool
		rest     string
		wantCode int
	}{
		{"NDB_TABLE=READ_BACKUP=1", true, false, "", 0},
		{"NDB_TABLE=FULLY_REPLICATED=1,READ_BACKUP=0", false, true, "", 0},
		{"hello NDB_TABLE=READ_BACKUP=1", true, false, "hello", 0},
		{"just a comment", false, false, "just a comment", 0},
		{"NDB_TABLE=PARTITION_BALANCE=FOR_RA_BY_NODE", false, false, "", erIllegalHaOption},
		{"NDB_TABLE=NOLOGGING=1", false, false, "", erNotSupportedYet},
	} {
		rb, fr, rest, err := parseNDBComment(tc.c)
		if tc.wantCode != 0 {
			var me *mysql.SQLError
			if !errors.As(err, &me) || me.Num != tc.wantCode {
				t.Errorf("%q: error %v, want %d", tc.c, err, tc.wantCode)
			}
			continue
		}
		if err != nil || rb != tc.rb || fr != tc.fr || rest != tc.rest {
			t.Errorf("%q: %v %v %q %v", tc.c, rb, fr, rest, err)
		}
	}
}

// TestTypeRoundTrip: every storage type maps to an engine type that maps
// back to the same storage column, and values survive the row image.
func TestTypeRoundTrip(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC)
	cols := []struct {
		col schema.Column
		val any
	}{
		{schema.Column{Name: "ti", Type: schema.TypeTinyInt}, int8(-128)},
		{schema.Column{Name: "tu", Type: schema.TypeTinyInt, Unsigned: true}, uint8(255)},
		{schema.Column{Name: "si", Type: schema.TypeSmallInt}, int16(-300)},
		{schema.Column{Name: "mi", Type: schema.TypeMediumInt, Unsigned: true}, uint32(1 << 23)},
		{schema.Column{Name: "i", Type: schema.TypeInt}, int32(-7)},
		{schema.Column{Name: "bu", Type: schema.TypeBigInt, Unsigned: true}, uint64(1 << 63)},
		{schema.Column{Name: "f", Type: schema.TypeFloat}, float32(1.5)},
		{schema.Column{Name: "d", Type: schema.TypeDouble}, 2.25},
		{schema.Column{Name: "dec", Type: schema.TypeDecimal, Precision: 10, Scale: 2}, decimal.RequireFromString("-12345678.90")},
		{schema.Column{Name: "c", Type: schema.TypeChar, Length: 4, Charset: schema.CharsetUTF8MB4}, "ab"},
		{schema.Column{Name: "vc", Type: schema.TypeVarchar, Length: 10, Charset: schema.CharsetLatin1}, "xyz"},
		{schema.Column{Name: "b", Type: schema.TypeBinary, Length: 3}, []byte{1, 0, 0}},
		{schema.Column{Name: "vb", Type: schema.TypeVarbinary, Length: 5}, []byte{9}},
		{schema.Column{Name: "tx", Type: schema.TypeText, Charset: schema.CharsetUTF8MB4, Nullable: true}, nil},
		{schema.Column{Name: "bl", Type: schema.TypeBlob, Length: 255}, []byte("blob")},
		{schema.Column{Name: "dt", Type: schema.TypeDate}, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{schema.Column{Name: "dtm", Type: schema.TypeDatetime}, ts},
		{schema.Column{Name: "tsp", Type: schema.TypeTimestamp}, ts},
		{schema.Column{Name: "tm", Type: schema.TypeTime}, types.Time.MicrosecondsToTimespan(-3600e6)},
		{schema.Column{Name: "bit", Type: schema.TypeBit, Length: 5}, uint64(21)},
	}
	def := &schema.Table{Name: "x", PrimaryKey: []int{0}}
	for _, c := range cols {
		def.Columns = append(def.Columns, c.col)
	}
	l, err := schema.NewLayout(def)
	if err != nil {
		t.Fatal(err)
	}
	rb := schema.NewRowBuilder(l)
	for i, c := range cols {
		typ, err := sqlType(&def.Columns[i])
		if err != nil {
			t.Fatalf("%s: %v", c.col.Name, err)
		}
		back, err := columnFromSQL(&sql.Column{Name: c.col.Name, Type: typ, Nullable: c.col.Nullable})
		if err != nil {
			t.Fatalf("%s: back: %v", c.col.Name, err)
		}
		want := c.col
		if want.Charset == 0 && want.Type.IsString() && (want.Type == schema.TypeChar || want.Type == schema.TypeVarchar || want.Type == schema.TypeText) {
			want.Charset = schema.CharsetUTF8MB4
		}
		if back != want {
			t.Errorf("%s: %+v came back as %+v", c.col.Name, want, back)
		}
		if err := setValue(rb, i, c.val); err != nil {
			t.Fatalf("%s: set %v: %v", c.col.Name, c.val, err)
		}
	}
	r := l.RowOf(rb.AppendRow(nil))
	for i, c := range cols {
		got, err := value(r, i)
		if err != nil {
			t.Fatalf("%s: %v", c.col.Name, err)
		}
		typ, _ := sqlType(&def.Columns[i])
		if cmp, err := typ.Compare(nil, got, c.val); err != nil || cmp != 0 {
			t.Errorf("%s: read %#v, wrote %#v", c.col.Name, got, c.val)
		}
	}
}

func TestUnsupportedTypes(t *testing.T) {
	for _, c := range []*sql.Column{
		{Name: "e", Type: types.MustCreateEnumType([]string{"a"}, sql.Collation_Default)},
		{Name: "j", Type: types.JSON},
		{Name: "y", Type: types.Year},
		{Name: "lt", Type: types.LongText},
		{Name: "ci", Type: types.MustCreateString(sqltypes.VarChar, 4, sql.Collation_utf8mb4_general_ci)},
		{Name: "dt6", Type: types.MustCreateDatetimeType(sqltypes.Datetime, 6)},
		{Name: "af", Type: types.Float64, AutoIncrement: true},
	} {
		_, err := columnFromSQL(c)
		var me *mysql.SQLError
		if !errors.As(err, &me) || me.Num != erNotSupportedYet {
			t.Errorf("%s %s: %v, want error %d", c.Name, c.Type, err, erNotSupportedYet)
		}
	}
}

func TestStrictModeErrors(t *testing.T) {
	def := &schema.Table{Name: "x", PrimaryKey: []int{0}, Columns: []schema.Column{
		{Name: "a", Type: schema.TypeTinyInt}, {Name: "s", Type: schema.TypeVarchar, Length: 2}, {Name: "n", Type: schema.TypeInt}}}
	l, err := schema.NewLayout(def)
	if err != nil {
		t.Fatal(err)
	}
	rb := schema.NewRowBuilder(l)
	for _, tc := range []struct {
		col  int
		v    any
		code int
	}{
		{0, int64(300), 1264},
		{1, "abc", 1406},
		{2, nil, 1048},
	} {
		err := setValue(rb, tc.col, tc.v)
		var me *mysql.SQLError
		if !errors.As(err, &me) || me.Num != tc.code {
			t.Errorf("column %d = %v: %v, want %d", tc.col, tc.v, err, tc.code)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{&ndbapi.Error{Code: 630, Classification: ndberr.ClassConstraintViolation}, erDupEntry},
		{&ndbapi.Error{Code: 893, Classification: ndberr.ClassConstraintViolation}, erDupEntry},
		{&ndbapi.Error{Code: 266, Classification: ndberr.ClassTimeout}, erLockWaitTimeout},
		{&ndbapi.Error{Code: 4035, Classification: ndberr.ClassNodeRecovery}, erGetTemporaryError},
		{&ndbapi.Error{Code: 233, Classification: ndberr.ClassTemporaryResource}, erGetTemporaryError},
		{&ndbapi.Error{Code: 827, Classification: ndberr.ClassInsufficientSpace}, erRecordFileFull},
		{&ndbapi.Error{Code: 4012, Classification: ndberr.ClassUnknownResult}, erGetErrmsg},
		{&ndbapi.Error{Code: 723, Classification: ndberr.ClassSchema}, erTableDefChanged},
		{ndberr.ErrRowExists, erDupEntry},
		{mysql.NewSQLError(1105, "HY000", "-1 out of range for smallint unsigned"), 1264},
		{mysql.NewSQLError(1105, "HY000", "string 'x' is too large for column 's'"), 1406},
		{mysql.NewSQLError(1105, "HY000", "table with name t already exists"), 1050},
	} {
		err := fixError(mysqlError(tc.err))
		var me *mysql.SQLError
		if !errors.As(err, &me) || me.Num != tc.code {
			t.Errorf("%v: mapped to %v, want %d", tc.err, err, tc.code)
		}
	}
	if err := errors.New("plain"); mysqlError(err) != err {
		t.Error("a non-NDB error was changed")
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		q      string
		key    string
		params []param
		ok     bool
	}{
		{"SELECT c FROM t1 WHERE id=5", "SELECT c FROM t1 WHERE id=?", []param{{kind: pkInt, i: 5}}, true},
		{"SELECT c FROM t WHERE s = 'a''b\\n' AND x = ?", "SELECT c FROM t WHERE s = ? AND x = ?", []param{{kind: pkString, s: "a'b\n"}, {}}, true},
		{"SELECT 1.50, 1e3, .5, 18446744073709551615, 99999999999999999999", "SELECT ?, ?, ?, ?, ?",
			[]param{{kind: pkDecimal, s: "1.50"}, {kind: pkFloat, f: 1000}, {kind: pkDecimal, s: ".5"}, {kind: pkUint, u: 18446744073709551615}, {kind: pkDecimal, s: "99999999999999999999"}}, true},
		{"SELECT * FROM `t?1` WHERE a='%\\_';", "SELECT * FROM `t?1` WHERE a=?", []param{{kind: pkString, s: `%\_`}}, true},
		{"SELECT 1 /* c */", "", nil, false},
		{"SELECT 1 -- c", "", nil, false},
		{"SELECT 1; SELECT 2", "", nil, false},
		{`SELECT "x"`, "", nil, false},
		{"SELECT 0x1F", "", nil, false},
		{"SELECT 'open", "", nil, false},
	} {
		key, params, ok := normalize(nil, nil, tc.q)
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.q, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if string(key) != tc.key || len(params) != len(tc.params) {
			t.Errorf("%q: %q %+v, want %q %+v", tc.q, key, params, tc.key, tc.params)
			continue
		}
		for i := range params {
			if params[i] != tc.params[i] {
				t.Errorf("%q: param %d %+v, want %+v", tc.q, i, params[i], tc.params[i])
			}
		}
	}
}

func TestMakePlan(t *testing.T) {
	for _, tc := range []struct {
		q    string
		kind planKind
	}{
		{"SELECT c FROM t WHERE id = ?", fpSelect},
		{"SELECT t.c, d AS x FROM db.t WHERE t.a = ? AND b = ?", fpSelect},
		{"SELECT * FROM t AS u WHERE u.id IN (?, ?, ?)", fpSelect},
		{"INSERT INTO t (a, b) VALUES (?, NULL)", fpInsert},
		{"INSERT INTO t VALUES (?, ?)", fpInsert},
		{"UPDATE t SET c = ?, d = NULL WHERE id = ?", fpUpdate},
		{"DELETE FROM t WHERE a = ? AND b = ?", fpDelete},
		{"SELECT c FROM t WHERE id = ? FOR UPDATE", fpNone},
		{"SELECT c FROM t WHERE id > ?", fpNone},
		{"SELECT c FROM t WHERE id = ? OR id = ?", fpNone},
		{"SELECT c FROM t WHERE id IN (?) AND a = ?", fpNone},
		{"SELECT c FROM t WHERE id = ? LIMIT ?", fpNone},
		{"SELECT c + ? FROM t WHERE id = ?", fpNone},
		{"SELECT c FROM t JOIN u WHERE id = ?", fpNone},
		{"SELECT DISTINCT c FROM t WHERE id = ?", fpNone},
		{"INSERT INTO t VALUES (?), (?)", fpNone},
		{"INSERT IGNORE INTO t VALUES (?)", fpNone},
		{"INSERT INTO t VALUES (?) ON DUPLICATE KEY UPDATE a = ?", fpNone},
		{"REPLACE INTO t VALUES (?)", fpNone},
		{"UPDATE t SET c = c + ? WHERE id = ?", fpNone},
		{"UPDATE t SET c = ? WHERE id = ? LIMIT ?", fpNone},
		{"DELETE FROM t WHERE id = ? ORDER BY id", fpNone},
		{"SELECT c FROM t WHERE x.id = ?", fpNone},
	} {
		if got := makePlan(tc.q).kind; got != tc.kind {
			t.Errorf("%q: plan kind %d, want %d", tc.q, got, tc.kind)
		}
	}
}

func TestConstFor(t *testing.T) {
	intCol := &schema.Column{Name: "i", Type: schema.TypeInt}
	u8 := &schema.Column{Name: "u", Type: schema.TypeTinyInt, Unsigned: true}
	flt := &schema.Column{Name: "f", Type: schema.TypeFloat}
	dec := &schema.Column{Name: "d", Type: schema.TypeDecimal, Precision: 6, Scale: 2}
	l1 := &schema.Column{Name: "l", Type: schema.TypeVarchar, Length: 4, Charset: schema.CharsetLatin1}
	date := &schema.Column{Name: "dt", Type: schema.TypeDate}
	for _, tc := range []struct {
		col    *schema.Column
		op     filter.Cmp
		v      any
		ok     bool
		wantOp filter.Cmp
	}{
		{intCol, filter.Gt, int8(3), true, filter.Gt},
		{intCol, filter.Gt, decimal.RequireFromString("2.5"), true, filter.Ge},
		{intCol, filter.Lt, decimal.RequireFromString("2.5"), true, filter.Le},
		{intCol, filter.Eq, decimal.RequireFromString("2.5"), false, 0},
		{intCol, filter.Eq, decimal.RequireFromString("2.0"), true, filter.Eq},
		{intCol, filter.Eq, "2", false, 0},
		{u8, filter.Eq, uint64(7), true, filter.Eq},
		{flt, filter.Eq, 1.5, true, filter.Eq},
		{flt, filter.Eq, 1.1, false, 0},
		{dec, filter.Eq, decimal.RequireFromString("1.25"), true, filter.Eq},
		{dec, filter.Eq, decimal.RequireFromString("1.250"), true, filter.Eq},
		{dec, filter.Eq, decimal.RequireFromString("1.234"), false, 0},
		{l1, filter.Eq, "abc", true, filter.Eq},
		{l1, filter.Eq, "é", false, 0},
		{date, filter.Eq, "2024-01-02", true, filter.Eq},
		{date, filter.Eq, "2024-01-02 10:00:00", false, 0},
		{date, filter.Eq, "2024-1-2", false, 0},
	} {
		_, op, ok := constFor(tc.col, tc.op, tc.v)
		if ok != tc.ok || ok && op != tc.wantOp {
			t.Errorf("%s %d %v: ok %v op %d, want %v %d", tc.col.Name, tc.op, tc.v, ok, op, tc.ok, tc.wantOp)
		}
	}
}
