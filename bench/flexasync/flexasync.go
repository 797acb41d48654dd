package flexasync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Phase is one pass over every row.
type Phase string

// The phases, in the order a loop runs them.
const (
	Insert    Phase = "insert"
	Read      Phase = "read"
	Update    Phase = "update"
	ReadAgain Phase = "read-again"
	Delete    Phase = "delete"
)

// Phases is one loop.
var Phases = []Phase{Insert, Read, Update, ReadAgain, Delete}

// Generation is the row version a phase writes or expects: inserts write
// generation 0, updates generation 1.
func (p Phase) Generation() uint32 {
	if p == Update || p == ReadAgain {
		return 1
	}
	return 0
}

// Value is word w (0..words-1) of attribute attr of the row with key, in a
// generation: every driver writes and checks these.
func Value(key uint64, attr, w int, gen uint32) uint32 {
	x := key*0x9E3779B97F4A7C15 ^ uint64(attr)<<40 ^ uint64(w)<<20 ^ uint64(gen)<<60
	x ^= x >> 29
	return uint32(x * 0xBF58476D1CE4E5B9 >> 32)
}

// Config is a run's shape; the flags of `gondb bench flexasync`.
type Config struct {
	Threads    int // -t: threads, each with its own Worker
	Parallel   int // -p: transactions in flight per thread
	OpsPerTx   int // -o: operations per transaction
	Attributes int // -a: attributes per row besides the key
	AttrWords  int // -s: words (4 bytes) per attribute
	Loops      int // -l: loops of every phase (0: 1)
	// Transactions is how many transactions each thread runs per phase
	// (--transactions; NDB flexAsynch's -o, whose letter the issue gave to
	// operations per transaction), in rounds of Parallel.
	Transactions int
	Table        string // the table's name
	// Phases are the phases each loop runs, in this order (--phases; nil:
	// Phases). Running only insert leaves the rows in the table, e.g. to
	// measure a restart with them.
	Phases []Phase
}

// ParsePhases parses a comma-separated list of phase names.
func ParsePhases(s string) ([]Phase, error) {
	var out []Phase
	for _, name := range strings.Split(s, ",") {
		ph := Phase(strings.TrimSpace(name))
		if !slices.Contains(Phases, ph) {
			return nil, fmt.Errorf("unknown phase %q (insert, read, update, read-again, delete)", name)
		}
		out = append(out, ph)
	}
	return out, nil
}

// DefaultConfig is flexAsynch's defaults, scaled to a laptop.
func DefaultConfig() Config {
	return Config{Threads: 1, Parallel: 32, OpsPerTx: 1, Attributes: 25, AttrWords: 1, Loops: 1,
		Transactions: 500, Table: "flexasync"}
}

// Validate reports a config that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Threads < 1 || c.Threads > 1024:
		return fmt.Errorf("-t %d: threads must be 1..1024", c.Threads)
	case c.Parallel < 1 || c.Parallel > 100000:
		return fmt.Errorf("-p %d: parallel transactions per thread must be 1..100000", c.Parallel)
	case c.OpsPerTx < 1 || c.OpsPerTx > 10000:
		return fmt.Errorf("-o %d: operations per transaction must be 1..10000", c.OpsPerTx)
	case c.Attributes < 1 || c.Attributes > 500:
		return fmt.Errorf("-a %d: attributes must be 1..500", c.Attributes)
	case c.AttrWords < 1 || c.AttrWords > 2000:
		return fmt.Errorf("-s %d: attribute size must be 1..2000 words", c.AttrWords)
	case c.Loops < 0:
		return fmt.Errorf("-l %d: loops must not be negative", c.Loops)
	case c.Transactions < 1:
		return fmt.Errorf("--transactions %d: transactions per thread must be at least 1", c.Transactions)
	case c.Table == "":
		return errors.New("the table name is empty")
	}
	for _, ph := range c.Phases {
		if !slices.Contains(Phases, ph) {
			return fmt.Errorf("unknown phase %q", ph)
		}
	}
	return nil
}

// RowsPerThread is how many rows each thread owns.
func (c Config) RowsPerThread() int { return c.Transactions * c.OpsPerTx }

// Batch is one round of a thread: up to Parallel transactions of OpsPerTx
// operations each. Transaction i works on keys First+i*OpsPerTx up to
// the next transaction's first key.
type Batch struct {
	Phase    Phase
	First    uint64
	Txs      int
	OpsPerTx int
}

// Key is the key of operation op of transaction tx.
func (b Batch) Key(tx, op int) uint64 { return b.First + uint64(tx*b.OpsPerTx+op) }

// Worker runs one thread's batches; it is used by one goroutine.
type Worker interface {
	// Run executes the batch's transactions concurrently (sent together,
	// completions polled) and calls done once per transaction with its
	// latency and error (a read that found a wrong value is an error).
	Run(ctx context.Context, b Batch, done func(tx int, latency time.Duration, err error)) error
	Close() error
}

// Driver creates the table and a Worker per thread.
type Driver interface {
	// Prepare creates (or recreates) the table for cfg.
	Prepare(ctx context.Context, cfg Config) error
	NewWorker(ctx context.Context, cfg Config, thread int) (Worker, error)
}

