package thread

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseThreadConfig parses NDB's ThreadConfig syntax:
//
//	config := entry { "," entry }
//	entry  := kind "=" "{" [ param { "," param } ] "}"
//	param  := "count=" N | "cpubind=" list | "cpuset=" list
//	        | "thread_prio=" N | "spintime=" N
//	list   := cpu { "," cpu }          cpu := N | N "-" N
//
// for example "ldm={count=4,cpubind=0-3},tc={count=1},recv={count=1}".
// Whitespace between tokens is ignored; kinds and keys are case-insensitive.
// A list ends at the first comma not followed by a digit. count defaults to
// 1; thread_prio and spintime to NotSet. Errors are *ConfigError values
// that name the byte offset and the problem.
func ParseThreadConfig(s string) (ThreadConfig, error) {
	p := parser{s: s}
	var c ThreadConfig
	firstAt := map[string]int{}
	p.skipSpace()
	if p.eof() {
		return c, p.errorf(p.pos, "empty ThreadConfig")
	}
	for {
		at := p.pos
		kind := p.ident()
		if kind == "" {
			return ThreadConfig{}, p.errorf(at, "expected a thread kind, found %s", p.found())
		}
		if _, _, ok := limitsOf(kind); !ok {
			return ThreadConfig{}, p.errorf(at, "%s", unknownKindReason(kind))
		}
		if first, dup := firstAt[kind]; dup {
			return ThreadConfig{}, p.errorf(at, "duplicate thread kind %q (first at offset %d)", kind, first)
		}
		firstAt[kind] = at
		spec, err := p.entry(kind, at)
		if err != nil {
			return ThreadConfig{}, err
		}
		c.Kinds = append(c.Kinds, spec)
		p.skipSpace()
		if p.eof() {
			return c, nil
		}
		if !p.accept(',') {
			return ThreadConfig{}, p.errorf(p.pos, "expected ',' or end after %s={...}, found %s", kind, p.found())
		}
		p.skipSpace()
	}
}

type parser struct {
	s   string
	pos int
}

func (p *parser) errorf(at int, format string, args ...any) error {
	return &ConfigError{Offset: at, Reason: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func (p *parser) skipSpace() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *parser) accept(c byte) bool {
	if !p.eof() && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// expect skips whitespace and consumes c.
func (p *parser) expect(c byte, after string) error {
	p.skipSpace()
	if !p.accept(c) {
		return p.errorf(p.pos, "expected '%c' after %s, found %s", c, after, p.found())
	}
	return nil
}

// found describes what is at the current position, for error messages.
func (p *parser) found() string {
	if p.eof() {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
	return strconv.QuoteRune(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c)
}

// ident consumes a word of letters, digits and '_' not starting with a digit
// and returns it in lower case ("" if there is none).
func (p *parser) ident() string {
	start := p.pos
	if p.eof() || isDigit(p.s[p.pos]) {
		return ""
	}
	for !p.eof() && isIdentByte(p.s[p.pos]) {
		p.pos++
	}
	return strings.ToLower(p.s[start:p.pos])
}

// number consumes a decimal number of at most 9 digits.
func (p *parser) number(what string) (int, error) {
	p.skipSpace()
	start := p.pos
	for !p.eof() && isDigit(p.s[p.pos]) {
		p.pos++
	}
	switch {
	case p.pos == start:
		return 0, p.errorf(start, "expected a number for %s, found %s", what, p.found())
	case p.pos-start > 9:
		return 0, p.errorf(start, "number %s for %s too large", p.s[start:p.pos], what)
	}
	n, _ := strconv.Atoi(p.s[start:p.pos])
	return n, nil
}

// entry parses "={...}" after kind, which started at offset kindAt.
func (p *parser) entry(kind string, kindAt int) (ThreadSpec, error) {
	spec := ThreadSpec{Kind: kind, Count: 1, ThreadPrio: NotSet, Spintime: NotSet}
	if err := p.expect('=', kind); err != nil {
		return spec, err
	}
	if err := p.expect('{', kind+"="); err != nil {
		return spec, err
	}
	keyAt := map[string]int{}
	p.skipSpace()
	if !p.accept('}') {
		for {
			if err := p.param(&spec, keyAt); err != nil {
				return spec, err
			}
			p.skipSpace()
			if p.accept('}') {
				break
			}
			if !p.accept(',') {
				if p.eof() {
					return spec, p.errorf(p.pos, "missing '}' closing %s={ at offset %d", kind, kindAt)
				}
				return spec, p.errorf(p.pos, "expected ',' or '}' in %s={...}, found %s", kind, p.found())
			}
		}
	}
	if key, reason := spec.check(); key != "" {
		at, ok := keyAt[key]
		if !ok {
			at = kindAt
		}
		return spec, p.errorf(at, "%s", reason)
	}
	return spec, nil
}

// param parses one key=value and records the key's offset in keyAt.
func (p *parser) param(spec *ThreadSpec, keyAt map[string]int) error {
	p.skipSpace()
	at := p.pos
	key := p.ident()
	if key == "" {
		return p.errorf(at, "expected a key in %s={...}, found %s", spec.Kind, p.found())
	}
	if _, dup := keyAt[key]; dup {
		return p.errorf(at, "duplicate key %q in %s={...}", key, spec.Kind)
	}
	keyAt[key] = at
	if err := p.expect('=', key); err != nil {
		return err
	}
	var err error
	switch key {
	case keyCount:
		spec.Count, err = p.number(key)
	case keyThreadPrio:
		spec.ThreadPrio, err = p.number(key)
	case keySpintime:
		spec.Spintime, err = p.number(key)
	case keyCPUBind:
		spec.CPUBind, err = p.cpuList(key)
	case keyCPUSet:
		spec.CPUSet, err = p.cpuList(key)
		slices.Sort(spec.CPUSet) // a set: keep it canonical
	default:
		return p.errorf(at, "unknown key %q in %s={...} (want count, cpubind, cpuset, thread_prio or spintime)", key, spec.Kind)
	}
	return err
}

// cpuList parses "N[-M]{,N[-M]}", stopping before a comma that is not
// followed by a digit (that comma separates the next key).
func (p *parser) cpuList(key string) ([]int, error) {
	var cpus []int
	for {
		p.skipSpace()
		start := p.pos
		for !p.eof() && (isDigit(p.s[p.pos]) || p.s[p.pos] == '-') {
			p.pos++
		}
		if p.pos == start {
			return nil, p.errorf(start, "expected a CPU number for %s, found %s", key, p.found())
		}
		lo, hi, err := parseCPURange(p.s[start:p.pos])
		if err != nil {
			return nil, p.errorf(start, "%s: %v", key, err)
		}
		if len(cpus)+hi-lo+1 > MaxCPU+1 {
			return nil, p.errorf(start, "%s lists more than %d CPUs", key, MaxCPU+1)
		}
		for c := lo; c <= hi; c++ {
			cpus = append(cpus, c)
		}
		save := p.pos
		p.skipSpace()
		if !p.accept(',') {
			p.pos = save
			return cpus, nil
		}
		p.skipSpace()
		if p.eof() || !isDigit(p.s[p.pos]) {
			p.pos = save // the comma belongs to the parameter list
			return cpus, nil
		}
	}
}
