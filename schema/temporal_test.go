package schema

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	for _, tc := range []struct {
		s       string
		y, m, d int
		hex     string // image, when known
		err     error
	}{
		{s: "2024-02-29", y: 2024, m: 2, d: 29, hex: "5D D0 0F"},
		{s: "0000-00-00", hex: "00 00 00"},
		{s: "0000-01-01", m: 1, d: 1, hex: "21 00 00"},
		{s: "9999-12-31", y: 9999, m: 12, d: 31},
		{s: "2000-02-29", y: 2000, m: 2, d: 29},
		{s: "0000-02-29", m: 2, d: 29}, // year 0 is a leap year (proleptic Gregorian)
		{s: "1900-02-28", y: 1900, m: 2, d: 28},
		{s: "2023-02-29", err: ErrTemporalRange},
		{s: "1900-02-29", err: ErrTemporalRange},
		{s: "2100-02-29", err: ErrTemporalRange},
		{s: "2024-13-01", err: ErrTemporalRange},
		{s: "2024-00-01", err: ErrTemporalRange},
		{s: "2024-01-00", err: ErrTemporalRange},
		{s: "2024-04-31", err: ErrTemporalRange},
		{s: "2024-01-32", err: ErrTemporalRange},
		{s: "0000-00-01", err: ErrTemporalRange},
		{s: "0000-01-00", err: ErrTemporalRange},
		{s: "2024-1-01", err: ErrTemporalSyntax},
		{s: "2024/01/01", err: ErrTemporalSyntax},
		{s: "20240101", err: ErrTemporalSyntax},
		{s: "2024-01-011", err: ErrTemporalSyntax},
		{s: "2024-01-01 ", err: ErrTemporalSyntax},
		{s: "+024-01-01", err: ErrTemporalSyntax},
		{s: "", err: ErrTemporalSyntax},
	} {
		y, m, d, err := ParseDate(tc.s)
		if !errors.Is(err, tc.err) {
			t.Errorf("ParseDate(%q) err = %v, want %v", tc.s, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if y != tc.y || m != tc.m || d != tc.d {
			t.Errorf("ParseDate(%q) = %d,%d,%d", tc.s, y, m, d)
		}
		b, err := AppendDate(nil, y, m, d)
		if err != nil || len(b) != DateSize {
			t.Fatalf("AppendDate(%q) = % X, %v", tc.s, b, err)
		}
		if tc.hex != "" && !bytes.Equal(b, decHex(t, tc.hex)) {
			t.Errorf("AppendDate(%q) = % X, want %s", tc.s, b, tc.hex)
		}
		if y2, m2, d2 := DecodeDate(b); y2 != y || m2 != m || d2 != d {
			t.Errorf("DecodeDate(AppendDate(%q)) = %d,%d,%d", tc.s, y2, m2, d2)
		}
		if got := string(AppendDateString(nil, b)); got != tc.s {
			t.Errorf("AppendDateString(AppendDate(%q)) = %q", tc.s, got)
		}
	}
	for _, ymd := range [][3]int{{10000, 1, 1}, {-1, 1, 1}, {2024, 2, 30}, {2024, -1, 1}} {
		if b, err := AppendDate([]byte("k"), ymd[0], ymd[1], ymd[2]); !errors.Is(err, ErrTemporalRange) || string(b) != "k" {
			t.Errorf("AppendDate(%v) = %q, %v", ymd, b, err)
		}
	}
}

// TestDateEveryDay walks every day of 0000..9999 against time.Time's
// calendar and checks the encoding round trip of each.
func TestDateEveryDay(t *testing.T) {
	if testing.Short() {
		t.Skip("3.65 million days")
	}
	day := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf []byte
	prev := uint32(0) // the zero date sorts first
	for day.Year() <= 9999 {
		y, mo, d := day.Date()
		var err error
		buf, err = AppendDate(buf[:0], y, int(mo), d)
		if err != nil {
			t.Fatalf("AppendDate(%v): %v", day, err)
		}
		if y2, m2, d2 := DecodeDate(buf); y2 != y || m2 != int(mo) || d2 != d {
			t.Fatalf("%v decodes to %d-%d-%d", day, y2, m2, d2)
		}
		// The image read as an unsigned integer is chronological (comparators rely on it).
		if v := uint32(buf[0]) | uint32(buf[1])<<8 | uint32(buf[2])<<16; v <= prev {
			t.Fatalf("%v encodes to %#x, not above the previous day's %#x", day, v, prev)
		} else {
			prev = v
		}
		if days := tmDaysFromCivil(int64(y), int64(mo), int64(d)); days != day.Unix()/86400 {
			t.Fatalf("tmDaysFromCivil(%v) = %d", day, days)
		}
		day = day.AddDate(0, 0, 1)
	}
}

func TestTime(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int64
		err  error
	}{
		{"00:00:00", 0, nil},
		{"00:00:01", 1e6, nil},
		{"-00:00:01", -1e6, nil},
		{"-00:00:00.5", -500000, nil},
		{"12:34:56.7", (12*3600+34*60+56)*1e6 + 700000, nil},
		{"12:34:56.000001", (12*3600+34*60+56)*1e6 + 1, nil},
		{"24:00:00", 86400e6, nil},
		{"100:00:00", 360000e6, nil},
		{"838:59:59", TimeMaxMicros, nil},
		{"-838:59:59.000000", -TimeMaxMicros, nil},
		{"838:59:59.000001", 0, ErrTemporalRange},
		{"-838:59:59.000001", 0, ErrTemporalRange},
		{"839:00:00", 0, ErrTemporalRange},
		{"999:59:59", 0, ErrTemporalRange},
		{"00:60:00", 0, ErrTemporalRange},
		{"00:00:60", 0, ErrTemporalRange},
		{"1:00:00", 0, ErrTemporalSyntax},
		{"1000:00:00", 0, ErrTemporalSyntax},
		{"00:00", 0, ErrTemporalSyntax},
		{"00:0:00", 0, ErrTemporalSyntax},
		{"00:00:00.", 0, ErrTemporalSyntax},
		{"00:00:00.1234567", 0, ErrTemporalSyntax},
		{"00:00:00,5", 0, ErrTemporalSyntax},
		{"+00:00:00", 0, ErrTemporalSyntax},
		{"--00:00:00", 0, ErrTemporalSyntax},
		{"-", 0, ErrTemporalSyntax},
		{"", 0, ErrTemporalSyntax},
		{"00:00:00 ", 0, ErrTemporalSyntax},
	} {
		got, err := ParseTime(tc.s)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseTime(%q) = %d, %v; want %d, %v", tc.s, got, err, tc.want, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		b, err := AppendTime(nil, got)
		if err != nil || len(b) != TimeSize || DecodeTime(b) != got {
			t.Errorf("AppendTime(%d) = % X, %v", got, b, err)
		}
		again, err := ParseTime(string(AppendTimeString(nil, got, 6)))
		if err != nil || again != got {
			t.Errorf("%q: format and reparse gives %d, %v", tc.s, again, err)
		}
	}
	for _, tc := range []struct {
		micros int64
		hex    string
	}{
		{1e6, "40 42 0F 00 00 00 00 00"},
		{-1, "FF FF FF FF FF FF FF FF"},
	} {
		if b, _ := AppendTime(nil, tc.micros); !bytes.Equal(b, decHex(t, tc.hex)) {
			t.Errorf("AppendTime(%d) = % X, want %s", tc.micros, b, tc.hex)
		}
	}
	for _, v := range []int64{TimeMaxMicros + 1, -TimeMaxMicros - 1, math.MinInt64, math.MaxInt64} {
		if b, err := AppendTime([]byte("k"), v); !errors.Is(err, ErrTemporalRange) || string(b) != "k" {
			t.Errorf("AppendTime(%d) = %q, %v", v, b, err)
		}
	}
}

