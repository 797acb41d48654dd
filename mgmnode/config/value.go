package config

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// value is a parsed parameter value; which field counts depends on the
// parameter's Type.
type value struct {
	n uint64 // numeric types (durations in ms)
	b bool   // TypeBool
	s string // string types, TypeEnum in its canonical spelling
}

// parseValue parses raw (already trimmed, not empty) as a value of p. It
// checks syntax and, for numbers and enumerations, the allowed values; the
// remaining checks of strings happen in validation, where a Config built in
// code gets them too. It returns a message for *Error when raw is invalid.
func parseValue(p *Param, raw string) (value, string) {
	switch p.Type {
	case TypeInt, TypeSize, TypeDuration:
		n, ok := parseNumber(raw)
		if !ok {
			return value{}, notNumberMsg(p.Type)
		}
		if n < p.Min || n > p.Max {
			return value{}, rangeMsg(p)
		}
		return value{n: n}, ""
	case TypeBool:
		b, ok := parseBool(raw)
		if !ok {
			return value{}, "not a boolean (expected true, false, yes, no, y, n, 1 or 0)"
		}
		return value{b: b}, ""
	case TypeEnum:
		for _, e := range p.Enum {
			if strings.EqualFold(e, raw) {
				return value{s: e}, ""
			}
		}
		return value{}, enumMsg(p)
	}
	return value{s: raw}, ""
}

func notNumberMsg(t Type) string {
	switch t {
	case TypeSize:
		return "not a size (expected a number with optional K, M or G)"
	case TypeDuration:
		return "not a duration (expected a whole number of milliseconds)"
	}
	return "not a number (expected a whole number with optional K, M or G)"
}

func rangeMsg(p *Param) string { return "out of range (allowed " + rangeText(p) + ")" }

func enumMsg(p *Param) string { return "not one of " + strings.Join(p.Enum, ", ") }

// rangeText is p's range as the reference and messages show it: "1..4",
// "1M..16384G", "10..32000 ms".
func rangeText(p *Param) string {
	r := formatNumber(p.Type, p.Min) + ".." + formatNumber(p.Type, p.Max)
	if p.Type == TypeDuration {
		r += " ms"
	}
	return r
}

// parseNumber parses a decimal number with an optional K, M or G suffix
// (any case, powers of 1024) as NDB does. It refuses signs, spaces inside,
// fractions and values that do not fit in 64 bits.
func parseNumber(s string) (uint64, bool) {
	shift := 0
	if len(s) > 0 {
		switch s[len(s)-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
	}
	if shift > 0 {
		s = s[:len(s)-1]
	}
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return math.MaxUint64, true // too big: out of every range
	}
	if shift > 0 && bits.LeadingZeros64(n) < shift {
		return math.MaxUint64, true
	}
	return n << shift, true
}

// formatNumber writes n for config.ini: sizes with the largest K, M or G
// suffix that divides them exactly, everything else in decimal.
func formatNumber(t Type, n uint64) string {
	if t == TypeSize && n != 0 {
		for _, u := range []struct {
			shift  uint
			suffix string
		}{{30, "G"}, {20, "M"}, {10, "K"}} {
			if n&(1<<u.shift-1) == 0 {
				return strconv.FormatUint(n>>u.shift, 10) + u.suffix
			}
		}
	}
	return strconv.FormatUint(n, 10)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1":
		return true, true
	case "false", "no", "n", "0":
		return false, true
	}
	return false, false
}

// stringMsg checks a string-typed value of p; it returns "" when s is
// acceptable. checkTC, when not nil, is the full ThreadConfig check.
func stringMsg(p *Param, s string, checkTC func(string) error) string {
	if s == "" {
		switch {
		case p.Required:
			return "required"
		case p.Default != "":
			return "must not be empty"
		}
		return ""
	}
	if m := writableMsg(s); m != "" {
		return m
	}
	switch p.Type {
	case TypeHost:
		if !isHostName(s) {
			return "not a host name or IP address"
		}
	case TypeEnum:
		for _, e := range p.Enum {
			if e == s {
				return ""
			}
		}
		return enumMsg(p)
	case TypeThreadConfig:
		if m := threadConfigShapeMsg(s); m != "" {
			return "invalid ThreadConfig: " + m
		}
		if checkTC != nil {
			if err := checkTC(s); err != nil {
				return "invalid ThreadConfig: " + err.Error()
			}
		}
	}
	return ""
}

// writableMsg says why s cannot be a config.ini value that reads back as
// itself: control characters end lines or are invisible, surrounding
// whitespace is trimmed, and whitespace followed by # starts a comment.
func writableMsg(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			return "contains a control character"
		}
		if c == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
			return "contains whitespace followed by '#', which starts a comment"
		}
	}
	if strings.TrimSpace(s) != s {
		return "has leading or trailing whitespace"
	}
	return ""
}

// isHostName accepts DNS names, IPv4 and IPv6 addresses (with an optional
// zone): letters, digits and . - _ : %, and no more than 255 bytes.
func isHostName(s string) bool {
	if len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == '_', c == ':', c == '%':
		default:
			return false
		}
	}
	return true
}

// threadKinds are the thread kinds datanode/thread accepts.
var threadKinds = []string{"ldm", "query", "tc", "recv", "send", "main", "rep", "io", "watchdog"}

// threadConfigShapeMsg checks the outline of a ThreadConfig without
// importing datanode/thread: comma-separated kind={...} entries with known,
// distinct kinds and no nested braces. datanode/thread's parser, passed in
// as Options.CheckThreadConfig, checks the rest (keys, counts, CPU lists).
func threadConfigShapeMsg(s string) string {
	seen := map[string]bool{}
	rest := s
	for {
		rest = strings.TrimLeft(rest, " \t")
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return "expected kind={...} at " + strconv.Quote(rest)
		}
		kind := strings.ToLower(strings.TrimSpace(rest[:eq]))
		known := false
		for _, k := range threadKinds {
			known = known || k == kind
		}
		if !known {
			return "unknown thread kind " + strconv.Quote(kind) + " (want one of " + strings.Join(threadKinds, ", ") + ")"
		}
		if seen[kind] {
			return "duplicate thread kind " + strconv.Quote(kind)
		}
		seen[kind] = true
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		if !strings.HasPrefix(rest, "{") {
			return "expected '{' after " + kind + "="
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return "missing '}' after " + kind + "={"
		}
		for _, c := range []byte(rest[1:end]) {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '_' || c == '=' || c == ',' || c == '-' || c == ' ' || c == '\t'
			if !ok {
				return "unexpected " + strconv.QuoteRune(rune(c)) + " in " + kind + "={...}"
			}
		}
		rest = strings.TrimLeft(rest[end+1:], " \t")
		if rest == "" {
			return ""
		}
		if rest[0] != ',' {
			return "expected ',' or the end after " + kind + "={...}"
		}
		rest = rest[1:]
	}
}
