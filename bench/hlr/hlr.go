package hlr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/gondb/gondb/schema"
)

// Columns of the subscriber table.
const (
	ColIMSI = iota
	ColMSISDN
	ColVLR
	ColMSC
	ColLocationArea
	ColServiceProfile
	ColStatus
	ColSMSCentre
	ColUpdated
)

// Table is the subscriber table; id is its table id.
func Table(id uint32) *schema.Table {
	return &schema.Table{
		ID: id, Name: "subscriber", Version: 1, PrimaryKey: []int{ColIMSI},
		Columns: []schema.Column{
			{Name: "imsi", Type: schema.TypeBigInt, Unsigned: true},
			{Name: "msisdn", Type: schema.TypeVarchar, Length: 15},
			{Name: "vlr_address", Type: schema.TypeVarchar, Length: 20},
			{Name: "msc_address", Type: schema.TypeVarchar, Length: 20},
			{Name: "location_area", Type: schema.TypeInt, Unsigned: true},
			{Name: "service_profile", Type: schema.TypeInt, Unsigned: true},
			{Name: "status", Type: schema.TypeTinyInt, Unsigned: true},
			{Name: "sms_centre", Type: schema.TypeVarchar, Length: 20},
			{Name: "updated", Type: schema.TypeBigInt},
		},
		Indexes: []schema.Index{{Name: "msisdn", Kind: schema.IndexUniqueHash, Columns: []int{ColMSISDN}}},
	}
}

// MSISDNIndex is the unique index's position in Table's Indexes.
const MSISDNIndex = 0

// Subscriber i's identities: IMSIs and MSISDNs are distinct for distinct
// i and look like real ones (MCC 240, MNC 07; country code 46).
func IMSI(i uint64) uint64   { return 240_07_0000000000 + i }
func MSISDN(i uint64) string { return string(AppendMSISDN(nil, i)) }

// AppendMSISDN appends subscriber i's MSISDN to dst without allocating
// (when dst has room): "46" and eleven digits.
func AppendMSISDN(dst []byte, i uint64) []byte {
	return appendDigits(append(dst, '4', '6'), 70_000_000_000+i, 11)
}

// appendDigits appends v as exactly n decimal digits (zero-padded,
// truncated to the low n digits).
func appendDigits(dst []byte, v uint64, n int) []byte {
	start := len(dst)
	for range n {
		dst = append(dst, 0)
	}
	for i := len(dst) - 1; i >= start; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
	return dst
}

// AppendAddress appends an E.164-style network element address (a VLR or
// MSC number) for element e: "4670" and seven digits.
func AppendAddress(dst []byte, e uint64) []byte {
	return appendDigits(append(dst, '4', '6', '7', '0'), e, 7)
}

// TxType is one kind of HLR transaction.
type TxType int

// The transaction types.
const (
	LocationUpdate TxType = iota
	CallRouting
	SMSRouting
	ProfileRead
	numTypes
)

var typeNames = [numTypes]string{"location-update", "call-routing", "sms-routing", "profile-read"}

func (t TxType) String() string {
	if t >= 0 && t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("TxType(%d)", int(t))
}

// Mix is the share of each transaction type, in percent (sums to 100).
type Mix [numTypes]int

// DefaultMix is a typical HLR: location updates dominate writes, call
// routing dominates reads.
var DefaultMix = Mix{LocationUpdate: 40, CallRouting: 40, SMSRouting: 10, ProfileRead: 10}

// Validate checks that the shares are non-negative and sum to 100.
func (m Mix) Validate() error {
	sum := 0
	for t, p := range m {
		if p < 0 {
			return fmt.Errorf("mix: %s has a negative share %d", TxType(t), p)
		}
		sum += p
	}
	if sum != 100 {
		return fmt.Errorf("mix: shares add up to %d%%, want 100%%", sum)
	}
	return nil
}

