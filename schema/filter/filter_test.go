package filter

import (
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// fixedRows returns two rows: 0 has every nullable column NULL, 1 has a
// value in each.
func fixedRows(t testing.TB, l *schema.Layout) [2]schema.Row {
	null := make([]any, nCols)
	null[cID], null[cKey] = int64(1), "a"
	full := make([]any, nCols)
	full[cID], full[cKey] = int64(2), "k1"
	full[cTi], full[cTiu] = int64(-5), uint64(200)
	full[cSi], full[cMi], full[cMu] = int64(300), int64(-70000), uint64(70000)
	full[cI], full[cI2] = int64(10), int64(10)
	full[cBi], full[cBu] = int64(-1), uint64(math.MaxUint64)
	full[cF], full[cD] = 1.5, -2.25
	full[cDec], full[cDec2] = decText("12.34"), decText("12.34")
	full[cCh], full[cChL] = "ab ", "ab"
	full[cVc], full[cVcL] = "héllo", "ab "
	full[cBin], full[cVb] = "ab\x00\x00", "ab"
	full[cDt], full[cTm] = dateVal{2024, 2, 29}, timeVal(-1_000_000)
	full[cDtm] = schema.DatetimeParts{Year: 2024, Month: 2, Day: 29, Hour: 12}
	full[cTs] = tsVal(1_700_000_000_000_000)
	full[cBit] = uint64(0x285)
	full[cTxt], full[cBlb] = "50% off_", "h\xc3\xa9"
	return [2]schema.Row{encodeRow(t, l, null), encodeRow(t, l, full)}
}

// TestOperators checks each operator on the NULL row and the full row.
// want is one letter per row: F false, U unknown, T true.
func TestOperators(t *testing.T) {
	l := testLayout(t)
	rows := fixedRows(t, l)
	dt := func(y, m, d, h, mi, s int) Value {
		return Datetime(schema.DatetimeParts{Year: y, Month: m, Day: d, Hour: h, Minute: mi, Second: s})
	}
	tests := []struct {
		name  string
		build func(b *Builder) error
		want  string
	}{
		// Comparisons with constants, in each type's order.
		{"int =", func(b *Builder) error { return b.Cmp(cI, Eq, Int(10)) }, "UT"},
		{"int !=", func(b *Builder) error { return b.Cmp(cI, Ne, Int(10)) }, "UF"},
		{"int <", func(b *Builder) error { return b.Cmp(cI, Lt, Int(11)) }, "UT"},
		{"int <=", func(b *Builder) error { return b.Cmp(cI, Le, Int(9)) }, "UF"},
		{"int >", func(b *Builder) error { return b.Cmp(cI, Gt, Int(9)) }, "UT"},
		{"int >=", func(b *Builder) error { return b.Cmp(cI, Ge, Int(10)) }, "UT"},
		{"int raw", func(b *Builder) error { return b.Cmp(cI, Eq, Raw([]byte{10, 0, 0, 0})) }, "UT"},
		{"tinyint signed", func(b *Builder) error { return b.Cmp(cTi, Lt, Int(0)) }, "UT"},
		{"tinyint unsigned", func(b *Builder) error { return b.Cmp(cTiu, Gt, Int(127)) }, "UT"},
		{"mediumint signed", func(b *Builder) error { return b.Cmp(cMi, Lt, Int(-69999)) }, "UT"},
		{"mediumint unsigned", func(b *Builder) error { return b.Cmp(cMu, Eq, Uint(70000)) }, "UT"},
		{"bigint", func(b *Builder) error { return b.Cmp(cBi, Lt, Int(0)) }, "UT"},
		{"bigint unsigned", func(b *Builder) error { return b.Cmp(cBu, Gt, Uint(1<<63)) }, "UT"},
		{"float", func(b *Builder) error { return b.Cmp(cF, Gt, Float(1.4)) }, "UT"},
		{"float =", func(b *Builder) error { return b.Cmp(cF, Eq, Float(1.5)) }, "UT"},
		{"double", func(b *Builder) error { return b.Cmp(cD, Lt, Float(-2.2)) }, "UT"},
		{"decimal =", func(b *Builder) error { return b.Cmp(cDec, Eq, Decimal("12.34")) }, "UT"},
		{"decimal >", func(b *Builder) error { return b.Cmp(cDec, Gt, Decimal("-100")) }, "UT"},
		{"decimal < int", func(b *Builder) error { return b.Cmp(cDec, Lt, Int(13)) }, "UT"},
		{"decimal rounds to scale", func(b *Builder) error { return b.Cmp(cDec, Eq, Decimal("12.335")) }, "UT"},
		{"char pad space", func(b *Builder) error { return b.Cmp(cCh, Eq, String("ab")) }, "UT"},
		{"char pad space 2", func(b *Builder) error { return b.Cmp(cCh, Eq, String("ab   ")) }, "UT"},
		{"char shorter is less", func(b *Builder) error { return b.Cmp(cCh, Lt, String("ab!")) }, "UT"},
		{"char case-sensitive", func(b *Builder) error { return b.Cmp(cCh, Eq, String("AB")) }, "UF"},
		{"varchar pad space", func(b *Builder) error { return b.Cmp(cVcL, Eq, String("ab")) }, "UT"},
		{"varchar longer const", func(b *Builder) error { return b.Cmp(cVcL, Lt, String("ab zzzzzzzzzzzzz")) }, "UT"},
		{"binary keeps zeros", func(b *Builder) error { return b.Cmp(cBin, Eq, String("ab")) }, "UF"},
		{"binary exact", func(b *Builder) error { return b.Cmp(cBin, Eq, Bytes([]byte("ab\x00\x00"))) }, "UT"},
		{"binary >", func(b *Builder) error { return b.Cmp(cBin, Gt, String("ab")) }, "UT"},
		{"varbinary", func(b *Builder) error { return b.Cmp(cVb, Eq, Bytes([]byte("ab"))) }, "UT"},
		{"key varchar", func(b *Builder) error { return b.Cmp(cKey, Eq, String("k1")) }, "FT"},
		{"date =", func(b *Builder) error { return b.Cmp(cDt, Eq, Date(2024, 2, 29)) }, "UT"},
		{"date <", func(b *Builder) error { return b.Cmp(cDt, Lt, Date(2024, 3, 1)) }, "UT"},
		{"time negative", func(b *Builder) error { return b.Cmp(cTm, Lt, Time(0)) }, "UT"},
		{"datetime", func(b *Builder) error { return b.Cmp(cDtm, Gt, dt(2024, 2, 29, 11, 59, 59)) }, "UT"},
		{"timestamp", func(b *Builder) error { return b.Cmp(cTs, Ge, Timestamp(1_700_000_000_000_000)) }, "UT"},
		{"bit", func(b *Builder) error { return b.Cmp(cBit, Eq, Uint(0x285)) }, "UT"},
		{"text", func(b *Builder) error { return b.Cmp(cTxt, Gt, String("50%")) }, "UT"},

		// Column with column.
		{"cols int", func(b *Builder) error { return b.CmpCols(cI, Eq, cI2) }, "UT"},
		{"cols tinyint < int", func(b *Builder) error { return b.CmpCols(cTi, Lt, cI) }, "UT"},
		{"cols unsigned > signed", func(b *Builder) error { return b.CmpCols(cTiu, Gt, cBi) }, "UT"},
		{"cols bigint unsigned > bigint", func(b *Builder) error { return b.CmpCols(cBu, Gt, cBi) }, "UT"},
		{"cols signed < unsigned", func(b *Builder) error { return b.CmpCols(cTi, Lt, cBu) }, "UT"},
		{"cols float > double", func(b *Builder) error { return b.CmpCols(cF, Gt, cD) }, "UT"},
		{"cols decimal", func(b *Builder) error { return b.CmpCols(cDec, Eq, cDec2) }, "UT"},
		{"cols char pad space", func(b *Builder) error { return b.CmpCols(cChL, Eq, cVcL) }, "UT"},
		{"cols binary", func(b *Builder) error { return b.CmpCols(cBin, Gt, cVb) }, "UT"},
		{"cols key", func(b *Builder) error { return b.CmpCols(cKey, Ne, cVcL) }, "UT"},

		// NULL tests are never UNKNOWN.
		{"is null", func(b *Builder) error { return b.IsNull(cI) }, "TF"},
		{"is not null", func(b *Builder) error { return b.IsNotNull(cI) }, "FT"},
		{"is null not-null column", func(b *Builder) error { return b.IsNull(cID) }, "FF"},

		// LIKE.
		{"like prefix", func(b *Builder) error { return b.Like(cVcL, "ab%") }, "UT"},
		{"like keeps varchar spaces", func(b *Builder) error { return b.Like(cVcL, "ab") }, "UF"},
		{"like one", func(b *Builder) error { return b.Like(cVcL, "ab_") }, "UT"},
		{"like char drops padding", func(b *Builder) error { return b.Like(cCh, "ab") }, "UT"},
		{"like char padding not a char", func(b *Builder) error { return b.Like(cCh, "ab_") }, "UF"},
		{"like utf8 _ is a character", func(b *Builder) error { return b.Like(cVc, "h_llo") }, "UT"},
		{"like utf8 _ is not a byte", func(b *Builder) error { return b.Like(cVc, "h__llo") }, "UF"},
		{"like blob _ is a byte", func(b *Builder) error { return b.Like(cBlb, "h__") }, "UT"},
		{"like blob one byte", func(b *Builder) error { return b.Like(cBlb, "h_") }, "UF"},
		{"like case-sensitive", func(b *Builder) error { return b.Like(cVc, "H%") }, "UF"},
		{"like escapes", func(b *Builder) error { return b.Like(cTxt, `50\% off\_`) }, "UT"},
		{"like escaped percent", func(b *Builder) error { return b.Like(cTxt, `50\%%`) }, "UT"},
		{"like escaped plain", func(b *Builder) error { return b.Like(cTxt, `5\0%`) }, "UT"},
		{"like escaped suffix", func(b *Builder) error { return b.Like(cTxt, `%\_`) }, "UT"},
		{"like escaped wrong suffix", func(b *Builder) error { return b.Like(cTxt, `%\%`) }, "UF"},
		{"like backtracking", func(b *Builder) error { return b.Like(cTxt, `%o%f_`) }, "UT"},
		{"like only %", func(b *Builder) error { return b.Like(cTxt, `%%`) }, "UT"},
		{"like empty", func(b *Builder) error { return b.Like(cTxt, ``) }, "UF"},
		{"like key", func(b *Builder) error { return b.Like(cKey, `k%`) }, "FT"},
		{"not like", func(b *Builder) error { return b.NotLike(cVc, "x%") }, "UT"},
		{"not like match", func(b *Builder) error { return b.NotLike(cVc, "%llo") }, "UF"},

		// BETWEEN, inclusive.
		{"between", func(b *Builder) error { return b.Between(cI, Int(10), Int(10)) }, "UT"},
		{"between below", func(b *Builder) error { return b.Between(cI, Int(11), Int(20)) }, "UF"},
		{"between reversed", func(b *Builder) error { return b.Between(cI, Int(20), Int(0)) }, "UF"},
		{"between signed", func(b *Builder) error { return b.Between(cTi, Int(-10), Int(-5)) }, "UT"},
		{"between datetime", func(b *Builder) error {
			return b.Between(cDtm, dt(2024, 2, 29, 0, 0, 0), dt(2024, 2, 29, 23, 59, 59))
		}, "UT"},
		{"between char", func(b *Builder) error { return b.Between(cCh, String("ab"), String("ab")) }, "UT"},

		// Bit tests (0x285 = 10 1000 0101; TINYINT -5 = 0xFB).
		{"all set", func(b *Builder) error { return b.Bits(cBit, AllSet, 0x285) }, "UT"},
		{"all set missing", func(b *Builder) error { return b.Bits(cBit, AllSet, 0x286) }, "UF"},
		{"all clear", func(b *Builder) error { return b.Bits(cBit, AllClear, 0x002) }, "UT"},
		{"any set", func(b *Builder) error { return b.Bits(cBit, AnySet, 0x003) }, "UT"},
		{"any clear none", func(b *Builder) error { return b.Bits(cBit, AnyClear, 0x005) }, "UF"},
		{"any clear", func(b *Builder) error { return b.Bits(cBit, AnyClear, 0x007) }, "UT"},
		{"bits signed", func(b *Builder) error { return b.Bits(cTi, AllSet, 0xFB) }, "UT"},
		{"bits signed clear", func(b *Builder) error { return b.Bits(cTi, AllClear, 0x04) }, "UT"},
		{"bits key int", func(b *Builder) error { return b.Bits(cID, AnySet, 0x1) }, "TF"},

		// Kleene logic: rows give i = 10 U/T and i IS NULL T/F.
		{"and U T / T F", group(And, eqI10, isNullI), "UF"},
		{"and U F", group(And, eqI10, isNotNullI), "FT"},
		{"or U T / T F", group(Or, eqI10, isNullI), "TT"},
		{"or U F", group(Or, eqI10, isNotNullI), "UT"},
		{"nand U / T", group(Nand, eqI10), "UF"},
		{"nand U F", group(Nand, eqI10, isNotNullI), "TF"},
		{"nor U T / T F", group(Nor, eqI10, isNullI), "FF"},
		{"nor U F", group(Nor, eqI10, isNotNullI), "UF"},
		{"nested", group(And, group(Or, group(Nand, group(Nor, isNullI)), eqI10), isNotNullI), "FT"},
		{"single group member", group(Or, group(And, group(Or, eqI10))), "UT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(l)
			if err := tt.build(b); err != nil {
				t.Fatal(err)
			}
			prog, err := b.Program()
			if err != nil {
				t.Fatal(err)
			}
			f, err := Compile(l, prog)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rows {
				want := map[byte]uint8{'F': tvFalse, 'U': tvUnknown, 'T': tvTrue}[tt.want[i]]
				if got := f.eval(0, &r); got != want {
					t.Errorf("row %d: got %c, want %c", i, "FUT"[got], tt.want[i])
				}
				if f.Match(r) != (want == tvTrue) {
					t.Errorf("row %d: Match = %v", i, f.Match(r))
				}
			}
		})
	}
}

