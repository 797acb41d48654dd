package schemacodec

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gondb/gondb/schema"
)

// sample is the golden table: every field set, both index kinds.
func sample() *schema.Table {
	return &schema.Table{ID: 7, Name: "t", Version: 2,
		Columns: []schema.Column{
			{Name: "id", Type: schema.TypeBigInt, Unsigned: true},
			{Name: "s", Type: schema.TypeVarchar, Length: 10, Nullable: true, Charset: schema.CharsetLatin1},
			{Name: "d", Type: schema.TypeDecimal, Precision: 10, Scale: 2},
		},
		PrimaryKey: []int{0}, DistributionKey: []int{0},
		Indexes: []schema.Index{
			{Name: "o", Kind: schema.IndexOrdered, Columns: []int{1, 2}},
			{Name: "u", Kind: schema.IndexUniqueHash, Columns: []int{2}},
		},
		ReadBackup: true, FullyReplicated: true,
	}
}

// golden is sample's version 1 image, written out field by field. It must
// never change: stored dictionaries hold it.
const golden = "" +
	"4754424c" + "01" + "03" + "0000" + // magic, version 1, ReadBackup|FullyReplicated, reserved
	"07000000" + "02000000" + "0100" + "74" + // id 7, version 2, name "t"
	"0300" + // 3 columns
	"0200" + "6964" + "05" + "01" + "00" + "00" + "00000000" + "0000" + "0000" + // id BIGINT UNSIGNED
	"0100" + "73" + "0a" + "02" + "08" + "00" + "0a000000" + "0000" + "0000" + // s VARCHAR(10) NULL latin1
	"0100" + "64" + "08" + "00" + "00" + "00" + "00000000" + "0a00" + "0200" + // d DECIMAL(10,2)
	"0100" + "0000" + // primary key (0)
	"0100" + "0000" + // distribution key (0)
	"0200" + // 2 indexes
	"0100" + "6f" + "01" + "0200" + "0100" + "0200" + // o ordered (1,2)
	"0100" + "75" + "02" + "0100" + "0200" // u unique hash (2)

func goldenBytes(t *testing.T) []byte {
	b, err := hex.DecodeString(golden)
	if err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func TestGolden(t *testing.T) {
	want := goldenBytes(t)
	got, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding changed:\n got %x\nwant %x", got, want)
	}
	dec, err := Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dec, sample()) {
		t.Fatalf("decoded %+v, want %+v", dec, sample())
	}
	if _, _, err := DecodeValid(want); err != nil {
		t.Fatalf("the golden table is valid: %v", err)
	}
}

