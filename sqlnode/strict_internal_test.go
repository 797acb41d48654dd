package sqlnode

import (
	"errors"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/shopspring/decimal"
)

// TestStrictValue: an UPDATE's SET value out of its number column's range
// is error 1264 (the engine clamped it: 300 became 255); values in range
// are converted as MySQL rounds them; NULL and values that are no number
// pass to the engine unchanged.
func TestStrictValue(t *testing.T) {
	ctx := sql.NewEmptyContext()
	for _, tc := range []struct {
		name string
		typ  sql.Type
		v    any
		want any
		code int
	}{
		{"above tinyint unsigned", types.Uint8, int64(300), nil, 1264},
		{"below tinyint unsigned", types.Uint8, int64(-1), nil, 1264},
		{"below tinyint", types.Int8, int64(-129), nil, 1264},
		{"above int", types.Int32, int64(1) << 31, nil, 1264},
		{"in range", types.Int8, int64(-128), int8(-128), 0},
		{"rounded", types.Int8, decimal.RequireFromString("126.6"), int8(127), 0},
		{"rounded out of range", types.Int8, decimal.RequireFromString("127.5"), nil, 1264},
		{"float to int", types.Uint16, 65535.4, uint16(65535), 0},
		{"null", types.Int8, nil, nil, 0},
		{"no number: left to the engine", types.Int8, "abc", "abc", 0},
	} {
		sv := &strictValue{child: expression.NewLiteral(tc.v, types.ApproximateTypeFromValue(tc.v)), typ: tc.typ, col: "c"}
		got, err := sv.Eval(ctx, nil)
		if tc.code != 0 {
			var me *mysql.SQLError
			if !errors.As(err, &me) || me.Num != tc.code {
				t.Errorf("%s: %v, %v; want error %d", tc.name, got, err, tc.code)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %#v, %v; want %#v", tc.name, got, err, tc.want)
		}
	}
}

// TestStrictUpdate: in strict mode the SET of a number column is wrapped
// once (a second rewrite finds nothing to do); string columns, UPDATE
// IGNORE and non-strict modes are left alone.
func TestStrictUpdate(t *testing.T) {
	num := expression.NewGetFieldWithTable(0, 0, types.Uint8, "db", "t", "n", false)
	str := expression.NewGetFieldWithTable(1, 1, types.Text, "db", "t", "s", true)
	src := func(ignore bool, sets ...sql.Expression) *plan.UpdateSource {
		return plan.NewUpdateSource(plan.NewResolvedDualTable(), ignore, plan.NewUpdateExprs(sets, len(sets)))
	}
	setNum := expression.NewSetField(num, expression.NewLiteral(int64(300), types.Int64))
	setStr := expression.NewSetField(str, expression.NewLiteral("x", types.Text))
	wrapped := func(n sql.Node) int {
		c := 0
		for _, e := range n.(*plan.UpdateSource).Expressions() {
			if _, ok := e.(*expression.SetField).RightChild.(*strictValue); ok {
				c++
			}
		}
		return c
	}

	strict := sql.NewEmptyContext()
	if err := strict.SetSessionVariable(strict, "sql_mode", "STRICT_TRANS_TABLES"); err != nil {
		t.Fatal(err)
	}
	n, changed, err := strictUpdate(strict, src(false, setNum, setStr))
	if err != nil || !changed || wrapped(n) != 1 {
		t.Fatalf("strict: changed %v, %d wrapped, %v; want the number column's SET wrapped", changed, wrapped(n), err)
	}
	if _, again, err := strictUpdate(strict, n.(*plan.UpdateSource)); err != nil || again {
		t.Errorf("second rewrite: changed %v, %v", again, err)
	}
	if _, changed, _ := strictUpdate(strict, src(true, setNum)); changed {
		t.Errorf("UPDATE IGNORE rewritten")
	}
	if _, changed, _ := strictUpdate(strict, src(false, setStr)); changed {
		t.Errorf("a string column's SET rewritten")
	}

	lax := sql.NewEmptyContext()
	if err := lax.SetSessionVariable(lax, "sql_mode", ""); err != nil {
		t.Fatal(err)
	}
	if _, changed, _ := strictUpdate(lax, src(false, setNum)); changed {
		t.Errorf("non-strict mode rewritten")
	}
}
