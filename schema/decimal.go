package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DECIMAL(p,s) values use MySQL's binary format (decimal2bin in MySQL's
// strings/decimal.cc), so rows and wire images match what MySQL tools expect
// and encoded values of one (p,s) compare with bytes.Compare in numeric order.
//
// The p-s integer digits and s fraction digits are cut into groups of 9
// digits, each stored as a 4-byte big-endian word. Leftover digits take
// decDigBytes[n] bytes: leading ones before the integer words, trailing ones
// after the fraction words (as the integer value of those n digits).
//
//	DECIMAL(14,4) 1234567890.1234:
//	| 1 (1B) | 234567890 (4B) | 1234 (2B) |  = 01 0D FB 38 D2 04 D2
//	then sign bit flipped on byte 0          = 81 0D FB 38 D2 04 D2
//
// A negative value is stored with every bit inverted before the sign bit is
// flipped, so it sorts below all non-negative values and larger magnitudes
// sort lower. Zero is always stored as positive; a negative zero image is
// rejected as corrupt, which makes the encoding canonical: every value has
// exactly one image and every accepted image re-encodes to itself.

// Limits of DECIMAL(p,s), as in MySQL.
const (
	DecimalMaxPrecision = 65
	DecimalMaxScale     = 30
)

// Errors returned by the DECIMAL codec.
var (
	// ErrDecimalSyntax means the text is not a decimal number.
	ErrDecimalSyntax = errors.New("schema: malformed decimal")
	// ErrDecimalOutOfRange means the integer part, after rounding to the
	// scale, needs more than p-s digits.
	ErrDecimalOutOfRange = errors.New("schema: decimal out of range")
	// ErrDecimalPrecision means (p,s) is not a valid DECIMAL type.
	ErrDecimalPrecision = errors.New("schema: invalid decimal precision or scale")
	// ErrDecimalCorrupt means the bytes are not an image this codec writes.
	ErrDecimalCorrupt = errors.New("schema: corrupt decimal encoding")
)

// decDigBytes[n] is the number of bytes holding a group of n < 9 digits
// (MySQL's dig2bytes).
var decDigBytes = [9]int{0, 1, 1, 2, 2, 3, 3, 4, 4}

// decPow10[n] = 10^n; a group of n digits holds values below decPow10[n].
var decPow10 = [10]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// decDigits holds one value's digits, most significant first, one digit
// (0..9) per byte, p-s integer digits then s fraction digits.
type decDigits [DecimalMaxPrecision]byte

// DecimalValidate reports whether DECIMAL(p,s) is a valid type:
// 1 <= p <= 65, 0 <= s <= 30 and s <= p.
func DecimalValidate(p, s int) error {
	if p < 1 || p > DecimalMaxPrecision || s < 0 || s > DecimalMaxScale || s > p {
		return ErrDecimalPrecision
	}
	return nil
}

// DecimalSize returns the encoded size in bytes of a DECIMAL(p,s) value.
// It panics if (p,s) is invalid: column definitions are validated first.
func DecimalSize(p, s int) int {
	if DecimalValidate(p, s) != nil {
		panic(fmt.Sprintf("schema: DecimalSize of invalid DECIMAL(%d,%d)", p, s))
	}
	return decSize(p, s)
}

func decSize(p, s int) int {
	intg := p - s
	return intg/9*4 + decDigBytes[intg%9] + s/9*4 + decDigBytes[s%9]
}

// AppendDecimal parses the decimal text v and appends its DECIMAL(p,s) image
// to dst.
//
// Accepted text: an optional sign, digits with an optional decimal point
// (at least one digit on either side: "12", "12.", ".5"), then an optional
// exponent ("1.5e3", "25E-2"). Spaces and anything else are ErrDecimalSyntax.
// The value is rounded half away from zero to s fraction digits, as MySQL
// does on insert; if its integer part then needs more than p-s digits the
// result is ErrDecimalOutOfRange. A result of zero is stored as +0.
//
// On error dst is returned unchanged. It allocates only to grow dst.
func AppendDecimal(dst []byte, v string, p, s int) ([]byte, error) {
	if err := DecimalValidate(p, s); err != nil {
		return dst, err
	}
	var d decDigits
	neg, err := decParse(v, p, s, &d)
	if err != nil {
		return dst, err
	}
	return decAppendDigits(dst, &d, p, s, neg), nil
}

