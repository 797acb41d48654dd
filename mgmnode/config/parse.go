package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Options adjust parsing and validation.
type Options struct {
	// CheckThreadConfig, when not nil, fully checks a ThreadConfig value;
	// cmd/gondb passes a function around datanode/thread.ParseThreadConfig,
	// which this package must not import. Without it only the shape of the
	// value is checked.
	CheckThreadConfig func(string) error
}

// maxLine bounds one line of config.ini.
const maxLine = 64 << 10

// Parse reads a config.ini from r; name is the file name errors and
// warnings carry. It returns the resolved and validated Config, the
// warnings, and, when the configuration is not valid, a nil Config and
// every problem found as an errors.Join of *Error in line order.
func Parse(name string, r io.Reader) (*Config, []Warning, error) {
	return ParseWith(name, r, Options{})
}

// ParseFile parses the config.ini at path.
func ParseFile(path string) (*Config, []Warning, error) {
	return ParseFileWith(path, Options{})
}

// ParseFileWith parses the config.ini at path with opt.
func ParseFileWith(path string, opt Options) (*Config, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ParseWith(path, f, opt)
}

// ParseWith is Parse with options.
func ParseWith(name string, r io.Reader, opt Options) (*Config, []Warning, error) {
	p := &parser{file: name}
	if err := p.read(r); err != nil {
		return nil, nil, err
	}
	c, src := p.resolve()
	v := &validator{c: c, src: src, opt: opt}
	v.run()
	errs := append(p.errs, v.errs...)
	if len(errs) > 0 {
		return nil, p.warnings, joinErrors(errs)
	}
	return c, p.warnings, nil
}

// rawSection is a section as read, before defaults are applied.
type rawSection struct {
	kind      Section
	isDefault bool
	name      string // as written, lower case, single spaces
	line      int
	entries   []rawEntry
}

// rawEntry is one supported parameter set in a section, its value parsed.
type rawEntry struct {
	p    *Param
	raw  string
	val  value
	line int
	bad  bool // the value was reported invalid; the default stays
}

// parser reads lines into sections, collecting errors and warnings.
type parser struct {
	file     string
	sections []*rawSection
	errs     []*Error
	warnings []Warning
}

func (p *parser) errorf(line int, sec *rawSection, param, val, format string, args ...any) {
	e := &Error{File: p.file, Line: line, Param: param, Value: val, Msg: fmt.Sprintf(format, args...)}
	if sec != nil {
		e.Section = sec.name
	}
	p.errs = append(p.errs, e)
}

// read splits r into sections. Only a failure to read r is returned;
// problems in the text are collected in p.errs.
func (p *parser) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var cur *rawSection // nil before the first header or after a bad one
	badSection := false // skip the lines of a section already reported
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if i := strings.IndexFunc(text, isControl); i >= 0 {
			p.errorf(line, cur, "", "", "control character %q in line", text[i])
			continue
		}
		text = strings.TrimSpace(stripComment(text))
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		if text[0] == '[' {
			cur, badSection = p.header(line, text), false
			if cur == nil {
				badSection = true
			}
			continue
		}
		if badSection {
			continue
		}
		p.entry(line, cur, text)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			p.errorf(line+1, nil, "", "", "line longer than %d bytes", maxLine)
			return nil
		}
		return fmt.Errorf("%s: %w", p.file, err)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// stripComment removes a trailing comment: a '#' preceded by whitespace
// and everything after it. A '#' inside a value ("/data#1") stays.
func stripComment(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// header starts a section; it returns nil when the header is not valid.
func (p *parser) header(line int, text string) *rawSection {
	if text[len(text)-1] != ']' {
		p.errorf(line, nil, "", "", "section header %s has no closing ]", text)
		return nil
	}
	kind, isDefault, name, reason := parseHeader(text[1 : len(text)-1])
	if reason != "" {
		p.errorf(line, nil, "", "", "%s", reason)
		return nil
	}
	sec := &rawSection{kind: kind, isDefault: isDefault, name: name, line: line}
	if isDefault {
		for _, s := range p.sections {
			if s.isDefault && s.kind == kind {
				p.errorf(line, sec, "", "", "second [%s] section (the first is at line %d); merge them", s.name, s.line)
				return nil
			}
		}
	}
	p.sections = append(p.sections, sec)
	return sec
}

// entry reads "name = value" or "name: value" into sec.
func (p *parser) entry(line int, sec *rawSection, text string) {
	i := strings.IndexAny(text, "=:")
	if i < 0 {
		p.errorf(line, sec, "", "", "expected [section], name=value or a comment, found %s", strconv.Quote(text))
		return
	}
	name, raw := strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+1:])
	switch {
	case name == "":
		p.errorf(line, sec, "", raw, "missing parameter name before %q", text[i])
		return
	case sec == nil:
		p.errorf(line, nil, name, raw, "parameter outside a section: put it under a [section] header")
		return
	}
	prm := lookup(sec.kind, name)
	if prm == nil {
		if elsewhere := sectionsOf(name); elsewhere != 0 {
			p.errorf(line, sec, name, raw, "not a parameter of [%s] (it belongs in %s)", sec.kind, sectionList(elsewhere, "or"))
		} else {
			p.errorf(line, sec, name, raw, "unknown parameter")
		}
		return
	}
	if raw == "" {
		p.errorf(line, sec, prm.Name, "", "no value")
		return
	}
	switch {
	case prm.Scope == ScopeNode && sec.isDefault:
		p.errorf(line, sec, prm.Name, raw, "may be set only in a node's own [%s] section, not in [%s]", sec.kind, sec.name)
		return
	case prm.Scope == ScopeCluster && !sec.isDefault:
		p.errorf(line, sec, prm.Name, raw, "applies to the whole cluster: set it in [%s default]", sec.kind)
		return
	}
	for _, e := range sec.entries {
		if e.p == prm {
			p.errorf(line, sec, prm.Name, raw, "set twice in this section (first at line %d)", e.line)
			return
		}
	}
	if prm.Status == Ignored {
		p.warn(line, sec, prm.Name, "an NDB parameter gondb ignores: "+prm.Desc)
		sec.entries = append(sec.entries, rawEntry{p: prm, raw: raw, line: line})
		return
	}
	x, msg := parseValue(prm, raw)
	if msg != "" {
		p.errorf(line, sec, prm.Name, raw, "%s", msg)
		sec.entries = append(sec.entries, rawEntry{p: prm, raw: raw, line: line, bad: true})
		return
	}
	if prm.Status == Deprecated {
		p.warn(line, sec, prm.Name, "deprecated and ignored: "+prm.Desc)
	}
	sec.entries = append(sec.entries, rawEntry{p: prm, raw: raw, val: x, line: line})
}

func (p *parser) warn(line int, sec *rawSection, param, msg string) {
	p.warnings = append(p.warnings, Warning{File: p.file, Line: line, Section: sec.name, Param: param, Message: msg})
}
