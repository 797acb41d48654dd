package thread

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/spsc"
)

// The rings workers drain are Inputs.
var _ Input = (*spsc.Ring[uint64])(nil)

// waitFor polls cond until it holds. The bound is a liveness check (a lost
// wake-up hangs forever), not a performance assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// counter is a worker owner that pops uint64 items from its rings, checks
// that each ring delivers 0, 1, 2, ... and counts them.
type counter struct {
	rings []*spsc.Ring[uint64]
	next  []uint64
	total atomic.Uint64
	bad   atomic.Pointer[string]
	buf   [16]uint64
}

func newCounter(rings int) *counter {
	c := &counter{next: make([]uint64, rings)}
	for range rings {
		c.rings = append(c.rings, spsc.New[uint64](8))
	}
	return c
}

func (c *counter) inputs() []Input {
	in := make([]Input, len(c.rings))
	for i, r := range c.rings {
		in[i] = r
	}
	return in
}

func (c *counter) round(budget int) bool {
	did := 0
	for i, r := range c.rings {
		n := r.PopBatch(c.buf[:min(budget, len(c.buf))])
		for _, v := range c.buf[:n] {
			if v != c.next[i] && c.bad.Load() == nil {
				msg := fmt.Sprintf("ring %d delivered %d, want %d", i, v, c.next[i])
				c.bad.Store(&msg)
			}
			c.next[i]++
		}
		did += n
	}
	c.total.Add(uint64(did))
	return did > 0
}

func (c *counter) check(t *testing.T) {
	t.Helper()
	if msg := c.bad.Load(); msg != nil {
		t.Fatal(*msg)
	}
}

func TestWorkerConfigValidate(t *testing.T) {
	round := func(int) bool { return false }
	in := []Input{spsc.New[int](1)}
	for _, tc := range []struct {
		name string
		cfg  WorkerConfig
		frag string // "" = valid
	}{
		{"ok", WorkerConfig{Name: "w", Inputs: in, Round: round}, ""},
		{"timer only", WorkerConfig{Round: round, MaxSleep: time.Millisecond}, ""},
		{"no round", WorkerConfig{Name: "w", Inputs: in}, "w: no Round function"},
		{"never wakes", WorkerConfig{Round: round}, "no Inputs and no MaxSleep"},
		{"nil input", WorkerConfig{Round: round, Inputs: []Input{nil}}, "nil Input"},
		{"budget", WorkerConfig{Round: round, Inputs: in, Budget: -1}, "Budget -1 is negative"},
		{"sleep", WorkerConfig{Round: round, Inputs: in, MaxSleep: -1}, "MaxSleep -1ns is negative"},
		{"cpu", WorkerConfig{Round: round, Inputs: in, CPUs: []int{-1}}, "CPU -1 out of range"},
		{"dup cpu", WorkerConfig{Round: round, Inputs: in, CPUs: []int{1, 1}}, "CPU 1 listed twice"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.frag == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.frag != "" && (!errors.Is(err, ErrWorkerConfig) || !strings.Contains(err.Error(), tc.frag)):
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.frag)
		}
		if tc.frag != "" {
			if w, err := Start(tc.cfg); w != nil || !errors.Is(err, ErrWorkerConfig) {
				t.Errorf("%s: Start = %v, %v", tc.name, w, err)
			}
		}
	}
}

func TestWorkerStartStop(t *testing.T) {
	c := newCounter(1)
	w, err := Start(WorkerConfig{Name: "ldm0", Inputs: c.inputs(), Round: c.round})
	if err != nil {
		t.Fatal(err)
	}
	if w.Name() != "ldm0" {
		t.Fatalf("Name = %q", w.Name())
	}
	waitFor(t, "the idle worker to park", w.sleeping.Load)
	for i := range uint64(5) {
		c.rings[0].Push(i)
	}
	w.Wake()
	waitFor(t, "5 items", func() bool { return c.total.Load() == 5 })
	waitFor(t, "the worker to park again", w.sleeping.Load)
	w.Stop()
	w.Stop() // idempotent
	c.check(t)
	s := w.Stats()
	if s.BusyRounds < 1 || s.Rounds <= s.BusyRounds || s.Parks < 1 || s.Wakes != 1 || s.Timeouts != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Idle rounds between parks: at least the spin count.
	if s.Rounds < DefaultSpinRounds {
		t.Fatalf("%d rounds, want at least %d (spinning)", s.Rounds, DefaultSpinRounds)
	}
}