// DecimalFromInt64 appends the DECIMAL(p,s) image of the integer v to dst.
// It returns ErrDecimalOutOfRange (and dst unchanged) when v needs more than
// p-s digits.
func DecimalFromInt64(dst []byte, v int64, p, s int) ([]byte, error) {
	if err := DecimalValidate(p, s); err != nil {
		return dst, err
	}
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u // two's complement magnitude, exact for math.MinInt64 too
	}
	var d decDigits
	for i := p - s - 1; u != 0; i-- {
		if i < 0 {
			return dst, ErrDecimalOutOfRange
		}
		d[i] = byte(u % 10)
		u /= 10
	}
	return decAppendDigits(dst, &d, p, s, neg), nil
}

// DecimalString returns the canonical text of the DECIMAL(p,s) image b.
// See AppendDecimalString.
func DecimalString(b []byte, p, s int) (string, error) {
	var buf [DecimalMaxPrecision + 3]byte // sign, "0." and 65 digits at most
	out, err := AppendDecimalString(buf[:0], b, p, s)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// AppendDecimalString appends the canonical text of the DECIMAL(p,s) image b
// to dst: an optional "-", the integer part without leading zeros (at least
// "0"), then, when s > 0, "." and exactly s fraction digits. Zero is never
// negative. It returns ErrDecimalCorrupt (and dst unchanged) when b is not
// an image AppendDecimal writes for (p,s). It allocates only to grow dst.
func AppendDecimalString(dst, b []byte, p, s int) ([]byte, error) {
	if err := DecimalValidate(p, s); err != nil {
		return dst, err
	}
	var d decDigits
	neg, err := decDecode(b, p, s, &d)
	if err != nil {
		return dst, err
	}
	if neg {
		dst = append(dst, '-')
	}
	intg := p - s
	i := 0
	for i < intg-1 && d[i] == 0 {
		i++
	}
	if intg == 0 {
		dst = append(dst, '0')
	}
	for ; i < intg; i++ {
		dst = append(dst, '0'+d[i])
	}
	if s > 0 {
		dst = append(dst, '.')
		for ; i < p; i++ {
			dst = append(dst, '0'+d[i])
		}
	}
	return dst, nil
}

// decParse parses v into d, rounded to s fraction digits, and reports the
// sign. (p,s) must be valid.
func decParse(v string, p, s int, d *decDigits) (neg bool, err error) {
	i, n := 0, len(v)
	if i < n && (v[i] == '+' || v[i] == '-') {
		neg = v[i] == '-'
		i++
	}
	intStart := i
	for i < n && decIsDigit(v[i]) {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < n && v[i] == '.' {
		i++
		fracStart = i
		for i < n && decIsDigit(v[i]) {
			i++
		}
		fracEnd = i
	}
	if intStart == intEnd && fracStart == fracEnd {
		return false, ErrDecimalSyntax
	}
	var exp int64
	if i < n && (v[i] == 'e' || v[i] == 'E') {
		i++
		expNeg := false
		if i < n && (v[i] == '+' || v[i] == '-') {
			expNeg = v[i] == '-'
			i++
		}
		if i == n || !decIsDigit(v[i]) {
			return false, ErrDecimalSyntax
		}
		for ; i < n && decIsDigit(v[i]); i++ {
			// Saturate: past 2^40 every digit lands outside the type anyway,
			// and the index arithmetic below stays far from int64 overflow.
			if exp < 1<<40 {
				exp = exp*10 + int64(v[i]-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	if i != n {
		return false, ErrDecimalSyntax
	}

	// Mantissa digit k (counting the integer digits, then the fraction
	// digits) lands at d[off+k]; d[p] would be the first dropped digit,
	// which alone decides rounding half away from zero.
	off := int64(p-s) - int64(intEnd-intStart) - exp
	var round byte
	k := off
	for _, part := range [2]string{v[intStart:intEnd], v[fracStart:fracEnd]} {
		for j := 0; j < len(part); j++ {
			c := part[j] - '0'
			switch {
			case k < 0:
				if c != 0 {
					return false, ErrDecimalOutOfRange
				}
			case k < int64(p):
				d[k] = c
			case k == int64(p):
				round = c
			}
			k++
		}
	}
	if round >= 5 {
		j := p - 1
		for ; j >= 0; j-- {
			if d[j] < 9 {
				d[j]++
				break
			}
			d[j] = 0
		}
		if j < 0 {
			return false, ErrDecimalOutOfRange
		}
	}
	if neg && decIsZero(d, p) {
		neg = false
	}
	return neg, nil
}

func decIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func decIsZero(d *decDigits, p int) bool {
	for _, c := range d[:p] {
		if c != 0 {
			return false
		}
	}
	return true
}

// decAppendDigits appends the image of d[:p] with sign neg.
func decAppendDigits(dst []byte, d *decDigits, p, s int, neg bool) []byte {
	start := len(dst)
	intg := p - s
	i := 0
	if x := intg % 9; x > 0 {
		dst = decAppendGroup(dst, decGroup(d[i:i+x]), decDigBytes[x])
		i += x
	}
	for ; i < intg; i += 9 {
		dst = decAppendGroup(dst, decGroup(d[i:i+9]), 4)
	}
	for ; i+9 <= p; i += 9 {
		dst = decAppendGroup(dst, decGroup(d[i:i+9]), 4)
	}
	if x := p - i; x > 0 {
		dst = decAppendGroup(dst, decGroup(d[i:p]), decDigBytes[x])
	}
	if neg {
		for j := start; j < len(dst); j++ {
			dst[j] = ^dst[j]
		}
	}
	dst[start] ^= 0x80
	return dst
}

// decGroup returns the integer value of up to 9 digits.
func decGroup(d []byte) uint32 {
	var v uint32
	for _, c := range d {
		v = v*10 + uint32(c)
	}
	return v
}

// decAppendGroup appends the low n bytes of v, big-endian.
func decAppendGroup(dst []byte, v uint32, n int) []byte {
	switch n {
	case 1:
		return append(dst, byte(v))
	case 2:
		return binary.BigEndian.AppendUint16(dst, uint16(v))
	case 3:
		return append(dst, byte(v>>16), byte(v>>8), byte(v))
	default:
		return binary.BigEndian.AppendUint32(dst, v)
	}
}

// decDecode reads the image b into d and returns its sign. It rejects a
// wrong length, a group value with more digits than the group holds, and
// negative zero. (p,s) must be valid.
func decDecode(b []byte, p, s int, d *decDigits) (neg bool, err error) {
	if len(b) != decSize(p, s) {
		return false, ErrDecimalCorrupt
	}
	r := decReader{b: b}
	if b[0]&0x80 == 0 {
		neg = true
		r.mask = 0xFF
	}
	intg := p - s
	i := 0
	ok := true
	if x := intg % 9; x > 0 {
		ok = r.group(d[i:i+x]) && ok
		i += x
	}
	for ; i < intg; i += 9 {
		ok = r.group(d[i:i+9]) && ok
	}
	for ; i+9 <= p; i += 9 {
		ok = r.group(d[i:i+9]) && ok
	}
	if i < p {
		ok = r.group(d[i:p]) && ok
	}
	if !ok || (neg && decIsZero(d, p)) {
		return false, ErrDecimalCorrupt
	}
	return neg, nil
}

// decReader reads consecutive digit groups of one image.
type decReader struct {
	b    []byte
	pos  int
	mask byte // 0xFF for a negative value, whose bits are inverted
}

// group reads the group holding len(d) digits into d and reports whether
// its value fits len(d) digits.
func (r *decReader) group(d []byte) bool {
	n := 4
	if len(d) < 9 {
		n = decDigBytes[len(d)]
	}
	var v uint32
	for j := 0; j < n; j++ {
		c := r.b[r.pos+j] ^ r.mask
		if r.pos+j == 0 {
			c ^= 0x80
		}
		v = v<<8 | uint32(c)
	}
	r.pos += n
	if v >= decPow10[len(d)] {
		return false
	}
	for j := len(d) - 1; j >= 0; j-- {
		d[j] = byte(v % 10)
		v /= 10
	}
	return true
}
