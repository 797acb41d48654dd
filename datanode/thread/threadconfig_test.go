package thread

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// spec builds a ThreadSpec with thread_prio and spintime not set.
func spec(kind string, count int) ThreadSpec {
	return ThreadSpec{Kind: kind, Count: count, ThreadPrio: NotSet, Spintime: NotSet}
}

func TestParseThreadConfigValid(t *testing.T) {
	withBind := func(s ThreadSpec, cpus ...int) ThreadSpec { s.CPUBind = cpus; return s }
	withSet := func(s ThreadSpec, cpus ...int) ThreadSpec { s.CPUSet = cpus; return s }
	for _, tc := range []struct {
		in   string
		want []ThreadSpec
	}{
		{
			"ldm={count=2,cpubind=0,1},tc={count=1},recv={count=1},send={count=1},main={count=1}",
			[]ThreadSpec{withBind(spec("ldm", 2), 0, 1), spec("tc", 1), spec("recv", 1), spec("send", 1), spec("main", 1)},
		},
		{"ldm={count=4,cpubind=0-3}", []ThreadSpec{withBind(spec("ldm", 4), 0, 1, 2, 3)}},
		{"ldm={count=4,cpubind=3,1-2,0}", []ThreadSpec{withBind(spec("ldm", 4), 3, 1, 2, 0)}},
		{"ldm={count=3,cpuset=8-9,2}", []ThreadSpec{withSet(spec("ldm", 3), 2, 8, 9)}},
		{"ldm={}", []ThreadSpec{spec("ldm", 1)}},
		{"main={count=0}", []ThreadSpec{spec("main", 0)}},
		{
			"tc={count=2,thread_prio=0,spintime=0}",
			[]ThreadSpec{{Kind: "tc", Count: 2, ThreadPrio: 0, Spintime: 0}},
		},
		{
			"ldm={cpubind=5,thread_prio=10,spintime=500}",
			[]ThreadSpec{{Kind: "ldm", Count: 1, CPUBind: []int{5}, ThreadPrio: 10, Spintime: 500}},
		},
		{
			"query={count=2},rep={},io={count=1},watchdog={count=1}",
			[]ThreadSpec{spec("query", 2), spec("rep", 1), spec("io", 1), spec("watchdog", 1)},
		},
		{
			" LDM = { Count = 2 , CPUBind = 0 , 1 } ,\n\ttc={count=1}\n",
			[]ThreadSpec{withBind(spec("ldm", 2), 0, 1), spec("tc", 1)},
		},
		{"tc={count=0}", []ThreadSpec{spec("tc", 0)}},
	} {
		got, err := ParseThreadConfig(tc.in)
		if err != nil {
			t.Errorf("ParseThreadConfig(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got.Kinds, tc.want) {
			t.Errorf("ParseThreadConfig(%q)\n got %+v\nwant %+v", tc.in, got.Kinds, tc.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("Validate(parse(%q)): %v", tc.in, err)
		}
		again, err := ParseThreadConfig(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("round trip of %q via %q: %+v, %v", tc.in, got.String(), again, err)
		}
	}
}

func TestParseThreadConfigInvalid(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int
		frag   string
	}{
		{"", 0, "empty ThreadConfig"},
		{"   ", 3, "empty ThreadConfig"},
		{"foo={count=1}", 0, `unknown thread kind "foo"`},
		{"ldm={count=1},bar={}", 14, `unknown thread kind "bar"`},
		{"ldm={count=1,colour=2}", 13, `unknown key "colour"`},
		{"ldm={count=0}", 5, "count 0 out of range 1..332 for ldm"},
		{"ldm={count=333}", 5, "count 333 out of range 1..332"},
		{"tc={count=129}", 4, "count 129 out of range 0..128 for tc"},
		{"main={count=2}", 6, "count 2 out of range 0..1 for main"},
		{"recv={count=0}", 6, "count 0 out of range 1..64"},
		{"ldm={count=3,cpubind=0,1}", 13, "cpubind lists 2 CPUs, shorter than count 3"},
		{"ldm={count=1,cpubind=0,1}", 13, "cpubind lists 2 CPUs, more than count 1"},
		{"ldm={count=2,cpubind=1,1}", 13, "cpubind lists CPU 1 twice"},
		{"ldm={count=2,cpuset=0-3,2}", 13, "cpuset lists CPU 2 twice"},
		{"ldm={count=1,cpubind=0,cpuset=1}", 23, "cpubind and cpuset are exclusive"},
		{"ldm={count=2,cpubind=3-1}", 21, `range "3-1" runs backwards`},
		{"ldm={count=1,cpubind=9000}", 21, "CPU 9000 above 8191"},
		{"ldm={count=1,cpubind=}", 21, "expected a CPU number for cpubind, found '}'"},
		{"ldm={count=1},ldm={count=2}", 14, `duplicate thread kind "ldm" (first at offset 0)`},
		{"ldm={count=1,count=2}", 13, `duplicate key "count"`},
		{"ldm={count=1", 12, "missing '}' closing ldm={ at offset 0"},
		{"ldm={count=1 tc={}", 13, "expected ',' or '}' in ldm={...}, found 't'"},
		{"ldm=count=1}", 4, "expected '{' after ldm=, found 'c'"},
		{"ldm", 3, "expected '=' after ldm, found end of input"},
		{"ldm={count=1}}", 13, "expected ',' or end after ldm={...}, found '}'"},
		{"ldm={count=1},", 14, "expected a thread kind, found end of input"},
		{",ldm={}", 0, "expected a thread kind, found ','"},
		{"ldm={,}", 5, "expected a key in ldm={...}, found ','"},
		{"ldm={count=}", 11, "expected a number for count, found '}'"},
		{"ldm={count=x}", 11, "expected a number for count"},
		{"ldm={count=1}é", 13, "expected ',' or end after ldm={...}, found 'é'"},
		{"ldm={count=1234567890}", 11, "number 1234567890 for count too large"},
		{"ldm={thread_prio=11}", 5, "thread_prio 11 out of range 0..10"},
		{"ldm={spintime=501}", 5, "spintime 501 out of range 0..500"},
		{"ldm={count=1,cpuset=0-8191,0}", 27, "cpuset lists more than 8192 CPUs"},
	} {
		_, err := ParseThreadConfig(tc.in)
		var ce *ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, ErrThreadConfig) {
			t.Errorf("ParseThreadConfig(%q) = %v, want a *ConfigError", tc.in, err)
			continue
		}
		if ce.Offset != tc.offset || !strings.Contains(err.Error(), tc.frag) {
			t.Errorf("ParseThreadConfig(%q) = %q (offset %d), want offset %d and %q",
				tc.in, err, ce.Offset, tc.offset, tc.frag)
		}
	}
}

func TestThreadConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    ThreadConfig
		frag string // "" = valid
	}{
		{"default", DefaultThreadConfig(16), ""},
		{"empty", ThreadConfig{}, "no thread kinds"},
		{"unknown", ThreadConfig{Kinds: []ThreadSpec{spec("gpu", 1)}}, `unknown thread kind "gpu"`},
		{"duplicate", ThreadConfig{Kinds: []ThreadSpec{spec("tc", 1), spec("tc", 1)}}, `duplicate thread kind "tc"`},
		{"zero prio is set", ThreadConfig{Kinds: []ThreadSpec{{Kind: "tc", Count: 1}}}, ""},
		{"bad prio", ThreadConfig{Kinds: []ThreadSpec{{Kind: "tc", Count: 1, ThreadPrio: -2}}}, "tc: thread_prio -2 out of range"},
		{"negative cpu", ThreadConfig{Kinds: []ThreadSpec{{Kind: "tc", Count: 1, CPUBind: []int{-1}, ThreadPrio: NotSet, Spintime: NotSet}}}, "tc: cpubind CPU -1 out of range"},
		{"unsorted cpuset", ThreadConfig{Kinds: []ThreadSpec{{Kind: "tc", Count: 1, CPUSet: []int{2, 1}, ThreadPrio: NotSet, Spintime: NotSet}}}, "cpuset is not in ascending order"},
	} {
		err := tc.c.Validate()
		switch {
		case tc.frag == "" && err != nil:
			t.Errorf("%s: Validate = %v", tc.name, err)
		case tc.frag != "" && (!errors.Is(err, ErrThreadConfig) || !strings.Contains(err.Error(), tc.frag)):
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.frag)
		}
	}
}

