package thread

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"
)

// Worker defaults.
const (
	// DefaultBudget is passed to Round when WorkerConfig.Budget is 0: large
	// enough to spread a round's fixed costs (index stores, flushing
	// outgoing batches) over many items, small enough that one busy input
	// does not keep the others waiting long.
	DefaultBudget = 256
	// DefaultSpinRounds is the number of extra idle rounds before parking
	// when WorkerConfig.SpinRounds is 0. An idle round over a few rings
	// costs tens of nanoseconds, a park and wake-up several microseconds,
	// so a short spin catches work that arrives right behind the last.
	DefaultSpinRounds = 64
	// statsEvery is how many rounds the worker counts locally before it
	// publishes its stats (it also publishes when it parks and stops), so
	// a busy round pays no atomic read-modify-write for bookkeeping.
	statsEvery = 64
)

// Input is a queue a worker drains in its rounds. The worker asks it only
// whether it holds anything, just before parking, so that an item pushed
// while the worker was going to sleep is not missed. Len is called on the
// worker's goroutine and must read the producer's published state with
// sync/atomic loads (the wake-up protocol relies on their sequential
// consistency). *spsc.Ring[T] satisfies Input.
type Input interface {
	Len() int
}

// WorkerConfig says what a Worker runs and where. It must not be changed
// while the worker runs (Start copies the slices).
type WorkerConfig struct {
	// Name identifies the worker in stats and messages, e.g. "ldm0".
	Name string
	// CPUs binds the worker's OS thread to these CPUs; empty: not bound.
	CPUs []int
	// Inputs are all the queues producers Wake this worker for. Before
	// parking the worker re-checks them; an input left out here can have
	// its wake-up lost.
	Inputs []Input
	// Round runs one round on the worker's goroutine: drain the inputs (at
	// most budget items from each), execute, flush outgoing batches. It
	// reports whether it did any work. It must not block and must not call
	// the worker's Stop.
	Round func(budget int) (didWork bool)
	// Budget is passed to Round; 0 means DefaultBudget.
	Budget int
	// SpinRounds is how many idle rounds to run in a row, after the first,
	// before parking; 0 means DefaultSpinRounds, negative means park after
	// the first idle round.
	SpinRounds int
	// MaxSleep bounds a park; the worker then runs a round even if nobody
	// woke it (for owners with timers). 0: park until woken. A worker
	// without Inputs needs MaxSleep, or it could never wake.
	MaxSleep time.Duration

	// hook, if set, is called at the park stages (tests only).
	hook func(parkStage)
}

// parkStage names the points of the park protocol, for test hooks.
type parkStage int

const (
	stageIdle     parkStage = 1 // an idle round is done, sleeping not yet set
	stageFlagged  parkStage = 2 // sleeping is set, inputs not yet re-checked
	stageChecked  parkStage = 3 // inputs re-checked empty, about to block
	stageResuming parkStage = 4 // woke up
)

// Validate checks c. It never changes c.
func (c WorkerConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrWorkerConfig, c.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Round == nil:
		return bad("no Round function")
	case len(c.Inputs) == 0 && c.MaxSleep == 0:
		return bad("no Inputs and no MaxSleep: the worker could never wake")
	case c.Budget < 0:
		return bad("Budget %d is negative", c.Budget)
	case c.MaxSleep < 0:
		return bad("MaxSleep %v is negative", c.MaxSleep)
	}
	for _, in := range c.Inputs {
		if in == nil {
			return bad("nil Input")
		}
	}
	for _, cpu := range c.CPUs {
		if cpu < 0 || cpu > MaxCPU {
			return bad("CPU %d out of range 0..%d", cpu, MaxCPU)
		}
	}
	if d, ok := firstDuplicate(c.CPUs); ok {
		return bad("CPU %d listed twice", d)
	}
	return nil
}

// Stats are a worker's counters, for ndbinfo threadstat. While the worker
// runs, Rounds and BusyRounds may lag it by up to 64 rounds and Parks and
// Timeouts count the parks that have ended; all are exact once Stop returns.
type Stats struct {
	Rounds     uint64 // rounds run
	BusyRounds uint64 // rounds in which Round reported work
	Parks      uint64 // times the worker blocked waiting to be woken
	Timeouts   uint64 // parks that ended because MaxSleep passed
	Wakes      uint64 // wake-up signals sent by Wake to a parking worker
}

// Worker is a goroutine locked to its own OS thread, optionally bound to
// CPUs, that runs its owner's Round function over and over. When a round
// finds no work it spins for a few more rounds and then parks until a
// producer calls Wake (or MaxSleep passes).
//
// # Wake-up protocol
//
//	worker, parking:                   producer:
//	1. sleeping.Store(true)            a. push into an Input (atomic store)
//	2. if any Input.Len() > 0:         b. Wake: if sleeping.Load() and
//	     sleeping.Store(false)              CAS(sleeping, true, false):
//	     run another round                    leave a token (at most one
//	3. block until a token                    is held; never blocks)
//	4. sleeping.Store(false)
//
// No lost wake-ups: Go's atomics are sequentially consistent, so all of
// them fall in one total order that respects each goroutine's program order.
// Take a push a and the Wake that follows it. If Wake's CAS wins, it leaves
// a token, which stays until the worker takes it, so it does not matter
// whether the worker has reached 3. Otherwise Wake's load or CAS
// read false, and the last store before it in the total order was a false
// one: the worker's next step 1 comes later, so a < b < 1 < 2 and that
// re-check sees the item. Hence a worker blocks only when every pushed item
// was either seen by its re-check or has a token coming. A stale token (from
// a Wake that raced with the worker finding work on its own) costs one
// spurious round, never a hang. Stop sets stopping and always leaves a
// token, and the re-check looks at stopping too.
//
// The worker blocks on a futex on Linux, so a wake-up is one FUTEX_WAKE of
// its thread; elsewhere on a channel.
//
// Cost to producers: Wake on an awake worker is one atomic load of a cache
// line the worker writes only when it parks and wakes.
//
// The worker's goroutine keeps its OS thread locked until it exits, so the
// thread, whose CPU affinity it may have changed, ends with it rather than
// going back to the runtime's pool. (Threads the runtime starts on behalf of
// a locked goroutine come from its template thread, so they do not inherit
// the binding.)
type Worker struct {
	_ cpu.CacheLinePad
	// Read by every Wake; written by the worker only around parks and by
	// Stop.
	sleeping atomic.Bool
	stopping atomic.Bool
	_        cpu.CacheLinePad
	// Written by the worker; read by Stats.
	rounds, busyRounds, parks, timeouts atomic.Uint64
	_                                   cpu.CacheLinePad
	// Written by producers, only on the slow path of Wake.
	wakes atomic.Uint64
	_     cpu.CacheLinePad

	park     parker // holds at most one pending wake-up (token)
	cfg      WorkerConfig
	budget   int
	spin     int
	done     chan struct{} // closed when the goroutine has exited
	stopOnce sync.Once
}

