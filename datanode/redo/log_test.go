package redo

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// rowSizes covers empty rows, deletes (-1), rows around a page's payload
// and rows over two pages.
var rowSizes = []int{-1, 0, 1, 7, 100, 1000, PagePayload - RecordHeaderSize - 16, PagePayload, PagePayload + 1, 40000, 70000}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name      string
		files     int
		filePages int64
		bufPages  int
		records   int
		syncEvery int
		sizes     []int
	}{
		{"small records", 4, 8, 16, 3000, 50, []int{-1, 0, 1, 20, 100, 300}},
		{"page-sized records", 4, 8, 16, 300, 7, rowSizes},
		{"many laps, tiny files", 3, 4, 8, 2000, 25, []int{-1, 0, 10, 100, 1000, 5000, 40000}},
		{"headers across pages", 2, 4, 4, 4000, 100, []int{PagePayload/3 - RecordHeaderSize - 5, 3, 11}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.records > 2000 {
				tc.records = 2000
			}
			dir := t.TempDir()
			cfg := DefaultTestConfig(dir, 3)
			cfg.Files, cfg.FileSize, cfg.BufferSize = tc.files, tc.filePages*PageSize, tc.bufPages*PageSize
			cfg.Margin = PageSize
			l := openTest(t, cfg)
			a := &appender{t: t, l: l}
			rng := rand.New(rand.NewPCG(1, uint64(tc.records)))
			gci := uint64(10)
			for i := 0; i < tc.records; i++ {
				if i%(tc.syncEvery/2+1) == 0 {
					gci++
				}
				a.add(genRecord(rng, i, gci, tc.sizes[rng.IntN(len(tc.sizes))]))
				if i%tc.syncEvery == tc.syncEvery-1 {
					a.sync(gci)
				}
			}
			laps := float64(l.Head()) / float64(l.r.size)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if laps < 2 && tc.name != "small records" {
				t.Errorf("only %.1f laps of the ring", laps)
			}
			got, tail, err := scanAll(t, dir, 3, 0, 0, math.MaxUint64)
			if err != nil {
				t.Fatal(err)
			}
			checkSame(t, got, expect(a.model, tail, 0, 0, math.MaxUint64))
			if len(got) == 0 {
				t.Fatal("nothing read back")
			}
			// GCI filters and a start LSN in the middle.
			mid := a.model[len(a.model)-len(got)/2]
			for _, f := range []struct{ from, lo, hi uint64 }{
				{0, gci - 3, gci - 1},
				{0, 0, gci - 2},
				{mid.lsn, 0, math.MaxUint64},
				{mid.lsn - 1, mid.r.GCI, mid.r.GCI},
			} {
				got, tail, err := scanAll(t, dir, 3, f.from, f.lo, f.hi)
				if err != nil {
					t.Fatal(err)
				}
				checkSame(t, got, expect(a.model, tail, f.from, f.lo, f.hi))
			}
		})
	}
}

func TestReopenContinues(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultTestConfig(dir, 0)
	cfg.FileSize = 64 * PageSize
	var all []Record
	rng := rand.New(rand.NewPCG(2, 2))
	for round := 0; round < 4; round++ {
		l := openTest(t, cfg)
		if l.gen != uint32(round+2) { // creation is generation 1, each Open adds one
			t.Fatalf("round %d: generation %d", round, l.gen)
		}
		a := &appender{t: t, l: l}
		for i := 0; i < 30; i++ {
			a.add(genRecord(rng, i, uint64(100*round+i), rowSizes[rng.IntN(len(rowSizes))]))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if a.overloads != 0 {
			t.Fatal("the ring filled up")
		}
		for _, m := range a.model {
			all = append(all, m.r)
		}
	}
	got, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64)
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, got, all)
	// OpenInitial wipes.
	l, err := OpenInitial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u := l.Usage(); u.Used != 0 || u.Head != 0 {
		t.Fatalf("after OpenInitial: %+v", u)
	}
	l.Close()
	if got, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64); err != nil || len(got) != 0 {
		t.Fatalf("after OpenInitial: %d records, %v", len(got), err)
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultTestConfig(dir, 1)
	l := openTest(t, cfg)
	l.Close()
	other := cfg
	other.Files++
	if _, err := Open(other); err == nil {
		t.Error("Open with another file count succeeded")
	}
	other = cfg
	other.FileSize *= 2
	if _, err := Open(other); err == nil {
		t.Error("Open with another file size succeeded")
	}
	if _, err := OpenReader(dir, 7); !errors.Is(err, ErrNoLog) {
		t.Errorf("OpenReader of a missing part: %v", err)
	}
}

