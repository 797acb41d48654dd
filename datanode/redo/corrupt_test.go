package redo

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// buildLog writes n records of mixed sizes (some spanning pages), syncs and
// closes. It returns the model.
func buildLog(t testing.TB, cfg Config, n int, seed uint64) []rec {
	t.Helper()
	l := openTest(t, cfg)
	a := &appender{t: t.(*testing.T), l: l}
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := 0; i < n; i++ {
		a.add(genRecord(rng, i, uint64(1+i/10), []int{-1, 0, 50, 700, 9000, 40000}[rng.IntN(6)]))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if a.overloads != 0 {
		t.Fatal("test log overflowed its ring")
	}
	return a.model
}

// setSynced rewrites the metadata as if the last Sync had stopped at lsn.
func setSynced(t testing.TB, dir string, part int, lsn uint64) {
	t.Helper()
	pdir := PartDir(dir, part)
	m, err := readMeta(pdir)
	if err != nil {
		t.Fatal(err)
	}
	m.synced, m.seq = lsn, m.seq+1
	f, err := os.OpenFile(filepath.Join(pdir, metaName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, metaSize)
	m.encode(buf)
	if _, err := f.WriteAt(buf, int64(m.seq%2)*metaSlotSize); err != nil {
		t.Fatal(err)
	}
}

// patch edits the part's file bytes at the ring position of lsn.
func patch(t testing.TB, dir string, part int, cfg Config, lsn uint64, fn func(f *os.File, off int64)) string {
	t.Helper()
	r := &ring{dir: PartDir(dir, part), fileSize: cfg.FileSize, size: uint64(cfg.Files) * uint64(cfg.FileSize)}
	fi, off := r.locate(lsn)
	name := r.path(fi)
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fn(f, off)
	return name
}

func flipByte(t testing.TB, f *os.File, off int64) {
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// reseal recomputes the CRC of the page starting at off.
func reseal(t testing.TB, f *os.File, off int64) {
	pg := make([]byte, PageSize)
	if _, err := f.ReadAt(pg, off); err != nil {
		t.Fatal(err)
	}
	used := min(int(binary.LittleEndian.Uint32(pg[phUsed:])), PagePayload)
	binary.LittleEndian.PutUint32(pg[phCRC:], pageCRC(pg, used))
	if _, err := f.WriteAt(pg, off); err != nil {
		t.Fatal(err)
	}
}

// spanning finds a record that starts in one page and ends in a later one.
func spanning(t testing.TB, model []rec) rec {
	for _, m := range model {
		if m.lsn/PageSize != (m.lsn+uint64(m.r.size())-1)/PageSize && m.lsn%PageSize < PageSize-RecordHeaderSize {
			return m
		}
	}
	t.Fatal("no spanning record")
	return rec{}
}

func TestCorruption(t *testing.T) {
	cfg := DefaultTestConfig("", 2)
	cfg.FileSize = 16 * PageSize
	pick := func(model []rec) rec { return model[len(model)/3] } // a record in the middle
	cases := []struct {
		name    string
		lsn     func(model []rec) uint64 // byte to damage
		reseal  bool                     // recompute the page CRC: the record checks must catch it
		pageOff bool                     // the error names the page, not the byte
		at      int64                    // with pageOff false: expected offset relative to the byte
	}{
		{"page magic", func([]rec) uint64 { return 3*PageSize + phMagic + 1 }, false, true, 0},
		{"page version", func([]rec) uint64 { return 3*PageSize + phVersion }, false, true, 0},
		{"page LSN", func([]rec) uint64 { return 5*PageSize + phLSN + 2 }, false, true, 0},
		{"page LSN resealed", func([]rec) uint64 { return 5*PageSize + phLSN + 2 }, true, true, 0},
		{"page generation", func([]rec) uint64 { return 6*PageSize + phGen }, false, true, 0},
		{"page used length", func([]rec) uint64 { return 7*PageSize + phUsed + 1 }, false, true, 0},
		{"page continuation", func([]rec) uint64 { return 8*PageSize + phCont }, false, true, 0},
		{"page max GCI", func([]rec) uint64 { return 9*PageSize + phMaxGCI }, false, true, 0},
		{"page CRC", func([]rec) uint64 { return 10*PageSize + phCRC + 3 }, false, true, 0},
		{"payload", func([]rec) uint64 { return 11*PageSize + 5000 }, false, true, 0},
		{"last byte of a page", func([]rec) uint64 { return 12*PageSize - 1 }, false, true, 0},
		{"record header", func(m []rec) uint64 { return pick(m).lsn + rhOp }, false, true, 0},
		{"record length", func(m []rec) uint64 { return pick(m).lsn + rhLen + 3 }, false, true, 0},
		{"record key", func(m []rec) uint64 { return pick(m).lsn + RecordHeaderSize }, false, true, 0},
		{"record op resealed", func(m []rec) uint64 { return pick(m).lsn + rhOp }, true, false, -rhOp},
		{"record flags resealed", func(m []rec) uint64 { return pick(m).lsn + rhFlags }, true, false, -rhFlags},
		{"record length resealed", func(m []rec) uint64 { return pick(m).lsn + rhLen + 3 }, true, false, -rhLen - 3},
		{"spanning record, first part", func(m []rec) uint64 { return spanning(t, m).lsn + RecordHeaderSize + 1 }, false, true, 0},
		{"spanning record, continuation", func(m []rec) uint64 {
			return (spanning(t, m).lsn/PageSize+1)*PageSize + PageHeaderSize + 2
		}, false, true, 0},
		{"spanning record, continuation length resealed", func(m []rec) uint64 {
			return (spanning(t, m).lsn/PageSize+1)*PageSize + phCont
		}, true, true, phCont},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := cfg
			c.Dir = dir
			model := buildLog(t, c, 120, 7)
			lsn := tc.lsn(model)
			name := patch(t, dir, 2, c, lsn, func(f *os.File, off int64) {
				flipByte(t, f, off)
				if tc.reseal {
					reseal(t, f, off/PageSize*PageSize)
				}
			})
			_, off := (&ring{fileSize: c.FileSize, size: uint64(c.Files) * uint64(c.FileSize)}).locate(lsn)
			want := off / PageSize * PageSize
			if !tc.pageOff {
				want = off + tc.at
			} else if tc.at != 0 {
				want += tc.at
			}
			_, _, err := scanAll(t, dir, 2, 0, 0, math.MaxUint64)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Scan: %v, want a *CorruptError", err)
			}
			if ce.File != name || ce.Offset != want {
				t.Fatalf("Scan: %v; want file %s offset %d", err, filepath.Base(name), want)
			}
			t.Log(err)
			// Open refuses to start on it too.
			if l, err := Open(withQuiet(c)); !errors.As(err, &ce) {
				if l != nil {
					l.Close()
				}
				t.Fatalf("Open: %v, want a *CorruptError", err)
			}
		})
	}
}

