package redo

import (
	"errors"
	"math"
	"os"
	"strconv"
	"testing"
)

// benchDir is where benchmarks write: REDO_BENCH_DIR (e.g. /dev/shm) or a
// temporary directory.
func benchDir(b *testing.B) string {
	if d := os.Getenv("REDO_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "redo-bench")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return b.TempDir()
}

func benchConfig(b *testing.B) Config {
	cfg := DefaultConfig(benchDir(b), 0)
	cfg.Files, cfg.FileSize = 8, 16<<20
	cfg.Logger = quiet
	return cfg
}

// appendOne appends, releasing the tail like a finished LCP when the ring
// fills, and waiting for the writer when the buffer is full.
func appendOne(b *testing.B, l *Log, r *Record) {
	for {
		err := l.Append(r)
		switch {
		case err == nil:
			return
		case errors.Is(err, ErrLogOverloaded):
			l.ReleaseBefore(l.Head())
		case errors.Is(err, ErrBufferOverloaded):
			if err := l.Sync(math.MaxUint64); err != nil {
				b.Fatal(err)
			}
		default:
			b.Fatal(err)
		}
	}
}

func benchRecord(row int) Record {
	return Record{GCI: 1, Table: 3, Fragment: 1, Op: OpPut, Key: make([]byte, 16), Row: make([]byte, row)}
}

func BenchmarkAppend(b *testing.B) {
	for _, row := range []int{100 - RecordHeaderSize - 16, 1024 - RecordHeaderSize - 16} {
		b.Run(strconv.Itoa(row+RecordHeaderSize+16)+"B", func(b *testing.B) {
			l, err := Open(benchConfig(b))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			r := benchRecord(row)
			b.SetBytes(int64(r.size()))
			b.ReportAllocs()
			for b.Loop() {
				appendOne(b, l, &r)
			}
		})
	}
}

func BenchmarkAppendSync(b *testing.B) {
	for _, every := range []int{10, 100, 1000} {
		b.Run("every"+strconv.Itoa(every), func(b *testing.B) {
			l, err := Open(benchConfig(b))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			r := benchRecord(200)
			b.SetBytes(int64(r.size()))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				appendOne(b, l, &r)
				if i++; i%every == 0 {
					if err := l.Sync(r.GCI); err != nil {
						b.Fatal(err)
					}
					r.GCI++
				}
			}
		})
	}
}

func BenchmarkScan(b *testing.B) {
	cfg := benchConfig(b)
	cfg.Files, cfg.FileSize = 4, 16<<20
	l, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	r := benchRecord(300)
	for l.FillRatio() < 0.95 {
		if err := l.Append(&r); err != nil {
			if errors.Is(err, ErrLogOverloaded) {
				break
			}
			l.Sync(math.MaxUint64)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	rd, err := OpenReader(cfg.Dir, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	end, err := rd.Scan(0, 0, math.MaxUint64, func(*Record) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(end - rd.Tail()))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		if _, err := rd.Scan(0, 0, math.MaxUint64, func(*Record) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "records/scan")
}
