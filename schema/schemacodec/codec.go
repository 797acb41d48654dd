package schemacodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"unicode/utf8"

	"github.com/gondb/gondb/schema"
)

// Format versions, an ordered enum. A decoder reads every version from
// MinSupported to Version. The encoder writes the lowest version that can
// hold the table, so a build that reads only version 1 still reads every
// table without a dropped index.
//
//	1: the first table definition format.
//	2: the same layout; an index kind may be 3 (schema.IndexDropped, the
//	   place of a dropped index: no name, no columns).
const (
	Version1     = 1
	Version2     = 2
	Version      = Version2
	MinSupported = Version1
)

// versionFor is the lowest format version that holds t.
func versionFor(t *schema.Table) byte {
	for i := range t.Indexes {
		if t.Indexes[i].Kind == schema.IndexDropped {
			return Version2
		}
	}
	return Version1
}

// Magic starts every encoded table definition.
const Magic = "GTBL"

// MaxNameBytes bounds table, column and index names.
const MaxNameBytes = 1024

// MaxIndexes bounds the indexes of one table (a unique index's number must
// fit the hidden table id's 8 bits).
const MaxIndexes = 256

// Table flags.
const (
	flagReadBackup      = 1 << 0
	flagFullyReplicated = 1 << 1
	tableFlagsKnown     = flagReadBackup | flagFullyReplicated
)

// Column flags.
const (
	colUnsigned    = 1 << 0
	colNullable    = 1 << 1
	colFlagsKnown  = colUnsigned | colNullable
	headerSize     = 4 + 1 + 1 + 2 + 4 + 4
	checksumSize   = 4
	columnFixedLen = 1 + 1 + 1 + 1 + 4 + 2 + 2
)

// Errors, checked with errors.Is.
var (
	// ErrCorrupt: the bytes are not a well-formed table definition.
	ErrCorrupt = errors.New("schemacodec: malformed table definition")
	// ErrVersion: the definition is of a format version this build does
	// not read.
	ErrVersion = errors.New("schemacodec: unsupported table definition version")
	// ErrUnencodable: the table has a value the format cannot hold
	// (negative or oversized length, too many columns, a long name).
	ErrUnencodable = errors.New("schemacodec: table cannot be encoded")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func unencodable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnencodable, fmt.Sprintf(format, args...))
}

// Encode returns t's definition image.
func Encode(t *schema.Table) ([]byte, error) { return Append(nil, t) }

// Append appends t's definition image to dst. It fails with ErrUnencodable
// (dst unchanged) when a field does not fit the format.
func Append(dst []byte, t *schema.Table) ([]byte, error) {
	if err := checkEncodable(t); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, Magic...)
	var flags byte
	if t.ReadBackup {
		flags |= flagReadBackup
	}
	if t.FullyReplicated {
		flags |= flagFullyReplicated
	}
	dst = append(dst, versionFor(t), flags, 0, 0)
	dst = binary.LittleEndian.AppendUint32(dst, t.ID)
	dst = binary.LittleEndian.AppendUint32(dst, t.Version)
	dst = appendName(dst, t.Name)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(t.Columns)))
	for i := range t.Columns {
		c := &t.Columns[i]
		dst = appendName(dst, c.Name)
		var cf byte
		if c.Unsigned {
			cf |= colUnsigned
		}
		if c.Nullable {
			cf |= colNullable
		}
		dst = append(dst, byte(c.Type), cf, byte(c.Charset), 0)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(c.Length))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(c.Precision))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(c.Scale))
	}
	dst = appendCols(dst, t.PrimaryKey)
	dst = appendCols(dst, t.DistributionKey)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(t.Indexes)))
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		dst = appendName(dst, ix.Name)
		dst = append(dst, byte(ix.Kind))
		dst = appendCols(dst, ix.Columns)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli)), nil
}

func appendName(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

func appendCols(dst []byte, cols []int) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(cols)))
	for _, c := range cols {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(c))
	}
	return dst
}

