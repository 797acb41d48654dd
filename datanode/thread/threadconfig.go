package thread

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Thread kinds, spelled as in NDB's ThreadConfig. gondb runs ldm, tc, recv,
// send and main; the others are accepted and stored so that an NDB
// configuration parses unchanged.
const (
	KindLDM      = "ldm"      // local data manager: LQH and storage of a fixed set of fragments
	KindQuery    = "query"    // query threads helping the LDMs with reads (RonDB)
	KindTC       = "tc"       // transaction coordinators
	KindRecv     = "recv"     // receive from the transporters
	KindSend     = "send"     // send to the transporters (0: every thread sends its own)
	KindMain     = "main"     // schema, distribution, membership, checkpoints
	KindRep      = "rep"      // event/replication thread
	KindIO       = "io"       // file I/O threads
	KindWatchdog = "watchdog" // the watchdog
)

// NotSet marks ThreadPrio and Spintime when the configuration does not give
// them, so that 0 keeps its meaning (lowest priority, no spinning).
const NotSet = -1

// ThreadPrio and Spintime bounds, as in NDB.
const (
	MaxThreadPrio = 10  // thread_prio=0..10, 10 highest
	MaxSpintime   = 500 // spintime=0..500 microseconds
)

// countLimits are the permitted thread counts per kind, in the order String
// and the error messages list kinds. Bounds follow NDB/RonDB where they fit
// gondb: at least one ldm and one recv thread, at most one of the singleton
// kinds.
var countLimits = []struct {
	kind     string
	min, max int
}{
	{KindLDM, 1, 332},
	{KindQuery, 0, 332},
	{KindTC, 0, 128},
	{KindRecv, 1, 64},
	{KindSend, 0, 64},
	{KindMain, 0, 1},
	{KindRep, 0, 1},
	{KindIO, 0, 1},
	{KindWatchdog, 0, 1},
}

// Parameter keys inside a kind's braces.
const (
	keyCount      = "count"
	keyCPUBind    = "cpubind"
	keyCPUSet     = "cpuset"
	keyThreadPrio = "thread_prio"
	keySpintime   = "spintime"
)

// ThreadSpec is one kind's entry in a ThreadConfig.
type ThreadSpec struct {
	Kind string // one of the Kind constants
	// Count is the number of threads of this kind (1 when not given).
	Count int
	// CPUBind binds thread i of this kind to CPUBind[i]; when set it lists
	// exactly Count distinct CPUs. Empty: not bound.
	CPUBind []int
	// CPUSet is a set of CPUs (ascending, distinct) shared by all threads of
	// this kind; the OS places them within it. Exclusive with CPUBind.
	CPUSet []int
	// ThreadPrio is the OS scheduling priority 0..MaxThreadPrio, or NotSet.
	ThreadPrio int
	// Spintime is how long an idle thread spins before sleeping, in
	// microseconds 0..MaxSpintime, or NotSet (the worker's default).
	Spintime int
}

// ThreadConfig says how many threads of each kind a data node runs and where
// they run. Kinds are in the order given; a kind appears at most once.
type ThreadConfig struct {
	Kinds []ThreadSpec
}

// ConfigError reports an invalid ThreadConfig. It matches ErrThreadConfig
// with errors.Is.
type ConfigError struct {
	// Offset is the 0-based byte offset in the parsed string where the
	// problem is, or -1 for a ThreadConfig value checked by Validate.
	Offset int
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("%v: %s", ErrThreadConfig, e.Reason)
	}
	return fmt.Sprintf("%v: at offset %d: %s", ErrThreadConfig, e.Offset, e.Reason)
}

func (e *ConfigError) Unwrap() error { return ErrThreadConfig }

// Spec returns the entry for kind.
func (c ThreadConfig) Spec(kind string) (ThreadSpec, bool) {
	for _, s := range c.Kinds {
		if s.Kind == kind {
			return s, true
		}
	}
	return ThreadSpec{}, false
}

// Count returns the number of threads of kind, 0 when the kind is absent.
func (c ThreadConfig) Count(kind string) int {
	s, _ := c.Spec(kind)
	return s.Count
}

