package dbinfo_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/dbinfo"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema/filter"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// TestNumbersArePinned: wire values of the ndbinfo protocol.
func TestNumbersArePinned(t *testing.T) {
	if gsn.BlockDBINFO != 6 || gsn.DBINFO_SCANREQ != 60 || gsn.DBINFO_SCANCONF != 61 ||
		gsn.DBINFO_SCANREF != 62 || gsn.DBINFO_TRANSID_AI != 63 || gsn.DbinfoClose != 1 {
		t.Fatal("DBINFO block or signal numbers changed")
	}
}

// env is a block.Env that keeps what the block sends.
type env struct {
	now  time.Duration
	sent []signal.Signal
	fail bool
}

func (e *env) Self() signal.Address { return signal.Address{Node: 1, Block: gsn.BlockDBINFO} }
func (e *env) Now() time.Duration   { return e.now }
func (e *env) Send(s *signal.Signal) error {
	if e.fail {
		return errors.New("overloaded")
	}
	c := *s
	for i := 0; i < int(s.NumSects); i++ {
		c.Sections[i] = append([]byte(nil), s.Sections[i]...)
	}
	e.sent = append(e.sent, c)
	return nil
}

// source serves memoryusage rows: rows of them, "m0".."mN", used = i.
type source struct {
	rows  int
	err   error
	block chan struct{} // if set, Scan waits for it (or ctx)
}

func (s *source) Scan(ctx context.Context, t *ndbinfo.Table, emit func(vals ...any) error) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.err != nil {
		return s.err
	}
	if t.Name != "memoryusage" {
		return nil
	}
	for i := 0; i < s.rows; i++ {
		if err := emit(uint32(1), "m"+string(rune('a'+i%26)), i, i, 100, 10); err != nil {
			return err
		}
	}
	return nil
}

var api = signal.Address{Node: 50, Block: gsn.BlockAPI}

func scanReq(table, id, rows, bytes, cursor, flags uint32, prog []byte) *signal.Signal {
	s := &signal.Signal{Number: gsn.DBINFO_SCANREQ, Sender: api, TransID: 77}
	s.SetWords(table, id, rows, bytes, cursor, flags)
	if prog != nil {
		s.AddSection(prog)
	}
	return s
}

// waitFor ticks the block until it has sent something.
func waitFor(t *testing.T, b *dbinfo.DBInfo, e *env) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.sent) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the block answered nothing")
		}
		time.Sleep(100 * time.Microsecond)
		b.Tick(e)
	}
}

// batch takes the sent signals of one batch: its rows and SCANCONF's words.
func batch(t *testing.T, e *env) (rows []int64, conf [4]uint32) {
	t.Helper()
	tb, _ := ndbinfo.ByName("memoryusage")
	for _, s := range e.sent {
		switch s.Number {
		case gsn.DBINFO_TRANSID_AI:
			b := s.Sections[0]
			n := 0
			for len(b) > 0 {
				l := int(binary.LittleEndian.Uint32(b))
				rows = append(rows, tb.Layout.RowOf(b[4:4+l]).Int64(tb.Column("used")))
				b = b[4+l:]
				n++
			}
			if n != int(s.Words[1]) {
				t.Errorf("TRANSID_AI says %d rows, holds %d", s.Words[1], n)
			}
		case gsn.DBINFO_SCANCONF:
			copy(conf[:], s.Words[:4])
		case gsn.DBINFO_SCANREF:
			t.Fatalf("SCANREF code %d", s.Words[1])
		}
	}
	e.sent = e.sent[:0]
	return rows, conf
}

func TestScanInBatches(t *testing.T) {
	mu, _ := ndbinfo.ByName("memoryusage")
	for _, c := range []struct {
		name      string
		rows      int
		batchRows uint32
		batches   int
	}{
		{"empty", 0, 0, 1},
		{"one batch", 10, 0, 1},
		{"batch of one", 5, 1, 5},
		{"uneven", 10, 3, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := dbinfo.New(dbinfo.Config{Source: &source{rows: c.rows}})
			e := &env{}
			b.Handle(e, scanReq(mu.ID, 9, c.batchRows, 0, 0, 0, nil))
			waitFor(t, b, e)
			var all []int64
			for i := 0; ; i++ {
				rows, conf := batch(t, e)
				all = append(all, rows...)
				if conf[0] != 9 || conf[2] != uint32(len(rows)) || conf[3] != mu.ID {
					t.Fatalf("batch %d: SCANCONF words %v with %d rows", i, conf, len(rows))
				}
				if conf[1] == 0 {
					if i+1 != c.batches {
						t.Errorf("%d batches, want %d", i+1, c.batches)
					}
					break
				}
				if conf[1] != uint32(len(all)) {
					t.Fatalf("cursor %d after %d rows", conf[1], len(all))
				}
				b.Handle(e, scanReq(mu.ID, 9, c.batchRows, 0, conf[1], 0, nil))
			}
			if len(all) != c.rows {
				t.Fatalf("%d rows, want %d", len(all), c.rows)
			}
			for i, v := range all {
				if v != int64(i) {
					t.Fatalf("row %d is %d", i, v)
				}
			}
			if st := b.Stats(); st.Open != 0 || st.Rows != uint64(c.rows) {
				t.Errorf("stats after the scan: %+v", st)
			}
		})
	}
}

