package schema

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func decHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecimalSize(t *testing.T) {
	for _, tc := range []struct{ p, s, want int }{
		{1, 0, 1}, {2, 0, 1}, {3, 0, 2}, {9, 0, 4}, {10, 0, 5},
		{14, 4, 7}, {18, 9, 8}, {10, 10, 5}, {5, 2, 3}, {3, 1, 2},
		{65, 0, 29}, {65, 30, 30}, {30, 30, 14}, {1, 1, 1},
	} {
		if got := DecimalSize(tc.p, tc.s); got != tc.want {
			t.Errorf("DecimalSize(%d,%d) = %d, want %d", tc.p, tc.s, got, tc.want)
		}
	}
}

func TestDecimalInvalidPrecision(t *testing.T) {
	for _, ps := range [][2]int{{0, 0}, {66, 0}, {5, 6}, {31, 31}, {-1, 0}, {40, 31}, {5, -1}} {
		p, s := ps[0], ps[1]
		if _, err := AppendDecimal(nil, "1", p, s); !errors.Is(err, ErrDecimalPrecision) {
			t.Errorf("AppendDecimal(%d,%d) err = %v", p, s, err)
		}
		if _, err := DecimalFromInt64(nil, 1, p, s); !errors.Is(err, ErrDecimalPrecision) {
			t.Errorf("DecimalFromInt64(%d,%d) err = %v", p, s, err)
		}
		if _, err := DecimalString([]byte{0x80}, p, s); !errors.Is(err, ErrDecimalPrecision) {
			t.Errorf("DecimalString(%d,%d) err = %v", p, s, err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("DecimalSize(%d,%d) did not panic", p, s)
				}
			}()
			DecimalSize(p, s)
		}()
	}
}

// TestDecimalKnownEncodings pins images worked out by hand from the format
// (the first two are the examples in the MySQL manual).
func TestDecimalKnownEncodings(t *testing.T) {
	max65 := "85F5E0FF" + strings.Repeat("3B9AC9FF", 6) + "03E7"
	for _, tc := range []struct {
		v    string
		p, s int
		hex  string
	}{
		{"1234567890.1234", 14, 4, "81 0D FB 38 D2 04 D2"},
		{"-1234567890.1234", 14, 4, "7E F2 04 C7 2D FB 2D"},
		{"0", 5, 2, "80 00 00"},
		{"1.5", 5, 2, "80 01 32"},
		{"-1.5", 5, 2, "7F FE CD"},
		{"9", 1, 0, "89"},
		{"-9", 1, 0, "76"},
		{"999999999", 9, 0, "BB 9A C9 FF"},
		{"-999999999", 9, 0, "44 65 36 00"},
		{"0.1234567891", 10, 10, "87 5B CD 15 01"},
		{"1.000000001", 18, 9, "80 00 00 01 00 00 00 01"},
		{"-0.01", 4, 2, "7F FE"},
		{strings.Repeat("9", 35) + "." + strings.Repeat("9", 30), 65, 30, max65},
	} {
		got, err := AppendDecimal(nil, tc.v, tc.p, tc.s)
		if err != nil {
			t.Errorf("AppendDecimal(%q,%d,%d): %v", tc.v, tc.p, tc.s, err)
			continue
		}
		if want := decHex(t, tc.hex); !bytes.Equal(got, want) {
			t.Errorf("AppendDecimal(%q,%d,%d) = % X, want % X", tc.v, tc.p, tc.s, got, want)
		}
	}
}

