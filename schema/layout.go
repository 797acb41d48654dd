package schema

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gondb/gondb/ndberr"
)

// ColumnLayout is where one column lives in a row image.
type ColumnLayout struct {
	// Offset is the byte offset of the value in the fixed part, or -1 when the
	// column lives in the var part.
	Offset int
	// Size is the bytes the column takes in the fixed part (for a var-size
	// key column: 2 length bytes plus MaxBytes).
	Size int
	// VarIndex is the column's position among the var-part columns, or -1.
	VarIndex int
	// NullBit is the column's bit in the null bitmap, or -1 if NOT NULL.
	NullBit int
	// MaxBytes bounds string values (0 for other types).
	MaxBytes int
	// varKey marks a var-size column stored length-prefixed in the key area.
	varKey bool
	// uintMax is the largest unsigned value an integer or BIT column takes
	// (precomputed: RowBuilder.SetUint64 is on every API operation's path);
	// uintKind says which of the two the column is (0: neither).
	uintMax  uint64
	uintKind uint8
}

// Kinds of ColumnLayout.uintKind.
const (
	uintNone uint8 = iota
	uintInteger
	uintBit
)

// Layout is the computed row format of one table version. It is immutable and
// safe for concurrent use.
type Layout struct {
	Table      *Table
	Cols       []ColumnLayout
	KeySize    int   // bytes of the key image: the first KeySize bytes of a row
	NullOffset int   // offset of the null bitmap in the fixed part
	NullBytes  int   // size of the null bitmap
	FixedSize  int   // fixed part, null bitmap included
	VarCols    []int // column numbers of the var-part columns, in var order
	// distRanges are the [start,end) byte ranges of the key image that hold
	// the distribution key; nil when it is the whole key.
	distRanges [][2]int
	keyCols    []int
	// simple: no var-size key column and no var part, so a row image is
	// valid exactly when it has FixedSize bytes.
	simple bool
}

