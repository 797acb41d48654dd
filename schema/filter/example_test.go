package filter_test

import (
	"fmt"

	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
)

// The API builds a program; the data node compiles it against the same
// layout and runs it on each row.
func Example() {
	t := &schema.Table{
		Name: "item",
		Columns: []schema.Column{
			{Name: "id", Type: schema.TypeInt},
			{Name: "name", Type: schema.TypeVarchar, Length: 20, Nullable: true},
			{Name: "price", Type: schema.TypeDecimal, Precision: 8, Scale: 2, Nullable: true},
		},
		PrimaryKey: []int{0},
	}
	l, err := schema.NewLayout(t)
	if err != nil {
		panic(err)
	}

	// WHERE price >= 9.99 AND (name LIKE 'gon%' OR name IS NULL)
	b := filter.NewBuilder(l)
	b.Begin(filter.And)
	b.Cmp(2, filter.Ge, filter.Decimal("9.99"))
	b.Begin(filter.Or)
	b.Like(1, "gon%")
	b.IsNull(1)
	b.End()
	b.End()
	prog, err := b.Program()
	if err != nil {
		panic(err)
	}

	f, err := filter.Compile(l, prog) // on the data node
	if err != nil {
		panic(err)
	}
	rb := schema.NewRowBuilder(l)
	for id, r := range []struct{ name, price string }{
		{"gondb", "10.00"}, {"ndb", "20.00"}, {"gonzo", "1.50"}, {"", "9.99"},
	} {
		rb.Reset()
		rb.SetInt64(0, int64(id))
		if r.name != "" {
			rb.SetString(1, r.name)
		}
		rb.SetDecimal(2, r.price)
		fmt.Println(id, f.Match(l.RowOf(rb.AppendRow(nil))))
	}
	// Output:
	// 0 true
	// 1 false
	// 2 false
	// 3 true
}