// pick chooses a type from a uniform draw in [0,100).
func (m Mix) pick(x int) TxType {
	for t, p := range m {
		if x < p {
			return TxType(t)
		}
		x -= p
	}
	return numTypes - 1
}

// Config is a run.
type Config struct {
	Subscribers uint64        // loaded before the run
	Threads     int           // workers, each with its own Worker
	InFlight    int           // transactions in flight per thread
	Mix         Mix           // transaction shares
	Rate        float64       // target transactions per second over all threads; 0: flat out
	Duration    time.Duration // how long the mix runs
	Seed        uint64
}

// Validate reports a config that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Subscribers < 1:
		return errors.New("subscribers must be at least 1")
	case c.Threads < 1 || c.InFlight < 1:
		return fmt.Errorf("threads (%d) and in-flight transactions (%d) must be at least 1", c.Threads, c.InFlight)
	case c.Rate < 0:
		return fmt.Errorf("rate %v must not be negative", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("duration %v must be positive", c.Duration)
	}
	return c.Mix.Validate()
}

// Tx is one transaction to run: its type and subscriber.
type Tx struct {
	Type       TxType
	Subscriber uint64
}

// Worker runs transactions for one thread.
type Worker interface {
	// Run runs txs concurrently and calls done once per transaction.
	Run(ctx context.Context, txs []Tx, done func(i int, latency time.Duration, err error)) error
	Close() error
}

// Driver loads the subscribers and makes Workers.
type Driver interface {
	// Load creates the table and inserts subscribers [0, n), reporting
	// progress (rows loaded so far) now and then.
	Load(ctx context.Context, n uint64, progress func(loaded uint64)) error
	NewWorker(ctx context.Context, thread int) (Worker, error)
}

// TypeResult is one transaction type's figures.
type TypeResult struct {
	Type     string  `json:"type"`
	Txs      int64   `json:"transactions"`
	Errors   int64   `json:"errors"`
	TxPerSec float64 `json:"tx_per_sec"`
	P50us    int64   `json:"p50_us"`
	P99us    int64   `json:"p99_us"`
	P999us   int64   `json:"p999_us"`
	FirstErr string  `json:"first_error,omitempty"`
}

// Result is a run's figures.
type Result struct {
	Seconds  float64      `json:"seconds"`
	Txs      int64        `json:"transactions"`
	TxPerSec float64      `json:"tx_per_sec"`
	Types    []TypeResult `json:"types"`
}

// pacingTick is how often a paced thread sends what arrived meanwhile.
const pacingTick = 500 * time.Microsecond

