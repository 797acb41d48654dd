package filter

import (
	"testing"

	"github.com/gondb/gondb/schema"
)

// everyOperator builds a program with every group and condition kind.
func everyOperator(b *Builder) error {
	b.Begin(Or)
	b.Begin(And)
	b.Cmp(cI, Ge, Int(10))
	b.Cmp(cDec, Lt, Decimal("99.5"))
	b.Cmp(cCh, Eq, String("ab"))
	b.Cmp(cDt, Gt, Date(2000, 1, 1))
	b.CmpCols(cTi, Lt, cBu)
	b.CmpCols(cF, Gt, cD)
	b.CmpCols(cChL, Eq, cVcL)
	b.End()
	b.Begin(Nand)
	b.IsNull(cTi)
	b.IsNotNull(cVc)
	b.Like(cVc, "h%o")
	b.NotLike(cTxt, `%\_x`)
	b.End()
	b.Begin(Nor)
	b.Between(cKey, String("a"), String("z"))
	b.Bits(cBit, AnyClear, 0x3)
	b.Like(cBlb, "h__")
	b.End()
	return b.End()
}

// nested5 is a nested program of five conditions, a typical pushed WHERE:
// i >= 5 AND (vc LIKE 'h%' OR dec < 100) AND NOT (ti IS NULL OR dt BETWEEN ...).
func nested5(b *Builder) error {
	b.Begin(And)
	b.Cmp(cI, Ge, Int(5))
	b.Begin(Or)
	b.Like(cVc, "h%")
	b.Cmp(cDec, Lt, Int(100))
	b.End()
	b.Begin(Nor)
	b.IsNull(cTi)
	b.Between(cDt, Date(2000, 1, 1), Date(2001, 1, 1))
	b.End()
	return b.End()
}

func compileWith(t testing.TB, l *schema.Layout, build func(*Builder) error) *Filter {
	t.Helper()
	b := NewBuilder(l)
	if err := build(b); err != nil {
		t.Fatal(err)
	}
	p, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(l, p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestMatchAllocatesNothing: Match runs per row on the scan path.
func TestMatchAllocatesNothing(t *testing.T) {
	l := testLayout(t)
	rows := fixedRows(t, l)
	for _, build := range []func(*Builder) error{everyOperator, nested5} {
		f := compileWith(t, l, build)
		for i, r := range rows {
			if n := testing.AllocsPerRun(100, func() { f.Match(r) }); n != 0 {
				t.Errorf("row %d: Match allocates %v times", i, n)
			}
		}
	}
	// The full row matches the OR by its AND, the NULL row by its NAND.
	if f := compileWith(t, l, everyOperator); !f.Match(rows[1]) || !f.Match(rows[0]) {
		t.Errorf("everyOperator: Match = %v, %v; want true, true", f.Match(rows[0]), f.Match(rows[1]))
	}
}

// TestBuilderAllocatesNothing: a reused builder allocates nothing per
// program once its buffers have grown.
func TestBuilderAllocatesNothing(t *testing.T) {
	l := testLayout(t)
	b := NewBuilder(l)
	run := func() {
		b.Reset()
		if err := everyOperator(b); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Program(); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("building allocates %v times", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	l := testLayout(b)
	rows := fixedRows(b, l)
	simple := func(b *Builder) error { return b.Cmp(cI, Gt, Int(5)) }
	for _, bc := range []struct {
		name  string
		build func(*Builder) error
	}{
		{"simple", simple},
		{"nested5", nested5},
		{"every-operator", everyOperator},
	} {
		f := compileWith(b, l, bc.build)
		r := rows[1]
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if f.Match(r) {
					n++
				}
			}
			if n == 0 {
				b.Fatal("no match")
			}
		})
	}
}

func BenchmarkBuildAndCompile(b *testing.B) {
	l := testLayout(b)
	bl := NewBuilder(l)
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bl.Reset()
			nested5(bl)
			bl.Program()
		}
	})
	bl.Reset()
	nested5(bl)
	p, _ := bl.Program()
	b.Run("compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Compile(l, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
