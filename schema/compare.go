package schema

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"

	"github.com/gondb/gondb/ndberr"
)

// CompareValues orders two encoded values of column c (as returned by
// Row.Raw). Integers, floats and temporal values compare numerically;
// DECIMAL compares its bytes (MySQL's format is order-preserving); binary
// strings compare their bytes; character strings compare their bytes as if
// the shorter were padded with spaces (PAD SPACE, as MySQL's binary-ordered
// collations: 'a' = 'a ', and 'a\t' < 'a' because a tab sorts below the
// pad space).
// Case-insensitive collations are not implemented yet.
func (l *Layout) CompareValues(c int, a, b []byte) int {
	col := &l.Table.Columns[c]
	switch col.Type {
	case TypeTinyInt, TypeSmallInt, TypeMediumInt, TypeInt, TypeBigInt:
		if col.Unsigned {
			return cmp.Compare(leUint(a), leUint(b))
		}
		shift := 64 - 8*uint(len(a))
		return cmp.Compare(int64(leUint(a)<<shift)>>shift, int64(leUint(b)<<shift)>>shift)
	case TypeFloat:
		return cmp.Compare(float64(math.Float32frombits(binary.LittleEndian.Uint32(a))), float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
	case TypeDouble:
		return cmp.Compare(math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case TypeTime, TypeTimestamp:
		return cmp.Compare(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	case TypeDate, TypeDatetime, TypeBit:
		return cmp.Compare(leUint(a), leUint(b))
	case TypeChar, TypeVarchar, TypeText:
		if col.charset() != CharsetBinary {
			return padSpaceCompare(a, b)
		}
	}
	return bytes.Compare(a, b)
}

// padSpaceCompare compares a and b with the shorter padded with spaces.
func padSpaceCompare(a, b []byte) int {
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	rest, sign := a[n:], 1
	if len(b) > len(a) {
		rest, sign = b[n:], -1
	}
	for _, ch := range rest {
		if ch != ' ' {
			if ch < ' ' {
				return -sign
			}
			return sign
		}
	}
	return 0
}

// CompareRows orders rows a and b by the given columns; NULL sorts first.
func (l *Layout) CompareRows(cols []int, a, b Row) int {
	for _, c := range cols {
		an, bn := a.IsNull(c), b.IsNull(c)
		switch {
		case an && bn:
			continue
		case an:
			return -1
		case bn:
			return 1
		}
		if r := l.CompareValues(c, a.Raw(c), b.Raw(c)); r != 0 {
			return r
		}
	}
	return 0
}

// Index search keys (bounds of ordered-index scans) are a prefix of an
// index's columns, each encoded as
//
//	| null flag (1B: 0 value, 1 NULL) | length (2B LE, var-size types only) | value |
//
// with fixed-size values exactly as in a row image.

// AppendSearchKeyValue appends one column's value to a search key: raw is the
// column's encoded value (Row.Raw form), ignored when null.
func (l *Layout) AppendSearchKeyValue(dst []byte, c int, raw []byte, null bool) []byte {
	if null {
		return append(dst, 1)
	}
	dst = append(dst, 0)
	if l.isVarValue(c) {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(raw)))
	}
	return append(dst, raw...)
}

func (l *Layout) isVarValue(c int) bool {
	cl := &l.Cols[c]
	return cl.VarIndex >= 0 || cl.varKey
}

// CheckSearchKey validates a search key for the given index columns and
// returns how many columns it holds.
func (l *Layout) CheckSearchKey(cols []int, key []byte) (int, error) {
	n := 0
	for len(key) > 0 {
		if n == len(cols) {
			return 0, ndberr.ErrBadRowImage
		}
		c := cols[n]
		flag := key[0]
		key = key[1:]
		if flag > 1 {
			return 0, ndberr.ErrBadRowImage
		}
		if flag == 0 {
			size := l.Cols[c].Size
			if l.isVarValue(c) {
				if len(key) < 2 {
					return 0, ndberr.ErrBadRowImage
				}
				size = int(binary.LittleEndian.Uint16(key))
				key = key[2:]
				if size > l.Cols[c].MaxBytes {
					return 0, ndberr.ErrValueTooLong
				}
			}
			if len(key) < size {
				return 0, ndberr.ErrBadRowImage
			}
			key = key[size:]
		}
		n++
	}
	return n, nil
}

// CompareSearchKey compares a checked search key with row r over the index
// columns cols. A key with fewer columns than the index compares equal to
// every row that matches its columns (a prefix bound).
func (l *Layout) CompareSearchKey(cols []int, key []byte, r Row) int {
	for _, c := range cols {
		if len(key) == 0 {
			return 0
		}
		flag := key[0]
		key = key[1:]
		rn := r.IsNull(c)
		if flag == 1 {
			if !rn {
				return -1
			}
			continue
		}
		size := l.Cols[c].Size
		if l.isVarValue(c) {
			size = int(binary.LittleEndian.Uint16(key))
			key = key[2:]
		}
		v := key[:size]
		key = key[size:]
		if rn {
			return 1
		}
		if res := l.CompareValues(c, v, r.Raw(c)); res != 0 {
			return res
		}
	}
	return 0
}