func eqI10(b *Builder) error      { return b.Cmp(cI, Eq, Int(10)) }
func isNullI(b *Builder) error    { return b.IsNull(cI) }
func isNotNullI(b *Builder) error { return b.IsNotNull(cI) }

func group(g Group, members ...func(*Builder) error) func(*Builder) error {
	return func(b *Builder) error {
		b.Begin(g)
		for _, m := range members {
			m(b)
		}
		return b.End()
	}
}

// TestEncodingGolden pins the bytes of a program that uses every opcode:
// the encoding is a wire format (docs/formats.md, "Filter program").
func TestEncodingGolden(t *testing.T) {
	l := testLayout(t)
	b := NewBuilder(l)
	b.Begin(And)
	b.Cmp(cI, Ge, Int(10))
	b.Begin(Nor)
	b.CmpCols(cI, Ne, cI2)
	b.IsNull(cTi)
	b.IsNotNull(cTi)
	b.End()
	b.Like(cVc, `a\%`)
	b.NotLike(cVc, "_")
	b.Between(cSi, Int(-1), Int(2))
	b.Bits(cBit, AnySet, 0x103)
	b.End()
	prog, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"01",                             // version 1
		"010600",                         // And, 6 members
		"10060700" + "0400" + "0a000000", // Cmp >= col 7, 4 bytes: 10
		"040300",                         // Nor, 3 members
		"110207000800",                   // CmpCols != col 7, col 8
		"120200",                         // IsNull col 2
		"130200",                         // IsNotNull col 2
		"141100" + "0300" + "615c25",     // Like col 17, 3 bytes: a\%
		"151100" + "0100" + "5f",         // NotLike col 17, 1 byte: _
		"160400" + "0200" + "ffff" + "0200" + "0200", // Between col 4, -1, 2
		"17031900" + "0200" + "0301",                 // Bits AnySet col 25, 2 bytes: 0x103
	}, "")
	if got := hex.EncodeToString(prog); got != want {
		t.Errorf("program\n got %s\nwant %s", got, want)
	}
	if _, err := Compile(l, prog); err != nil {
		t.Fatal(err)
	}
}

