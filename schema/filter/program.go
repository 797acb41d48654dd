package filter

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// A program is
//
//	| version (1B) | root node |
//
// and a node is one of (integers little-endian, col a uint16 column number,
// len a uint16 byte count):
//
//	| 0x01 And, 0x02 Or, 0x03 Nand, 0x04 Nor | count (2B, >= 1) | count nodes |
//	| 0x10 Cmp     | cmp (1B) | col | len | value |
//	| 0x11 CmpCols | cmp (1B) | col | col2 |
//	| 0x12 IsNull  | col |
//	| 0x13 IsNotNull | col |
//	| 0x14 Like    | col | len | pattern |
//	| 0x15 NotLike | col | len | pattern |
//	| 0x16 Between | col | len | lo | len | hi |
//	| 0x17 Bits    | test (1B) | col | len | mask |
//
// docs/formats.md ("Filter program") is the reference.

// Format versions, an ordered enum. Version 1: the encoding above.
const (
	Version1            = 1
	CurrentVersion      = Version1
	MinSupportedVersion = Version1
)

// Limits of a program, checked by Builder and Compile alike.
const (
	// MaxDepth bounds the nesting of groups (Begin inside Begin): deep enough
	// for any WHERE clause a person writes, shallow enough that Compile and
	// Match recurse on a small stack.
	MaxDepth = 32
	// MaxNodes bounds groups plus conditions, so the work per row is bounded.
	MaxNodes = 4096
	// MaxProgramBytes bounds the encoded program: room for a VARCHAR(65535)
	// constant and then some, well under a signal section's 1 MiB.
	MaxProgramBytes = 256 << 10
	// MaxConstBytes bounds one constant or pattern (its length is a uint16).
	MaxConstBytes = math.MaxUint16
)

// Group is how a group combines its members. The numbers are the opcodes.
type Group uint8

const (
	And  Group = 0x01 // all members TRUE
	Or   Group = 0x02 // any member TRUE
	Nand Group = 0x03 // NOT (AND of members)
	Nor  Group = 0x04 // NOT (OR of members)
)

func (g Group) valid() bool { return g >= And && g <= Nor }

// Condition opcodes: wire values, never renumber or reuse.
const (
	opCmp       = 0x10
	opCmpCols   = 0x11
	opIsNull    = 0x12
	opIsNotNull = 0x13
	opLike      = 0x14
	opNotLike   = 0x15
	opBetween   = 0x16
	opBits      = 0x17
)

// Cmp is a comparison operator; the numbers are wire values.
type Cmp uint8

const (
	Eq Cmp = 1 // =
	Ne Cmp = 2 // != (<>)
	Lt Cmp = 3 // <
	Le Cmp = 4 // <=
	Gt Cmp = 5 // >
	Ge Cmp = 6 // >=
)

func (c Cmp) valid() bool { return c >= Eq && c <= Ge }

// holds reports whether a comparison result (-1, 0, 1) satisfies c.
func (c Cmp) holds(r int) bool {
	switch c {
	case Eq:
		return r == 0
	case Ne:
		return r != 0
	case Lt:
		return r < 0
	case Le:
		return r <= 0
	case Gt:
		return r > 0
	}
	return r >= 0 // Ge
}

// BitTest is a test of a BIT or integer column against a mask; the numbers
// are wire values.
type BitTest uint8

const (
	AllSet   BitTest = 1 // col & mask == mask
	AllClear BitTest = 2 // col & mask == 0
	AnySet   BitTest = 3 // col & mask != 0
	AnyClear BitTest = 4 // col & mask != mask
)

func (t BitTest) valid() bool { return t >= AllSet && t <= AnyClear }

func (t BitTest) holds(v, mask uint64) bool {
	switch t {
	case AllSet:
		return v&mask == mask
	case AllClear:
		return v&mask == 0
	case AnySet:
		return v&mask != 0
	}
	return v&mask != mask // AnyClear
}

// ---- checks shared by Builder and Compile ----

func colName(l *schema.Layout, c int) string {
	return l.Table.Columns[c].Name
}

// checkColumn reports whether c is a column of l.
func checkColumn(l *schema.Layout, c int) error {
	if c < 0 || c >= len(l.Cols) {
		return fmt.Errorf("filter: column %d: table %s has %d columns: %w", c, l.Table.Name, len(l.Cols), ndberr.ErrBadAttribute)
	}
	return nil
}

// charset is a string column's effective character set.
func charset(col *schema.Column) schema.Charset {
	switch col.Type {
	case schema.TypeBinary, schema.TypeVarbinary, schema.TypeBlob:
		return schema.CharsetBinary
	}
	if col.Charset == 0 {
		return schema.CharsetUTF8MB4
	}
	return col.Charset
}