func withQuiet(c Config) Config { c.Logger = quiet; return c }

func TestTruncated(t *testing.T) {
	cfg := DefaultTestConfig("", 0)
	cfg.FileSize = 16 * PageSize
	for _, tc := range []struct {
		name    string
		synced  bool  // the truncated region was synced
		at      int64 // truncate file 0 here
		corrupt bool
	}{
		{"synced page cut in half", true, 5*PageSize + PageSize/2, true},
		{"synced pages cut off", true, 4 * PageSize, true},
		{"unsynced page cut in half", false, 5*PageSize + PageSize/2, false},
		{"empty file, unsynced", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := cfg
			c.Dir = dir
			model := buildLog(t, c, 60, 9)
			if !tc.synced {
				setSynced(t, dir, 0, uint64(tc.at)/PageSize*PageSize)
			}
			name := filepath.Join(PartDir(dir, 0), fileName(0))
			if err := os.Truncate(name, tc.at); err != nil {
				t.Fatal(err)
			}
			got, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64)
			var ce *CorruptError
			if tc.corrupt {
				if !errors.As(err, &ce) || ce.File != name || ce.Offset != tc.at/PageSize*PageSize {
					t.Fatalf("Scan: %v, want a *CorruptError at %d", err, tc.at/PageSize*PageSize)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Exactly the records that end before the cut page.
			cut := uint64(tc.at) / PageSize * PageSize
			var want []Record
			for _, m := range model {
				if m.lsn+uint64(m.r.size()) <= cut {
					want = append(want, m.r)
				}
			}
			checkSame(t, got, want)
		})
	}
}

