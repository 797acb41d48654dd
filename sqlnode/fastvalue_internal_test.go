package sqlnode

import (
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/schema"
)

// TestFastValuesMatchEngine: the fast path's key read converts a stored
// row to protocol values itself (integers and utf8mb4 strings without
// the engine); every column type, NULL, CHAR padding and multibyte text
// must come out byte for byte as the engine's Type.SQL makes them, for
// every character_set_results a client can set. The direct conversions
// allocate nothing once the arena has grown.
func TestFastValuesMatchEngine(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC)
	cols := []struct {
		col schema.Column
		val any
	}{
		{schema.Column{Name: "ti", Type: schema.TypeTinyInt}, int8(-128)},
		{schema.Column{Name: "tu", Type: schema.TypeTinyInt, Unsigned: true}, uint8(255)},
		{schema.Column{Name: "si", Type: schema.TypeSmallInt}, int16(-300)},
		{schema.Column{Name: "mi", Type: schema.TypeMediumInt}, int32(-(1 << 23))},
		{schema.Column{Name: "mu", Type: schema.TypeMediumInt, Unsigned: true}, uint32(1<<24 - 1)},
		{schema.Column{Name: "i", Type: schema.TypeInt}, int32(-2147483648)},
		{schema.Column{Name: "iu", Type: schema.TypeInt, Unsigned: true}, uint32(4294967295)},
		{schema.Column{Name: "bi", Type: schema.TypeBigInt}, int64(-9223372036854775808)},
		{schema.Column{Name: "bu", Type: schema.TypeBigInt, Unsigned: true}, uint64(18446744073709551615)},
		{schema.Column{Name: "f", Type: schema.TypeFloat}, float32(1.5)},
		{schema.Column{Name: "d", Type: schema.TypeDouble}, -2.25e-7},
		{schema.Column{Name: "dec", Type: schema.TypeDecimal, Precision: 10, Scale: 2}, decimal.RequireFromString("-12345678.90")},
		{schema.Column{Name: "c", Type: schema.TypeChar, Length: 8, Charset: schema.CharsetUTF8MB4}, "ab  "},
		{schema.Column{Name: "c0", Type: schema.TypeChar, Length: 8}, " é"},
		{schema.Column{Name: "vc", Type: schema.TypeVarchar, Length: 10, Charset: schema.CharsetUTF8MB4}, "x y  "},
		{schema.Column{Name: "vl", Type: schema.TypeVarchar, Length: 10, Charset: schema.CharsetLatin1}, "xyz"},
		{schema.Column{Name: "cl", Type: schema.TypeChar, Length: 4, Charset: schema.CharsetLatin1}, "a"},
		{schema.Column{Name: "b", Type: schema.TypeBinary, Length: 3}, []byte{1, 0, 0}},
		{schema.Column{Name: "vb", Type: schema.TypeVarbinary, Length: 5}, []byte{9, ' '}},
		{schema.Column{Name: "tx", Type: schema.TypeText, Charset: schema.CharsetUTF8MB4}, "text ü"},
		{schema.Column{Name: "tn", Type: schema.TypeText, Charset: schema.CharsetUTF8MB4, Nullable: true}, nil},
		{schema.Column{Name: "in", Type: schema.TypeInt, Nullable: true}, nil},
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
	typs := make([]sql.Type, len(cols))
	for i, c := range cols {
		if typs[i], err = sqlType(&def.Columns[i]); err != nil {
			t.Fatalf("%s: %v", c.col.Name, err)
		}
		if err := setValue(rb, i, c.val); err != nil {
			t.Fatalf("%s: set %v: %v", c.col.Name, c.val, err)
		}
	}
	r := l.RowOf(rb.AppendRow(nil))
	for _, rcs := range []string{"", "utf8mb4", "latin1", "binary", "utf8mb3"} {
		ctx := sql.NewEmptyContext()
		var v any
		if rcs != "" {
			v = rcs
		}
		if err := ctx.SetSessionVariable(ctx, "character_set_results", v); err != nil {
			t.Fatal(err)
		}
		cs := ctx.GetCharacterSetResults()
		var sc keyResult
		for i, c := range cols {
			want, werr := func() (sqltypes.Value, error) {
				ev, err := value(r, i)
				if err != nil {
					return sqltypes.Value{}, err
				}
				return typs[i].SQL(ctx, nil, ev)
			}()
			got, gerr := sc.sqlValue(ctx, r, i, typs[i], cs)
			if (werr != nil) != (gerr != nil) {
				t.Errorf("results %q, %s: error %v, engine %v", rcs, c.col.Name, gerr, werr)
				continue
			}
			if werr == nil && (got.Type() != want.Type() || got.IsNull() != want.IsNull() || string(got.Raw()) != string(want.Raw())) {
				t.Errorf("results %q, %s: %v, engine %v", rcs, c.col.Name, got, want)
			}
		}
		sc.arena = make([]byte, 0, 1024)
		for i, c := range cols {
			if c.val == nil || !c.col.Type.IsInteger() && (cs != sql.CharacterSet_utf8mb4 || c.col.Charset == schema.CharsetLatin1 || !isCharType(c.col.Type)) {
				continue
			}
			if c.col.Type == schema.TypeBit {
				continue
			}
			if n := testing.AllocsPerRun(100, func() {
				sc.arena = sc.arena[:0]
				sc.sqlValue(ctx, r, i, typs[i], cs)
			}); n != 0 {
				t.Errorf("results %q, %s: %v allocations per value", rcs, c.col.Name, n)
			}
		}
	}
}
