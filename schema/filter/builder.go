package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// Builder builds a filter program for one table layout, the API side of
// NdbScanFilter. Groups open with Begin and close with End; conditions go
// into the innermost open group, or stand alone as the whole program.
//
// Misuse is recorded: the first error is returned by that call, by every
// later call and by Program, so a caller may check only Program's error.
// Reset makes the builder usable again. After warm-up a builder allocates
// nothing per condition. Not safe for concurrent use.
type Builder struct {
	l     *schema.Layout
	buf   []byte
	open  []frame // open groups, innermost last
	roots int     // top-level nodes (one is a program)
	nodes int
	err   error
}

// frame is an open group: where its member count goes, and the count.
type frame struct {
	countAt int
	n       int
}

// NewBuilder returns an empty builder for tables of layout l.
func NewBuilder(l *schema.Layout) *Builder {
	b := &Builder{l: l}
	b.Reset()
	return b
}

// Reset empties the builder, keeping its buffers.
func (b *Builder) Reset() {
	b.buf = append(b.buf[:0], CurrentVersion)
	b.open = b.open[:0]
	b.roots, b.nodes, b.err = 0, 0, nil
}

// Err returns the first misuse recorded since Reset, or nil.
func (b *Builder) Err() error { return b.err }

// Program returns the encoded program. The bytes are the builder's own and
// stay valid until the next call that changes it (Reset, Begin, ...); use
// AppendProgram for a copy. It fails if a call failed, a group is still
// open, or there is no condition.
func (b *Builder) Program() ([]byte, error) {
	if err := b.complete(); err != nil {
		return nil, err
	}
	return b.buf, nil
}

// AppendProgram appends the encoded program to dst (see Program).
func (b *Builder) AppendProgram(dst []byte) ([]byte, error) {
	if err := b.complete(); err != nil {
		return dst, err
	}
	return append(dst, b.buf...), nil
}

func (b *Builder) complete() error {
	switch {
	case b.err != nil:
		return b.err
	case len(b.open) > 0:
		return fmt.Errorf("filter: %d group(s) not closed with End: %w", len(b.open), ndberr.ErrFilterMalformed)
	case b.roots == 0:
		return fmt.Errorf("filter: no condition: %w", ndberr.ErrFilterMalformed)
	case len(b.buf) > MaxProgramBytes:
		return fmt.Errorf("filter: program of %d bytes, at most %d: %w", len(b.buf), MaxProgramBytes, ndberr.ErrFilterTooLarge)
	}
	return nil
}

func (b *Builder) fail(err error) error {
	if b.err == nil {
		b.err = err
	}
	return b.err
}

// addNode counts a new node in its group (or as the top-level node).
func (b *Builder) addNode() error {
	if b.nodes == MaxNodes {
		return fmt.Errorf("filter: more than %d nodes: %w", MaxNodes, ndberr.ErrFilterTooLarge)
	}
	if len(b.open) == 0 {
		if b.roots == 1 {
			return fmt.Errorf("filter: a second top-level condition: put them in a Begin/End group: %w", ndberr.ErrFilterMalformed)
		}
		b.roots++
	} else {
		b.open[len(b.open)-1].n++
	}
	b.nodes++
	return nil
}

// Begin opens a group combining the conditions up to the matching End.
func (b *Builder) Begin(g Group) error {
	if b.err != nil {
		return b.err
	}
	if !g.valid() {
		return b.fail(fmt.Errorf("filter: Begin(%d): no such group: %w", g, ndberr.ErrFilterBadOperator))
	}
	if len(b.open) == MaxDepth {
		return b.fail(fmt.Errorf("filter: groups nested deeper than %d: %w", MaxDepth, ndberr.ErrFilterTooDeep))
	}
	if err := b.addNode(); err != nil {
		return b.fail(err)
	}
	b.buf = append(b.buf, byte(g), 0, 0)
	b.open = append(b.open, frame{countAt: len(b.buf) - 2})
	return nil
}

