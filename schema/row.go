package schema

import (
	"encoding/binary"
	"math"
)

// Row reads column values from a row image: the fixed part and the var part,
// which storage keeps apart and the wire keeps together. It does not copy;
// the image must have passed Layout.CheckRow (or come from storage, which
// only holds checked rows).
type Row struct {
	L     *Layout
	Fixed []byte
	Var   []byte
}

// RowOf splits a checked row image into a Row.
func (l *Layout) RowOf(img []byte) Row {
	return Row{L: l, Fixed: img[:l.FixedSize], Var: img[l.FixedSize:]}
}

// IsNull reports whether column c is NULL.
func (r Row) IsNull(c int) bool {
	b := r.L.Cols[c].NullBit
	return b >= 0 && r.Fixed[r.L.NullOffset+b>>3]&(1<<(b&7)) != 0
}

// Raw returns column c's encoded value: the fixed-part bytes for fixed
// columns, the data bytes (no length prefix or padding) for var-size ones.
func (r Row) Raw(c int) []byte {
	cl := &r.L.Cols[c]
	if cl.VarIndex >= 0 {
		return r.L.VarValue(r.Var, cl.VarIndex)
	}
	v := r.Fixed[cl.Offset : cl.Offset+cl.Size]
	if cl.varKey {
		n := int(binary.LittleEndian.Uint16(v))
		return v[2 : 2+n]
	}
	return v
}

// Int64 returns an integer column as int64, sign-extended for signed types.
// For BIGINT UNSIGNED, use Uint64.
func (r Row) Int64(c int) int64 {
	cl := &r.L.Cols[c]
	v := r.Fixed[cl.Offset : cl.Offset+cl.Size]
	u := leUint(v)
	if r.L.Table.Columns[c].Unsigned {
		return int64(u)
	}
	shift := 64 - 8*uint(len(v))
	return int64(u<<shift) >> shift
}

// Uint64 returns an unsigned integer or BIT column.
func (r Row) Uint64(c int) uint64 {
	cl := &r.L.Cols[c]
	return leUint(r.Fixed[cl.Offset : cl.Offset+cl.Size])
}

// Float64 returns a FLOAT or DOUBLE column.
func (r Row) Float64(c int) float64 {
	cl := &r.L.Cols[c]
	v := r.Fixed[cl.Offset : cl.Offset+cl.Size]
	if len(v) == 4 {
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(v)))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(v))
}

// String returns a character column as text; CHAR loses its padding spaces
// as in MySQL.
func (r Row) String(c int) string {
	v := r.Raw(c)
	if r.L.Table.Columns[c].Type == TypeChar {
		v = trimRight(v, ' ')
	}
	return string(v)
}

// leUint reads a 1..8 byte little-endian unsigned integer.
func leUint(v []byte) uint64 {
	switch len(v) {
	case 8:
		return binary.LittleEndian.Uint64(v)
	case 4:
		return uint64(binary.LittleEndian.Uint32(v))
	case 2:
		return uint64(binary.LittleEndian.Uint16(v))
	case 1:
		return uint64(v[0])
	}
	var u uint64
	for i := len(v) - 1; i >= 0; i-- {
		u = u<<8 | uint64(v[i])
	}
	return u
}

func putLEUint(v []byte, u uint64) {
	switch len(v) {
	case 1:
		v[0] = byte(u)
	case 2:
		binary.LittleEndian.PutUint16(v, uint16(u))
	case 4:
		binary.LittleEndian.PutUint32(v, uint32(u))
	case 8:
		binary.LittleEndian.PutUint64(v, u)
	default:
		for i := range v {
			v[i] = byte(u)
			u >>= 8
		}
	}
}

func trimRight(v []byte, pad byte) []byte {
	for len(v) > 0 && v[len(v)-1] == pad {
		v = v[:len(v)-1]
	}
	return v
}
