package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Temporal value codecs. Every image has a fixed size and an explicit byte
// order; comparators decode, so only DATETIME is laid out in chronological
// integer order. Writers validate strictly; decoders trust their input (it
// was validated when written) and never panic on a long enough slice.
//
//	DATE      3 bytes  little-endian year<<9 | month<<5 | day
//	TIME      8 bytes  little-endian int64 signed microseconds
//	DATETIME  8 bytes  little-endian uint64, from the top bit down:
//	          | 0 (4b) | year (14b) | month (4b) | day (5b) | hour (5b) |
//	          | minute (6b) | second (6b) | microsecond (20b) |
//	TIMESTAMP 8 bytes  little-endian int64 microseconds since 1970-01-01 UTC
//
// The MySQL zero values 0000-00-00 and 0000-00-00 00:00:00 are accepted and
// stored as all-zero fields (a zero TIMESTAMP is 0, which is outside the
// TIMESTAMP range and so unambiguous). No other zero-in-date value is.
//
// Text forms are strict, fixed-width and separated by '-' and ':'; the
// fraction has 1 to 6 digits (more is ErrTemporalSyntax, not rounding).
// The formatters truncate to the requested fsp; the ...Round functions
// round half away from zero to a column's fsp, as MySQL does on insert.

// Encoded sizes in bytes.
const (
	DateSize      = 3
	TimeSize      = 8
	DatetimeSize  = 8
	TimestampSize = 8
)

// Range limits in microseconds.
const (
	// TimeMaxMicros is 838:59:59; TIME ranges from -TimeMaxMicros to it.
	TimeMaxMicros int64 = (838*3600 + 59*60 + 59) * 1e6
	// TimestampMinMicros is 1970-01-01 00:00:01 UTC.
	TimestampMinMicros int64 = 1e6
	// TimestampMaxMicros is 2038-01-19 03:14:07.999999 UTC.
	TimestampMaxMicros int64 = (1<<31-1)*1e6 + 999999
)

// TimeMaxFsp is the largest fractional-seconds precision of TIME, DATETIME
// and TIMESTAMP.
const TimeMaxFsp = 6

// Errors returned by the temporal codecs.
var (
	// ErrTemporalRange means a well-formed value lies outside its type's
	// range or calendar (month 13, February 29 of a common year, 24:00:00).
	ErrTemporalRange = errors.New("schema: temporal value out of range")
	// ErrTemporalSyntax means the text is not in the accepted form.
	ErrTemporalSyntax = errors.New("schema: malformed temporal value")
)

const (
	tmMicrosPerSecond int64 = 1e6
	tmMicrosPerDay    int64 = 86400 * tmMicrosPerSecond
)

// tmPow10 is 10^n for a fraction of n digits.
var tmPow10 = [7]int64{1, 10, 100, 1000, 10000, 100000, 1000000}

// ---- DATE ----

// AppendDate appends the DATE image of year-month-day to dst. Valid dates
// are 0000-01-01 through 9999-12-31 in the proleptic Gregorian calendar,
// plus the zero date 0000-00-00. On error dst is returned unchanged.
func AppendDate(dst []byte, year, month, day int) ([]byte, error) {
	if !tmValidDate(year, month, day) {
		return dst, ErrTemporalRange
	}
	v := uint32(year)<<9 | uint32(month)<<5 | uint32(day)
	return append(dst, byte(v), byte(v>>8), byte(v>>16)), nil
}

// DecodeDate returns the fields of the DATE image b.
func DecodeDate(b []byte) (y, m, d int) {
	_ = b[2]
	v := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	return int(v >> 9), int(v >> 5 & 0xF), int(v & 0x1F)
}

// ParseDate parses 'YYYY-MM-DD' and validates it as AppendDate does.
func ParseDate(s string) (y, m, d int, err error) {
	y, m, d, ok := tmParseDate(s)
	if !ok || len(s) != 10 {
		return 0, 0, 0, ErrTemporalSyntax
	}
	if !tmValidDate(y, m, d) {
		return 0, 0, 0, ErrTemporalRange
	}
	return y, m, d, nil
}

// AppendDateString appends the DATE image b as 'YYYY-MM-DD'.
func AppendDateString(dst, b []byte) []byte {
	y, m, d := DecodeDate(b)
	return tmAppendDate(dst, y, m, d)
}