func checkName(what, s string) error {
	if len(s) > MaxNameBytes {
		return unencodable("%s name of %d bytes, at most %d", what, len(s), MaxNameBytes)
	}
	if !utf8.ValidString(s) {
		return unencodable("%s name %q is not UTF-8", what, s)
	}
	return nil
}

func checkCols(what string, cols []int) error {
	if len(cols) > schema.MaxColumns {
		return unencodable("%s lists %d columns, at most %d", what, len(cols), schema.MaxColumns)
	}
	for _, c := range cols {
		if c < 0 || c >= schema.MaxColumns {
			return unencodable("%s column number %d out of 0..%d", what, c, schema.MaxColumns-1)
		}
	}
	return nil
}

func checkEncodable(t *schema.Table) error {
	if err := checkName("table", t.Name); err != nil {
		return err
	}
	if len(t.Columns) > schema.MaxColumns {
		return unencodable("table %s has %d columns, at most %d", t.Name, len(t.Columns), schema.MaxColumns)
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		if err := checkName("column", c.Name); err != nil {
			return err
		}
		if c.Length < 0 || int64(c.Length) > 1<<32-1 {
			return unencodable("column %s: length %d out of range", c.Name, c.Length)
		}
		if c.Precision < 0 || c.Precision > 1<<16-1 || c.Scale < 0 || c.Scale > 1<<16-1 {
			return unencodable("column %s: precision %d or scale %d out of range", c.Name, c.Precision, c.Scale)
		}
	}
	if err := checkCols("primary key", t.PrimaryKey); err != nil {
		return err
	}
	if err := checkCols("distribution key", t.DistributionKey); err != nil {
		return err
	}
	if len(t.Indexes) > MaxIndexes {
		return unencodable("table %s has %d indexes, at most %d", t.Name, len(t.Indexes), MaxIndexes)
	}
	for i := range t.Indexes {
		if err := checkName("index", t.Indexes[i].Name); err != nil {
			return err
		}
		if err := checkCols("index "+t.Indexes[i].Name, t.Indexes[i].Columns); err != nil {
			return err
		}
	}
	return nil
}