func TestTimeString(t *testing.T) {
	for _, tc := range []struct {
		micros int64
		fsp    int
		want   string
	}{
		{0, 0, "00:00:00"},
		{0, 6, "00:00:00.000000"},
		{1500000, 0, "00:00:01"}, // truncated, not rounded
		{-1500000, 0, "-00:00:01"},
		{-400000, 0, "00:00:00"}, // shows as zero, so no sign
		{-400000, 1, "-00:00:00.4"},
		{123456, 3, "00:00:00.123"},
		{123999, 3, "00:00:00.123"},
		{TimeMaxMicros, 6, "838:59:59.000000"},
		{-TimeMaxMicros, 0, "-838:59:59"},
		{(99*3600 + 59*60 + 59) * 1e6, 0, "99:59:59"},
		{100 * 3600e6, 2, "100:00:00.00"},
		{math.MinInt64, 0, "-2562047788:00:54"}, // out of range: formatted, no panic
	} {
		if got := string(AppendTimeString(nil, tc.micros, tc.fsp)); got != tc.want {
			t.Errorf("AppendTimeString(%d,%d) = %q, want %q", tc.micros, tc.fsp, got, tc.want)
		}
	}
}

func TestTimeRound(t *testing.T) {
	for _, tc := range []struct {
		micros int64
		fsp    int
		want   int64
		err    error
	}{
		{1500000, 0, 2000000, nil},
		{1499999, 0, 1000000, nil},
		{-1500000, 0, -2000000, nil},
		{-1499999, 0, -1000000, nil},
		{123456, 3, 123000, nil},
		{123500, 3, 124000, nil},
		{-123500, 3, -124000, nil},
		{123456, 6, 123456, nil},
		{TimeMaxMicros - 500000, 0, TimeMaxMicros, nil},
		{TimeMaxMicros, 0, TimeMaxMicros, nil},
		{TimeMaxMicros + 1, 6, 0, ErrTemporalRange},
		{-TimeMaxMicros - 1, 0, 0, ErrTemporalRange},
	} {
		got, err := TimeRound(tc.micros, tc.fsp)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("TimeRound(%d,%d) = %d, %v; want %d, %v", tc.micros, tc.fsp, got, err, tc.want, tc.err)
		}
	}
}