func tmValidDate(y, m, d int) bool {
	if y == 0 && m == 0 && d == 0 {
		return true
	}
	return y >= 0 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= tmDaysIn(y, m)
}

func tmIsLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// tmDaysIn returns the number of days in month m (1..12) of year y.
func tmDaysIn(y, m int) int {
	switch m {
	case 2:
		if tmIsLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ---- TIME ----

// AppendTime appends the TIME image of micros (a signed duration in
// microseconds, within ±TimeMaxMicros) to dst. On error dst is returned
// unchanged.
func AppendTime(dst []byte, micros int64) ([]byte, error) {
	if micros < -TimeMaxMicros || micros > TimeMaxMicros {
		return dst, ErrTemporalRange
	}
	return binary.LittleEndian.AppendUint64(dst, uint64(micros)), nil
}

// DecodeTime returns the microseconds of the TIME image b.
func DecodeTime(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }

// ParseTime parses '[-]HH:MM:SS[.ffffff]', where HH has 2 or 3 digits, into
// signed microseconds. Minutes or seconds above 59, or a value beyond
// ±838:59:59, are ErrTemporalRange.
func ParseTime(s string) (int64, error) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	hlen := 2
	if len(s) > 2 && s[2] != ':' {
		hlen = 3
	}
	h, ok := tmDigits(s, 0, hlen)
	if !ok || len(s) < hlen+6 || s[hlen] != ':' || s[hlen+3] != ':' {
		return 0, ErrTemporalSyntax
	}
	mi, ok1 := tmDigits(s, hlen+1, 2)
	sec, ok2 := tmDigits(s, hlen+4, 2)
	frac, ok3 := tmParseFrac(s[hlen+6:])
	if !ok1 || !ok2 || !ok3 {
		return 0, ErrTemporalSyntax
	}
	if mi > 59 || sec > 59 {
		return 0, ErrTemporalRange
	}
	v := (int64(h)*3600+int64(mi)*60+int64(sec))*tmMicrosPerSecond + frac
	if v > TimeMaxMicros {
		return 0, ErrTemporalRange
	}
	if neg {
		v = -v
	}
	return v, nil
}

// AppendTimeString appends micros as '[-]HH:MM:SS' plus, when fsp > 0, '.'
// and fsp fraction digits; digits beyond fsp are truncated. HH has three
// digits from 100 hours on. A value that shows as zero has no sign. It
// panics if fsp is not 0..6.
func AppendTimeString(dst []byte, micros int64, fsp int) []byte {
	tmCheckFsp(fsp)
	u := uint64(micros)
	if micros < 0 {
		u = -u
	}
	u -= u % uint64(tmPow10[TimeMaxFsp-fsp])
	if micros < 0 && u != 0 {
		dst = append(dst, '-')
	}
	secs := u / uint64(tmMicrosPerSecond)
	dst = tmAppendUint(dst, secs/3600, 2)
	dst = append(dst, ':')
	dst = tmAppendUint(dst, secs/60%60, 2)
	dst = append(dst, ':')
	dst = tmAppendUint(dst, secs%60, 2)
	return tmAppendFrac(dst, int64(u%uint64(tmMicrosPerSecond)), fsp)
}

// TimeRound rounds micros half away from zero to fsp fraction digits. It
// returns ErrTemporalRange when the result lies outside the TIME range, and
// panics if fsp is not 0..6.
func TimeRound(micros int64, fsp int) (int64, error) {
	tmCheckFsp(fsp)
	if micros < -TimeMaxMicros || micros > TimeMaxMicros {
		return 0, ErrTemporalRange
	}
	q := tmPow10[TimeMaxFsp-fsp]
	mag := micros
	if mag < 0 {
		mag = -mag
	}
	mag = (mag + q/2) / q * q
	if mag > TimeMaxMicros {
		return 0, ErrTemporalRange
	}
	if micros < 0 {
		return -mag, nil
	}
	return mag, nil
}

// ---- DATETIME ----

// DatetimeParts is a DATETIME value by fields, with no time zone. The zero
// value is MySQL's zero datetime 0000-00-00 00:00:00.
type DatetimeParts struct {
	Year, Month, Day     int
	Hour, Minute, Second int
	Micro                int // 0..999999
}

// IsZero reports whether p is the zero datetime.
func (p DatetimeParts) IsZero() bool { return p == DatetimeParts{} }

// Validate returns ErrTemporalRange unless p is the zero datetime or lies
// within 1000-01-01 00:00:00 .. 9999-12-31 23:59:59.999999 on the calendar.
func (p DatetimeParts) Validate() error {
	if p.IsZero() {
		return nil
	}
	if p.Year < 1000 || p.Year > 9999 || !tmValidDate(p.Year, p.Month, p.Day) ||
		!tmValidClock(p.Hour, p.Minute, p.Second, p.Micro) {
		return ErrTemporalRange
	}
	return nil
}

// Time returns p as a UTC time.Time; the zero datetime gives time.Time{}.
func (p DatetimeParts) Time() time.Time {
	if p.IsZero() {
		return time.Time{}
	}
	return time.Date(p.Year, time.Month(p.Month), p.Day, p.Hour, p.Minute, p.Second, p.Micro*1000, time.UTC)
}

// DatetimeFromTime returns the UTC wall clock of t, rounded to the nearest
// microsecond (halves up). time.Time{} gives the zero datetime. A result
// outside the DATETIME range is ErrTemporalRange.
func DatetimeFromTime(t time.Time) (DatetimeParts, error) {
	if t.IsZero() {
		return DatetimeParts{}, nil
	}
	t = t.UTC().Round(time.Microsecond)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	p := DatetimeParts{y, int(mo), d, h, mi, s, t.Nanosecond() / 1000}
	if err := p.Validate(); err != nil {
		return DatetimeParts{}, err
	}
	return p, nil
}

// AppendDatetime appends the DATETIME image of t to dst after validating it
// (see DatetimeParts.Validate). On error dst is returned unchanged.
func AppendDatetime(dst []byte, t DatetimeParts) ([]byte, error) {
	if err := t.Validate(); err != nil {
		return dst, err
	}
	v := uint64(t.Year)<<46 | uint64(t.Month)<<42 | uint64(t.Day)<<37 |
		uint64(t.Hour)<<32 | uint64(t.Minute)<<26 | uint64(t.Second)<<20 | uint64(t.Micro)
	return binary.LittleEndian.AppendUint64(dst, v), nil
}

// DecodeDatetime returns the fields of the DATETIME image b.
func DecodeDatetime(b []byte) DatetimeParts {
	v := binary.LittleEndian.Uint64(b)
	return DatetimeParts{
		Year:   int(v >> 46 & 0x3FFF),
		Month:  int(v >> 42 & 0xF),
		Day:    int(v >> 37 & 0x1F),
		Hour:   int(v >> 32 & 0x1F),
		Minute: int(v >> 26 & 0x3F),
		Second: int(v >> 20 & 0x3F),
		Micro:  int(v & 0xFFFFF),
	}
}

// ParseDatetime parses 'YYYY-MM-DD HH:MM:SS[.ffffff]' (or with 'T' instead
// of the space), or a bare 'YYYY-MM-DD' meaning midnight, and validates it
// as AppendDatetime does.
func ParseDatetime(s string) (DatetimeParts, error) {
	p, ok := tmParseDatetime(s)
	if !ok {
		return DatetimeParts{}, ErrTemporalSyntax
	}
	if err := p.Validate(); err != nil {
		return DatetimeParts{}, err
	}
	return p, nil
}

// AppendDatetimeString appends p as 'YYYY-MM-DD HH:MM:SS' plus, when
// fsp > 0, '.' and fsp fraction digits; digits beyond fsp are truncated.
// It panics if fsp is not 0..6.
func AppendDatetimeString(dst []byte, p DatetimeParts, fsp int) []byte {
	tmCheckFsp(fsp)
	dst = tmAppendDate(dst, p.Year, p.Month, p.Day)
	dst = append(dst, ' ')
	dst = tmAppendUint(dst, uint64(p.Hour), 2)
	dst = append(dst, ':')
	dst = tmAppendUint(dst, uint64(p.Minute), 2)
	dst = append(dst, ':')
	dst = tmAppendUint(dst, uint64(p.Second), 2)
	return tmAppendFrac(dst, int64(p.Micro), fsp)
}

// DatetimeRound rounds p half up to fsp fraction digits, carrying into the
// seconds, minutes and so on. It returns ErrTemporalRange if p is invalid
// or the result passes 9999-12-31, and panics if fsp is not 0..6.
func DatetimeRound(p DatetimeParts, fsp int) (DatetimeParts, error) {
	tmCheckFsp(fsp)
	if err := p.Validate(); err != nil {
		return DatetimeParts{}, err
	}
	if p.IsZero() {
		return p, nil
	}
	q := tmPow10[TimeMaxFsp-fsp]
	micro := (int64(p.Micro) + q/2) / q * q
	if micro < tmMicrosPerSecond {
		p.Micro = int(micro)
		return p, nil
	}
	p.Micro = 0
	r := tmPartsFromMicros(tmMicrosFromParts(p) + tmMicrosPerSecond)
	if err := r.Validate(); err != nil {
		return DatetimeParts{}, err
	}
	return r, nil
}

// ---- TIMESTAMP ----

// AppendTimestamp appends the TIMESTAMP image of micros (microseconds since
// 1970-01-01 00:00:00 UTC) to dst. Valid values are TimestampMinMicros
// through TimestampMaxMicros, and 0 for the zero timestamp. On error dst is
// returned unchanged.
func AppendTimestamp(dst []byte, micros int64) ([]byte, error) {
	if !tmValidTimestamp(micros) {
		return dst, ErrTemporalRange
	}
	return binary.LittleEndian.AppendUint64(dst, uint64(micros)), nil
}

// DecodeTimestamp returns the microseconds of the TIMESTAMP image b.
func DecodeTimestamp(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }

// ParseTimestamp parses the forms ParseDatetime accepts as a UTC time and
// returns microseconds since the Unix epoch; the zero datetime gives 0.
func ParseTimestamp(s string) (int64, error) {
	p, ok := tmParseDatetime(s)
	if !ok {
		return 0, ErrTemporalSyntax
	}
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if p.IsZero() {
		return 0, nil
	}
	v := tmMicrosFromParts(p)
	if v < TimestampMinMicros || v > TimestampMaxMicros { // 0 here is the epoch, not the zero timestamp
		return 0, ErrTemporalRange
	}
	return v, nil
}

// AppendTimestampString appends micros as a UTC 'YYYY-MM-DD HH:MM:SS' plus
// fsp fraction digits, truncated; 0 shows as the zero datetime. It panics if
// fsp is not 0..6.
func AppendTimestampString(dst []byte, micros int64, fsp int) []byte {
	var p DatetimeParts
	if micros != 0 {
		p = tmPartsFromMicros(micros)
	}
	return AppendDatetimeString(dst, p, fsp)
}

// TimestampFromTime returns t as microseconds since the Unix epoch, rounded
// to the nearest microsecond (halves up). time.Time{} gives 0, the zero
// timestamp. A result outside the TIMESTAMP range is ErrTemporalRange.
func TimestampFromTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	t = t.Round(time.Microsecond)
	// Check the year first: UnixMicro is undefined far outside int64.
	if y := t.UTC().Year(); y < 1970 || y > 2038 {
		return 0, ErrTemporalRange
	}
	v := t.UnixMicro()
	if v == 0 || !tmValidTimestamp(v) {
		return 0, ErrTemporalRange
	}
	return v, nil
}