// End closes the innermost open group, which must not be empty.
func (b *Builder) End() error {
	if b.err != nil {
		return b.err
	}
	if len(b.open) == 0 {
		return b.fail(fmt.Errorf("filter: End without Begin: %w", ndberr.ErrFilterMalformed))
	}
	f := b.open[len(b.open)-1]
	if f.n == 0 {
		return b.fail(fmt.Errorf("filter: empty group: %w", ndberr.ErrFilterMalformed))
	}
	binary.LittleEndian.PutUint16(b.buf[f.countAt:], uint16(f.n))
	b.open = b.open[:len(b.open)-1]
	return nil
}

// start checks col and counts the node of a new condition.
func (b *Builder) start(col int) error {
	if b.err != nil {
		return b.err
	}
	if err := checkColumn(b.l, col); err != nil {
		return b.fail(err)
	}
	if err := b.addNode(); err != nil {
		return b.fail(err)
	}
	return nil
}

func (b *Builder) appendU16(v int) { b.buf = binary.LittleEndian.AppendUint16(b.buf, uint16(v)) }

// appendValue appends | len | value | for column col.
func (b *Builder) appendValue(col int, v Value) error {
	at := len(b.buf)
	b.buf = append(b.buf, 0, 0)
	buf, err := v.appendTo(b.buf, b.l, col)
	if err != nil {
		return err
	}
	b.buf = buf
	enc := b.buf[at+2:]
	if err := checkConst(b.l, col, enc); err != nil {
		return err
	}
	binary.LittleEndian.PutUint16(b.buf[at:], uint16(len(enc)))
	return nil
}

// Cmp adds "col op v".
func (b *Builder) Cmp(col int, op Cmp, v Value) error {
	if err := b.start(col); err != nil {
		return err
	}
	if !op.valid() {
		return b.fail(fmt.Errorf("filter: comparison %d: %w", op, ndberr.ErrFilterBadOperator))
	}
	b.buf = append(b.buf, opCmp, byte(op))
	b.appendU16(col)
	if err := b.appendValue(col, v); err != nil {
		return b.fail(err)
	}
	return nil
}

// CmpCols adds "col op col2". The columns must be comparable: integers with
// integers, FLOAT/DOUBLE with FLOAT/DOUBLE, character strings of one
// character set, binary strings, DECIMALs of one precision and scale, or
// two columns of one temporal or BIT type.
func (b *Builder) CmpCols(col int, op Cmp, col2 int) error {
	if err := b.start(col); err != nil {
		return err
	}
	if !op.valid() {
		return b.fail(fmt.Errorf("filter: comparison %d: %w", op, ndberr.ErrFilterBadOperator))
	}
	if err := checkColumn(b.l, col2); err != nil {
		return b.fail(err)
	}
	if _, err := pairKind(b.l, col, col2); err != nil {
		return b.fail(err)
	}
	b.buf = append(b.buf, opCmpCols, byte(op))
	b.appendU16(col)
	b.appendU16(col2)
	return nil
}

// IsNull adds "col IS NULL".
func (b *Builder) IsNull(col int) error { return b.nullTest(opIsNull, col) }

// IsNotNull adds "col IS NOT NULL".
func (b *Builder) IsNotNull(col int) error { return b.nullTest(opIsNotNull, col) }

func (b *Builder) nullTest(op byte, col int) error {
	if err := b.start(col); err != nil {
		return err
	}
	b.buf = append(b.buf, op)
	b.appendU16(col)
	return nil
}

// Like adds "col LIKE pattern" (MySQL syntax: % any sequence, _ one
// character, backslash escapes; bytes compare case-sensitively).
func (b *Builder) Like(col int, pattern string) error { return b.like(opLike, col, pattern) }

// NotLike adds "col NOT LIKE pattern".
func (b *Builder) NotLike(col int, pattern string) error { return b.like(opNotLike, col, pattern) }

func (b *Builder) like(op byte, col int, pattern string) error {
	if err := b.start(col); err != nil {
		return err
	}
	at := len(b.buf)
	b.buf = append(b.buf, op)
	b.appendU16(col)
	b.appendU16(len(pattern))
	b.buf = append(b.buf, pattern...)
	if err := checkLike(b.l, col, b.buf[at+5:]); err != nil {
		return b.fail(err)
	}
	return nil
}

// Between adds "col BETWEEN lo AND hi" (lo <= col <= hi).
func (b *Builder) Between(col int, lo, hi Value) error {
	if err := b.start(col); err != nil {
		return err
	}
	b.buf = append(b.buf, opBetween)
	b.appendU16(col)
	if err := b.appendValue(col, lo); err != nil {
		return b.fail(err)
	}
	if err := b.appendValue(col, hi); err != nil {
		return b.fail(err)
	}
	return nil
}