func TestDatetime(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want DatetimeParts
		hex  string
		err  error
	}{
		{s: "1000-01-01 00:00:00", want: DatetimeParts{1000, 1, 1, 0, 0, 0, 0}, hex: "00 00 00 00 20 04 FA 00"},
		{s: "9999-12-31 23:59:59.999999", want: DatetimeParts{9999, 12, 31, 23, 59, 59, 999999}, hex: "3F 42 BF EF F7 F3 C3 09"},
		{s: "2024-02-29 12:34:56.789012", want: DatetimeParts{2024, 2, 29, 12, 34, 56, 789012}, hex: "14 0A 8C 8B AC 0B FA 01"},
		{s: "2024-02-29T12:34:56.5", want: DatetimeParts{2024, 2, 29, 12, 34, 56, 500000}},
		{s: "2024-02-29", want: DatetimeParts{2024, 2, 29, 0, 0, 0, 0}},
		{s: "0000-00-00 00:00:00", hex: "00 00 00 00 00 00 00 00"},
		{s: "0000-00-00"},
		{s: "2023-02-29 00:00:00", err: ErrTemporalRange},
		{s: "2024-13-01 00:00:00", err: ErrTemporalRange},
		{s: "2024-01-01 24:00:00", err: ErrTemporalRange},
		{s: "2024-01-01 23:60:00", err: ErrTemporalRange},
		{s: "2024-01-01 23:00:60", err: ErrTemporalRange},
		{s: "0999-12-31 23:59:59", err: ErrTemporalRange},
		{s: "0000-01-01 00:00:00", err: ErrTemporalRange},
		{s: "0000-00-00 00:00:01", err: ErrTemporalRange},
		{s: "0000-00-00 00:00:00.000001", err: ErrTemporalRange},
		{s: "2024-01-01 1:00:00", err: ErrTemporalSyntax},
		{s: "2024-01-01  00:00:00", err: ErrTemporalSyntax},
		{s: "2024-01-01 00:00:00.", err: ErrTemporalSyntax},
		{s: "2024-01-01 00:00:00.1234567", err: ErrTemporalSyntax},
		{s: "2024-01-01 00:00:00Z", err: ErrTemporalSyntax},
		{s: "2024-01-01t00:00:00", err: ErrTemporalSyntax},
		{s: "2024-01-01 00:00", err: ErrTemporalSyntax},
		{s: "2024-01-01 ", err: ErrTemporalSyntax},
		{s: "", err: ErrTemporalSyntax},
	} {
		got, err := ParseDatetime(tc.s)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseDatetime(%q) = %+v, %v; want %+v, %v", tc.s, got, err, tc.want, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		b, err := AppendDatetime(nil, got)
		if err != nil || len(b) != DatetimeSize || DecodeDatetime(b) != got {
			t.Errorf("AppendDatetime(%+v) = % X, %v", got, b, err)
		}
		if tc.hex != "" && !bytes.Equal(b, decHex(t, tc.hex)) {
			t.Errorf("AppendDatetime(%q) = % X, want %s", tc.s, b, tc.hex)
		}
		again, err := ParseDatetime(string(AppendDatetimeString(nil, got, 6)))
		if err != nil || again != got {
			t.Errorf("%q: format and reparse gives %+v, %v", tc.s, again, err)
		}
	}
	for _, p := range []DatetimeParts{{Year: 2024, Month: 1, Day: 1, Micro: 1000000}, {Year: 2024, Month: 1, Day: 1, Micro: -1}, {Year: 10000, Month: 1, Day: 1}, {Month: 1}} {
		if b, err := AppendDatetime([]byte("k"), p); !errors.Is(err, ErrTemporalRange) || string(b) != "k" {
			t.Errorf("AppendDatetime(%+v) = %q, %v", p, b, err)
		}
	}
}