func TestWorkerStopWhileBusy(t *testing.T) {
	var rounds atomic.Uint64
	w, err := Start(WorkerConfig{Inputs: []Input{spsc.New[int](1)}, Round: func(int) bool {
		rounds.Add(1)
		return true // never idle, never parks
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "some rounds", func() bool { return rounds.Load() > 100 })
	w.Stop()
	if s := w.Stats(); s.Rounds != rounds.Load() || s.BusyRounds != s.Rounds || s.Parks != 0 {
		t.Fatalf("stats %+v after %d rounds", s, rounds.Load())
	}
}

func TestWorkerBudget(t *testing.T) {
	for _, tc := range []struct{ budget, want int }{{0, DefaultBudget}, {7, 7}} {
		got := make(chan int, 1)
		w, err := Start(WorkerConfig{Inputs: []Input{spsc.New[int](1)}, Budget: tc.budget, Round: func(b int) bool {
			select {
			case got <- b:
			default:
			}
			return false
		}})
		if err != nil {
			t.Fatal(err)
		}
		if b := <-got; b != tc.want {
			t.Errorf("Budget %d: Round got %d, want %d", tc.budget, b, tc.want)
		}
		w.Stop()
	}
}

// TestWorkerParkRaces pushes an item exactly inside the windows of the park
// protocol, through a hook, and requires the worker to find it.
func TestWorkerParkRaces(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stage parkStage
		wake  bool // call Wake after the push
	}{
		// The producer's Wake loaded sleeping before step 1 and saw false,
		// so it sent nothing: only the re-check can find the item.
		{"after flag, no wake", stageFlagged, false},
		{"after flag, wake", stageFlagged, true},
		// Re-check done and empty: Wake must see sleeping and send a token
		// before the worker blocks.
		{"after re-check, wake", stageChecked, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCounter(1)
			at, resume := make(chan struct{}), make(chan struct{})
			fired := false
			w, err := Start(WorkerConfig{
				Inputs:     c.inputs(),
				Round:      c.round,
				SpinRounds: -1,
				hook: func(s parkStage) {
					if s == tc.stage && !fired {
						fired = true
						at <- struct{}{}
						<-resume
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			<-at
			c.rings[0].Push(0)
			if tc.wake {
				w.Wake()
			}
			close(resume)
			waitFor(t, "the item pushed inside the park window", func() bool { return c.total.Load() == 1 })
			w.Stop()
			c.check(t)
			if s := w.Stats(); tc.stage == stageChecked && s.Wakes != 1 {
				t.Fatalf("stats %+v, want exactly one wake", s)
			}
		})
	}
}

// TestWorkerNoLostWakeups has two producers push sequence numbers into their
// own rings and Wake a worker that parks as soon as it finds nothing. Now and
// then a producer waits until the worker is going to sleep before pushing,
// to hit the protocol's windows, or waits until its item is taken, so that a
// lost wake-up hangs the test instead of being rescued by the next push; the
// worker yields at random points of the protocol to widen the windows. Every
// item must arrive, in order.
func TestWorkerNoLostWakeups(t *testing.T) {
	n := uint64(30_000)
	if testing.Short() {
		n = 3_000
	}
	for _, spin := range []int{-1, 4} {
		t.Run(fmt.Sprint("spin", spin), func(t *testing.T) {
			c := newCounter(2)
			rng := rand.New(rand.NewPCG(uint64(spin), 7)) // used by the worker only
			w, err := Start(WorkerConfig{
				Inputs:     c.inputs(),
				Round:      c.round,
				SpinRounds: spin,
				hook: func(parkStage) {
					if rng.IntN(4) == 0 {
						runtime.Gosched()
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			defer func() { // release the producers if the test failed
				over := "test over"
				c.bad.CompareAndSwap(nil, &over)
			}()
			producersDone := make(chan struct{}, 2)
			for p, r := range c.rings {
				go func() {
					defer func() { producersDone <- struct{}{} }()
					for i := range n {
						for !r.Push(i) {
							if c.bad.Load() != nil {
								return
							}
							w.Wake()
							runtime.Gosched()
						}
						w.Wake()
						switch {
						case i%97 == uint64(p):
							// Next push lands on a worker going to sleep.
							for !w.sleeping.Load() && c.bad.Load() == nil {
								runtime.Gosched()
							}
						case i%5 == 0:
							// Push no more until this one is taken, so a
							// lost wake-up is not rescued by the next push.
							for r.Len() > 0 && c.bad.Load() == nil {
								runtime.Gosched()
							}
						case i%13 == 0:
							runtime.Gosched()
						}
					}
				}()
			}
			waitFor(t, fmt.Sprintf("%d items", 2*n), func() bool {
				return c.total.Load() == 2*n || c.bad.Load() != nil
			})
			<-producersDone
			<-producersDone
			c.check(t)
			w.Stop()
			s := w.Stats()
			t.Logf("stats %+v", s)
			if s.Parks == 0 || s.Wakes == 0 {
				t.Fatalf("the protocol was not exercised: %+v", s)
			}
		})
	}
}

func TestWorkerMaxSleep(t *testing.T) {
	var rounds atomic.Uint64
	w, err := Start(WorkerConfig{
		Round:      func(int) bool { rounds.Add(1); return false },
		SpinRounds: -1,
		MaxSleep:   time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "timer-driven rounds", func() bool { return rounds.Load() >= 5 })
	w.Stop()
	if s := w.Stats(); s.Timeouts < 3 || s.Parks < s.Timeouts || s.Wakes != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestWorkerBindFailure(t *testing.T) {
	w, err := Start(WorkerConfig{
		Name:   "tc0",
		CPUs:   []int{MaxCPU}, // valid in a config, beyond what the kernel call takes
		Inputs: []Input{spsc.New[int](1)},
		Round:  func(int) bool { return false },
	})
	if w != nil || !(errors.Is(err, ErrAffinity) || errors.Is(err, ErrAffinityUnsupported)) {
		t.Fatalf("Start = %v, %v", w, err)
	}
	if !strings.Contains(err.Error(), "tc0") {
		t.Fatalf("error %q does not name the worker", err)
	}
}

func TestWakeAllocs(t *testing.T) {
	w, err := Start(WorkerConfig{Inputs: []Input{spsc.New[int](1)}, Round: func(int) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	waitFor(t, "the worker to park", w.sleeping.Load)
	if a := testing.AllocsPerRun(1000, w.Wake); a != 0 {
		t.Fatalf("Wake: %v allocs", a)
	}
	if a := testing.AllocsPerRun(100, func() { _ = w.Stats() }); a != 0 {
		t.Fatalf("Stats: %v allocs", a)
	}
}
