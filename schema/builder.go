package schema

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/gondb/gondb/ndberr"
)

// RowBuilder encodes column values into a row image. It is the one encoder of
// the row format: the API, tools and tests use it. A builder is reused across
// rows (Reset) and allocates only while its buffers grow. Not safe for
// concurrent use.
type RowBuilder struct {
	l     *Layout
	fixed []byte
	vars  [][]byte
	blank []byte // the fixed part as Reset leaves it
}

// NewRowBuilder returns a builder for l, Reset.
func NewRowBuilder(l *Layout) *RowBuilder {
	b := &RowBuilder{l: l, fixed: make([]byte, l.FixedSize), vars: make([][]byte, len(l.VarCols))}
	for c := range l.Cols {
		cl := &l.Cols[c]
		if cl.NullBit >= 0 {
			b.setNullBit(cl.NullBit, true)
		}
		if l.Table.Columns[c].Type == TypeChar {
			fillSpaces(b.fixed[cl.Offset : cl.Offset+cl.Size])
		}
	}
	b.blank = append([]byte(nil), b.fixed...)
	return b
}

// Layout returns the builder's layout.
func (b *RowBuilder) Layout() *Layout { return b.l }

// Reset sets every nullable column to NULL and every other column to its
// zero value (0, empty string, spaces for CHAR, zero date).
func (b *RowBuilder) Reset() {
	copy(b.fixed, b.blank)
	for i := range b.vars {
		b.vars[i] = b.vars[i][:0]
	}
}

func fillSpaces(v []byte) {
	for i := range v {
		v[i] = ' '
	}
}

func (b *RowBuilder) setNullBit(bit int, null bool) {
	p := &b.fixed[b.l.NullOffset+bit>>3]
	if null {
		*p |= 1 << (bit & 7)
	} else {
		*p &^= 1 << (bit & 7)
	}
}

func (b *RowBuilder) col(c int) (*Column, *ColumnLayout, error) {
	if c < 0 || c >= len(b.l.Cols) {
		return nil, nil, ndberr.ErrBadAttribute
	}
	return &b.l.Table.Columns[c], &b.l.Cols[c], nil
}

// SetNull sets column c to NULL.
func (b *RowBuilder) SetNull(c int) error {
	col, cl, err := b.col(c)
	if err != nil {
		return err
	}
	if cl.NullBit < 0 {
		return fmt.Errorf("column %s: %w", col.Name, ndberr.ErrNullInNotNull)
	}
	b.setNullBit(cl.NullBit, true)
	if cl.VarIndex >= 0 {
		b.vars[cl.VarIndex] = b.vars[cl.VarIndex][:0]
	} else {
		clear(b.fixed[cl.Offset : cl.Offset+cl.Size])
	}
	return nil
}

func (b *RowBuilder) notNull(cl *ColumnLayout) {
	if cl.NullBit >= 0 {
		b.setNullBit(cl.NullBit, false)
	}
}

// intRange returns the allowed range of an integer column.
func intRange(col *Column) (lo int64, hi uint64) {
	bits := uint(8 * col.Type.intSize())
	if col.Unsigned {
		if bits == 64 {
			return 0, math.MaxUint64
		}
		return 0, 1<<bits - 1
	}
	return -1 << (bits - 1), 1<<(bits-1) - 1
}

// SetInt64 sets an integer column, checking its range.
func (b *RowBuilder) SetInt64(c int, v int64) error {
	col, cl, err := b.col(c)
	if err != nil {
		return err
	}
	if !col.Type.IsInteger() {
		return fmt.Errorf("column %s is %s, not an integer: %w", col.Name, col.Type, ndberr.ErrBadAttribute)
	}
	lo, hi := intRange(col)
	if v < lo || (v > 0 && uint64(v) > hi) {
		return fmt.Errorf("column %s: %d out of range for %s: %w", col.Name, v, col.Type, ndberr.ErrValueTooLong)
	}
	putLEUint(b.fixed[cl.Offset:cl.Offset+cl.Size], uint64(v))
	b.notNull(cl)
	return nil
}

// SetUint64 sets an integer or BIT column from an unsigned value.
func (b *RowBuilder) SetUint64(c int, v uint64) error {
	if c < 0 || c >= len(b.l.Cols) {
		return ndberr.ErrBadAttribute
	}
	cl := &b.l.Cols[c]
	if cl.uintKind == uintNone || v > cl.uintMax {
		return b.uintErr(c, v)
	}
	putLEUint(b.fixed[cl.Offset:cl.Offset+cl.Size], v)
	if cl.NullBit >= 0 {
		b.setNullBit(cl.NullBit, false)
	}
	return nil
}

// uintErr says why SetUint64 refused v (off the hot path).
func (b *RowBuilder) uintErr(c int, v uint64) error {
	col := &b.l.Table.Columns[c]
	switch b.l.Cols[c].uintKind {
	case uintBit:
		return fmt.Errorf("column %s: %d does not fit BIT(%d): %w", col.Name, v, col.Length, ndberr.ErrValueTooLong)
	case uintInteger:
		return fmt.Errorf("column %s: %d out of range for %s: %w", col.Name, v, col.Type, ndberr.ErrValueTooLong)
	}
	return fmt.Errorf("column %s is %s: %w", col.Name, col.Type, ndberr.ErrBadAttribute)
}