// TestBuilderMisuse checks every error the builder reports.
func TestBuilderMisuse(t *testing.T) {
	l := testLayout(t)
	big := strings.Repeat("x", MaxConstBytes)
	tests := []struct {
		name  string
		build func(b *Builder)
		want  *ndberr.Error
	}{
		{"no condition", func(b *Builder) {}, ndberr.ErrFilterMalformed},
		{"end without begin", func(b *Builder) { b.IsNull(cI); b.End() }, ndberr.ErrFilterMalformed},
		{"begin without end", func(b *Builder) { b.Begin(And); b.IsNull(cI) }, ndberr.ErrFilterMalformed},
		{"empty group", func(b *Builder) { b.Begin(And); b.End() }, ndberr.ErrFilterMalformed},
		{"two top-level", func(b *Builder) { b.IsNull(cI); b.IsNull(cTi) }, ndberr.ErrFilterMalformed},
		{"unknown column", func(b *Builder) { b.IsNull(nCols) }, ndberr.ErrBadAttribute},
		{"negative column", func(b *Builder) { b.Cmp(-1, Eq, Int(1)) }, ndberr.ErrBadAttribute},
		{"unknown second column", func(b *Builder) { b.CmpCols(cI, Eq, 999) }, ndberr.ErrBadAttribute},
		{"bad group", func(b *Builder) { b.Begin(Group(9)) }, ndberr.ErrFilterBadOperator},
		{"bad cmp", func(b *Builder) { b.Cmp(cI, Cmp(0), Int(1)) }, ndberr.ErrFilterBadOperator},
		{"bad cmp cols", func(b *Builder) { b.CmpCols(cI, Cmp(7), cI2) }, ndberr.ErrFilterBadOperator},
		{"bad bit test", func(b *Builder) { b.Bits(cBit, BitTest(5), 1) }, ndberr.ErrFilterBadOperator},
		{"int out of range", func(b *Builder) { b.Cmp(cTi, Lt, Int(300)) }, ndberr.ErrFilterBadConstant},
		{"negative unsigned", func(b *Builder) { b.Cmp(cTiu, Gt, Int(-1)) }, ndberr.ErrFilterBadConstant},
		{"uint over bigint", func(b *Builder) { b.Cmp(cBi, Lt, Uint(1<<63)) }, ndberr.ErrFilterBadConstant},
		{"uint over bit", func(b *Builder) { b.Cmp(cBit, Eq, Uint(1024)) }, ndberr.ErrFilterBadConstant},
		{"int on float", func(b *Builder) { b.Cmp(cF, Eq, Int(1)) }, ndberr.ErrFilterBadConstant},
		{"string on int", func(b *Builder) { b.Cmp(cI, Eq, String("1")) }, ndberr.ErrFilterBadConstant},
		{"float on int", func(b *Builder) { b.Cmp(cI, Eq, Float(1)) }, ndberr.ErrFilterBadConstant},
		{"NaN", func(b *Builder) { b.Cmp(cD, Eq, Float(math.NaN())) }, ndberr.ErrFilterBadConstant},
		{"infinity", func(b *Builder) { b.Cmp(cD, Lt, Float(math.Inf(1))) }, ndberr.ErrFilterBadConstant},
		{"float overflow", func(b *Builder) { b.Cmp(cF, Lt, Float(1e39)) }, ndberr.ErrFilterBadConstant},
		{"decimal syntax", func(b *Builder) { b.Cmp(cDec, Eq, Decimal("1,5")) }, ndberr.ErrFilterBadConstant},
		{"decimal range", func(b *Builder) { b.Cmp(cDec, Eq, Decimal("1e20")) }, ndberr.ErrFilterBadConstant},
		{"decimal int range", func(b *Builder) { b.Cmp(cDec, Eq, Int(1e9)) }, ndberr.ErrFilterBadConstant},
		{"decimal on int", func(b *Builder) { b.Cmp(cI, Eq, Decimal("1")) }, ndberr.ErrFilterBadConstant},
		{"bad date", func(b *Builder) { b.Cmp(cDt, Eq, Date(2023, 2, 29)) }, ndberr.ErrFilterBadConstant},
		{"date on datetime", func(b *Builder) { b.Cmp(cDtm, Eq, Date(2023, 2, 28)) }, ndberr.ErrFilterBadConstant},
		{"bad time", func(b *Builder) { b.Cmp(cTm, Eq, Time(math.MaxInt64)) }, ndberr.ErrFilterBadConstant},
		{"bad timestamp", func(b *Builder) { b.Cmp(cTs, Eq, Timestamp(-1)) }, ndberr.ErrFilterBadConstant},
		{"bad datetime", func(b *Builder) { b.Cmp(cDtm, Eq, Datetime(schema.DatetimeParts{Year: 2024, Month: 13, Day: 1})) }, ndberr.ErrFilterBadConstant},
		{"raw wrong size", func(b *Builder) { b.Cmp(cI, Eq, Raw([]byte{1, 2})) }, ndberr.ErrFilterBadConstant},
		{"zero value", func(b *Builder) { b.Cmp(cI, Eq, Value{}) }, ndberr.ErrFilterBadConstant},
		{"between bad hi", func(b *Builder) { b.Between(cTi, Int(1), Int(1000)) }, ndberr.ErrFilterBadConstant},
		{"mask wider than int", func(b *Builder) { b.Bits(cTi, AnySet, 0x100) }, ndberr.ErrFilterBadConstant},
		{"mask wider than bit", func(b *Builder) { b.Bits(cBit, AnySet, 0x400) }, ndberr.ErrFilterBadConstant},
		{"string too long", func(b *Builder) { b.Cmp(cTxt, Eq, String(big+"x")) }, ndberr.ErrFilterBadConstant},
		{"like on int", func(b *Builder) { b.Like(cI, "1%") }, ndberr.ErrFilterUnsupportedType},
		{"bits on string", func(b *Builder) { b.Bits(cVc, AnySet, 1) }, ndberr.ErrFilterUnsupportedType},
		{"bits on float", func(b *Builder) { b.Bits(cD, AnySet, 1) }, ndberr.ErrFilterUnsupportedType},
		{"cols int float", func(b *Builder) { b.CmpCols(cI, Eq, cF) }, ndberr.ErrFilterUnsupportedType},
		{"cols charsets", func(b *Builder) { b.CmpCols(cCh, Eq, cChL) }, ndberr.ErrFilterUnsupportedType},
		{"cols char binary", func(b *Builder) { b.CmpCols(cVc, Eq, cVb) }, ndberr.ErrFilterUnsupportedType},
		{"cols date datetime", func(b *Builder) { b.CmpCols(cDt, Eq, cDtm) }, ndberr.ErrFilterUnsupportedType},
		{"like lone escape", func(b *Builder) { b.Like(cVc, `ab\`) }, ndberr.ErrFilterBadPattern},
		{"like bad utf8", func(b *Builder) { b.Like(cVc, "\xff%") }, ndberr.ErrFilterBadPattern},
		{"too deep", func(b *Builder) {
			for i := 0; i <= MaxDepth; i++ {
				b.Begin(And)
			}
		}, ndberr.ErrFilterTooDeep},
		{"too many nodes", func(b *Builder) {
			b.Begin(Or)
			for i := 0; i < MaxNodes; i++ {
				b.IsNull(cI)
			}
			b.End()
		}, ndberr.ErrFilterTooLarge},
		{"too many bytes", func(b *Builder) {
			b.Begin(Or)
			for i := 0; i < 4; i++ {
				b.Cmp(cTxt, Eq, String(big))
			}
			b.End()
		}, ndberr.ErrFilterTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(l)
			tt.build(b)
			prog, err := b.Program()
			if !errors.Is(err, tt.want) || ndberr.CodeOf(err) != tt.want.Code {
				t.Fatalf("Program() = %x, %v; want %v", prog, err, tt.want)
			}
			// The error sticks until Reset.
			if b.Err() != nil && !errors.Is(b.IsNull(cI), tt.want) {
				t.Errorf("a call after the error did not return it")
			}
			b.Reset()
			if err := b.IsNull(cI); err != nil {
				t.Fatalf("after Reset: %v", err)
			}
			if _, err := b.Program(); err != nil {
				t.Fatalf("after Reset: %v", err)
			}
		})
	}
}

// TestBuilderLimitsAccepted checks that programs right at the limits build
// and compile.
func TestBuilderLimitsAccepted(t *testing.T) {
	l := testLayout(t)
	b := NewBuilder(l)
	for i := 0; i < MaxDepth; i++ {
		b.Begin(Nand)
	}
	b.IsNull(cI)
	for i := 0; i < MaxDepth; i++ {
		b.End()
	}
	prog, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(l, prog)
	if err != nil {
		t.Fatal(err)
	}
	rows := fixedRows(t, l)
	// An even number of NOTs: the row with i NULL matches.
	if !f.Match(rows[0]) || f.Match(rows[1]) {
		t.Errorf("%d nested NANDs: Match = %v, %v", MaxDepth, f.Match(rows[0]), f.Match(rows[1]))
	}

	b.Reset()
	b.Begin(Or)
	for i := 0; i < MaxNodes-1; i++ {
		b.IsNull(cTi)
	}
	b.End()
	if prog, err = b.Program(); err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(l, prog); err != nil {
		t.Fatal(err)
	}
}

// TestBuilderProgramCopy checks that AppendProgram copies and Program
// aliases until Reset.
func TestBuilderProgramCopy(t *testing.T) {
	l := testLayout(t)
	b := NewBuilder(l)
	b.IsNull(cI)
	cp, err := b.AppendProgram(nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	b.IsNotNull(cTi)
	p2, _ := b.Program()
	if string(cp) == string(p2) || cp[1] != opIsNull {
		t.Errorf("AppendProgram did not copy: %x %x", cp, p2)
	}
	if _, err := Compile(l, cp); err != nil {
		t.Fatal(err)
	}
}