func TestPushedFilter(t *testing.T) {
	mu, _ := ndbinfo.ByName("memoryusage")
	fb := filter.NewBuilder(mu.Layout)
	fb.Cmp(mu.Column("used"), filter.Ge, filter.Uint(7))
	prog, err := fb.Program()
	if err != nil {
		t.Fatal(err)
	}
	b := dbinfo.New(dbinfo.Config{Source: &source{rows: 10}})
	e := &env{}
	b.Handle(e, scanReq(mu.ID, 1, 0, 0, 0, 0, prog))
	waitFor(t, b, e)
	rows, conf := batch(t, e)
	if len(rows) != 3 || rows[0] != 7 || conf[1] != 0 {
		t.Fatalf("rows %v, cursor %d; want 7, 8, 9 and the end", rows, conf[1])
	}
}

func TestRefusals(t *testing.T) {
	mu, _ := ndbinfo.ByName("memoryusage")
	nodes, _ := ndbinfo.ByName("nodes")
	fb := filter.NewBuilder(nodes.Layout) // a program for another table
	fb.Like(nodes.Column("status"), "S%")
	otherProg, _ := fb.Program()
	cases := []struct {
		name string
		src  *source
		req  *signal.Signal
		code int
	}{
		{"no such table", &source{}, scanReq(12345, 1, 0, 0, 0, 0, nil), ndberr.ErrNoSuchTable.Code},
		{"unknown cursor", &source{}, scanReq(mu.ID, 1, 0, 0, 5, 0, nil), ndberr.ErrNoSuchOperation.Code},
		{"bad filter", &source{}, scanReq(mu.ID, 1, 0, 0, 0, 0, otherProg), ndberr.ErrFilterUnsupportedType.Code},
		{"garbage filter", &source{}, scanReq(mu.ID, 1, 0, 0, 0, 0, []byte{9, 9, 9}), ndberr.ErrFilterVersion.Code},
		{"source fails", &source{err: ndberr.ErrOutOfDataMemory}, scanReq(mu.ID, 1, 0, 0, 0, 0, nil), ndberr.ErrOutOfDataMemory.Code},
		{"source fails plainly", &source{err: errors.New("disk on fire")}, scanReq(mu.ID, 1, 0, 0, 0, 0, nil), ndberr.ErrInternal.Code},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := dbinfo.New(dbinfo.Config{Source: c.src})
			e := &env{}
			b.Handle(e, c.req)
			waitFor(t, b, e)
			s := e.sent[0]
			if len(e.sent) != 1 || s.Number != gsn.DBINFO_SCANREF || s.Receiver != api || s.TransID != 77 ||
				s.Words[0] != c.req.Words[1] || int(s.Words[1]) != c.code {
				t.Fatalf("sent %+v, want one SCANREF with code %d", s, c.code)
			}
			if b.Stats().Open != 0 {
				t.Error("a refused scan stays open")
			}
		})
	}
	t.Run("scan too large", func(t *testing.T) {
		b := dbinfo.New(dbinfo.Config{Source: &source{rows: 100}, MaxScanBytes: 1000})
		e := &env{}
		b.Handle(e, scanReq(mu.ID, 1, 0, 0, 0, 0, nil))
		waitFor(t, b, e)
		if e.sent[0].Number != gsn.DBINFO_SCANREF || int(e.sent[0].Words[1]) != ndberr.ErrInternal.Code {
			t.Fatalf("sent %+v, want SCANREF 9003", e.sent[0])
		}
	})
	t.Run("too many scans", func(t *testing.T) {
		src := &source{rows: 1, block: make(chan struct{})}
		b := dbinfo.New(dbinfo.Config{Source: src, MaxScans: 2})
		defer b.Close()
		e := &env{}
		for id := uint32(1); id <= 3; id++ {
			b.Handle(e, scanReq(mu.ID, id, 0, 0, 0, 0, nil))
		}
		if len(e.sent) != 1 || e.sent[0].Words[0] != 3 || int(e.sent[0].Words[1]) != ndberr.ErrTooManyOperations.Code {
			t.Fatalf("sent %+v, want SCANREF 233 for scan 3", e.sent)
		}
		e.sent = nil
		b.Handle(e, scanReq(mu.ID, 1, 0, 0, 0, 0, nil)) // a duplicate start
		if len(e.sent) != 1 || int(e.sent[0].Words[1]) != ndberr.ErrNoSuchOperation.Code {
			t.Fatalf("sent %+v, want SCANREF 9002 for a duplicate", e.sent)
		}
		e.sent = nil
		close(src.block)
		for len(e.sent) < 4 { // two batches: rows and SCANCONF each
			waitFor(t, b, e)
			time.Sleep(time.Millisecond)
			b.Tick(e)
		}
	})
}

