package schema

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gondb/gondb/ndberr"
)

// allTypes is a table with a column of every type, all nullable, and a
// two-column key with a variable-size part.
func allTypes() *Table {
	return &Table{
		ID: 3, Name: "alltypes", Version: 1,
		Columns: []Column{
			{Name: "id", Type: TypeBigInt},                                            // 0
			{Name: "name", Type: TypeVarchar, Length: 16, Charset: CharsetLatin1},     // 1
			{Name: "ti", Type: TypeTinyInt, Nullable: true},                           // 2
			{Name: "si", Type: TypeSmallInt, Unsigned: true, Nullable: true},          // 3
			{Name: "mi", Type: TypeMediumInt, Nullable: true},                         // 4
			{Name: "i", Type: TypeInt, Nullable: true},                                // 5
			{Name: "bu", Type: TypeBigInt, Unsigned: true, Nullable: true},            // 6
			{Name: "f", Type: TypeFloat, Nullable: true},                              // 7
			{Name: "d", Type: TypeDouble, Nullable: true},                             // 8
			{Name: "dec", Type: TypeDecimal, Precision: 20, Scale: 4, Nullable: true}, // 9
			{Name: "ch", Type: TypeChar, Length: 8, Nullable: true},                   // 10 utf8mb4
			{Name: "vc", Type: TypeVarchar, Length: 30, Nullable: true},               // 11 utf8mb4
			{Name: "bin", Type: TypeBinary, Length: 6, Nullable: true},                // 12
			{Name: "vb", Type: TypeVarbinary, Length: 50, Nullable: true},             // 13
			{Name: "dt", Type: TypeDate, Nullable: true},                              // 14
			{Name: "tm", Type: TypeTime, Nullable: true},                              // 15
			{Name: "dtm", Type: TypeDatetime, Nullable: true},                         // 16
			{Name: "ts", Type: TypeTimestamp, Nullable: true},                         // 17
			{Name: "bit", Type: TypeBit, Length: 13, Nullable: true},                  // 18
			{Name: "txt", Type: TypeText, Nullable: true},                             // 19
			{Name: "blb", Type: TypeBlob, Nullable: true},                             // 20
		},
		PrimaryKey: []int{0, 1},
		Indexes:    []Index{{Name: "by_i", Kind: IndexOrdered, Columns: []int{5, 11}}},
	}
}

func TestLayoutOfAllTypes(t *testing.T) {
	l, err := NewLayout(allTypes())
	if err != nil {
		t.Fatal(err)
	}
	if l.KeySize != 8+2+16 {
		t.Errorf("KeySize %d, want 26", l.KeySize)
	}
	if got := len(l.VarCols); got != 4 {
		t.Errorf("%d var columns, want 4 (vc, vb, txt, blb)", got)
	}
	if l.NullBytes != 3 { // 19 nullable columns
		t.Errorf("NullBytes %d, want 3", l.NullBytes)
	}
	if l.Cols[10].Size != 32 { // CHAR(8) utf8mb4
		t.Errorf("CHAR(8) utf8mb4 size %d, want 32", l.Cols[10].Size)
	}
	if l.Cols[9].Size != DecimalSize(20, 4) {
		t.Errorf("DECIMAL size %d", l.Cols[9].Size)
	}
}