// reader reads the image front to back; the first problem sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b)-r.off {
		r.fail("%s needs %d bytes, %d left", what, n, len(r.b)-r.off)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8(what string) byte {
	if p := r.take(1, what); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u16(what string) uint16 {
	if p := r.take(2, what); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if p := r.take(4, what); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *reader) name(what string) string {
	n := int(r.u16(what + " name length"))
	if r.err == nil && n > MaxNameBytes {
		r.fail("%s name of %d bytes, at most %d", what, n, MaxNameBytes)
		return ""
	}
	p := r.take(n, what+" name")
	if r.err == nil && !utf8.Valid(p) {
		r.fail("%s name is not UTF-8", what)
		return ""
	}
	return string(p)
}

// count reads a 2-byte count bounded by max and by the bytes left (each
// item takes at least minSize bytes), so garbage never makes a large
// allocation.
func (r *reader) count(what string, max, minSize int) int {
	n := int(r.u16(what + " count"))
	if r.err != nil {
		return 0
	}
	if n > max {
		r.fail("%d %s, at most %d", n, what, max)
		return 0
	}
	if n*minSize > len(r.b)-r.off {
		r.fail("%d %s need at least %d bytes, %d left", n, what, n*minSize, len(r.b)-r.off)
		return 0
	}
	return n
}

func (r *reader) cols(what string) []int {
	n := r.count(what+" columns", schema.MaxColumns, 2)
	if n == 0 {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		c := int(r.u16(what + " column"))
		if r.err == nil && c >= schema.MaxColumns {
			r.fail("%s column number %d out of 0..%d", what, c, schema.MaxColumns-1)
		}
		out[i] = c
	}
	return out
}

// Decode reads a definition image. It checks structure, not meaning:
// hand the result to schema.NewLayout. Errors match ErrCorrupt or
// ErrVersion.
func Decode(b []byte) (*schema.Table, error) {
	if len(b) < headerSize+checksumSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header and checksum", ErrCorrupt, len(b), headerSize+checksumSize)
	}
	if string(b[:4]) != Magic {
		return nil, fmt.Errorf("%w: magic %q, want %q", ErrCorrupt, b[:4], Magic)
	}
	if v := b[4]; v < MinSupported || v > Version {
		return nil, fmt.Errorf("%w: version %d, this build reads %d to %d", ErrVersion, v, MinSupported, Version)
	}
	body := b[:len(b)-checksumSize]
	if want, got := binary.LittleEndian.Uint32(b[len(body):]), crc32.Checksum(body, castagnoli); want != got {
		return nil, fmt.Errorf("%w: checksum %08x, computed %08x", ErrCorrupt, want, got)
	}
	version := b[4]
	r := &reader{b: body, off: 5}
	t := &schema.Table{}
	flags := r.u8("table flags")
	if flags&^tableFlagsKnown != 0 {
		r.fail("unknown table flags %#x", flags&^tableFlagsKnown)
	}
	t.ReadBackup, t.FullyReplicated = flags&flagReadBackup != 0, flags&flagFullyReplicated != 0
	if res := r.u16("reserved"); res != 0 {
		r.fail("reserved bytes are %#x, want 0", res)
	}
	t.ID = r.u32("table id")
	t.Version = r.u32("table version")
	t.Name = r.name("table")
	if n := r.count("columns", schema.MaxColumns, 2+columnFixedLen); n > 0 {
		t.Columns = make([]schema.Column, n)
		for i := range t.Columns {
			c := &t.Columns[i]
			c.Name = r.name("column")
			c.Type = schema.Type(r.u8("column type"))
			cf := r.u8("column flags")
			if cf&^colFlagsKnown != 0 {
				r.fail("column %q: unknown flags %#x", c.Name, cf&^colFlagsKnown)
			}
			c.Unsigned, c.Nullable = cf&colUnsigned != 0, cf&colNullable != 0
			c.Charset = schema.Charset(r.u8("column charset"))
			if res := r.u8("column reserved"); res != 0 {
				r.fail("column %q: reserved byte %#x, want 0", c.Name, res)
			}
			l := r.u32("column length")
			if l > 1<<31-1 {
				r.fail("column %q: length %d out of range", c.Name, l)
			}
			c.Length = int(l)
			c.Precision = int(r.u16("column precision"))
			c.Scale = int(r.u16("column scale"))
		}
	}
	t.PrimaryKey = r.cols("primary key")
	t.DistributionKey = r.cols("distribution key")
	if n := r.count("indexes", MaxIndexes, 2+1+2); n > 0 {
		t.Indexes = make([]schema.Index, n)
		for i := range t.Indexes {
			ix := &t.Indexes[i]
			ix.Name = r.name("index")
			ix.Kind = schema.IndexKind(r.u8("index kind"))
			if ix.Kind == schema.IndexDropped && version < Version2 {
				r.fail("index %d: a dropped index's place needs format version %d, the image is version %d", i, Version2, version)
			}
			ix.Columns = r.cols("index " + ix.Name)
		}
	}
	if r.err == nil && r.off != len(body) {
		r.fail("%d bytes after the last index", len(body)-r.off)
	}
	if r.err != nil {
		return nil, r.err
	}
	return t, nil
}

// DecodeValid decodes b and checks the table with schema.NewLayout,
// returning the layout too.
func DecodeValid(b []byte) (*schema.Table, *schema.Layout, error) {
	t, err := Decode(b)
	if err != nil {
		return nil, nil, err
	}
	l, err := schema.NewLayout(t)
	if err != nil {
		return nil, nil, err
	}
	return t, l, nil
}