func TestCloseAndIdleScans(t *testing.T) {
	mu, _ := ndbinfo.ByName("memoryusage")
	b := dbinfo.New(dbinfo.Config{Source: &source{rows: 10}, IdleTimeout: time.Second})
	e := &env{}
	b.Handle(e, scanReq(mu.ID, 1, 2, 0, 0, 0, nil))
	b.Handle(e, scanReq(mu.ID, 2, 2, 0, 0, 0, nil))
	b.Handle(e, scanReq(mu.ID, 3, 2, 0, 0, 0, nil))
	b.Handle(e, scanReq(mu.ID, 3, 0, 0, 0, gsn.DbinfoClose, nil)) // closed while gathering: never answered
	for b.Stats().Batches < 2 {
		waitFor(t, b, e)
		time.Sleep(time.Millisecond)
		b.Tick(e)
	}
	for _, s := range e.sent {
		if s.Words[0] == 3 {
			t.Fatalf("the closed scan was answered: %+v", s)
		}
	}
	if b.Stats().Open != 2 {
		t.Fatalf("%d scans open, want 2", b.Stats().Open)
	}
	b.Handle(e, scanReq(mu.ID, 1, 0, 0, 0, gsn.DbinfoClose, nil))
	e.now += 2 * time.Second
	b.Tick(e)
	if st := b.Stats(); st.Open != 0 || st.Expired != 1 {
		t.Fatalf("after close and idle time-out: %+v", st)
	}
	e.sent = nil
	b.Handle(e, scanReq(mu.ID, 2, 2, 0, 2, 0, nil)) // the expired scan's next batch
	if len(e.sent) != 1 || e.sent[0].Number != gsn.DBINFO_SCANREF {
		t.Fatalf("sent %+v, want SCANREF for an expired scan", e.sent)
	}
}

func TestSendFailureDropsTheScan(t *testing.T) {
	mu, _ := ndbinfo.ByName("memoryusage")
	b := dbinfo.New(dbinfo.Config{Source: &source{rows: 10}})
	e := &env{fail: true}
	b.Handle(e, scanReq(mu.ID, 1, 2, 0, 0, 0, nil))
	deadline := time.Now().Add(10 * time.Second)
	for b.Stats().Open != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scan stays open after its batch could not be sent")
		}
		time.Sleep(100 * time.Microsecond)
		b.Tick(e)
	}
}

func TestLargeRowsSplitAcrossSignals(t *testing.T) {
	mu, _ := ndbinfo.ByName("memoryusage")
	b := dbinfo.New(dbinfo.Config{Source: &source{rows: 3000}})
	e := &env{}
	b.Handle(e, scanReq(mu.ID, 1, 4096, 512<<10, 0, 0, nil))
	waitFor(t, b, e)
	signals := 0
	for _, s := range e.sent {
		if s.Number == gsn.DBINFO_TRANSID_AI {
			signals++
			if len(s.Sections[0]) > 32<<10 {
				t.Errorf("a TRANSID_AI of %d bytes", len(s.Sections[0]))
			}
		}
	}
	rows, conf := batch(t, e)
	if len(rows) != 3000 || conf[1] != 0 || signals < 2 {
		t.Fatalf("%d rows in %d signals, cursor %d", len(rows), signals, conf[1])
	}
}