func TestDatetimeString(t *testing.T) {
	p := DatetimeParts{2024, 2, 29, 1, 2, 3, 456789}
	for fsp, want := range []string{
		"2024-02-29 01:02:03",
		"2024-02-29 01:02:03.4",
		"2024-02-29 01:02:03.45",
		"2024-02-29 01:02:03.456",
		"2024-02-29 01:02:03.4567",
		"2024-02-29 01:02:03.45678",
		"2024-02-29 01:02:03.456789",
	} {
		if got := string(AppendDatetimeString(nil, p, fsp)); got != want {
			t.Errorf("fsp %d: %q, want %q", fsp, got, want)
		}
	}
	if got := string(AppendDatetimeString(nil, DatetimeParts{}, 2)); got != "0000-00-00 00:00:00.00" {
		t.Errorf("zero datetime: %q", got)
	}
	for _, fsp := range []int{-1, 7} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("fsp %d did not panic", fsp)
				}
			}()
			AppendDatetimeString(nil, p, fsp)
		}()
	}
}

func TestDatetimeRound(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fsp  int
		want string
		err  error
	}{
		{"2024-02-29 01:02:03.456789", 6, "2024-02-29 01:02:03.456789", nil},
		{"2024-02-29 01:02:03.456789", 3, "2024-02-29 01:02:03.457000", nil},
		{"2024-02-29 01:02:03.456489", 3, "2024-02-29 01:02:03.456000", nil},
		{"2024-02-29 01:02:03.5", 0, "2024-02-29 01:02:04.000000", nil},
		{"2024-02-29 01:02:03.499999", 0, "2024-02-29 01:02:03.000000", nil},
		{"2024-02-28 23:59:59.5", 0, "2024-02-29 00:00:00.000000", nil},
		{"2023-02-28 23:59:59.5", 0, "2023-03-01 00:00:00.000000", nil},
		{"2023-12-31 23:59:59.95", 1, "2024-01-01 00:00:00.000000", nil},
		{"1000-01-01 00:00:00.9", 0, "1000-01-01 00:00:01.000000", nil},
		{"0000-00-00 00:00:00", 0, "0000-00-00 00:00:00.000000", nil},
		{"9999-12-31 23:59:59.5", 0, "", ErrTemporalRange},
		{"9999-12-31 23:59:59.999999", 5, "", ErrTemporalRange},
	} {
		p, err := ParseDatetime(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DatetimeRound(p, tc.fsp)
		if !errors.Is(err, tc.err) {
			t.Errorf("DatetimeRound(%q,%d) err = %v, want %v", tc.in, tc.fsp, err, tc.err)
			continue
		}
		if err == nil && string(AppendDatetimeString(nil, got, 6)) != tc.want {
			t.Errorf("DatetimeRound(%q,%d) = %+v, want %s", tc.in, tc.fsp, got, tc.want)
		}
	}
	if _, err := DatetimeRound(DatetimeParts{Year: 2023, Month: 2, Day: 29}, 0); !errors.Is(err, ErrTemporalRange) {
		t.Errorf("DatetimeRound of invalid date: %v", err)
	}
}