// SetFloat64 sets a FLOAT or DOUBLE column.
func (b *RowBuilder) SetFloat64(c int, v float64) error {
	col, cl, err := b.col(c)
	if err != nil {
		return err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || (col.Unsigned && v < 0) {
		return fmt.Errorf("column %s: %v is not a valid %s: %w", col.Name, v, col.Type, ndberr.ErrValueTooLong)
	}
	dst := b.fixed[cl.Offset : cl.Offset+cl.Size]
	switch col.Type {
	case TypeFloat:
		if math.Abs(v) > math.MaxFloat32 {
			return fmt.Errorf("column %s: %v out of range for FLOAT: %w", col.Name, v, ndberr.ErrValueTooLong)
		}
		binary.LittleEndian.PutUint32(dst, math.Float32bits(float32(v)))
	case TypeDouble:
		binary.LittleEndian.PutUint64(dst, math.Float64bits(v))
	default:
		return fmt.Errorf("column %s is %s: %w", col.Name, col.Type, ndberr.ErrBadAttribute)
	}
	b.notNull(cl)
	return nil
}

// SetString sets a string column (see SetBytes).
func (b *RowBuilder) SetString(c int, s string) error {
	return setBytesGeneric(b, c, s)
}

// SetBytes sets a CHAR, VARCHAR, BINARY, VARBINARY, TEXT or BLOB column. CHAR
// is padded with spaces and BINARY with zero bytes. Character columns in
// utf8mb4 must hold valid UTF-8 of at most Length characters.
func (b *RowBuilder) SetBytes(c int, v []byte) error {
	return setBytesGeneric(b, c, v)
}

func setBytesGeneric[S ~string | ~[]byte](b *RowBuilder, c int, v S) error {
	col, cl, err := b.col(c)
	if err != nil {
		return err
	}
	if !col.Type.IsString() {
		return fmt.Errorf("column %s is %s, not a string: %w", col.Name, col.Type, ndberr.ErrBadAttribute)
	}
	if len(v) > cl.MaxBytes {
		return fmt.Errorf("column %s: %d bytes, at most %d: %w", col.Name, len(v), cl.MaxBytes, ndberr.ErrValueTooLong)
	}
	if (col.Type == TypeChar || col.Type == TypeVarchar || col.Type == TypeText) && col.charset() == CharsetUTF8MB4 {
		if !validUTF8(v) {
			return fmt.Errorf("column %s: invalid utf8mb4 string: %w", col.Name, ndberr.ErrBadRowImage)
		}
		if col.Type != TypeText && runeCount(v) > col.Length {
			return fmt.Errorf("column %s: more than %d characters: %w", col.Name, col.Length, ndberr.ErrValueTooLong)
		}
	}
	switch {
	case cl.VarIndex >= 0:
		b.vars[cl.VarIndex] = append(b.vars[cl.VarIndex][:0], v...)
	case cl.varKey:
		dst := b.fixed[cl.Offset : cl.Offset+cl.Size]
		binary.LittleEndian.PutUint16(dst, uint16(len(v)))
		n := copy(dst[2:], v)
		clear(dst[2+n:])
	default:
		dst := b.fixed[cl.Offset : cl.Offset+cl.Size]
		n := copy(dst, v)
		if col.Type == TypeChar {
			fillSpaces(dst[n:])
		} else {
			clear(dst[n:])
		}
	}
	b.notNull(cl)
	return nil
}

func validUTF8[S ~string | ~[]byte](v S) bool {
	return utf8.ValidString(string(v))
}

func runeCount[S ~string | ~[]byte](v S) int {
	return utf8.RuneCountInString(string(v))
}

// SetRaw sets a fixed-size column from its already encoded value, which must
// have exactly the column's size (for DECIMAL, DATE, TIME, DATETIME,
// TIMESTAMP produced by the Append* codecs).
func (b *RowBuilder) SetRaw(c int, enc []byte) error {
	col, cl, err := b.col(c)
	if err != nil {
		return err
	}
	if cl.VarIndex >= 0 || cl.varKey {
		return b.SetBytes(c, enc)
	}
	if len(enc) != cl.Size {
		return fmt.Errorf("column %s: encoded value has %d bytes, want %d: %w", col.Name, len(enc), cl.Size, ndberr.ErrValueTooLong)
	}
	copy(b.fixed[cl.Offset:], enc)
	b.notNull(cl)
	return nil
}

// SetDecimal sets a DECIMAL column from its text form.
func (b *RowBuilder) SetDecimal(c int, s string) error {
	col, cl, err := b.col(c)
	if err != nil {
		return err
	}
	if col.Type != TypeDecimal {
		return fmt.Errorf("column %s is %s: %w", col.Name, col.Type, ndberr.ErrBadAttribute)
	}
	var buf [32]byte
	enc, err := AppendDecimal(buf[:0], s, col.Precision, col.Scale)
	if err != nil {
		return fmt.Errorf("column %s: %w", col.Name, err)
	}
	copy(b.fixed[cl.Offset:cl.Offset+cl.Size], enc)
	b.notNull(cl)
	return nil
}

// AppendRow appends the row image (fixed part, then var part) to dst.
func (b *RowBuilder) AppendRow(dst []byte) []byte {
	dst = append(dst, b.fixed...)
	end := uint32(0)
	for _, v := range b.vars {
		end += uint32(len(v))
		dst = binary.LittleEndian.AppendUint32(dst, end)
	}
	for _, v := range b.vars {
		dst = append(dst, v...)
	}
	return dst
}

// AppendKey appends the key image (the key columns set so far) to dst.
func (b *RowBuilder) AppendKey(dst []byte) []byte {
	return append(dst, b.fixed[:b.l.KeySize]...)
}