// TimestampToTime returns micros as a UTC time.Time; 0 gives time.Time{}.
func TimestampToTime(micros int64) time.Time {
	if micros == 0 {
		return time.Time{}
	}
	return time.UnixMicro(micros).UTC()
}

// TimestampRound rounds micros half up to fsp fraction digits. It returns
// ErrTemporalRange if micros or the result is outside the TIMESTAMP range,
// and panics if fsp is not 0..6.
func TimestampRound(micros int64, fsp int) (int64, error) {
	tmCheckFsp(fsp)
	if !tmValidTimestamp(micros) {
		return 0, ErrTemporalRange
	}
	q := tmPow10[TimeMaxFsp-fsp]
	r := (micros + q/2) / q * q // micros >= 0 here
	if !tmValidTimestamp(r) {
		return 0, ErrTemporalRange
	}
	return r, nil
}

func tmValidTimestamp(v int64) bool {
	return v == 0 || (v >= TimestampMinMicros && v <= TimestampMaxMicros)
}

// ---- shared helpers ----

func tmCheckFsp(fsp int) {
	if fsp < 0 || fsp > TimeMaxFsp {
		panic(fmt.Sprintf("schema: fractional seconds precision %d outside 0..6", fsp))
	}
}

func tmValidClock(h, mi, s, micro int) bool {
	return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59 &&
		micro >= 0 && micro < int(tmMicrosPerSecond)
}

