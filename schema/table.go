package schema

import (
	"fmt"
	"math/bits"
	"strings"
)

// Column describes one column of a table.
type Column struct {
	Name     string
	Type     Type
	Unsigned bool // integer types only
	Nullable bool
	// Length is the declared length: characters for CHAR and VARCHAR, bytes
	// for BINARY and VARBINARY, bits for BIT, and the maximum bytes of a TEXT
	// or BLOB (0 means MaxBlobBytes).
	Length    int
	Precision int     // DECIMAL
	Scale     int     // DECIMAL
	Charset   Charset // CHAR, VARCHAR, TEXT; 0 means utf8mb4 (MySQL 8's default)
}

// charset is the effective character set of a string column.
func (c *Column) charset() Charset {
	switch c.Type {
	case TypeBinary, TypeVarbinary, TypeBlob:
		return CharsetBinary
	}
	if c.Charset == 0 {
		return CharsetUTF8MB4
	}
	return c.Charset
}

// MaxBytes is the most bytes a value of a string column can hold.
func (c *Column) MaxBytes() int {
	switch c.Type {
	case TypeChar, TypeVarchar:
		return c.Length * c.charset().MaxBytesPerChar()
	case TypeBinary, TypeVarbinary:
		return c.Length
	case TypeText, TypeBlob:
		if c.Length == 0 {
			return MaxBlobBytes
		}
		return c.Length
	}
	return 0
}

// fixedSize is the size of the column's value in the fixed part (0 for
// columns that live in the var part).
func (c *Column) fixedSize() int {
	switch {
	case c.Type.IsInteger():
		return c.Type.intSize()
	}
	switch c.Type {
	case TypeFloat:
		return 4
	case TypeDouble:
		return 8
	case TypeDecimal:
		return DecimalSize(c.Precision, c.Scale)
	case TypeChar, TypeBinary:
		return c.MaxBytes()
	case TypeDate:
		return DateSize
	case TypeTime:
		return TimeSize
	case TypeDatetime:
		return DatetimeSize
	case TypeTimestamp:
		return TimestampSize
	case TypeBit:
		return (c.Length + 7) / 8
	}
	return 0
}

func (c *Column) validate() error {
	if c.Name == "" {
		return fmt.Errorf("column has no name")
	}
	if !c.Type.Valid() {
		return fmt.Errorf("column %s: unknown type %d", c.Name, c.Type)
	}
	if c.Unsigned && !c.Type.IsInteger() && c.Type != TypeFloat && c.Type != TypeDouble && c.Type != TypeDecimal {
		return fmt.Errorf("column %s: UNSIGNED is not allowed on %s", c.Name, c.Type)
	}
	if c.Charset != 0 && !c.Charset.valid() {
		return fmt.Errorf("column %s: unknown charset %d", c.Name, c.Charset)
	}
	switch c.Type {
	case TypeChar, TypeBinary:
		if c.Length < 0 || c.Length > MaxCharLength {
			return fmt.Errorf("column %s: %s(%d) length must be 0..%d", c.Name, c.Type, c.Length, MaxCharLength)
		}
	case TypeVarchar, TypeVarbinary:
		if c.Length < 0 || c.MaxBytes() > MaxVarcharBytes {
			return fmt.Errorf("column %s: %s(%d) exceeds %d bytes", c.Name, c.Type, c.Length, MaxVarcharBytes)
		}
	case TypeText, TypeBlob:
		if c.Length < 0 || c.Length > MaxBlobBytes {
			return fmt.Errorf("column %s: %s length %d exceeds %d bytes (larger blobs need blob parts, not supported yet)", c.Name, c.Type, c.Length, MaxBlobBytes)
		}
	case TypeBit:
		if c.Length < 1 || c.Length > MaxBitLength {
			return fmt.Errorf("column %s: BIT(%d) length must be 1..%d", c.Name, c.Length, MaxBitLength)
		}
	case TypeDecimal:
		if err := DecimalValidate(c.Precision, c.Scale); err != nil {
			return fmt.Errorf("column %s: DECIMAL(%d,%d): %w", c.Name, c.Precision, c.Scale, err)
		}
	}
	return nil
}

// IndexKind is the kind of a secondary index; the numbers are stored in the
// dictionary.
type IndexKind uint8

const (
	// IndexOrdered is an ordered (range-scannable) index local to each
	// fragment, NDB's DBTUX.
	IndexOrdered IndexKind = 1
	// IndexUniqueHash is a unique hash index kept, as in NDB, as a hidden
	// table keyed by the unique columns whose one other column holds the base
	// row's primary key (see UniqueIndexTable).
	IndexUniqueHash IndexKind = 2
	// IndexDropped is the place of a dropped index. An index is named on
	// the wire and in unique indexes' hidden table ids by its position in
	// Table.Indexes, so dropping one leaves this placeholder (no name, no
	// columns) and the indexes after it keep their numbers. See
	// CheckIndexChange.
	IndexDropped IndexKind = 3
)

// Dropped reports whether the index is the placeholder of a dropped one.
func (ix *Index) Dropped() bool { return ix.Kind == IndexDropped }

// Index is a secondary index of a table.
type Index struct {
	Name    string
	Kind    IndexKind
	Columns []int // column numbers, in index order
}