func TestSyncSemantics(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, DefaultTestConfig(dir, 0))
	defer l.Close()
	r := Record{GCI: 5, Op: OpPut, Key: []byte("k"), Row: make([]byte, 100)}
	if err := l.Append(&r); err != nil {
		t.Fatal(err)
	}
	// Nothing of GCI 4 or older: no page is cut, nothing waits.
	h0 := l.Head()
	if err := l.Sync(4); err != nil {
		t.Fatal(err)
	}
	if h := l.Head(); h != h0 || l.Usage().Synced != 0 {
		t.Fatalf("Sync(4) cut the page: head %d -> %d, synced %d", h0, h, l.Usage().Synced)
	}
	if err := l.Sync(5); err != nil {
		t.Fatal(err)
	}
	u := l.Usage()
	if u.Synced != PageSize || u.Head != PageSize {
		t.Fatalf("Sync(5): %+v, want head and synced at the next page", u)
	}
	// A second Sync has nothing to do.
	if err := l.Sync(5); err != nil || l.Head() != PageSize {
		t.Fatalf("second Sync: %v, head %d", err, l.Head())
	}
	// Records of a newer GCI appended after the cut are not waited for.
	r.GCI = 6
	l.Append(&r)
	if err := l.Sync(5); err != nil || l.Usage().Synced != PageSize {
		t.Fatalf("Sync(5) after a GCI 6 append: %v %+v", err, l.Usage())
	}
	rd, err := OpenReader(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Synced() != PageSize || rd.SyncedGCI() != 5 {
		t.Errorf("metadata: synced %d gci %d", rd.Synced(), rd.SyncedGCI())
	}
	rd.Close()
}