// TestCrashRecovery: sync, append more without a sync, crash in several
// ways, reopen: every synced record is there, nothing partial, and the log
// goes on.
func TestCrashRecovery(t *testing.T) {
	cases := []struct {
		name string
		// damage runs on the closed files; synced and written are the
		// writer's positions at the crash.
		damage func(t *testing.T, dir string, cfg Config, synced, written uint64)
		lose   bool // unsynced records may be lost (else all written pages survive)
	}{
		{"process kill", func(*testing.T, string, Config, uint64, uint64) {}, false},
		{"unsynced pages lost", func(t *testing.T, dir string, cfg Config, synced, written uint64) {
			for p := synced; p < written; p += PageSize {
				patch(t, dir, 0, cfg, p, func(f *os.File, off int64) {
					f.WriteAt(make([]byte, PageSize), off)
				})
			}
		}, true},
		{"first unsynced page torn", func(t *testing.T, dir string, cfg Config, synced, written uint64) {
			patch(t, dir, 0, cfg, synced, func(f *os.File, off int64) {
				f.WriteAt(make([]byte, PageSize/2), off+PageSize/2)
			})
		}, true},
		{"middle unsynced page torn, later pages stay", func(t *testing.T, dir string, cfg Config, synced, written uint64) {
			if written-synced < 4*PageSize {
				t.Fatalf("only %d unsynced pages written", (written-synced)/PageSize)
			}
			patch(t, dir, 0, cfg, synced+2*PageSize, func(f *os.File, off int64) {
				f.WriteAt([]byte("torn"), off+100)
			})
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := DefaultTestConfig(dir, 0)
			cfg.FileSize, cfg.BufferSize = 32*PageSize, 32*PageSize
			l := openTest(t, cfg)
			a := &appender{t: t, l: l}
			rng := rand.New(rand.NewPCG(11, 11))
			sizes := []int{-1, 10, 300, 5000, 40000}
			for i := 0; i < 40; i++ {
				a.add(genRecord(rng, i, 1+uint64(i/10), sizes[rng.IntN(len(sizes))]))
			}
			a.sync(4)
			for i := 40; l.Head() < a.model[a.synced-1].lsn+20*PageSize; i++ {
				a.add(genRecord(rng, i, 5+uint64(i/10), sizes[rng.IntN(len(sizes))]))
			}
			// Let the writer put some full unsynced pages on disk.
			for deadline := time.Now().Add(10 * time.Second); ; {
				_, written, durable := l.state()
				if written >= durable+8*PageSize || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			l.crash()
			_, written, synced := l.state()
			if synced > a.model[a.synced-1].lsn+PageSize {
				t.Fatalf("synced %d: more than the test asked for", synced)
			}
			tc.damage(t, dir, cfg, synced, written)

			got, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < a.synced || len(got) > len(a.model) {
				t.Fatalf("read %d records: %d synced, %d appended", len(got), a.synced, len(a.model))
			}
			want := make([]Record, len(got))
			for i := range want {
				want[i] = a.model[i].r
			}
			checkSame(t, got, want) // a prefix: nothing partial, nothing out of order
			if !tc.lose {
				// Every record on a written page survives.
				n := 0
				for _, m := range a.model {
					if m.lsn+uint64(m.r.size()) <= written {
						n++
					}
				}
				if len(got) != n {
					t.Fatalf("process kill: read %d records, %d were on written pages", len(got), n)
				}
			}

			// Recover, go on, check again; then crash once more right after
			// a sync.
			l = openTest(t, cfg)
			b := &appender{t: t, l: l}
			for i := 0; i < 5; i++ {
				b.add(genRecord(rng, 1000+i, 50, 200))
			}
			b.sync(50)
			l.crash()
			got2, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range b.model {
				want = append(want, m.r)
			}
			checkSame(t, got2, want)
			// And the recovered log opens again.
			l = openTest(t, cfg)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestMetadataCopies(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultTestConfig(dir, 0)
	model := buildLog(t, cfg, 30, 5)
	name := filepath.Join(PartDir(dir, 0), metaName)
	m, err := readMeta(PartDir(dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	newest := int64(m.seq%2) * metaSlotSize
	// Tear the newest slot: the other one (one update older) is used.
	f, _ := os.OpenFile(name, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff, 0xff}, newest+mTail)
	f.Close()
	m2, err := readMeta(PartDir(dir, 0))
	if err != nil || m2.seq != m.seq-1 {
		t.Fatalf("fallback: seq %d, %v", m2.seq, err)
	}
	got, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64)
	if err != nil || len(got) != len(model) {
		t.Fatalf("after fallback read %d of %d: %v", len(got), len(model), err)
	}
	// Both bad: a clear error.
	f, _ = os.OpenFile(name, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff}, metaSlotSize-newest+mCRC)
	f.Close()
	var ce *CorruptError
	if _, err := OpenReader(dir, 0); !errors.As(err, &ce) || ce.File != name {
		t.Fatalf("both slots bad: %v", err)
	}
	if _, err := Open(withQuiet(cfg)); !errors.As(err, &ce) {
		t.Fatalf("Open with both slots bad: %v", err)
	}
	// Log files but no metadata: refuse, do not wipe.
	os.Remove(name)
	if _, err := Open(withQuiet(cfg)); err == nil || errors.As(err, &ce) {
		t.Fatalf("Open without metadata: %v", err)
	}
}

// FuzzScan overwrites one page of a valid log with fuzz bytes (optionally
// with a correct CRC, so the record checks are reached): Scan and Open must
// return cleanly, never panic.
func FuzzScan(f *testing.F) {
	tmpl := f.TempDir()
	cfg := DefaultTestConfig(tmpl, 0)
	cfg.Files, cfg.FileSize, cfg.BufferSize = 2, 4*PageSize, 4*PageSize
	cfg.Margin = PageSize
	l := openTest(f, cfg)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 40; i++ {
		r := genRecord(rng, i, uint64(i), []int{-1, 3, 100, 3000, 20000}[i%5])
		if l.Append(&r) != nil {
			break
		}
	}
	l.Close()
	pdir := PartDir(tmpl, 0)
	files := map[string][]byte{}
	for _, n := range []string{metaName, fileName(0), fileName(1)} {
		b, err := os.ReadFile(filepath.Join(pdir, n))
		if err != nil {
			f.Fatal(err)
		}
		files[n] = b
	}
	for p := 0; p < 8; p++ {
		pg := files[fileName(p/4)][(p%4)*PageSize : (p%4+1)*PageSize]
		f.Add(uint8(p), pg[:200], false)
		f.Add(uint8(p), pg[:PageHeaderSize+64], true)
	}
	f.Fuzz(func(t *testing.T, page uint8, data []byte, fix bool) {
		dir := t.TempDir()
		pd := PartDir(dir, 0)
		os.MkdirAll(pd, 0o755)
		for n, b := range files {
			b = append([]byte(nil), b...)
			if n == fileName(int(page%8)/4) {
				pg := b[int(page%4)*PageSize : int(page%4+1)*PageSize]
				copy(pg, data)
				if fix {
					used := min(int(binary.LittleEndian.Uint32(pg[phUsed:])), PagePayload)
					binary.LittleEndian.PutUint32(pg[phCRC:], pageCRC(pg, used))
				}
			}
			os.WriteFile(filepath.Join(pd, n), b, 0o644)
		}
		rd, err := OpenReader(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = rd.Scan(0, 0, math.MaxUint64, func(r *Record) error {
			if r.Op == OpDelete && len(r.Row) != 0 {
				t.Fatal("delete with a row")
			}
			return nil
		})
		rd.Close()
		var ce *CorruptError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("Scan: %v", err)
		}
		c := cfg
		c.Dir, c.Logger = dir, quiet
		if l, err := Open(c); err == nil {
			r := Record{Op: OpPut, Key: []byte("k"), Row: []byte("v")}
			l.Append(&r)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if _, _, err := scanAll(t, dir, 0, 0, 0, math.MaxUint64); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		} else if !errors.As(err, &ce) {
			t.Fatalf("Open: %v", err)
		}
	})
}