// checkConst checks that v is a value column c can hold, in its Row.Raw
// form: the exact size of a fixed-size column, at most MaxConstBytes for a
// string column (longer than the column is fine: it still compares), and a
// value the type's codec accepts.
func checkConst(l *schema.Layout, c int, v []byte) error {
	col := &l.Table.Columns[c]
	if col.Type.IsString() {
		if len(v) > MaxConstBytes {
			return fmt.Errorf("filter: column %s: constant of %d bytes, at most %d: %w", col.Name, len(v), MaxConstBytes, ndberr.ErrFilterBadConstant)
		}
		return nil
	}
	if size := l.Cols[c].Size; len(v) != size {
		return fmt.Errorf("filter: column %s (%s): constant of %d bytes, want %d: %w", col.Name, col.Type, len(v), size, ndberr.ErrFilterBadConstant)
	}
	var scratch [schema.DecimalMaxPrecision + 3]byte
	bad := false
	switch col.Type {
	case schema.TypeFloat:
		f := float64(math.Float32frombits(binary.LittleEndian.Uint32(v)))
		bad = math.IsNaN(f) || math.IsInf(f, 0)
	case schema.TypeDouble:
		f := math.Float64frombits(binary.LittleEndian.Uint64(v))
		bad = math.IsNaN(f) || math.IsInf(f, 0)
	case schema.TypeDecimal:
		_, err := schema.AppendDecimalString(scratch[:0], v, col.Precision, col.Scale)
		bad = err != nil
	case schema.TypeDate:
		y, m, d := schema.DecodeDate(v)
		enc, err := schema.AppendDate(scratch[:0], y, m, d)
		bad = err != nil || !bytes.Equal(enc, v)
	case schema.TypeDatetime:
		enc, err := schema.AppendDatetime(scratch[:0], schema.DecodeDatetime(v))
		bad = err != nil || !bytes.Equal(enc, v)
	case schema.TypeTime:
		_, err := schema.AppendTime(scratch[:0], schema.DecodeTime(v))
		bad = err != nil
	case schema.TypeTimestamp:
		_, err := schema.AppendTimestamp(scratch[:0], schema.DecodeTimestamp(v))
		bad = err != nil
	case schema.TypeBit:
		bad = col.Length < 64 && leUint(v)>>uint(col.Length) != 0
	}
	if bad {
		return fmt.Errorf("filter: column %s: constant %x is not a valid %s value: %w", col.Name, v, col.Type, ndberr.ErrFilterBadConstant)
	}
	return nil
}

// checkBitsColumn reports whether bit tests apply to column c.
func checkBitsColumn(l *schema.Layout, c int) error {
	col := &l.Table.Columns[c]
	if col.Type != schema.TypeBit && !col.Type.IsInteger() {
		return fmt.Errorf("filter: column %s is %s: bit tests need BIT or an integer: %w", col.Name, col.Type, ndberr.ErrFilterUnsupportedType)
	}
	return nil
}

// checkLike checks that LIKE applies to column c and that pattern is well
// formed: no lone trailing backslash, and valid UTF-8 for a utf8mb4 column.
func checkLike(l *schema.Layout, c int, pattern []byte) error {
	col := &l.Table.Columns[c]
	if !col.Type.IsString() {
		return fmt.Errorf("filter: column %s is %s: LIKE needs a string column: %w", col.Name, col.Type, ndberr.ErrFilterUnsupportedType)
	}
	if len(pattern) > MaxConstBytes {
		return fmt.Errorf("filter: column %s: LIKE pattern of %d bytes, at most %d: %w", col.Name, len(pattern), MaxConstBytes, ndberr.ErrFilterBadPattern)
	}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '\\' {
			if i+1 == len(pattern) {
				return fmt.Errorf("filter: column %s: LIKE pattern %q ends in an escape: %w", col.Name, pattern, ndberr.ErrFilterBadPattern)
			}
			i++
		}
	}
	if likeUTF8(col) && !utf8.Valid(pattern) {
		return fmt.Errorf("filter: column %s: LIKE pattern %q is not valid UTF-8: %w", col.Name, pattern, ndberr.ErrFilterBadPattern)
	}
	return nil
}

// likeUTF8 reports whether _ matches a UTF-8 character (rather than a byte)
// in column col.
func likeUTF8(col *schema.Column) bool {
	switch col.Type {
	case schema.TypeChar, schema.TypeVarchar, schema.TypeText:
		return charset(col) == schema.CharsetUTF8MB4
	}
	return false
}