func TestOverload(t *testing.T) {
	t.Run("ring 410", func(t *testing.T) {
		dir := t.TempDir()
		cfg := DefaultTestConfig(dir, 0)
		cfg.Files, cfg.FileSize, cfg.Margin = 2, 4*PageSize, 2*PageSize
		l := openTest(t, cfg)
		r := Record{GCI: 1, Op: OpPut, Key: []byte("key"), Row: make([]byte, 3000)}
		var n int
		var err error
		for n = 0; n < 1000; n++ {
			r.GCI = uint64(n)
			if err = l.Append(&r); err != nil {
				break
			}
		}
		var e *Error
		if !errors.Is(err, ErrLogOverloaded) || !errors.As(err, &e) || e.Code() != 410 || !e.Temporary() {
			t.Fatalf("after %d appends: %v", n, err)
		}
		u := l.Usage()
		if u.Used+uint64(cfg.Margin) > u.Size || l.FillRatio() < 0.9 {
			t.Fatalf("usage at 410: %+v fill %.2f", u, l.FillRatio())
		}
		head := l.Head()
		if l.Append(&r) == nil || l.Head() != head {
			t.Fatal("a refused append changed the head")
		}
		if err := l.Sync(math.MaxUint64); err != nil {
			t.Fatal(err)
		}
		// Everything is still readable: the tail was not overwritten.
		got, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64)
		if err != nil || len(got) != n {
			t.Fatalf("read back %d of %d: %v", len(got), n, err)
		}
		l.ReleaseBefore(l.Head())
		for i := 0; i < 3*n; i++ { // laps again, the tail persisted on the way
			r.GCI = uint64(n + i)
			if err := l.Append(&r); err != nil {
				t.Fatalf("append %d after ReleaseBefore: %v", i, err)
			}
			if i%n == n/2 {
				l.Sync(math.MaxUint64)
				l.ReleaseBefore(l.Head())
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("buffer 1221", func(t *testing.T) {
		cfg := DefaultTestConfig(t.TempDir(), 0)
		cfg.BufferSize = 4 * PageSize
		l := openTest(t, cfg)
		defer l.Close()
		l.pause(true)
		r := Record{GCI: 1, Op: OpPut, Key: []byte("key"), Row: make([]byte, 5000)}
		var err error
		n := 0
		for ; n < 100 && err == nil; n++ {
			err = l.Append(&r)
		}
		var e *Error
		if !errors.Is(err, ErrBufferOverloaded) || !errors.As(err, &e) || e.Code() != 1221 || !e.Temporary() {
			t.Fatalf("after %d appends: %v", n, err)
		}
		if n < 20 || l.Head() > 4*PageSize {
			t.Fatalf("1221 after %d appends, head %d", n, l.Head())
		}
		l.pause(false)
		if err := l.Sync(math.MaxUint64); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(&r); err != nil {
			t.Fatalf("append after the writer drained: %v", err)
		}
	})
	t.Run("bad records", func(t *testing.T) {
		cfg := DefaultTestConfig(t.TempDir(), 0)
		l := openTest(t, cfg)
		defer l.Close()
		for _, r := range []Record{
			{Op: 0, Key: []byte("k")},
			{Op: OpDelete, Key: []byte("k"), Row: []byte("x")},
			{Op: OpPut, Key: make([]byte, MaxKeySize+1)},
		} {
			if err := l.Append(&r); !errors.Is(err, ErrBadRecord) {
				t.Errorf("op %d key %d row %d: %v", r.Op, len(r.Key), len(r.Row), err)
			}
		}
		big := Record{Op: OpPut, Row: make([]byte, cfg.BufferSize)}
		if err := l.Append(&big); !errors.Is(err, ErrRecordTooLarge) {
			t.Errorf("big record: %v", err)
		}
		if l.Head() != 0 {
			t.Error("refused records moved the head")
		}
	})
}

func TestAppendAllocs(t *testing.T) {
	cfg := DefaultTestConfig(t.TempDir(), 0)
	cfg.Files, cfg.FileSize = 4, 64*PageSize
	l := openTest(t, cfg)
	defer l.Close()
	r := Record{GCI: 1, Op: OpPut, Key: []byte("0123456789abcdef"), Row: make([]byte, 1000)}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := l.Append(&r); err != nil {
			l.Sync(math.MaxUint64)
			l.ReleaseBefore(l.Head())
		}
	})
	if allocs != 0 {
		t.Fatalf("Append allocates %.1f times", allocs)
	}
}

// TestConcurrentSync runs an appender and a GCP-like syncer at once (run
// with -race), then crashes and checks every synced GCI is complete.
func TestConcurrentSync(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultTestConfig(dir, 0)
	cfg.Files, cfg.FileSize = 4, 64*PageSize
	l := openTest(t, cfg)
	const perGCI = 40
	gcis := 40
	if testing.Short() {
		gcis = 20
	}
	// The appender (LDM) reports each GCI complete; the syncer (GCP save)
	// syncs it while appends of later GCIs go on.
	complete := make(chan uint64, gcis)
	saved := make(chan uint64)
	go func() {
		var last uint64
		for g := range complete {
			if err := l.Sync(g); err != nil {
				t.Error(err)
			}
			last = g
		}
		saved <- last
	}()
	rng := rand.New(rand.NewPCG(3, 3))
	var model []Record
	for g := uint64(1); g <= uint64(gcis); g++ {
		for i := 0; i < perGCI; i++ {
			r := genRecord(rng, i, g, rng.IntN(2000))
			for {
				err := l.Append(&r)
				if err == nil {
					break
				}
				if !errors.Is(err, ErrBufferOverloaded) {
					t.Fatal(err)
				}
			}
			model = append(model, r)
		}
		complete <- g
	}
	// Some records of a GCI that is never saved.
	for i := 0; i < 10; i++ {
		r := genRecord(rng, i, uint64(gcis)+1, 100)
		l.Append(&r)
	}
	close(complete)
	last := <-saved
	l.crash()
	got, _, err := scanAll(t, dir, 0, 0, 0, last)
	if err != nil {
		t.Fatal(err)
	}
	var want []Record
	for _, r := range model {
		if r.GCI <= last {
			want = append(want, r)
		}
	}
	checkSame(t, got, want)
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig("/x", 0)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultTestConfig("/x", 0).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"no dir", func(c *Config) { c.Dir = "" }},
		{"part", func(c *Config) { c.Part = -1 }},
		{"one file", func(c *Config) { c.Files = 1 }},
		{"file size not pages", func(c *Config) { c.FileSize = 5*PageSize + 1 }},
		{"file too small", func(c *Config) { c.FileSize = PageSize }},
		{"buffer", func(c *Config) { c.BufferSize = 3 * PageSize }},
		{"margin", func(c *Config) { c.Margin = int64(c.Files) * c.FileSize }},
	} {
		c := good
		tc.mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