func TestDatetimeTime(t *testing.T) {
	plus2 := time.FixedZone("+02", 2*3600)
	for _, tc := range []struct {
		in   time.Time
		want string
		err  error
	}{
		{time.Date(2024, 2, 29, 1, 2, 3, 456789000, time.UTC), "2024-02-29 01:02:03.456789", nil},
		{time.Date(2024, 2, 29, 1, 2, 3, 456789499, time.UTC), "2024-02-29 01:02:03.456789", nil},
		{time.Date(2024, 2, 29, 23, 59, 59, 999999500, time.UTC), "2024-03-01 00:00:00.000000", nil},
		{time.Date(2024, 1, 1, 1, 0, 0, 0, plus2), "2023-12-31 23:00:00.000000", nil},
		{time.Time{}, "0000-00-00 00:00:00.000000", nil},
		{time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC), "", ErrTemporalRange},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "", ErrTemporalRange},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "", ErrTemporalRange},
	} {
		p, err := DatetimeFromTime(tc.in)
		if !errors.Is(err, tc.err) {
			t.Errorf("DatetimeFromTime(%v) err = %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if got := string(AppendDatetimeString(nil, p, 6)); got != tc.want {
			t.Errorf("DatetimeFromTime(%v) = %s, want %s", tc.in, got, tc.want)
		}
		back := p.Time()
		if p.IsZero() != back.IsZero() || (!back.IsZero() && back.Location() != time.UTC) {
			t.Errorf("%+v.Time() = %v", p, back)
		}
		if again, err := DatetimeFromTime(back); err != nil || again != p {
			t.Errorf("DatetimeFromTime(%v) = %+v, %v; want %+v", back, again, err, p)
		}
	}
}

func tmRandomDatetime(r *rand.Rand) DatetimeParts {
	y := 1000 + r.IntN(9000)
	m := 1 + r.IntN(12)
	return DatetimeParts{
		Year: y, Month: m, Day: 1 + r.IntN(tmDaysIn(y, m)),
		Hour: r.IntN(24), Minute: r.IntN(60), Second: r.IntN(60), Micro: r.IntN(1e6),
	}
}

// TestDatetimeOrder checks that the packed integer of DATETIME orders as
// time does, on random pairs and on pairs differing in one field.
func TestDatetimeOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	check := func(a, b DatetimeParts) {
		ea, err1 := AppendDatetime(nil, a)
		eb, err2 := AppendDatetime(nil, b)
		if err1 != nil || err2 != nil {
			t.Fatalf("encode %+v, %+v: %v, %v", a, b, err1, err2)
		}
		ua, ub := binary.LittleEndian.Uint64(ea), binary.LittleEndian.Uint64(eb)
		want := a.Time().Compare(b.Time())
		got := 0
		if ua < ub {
			got = -1
		} else if ua > ub {
			got = 1
		}
		if got != want {
			t.Fatalf("%+v vs %+v: integer order %d, time order %d", a, b, got, want)
		}
		if DecodeDatetime(ea) != a || DecodeDatetime(eb) != b {
			t.Fatalf("round trip of %+v or %+v", a, b)
		}
		if back, err := DatetimeFromTime(a.Time()); err != nil || back != a {
			t.Fatalf("time.Time round trip of %+v: %+v, %v", a, back, err)
		}
		if micros := tmMicrosFromParts(a); tmPartsFromMicros(micros) != a || micros != a.Time().UnixMicro() {
			t.Fatalf("civil conversion of %+v: %d", a, micros)
		}
	}
	for range n {
		a, b := tmRandomDatetime(r), tmRandomDatetime(r)
		check(a, b)
		b = a
		switch r.IntN(4) {
		case 0:
			b.Micro = r.IntN(1e6)
		case 1:
			b.Second = r.IntN(60)
		case 2:
			b.Hour = r.IntN(24)
		case 3:
			b.Day = 1 + r.IntN(tmDaysIn(b.Year, b.Month))
		}
		check(a, b)
	}
}