// NewLayout validates t and computes its layout.
func NewLayout(t *Table) (*Layout, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	l := &Layout{Table: t, Cols: make([]ColumnLayout, len(t.Columns)), keyCols: t.PrimaryKey}
	for i := range l.Cols {
		l.Cols[i] = ColumnLayout{Offset: -1, VarIndex: -1, NullBit: -1, MaxBytes: t.Columns[i].MaxBytes()}
		switch col := &t.Columns[i]; {
		case col.Type == TypeBit:
			l.Cols[i].uintKind, l.Cols[i].uintMax = uintBit, math.MaxUint64
			if col.Length < 64 {
				l.Cols[i].uintMax = 1<<uint(col.Length) - 1
			}
		case col.Type.IsInteger():
			_, hi := intRange(col)
			l.Cols[i].uintKind, l.Cols[i].uintMax = uintInteger, hi
		}
	}
	off := 0
	for _, k := range t.PrimaryKey {
		c := &t.Columns[k]
		cl := &l.Cols[k]
		cl.Offset = off
		if c.Type.isVarSize() {
			cl.varKey = true
			cl.Size = 2 + cl.MaxBytes
		} else {
			cl.Size = c.fixedSize()
		}
		off += cl.Size
	}
	l.KeySize = off
	if l.KeySize > MaxKeySize {
		return nil, fmt.Errorf("table %s: primary key takes %d bytes, more than %d", t.Name, l.KeySize, MaxKeySize)
	}
	nulls := 0
	for i := range t.Columns {
		c := &t.Columns[i]
		cl := &l.Cols[i]
		if c.Nullable {
			cl.NullBit = nulls
			nulls++
		}
		if cl.Offset >= 0 {
			continue // key column, placed above
		}
		if c.Type.isVarSize() {
			cl.VarIndex = len(l.VarCols)
			l.VarCols = append(l.VarCols, i)
			continue
		}
		cl.Offset = off
		cl.Size = c.fixedSize()
		off += cl.Size
	}
	l.NullOffset = off
	l.NullBytes = (nulls + 7) / 8
	l.FixedSize = off + l.NullBytes
	l.simple = len(l.VarCols) == 0
	for _, k := range t.PrimaryKey {
		if l.Cols[k].varKey {
			l.simple = false
		}
	}
	if len(t.DistributionKey) > 0 && !sameInts(t.DistributionKey, t.PrimaryKey) {
		for _, k := range t.DistributionKey {
			cl := l.Cols[k]
			l.distRanges = append(l.distRanges, [2]int{cl.Offset, cl.Offset + cl.Size})
		}
	}
	return l, nil
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// VarPartHeader is the size of the var part's offset table.
func (l *Layout) VarPartHeader() int { return 4 * len(l.VarCols) }

// Key returns the key image of a row image (no copy).
func (l *Layout) Key(row []byte) []byte { return row[:l.KeySize] }

// DistributionKey returns the bytes that choose the fragment of a key image:
// the key itself, or the distribution-key columns appended to scratch.
func (l *Layout) DistributionKey(key, scratch []byte) []byte {
	if l.distRanges == nil {
		return key
	}
	scratch = scratch[:0]
	for _, r := range l.distRanges {
		scratch = append(scratch, key[r[0]:r[1]]...)
	}
	return scratch
}

// CheckKey validates a key image: its size and, for var-size key columns,
// the length prefix and zero padding (so equal keys are equal bytes).
func (l *Layout) CheckKey(key []byte) error {
	if len(key) != l.KeySize {
		return ndberr.ErrWrongKeyLength
	}
	for _, k := range l.keyCols {
		cl := &l.Cols[k]
		if !cl.varKey {
			continue
		}
		v := key[cl.Offset : cl.Offset+cl.Size]
		n := int(binary.LittleEndian.Uint16(v))
		if n > cl.MaxBytes {
			return ndberr.ErrValueTooLong
		}
		for _, b := range v[2+n:] {
			if b != 0 {
				return ndberr.ErrBadRowImage
			}
		}
	}
	return nil
}

// CheckRow validates a full row image (fixed part followed by var part): the
// sizes, the key, that NOT NULL columns are not null, and the var part's
// offsets and lengths. A row that passes can be stored and decoded without
// any further bounds checks. It returns the size of the var part.
func (l *Layout) CheckRow(row []byte) (varSize int, err error) {
	if l.simple {
		if len(row) != l.FixedSize {
			return 0, ndberr.ErrBadRowImage
		}
		return 0, nil
	}
	if len(row) < l.FixedSize+l.VarPartHeader() {
		return 0, ndberr.ErrBadRowImage
	}
	if err := l.CheckKey(row[:l.KeySize]); err != nil {
		return 0, err
	}
	return l.CheckVarPart(row[l.FixedSize:], row[l.NullOffset:l.FixedSize])
}

// CheckVarPart validates a var part against its row's null bitmap.
func (l *Layout) CheckVarPart(v, nullmap []byte) (int, error) {
	hdr := l.VarPartHeader()
	if len(v) < hdr {
		return 0, ndberr.ErrBadRowImage
	}
	prev := uint32(0)
	for i, c := range l.VarCols {
		end := binary.LittleEndian.Uint32(v[4*i:])
		if end < prev || int(end) > len(v)-hdr {
			return 0, ndberr.ErrBadRowImage
		}
		cl := &l.Cols[c]
		n := int(end - prev)
		if n > cl.MaxBytes {
			return 0, ndberr.ErrValueTooLong
		}
		if cl.NullBit >= 0 && nullmap[cl.NullBit>>3]&(1<<(cl.NullBit&7)) != 0 && n != 0 {
			return 0, ndberr.ErrBadRowImage
		}
		prev = end
	}
	if int(prev) != len(v)-hdr {
		return 0, ndberr.ErrBadRowImage
	}
	return len(v), nil
}

// VarValue returns var column number vi's bytes from a var part that passed
// CheckVarPart.
func (l *Layout) VarValue(v []byte, vi int) []byte {
	hdr := l.VarPartHeader()
	start := uint32(0)
	if vi > 0 {
		start = binary.LittleEndian.Uint32(v[4*(vi-1):])
	}
	end := binary.LittleEndian.Uint32(v[4*vi:])
	return v[hdr+int(start) : hdr+int(end)]
}