// String writes c in ThreadConfig syntax, e.g.
// "ldm={count=2,cpubind=0,1},tc={count=1}". ParseThreadConfig(c.String())
// returns c for every valid c.
func (c ThreadConfig) String() string {
	var b strings.Builder
	for i, s := range c.Kinds {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s={%s=%d", s.Kind, keyCount, s.Count)
		if len(s.CPUBind) > 0 {
			fmt.Fprintf(&b, ",%s=%s", keyCPUBind, FormatCPUList(s.CPUBind))
		}
		if len(s.CPUSet) > 0 {
			fmt.Fprintf(&b, ",%s=%s", keyCPUSet, FormatCPUList(s.CPUSet))
		}
		if s.ThreadPrio != NotSet {
			fmt.Fprintf(&b, ",%s=%d", keyThreadPrio, s.ThreadPrio)
		}
		if s.Spintime != NotSet {
			fmt.Fprintf(&b, ",%s=%d", keySpintime, s.Spintime)
		}
		b.WriteByte('}')
	}
	return b.String()
}

// Validate checks a ThreadConfig built in code by the rules ParseThreadConfig
// applies. It never changes c.
func (c ThreadConfig) Validate() error {
	if len(c.Kinds) == 0 {
		return &ConfigError{Offset: -1, Reason: "no thread kinds"}
	}
	seen := map[string]bool{}
	for _, s := range c.Kinds {
		if _, _, ok := limitsOf(s.Kind); !ok {
			return &ConfigError{Offset: -1, Reason: unknownKindReason(s.Kind)}
		}
		if seen[s.Kind] {
			return &ConfigError{Offset: -1, Reason: fmt.Sprintf("duplicate thread kind %q", s.Kind)}
		}
		seen[s.Kind] = true
		if key, reason := s.check(); key != "" {
			return &ConfigError{Offset: -1, Reason: s.Kind + ": " + reason}
		}
	}
	return nil
}

func limitsOf(kind string) (lo, hi int, ok bool) {
	for _, l := range countLimits {
		if l.kind == kind {
			return l.min, l.max, true
		}
	}
	return 0, 0, false
}

func unknownKindReason(kind string) string {
	kinds := make([]string, len(countLimits))
	for i, l := range countLimits {
		kinds[i] = l.kind
	}
	return fmt.Sprintf("unknown thread kind %q (want one of %s)", kind, strings.Join(kinds, ", "))
}

// check applies the per-kind rules. It returns the key at fault (for the
// parser to point at) and the reason, or "", "" when s is valid.
func (s ThreadSpec) check() (key, reason string) {
	lo, hi, _ := limitsOf(s.Kind)
	switch {
	case s.Count < lo || s.Count > hi:
		return keyCount, fmt.Sprintf("count %d out of range %d..%d for %s", s.Count, lo, hi, s.Kind)
	case len(s.CPUBind) > 0 && len(s.CPUSet) > 0:
		return keyCPUSet, "cpubind and cpuset are exclusive"
	case len(s.CPUBind) > 0 && len(s.CPUBind) < s.Count:
		return keyCPUBind, fmt.Sprintf("cpubind lists %d CPUs, shorter than count %d", len(s.CPUBind), s.Count)
	case len(s.CPUBind) > s.Count:
		return keyCPUBind, fmt.Sprintf("cpubind lists %d CPUs, more than count %d", len(s.CPUBind), s.Count)
	case s.ThreadPrio != NotSet && (s.ThreadPrio < 0 || s.ThreadPrio > MaxThreadPrio):
		return keyThreadPrio, fmt.Sprintf("thread_prio %d out of range 0..%d", s.ThreadPrio, MaxThreadPrio)
	case s.Spintime != NotSet && (s.Spintime < 0 || s.Spintime > MaxSpintime):
		return keySpintime, fmt.Sprintf("spintime %d out of range 0..%d", s.Spintime, MaxSpintime)
	}
	for _, l := range []struct {
		key  string
		cpus []int
	}{{keyCPUBind, s.CPUBind}, {keyCPUSet, s.CPUSet}} {
		for _, c := range l.cpus {
			if c < 0 || c > MaxCPU {
				return l.key, fmt.Sprintf("%s CPU %d out of range 0..%d", l.key, c, MaxCPU)
			}
		}
		if d, ok := firstDuplicate(l.cpus); ok {
			return l.key, fmt.Sprintf("%s lists CPU %d twice", l.key, d)
		}
	}
	for i := 1; i < len(s.CPUSet); i++ {
		if s.CPUSet[i] < s.CPUSet[i-1] {
			return keyCPUSet, "cpuset is not in ascending order"
		}
	}
	return "", ""
}

// DefaultThreadConfig returns the layout for a data node that may use cpus
// CPUs. The rule (no CPU binding: the process may not own CPUs 0..cpus-1, so
// binding is left to an explicit configuration):
//
//   - below 8 CPUs threads share CPUs: ldm = max(1, cpus/2), tc = 1,
//     recv = 1, main = 1, no send threads (each thread sends its own).
//     2 CPUs: ldm=1, tc=1, recv=1, main=1.
//   - from 8 CPUs every thread gets a CPU: recv = send = cpus/8,
//     tc = floor(3*cpus/16), main = 1, ldm = the rest (half or more).
//     8: ldm=4,tc=1,recv=1,send=1,main=1; 16: ldm=8,tc=3,recv=2,send=2,main=1;
//     32: ldm=17,tc=6,recv=4,send=4,main=1.
//
// Counts are clamped to each kind's maximum; kinds with count 0 are left out.
func DefaultThreadConfig(cpus int) ThreadConfig {
	cpus = max(cpus, 1)
	var ldm, tc, recv, send int
	if cpus < 8 {
		ldm, tc, recv, send = max(1, cpus/2), 1, 1, 0
	} else {
		recv, send, tc = cpus/8, cpus/8, 3*cpus/16
		ldm = cpus - recv - send - tc - 1
	}
	var c ThreadConfig
	for _, k := range []struct {
		kind  string
		count int
	}{{KindLDM, ldm}, {KindTC, tc}, {KindRecv, recv}, {KindSend, send}, {KindMain, 1}} {
		_, hi, _ := limitsOf(k.kind)
		if n := min(k.count, hi); n > 0 {
			c.Kinds = append(c.Kinds, ThreadSpec{Kind: k.kind, Count: n, ThreadPrio: NotSet, Spintime: NotSet})
		}
	}
	return c
}

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
	return strconv.QuoteRune(rune(p.s[p.pos]))
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
