// Package filter is gondb's pushed-down scan filter, NDB's NdbScanFilter and
// interpreted program in one: the API side builds a compact program with a
// Builder, the program travels in a signal section, and the data node
// Compiles it against the table's Layout and runs Match on every row a scan
// examines, so rows that fail never leave the node.
//
//	b := filter.NewBuilder(layout)
//	b.Begin(filter.And)
//	b.Cmp(price, filter.Ge, filter.Decimal("9.99"))
//	b.Like(name, "gon%")
//	b.End()
//	prog, err := b.Program() // bytes for the signal section
//
//	f, err := filter.Compile(layout, prog) // data node: validate everything
//	if f.Match(row) { ... }
//
// # Semantics
//
// Conditions use SQL's three-valued logic: a comparison, LIKE, BETWEEN or
// bit test on a NULL column is UNKNOWN; And, Or, Nand (NOT AND) and Nor
// (NOT OR) follow Kleene's logic; IS NULL and IS NOT NULL are never UNKNOWN.
// A row matches only when the whole program is TRUE.
//
// Values compare in their column type's order, exactly as
// schema.Layout.CompareValues orders them: signed or unsigned integers,
// floats, DECIMAL, temporal values, CHAR/VARCHAR/TEXT by bytes with trailing
// spaces ignored (PAD SPACE), BINARY/VARBINARY/BLOB by bytes. Comparisons are
// case-sensitive (binary collation); so is LIKE, which compares bytes, has %
// (any sequence) and _ (one character: one UTF-8 character in a utf8mb4
// column, else one byte), and escapes with a backslash. LIKE on CHAR ignores
// the padding spaces, as MySQL returns CHAR values without them.
//
// Constants are type-exact: they are the bytes a row holds for the column
// (Row.Raw form), so the data node never converts. The Value helpers encode
// them for the column at hand; a constant that the column type cannot hold
// (300 for a TINYINT) is an error, and the SQL layer folds such conditions
// before pushing them down.
//
// The program encoding is documented in docs/formats.md ("Filter program").
//
// # Concurrency
//
// A Builder is for one goroutine at a time. A Filter is immutable after
// Compile; Match is safe for concurrent use and allocates nothing.
//
// filter imports schema and ndberr from gondb, and never datanode/ (its
// Filter satisfies datanode/store.RowFilter by having the same method).
package filter
