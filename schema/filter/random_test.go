package filter

import (
	"math/rand/v2"
	"testing"
)

// TestRandomAgainstReference runs random programs using every operator and
// nesting over random rows of a table with every column type and NULLs, and
// requires Compile(prog)'s three-valued result, and so Match, to equal the
// reference evaluator's over the rows' Go values.
func TestRandomAgainstReference(t *testing.T) {
	const seed = 20240611
	programs, rowsPer := 3000, 40
	if testing.Short() {
		programs = 600
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	l := testLayout(t)
	type row struct {
		vals []any
		img  []byte
	}
	rows := make([]row, 200)
	for i := range rows {
		vals := randRow(rng, l, i)
		r := encodeRow(t, l, vals)
		rows[i] = row{vals: vals, img: append(append([]byte(nil), r.Fixed...), r.Var...)}
	}
	// outcomes[kind][tv] counts leaf results, so the test knows its random
	// constants made every operator come out every way.
	var outcomes [256][3]int
	var roots [3]int
	var count func(e *expr, vals []any)
	count = func(e *expr, vals []any) {
		outcomes[e.kind][e.ref(l, vals)]++
		for _, k := range e.kids {
			count(k, vals)
		}
	}
	b := NewBuilder(l)
	for p := 0; p < programs; p++ {
		e := randExpr(rng, l, 4)
		b.Reset()
		if err := e.build(b); err != nil {
			t.Fatalf("seed %d program %d: build %s: %v", seed, p, e, err)
		}
		prog, err := b.Program()
		if err != nil {
			t.Fatalf("seed %d program %d: %s: %v", seed, p, e, err)
		}
		f, err := Compile(l, prog)
		if err != nil {
			t.Fatalf("seed %d program %d: compile %s: %v", seed, p, e, err)
		}
		for k := 0; k < rowsPer; k++ {
			rw := rows[rng.IntN(len(rows))]
			r := l.RowOf(rw.img)
			want := e.ref(l, rw.vals)
			if got := f.eval(0, &r); got != want {
				t.Fatalf("seed %d program %d: %s\nrow %v\ngot %d, want %d (0 false, 1 unknown, 2 true)", seed, p, e, rw.vals, got, want)
			}
			if f.Match(r) != (want == tvTrue) {
				t.Fatalf("seed %d program %d: Match disagrees with eval", seed, p)
			}
			roots[want]++
			count(e, rw.vals)
		}
	}
	for _, k := range []byte{byte(And), byte(Or), byte(Nand), byte(Nor), opCmp, opCmpCols, opLike, opNotLike, opBetween, opBits} {
		for v, n := range outcomes[k] {
			if n == 0 {
				t.Errorf("operator %#x never came out %d", k, v)
			}
		}
	}
	for _, k := range []byte{opIsNull, opIsNotNull} {
		if o := outcomes[k]; o[tvTrue] == 0 || o[tvFalse] == 0 || o[tvUnknown] != 0 {
			t.Errorf("operator %#x outcomes %v: want TRUE and FALSE, never UNKNOWN", k, o)
		}
	}
	t.Logf("root outcomes false/unknown/true: %v", roots)
}
