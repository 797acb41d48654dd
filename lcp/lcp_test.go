package lcp

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

var codecs = []Codec{CodecNone, CodecZstd, CodecZlib}

func TestRoundTrip(t *testing.T) {
	for _, c := range codecs {
		for _, bs := range []int{4 << 10, 0} {
			t.Run(c.String()+"/block"+itoa(bs), func(t *testing.T) {
				dir := t.TempDir()
				specs := scenario(600, c, bs)
				for i, s := range specs {
					info := writeSpec(t, dir, s)
					if info.Rows+info.Deleted != uint64(len(s.recs)) || info.FileBytes == 0 {
						t.Fatalf("LCP %d: Finish info %+v for %d records", s.p.ID, info.Entry, len(s.recs))
					}
					got, rinfo, err := restore(dir, s.stop)
					if err != nil {
						t.Fatalf("restore after LCP %d: %v", s.p.ID, err)
					}
					sameModel(t, "after LCP "+itoa(int(s.p.ID)), got, s.after)
					if rinfo.ID != s.p.ID || rinfo.StartGCI != s.p.StartGCI {
						t.Fatalf("restore point %d start %d, want %d start %d", rinfo.ID, rinfo.StartGCI, s.p.ID, s.p.StartGCI)
					}
					want := [][]uint64{{1}, {1, 2}, {1, 2, 3}, {4}, {4, 5}}[i]
					if ids := chainIDs(rinfo); !slices.Equal(ids, want) {
						t.Fatalf("chain %v, want %v", ids, want)
					}
					if len(rinfo.Skipped) != 0 {
						t.Fatalf("skipped %+v", rinfo.Skipped)
					}
					vi, err := VerifyFile(dataPath(dir, s.p.ID))
					e := vi.Entry
					e.StopGCI = s.stop // the file does not know it; the control file does
					if err != nil || e != info.Entry || vi.Table != 7 || vi.Fragment != 3 {
						t.Fatalf("VerifyFile: %+v, %v; want %+v", e, err, info.Entry)
					}
				}
			})
		}
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestMaxGCISelection(t *testing.T) {
	dir := t.TempDir()
	specs := scenario(200, CodecZstd, 0)
	writeAll(t, dir, specs)
	// Stop GCIs: 12, 15, 18, 21, 23.
	tests := []struct {
		maxGCI  uint64
		point   uint64
		chain   []uint64
		skipped int
	}{
		{100, 5, []uint64{4, 5}, 0},
		{23, 5, []uint64{4, 5}, 0},
		{22, 4, []uint64{4}, 1},
		{20, 3, []uint64{1, 2, 3}, 2},
		{17, 2, []uint64{1, 2}, 3},
		{12, 1, []uint64{1}, 4},
	}
	for _, tc := range tests {
		got, info, err := restore(dir, tc.maxGCI)
		if err != nil {
			t.Fatalf("maxGCI %d: %v", tc.maxGCI, err)
		}
		if info.ID != tc.point || !slices.Equal(chainIDs(info), tc.chain) || len(info.Skipped) != tc.skipped {
			t.Fatalf("maxGCI %d: point %d chain %v skipped %d, want %d %v %d", tc.maxGCI, info.ID, chainIDs(info),
				len(info.Skipped), tc.point, tc.chain, tc.skipped)
		}
		sameModel(t, "maxGCI "+itoa(int(tc.maxGCI)), got, specs[tc.point-1].after)
	}
	_, info, err := restore(dir, 11)
	if !errors.Is(err, ErrNoUsableLCP) || errors.Is(err, ErrCorruption) || len(info.Skipped) != 5 || !info.OnlyTooNew() {
		t.Fatalf("maxGCI 11: %v, skipped %d, only too new %v", err, len(info.Skipped), info.OnlyTooNew())
	}
	if _, _, err := restore(t.TempDir(), 100); !errors.Is(err, ErrNoLCP) {
		t.Fatalf("empty dir: %v", err)
	}
}

func TestCreateChecks(t *testing.T) {
	dir := t.TempDir()
	specs := scenario(50, CodecZstd, 0)
	writeAll(t, dir, specs[:2])
	base := Params{Table: 7, Fragment: 3, SchemaVersion: 1, Codec: CodecZstd}
	with := func(f func(p *Params)) Params { p := base; f(&p); return p }
	tests := []struct {
		name string
		p    Params
		is   error
	}{
		{"id zero", with(func(p *Params) { p.Kind = Full }), nil},
		{"id not above newest", with(func(p *Params) { p.ID, p.Kind = 2, Full }), nil},
		{"delta without base", with(func(p *Params) { p.ID, p.Kind = 3, Delta }), nil},
		{"delta on old base", with(func(p *Params) { p.ID, p.Kind, p.BaseID = 3, Delta, 1 }), ErrChainChanged},
		{"delta changes schema", with(func(p *Params) { p.ID, p.Kind, p.BaseID, p.SchemaVersion = 3, Delta, 2, 2 }), nil},
		{"bad kind", with(func(p *Params) { p.ID, p.Kind = 3, 9 }), nil},
		{"bad codec", with(func(p *Params) { p.ID, p.Kind, p.Codec = 3, Full, 9 }), nil},
		{"tiny block", with(func(p *Params) { p.ID, p.Kind, p.BlockSize = 3, Full, 100 }), nil},
		{"negative rate", with(func(p *Params) { p.ID, p.Kind, p.MaxBytesPerSec = 3, Full, -1 }), nil},
	}
	for _, tc := range tests {
		w, err := Create(dir, tc.p)
		if err == nil {
			w.Abort()
			t.Fatalf("%s: Create succeeded", tc.name)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.is)
		}
	}
	// A FULL writer refuses deleted keys and empty rows; Finish refuses a
	// stop GCI before the start.
	w, err := Create(dir, with(func(p *Params) { p.ID, p.Kind, p.StartGCI = 3, Full, 30 }))
	if err != nil {
		t.Fatal(err)
	}
	if w.AddDeleted(key(1)) == nil || w.AddRow(nil) == nil {
		t.Fatal("FULL writer took a deleted key or an empty row")
	}
	if _, err := w.Finish(29); err == nil {
		t.Fatal("Finish with stop < start succeeded")
	}
	w.Abort()
	w.Abort()
	if w.AddRow(row(1, 0)) == nil {
		t.Fatal("AddRow after Abort succeeded")
	}
	if _, err := os.Stat(filepath.Join(FragmentDir(dir, 7, 3), tmpFileName(3))); !os.IsNotExist(err) {
		t.Fatalf("Abort left the temp file: %v", err)
	}
	// The chain is untouched: LCP 2 is still the restore point.
	if _, info, err := restore(dir, 100); err != nil || info.ID != 2 {
		t.Fatalf("after abort: point %d, %v", info.ID, err)
	}
}

// Two DELTAs started from the same base: the second to finish must fail,
// since the chain changed under it.
func TestDeltaRaceChainChanged(t *testing.T) {
	dir := t.TempDir()
	specs := scenario(20, CodecNone, 0)
	writeAll(t, dir, specs[:1])
	p := specs[1].p
	w1, err := Create(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	defer w1.Abort()
	p.ID = 3
	w2, err := Create(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Abort()
	w1.AddRow(row(1, 1))
	w2.AddRow(row(1, 2))
	if _, err := w2.Finish(20); err != nil {
		t.Fatal(err)
	}
	if _, err := w1.Finish(21); err == nil {
		t.Fatal("stale DELTA finished")
	}
}

func TestControlTornWrite(t *testing.T) {
	dir := t.TempDir()
	specs := scenario(100, CodecZstd, 0)
	writeAll(t, dir, specs[:3]) // control seq 3 in ctl.1, seq 2 in ctl.0
	fdir := FragmentDir(dir, 7, 3)
	good := fileBytes(t, filepath.Join(fdir, "ctl.1"))
	for _, cut := range []int{0, 1, 20, ctlHeaderSize, ctlHeaderSize + 50, len(good) - 1} {
		if err := os.WriteFile(filepath.Join(fdir, "ctl.1"), good[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := ReadControl(dir, 7, 3)
		if err != nil || c.Seq != 2 || len(c.Entries) != 2 || len(c.Notes) != 1 {
			t.Fatalf("cut %d: seq %d entries %d notes %v: %v", cut, c.Seq, len(c.Entries), c.Notes, err)
		}
		got, info, err := restore(dir, 100)
		if err != nil || info.ID != 2 {
			t.Fatalf("cut %d: restore point %d: %v", cut, info.ID, err)
		}
		sameModel(t, "torn control", got, specs[1].after)
		if len(info.Skipped) != 1 || info.Skipped[0].ID != 0 {
			t.Fatalf("cut %d: skipped %+v", cut, info.Skipped)
		}
	}
	// A DELTA on the lost LCP 3 must not be appended to the older list.
	p := specs[3].p
	p.Kind, p.BaseID, p.ID = Delta, 3, 4
	if _, err := Create(dir, p); !errors.Is(err, ErrChainChanged) {
		t.Fatalf("DELTA on a lost base: %v", err)
	}
	// A FULL repairs the chain and writes over the torn copy.
	p.Kind, p.BaseID = Full, 0
	s := lcpSpec{p: p, stop: 30, recs: nil}
	for k := range uint64(10) {
		s.recs = append(s.recs, rec{RecordRow, row(k, 9)})
	}
	writeSpec(t, dir, s)
	c, err := ReadControl(dir, 7, 3)
	if err != nil || c.Seq != 3 || len(c.Notes) != 0 {
		t.Fatalf("after repair: seq %d notes %v: %v", c.Seq, c.Notes, err)
	}
	// Both copies damaged: no usable LCP, reported as corruption.
	for _, n := range ctlNames {
		b := fileBytes(t, filepath.Join(fdir, n))
		b[10] ^= 0x40
		os.WriteFile(filepath.Join(fdir, n), b, 0o644)
	}
	_, _, err = restore(dir, 100)
	var ce *CorruptError
	if !errors.Is(err, ErrNoUsableLCP) || !errors.As(err, &ce) || ce.File == "" {
		t.Fatalf("both copies bad: %v", err)
	}
	if _, err := Create(dir, Params{Table: 7, Fragment: 3, ID: 9, Kind: Full}); !errors.Is(err, ErrCorruption) {
		t.Fatalf("Create over a damaged control: %v", err)
	}
}

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type step struct {
		at   time.Duration // since t0
		n    int
		wait time.Duration
	}
	tests := []struct {
		name        string
		rate, burst float64
		steps       []step
	}{
		{"unlimited", 0, 0, []step{{0, 1 << 30, 0}, {0, 1 << 30, 0}}},
		{"burst then wait", 1 << 20, 256 << 10, []step{
			{0, 256 << 10, 0},                      // the burst
			{0, 256 << 10, 250 * time.Millisecond}, // 256 KiB at 1 MiB/s
			{250 * time.Millisecond, 512 << 10, 500 * time.Millisecond},
			{time.Hour, 128 << 10, 0}, // refilled, capped at burst
			{time.Hour, 256 << 10, 125 * time.Millisecond},
		}},
	}
	for _, tc := range tests {
		b := bucket{rate: tc.rate, burst: tc.burst}
		for i, s := range tc.steps {
			if got := b.take(s.n, t0.Add(s.at)); got != s.wait {
				t.Fatalf("%s step %d: wait %v, want %v", tc.name, i, got, s.wait)
			}
		}
	}
}

func TestWriterRateLimit(t *testing.T) {
	dir := t.TempDir()
	const rate = 1 << 20
	w, err := Create(dir, Params{Table: 7, Fragment: 3, ID: 1, Kind: Full, Codec: CodecZstd, MaxBytesPerSec: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	clk := &fakeClock{t: time.Unix(1000, 0)}
	w.clk = clk
	var data int
	for k := uint64(0); data < 4*rate; k++ { // 4 s worth at the rate
		r := row(k, 0)
		data += len(r)
		if err := w.AddRow(r); err != nil {
			t.Fatal(err)
		}
	}
	info, err := w.Finish(1)
	if err != nil {
		t.Fatal(err)
	}
	p := w.Progress()
	if p.Sleeps == 0 || int(p.Sleeps) != clk.n || p.Throttled != clk.slept {
		t.Fatalf("progress %+v, clock slept %d times for %v", p, clk.n, clk.slept)
	}
	// The writer spent (data - burst) / rate on the fake clock, within one block.
	burst := float64(max(int64(DefaultBlockSize), rate/10))
	want := time.Duration((float64(info.DataBytes) - burst) / rate * float64(time.Second))
	if d := clk.slept - want; d < -20*time.Millisecond || d > 20*time.Millisecond {
		t.Fatalf("slept %v, want about %v", clk.slept, want)
	}
	if p.Rows != info.Rows || p.DataBytes != info.DataBytes || p.FileBytes != info.FileBytes || p.Blocks != info.Blocks {
		t.Fatalf("progress %+v differs from %+v", p, info.Entry)
	}
}

func TestNextKind(t *testing.T) {
	full := func(id, size uint64) Entry { return Entry{ID: id, Kind: Full, FileBytes: size, SchemaVersion: 1} }
	delta := func(id, size uint64) Entry {
		return Entry{ID: id, BaseID: id - 1, Kind: Delta, FileBytes: size, SchemaVersion: 1}
	}
	tests := []struct {
		name    string
		entries []Entry
		schema  uint32
		every   int
		want    Kind
	}{
		{"empty", nil, 1, 0, Full},
		{"after full", []Entry{full(1, 100)}, 1, 0, Delta},
		{"schema changed", []Entry{full(1, 100)}, 2, 0, Full},
		{"seven deltas", []Entry{full(1, 100), delta(2, 1), delta(3, 1), delta(4, 1), delta(5, 1), delta(6, 1), delta(7, 1), delta(8, 1)}, 1, 0, Full},
		{"six deltas", []Entry{full(1, 100), delta(2, 1), delta(3, 1), delta(4, 1), delta(5, 1), delta(6, 1), delta(7, 1)}, 1, 0, Delta},
		{"every 2", []Entry{full(1, 100), delta(2, 1)}, 1, 2, Full},
		{"deltas outgrow full", []Entry{full(1, 100), delta(2, 60), delta(3, 41)}, 1, 0, Full},
		{"deltas equal full", []Entry{full(1, 100), delta(2, 60), delta(3, 40)}, 1, 0, Delta},
		{"counts from newest full", []Entry{full(1, 10), delta(2, 50), full(3, 100), delta(4, 50)}, 1, 0, Delta},
	}
	for _, tc := range tests {
		if got := NextKind(Control{Entries: tc.entries}, tc.schema, tc.every); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPrune(t *testing.T) {
	// Stop GCIs of LCPs 1..5: 12, 15, 18, 21, 23; FULLs are 1 and 4.
	tests := []struct {
		keepFrom       uint64
		left           []uint64
		redo, fallback uint64
		restorePoint   uint64
		extraFull      bool // add FULL 6 (stop 30) and DELTA 7 (stop 33) first
	}{
		{11, []uint64{1, 2, 3, 4, 5}, 0, 0, 5, false},
		{20, []uint64{1, 2, 3, 4, 5}, 15, 10, 5, false},
		{22, []uint64{1, 2, 3, 4, 5}, 18, 10, 5, false},
		{100, []uint64{1, 2, 3, 4, 5}, 21, 10, 5, false},
		{29, []uint64{1, 2, 3, 4, 5, 6, 7}, 21, 10, 7, true}, // FULL 6 not restorable yet
		{30, []uint64{4, 5, 6, 7}, 25, 18, 7, true},          // FULL 6 restorable: chain 1-3 goes
		{40, []uint64{4, 5, 6, 7}, 30, 18, 7, true},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		specs := scenario(100, CodecZstd, 0)
		writeAll(t, dir, specs)
		if tc.extraFull {
			p6 := specs[3].p
			p6.ID, p6.StartGCI = 6, 25
			writeSpec(t, dir, lcpSpec{p: p6, stop: 30, recs: specs[3].recs})
			p7 := specs[4].p
			p7.ID, p7.BaseID, p7.StartGCI = 7, 6, 30
			writeSpec(t, dir, lcpSpec{p: p7, stop: 33, recs: specs[4].recs})
		}
		// An orphan below the newest id, and a crashed writer's temp file.
		fdir := FragmentDir(dir, 7, 3)
		os.WriteFile(filepath.Join(fdir, DataFileName(0)), []byte("x"), 0o644)
		os.WriteFile(filepath.Join(fdir, tmpFileName(2)), []byte("x"), 0o644)
		os.WriteFile(filepath.Join(fdir, tmpFileName(99)), []byte("x"), 0o644) // a writer in progress
		res, err := Prune(dir, tc.keepFrom)
		if err != nil {
			t.Fatalf("keepFrom %d: %v", tc.keepFrom, err)
		}
		c, err := ReadControl(dir, 7, 3)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, e := range c.Entries {
			ids = append(ids, e.ID)
		}
		if !slices.Equal(ids, tc.left) || res.RedoFrom != tc.redo || res.FallbackRedoFrom != tc.fallback || res.Orphans != 2 {
			t.Fatalf("keepFrom %d: left %v redo %d fallback %d orphans %d; want %v %d %d 2", tc.keepFrom, ids,
				res.RedoFrom, res.FallbackRedoFrom, res.Orphans, tc.left, tc.redo, tc.fallback)
		}
		ents, _ := os.ReadDir(fdir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		want := []string{"ctl.0", "ctl.1"}
		for _, id := range tc.left {
			want = append(want, DataFileName(id))
		}
		want = append(want, tmpFileName(99))
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Fatalf("keepFrom %d: files %v, want %v", tc.keepFrom, names, want)
		}
		// Both control copies list only what is on disk.
		for _, n := range ctlNames {
			cc, err := decodeControl(n, fileBytes(t, filepath.Join(fdir, n)), 7, 3)
			if err != nil || cc.Entries[0].ID != tc.left[0] && len(res.Removed) > 0 {
				t.Fatalf("keepFrom %d: copy %s: first %d, %v", tc.keepFrom, n, cc.Entries[0].ID, err)
			}
		}
		if _, info, err := restore(dir, 100); err != nil || info.ID != tc.restorePoint {
			t.Fatalf("keepFrom %d: restore point %d: %v", tc.keepFrom, info.ID, err)
		}
	}
}

func TestListLCPs(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, scenario(10, CodecNone, 0)[:2])
	p := Params{Table: 2, Fragment: 0, ID: 1, Kind: Full, Codec: CodecZstd}
	writeSpec(t, dir, lcpSpec{p: p, stop: 5, recs: []rec{{RecordRow, row(1, 1)}}})
	os.MkdirAll(filepath.Join(dir, "T2", "Fx"), 0o755)
	os.MkdirAll(filepath.Join(dir, "other"), 0o755)
	got, err := ListLCPs(dir)
	if err != nil || len(got) != 2 {
		t.Fatalf("%+v, %v", got, err)
	}
	if got[0].Table != 2 || len(got[0].Control.Entries) != 1 || got[1].Table != 7 || got[1].Fragment != 3 ||
		len(got[1].Control.Entries) != 2 || got[0].Err != nil || got[1].Err != nil {
		t.Fatalf("%+v", got)
	}
}

// Once warm, adding rows (block compression and writes included) and
// checking blocks allocate nothing.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	for _, c := range codecs {
		dir := t.TempDir()
		w, err := Create(dir, Params{Table: 7, Fragment: 3, ID: 1, Kind: Full, Codec: c, BlockSize: 8 << 10})
		if err != nil {
			t.Fatal(err)
		}
		r := row(12345, 0)
		for range 2000 {
			w.AddRow(r)
		}
		if a := testing.AllocsPerRun(5000, func() { w.AddRow(r) }); a != 0 {
			t.Errorf("%v: AddRow allocates %v per row", c, a)
		}
		if _, err := w.Finish(1); err != nil {
			t.Fatal(err)
		}
		path := dataPath(dir, 1)
		s := newScanner()
		nop := func(RecordKind, []byte) error { return nil }
		s.scan(path, nil, nop)
		info, _ := VerifyFile(path)
		// Per file: opening and stat (a few), never per block. (zlib,
		// there for comparison only, allocates once per block inside
		// klauspost/compress's inflate reset.)
		if c == CodecZlib {
			s.release()
			continue
		}
		if a := testing.AllocsPerRun(20, func() { s.scan(path, nil, nop) }); a > 10 || info.Blocks < 20 {
			t.Errorf("%v: reading %d blocks allocates %v", c, info.Blocks, a)
		}
		s.release()
	}
}

// A record larger than the block size gets a block of its own; Progress can
// be read from another goroutine while the writer runs.
func TestLargeRecordAndProgress(t *testing.T) {
	for _, c := range codecs {
		dir := t.TempDir()
		w, err := Create(dir, Params{Table: 7, Fragment: 3, ID: 1, Kind: Full, Codec: c, BlockSize: 4 << 10})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan uint64)
		go func() {
			var last uint64
			for {
				select {
				case <-stop:
					done <- last
					return
				default:
					if p := w.Progress(); p.Rows < last {
						t.Error("progress went backwards")
					} else {
						last = p.Rows
					}
				}
			}
		}()
		want := model{}
		for k := range uint64(40) {
			r := row(k, 0)
			if k%10 == 5 {
				r = append(r, make([]byte, 1<<20+int(k))...) // 1 MiB: over the block size
			}
			want[k] = string(r)
			if err := w.AddRow(r); err != nil {
				t.Fatal(err)
			}
		}
		info, err := w.Finish(1)
		close(stop)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		if w.Progress().Rows != 40 || info.Blocks < 8 {
			t.Fatalf("%v: progress %+v, %d blocks", c, w.Progress(), info.Blocks)
		}
		got, _, err := restore(dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		sameModel(t, c.String()+" large records", got, want)
	}
	w, _ := Create(t.TempDir(), Params{Table: 7, Fragment: 3, ID: 1, Kind: Full})
	defer w.Abort()
	if w.AddRow(make([]byte, MaxRecordSize+1)) == nil {
		t.Fatal("a record over MaxRecordSize was taken")
	}
}

// Params.Rate is asked again before each block: a rate raised halfway
// through makes the second half's waits shorter.
func TestWriterAdaptiveRate(t *testing.T) {
	dir := t.TempDir()
	var rate atomic.Int64
	rate.Store(1 << 20)
	w, err := Create(dir, Params{Table: 7, Fragment: 3, ID: 1, Kind: Full, Codec: CodecNone, BlockSize: 64 << 10,
		MaxBytesPerSec: 1, Rate: rate.Load}) // Rate wins over MaxBytesPerSec
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	clk := &fakeClock{t: time.Unix(1000, 0)}
	w.clk = clk
	add := func(bytes int) time.Duration {
		before := clk.slept
		for data := 0; data < bytes; {
			r := row(uint64(data), 0)
			data += len(r)
			if err := w.AddRow(r); err != nil {
				t.Fatal(err)
			}
		}
		return clk.slept - before
	}
	slow := add(4 << 20) // about 4 s at 1 MiB/s
	rate.Store(8 << 20)
	fast := add(4 << 20) // about 0.5 s at 8 MiB/s
	if slow < 3*time.Second || fast > time.Second || fast <= 0 {
		t.Fatalf("4 MiB took %v at 1 MiB/s and %v at 8 MiB/s", slow, fast)
	}
	if _, err := w.Finish(1); err != nil {
		t.Fatal(err)
	}
}