func TestTimestamp(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int64
		err  error
	}{
		{"1970-01-01 00:00:01", TimestampMinMicros, nil},
		{"2038-01-19 03:14:07.999999", TimestampMaxMicros, nil},
		{"2024-02-29T12:00:00.5", 1709208000500000, nil},
		{"2001-09-09 01:46:40", 1e15, nil},
		{"0000-00-00 00:00:00", 0, nil},
		{"0000-00-00", 0, nil},
		{"1970-01-01 00:00:00", 0, ErrTemporalRange},
		{"1970-01-01 00:00:00.999999", 0, ErrTemporalRange},
		{"1969-12-31 23:59:59", 0, ErrTemporalRange},
		{"2038-01-19 03:14:08", 0, ErrTemporalRange},
		{"2023-02-29 00:00:00", 0, ErrTemporalRange},
		{"2024-01-01 00:00:00+00:00", 0, ErrTemporalSyntax},
	} {
		got, err := ParseTimestamp(tc.s)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d, %v", tc.s, got, err, tc.want, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		b, err := AppendTimestamp(nil, got)
		if err != nil || len(b) != TimestampSize || DecodeTimestamp(b) != got {
			t.Errorf("AppendTimestamp(%d) = % X, %v", got, b, err)
		}
		again, err := ParseTimestamp(string(AppendTimestampString(nil, got, 6)))
		if err != nil || again != got {
			t.Errorf("%q: format and reparse gives %d, %v", tc.s, again, err)
		}
	}
	if b, _ := AppendTimestamp(nil, TimestampMinMicros); !bytes.Equal(b, decHex(t, "40 42 0F 00 00 00 00 00")) {
		t.Errorf("AppendTimestamp(1s) = % X", b)
	}
	for _, v := range []int64{1, TimestampMinMicros - 1, TimestampMaxMicros + 1, -1, math.MinInt64} {
		if b, err := AppendTimestamp([]byte("k"), v); !errors.Is(err, ErrTemporalRange) || string(b) != "k" {
			t.Errorf("AppendTimestamp(%d) = %q, %v", v, b, err)
		}
	}
	if got := string(AppendTimestampString(nil, TimestampMaxMicros, 3)); got != "2038-01-19 03:14:07.999" {
		t.Errorf("AppendTimestampString(max, 3) = %q", got)
	}
	if got := string(AppendTimestampString(nil, 0, 0)); got != "0000-00-00 00:00:00" {
		t.Errorf("AppendTimestampString(0, 0) = %q", got)
	}
}

func TestTimestampTime(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want int64
		err  error
	}{
		{time.Time{}, 0, nil},
		{time.Unix(1, 0), 1e6, nil},
		{time.Unix(1<<31-1, 999999499), TimestampMaxMicros, nil},
		{time.Unix(1<<31-1, 999999500), 0, ErrTemporalRange}, // rounds past the end
		{time.Unix(0, 999999500), 1e6, nil},                  // rounds into range
		{time.Unix(0, 0), 0, ErrTemporalRange},
		{time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC), 0, ErrTemporalRange},
		{time.Date(-300000, 1, 1, 0, 0, 0, 0, time.UTC), 0, ErrTemporalRange},
		{time.Date(2024, 1, 1, 2, 0, 0, 0, time.FixedZone("+02", 7200)), 1704067200e6, nil},
	} {
		got, err := TimestampFromTime(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("TimestampFromTime(%v) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		back := TimestampToTime(got)
		if again, err := TimestampFromTime(back); again != got || err != nil {
			t.Errorf("TimestampToTime(%d) = %v, which gives %d, %v", got, back, again, err)
		}
		if got != 0 && (back.Location() != time.UTC || back.UnixMicro() != got) {
			t.Errorf("TimestampToTime(%d) = %v", got, back)
		}
	}
	if !TimestampToTime(0).IsZero() {
		t.Error("TimestampToTime(0) is not time.Time{}")
	}
}

func TestTimestampRound(t *testing.T) {
	for _, tc := range []struct {
		micros int64
		fsp    int
		want   int64
		err    error
	}{
		{1500000, 0, 2000000, nil},
		{1499999, 0, 1000000, nil},
		{1234567, 2, 1230000, nil},
		{1235000, 2, 1240000, nil},
		{0, 0, 0, nil},
		{TimestampMaxMicros, 6, TimestampMaxMicros, nil},
		{TimestampMaxMicros - 499999, 0, 0, ErrTemporalRange}, // 03:14:07.5 rounds to 03:14:08
		{TimestampMaxMicros - 500000, 0, TimestampMaxMicros - 999999, nil},
		{-1, 0, 0, ErrTemporalRange},
	} {
		got, err := TimestampRound(tc.micros, tc.fsp)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("TimestampRound(%d,%d) = %d, %v; want %d, %v", tc.micros, tc.fsp, got, err, tc.want, tc.err)
		}
	}
}