// Result is one phase's figures.
type Result struct {
	Phase     Phase   `json:"phase"`
	Loop      int     `json:"loop"`
	Ops       int64   `json:"ops"`
	Txs       int64   `json:"transactions"`
	Errors    int64   `json:"errors"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_sec"`
	TxPerSec  float64 `json:"tx_per_sec"`
	P50us     int64   `json:"p50_us"`
	P99us     int64   `json:"p99_us"`
	P999us    int64   `json:"p999_us"`
	// FirstError is the first failure's text.
	FirstError string `json:"first_error,omitempty"`
}

// ErrPhaseFailed is returned by Run when a phase had errors.
var ErrPhaseFailed = errors.New("flexasync: a phase failed")

// Run runs every loop's phases and reports each phase's Result to report
// as it ends. It stops after the first phase with errors and returns
// ErrPhaseFailed wrapped with the first error.
func Run(ctx context.Context, d Driver, cfg Config, report func(Result)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := d.Prepare(ctx, cfg); err != nil {
		return fmt.Errorf("preparing table %s: %w", cfg.Table, err)
	}
	workers := make([]Worker, cfg.Threads)
	for i := range workers {
		w, err := d.NewWorker(ctx, cfg, i)
		if err != nil {
			for _, o := range workers[:i] {
				o.Close()
			}
			return fmt.Errorf("thread %d: %w", i, err)
		}
		workers[i] = w
	}
	defer func() {
		for _, w := range workers {
			w.Close()
		}
	}()
	loops := max(cfg.Loops, 1)
	for loop := 0; loop < loops; loop++ {
		phases := cfg.Phases
		if phases == nil {
			phases = Phases
		}
		for _, ph := range phases {
			r := runPhase(ctx, workers, cfg, ph)
			r.Loop = loop
			report(r)
			if r.Errors > 0 {
				return fmt.Errorf("%w: %s: %d of %d transactions failed; first: %s", ErrPhaseFailed, ph, r.Errors, r.Txs, r.FirstError)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// runPhase runs one phase on every thread at once and merges their
// histograms.
func runPhase(ctx context.Context, workers []Worker, cfg Config, ph Phase) Result {
	type threadResult struct {
		hist   *hdrhistogram.Histogram
		errs   int64
		first  string
		runErr error
	}
	res := make([]threadResult, len(workers))
	var wg sync.WaitGroup
	start := time.Now()
	for i, w := range workers {
		wg.Go(func() {
			tr := &res[i]
			tr.hist = newHistogram()
			base := uint64(i) * uint64(cfg.RowsPerThread())
			for done := 0; done < cfg.Transactions && tr.runErr == nil && ctx.Err() == nil; done += cfg.Parallel {
				b := Batch{Phase: ph, First: base + uint64(done*cfg.OpsPerTx), Txs: min(cfg.Parallel, cfg.Transactions-done), OpsPerTx: cfg.OpsPerTx}
				tr.runErr = w.Run(ctx, b, func(tx int, lat time.Duration, err error) {
					if err != nil {
						if tr.errs++; tr.first == "" {
							tr.first = fmt.Sprintf("transaction with first key %d: %v", b.Key(tx, 0), err)
						}
						return
					}
					tr.hist.RecordValue(max(lat.Microseconds(), 1))
				})
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := newHistogram()
	r := Result{Phase: ph, Seconds: elapsed.Seconds()}
	for _, tr := range res {
		all.Merge(tr.hist)
		r.Errors += tr.errs
		if r.FirstError == "" && tr.first != "" {
			r.FirstError = tr.first
		}
		if tr.runErr != nil {
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = tr.runErr.Error()
			}
		}
	}
	r.Txs = int64(len(workers)) * int64(cfg.Transactions)
	r.Ops = r.Txs * int64(cfg.OpsPerTx)
	if elapsed > 0 {
		r.OpsPerSec = float64(r.Ops) / elapsed.Seconds()
		r.TxPerSec = float64(r.Txs) / elapsed.Seconds()
	}
	r.P50us, r.P99us, r.P999us = all.ValueAtQuantile(50), all.ValueAtQuantile(99), all.ValueAtQuantile(99.9)
	return r
}

// newHistogram records 1 µs to 100 s with 3 significant digits.
func newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(1, 100_000_000, 3) }

// TextHeader and TextLine print results as aligned text.
func TextHeader(w io.Writer) {
	fmt.Fprintf(w, "%-10s %4s %12s %12s %14s %12s %9s %9s %9s\n",
		"phase", "loop", "ops", "seconds", "ops/s", "tx/s", "p50 µs", "p99 µs", "p999 µs")
}

// TextLine prints one result as an aligned line.
func TextLine(w io.Writer, r Result) {
	fmt.Fprintf(w, "%-10s %4d %12d %12.3f %14.0f %12.0f %9d %9d %9d\n",
		r.Phase, r.Loop, r.Ops, r.Seconds, r.OpsPerSec, r.TxPerSec, r.P50us, r.P99us, r.P999us)
	if r.Errors > 0 {
		fmt.Fprintf(w, "  %d errors; first: %s\n", r.Errors, r.FirstError)
	}
}

// JSONLine prints one result as a JSON object on its own line.
func JSONLine(w io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
