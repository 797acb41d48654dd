package schema

import "fmt"

// HiddenPKColumn names the hidden table's column that holds the base row's
// primary-key image.
const HiddenPKColumn = "NDB$PK"

// UniqueIndexTable returns the hidden table that stores unique index ix of
// base, as NDB does: its primary key is the index columns (NOT NULL in the
// hidden table: a base row with a NULL in them is not entered, since NULLs
// never collide), and one VARBINARY column holds the base row's primary-key
// image. The hidden table is distributed by its own key, so a unique lookup
// reads one fragment of it and then the base row; keeping it in step with
// the base table is the transaction coordinator's work.
func UniqueIndexTable(base *Layout, ix *Index, id uint32) (*Table, error) {
	if ix.Kind != IndexUniqueHash {
		return nil, fmt.Errorf("index %s is not a unique hash index", ix.Name)
	}
	t := &Table{ID: id, Name: base.Table.Name + "$" + ix.Name, Version: base.Table.Version}
	for i, c := range ix.Columns {
		col := base.Table.Columns[c]
		col.Nullable = false
		t.Columns = append(t.Columns, col)
		t.PrimaryKey = append(t.PrimaryKey, i)
	}
	t.Columns = append(t.Columns, Column{Name: HiddenPKColumn, Type: TypeVarbinary, Length: base.KeySize})
	return t, t.Validate()
}

// UniqueIndex builds hidden-table rows and keys from base rows. Not safe
// for concurrent use (it reuses a builder).
type UniqueIndex struct {
	Base   *Layout
	Hidden *Layout
	cols   []int // base column of each hidden key column
	b      *RowBuilder
}

// NewUniqueIndex prepares unique index number ix of base's table.
func NewUniqueIndex(base *Layout, ix int, hiddenID uint32) (*UniqueIndex, error) {
	if ix < 0 || ix >= len(base.Table.Indexes) {
		return nil, fmt.Errorf("table %s has no index %d", base.Table.Name, ix)
	}
	t, err := UniqueIndexTable(base, &base.Table.Indexes[ix], hiddenID)
	if err != nil {
		return nil, err
	}
	h, err := NewLayout(t)
	if err != nil {
		return nil, err
	}
	return &UniqueIndex{Base: base, Hidden: h, cols: base.Table.Indexes[ix].Columns, b: NewRowBuilder(h)}, nil
}

// fill sets the builder from base row r; false when a unique column is NULL.
func (u *UniqueIndex) fill(r Row) bool {
	u.b.Reset()
	for i, c := range u.cols {
		if r.IsNull(c) {
			return false
		}
		if err := u.b.SetRaw(i, r.Raw(c)); err != nil {
			// r passed CheckRow against the same column definitions.
			panic(fmt.Sprintf("schema: unique index of %s: %v", u.Base.Table.Name, err))
		}
	}
	return true
}

// AppendRow appends the hidden-table row for base row r. ok is false when
// one of the unique columns is NULL: such rows are not in the index.
func (u *UniqueIndex) AppendRow(dst []byte, r Row) (out []byte, ok bool) {
	if !u.fill(r) {
		return dst, false
	}
	if err := u.b.SetBytes(len(u.cols), r.Fixed[:u.Base.KeySize]); err != nil {
		panic(fmt.Sprintf("schema: unique index of %s: %v", u.Base.Table.Name, err))
	}
	return u.b.AppendRow(dst), true
}

// AppendKey appends the hidden-table key of base row r (ok as AppendRow).
func (u *UniqueIndex) AppendKey(dst []byte, r Row) (out []byte, ok bool) {
	if !u.fill(r) {
		return dst, false
	}
	return u.b.AppendKey(dst), true
}

// BaseKey returns the base table key stored in a hidden-table row image.
func (u *UniqueIndex) BaseKey(hiddenRow []byte) []byte {
	return u.Hidden.RowOf(hiddenRow).Raw(len(u.cols))
}