func TestThreadConfigString(t *testing.T) {
	c := ThreadConfig{Kinds: []ThreadSpec{
		{Kind: "ldm", Count: 5, CPUBind: []int{0, 1, 2, 3, 7}, ThreadPrio: NotSet, Spintime: 20},
		{Kind: "tc", Count: 2, CPUSet: []int{8, 9}, ThreadPrio: 5, Spintime: NotSet},
		spec("main", 1),
	}}
	want := "ldm={count=5,cpubind=0-3,7,spintime=20},tc={count=2,cpuset=8,9,thread_prio=5},main={count=1}"
	if got := c.String(); got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	if back, err := ParseThreadConfig(want); err != nil || !reflect.DeepEqual(back, c) {
		t.Fatalf("parse(String) = %+v, %v", back, err)
	}
}

func TestDefaultThreadConfig(t *testing.T) {
	for _, tc := range []struct {
		cpus int
		want string
	}{
		{0, "ldm={count=1},tc={count=1},recv={count=1},main={count=1}"},
		{1, "ldm={count=1},tc={count=1},recv={count=1},main={count=1}"},
		{2, "ldm={count=1},tc={count=1},recv={count=1},main={count=1}"},
		{4, "ldm={count=2},tc={count=1},recv={count=1},main={count=1}"},
		{8, "ldm={count=4},tc={count=1},recv={count=1},send={count=1},main={count=1}"},
		{16, "ldm={count=8},tc={count=3},recv={count=2},send={count=2},main={count=1}"},
		{32, "ldm={count=17},tc={count=6},recv={count=4},send={count=4},main={count=1}"},
		{4096, "ldm={count=332},tc={count=128},recv={count=64},send={count=64},main={count=1}"},
	} {
		c := DefaultThreadConfig(tc.cpus)
		if got := c.String(); got != tc.want {
			t.Errorf("DefaultThreadConfig(%d) = %s, want %s", tc.cpus, got, tc.want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("DefaultThreadConfig(%d) invalid: %v", tc.cpus, err)
		}
	}
	// From 8 CPUs on every thread has a CPU of its own, and no more threads
	// than CPUs are started.
	for cpus := 8; cpus <= 400; cpus++ {
		c := DefaultThreadConfig(cpus)
		total := 0
		for _, s := range c.Kinds {
			total += s.Count
		}
		if total != cpus && c.Count(KindLDM) != 332 {
			t.Fatalf("DefaultThreadConfig(%d) has %d threads", cpus, total)
		}
		if 2*c.Count(KindLDM) < cpus && c.Count(KindLDM) != 332 {
			t.Fatalf("DefaultThreadConfig(%d): only %d ldm threads", cpus, c.Count(KindLDM))
		}
	}
}

func TestThreadConfigLookup(t *testing.T) {
	c, err := ParseThreadConfig("ldm={count=4},tc={count=2}")
	if err != nil {
		t.Fatal(err)
	}
	if c.Count(KindLDM) != 4 || c.Count(KindTC) != 2 || c.Count(KindSend) != 0 {
		t.Fatalf("counts %d %d %d", c.Count(KindLDM), c.Count(KindTC), c.Count(KindSend))
	}
	if _, ok := c.Spec(KindRecv); ok {
		t.Fatal("Spec(recv) found an absent kind")
	}
}
