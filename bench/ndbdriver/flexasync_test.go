package ndbdriver

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/bench/flexasync"
	"github.com/gondb/gondb/schema"
)

// TestFlexCheck: check accepts a row written for the generation it
// expects and names the first wrong word of any other, by the offsets of
// the fixed part and column by column alike.
func TestFlexCheck(t *testing.T) {
	for _, words := range []int{1, 3} {
		for _, byOffset := range []bool{true, false} {
			t.Run(fmt.Sprintf("words=%d/offsets=%v", words, byOffset), func(t *testing.T) {
				cfg := flexasync.DefaultConfig()
				cfg.Attributes, cfg.AttrWords = 5, words
				layout, err := schema.NewLayout(FlexTable(cfg, 1))
				if err != nil {
					t.Fatal(err)
				}
				w := &flexWorker{cfg: cfg, rb: schema.NewRowBuilder(layout), fixedSize: layout.FixedSize}
				if byOffset {
					for a := 0; a < cfg.Attributes; a++ {
						w.offs = append(w.offs, layout.Cols[a+1].Offset)
					}
				}
				w.fill(42, 1)
				row := schema.Row{L: layout, Fixed: w.rb.AppendRow(nil)[:layout.FixedSize]}
				if err := w.check(42, row, 1); err != nil {
					t.Fatalf("the row as written: %v", err)
				}
				if err := w.check(42, row, 2); err == nil {
					t.Fatal("a row of generation 1 passed as generation 2")
				}
				if err := w.check(43, row, 1); err == nil {
					t.Fatal("key 42's row passed as key 43's")
				}
			})
		}
	}
}