// tmDigits returns the value of the n decimal digits at s[i:i+n].
func tmDigits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// tmParseFrac parses an optional '.' and 1..6 digits as microseconds.
func tmParseFrac(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	n := len(s) - 1
	if s[0] != '.' || n < 1 || n > TimeMaxFsp {
		return 0, false
	}
	v, ok := tmDigits(s, 1, n)
	return int64(v) * tmPow10[TimeMaxFsp-n], ok
}

// tmParseDate reads 'YYYY-MM-DD' from the start of s, without validation.
func tmParseDate(s string) (y, m, d int, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := tmDigits(s, 0, 4)
	m, ok2 := tmDigits(s, 5, 2)
	d, ok3 := tmDigits(s, 8, 2)
	return y, m, d, ok1 && ok2 && ok3
}

// tmParseDatetime reads the forms ParseDatetime accepts, without validation.
func tmParseDatetime(s string) (DatetimeParts, bool) {
	var p DatetimeParts
	var ok bool
	p.Year, p.Month, p.Day, ok = tmParseDate(s)
	if !ok {
		return p, false
	}
	if len(s) == 10 {
		return p, true
	}
	if len(s) < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return p, false
	}
	var ok1, ok2, ok3, ok4 bool
	p.Hour, ok1 = tmDigits(s, 11, 2)
	p.Minute, ok2 = tmDigits(s, 14, 2)
	p.Second, ok3 = tmDigits(s, 17, 2)
	var frac int64
	frac, ok4 = tmParseFrac(s[19:])
	p.Micro = int(frac)
	return p, ok1 && ok2 && ok3 && ok4
}

