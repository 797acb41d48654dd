package filter

import (
	"math/rand/v2"
	"testing"

	"github.com/gondb/gondb/ndberr"
)

// FuzzCompile feeds arbitrary bytes to Compile: it must never panic, must
// fail only with a coded error, and a program it accepts must run on rows
// (NULLs and values) without panicking and agree between Match and eval.
func FuzzCompile(f *testing.F) {
	l := testLayout(f)
	rng := rand.New(rand.NewPCG(1, 2))
	b := NewBuilder(l)
	for i := 0; i < 64; i++ {
		b.Reset()
		if err := randExpr(rng, l, 3).build(b); err != nil {
			f.Fatal(err)
		}
		p, err := b.Program()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte(nil), p...))
		f.Add(append([]byte(nil), p[:len(p)/2]...))
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 1, 1, 0, 0x12, 0, 0})
	fixed := fixedRows(f, l)
	rows := fixed[:]
	for i := 0; i < 8; i++ {
		rows = append(rows, encodeRow(f, l, randRow(rng, l, 100+i)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := Compile(l, data)
		if err != nil {
			if ndberr.CodeOf(err) == 0 {
				t.Fatalf("Compile error without an NDB code: %v", err)
			}
			return
		}
		check := func(m bool, v uint8) {
			if m != (v == tvTrue) {
				t.Fatalf("Match %v, eval %d", m, v)
			}
		}
		for _, r := range rows {
			check(flt.Match(r), flt.eval(0, &r))
		}
	})
}