// Start validates cfg, starts the worker's goroutine, locks it to an OS
// thread, binds it to cfg.CPUs (if any) and returns once that is done. A
// binding error stops the worker and is returned.
func Start(cfg WorkerConfig) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.CPUs = slices.Clone(cfg.CPUs)
	cfg.Inputs = slices.Clone(cfg.Inputs)
	w := &Worker{
		cfg:    cfg,
		budget: cfg.Budget,
		spin:   cfg.SpinRounds,
		done:   make(chan struct{}),
	}
	if w.budget == 0 {
		w.budget = DefaultBudget
	}
	switch {
	case w.spin == 0:
		w.spin = DefaultSpinRounds
	case w.spin < 0:
		w.spin = 0
	}
	started := make(chan error, 1)
	go w.run(started)
	if err := <-started; err != nil {
		<-w.done
		return nil, fmt.Errorf("thread: worker %s: %w", cfg.Name, err)
	}
	return w, nil
}

// Name returns the configured name.
func (w *Worker) Name() string { return w.cfg.Name }

// Wake tells the worker that one of its Inputs has something. Producers call
// it after every push (or batch of pushes); it is one atomic load when the
// worker is awake. Safe from any goroutine; never blocks.
func (w *Worker) Wake() {
	if w.sleeping.Load() && w.sleeping.CompareAndSwap(true, false) {
		w.wakes.Add(1)
		w.park.unpark()
	}
}

// Stop asks the worker to stop after its current round and waits until its
// goroutine has exited. It does not drain the Inputs. Safe from any
// goroutine except the worker's own; calling it again just waits.
func (w *Worker) Stop() {
	w.stopOnce.Do(func() {
		w.stopping.Store(true)
		w.park.unpark() // unconditional: the worker may be parked or about to be
	})
	<-w.done
}

// Stats returns the worker's counters. Safe from any goroutine.
func (w *Worker) Stats() Stats {
	return Stats{
		Rounds:     w.rounds.Load(),
		BusyRounds: w.busyRounds.Load(),
		Parks:      w.parks.Load(),
		Timeouts:   w.timeouts.Load(),
		Wakes:      w.wakes.Load(),
	}
}

func (w *Worker) run(started chan<- error) {
	defer close(w.done)
	// Never unlocked: see the type's documentation.
	runtime.LockOSThread()
	if len(w.cfg.CPUs) > 0 {
		if err := BindCurrentThread(w.cfg.CPUs); err != nil {
			started <- err
			return
		}
	}
	started <- nil
	w.loop()
}

// loop runs rounds until Stop. Counters are kept in locals and published
// every statsEvery rounds, at each park and at exit.
func (w *Worker) loop() {
	var rounds, busy, parks, timeouts uint64
	publish := func() {
		w.rounds.Store(rounds)
		w.busyRounds.Store(busy)
		w.parks.Store(parks)
		w.timeouts.Store(timeouts)
	}
	defer publish()
	idle := 0
	for !w.stopping.Load() {
		rounds++
		if rounds%statsEvery == 0 {
			publish()
		}
		if w.cfg.Round(w.budget) {
			busy++
			idle = 0
			continue
		}
		if idle < w.spin {
			idle++
			continue
		}
		idle = 0
		publish()
		switch w.sleep() {
		case parkedWoken:
			parks++
		case parkedTimedOut:
			parks++
			timeouts++
		}
	}
}

type parkResult int

const (
	parkSkipped    parkResult = 1 // found work (or Stop) on the re-check
	parkedWoken    parkResult = 2
	parkedTimedOut parkResult = 3
)

// sleep is the worker's half of the wake-up protocol.
func (w *Worker) sleep() parkResult {
	w.testHook(stageIdle)
	w.sleeping.Store(true)
	w.testHook(stageFlagged)
	if w.stopping.Load() || w.pending() {
		w.sleeping.Store(false)
		return parkSkipped
	}
	w.testHook(stageChecked)
	res := parkedWoken
	if w.park.wait(w.cfg.MaxSleep) {
		res = parkedTimedOut
	}
	w.sleeping.Store(false)
	w.testHook(stageResuming)
	return res
}

// pending reports whether any input holds items.
func (w *Worker) pending() bool {
	for _, in := range w.cfg.Inputs {
		if in.Len() > 0 {
			return true
		}
	}
	return false
}

func (w *Worker) testHook(s parkStage) {
	if w.cfg.hook != nil {
		w.cfg.hook(s)
	}
}