func TestDecimalParseAndFormat(t *testing.T) {
	for _, tc := range []struct {
		v    string
		p, s int
		want string
	}{
		{"-123.4500", 10, 4, "-123.4500"},
		{"+0.5", 5, 2, "0.50"},
		{".5", 5, 2, "0.50"},
		{"5.", 5, 2, "5.00"},
		{"12", 5, 0, "12"},
		{"0000123.4500", 10, 4, "123.4500"},
		{"-0", 5, 2, "0.00"},
		{"-0.000", 3, 3, "0.000"},
		{"0.5", 3, 3, "0.500"},
		{"-.999", 3, 3, "-0.999"},
		// Exponents move the decimal point.
		{"1e3", 5, 0, "1000"},
		{"1.5E2", 5, 2, "150.00"},
		{"-25e-2", 5, 2, "-0.25"},
		{"12345e-4", 5, 2, "1.23"},
		{"1e+0", 1, 0, "1"},
		{"0.00000000000000000000000000000000001e35", 5, 2, "1.00"},
		{"1000000000000000000000000000000000000000e-39", 5, 2, "1.00"}, // 10^39 e-39
		{"0e999999999999999999999", 5, 2, "0.00"},
		{"1e-999999999999999999999", 5, 2, "0.00"},
		// Rounding is half away from zero on the first dropped digit.
		{"1.005", 5, 2, "1.01"},
		{"1.00499999", 5, 2, "1.00"},
		{"-1.005", 5, 2, "-1.01"},
		{"-1.00499999", 5, 2, "-1.00"},
		{"999.994", 5, 2, "999.99"},
		{"0.5", 4, 0, "1"},
		{"-0.5", 4, 0, "-1"},
		{"-0.4", 4, 0, "0"},
		{"-0.004", 5, 2, "0.00"},
		{"0.0049", 5, 2, "0.00"},
		{"9.9999", 5, 3, "10.000"},
		{"1e-1", 1, 0, "0"},
		{"5e-1", 1, 0, "1"},
	} {
		b, err := AppendDecimal(nil, tc.v, tc.p, tc.s)
		if err != nil {
			t.Errorf("AppendDecimal(%q,%d,%d): %v", tc.v, tc.p, tc.s, err)
			continue
		}
		if len(b) != DecimalSize(tc.p, tc.s) {
			t.Errorf("AppendDecimal(%q,%d,%d): %d bytes", tc.v, tc.p, tc.s, len(b))
		}
		got, err := DecimalString(b, tc.p, tc.s)
		if err != nil || got != tc.want {
			t.Errorf("DecimalString(AppendDecimal(%q,%d,%d)) = %q, %v, want %q", tc.v, tc.p, tc.s, got, err, tc.want)
		}
		again, err := AppendDecimal(nil, got, tc.p, tc.s)
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("re-encoding %q: % X, %v; want % X", got, again, err, b)
		}
	}
}

func TestDecimalErrors(t *testing.T) {
	for _, tc := range []struct {
		v    string
		p, s int
		want error
	}{
		{"", 5, 2, ErrDecimalSyntax},
		{"+", 5, 2, ErrDecimalSyntax},
		{"-", 5, 2, ErrDecimalSyntax},
		{".", 5, 2, ErrDecimalSyntax},
		{"-.", 5, 2, ErrDecimalSyntax},
		{"1..2", 5, 2, ErrDecimalSyntax},
		{"1.2.3", 5, 2, ErrDecimalSyntax},
		{"abc", 5, 2, ErrDecimalSyntax},
		{"e5", 5, 2, ErrDecimalSyntax},
		{"1e", 5, 2, ErrDecimalSyntax},
		{"1e+", 5, 2, ErrDecimalSyntax},
		{"1e5.5", 5, 2, ErrDecimalSyntax},
		{" 1", 5, 2, ErrDecimalSyntax},
		{"1 ", 5, 2, ErrDecimalSyntax},
		{"0x10", 5, 2, ErrDecimalSyntax},
		{"1,5", 5, 2, ErrDecimalSyntax},
		{"--1", 5, 2, ErrDecimalSyntax},
		{"1_000", 5, 2, ErrDecimalSyntax},
		{"NaN", 5, 2, ErrDecimalSyntax},
		{"1000", 5, 2, ErrDecimalOutOfRange},
		{"-1000", 5, 2, ErrDecimalOutOfRange},
		{"999.995", 5, 2, ErrDecimalOutOfRange},
		{"-999.995", 5, 2, ErrDecimalOutOfRange},
		{"1e3", 5, 2, ErrDecimalOutOfRange},
		{"1", 3, 3, ErrDecimalOutOfRange},
		{"0.9995", 3, 3, ErrDecimalOutOfRange},
		{"10", 1, 0, ErrDecimalOutOfRange},
		{"9.5", 1, 0, ErrDecimalOutOfRange},
		{"1e999999999999999999999", 65, 0, ErrDecimalOutOfRange},
		{strings.Repeat("9", 36), 65, 30, ErrDecimalOutOfRange},
	} {
		dst := []byte("keep")
		got, err := AppendDecimal(dst, tc.v, tc.p, tc.s)
		if !errors.Is(err, tc.want) {
			t.Errorf("AppendDecimal(%q,%d,%d) err = %v, want %v", tc.v, tc.p, tc.s, err, tc.want)
		}
		if string(got) != "keep" {
			t.Errorf("AppendDecimal(%q,%d,%d) changed dst to %q on error", tc.v, tc.p, tc.s, got)
		}
	}
}

