package redo

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"
)

// rec is a model record with its start LSN.
type rec struct {
	lsn uint64
	r   Record
}

func (a rec) String() string {
	return fmt.Sprintf("{lsn %d gci %d t %d f %d op %d key %d row %d}", a.lsn, a.r.GCI, a.r.Table, a.r.Fragment, a.r.Op, len(a.r.Key), len(a.r.Row))
}

func sameRecord(a, b *Record) bool {
	return a.GCI == b.GCI && a.Table == b.Table && a.Fragment == b.Fragment && a.Op == b.Op &&
		bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Row, b.Row)
}

// genRecord makes a record whose bytes depend on i, with a row of rowLen.
func genRecord(rng *rand.Rand, i int, gci uint64, rowLen int) Record {
	key := make([]byte, 1+rng.IntN(16))
	for j := range key {
		key[j] = byte(i >> (8 * (j % 4)))
	}
	r := Record{GCI: gci, Table: uint32(i % 7), Fragment: uint32(i % 3), Op: OpPut, Key: key}
	if rowLen < 0 {
		r.Op = OpDelete
		return r
	}
	r.Row = make([]byte, rowLen)
	for j := range r.Row {
		r.Row[j] = byte(i + j*31)
	}
	return r
}

// appender drives a Log like an LDM with an LCP that releases the tail.
type appender struct {
	t         *testing.T
	l         *Log
	model     []rec
	marks     []uint64 // heads noted at syncs ("LCP starts")
	synced    int      // records covered by the last Sync
	retries   int      // 410 and 1221 answers
	overloads int      // 410 answers
}

// add appends r, handling overload like a caller would: 410 releases the
// tail to an older mark (an LCP completing), 1221 waits for the writer.
func (a *appender) add(r Record) {
	a.t.Helper()
	for {
		h := a.l.Head()
		if h%PageSize == 0 {
			h += PageHeaderSize
		}
		err := a.l.Append(&r)
		switch {
		case err == nil:
			a.model = append(a.model, rec{lsn: h, r: r})
			return
		case errors.Is(err, ErrLogOverloaded):
			a.retries++
			a.overloads++
			if len(a.marks) == 0 {
				a.sync(math.MaxUint64)
			}
			a.l.ReleaseBefore(a.marks[0])
			a.marks = a.marks[1:]
		case errors.Is(err, ErrBufferOverloaded):
			a.retries++
			if err := a.l.Sync(math.MaxUint64); err != nil {
				a.t.Fatal(err)
			}
		default:
			a.t.Fatalf("append: %v", err)
		}
	}
}

func (a *appender) sync(gci uint64) {
	a.t.Helper()
	if err := a.l.Sync(gci); err != nil {
		a.t.Fatal(err)
	}
	a.synced = len(a.model)
	a.marks = append(a.marks, a.l.Head())
}

// scanAll reads a part back.
func scanAll(t *testing.T, dir string, part int, fromLSN, fromGCI, toGCI uint64) ([]Record, uint64, error) {
	t.Helper()
	rd, err := OpenReader(dir, part)
	if err != nil {
		return nil, 0, err
	}
	defer rd.Close()
	var out []Record
	_, err = rd.Scan(fromLSN, fromGCI, toGCI, func(r *Record) error {
		c := *r
		c.Key = bytes.Clone(r.Key)
		c.Row = bytes.Clone(r.Row)
		out = append(out, c)
		return nil
	})
	return out, rd.Tail(), err
}

// expect filters the model as Scan should.
func expect(model []rec, tail, fromLSN, fromGCI, toGCI uint64) []Record {
	var out []Record
	for _, m := range model {
		if m.lsn >= tail && m.lsn >= fromLSN && m.r.GCI >= fromGCI && m.r.GCI <= toGCI {
			out = append(out, m.r)
		}
	}
	return out
}

func checkSame(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if !sameRecord(&got[i], &want[i]) {
			t.Fatalf("record %d: got gci %d key %x row %d bytes, want gci %d key %x row %d bytes",
				i, got[i].GCI, got[i].Key, len(got[i].Row), want[i].GCI, want[i].Key, len(want[i].Row))
		}
	}
}

func openTest(t testing.TB, cfg Config) *Log {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var quiet = slog.New(slog.DiscardHandler)
