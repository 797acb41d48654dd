package thread

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxCPU is the highest CPU number accepted anywhere in this package: the
// largest CONFIG_NR_CPUS Linux supports is 8192.
const MaxCPU = 8191

// ParseCPUList parses the kernel's cpulist syntax (as in
// /sys/devices/system/node/node0/cpulist and cpuset.cpus): comma-separated
// CPU numbers and inclusive ranges, e.g. "0-3,8-11". Surrounding whitespace
// and a trailing newline are ignored; the empty list parses to nil. The
// result is in the order written; duplicates are an error.
func ParseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var cpus []int
	for item := range strings.SplitSeq(s, ",") {
		lo, hi, err := parseCPURange(strings.TrimSpace(item))
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %s", ErrCPUList, s, err)
		}
		for c := lo; c <= hi; c++ {
			cpus = append(cpus, c)
		}
	}
	if d, ok := firstDuplicate(cpus); ok {
		return nil, fmt.Errorf("%w: %q: CPU %d listed twice", ErrCPUList, s, d)
	}
	return cpus, nil
}

// parseCPURange parses "N" or "N-M" with N <= M <= MaxCPU. The error text is
// a bare reason for the caller to wrap.
func parseCPURange(item string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(item, "-")
	if lo, err = parseCPU(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parseCPU(b); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("range %q runs backwards", item)
	}
	return lo, hi, nil
}

func parseCPU(s string) (int, error) {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a CPU number", s)
	}
	n, _ := strconv.Atoi(s) // at most 5 digits: cannot overflow
	if n > MaxCPU {
		return 0, fmt.Errorf("CPU %d above %d", n, MaxCPU)
	}
	return n, nil
}

// FormatCPUList writes cpus in cpulist syntax, in the given order, folding
// runs of three or more consecutive ascending CPUs into a range ("0-3,8").
// ParseCPUList(FormatCPUList(x)) returns x.
func FormatCPUList(cpus []int) string {
	var b strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		switch {
		case j-i >= 2:
			fmt.Fprintf(&b, "%d-%d", cpus[i], cpus[j])
		case j-i == 1:
			fmt.Fprintf(&b, "%d,%d", cpus[i], cpus[j])
		default:
			b.WriteString(strconv.Itoa(cpus[i]))
		}
		i = j + 1
	}
	return b.String()
}

// firstDuplicate returns a CPU that occurs more than once in cpus.
func firstDuplicate(cpus []int) (int, bool) {
	s := slices.Clone(cpus)
	slices.Sort(s)
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return s[i], true
		}
	}
	return 0, false
}