func TestTableValidateErrors(t *testing.T) {
	base := func() *Table {
		return &Table{Name: "t", Columns: []Column{{Name: "id", Type: TypeInt}, {Name: "b", Type: TypeBlob}}, PrimaryKey: []int{0}}
	}
	tests := []struct {
		name   string
		mutate func(*Table)
		want   string
	}{
		{"no name", func(t *Table) { t.Name = "" }, "no name"},
		{"no pk", func(t *Table) { t.PrimaryKey = nil }, "no primary key"},
		{"nullable pk", func(t *Table) { t.Columns[0].Nullable = true }, "must be NOT NULL"},
		{"blob pk", func(t *Table) { t.PrimaryKey = []int{1} }, "cannot be in the primary key"},
		{"dup column", func(t *Table) { t.Columns[1].Name = "ID" }, "duplicate column"},
		{"bad type", func(t *Table) { t.Columns[1].Type = 99 }, "unknown type"},
		{"bad decimal", func(t *Table) { t.Columns[1] = Column{Name: "x", Type: TypeDecimal, Precision: 66} }, "DECIMAL(66,0)"},
		{"bit 0", func(t *Table) { t.Columns[1] = Column{Name: "x", Type: TypeBit} }, "BIT(0)"},
		{"huge varchar", func(t *Table) { t.Columns[1] = Column{Name: "x", Type: TypeVarchar, Length: 20000} }, "exceeds 65535 bytes"},
		{"big blob", func(t *Table) { t.Columns[1].Length = 1 << 20 }, "blob parts"},
		{"unsigned char", func(t *Table) { t.Columns[1] = Column{Name: "x", Type: TypeChar, Unsigned: true} }, "UNSIGNED"},
		{"dist not in pk", func(t *Table) { t.DistributionKey = []int{1} }, "not in the primary key"},
		{"index on blob", func(t *Table) { t.Indexes = []Index{{Name: "i", Kind: IndexOrdered, Columns: []int{1}}} }, "cannot include"},
		{"index kind", func(t *Table) { t.Indexes = []Index{{Name: "i", Kind: 7, Columns: []int{0}}} }, "unknown kind"},
	}
	for _, tt := range tests {
		tbl := base()
		tt.mutate(tbl)
		err := tbl.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
	big := &Table{Name: "k", Columns: []Column{{Name: "a", Type: TypeVarchar, Length: 1000}}, PrimaryKey: []int{0}}
	if _, err := NewLayout(big); err == nil || !strings.Contains(err.Error(), "primary key takes") {
		t.Errorf("oversized key accepted: %v", err)
	}
}

func TestBuilderRangeChecks(t *testing.T) {
	l, _ := NewLayout(allTypes())
	b := NewRowBuilder(l)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"tinyint 128", b.SetInt64(2, 128), ndberr.ErrValueTooLong},
		{"tinyint -128", b.SetInt64(2, -128), nil},
		{"smallint unsigned -1", b.SetInt64(3, -1), ndberr.ErrValueTooLong},
		{"smallint unsigned 65535", b.SetUint64(3, 65535), nil},
		{"mediumint 8388608", b.SetInt64(4, 8388608), ndberr.ErrValueTooLong},
		{"float overflow", b.SetFloat64(7, math.MaxFloat64), ndberr.ErrValueTooLong},
		{"double NaN", b.SetFloat64(8, math.NaN()), ndberr.ErrValueTooLong},
		{"char 9 chars", b.SetString(10, "123456789"), ndberr.ErrValueTooLong},
		{"char 8 runes utf8", b.SetString(10, "ééééé€€€"), nil},
		{"varchar bad utf8", b.SetString(11, "\xff"), ndberr.ErrBadRowImage},
		{"binary too long", b.SetBytes(12, make([]byte, 7)), ndberr.ErrValueTooLong},
		{"bit 14 bits", b.SetUint64(18, 1<<13), ndberr.ErrValueTooLong},
		{"null in pk", b.SetNull(0), ndberr.ErrNullInNotNull},
		{"int into varchar", b.SetInt64(11, 1), ndberr.ErrBadAttribute},
		{"no such column", b.SetInt64(99, 1), ndberr.ErrBadAttribute},
		{"decimal overflow", b.SetDecimal(9, "1e30"), nil},
		{"raw wrong size", b.SetRaw(14, []byte{1, 2}), ndberr.ErrValueTooLong},
	}
	for _, tt := range tests {
		if tt.want == nil && tt.name == "decimal overflow" {
			if tt.err == nil {
				t.Errorf("%s: accepted", tt.name)
			}
			continue
		}
		if !errors.Is(tt.err, tt.want) && !(tt.err == nil && tt.want == nil) {
			t.Errorf("%s: err %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func TestCheckRowRejectsMalformed(t *testing.T) {
	l, _ := NewLayout(allTypes())
	b := NewRowBuilder(l)
	must(t, b.SetInt64(0, 1))
	must(t, b.SetString(1, "k"))
	must(t, b.SetString(11, "hello"))
	good := b.AppendRow(nil)
	if _, err := l.CheckRow(good); err != nil {
		t.Fatalf("good row rejected: %v", err)
	}
	varAt := l.FixedSize
	vcNull := l.Cols[11].NullBit
	tests := []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"truncated", func(r []byte) []byte { return r[:len(r)-1] }},
		{"extra byte", func(r []byte) []byte { return append(r, 0) }},
		{"short fixed", func(r []byte) []byte { return r[:l.FixedSize-1] }},
		{"key length over max", func(r []byte) []byte { binary.LittleEndian.PutUint16(r[8:], 17); return r }},
		{"key padding dirty", func(r []byte) []byte { r[8+2+15] = 'x'; return r }},
		{"offsets decrease", func(r []byte) []byte { binary.LittleEndian.PutUint32(r[varAt+4:], 0); return r }},
		{"null with data", func(r []byte) []byte { r[l.NullOffset+vcNull/8] |= 1 << (vcNull % 8); return r }},
	}
	for _, tt := range tests {
		r := tt.mutate(bytes.Clone(good))
		if _, err := l.CheckRow(r); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCompareSearchKeyPrefixAndNulls(t *testing.T) {
	l, _ := NewLayout(allTypes())
	b := NewRowBuilder(l)
	row := func(i int64, vc *string) Row {
		b.Reset()
		must(t, b.SetInt64(0, 1))
		must(t, b.SetInt64(5, i))
		if vc != nil {
			must(t, b.SetString(11, *vc))
		}
		return l.RowOf(b.AppendRow(nil))
	}
	s := func(v string) *string { return &v }
	cols := []int{5, 11}
	key := func(i int32, vc *string, ncols int) []byte {
		var raw [4]byte
		binary.LittleEndian.PutUint32(raw[:], uint32(i))
		k := l.AppendSearchKeyValue(nil, 5, raw[:], false)
		if ncols == 2 {
			if vc == nil {
				k = l.AppendSearchKeyValue(k, 11, nil, true)
			} else {
				k = l.AppendSearchKeyValue(k, 11, []byte(*vc), false)
			}
		}
		if n, err := l.CheckSearchKey(cols, k); err != nil || n != ncols {
			t.Fatalf("CheckSearchKey = %d, %v", n, err)
		}
		return k
	}
	tests := []struct {
		key  []byte
		row  Row
		want int
	}{
		{key(5, nil, 1), row(5, s("b")), 0},  // prefix matches
		{key(4, nil, 1), row(5, s("b")), -1}, // smaller first column
		{key(-1, nil, 1), row(-2, nil), 1},   // signed compare
		{key(5, s("a"), 2), row(5, s("b")), -1},
		{key(5, s("b  "), 2), row(5, s("b")), 0}, // PAD SPACE
		{key(5, nil, 2), row(5, nil), 0},         // NULL = NULL in index order
		{key(5, nil, 2), row(5, s("")), -1},      // NULL sorts first
	}
	for i, tt := range tests {
		if got := l.CompareSearchKey(cols, tt.key, tt.row); got != tt.want {
			t.Errorf("case %d: got %d want %d", i, got, tt.want)
		}
	}
}

func TestColumnSetNext(t *testing.T) {
	var s ColumnSet
	for _, c := range []int{0, 5, 63, 64, 200, 511} {
		s.Add(c)
	}
	var got []int
	for c := s.Next(0); c >= 0; c = s.Next(c + 1) {
		got = append(got, c)
	}
	want := []int{0, 5, 63, 64, 200, 511}
	if len(got) != len(want) {
		t.Fatalf("got %v want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
	var empty ColumnSet
	if empty.Next(0) != -1 {
		t.Fatal("empty set has a member")
	}
}

func TestColumnSetContains(t *testing.T) {
	all5, all600 := AllColumns(5), AllColumns(MaxColumns)
	var some, far ColumnSet
	some.Add(1)
	some.Add(3)
	far.Add(1)
	far.Add(300)
	tests := []struct {
		name string
		s, o *ColumnSet
		want bool
	}{
		{"all contains some", &all5, &some, true},
		{"some lacks all", &some, &all5, false},
		{"itself", &all5, &all5, true},
		{"every column contains a layout's", &all600, &all5, true},
		{"a second word counts", &all5, &far, false},
		{"anything contains the empty set", &some, &ColumnSet{}, true},
	}
	for _, tt := range tests {
		if got := tt.s.Contains(tt.o); got != tt.want {
			t.Errorf("%s: Contains = %v, want %v", tt.name, got, tt.want)
		}
	}
}
