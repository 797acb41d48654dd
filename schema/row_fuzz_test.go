package schema

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// fuzzSource turns fuzz bytes into values; it yields zeros when exhausted.
type fuzzSource struct{ b []byte }

func (s *fuzzSource) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *fuzzSource) u64() uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		v = v<<8 | uint64(s.byte())
	}
	return v
}

func (s *fuzzSource) str(max int, alphabet string) string {
	n := int(s.byte()) % (max + 1)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(alphabet[int(s.byte())%len(alphabet)])
	}
	return sb.String()
}

// FuzzRowCodec encodes fuzz-chosen values of every type (or NULL) into a
// row of allTypes, checks the image, decodes every column and compares with
// what was set. Values the builder refuses leave the column NULL.
func FuzzRowCodec(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 300))
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"))
	l, err := NewLayout(allTypes())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &fuzzSource{b: data}
		b := NewRowBuilder(l)
		type want struct {
			set bool
			i   int64
			u   uint64
			f   float64
			s   string
			raw []byte
		}
		w := make([]want, len(l.Cols))
		if err := b.SetInt64(0, int64(src.u64())); err != nil {
			t.Fatal(err)
		}
		w[0] = want{set: true}
		name := src.str(16, "abcxyz ")
		name = strings.TrimRight(name, " ")
		if err := b.SetString(1, name); err != nil {
			t.Fatal(err)
		}
		for c := 2; c < len(l.Cols); c++ {
			if src.byte()%4 == 0 {
				continue // NULL
			}
			col := &l.Table.Columns[c]
			var err error
			var x want
			switch col.Type {
			case TypeTinyInt, TypeSmallInt, TypeMediumInt, TypeInt, TypeBigInt:
				if col.Unsigned {
					x.u = src.u64() >> (src.byte() % 64)
					err = b.SetUint64(c, x.u)
				} else {
					x.i = int64(src.u64()) >> (src.byte() % 64)
					err = b.SetInt64(c, x.i)
				}
			case TypeFloat, TypeDouble:
				x.f = math.Float64frombits(src.u64())
				err = b.SetFloat64(c, x.f)
				if col.Type == TypeFloat {
					x.f = float64(float32(x.f))
				}
			case TypeDecimal:
				s := src.str(16, "0123456789") + "." + src.str(6, "0123456789")
				if src.byte()%2 == 0 {
					s = "-" + s
				}
				err = b.SetDecimal(c, s)
				x.raw, _ = AppendDecimal(nil, s, col.Precision, col.Scale)
			case TypeChar, TypeVarchar, TypeText:
				x.s = strings.TrimRight(src.str(40, "aé€ z"), " ")
				err = b.SetString(c, x.s)
			case TypeBinary, TypeVarbinary, TypeBlob:
				x.s = src.str(60, "\x00\x01ab\xff")
				err = b.SetString(c, x.s)
				if col.Type == TypeBinary {
					x.s += strings.Repeat("\x00", max(0, col.Length-len(x.s)))
				}
			case TypeDate:
				x.raw, err = AppendDate(nil, int(src.u64()%10000), int(src.byte()%13), int(src.byte()%32))
				if err == nil {
					err = b.SetRaw(c, x.raw)
				}
			case TypeTime:
				x.raw, err = AppendTime(nil, int64(src.u64()>>(src.byte()%64))-int64(1<<40))
				if err == nil {
					err = b.SetRaw(c, x.raw)
				}
			case TypeDatetime:
				p := DatetimeParts{Year: int(src.u64() % 10000), Month: int(src.byte() % 13), Day: int(src.byte() % 32),
					Hour: int(src.byte() % 25), Minute: int(src.byte() % 61), Second: int(src.byte() % 61), Micro: int(src.u64() % 1000001)}
				x.raw, err = AppendDatetime(nil, p)
				if err == nil {
					err = b.SetRaw(c, x.raw)
				}
			case TypeTimestamp:
				x.raw, err = AppendTimestamp(nil, int64(src.u64()%(1<<52)))
				if err == nil {
					err = b.SetRaw(c, x.raw)
				}
			case TypeBit:
				x.u = src.u64() >> (src.byte() % 64)
				err = b.SetUint64(c, x.u)
			}
			if err == nil {
				x.set = true
				w[c] = x
			}
		}
		img := b.AppendRow(nil)
		if _, err := l.CheckRow(img); err != nil {
			t.Fatalf("builder produced a row CheckRow refuses: %v", err)
		}
		r := l.RowOf(img)
		if r.Int64(0) != int64(binary.LittleEndian.Uint64(b.AppendKey(nil))) || r.String(1) != name {
			t.Fatalf("key columns did not round-trip")
		}
		for c := 2; c < len(l.Cols); c++ {
			x := w[c]
			if r.IsNull(c) != !x.set {
				t.Fatalf("column %d: IsNull %v, set %v", c, r.IsNull(c), x.set)
			}
			if !x.set {
				continue
			}
			col := &l.Table.Columns[c]
			ok := true
			switch col.Type {
			case TypeTinyInt, TypeSmallInt, TypeMediumInt, TypeInt, TypeBigInt:
				if col.Unsigned {
					ok = r.Uint64(c) == x.u
				} else {
					ok = r.Int64(c) == x.i
				}
			case TypeFloat, TypeDouble:
				ok = r.Float64(c) == x.f
			case TypeChar, TypeVarchar, TypeText, TypeBinary, TypeVarbinary, TypeBlob:
				ok = r.String(c) == x.s
			case TypeBit:
				ok = r.Uint64(c) == x.u
			default:
				ok = bytes.Equal(r.Raw(c), x.raw)
			}
			if !ok {
				t.Fatalf("column %d (%s) did not round-trip: raw %x", c, col.Type, r.Raw(c))
			}
		}
	})
}

// FuzzCheckRow feeds arbitrary bytes to CheckRow: it must never panic, and
// every column of a row it accepts must decode without panicking.
func FuzzCheckRow(f *testing.F) {
	l, err := NewLayout(allTypes())
	if err != nil {
		f.Fatal(err)
	}
	b := NewRowBuilder(l)
	b.SetInt64(0, 7)
	b.SetString(1, "key")
	b.SetString(11, "text")
	b.SetBytes(20, []byte{1, 2, 3})
	good := b.AppendRow(nil)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, img []byte) {
		if _, err := l.CheckRow(img); err != nil {
			return
		}
		r := l.RowOf(img)
		for c := range l.Cols {
			if r.IsNull(c) {
				continue
			}
			_ = r.Raw(c)
			switch l.Table.Columns[c].Type {
			case TypeFloat, TypeDouble:
				_ = r.Float64(c)
			case TypeChar, TypeVarchar, TypeText:
				_ = r.String(c)
			}
		}
		r.Int64(0)
	})
}