// Bits adds a bit test of a BIT or integer column against mask, which must
// fit the column (BIT(n): n bits; integers: their width; a signed column's
// bits are its two's complement).
func (b *Builder) Bits(col int, t BitTest, mask uint64) error {
	if err := b.start(col); err != nil {
		return err
	}
	if !t.valid() {
		return b.fail(fmt.Errorf("filter: bit test %d: %w", t, ndberr.ErrFilterBadOperator))
	}
	if err := checkBitsColumn(b.l, col); err != nil {
		return b.fail(err)
	}
	size := b.l.Cols[col].Size
	if size < 8 && mask>>(8*uint(size)) != 0 {
		return b.fail(fmt.Errorf("filter: column %s: mask %#x wider than the column: %w", colName(b.l, col), mask, ndberr.ErrFilterBadConstant))
	}
	b.buf = append(b.buf, opBits, byte(t))
	b.appendU16(col)
	b.appendU16(size)
	for i := 0; i < size; i++ {
		b.buf = append(b.buf, byte(mask>>(8*i)))
	}
	if err := checkConst(b.l, col, b.buf[len(b.buf)-size:]); err != nil {
		return b.fail(err)
	}
	return nil
}

// ---- constants ----

// Value is a constant for a condition. It is encoded for the condition's
// column when added, into exactly the bytes a row holds for that column;
// a value the column cannot hold is an error (ErrFilterBadConstant).
// Values are small and passed by value; String, Bytes and Raw keep a
// reference to their argument only until the condition is added.
type Value struct {
	kind valueKind
	typ  schema.Type // kindImage: the temporal type of img
	num  uint64      // kindInt, kindUint, kindFloat (bits)
	str  string      // kindString, kindDecimal
	raw  []byte      // kindBytes, kindRaw
	img  [8]byte     // kindImage
	err  error       // a constructor's error, reported when added
}

type valueKind uint8

const (
	kindNone valueKind = iota
	kindInt
	kindUint
	kindFloat
	kindString
	kindBytes
	kindDecimal
	kindImage
	kindRaw
)

// Int is a signed integer, for integer, BIT (non-negative) and DECIMAL
// columns.
func Int(v int64) Value { return Value{kind: kindInt, num: uint64(v)} }

// Uint is an unsigned integer, for integer and BIT columns.
func Uint(v uint64) Value { return Value{kind: kindUint, num: v} }

// Float is a number for FLOAT and DOUBLE columns; for FLOAT it is rounded to
// float32 as a stored value is. NaN and infinities are refused.
func Float(v float64) Value { return Value{kind: kindFloat, num: math.Float64bits(v)} }

// String is a string for CHAR, VARCHAR, BINARY, VARBINARY, TEXT and BLOB
// columns, compared as the column compares (see the package comment). It
// is not padded: CHAR ignores trailing spaces anyway, and BINARY compares
// every byte, so as in MySQL 'ab' does not equal a BINARY(4) 'ab\0\0'. It may
// be longer than the column (up to MaxConstBytes).
func String(s string) Value { return Value{kind: kindString, str: s} }

// Bytes is String for a byte slice.
func Bytes(v []byte) Value { return Value{kind: kindBytes, raw: v} }

// Decimal is a DECIMAL constant in text form, rounded to the column's scale
// as schema.AppendDecimal does (as MySQL does on insert): "12.335" matches a
// DECIMAL(10,2) 12.34. Where that is not the wanted SQL meaning, the caller
// adjusts the condition first (col = 12.335 is FALSE, col < 12.335 is
// col <= 12.33).
func Decimal(text string) Value { return Value{kind: kindDecimal, str: text} }

// Date is a DATE constant (schema.AppendDate).
func Date(year, month, day int) Value {
	v := Value{kind: kindImage, typ: schema.TypeDate}
	_, v.err = schema.AppendDate(v.img[:0], year, month, day)
	return v
}

// Time is a TIME constant in signed microseconds (schema.AppendTime).
func Time(micros int64) Value {
	v := Value{kind: kindImage, typ: schema.TypeTime}
	_, v.err = schema.AppendTime(v.img[:0], micros)
	return v
}