func TestDecimalFromInt64(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		p, s int
		want string
		err  error
	}{
		{0, 1, 0, "0", nil},
		{-7, 5, 2, "-7.00", nil},
		{999, 5, 2, "999.00", nil},
		{1000, 5, 2, "", ErrDecimalOutOfRange},
		{-1000, 5, 2, "", ErrDecimalOutOfRange},
		{1, 3, 3, "", ErrDecimalOutOfRange},
		{0, 3, 3, "0.000", nil},
		{math.MaxInt64, 19, 0, "9223372036854775807", nil},
		{math.MinInt64, 19, 0, "-9223372036854775808", nil},
		{math.MinInt64, 18, 0, "", ErrDecimalOutOfRange},
		{math.MinInt64, 65, 30, "-9223372036854775808." + strings.Repeat("0", 30), nil},
	} {
		b, err := DecimalFromInt64(nil, tc.v, tc.p, tc.s)
		if !errors.Is(err, tc.err) {
			t.Errorf("DecimalFromInt64(%d,%d,%d) err = %v, want %v", tc.v, tc.p, tc.s, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		got, err := DecimalString(b, tc.p, tc.s)
		if err != nil || got != tc.want {
			t.Errorf("DecimalFromInt64(%d,%d,%d) = %q, %v, want %q", tc.v, tc.p, tc.s, got, err, tc.want)
		}
		viaText, err := AppendDecimal(nil, strconv.FormatInt(tc.v, 10), tc.p, tc.s)
		if err != nil || !bytes.Equal(viaText, b) {
			t.Errorf("DecimalFromInt64(%d,%d,%d) = % X, text gives % X, %v", tc.v, tc.p, tc.s, b, viaText, err)
		}
	}
}

func TestDecimalDecodeRejectsCorrupt(t *testing.T) {
	for _, tc := range []struct {
		hex  string
		p, s int
	}{
		{"", 1, 0},
		{"80 00", 1, 0},                 // too long
		{"80", 3, 0},                    // too short
		{"8A", 1, 0},                    // 10 in a 1-digit group
		{"75", 1, 0},                    // -10 in a 1-digit group
		{"7F", 1, 0},                    // negative zero
		{"7F FF", 5, 2},                 // negative zero, truncated
		{"7F FF FF", 5, 2},              // negative zero
		{"BB 9A CA 00", 9, 0},           // 1000000000 in a 9-digit group
		{"80 00 64", 5, 2},              // fraction 100 in a 2-digit group
		{"A7 10 00", 6, 2},              // integer 10000 in a 4-digit group
		{"FF FF FF FF FF FF FF", 14, 4}, // group bits above the digit range
	} {
		b := decHex(t, tc.hex)
		out, err := AppendDecimalString([]byte("keep"), b, tc.p, tc.s)
		if !errors.Is(err, ErrDecimalCorrupt) || string(out) != "keep" {
			t.Errorf("AppendDecimalString(% X,%d,%d) = %q, %v; want ErrDecimalCorrupt", b, tc.p, tc.s, out, err)
		}
	}
}

// TestDecimalExhaustive decodes every image of small types: exactly the
// values of the type decode, and each decodes to text that re-encodes to the
// same image, so the encoding is a bijection onto its accepted images.
func TestDecimalExhaustive(t *testing.T) {
	for _, tc := range []struct{ p, s, values int }{
		{3, 1, 1999}, // -99.9 .. 99.9
		{2, 2, 199},  // -0.99 .. 0.99
		{4, 0, 19999},
	} {
		size := DecimalSize(tc.p, tc.s)
		n := 0
		b := make([]byte, size)
		for x := 0; x < 1<<(8*size); x++ {
			for i := range b {
				b[i] = byte(x >> (8 * (size - 1 - i)))
			}
			str, err := DecimalString(b, tc.p, tc.s)
			if err != nil {
				continue
			}
			n++
			again, err := AppendDecimal(nil, str, tc.p, tc.s)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("(%d,%d) % X decodes to %q, re-encodes to % X, %v", tc.p, tc.s, b, str, again, err)
			}
		}
		if n != tc.values {
			t.Errorf("(%d,%d): %d images decode, want %d", tc.p, tc.s, n, tc.values)
		}
	}
}