// Table is a table definition. A Table is immutable once handed to a Layout.
type Table struct {
	ID      uint32
	Name    string
	Version uint32 // bumped by every schema change (online ADD COLUMN needs it)
	Columns []Column
	// PrimaryKey lists the key columns in key order. Required.
	PrimaryKey []int
	// DistributionKey lists the primary-key columns that choose the fragment;
	// empty means the whole primary key.
	DistributionKey []int
	Indexes         []Index
	// ReadBackup (NDB_TABLE=READ_BACKUP=1): committed reads may go to any
	// replica (the local one when there is one), and a commit is
	// acknowledged only after its complete phase, so a read from any
	// replica right after the commit sees it.
	ReadBackup bool
	// FullyReplicated (NDB_TABLE=FULLY_REPLICATED=1): every data node holds
	// a copy of every fragment; writes go through all of them, committed
	// reads are local. Implies ReadBackup.
	FullyReplicated bool
}

// Column returns the number of the named column (case-insensitive), or -1.
func (t *Table) Column(name string) int {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// Validate checks the definition. It never changes t.
func (t *Table) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("table has no name")
	}
	if len(t.Columns) == 0 || len(t.Columns) > MaxColumns {
		return fmt.Errorf("table %s: %d columns, want 1..%d", t.Name, len(t.Columns), MaxColumns)
	}
	seen := make(map[string]bool, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		if err := c.validate(); err != nil {
			return fmt.Errorf("table %s: %w", t.Name, err)
		}
		n := strings.ToLower(c.Name)
		if seen[n] {
			return fmt.Errorf("table %s: duplicate column %s", t.Name, c.Name)
		}
		seen[n] = true
	}
	if len(t.PrimaryKey) == 0 {
		return fmt.Errorf("table %s: no primary key", t.Name)
	}
	inPK := make(map[int]bool, len(t.PrimaryKey))
	for _, k := range t.PrimaryKey {
		if k < 0 || k >= len(t.Columns) {
			return fmt.Errorf("table %s: primary key column %d out of range", t.Name, k)
		}
		if inPK[k] {
			return fmt.Errorf("table %s: column %s twice in primary key", t.Name, t.Columns[k].Name)
		}
		inPK[k] = true
		c := &t.Columns[k]
		if c.Nullable {
			return fmt.Errorf("table %s: primary key column %s must be NOT NULL", t.Name, c.Name)
		}
		if c.Type == TypeText || c.Type == TypeBlob {
			return fmt.Errorf("table %s: %s column %s cannot be in the primary key", t.Name, c.Type, c.Name)
		}
	}
	for _, k := range t.DistributionKey {
		if !inPK[k] {
			return fmt.Errorf("table %s: distribution key column %d is not in the primary key", t.Name, k)
		}
	}
	names := map[string]bool{}
	for _, ix := range t.Indexes {
		if ix.Kind == IndexDropped {
			if ix.Name != "" || len(ix.Columns) != 0 {
				return fmt.Errorf("table %s: a dropped index's place has a name (%q) or columns", t.Name, ix.Name)
			}
			continue
		}
		if ix.Name == "" || names[strings.ToLower(ix.Name)] {
			return fmt.Errorf("table %s: index name %q empty or duplicate", t.Name, ix.Name)
		}
		names[strings.ToLower(ix.Name)] = true
		if ix.Kind != IndexOrdered && ix.Kind != IndexUniqueHash {
			return fmt.Errorf("table %s: index %s has unknown kind %d", t.Name, ix.Name, ix.Kind)
		}
		if len(ix.Columns) == 0 {
			return fmt.Errorf("table %s: index %s has no columns", t.Name, ix.Name)
		}
		for _, c := range ix.Columns {
			if c < 0 || c >= len(t.Columns) {
				return fmt.Errorf("table %s: index %s column %d out of range", t.Name, ix.Name, c)
			}
			if ty := t.Columns[c].Type; ty == TypeText || ty == TypeBlob {
				return fmt.Errorf("table %s: index %s cannot include %s column %s", t.Name, ix.Name, ty, t.Columns[c].Name)
			}
		}
	}
	return nil
}

// ColumnSet is a set of column numbers, used to say which columns an update
// writes. The zero value is empty.
type ColumnSet [MaxColumns / 64]uint64

// Add puts column c in the set.
func (s *ColumnSet) Add(c int) { s[c>>6] |= 1 << (c & 63) }

// Has reports whether c is in the set.
func (s *ColumnSet) Has(c int) bool { return s[c>>6]&(1<<(c&63)) != 0 }

// Next returns the smallest column in the set that is >= c, or -1.
func (s *ColumnSet) Next(c int) int {
	for w := c >> 6; w < len(s); w++ {
		word := s[w]
		if w == c>>6 {
			word &^= 1<<(c&63) - 1
		}
		if word != 0 {
			return w<<6 | bits.TrailingZeros64(word)
		}
	}
	return -1
}

// Contains reports whether every column of o is in s.
func (s *ColumnSet) Contains(o *ColumnSet) bool {
	for i := range s {
		if s[i]&o[i] != o[i] {
			return false
		}
	}
	return true
}

// AllColumns returns the set of columns 0..n-1.
func AllColumns(n int) ColumnSet {
	var s ColumnSet
	for c := 0; c < n; c++ {
		s.Add(c)
	}
	return s
}