// tmAppendUint appends v in decimal, zero-padded to at least width digits.
func tmAppendUint(dst []byte, v uint64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}

// tmAppendInt is tmAppendUint for a possibly negative value.
func tmAppendInt(dst []byte, v int, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		return tmAppendUint(dst, -uint64(v), width)
	}
	return tmAppendUint(dst, uint64(v), width)
}

func tmAppendDate(dst []byte, y, m, d int) []byte {
	dst = tmAppendInt(dst, y, 4)
	dst = append(dst, '-')
	dst = tmAppendInt(dst, m, 2)
	dst = append(dst, '-')
	return tmAppendInt(dst, d, 2)
}

// tmAppendFrac appends '.' and the leading fsp of the 6 digits of micro.
func tmAppendFrac(dst []byte, micro int64, fsp int) []byte {
	if fsp == 0 {
		return dst
	}
	dst = append(dst, '.')
	if micro < 0 {
		micro = 0 // only reachable from corrupt input; keep the width
	}
	return tmAppendUint(dst, uint64(micro/tmPow10[TimeMaxFsp-fsp]), fsp)
}

// tmDaysFromCivil returns the days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (H. Hinnant's days_from_civil).
func tmDaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// tmCivilFromDays is the inverse of tmDaysFromCivil.
func tmCivilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = (mp+2)%12 + 1
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// tmMicrosFromParts returns p as microseconds since 1970-01-01 00:00:00.
func tmMicrosFromParts(p DatetimeParts) int64 {
	days := tmDaysFromCivil(int64(p.Year), int64(p.Month), int64(p.Day))
	secs := int64(p.Hour)*3600 + int64(p.Minute)*60 + int64(p.Second)
	return days*tmMicrosPerDay + secs*tmMicrosPerSecond + int64(p.Micro)
}

// tmPartsFromMicros is the inverse of tmMicrosFromParts for any int64.
func tmPartsFromMicros(v int64) DatetimeParts {
	days := v / tmMicrosPerDay
	rem := v % tmMicrosPerDay
	if rem < 0 {
		days--
		rem += tmMicrosPerDay
	}
	y, m, d := tmCivilFromDays(days)
	secs := rem / tmMicrosPerSecond
	return DatetimeParts{
		Year: int(y), Month: int(m), Day: int(d),
		Hour: int(secs / 3600), Minute: int(secs / 60 % 60), Second: int(secs % 60),
		Micro: int(rem % tmMicrosPerSecond),
	}
}