// TestTemporalGarbage checks that decoders and formatters accept any bytes
// or values without panicking and keep their fixed widths where they can.
func TestTemporalGarbage(t *testing.T) {
	ff := bytes.Repeat([]byte{0xFF}, 8)
	if got := string(AppendDateString(nil, ff)); got != "32767-15-31" {
		t.Errorf("AppendDateString(FF FF FF) = %q", got)
	}
	if got := DecodeDatetime(ff); got != (DatetimeParts{16383, 15, 31, 31, 63, 63, 0xFFFFF}) {
		t.Errorf("DecodeDatetime(FF...) = %+v", got)
	}
	for _, v := range []int64{math.MinInt64, math.MaxInt64, -1} {
		for fsp := 0; fsp <= TimeMaxFsp; fsp++ {
			_ = AppendTimestampString(nil, v, fsp)
			_ = AppendTimeString(nil, v, fsp)
			_ = AppendDatetimeString(nil, DecodeDatetime(ff), fsp)
		}
	}
	if got := string(AppendTimestampString(nil, -1, 6)); got != "1969-12-31 23:59:59.999999" {
		t.Errorf("AppendTimestampString(-1) = %q", got)
	}
}

func TestTemporalAllocs(t *testing.T) {
	dst := make([]byte, 0, 64)
	dt := DatetimeParts{2024, 2, 29, 1, 2, 3, 456789}
	for name, f := range map[string]func(){
		"ParseDate":             func() { _, _, _, _ = ParseDate("2024-02-29") },
		"AppendDate":            func() { _, _ = AppendDate(dst[:0], 2024, 2, 29) },
		"AppendDateString":      func() { _ = AppendDateString(dst[:0], []byte{0x5D, 0xD0, 0x0F}) },
		"ParseTime":             func() { _, _ = ParseTime("-838:59:59.123456") },
		"AppendTimeString":      func() { _ = AppendTimeString(dst[:0], -TimeMaxMicros, 6) },
		"ParseDatetime":         func() { _, _ = ParseDatetime("2024-02-29 01:02:03.456789") },
		"AppendDatetime":        func() { _, _ = AppendDatetime(dst[:0], dt) },
		"AppendDatetimeString":  func() { _ = AppendDatetimeString(dst[:0], dt, 6) },
		"ParseTimestamp":        func() { _, _ = ParseTimestamp("2024-02-29 01:02:03.456789") },
		"AppendTimestampString": func() { _ = AppendTimestampString(dst[:0], 1709208000500000, 6) },
		"DatetimeRound":         func() { _, _ = DatetimeRound(DatetimeParts{2023, 12, 31, 23, 59, 59, 999999}, 0) },
		"ParseDatetimeError":    func() { _, _ = ParseDatetime("2023-02-29 00:00:00") },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}

// FuzzDate: parsing never panics, and an accepted date survives
// encode, decode, format and parse unchanged.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "0000-00-00", "2023-02-29", "9999-12-31", "2024-1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, m, d, err := ParseDate(s)
		if err != nil {
			if !errors.Is(err, ErrTemporalSyntax) && !errors.Is(err, ErrTemporalRange) {
				t.Fatalf("ParseDate(%q): unexpected error %v", s, err)
			}
			return
		}
		b, err := AppendDate(nil, y, m, d)
		if err != nil {
			t.Fatalf("ParseDate(%q) accepted %d-%d-%d, AppendDate rejects it: %v", s, y, m, d, err)
		}
		text := string(AppendDateString(nil, b))
		if text != s {
			t.Fatalf("ParseDate(%q) formats back as %q", s, text)
		}
		y2, m2, d2, err := ParseDate(text)
		if err != nil || y2 != y || m2 != m || d2 != d {
			t.Fatalf("%q -> %q -> %d-%d-%d, %v", s, text, y2, m2, d2, err)
		}
	})
}

