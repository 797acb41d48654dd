package thread

import (
	"fmt"
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
