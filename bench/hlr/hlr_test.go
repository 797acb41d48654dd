package hlr

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/schema"
)

// memDriver keeps subscribers in maps: the runner's test backend. A
// location update of subscriber failOn fails.
type memDriver struct {
	mu     sync.Mutex
	byIMSI map[uint64]string
	failOn uint64
}

func (d *memDriver) Load(_ context.Context, n uint64, progress func(uint64)) error {
	d.byIMSI = map[uint64]string{}
	for i := uint64(0); i < n; i++ {
		d.byIMSI[IMSI(i)] = MSISDN(i)
		if i%100 == 99 {
			progress(i + 1)
		}
	}
	progress(n)
	return nil
}

func (d *memDriver) NewWorker(context.Context, int) (Worker, error) { return d, nil }
func (d *memDriver) Close() error                                   { return nil }

func (d *memDriver) Run(_ context.Context, txs []Tx, done func(int, time.Duration, error)) error {
	for i, tx := range txs {
		d.mu.Lock()
		_, ok := d.byIMSI[IMSI(tx.Subscriber)]
		d.mu.Unlock()
		var err error
		switch {
		case !ok:
			err = errors.New("no such subscriber")
		case tx.Type == LocationUpdate && tx.Subscriber == d.failOn:
			err = errors.New("injected failure")
		}
		done(i, 3*time.Microsecond, err)
	}
	return nil
}

func TestTableIsValid(t *testing.T) {
	l, err := schema.NewLayout(Table(5))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.NewUniqueIndex(l, MSISDNIndex, 1<<31|5<<8); err != nil {
		t.Fatal(err)
	}
	if IMSI(1) == IMSI(2) || MSISDN(1) == MSISDN(2) || len(MSISDN(999_999)) > 15 {
		t.Fatal("identities collide or are too long")
	}
}

func TestRunMix(t *testing.T) {
	d := &memDriver{failOn: ^uint64(0)}
	var last uint64
	if err := d.Load(context.Background(), 1000, func(n uint64) { last = n }); err != nil || last != 1000 {
		t.Fatalf("load: %v, progress %d", err, last)
	}
	cfg := Config{Subscribers: 1000, Threads: 2, InFlight: 50, Mix: DefaultMix, Duration: 50 * time.Millisecond, Seed: 1}
	r, err := Run(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Txs < 1000 || len(r.Types) != int(numTypes) {
		t.Fatalf("result %+v", r)
	}
	for i, tr := range r.Types {
		share := float64(tr.Txs) / float64(r.Txs) * 100
		if want := float64(DefaultMix[i]); share < want-3 || share > want+3 || tr.Errors != 0 {
			t.Errorf("%s: %.1f%% of transactions, want about %.0f%%; %d errors", tr.Type, share, want, tr.Errors)
		}
	}
	var buf bytes.Buffer
	WriteText(&buf, r)
	if !strings.Contains(buf.String(), "location-update") || !strings.Contains(buf.String(), "all ") {
		t.Fatalf("text:\n%s", buf.String())
	}
}

func TestRunCountsErrors(t *testing.T) {
	d := &memDriver{failOn: 3}
	d.Load(context.Background(), 10, func(uint64) {})
	r, err := Run(context.Background(), d, Config{Subscribers: 10, Threads: 1, InFlight: 20, Mix: Mix{LocationUpdate: 100},
		Duration: 20 * time.Millisecond, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	lu := r.Types[LocationUpdate]
	if lu.Errors == 0 || !strings.Contains(lu.FirstErr, "subscriber 3") {
		t.Fatalf("location updates %+v: the failures of subscriber 3 are not counted", lu)
	}
}

func TestValidate(t *testing.T) {
	good := Config{Subscribers: 1, Threads: 1, InFlight: 1, Mix: DefaultMix, Duration: time.Second}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"subscribers", func(c *Config) { c.Subscribers = 0 }, "subscribers"},
		{"threads", func(c *Config) { c.Threads = 0 }, "threads"},
		{"rate", func(c *Config) { c.Rate = -1 }, "rate"},
		{"duration", func(c *Config) { c.Duration = 0 }, "duration"},
		{"mix sum", func(c *Config) { c.Mix = Mix{LocationUpdate: 50} }, "add up to 50%"},
		{"mix negative", func(c *Config) { c.Mix = Mix{LocationUpdate: 110, CallRouting: -10} }, "negative"},
	} {
		c := good
		tt.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestIdentities(t *testing.T) {
	cases := []struct {
		i      uint64
		msisdn string
	}{{0, "4670000000000"}, {1, "4670000000001"}, {999_999, "4670000999999"}}
	for _, c := range cases {
		if got := MSISDN(c.i); got != c.msisdn {
			t.Errorf("MSISDN(%d) = %q, want %q", c.i, got, c.msisdn)
		}
		if IMSI(c.i) != 240_07_0000000000+c.i {
			t.Errorf("IMSI(%d) = %d", c.i, IMSI(c.i))
		}
	}
	if got := string(AppendAddress(nil, 42)); got != "46700000042" {
		t.Errorf("AppendAddress(42) = %q", got)
	}
	buf := make([]byte, 0, 32)
	if n := testing.AllocsPerRun(100, func() { buf = AppendMSISDN(buf[:0], 12345) }); n != 0 {
		t.Errorf("AppendMSISDN allocates %v times", n)
	}
}

func TestParseMix(t *testing.T) {
	cases := []struct {
		in      string
		want    Mix
		wantErr string
	}{
		{in: DefaultMix.String(), want: DefaultMix},
		{in: "location-update=100", want: Mix{LocationUpdate: 100}},
		{in: "call-routing=50, profile-read=50", want: Mix{CallRouting: 50, ProfileRead: 50}},
		{in: "location-update=50", wantErr: "add up to 50%"},
		{in: "roaming=100", wantErr: "unknown transaction type"},
		{in: "location-update", wantErr: "TYPE=PERCENT"},
		{in: "location-update=x", wantErr: "whole percentage"},
		{in: "location-update=50,location-update=50", wantErr: "given twice"},
		{in: "location-update=120,call-routing=-20", wantErr: "negative"},
	}
	for _, c := range cases {
		got, err := ParseMix(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseMix(%q) error %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseMix(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