// Run runs the mix for cfg.Duration (after the load, which the caller
// does with Driver.Load) and returns the figures.
func Run(ctx context.Context, d Driver, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	workers := make([]Worker, cfg.Threads)
	for i := range workers {
		w, err := d.NewWorker(ctx, i)
		if err != nil {
			for _, o := range workers[:i] {
				o.Close()
			}
			return Result{}, fmt.Errorf("thread %d: %w", i, err)
		}
		workers[i] = w
	}
	defer func() {
		for _, w := range workers {
			w.Close()
		}
	}()
	type counts struct {
		hist  [numTypes]*hdrhistogram.Histogram
		errs  [numTypes]int64
		first [numTypes]string
		err   error
	}
	per := make([]counts, cfg.Threads)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			c := &per[i]
			for t := range c.hist {
				c.hist[t] = hdrhistogram.New(1, 100_000_000, 3)
			}
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
			txs := make([]Tx, cfg.InFlight)
			// Paced: transactions arrive at the thread's share of the rate;
			// every pacingTick the ones that arrived since the last batch go
			// out together (at most InFlight), as requests reach an HLR
			// front end one by one rather than in large bursts.
			perThread := cfg.Rate / float64(cfg.Threads)
			credit, last := 0.0, time.Now()
			for runCtx.Err() == nil {
				n := len(txs)
				if cfg.Rate > 0 {
					now := time.Now()
					credit = min(credit+perThread*now.Sub(last).Seconds(), float64(len(txs)))
					last = now
					if n = int(credit); n == 0 {
						select {
						case <-time.After(pacingTick):
						case <-runCtx.Done():
						}
						continue
					}
					credit -= float64(n)
				}
				batch := txs[:n]
				for j := range batch {
					batch[j] = Tx{Type: cfg.Mix.pick(rng.IntN(100)), Subscriber: rng.Uint64N(cfg.Subscribers)}
				}
				err := w.Run(runCtx, batch, func(j int, lat time.Duration, err error) {
					t := batch[j].Type
					if err != nil {
						if runCtx.Err() != nil {
							return // cut off by the end of the run
						}
						if c.errs[t]++; c.first[t] == "" {
							c.first[t] = fmt.Sprintf("subscriber %d: %v", batch[j].Subscriber, err)
						}
						return
					}
					c.hist[t].RecordValue(max(lat.Microseconds(), 1))
				})
				if err != nil && runCtx.Err() == nil {
					c.err = err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	res := Result{Seconds: elapsed}
	for t := TxType(0); t < numTypes; t++ {
		h := hdrhistogram.New(1, 100_000_000, 3)
		tr := TypeResult{Type: t.String()}
		for i := range per {
			h.Merge(per[i].hist[t])
			tr.Errors += per[i].errs[t]
			if tr.FirstErr == "" {
				tr.FirstErr = per[i].first[t]
			}
		}
		tr.Txs = h.TotalCount()
		tr.TxPerSec = float64(tr.Txs) / elapsed
		tr.P50us, tr.P99us, tr.P999us = h.ValueAtQuantile(50), h.ValueAtQuantile(99), h.ValueAtQuantile(99.9)
		res.Txs += tr.Txs
		res.Types = append(res.Types, tr)
	}
	res.TxPerSec = float64(res.Txs) / elapsed
	for i := range per {
		if per[i].err != nil {
			return res, fmt.Errorf("thread %d: %w", i, per[i].err)
		}
	}
	return res, nil
}

// WriteText prints a result as an aligned table.
func WriteText(w io.Writer, r Result) {
	fmt.Fprintf(w, "%-16s %12s %12s %9s %9s %9s %8s\n", "type", "transactions", "tx/s", "p50 µs", "p99 µs", "p999 µs", "errors")
	for _, t := range r.Types {
		fmt.Fprintf(w, "%-16s %12d %12.0f %9d %9d %9d %8d\n", t.Type, t.Txs, t.TxPerSec, t.P50us, t.P99us, t.P999us, t.Errors)
	}
	fmt.Fprintf(w, "%-16s %12d %12.0f   (%.1f s)\n", "all", r.Txs, r.TxPerSec, r.Seconds)
}

// ParseMix reads a mix such as "location-update=40,call-routing=40,
// sms-routing=10,profile-read=10"; types left out get 0. The shares must
// add up to 100.
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := [numTypes]bool{}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Mix{}, fmt.Errorf("mix: %q is not TYPE=PERCENT", part)
		}
		t := TxType(-1)
		for i, n := range typeNames {
			if n == name {
				t = TxType(i)
			}
		}
		if t < 0 {
			return Mix{}, fmt.Errorf("mix: unknown transaction type %q (%s)", name, strings.Join(typeNames[:], ", "))
		}
		if seen[t] {
			return Mix{}, fmt.Errorf("mix: %s given twice", name)
		}
		seen[t] = true
		p, err := strconv.Atoi(val)
		if err != nil {
			return Mix{}, fmt.Errorf("mix: %s: %q is not a whole percentage", name, val)
		}
		m[t] = p
	}
	return m, m.Validate()
}

// String writes the mix as ParseMix reads it.
func (m Mix) String() string {
	parts := make([]string, 0, numTypes)
	for t, p := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", TxType(t), p))
	}
	return strings.Join(parts, ",")
}