// How CmpCols compares its two columns.
const (
	pairSame  = iota // same encoding: schema's CompareValues of the first column
	pairInt          // integers of different width or signedness
	pairFloat        // FLOAT with DOUBLE
)

// pairKind reports how columns a and b compare, or why they cannot.
func pairKind(l *schema.Layout, a, b int) (int, error) {
	ca, cb := &l.Table.Columns[a], &l.Table.Columns[b]
	ta, tb := ca.Type, cb.Type
	isFloat := func(t schema.Type) bool { return t == schema.TypeFloat || t == schema.TypeDouble }
	isChar := func(t schema.Type) bool {
		return t == schema.TypeChar || t == schema.TypeVarchar || t == schema.TypeText
	}
	isBinary := func(t schema.Type) bool {
		return t == schema.TypeBinary || t == schema.TypeVarbinary || t == schema.TypeBlob
	}
	switch {
	case ta.IsInteger() && tb.IsInteger():
		if ta == tb && ca.Unsigned == cb.Unsigned {
			return pairSame, nil
		}
		return pairInt, nil
	case isFloat(ta) && isFloat(tb):
		if ta == tb {
			return pairSame, nil
		}
		return pairFloat, nil
	case isChar(ta) && isChar(tb):
		if charset(ca) == charset(cb) {
			return pairSame, nil
		}
	case isBinary(ta) && isBinary(tb):
		return pairSame, nil
	case ta == schema.TypeDecimal && tb == schema.TypeDecimal:
		if ca.Precision == cb.Precision && ca.Scale == cb.Scale {
			return pairSame, nil
		}
	case ta == tb && !ta.IsString():
		return pairSame, nil // temporal types, BIT
	}
	return 0, fmt.Errorf("filter: columns %s (%s) and %s (%s) cannot be compared: %w", ca.Name, describe(ca), cb.Name, describe(cb), ndberr.ErrFilterUnsupportedType)
}

func describe(c *schema.Column) string {
	switch {
	case c.Type == schema.TypeDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", c.Precision, c.Scale)
	case c.Type.IsString():
		return c.Type.String() + " " + charset(c).String()
	case c.Unsigned:
		return c.Type.String() + " UNSIGNED"
	}
	return c.Type.String()
}

// leUint reads a 1..8 byte little-endian unsigned integer.
func leUint(v []byte) uint64 {
	var u uint64
	for i := len(v) - 1; i >= 0; i-- {
		u = u<<8 | uint64(v[i])
	}
	return u
}

// ---- LIKE ----

// likeTok is one element of a compiled LIKE pattern.
type likeTok struct {
	kind uint8 // tokLit, tokOne, tokAny
	b    byte  // tokLit: the byte
}

const (
	tokLit = iota // one literal byte
	tokOne        // _: one character
	tokAny        // %: any sequence, runs collapsed
)

// compileLike appends the tokens of a checked pattern to dst.
func compileLike(dst []likeTok, pattern []byte) []likeTok {
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '%':
			if len(dst) == 0 || dst[len(dst)-1].kind != tokAny {
				dst = append(dst, likeTok{kind: tokAny})
			}
		case '_':
			dst = append(dst, likeTok{kind: tokOne})
		case '\\':
			i++
			dst = append(dst, likeTok{kind: tokLit, b: pattern[i]})
		default:
			dst = append(dst, likeTok{kind: tokLit, b: c})
		}
	}
	return dst
}

// likeMatch reports whether s matches the pattern toks. It walks s once,
// going back only to the last % seen (each % may absorb one more character
// and the rest is retried), which is complete for patterns whose other
// elements match one character each. No allocation.
func likeMatch(toks []likeTok, s []byte, utf8Chars bool) bool {
	pi, si := 0, 0
	star, starS := -1, 0
	for si < len(s) {
		if pi < len(toks) {
			switch t := toks[pi]; t.kind {
			case tokAny:
				star, starS = pi, si
				pi++
				continue
			case tokOne:
				si += charLen(s[si:], utf8Chars)
				pi++
				continue
			default:
				if s[si] == t.b {
					si++
					pi++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		starS += charLen(s[starS:], utf8Chars)
		si = starS
		pi = star + 1
	}
	for pi < len(toks) && toks[pi].kind == tokAny {
		pi++
	}
	return pi == len(toks)
}

// charLen is the length of the character that s starts with (s non-empty).
func charLen(s []byte, utf8Chars bool) int {
	if !utf8Chars || s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRune(s)
	return n
}
