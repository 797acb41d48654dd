package flexasync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// memDriver keeps rows in a map: the runner's test backend. corrupt makes
// the update phase write a wrong value for that key.
type memDriver struct {
	mu      sync.Mutex
	rows    map[uint64][]uint32
	corrupt uint64
	cfg     Config
}

func (d *memDriver) Prepare(_ context.Context, cfg Config) error {
	d.rows, d.cfg = map[uint64][]uint32{}, cfg
	return nil
}

func (d *memDriver) NewWorker(context.Context, Config, int) (Worker, error) { return d, nil }
func (d *memDriver) Close() error                                           { return nil }

func (d *memDriver) Run(_ context.Context, b Batch, done func(int, time.Duration, error)) error {
	n := d.cfg.Attributes * d.cfg.AttrWords
	for tx := 0; tx < b.Txs; tx++ {
		var err error
		d.mu.Lock()
		for op := 0; op < b.OpsPerTx && err == nil; op++ {
			k := b.Key(tx, op)
			row, ok := d.rows[k]
			switch b.Phase {
			case Insert, Update:
				if ok == (b.Phase == Insert) {
					err = fmt.Errorf("key %d: exists=%v", k, ok)
					break
				}
				row = make([]uint32, n)
				for a := 0; a < d.cfg.Attributes; a++ {
					for w := 0; w < d.cfg.AttrWords; w++ {
						row[a*d.cfg.AttrWords+w] = Value(k, a, w, b.Phase.Generation())
					}
				}
				if k == d.corrupt && b.Phase == Update {
					row[0]++
				}
				d.rows[k] = row
			case Read, ReadAgain:
				if !ok {
					err = fmt.Errorf("key %d: no row", k)
					break
				}
				for a := 0; a < d.cfg.Attributes; a++ {
					for w := 0; w < d.cfg.AttrWords; w++ {
						if got, want := row[a*d.cfg.AttrWords+w], Value(k, a, w, b.Phase.Generation()); got != want {
							err = fmt.Errorf("key %d attribute %d word %d: got %d, want %d", k, a, w, got, want)
						}
					}
				}
			case Delete:
				if !ok {
					err = fmt.Errorf("key %d: no row", k)
				}
				delete(d.rows, k)
			}
		}
		d.mu.Unlock()
		done(tx, time.Microsecond, err)
	}
	return nil
}

func TestRunAllPhases(t *testing.T) {
	cfg := Config{Threads: 3, Parallel: 7, OpsPerTx: 4, Attributes: 5, AttrWords: 2, Loops: 2, Transactions: 50, Table: "t"}
	d := &memDriver{corrupt: ^uint64(0)}
	var got []Result
	if err := Run(context.Background(), d, cfg, func(r Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*len(Phases) {
		t.Fatalf("%d results, want %d", len(got), 2*len(Phases))
	}
	for i, r := range got {
		if r.Phase != Phases[i%len(Phases)] || r.Loop != i/len(Phases) {
			t.Fatalf("result %d is %s loop %d", i, r.Phase, r.Loop)
		}
		if r.Txs != 150 || r.Ops != 600 || r.Errors != 0 || r.OpsPerSec <= 0 || r.P50us < 1 {
			t.Fatalf("result %+v", r)
		}
	}
	if len(d.rows) != 0 {
		t.Fatalf("%d rows left after delete", len(d.rows))
	}
}

// --phases insert,read runs only those and leaves the rows in the table.
func TestRunSomePhases(t *testing.T) {
	phases, err := ParsePhases("insert, read")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePhases("insert,drop"); err == nil || !strings.Contains(err.Error(), `"drop"`) {
		t.Fatalf("ParsePhases(insert,drop): %v", err)
	}
	cfg := Config{Threads: 2, Parallel: 3, OpsPerTx: 2, Attributes: 2, AttrWords: 1, Loops: 1, Transactions: 10, Table: "t", Phases: phases}
	d := &memDriver{corrupt: ^uint64(0)}
	var got []Phase
	if err := Run(context.Background(), d, cfg, func(r Result) { got = append(got, r.Phase) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != Insert || got[1] != Read || len(d.rows) != 40 {
		t.Fatalf("ran %v, %d rows left; want insert, read and 40 rows", got, len(d.rows))
	}
}

func TestReadCheckFails(t *testing.T) {
	cfg := Config{Threads: 2, Parallel: 4, OpsPerTx: 2, Attributes: 3, AttrWords: 1, Loops: 1, Transactions: 10, Table: "t"}
	d := &memDriver{corrupt: 13}
	var got []Result
	err := Run(context.Background(), d, cfg, func(r Result) { got = append(got, r) })
	if !errors.Is(err, ErrPhaseFailed) {
		t.Fatalf("err %v, want ErrPhaseFailed", err)
	}
	last := got[len(got)-1]
	if last.Phase != ReadAgain || last.Errors != 1 || !strings.Contains(last.FirstError, "key 13") {
		t.Fatalf("last result %+v", last)
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"threads", func(c *Config) { c.Threads = 0 }, "-t 0"},
		{"parallel", func(c *Config) { c.Parallel = 0 }, "-p 0"},
		{"ops", func(c *Config) { c.OpsPerTx = 0 }, "-o 0"},
		{"attributes", func(c *Config) { c.Attributes = 0 }, "-a 0"},
		{"size", func(c *Config) { c.AttrWords = 0 }, "-s 0"},
		{"loops", func(c *Config) { c.Loops = -1 }, "-l -1"},
		{"transactions", func(c *Config) { c.Transactions = 0 }, "--transactions 0"},
		{"table", func(c *Config) { c.Table = "" }, "table name"},
		{"phase", func(c *Config) { c.Phases = []Phase{"insert", "scan"} }, `unknown phase "scan"`},
	} {
		c := ok
		tt.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestOutput(t *testing.T) {
	r := Result{Phase: Read, Ops: 1 << 40, Txs: 1 << 38, Seconds: 2, OpsPerSec: float64(1<<40) / 2, P50us: 12, P99us: 90, P999us: 400}
	var buf bytes.Buffer
	if err := JSONLine(&buf, r); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"phase", "ops", "seconds", "ops_per_sec", "p99_us"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON line lacks %q: %s", k, buf.String())
		}
	}
	if m["ops"].(float64) != float64(1<<40) {
		t.Errorf("ops %v: counters must be 64-bit", m["ops"])
	}
	buf.Reset()
	TextHeader(&buf)
	TextLine(&buf, r)
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "1099511627776") {
		t.Fatalf("text output:\n%s", buf.String())
	}
}

func TestValuesDiffer(t *testing.T) {
	seen := map[uint32]bool{}
	for k := uint64(0); k < 100; k++ {
		for gen := uint32(0); gen < 2; gen++ {
			seen[Value(k, 3, 0, gen)] = true
		}
	}
	if len(seen) < 195 {
		t.Fatalf("only %d distinct values of 200: a read could not tell generations apart", len(seen))
	}
}