// randTable draws a table whose fields are all within the format's ranges
// (not necessarily a valid table).
func randTable(r *rand.Rand) *schema.Table {
	name := func() string {
		const letters = "abcxyzé_0"
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(string([]rune(letters)[r.IntN(9)]))
		}
		return b.String()
	}
	cols := func() []int {
		n := r.IntN(4)
		if n == 0 {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = r.IntN(schema.MaxColumns)
		}
		return out
	}
	t := &schema.Table{ID: r.Uint32(), Version: r.Uint32(), Name: name(),
		ReadBackup: r.IntN(2) == 0, FullyReplicated: r.IntN(2) == 0,
		PrimaryKey: cols(), DistributionKey: cols()}
	for range r.IntN(5) {
		t.Columns = append(t.Columns, schema.Column{Name: name(), Type: schema.Type(r.IntN(256)),
			Unsigned: r.IntN(2) == 0, Nullable: r.IntN(2) == 0, Length: int(r.Int32()),
			Precision: r.IntN(1 << 16), Scale: r.IntN(1 << 16), Charset: schema.Charset(r.IntN(256))})
	}
	for range r.IntN(4) {
		t.Indexes = append(t.Indexes, schema.Index{Name: name(), Kind: schema.IndexKind(r.IntN(256)), Columns: cols()})
	}
	return t
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		tbl := randTable(r)
		b, err := Encode(tbl)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("case %d: %v (%x)", i, err, b)
		}
		if !reflect.DeepEqual(got, tbl) {
			t.Fatalf("case %d: round trip\n got %+v\nwant %+v", i, got, tbl)
		}
		// Append keeps what is in dst.
		if b2, _ := Append([]byte("xy"), tbl); !bytes.Equal(b2[2:], b) || string(b2[:2]) != "xy" {
			t.Fatalf("case %d: Append does not append", i)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	long := strings.Repeat("a", MaxNameBytes+1)
	for _, tc := range []struct {
		name string
		mod  func(*schema.Table)
	}{
		{"long table name", func(t *schema.Table) { t.Name = long }},
		{"bad utf8", func(t *schema.Table) { t.Columns[0].Name = "\xff" }},
		{"negative length", func(t *schema.Table) { t.Columns[1].Length = -1 }},
		{"negative precision", func(t *schema.Table) { t.Columns[2].Precision = -1 }},
		{"big scale", func(t *schema.Table) { t.Columns[2].Scale = 1 << 16 }},
		{"pk column out of range", func(t *schema.Table) { t.PrimaryKey = []int{schema.MaxColumns} }},
		{"negative index column", func(t *schema.Table) { t.Indexes[0].Columns = []int{-1} }},
		{"too many columns", func(t *schema.Table) { t.Columns = make([]schema.Column, schema.MaxColumns+1) }},
		{"too many indexes", func(t *schema.Table) { t.Indexes = make([]schema.Index, MaxIndexes+1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := sample()
			tc.mod(tbl)
			if b, err := Append([]byte{1}, tbl); !errors.Is(err, ErrUnencodable) || len(b) != 1 {
				t.Fatalf("err %v, dst %d bytes; want ErrUnencodable and dst unchanged", err, len(b))
			}
		})
	}
}

// reseal recomputes the checksum after a test changed the body.
func reseal(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, castagnoli))
}

func TestDecodeRejects(t *testing.T) {
	g := goldenBytes(t)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), g...)) }
	for _, tc := range []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrCorrupt, "shorter than"},
		{"magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), ErrCorrupt, "magic"},
		{"version 0", mod(func(b []byte) []byte { b[4] = 0; return reseal(b) }), ErrVersion, "version 0"},
		{"version 3", mod(func(b []byte) []byte { b[4] = 3; return reseal(b) }), ErrVersion, "version 3"},
		{"checksum", mod(func(b []byte) []byte { b[9] ^= 1; return b }), ErrCorrupt, "checksum"},
		{"table flags", mod(func(b []byte) []byte { b[5] |= 0x80; return reseal(b) }), ErrCorrupt, "unknown table flags"},
		{"reserved", mod(func(b []byte) []byte { b[6] = 1; return reseal(b) }), ErrCorrupt, "reserved"},
		{"truncated", mod(func(b []byte) []byte { return reseal(b[:len(b)-3]) }), ErrCorrupt, "needs"},
		{"trailing", mod(func(b []byte) []byte { return reseal(append(b[:len(b)-4], 0, 0, 0, 0, 0)) }), ErrCorrupt, "after the last index"},
		{"column count", mod(func(b []byte) []byte { b[19] = 0xFF; b[20] = 0xFF; return reseal(b) }), ErrCorrupt, "columns, at most"},
		{"column flags", mod(func(b []byte) []byte { b[26] = 0x10; return reseal(b) }), ErrCorrupt, "unknown flags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.in)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v; want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestDecodeValidRejectsInvalidTable(t *testing.T) {
	tbl := sample()
	tbl.PrimaryKey = nil
	b, err := Encode(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := DecodeValid(b); err == nil || !strings.Contains(err.Error(), "no primary key") {
		t.Fatalf("err %v, want no primary key", err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(sample())
	f.Add(b)
	f.Add([]byte(Magic))
	r := rand.New(rand.NewPCG(3, 4))
	for range 8 {
		b, _ := Encode(randTable(r))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tbl, err := Decode(in)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v matches neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		// What decodes re-encodes to the same bytes: one image per table.
		out, err := Encode(tbl)
		if err != nil {
			t.Fatalf("decoded table does not encode: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", in, out)
		}
		schema.NewLayout(tbl) // must not panic either
	})
}