// Datetime is a DATETIME constant (schema.AppendDatetime).
func Datetime(p schema.DatetimeParts) Value {
	v := Value{kind: kindImage, typ: schema.TypeDatetime}
	_, v.err = schema.AppendDatetime(v.img[:0], p)
	return v
}

// Timestamp is a TIMESTAMP constant in microseconds since the Unix epoch
// (schema.AppendTimestamp).
func Timestamp(micros int64) Value {
	v := Value{kind: kindImage, typ: schema.TypeTimestamp}
	_, v.err = schema.AppendTimestamp(v.img[:0], micros)
	return v
}

// Raw is a value already encoded for the column (Row.Raw form), for any
// column type.
func Raw(enc []byte) Value { return Value{kind: kindRaw, raw: enc} }

var errNoValue = errors.New("filter: zero Value")

// appendTo appends v encoded for column c to dst.
func (v Value) appendTo(dst []byte, l *schema.Layout, c int) ([]byte, error) {
	col := &l.Table.Columns[c]
	mismatch := func(what string) error {
		return fmt.Errorf("filter: column %s is %s: %s constant does not fit: %w", col.Name, col.Type, what, ndberr.ErrFilterBadConstant)
	}
	if v.err != nil {
		return dst, fmt.Errorf("filter: column %s: %w: %w", col.Name, v.err, ndberr.ErrFilterBadConstant)
	}
	size := l.Cols[c].Size
	switch v.kind {
	case kindInt, kindUint:
		switch {
		case col.Type == schema.TypeDecimal && v.kind == kindInt:
			out, err := schema.DecimalFromInt64(dst, int64(v.num), col.Precision, col.Scale)
			if err != nil {
				return dst, mismatch("integer")
			}
			return out, nil
		case col.Type.IsInteger() || col.Type == schema.TypeBit:
			if !intFits(col, size, v.num, v.kind == kindInt) {
				return dst, mismatch("integer")
			}
			for i := 0; i < size; i++ {
				dst = append(dst, byte(v.num>>(8*i)))
			}
			return dst, nil
		}
		return dst, mismatch("integer")
	case kindFloat:
		f := math.Float64frombits(v.num)
		switch col.Type {
		case schema.TypeFloat:
			if math.Abs(f) > math.MaxFloat32 {
				return dst, mismatch("float")
			}
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
		case schema.TypeDouble:
			return binary.LittleEndian.AppendUint64(dst, v.num), nil
		}
		return dst, mismatch("float")
	case kindString, kindBytes:
		if !col.Type.IsString() {
			return dst, mismatch("string")
		}
		if v.kind == kindString {
			return append(dst, v.str...), nil
		}
		return append(dst, v.raw...), nil
	case kindDecimal:
		if col.Type != schema.TypeDecimal {
			return dst, mismatch("decimal")
		}
		out, err := schema.AppendDecimal(dst, v.str, col.Precision, col.Scale)
		if err != nil {
			return dst, fmt.Errorf("filter: column %s: %q: %w: %w", col.Name, v.str, err, ndberr.ErrFilterBadConstant)
		}
		return out, nil
	case kindImage:
		if col.Type != v.typ {
			return dst, mismatch(v.typ.String())
		}
		return append(dst, v.img[:size]...), nil
	case kindRaw:
		return append(dst, v.raw...), nil
	}
	return dst, fmt.Errorf("filter: column %s: %w: %w", col.Name, errNoValue, ndberr.ErrFilterBadConstant)
}

// intFits reports whether u (an int64's bits when signed) fits column col of
// size bytes.
func intFits(col *schema.Column, size int, u uint64, signed bool) bool {
	if col.Type == schema.TypeBit {
		if signed && int64(u) < 0 {
			return false
		}
		return col.Length == 64 || u>>uint(col.Length) == 0
	}
	bits := uint(8 * size)
	if col.Unsigned {
		if signed && int64(u) < 0 {
			return false
		}
		return bits == 64 || u>>bits == 0
	}
	if !signed {
		return u <= math.MaxInt64>>(64-bits)
	}
	s := int64(u)
	return s >= -1<<(bits-1) && s <= 1<<(bits-1)-1
}