// FuzzTime: parsing never panics, and an accepted time survives encode,
// decode, format and parse unchanged.
func FuzzTime(f *testing.F) {
	for _, s := range []string{"838:59:59", "-00:00:00.5", "24:00:00", "839:00:00", "12:34:56.123456", "1:2:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTime(s)
		if err != nil {
			if !errors.Is(err, ErrTemporalSyntax) && !errors.Is(err, ErrTemporalRange) {
				t.Fatalf("ParseTime(%q): unexpected error %v", s, err)
			}
			return
		}
		b, err := AppendTime(nil, v)
		if err != nil {
			t.Fatalf("ParseTime(%q) = %d, AppendTime rejects it: %v", s, v, err)
		}
		text := string(AppendTimeString(nil, DecodeTime(b), TimeMaxFsp))
		again, err := ParseTime(text)
		if err != nil || again != v {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, text, again, err)
		}
	})
}

// FuzzDatetime: parsing never panics, and an accepted DATETIME (and the
// same text read as a TIMESTAMP) survives encode, decode, format and parse
// unchanged.
func FuzzDatetime(f *testing.F) {
	for _, s := range []string{"2024-02-29 12:34:56.789012", "0000-00-00 00:00:00", "2024-02-29T00:00:00", "1970-01-01 00:00:01", "2038-01-19 03:14:07.999999", "2024-01-01 24:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseDatetime(s)
		if err == nil {
			b, err := AppendDatetime(nil, p)
			if err != nil {
				t.Fatalf("ParseDatetime(%q) = %+v, AppendDatetime rejects it: %v", s, p, err)
			}
			text := string(AppendDatetimeString(nil, DecodeDatetime(b), TimeMaxFsp))
			again, err := ParseDatetime(text)
			if err != nil || again != p {
				t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, p, text, again, err)
			}
		} else if !errors.Is(err, ErrTemporalSyntax) && !errors.Is(err, ErrTemporalRange) {
			t.Fatalf("ParseDatetime(%q): unexpected error %v", s, err)
		}

		ts, err := ParseTimestamp(s)
		if err != nil {
			return
		}
		b, err := AppendTimestamp(nil, ts)
		if err != nil {
			t.Fatalf("ParseTimestamp(%q) = %d, AppendTimestamp rejects it: %v", s, ts, err)
		}
		text := string(AppendTimestampString(nil, DecodeTimestamp(b), TimeMaxFsp))
		again, err := ParseTimestamp(text)
		if err != nil || again != ts {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, ts, text, again, err)
		}
		if p2, err := ParseDatetime(text); err != nil || (ts != 0 && tmMicrosFromParts(p2) != ts) {
			t.Fatalf("timestamp text %q is not the same DATETIME: %+v, %v", text, p2, err)
		}
	})
}

func BenchmarkParseDatetime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseDatetime("2024-02-29 12:34:56.789012")
	}
}

func BenchmarkAppendDatetime(b *testing.B) {
	dst := make([]byte, 0, 16)
	p := DatetimeParts{2024, 2, 29, 12, 34, 56, 789012}
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = AppendDatetime(dst[:0], p)
	}
}

func BenchmarkAppendDatetimeString(b *testing.B) {
	dst := make([]byte, 0, 32)
	p := DatetimeParts{2024, 2, 29, 12, 34, 56, 789012}
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendDatetimeString(dst[:0], p, 6)
	}
}

func BenchmarkParseTimestamp(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseTimestamp("2024-02-29 12:34:56.789012")
	}
}

func BenchmarkParseTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseTime("-838:59:59.123456")
	}
}

func BenchmarkParseDate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _, _, _ = ParseDate("2024-02-29")
	}
}