// decOracle rounds v half away from zero to s fraction digits with
// math/big and returns the result scaled by 10^s, or ok=false when big.Rat
// cannot parse v or its exponent is too large to evaluate cheaply.
func decOracle(v string, s int) (scaled *big.Int, ok bool) {
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		e, err := strconv.Atoi(v[i+1:])
		if err != nil || e > 300 || e < -300 {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return nil, false
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	if m.Lsh(m, 1).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q, true
}

// decCheckOracle checks the outcome of AppendDecimal(v,p,s) against the
// math/big oracle; it reports false if the oracle could not judge v.
func decCheckOracle(t testing.TB, v string, p, s int, b []byte, err error) bool {
	want, ok := decOracle(v, s)
	if !ok {
		return false
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	inRange := new(big.Int).Abs(want).Cmp(limit) < 0
	switch {
	case err == nil && inRange:
		str, derr := DecimalString(b, p, s)
		if derr != nil {
			t.Fatalf("%q (%d,%d): decoding own image % X: %v", v, p, s, b, derr)
		}
		got, _ := new(big.Rat).SetString(str)
		wantRat := new(big.Rat).SetFrac(want, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil))
		if got.Cmp(wantRat) != 0 {
			t.Fatalf("%q (%d,%d) = %s, oracle %s", v, p, s, str, wantRat.FloatString(s))
		}
	case errors.Is(err, ErrDecimalOutOfRange) && !inRange:
	case errors.Is(err, ErrDecimalSyntax):
		// big.Rat accepts more syntax ("0x10", "1/2", "1_0"); nothing to compare.
	default:
		t.Fatalf("%q (%d,%d): err %v, oracle in range %v", v, p, s, err, inRange)
	}
	return true
}

// decRandom returns random decimal text that sometimes overflows (p,s),
// needs rounding, or carries an exponent.
func decRandom(r *rand.Rand, p, s int) string {
	var sb strings.Builder
	if r.IntN(2) == 0 {
		sb.WriteByte('-')
	}
	digits := func(n int) {
		for range n {
			sb.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	nint := r.IntN(p - s + 2)
	nfrac := r.IntN(s + 3)
	if nint == 0 && nfrac == 0 {
		nint = 1
	}
	digits(nint)
	if nfrac > 0 {
		sb.WriteByte('.')
		digits(nfrac)
	}
	if r.IntN(8) == 0 {
		sb.WriteString("e" + strconv.Itoa(r.IntN(7)-3))
	}
	return sb.String()
}

// TestDecimalOrder checks random values against math/big: each encodes to
// the rounded value, and bytes.Compare of images orders them numerically.
func TestDecimalOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	types := 60
	perType := 60
	if testing.Short() {
		types, perType = 20, 30
	}
	for range types {
		p := 1 + r.IntN(DecimalMaxPrecision)
		s := r.IntN(min(p, DecimalMaxScale) + 1)
		type item struct {
			img []byte
			val *big.Rat
		}
		var items []item
		for range perType {
			v := decRandom(r, p, s)
			b, err := AppendDecimal(nil, v, p, s)
			if !decCheckOracle(t, v, p, s, b, err) {
				t.Fatalf("oracle cannot judge %q", v)
			}
			if err != nil {
				continue
			}
			str, _ := DecimalString(b, p, s)
			val, _ := new(big.Rat).SetString(str)
			items = append(items, item{b, val})
		}
		slices.SortFunc(items, func(a, b item) int { return a.val.Cmp(b.val) })
		for i := range items {
			for j := range items {
				if got, want := bytes.Compare(items[i].img, items[j].img), items[i].val.Cmp(items[j].val); got != want {
					t.Fatalf("(%d,%d) %s vs %s: bytes.Compare %d, numeric %d",
						p, s, items[i].val.RatString(), items[j].val.RatString(), got, want)
				}
			}
		}
	}
}

func TestDecimalAllocs(t *testing.T) {
	dst := make([]byte, 0, 64)
	img, _ := AppendDecimal(nil, "-1234567890.1234", 14, 4)
	for name, f := range map[string]func(){
		"AppendDecimal":       func() { _, _ = AppendDecimal(dst[:0], "-1234567890.1234", 14, 4) },
		"AppendDecimalExp":    func() { _, _ = AppendDecimal(dst[:0], "1.5e-3", 65, 30) },
		"DecimalFromInt64":    func() { _, _ = DecimalFromInt64(dst[:0], math.MinInt64, 65, 30) },
		"AppendDecimalString": func() { _, _ = AppendDecimalString(dst[:0], img, 14, 4) },
		"AppendDecimalSyntax": func() { _, _ = AppendDecimal(dst[:0], "1x", 14, 4) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}

// FuzzDecimal: any text and type must not panic; an accepted value decodes
// to canonical text that re-encodes to the same image and agrees with the
// math/big oracle.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"1234567890.1234", "-0.005", ".5", "1e3", "-9.99e-1", "999.995", "", "1e", "0e99999999999"} {
		f.Add(s, uint8(14), uint8(4))
	}
	f.Fuzz(func(t *testing.T, v string, pb, sb uint8) {
		p, s := int(pb%70), int(sb%34) // mostly valid types, some invalid
		b, err := AppendDecimal(nil, v, p, s)
		if DecimalValidate(p, s) != nil {
			if !errors.Is(err, ErrDecimalPrecision) {
				t.Fatalf("(%d,%d) invalid type, err %v", p, s, err)
			}
			return
		}
		if len(v) <= 200 {
			decCheckOracle(t, v, p, s, b, err)
		}
		if err != nil {
			return
		}
		if len(b) != DecimalSize(p, s) {
			t.Fatalf("%q (%d,%d): %d bytes, want %d", v, p, s, len(b), DecimalSize(p, s))
		}
		str, err := DecimalString(b, p, s)
		if err != nil {
			t.Fatalf("%q (%d,%d): decode % X: %v", v, p, s, b, err)
		}
		again, err := AppendDecimal(nil, str, p, s)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%q (%d,%d): % X -> %q -> % X, %v", v, p, s, b, str, again, err)
		}
	})
}

// FuzzDecimalDecode: any bytes either are rejected or decode to text that
// re-encodes to exactly those bytes.
func FuzzDecimalDecode(f *testing.F) {
	f.Add([]byte{0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2}, uint8(14), uint8(4))
	f.Add([]byte{0x7F, 0xFF, 0xFF}, uint8(5), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, pb, sb uint8) {
		p, s := int(pb%70), int(sb%34)
		str, err := DecimalString(b, p, s)
		if err != nil {
			return
		}
		again, err := AppendDecimal(nil, str, p, s)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("(%d,%d) % X -> %q -> % X, %v", p, s, b, str, again, err)
		}
	})
}

func BenchmarkAppendDecimal(b *testing.B) {
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = AppendDecimal(dst[:0], "-1234567890.1234", 14, 4)
	}
}

func BenchmarkAppendDecimalString(b *testing.B) {
	img, _ := AppendDecimal(nil, "-1234567890.1234", 14, 4)
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = AppendDecimalString(dst[:0], img, 14, 4)
	}
}

func BenchmarkDecimalFromInt64(b *testing.B) {
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = DecimalFromInt64(dst[:0], 1234567890123, 20, 2)
	}
}

func BenchmarkAppendDecimalMax(b *testing.B) {
	v := strings.Repeat("9", 35) + "." + strings.Repeat("9", 30)
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = AppendDecimal(dst[:0], v, 65, 30)
	}
}
