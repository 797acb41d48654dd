package ndbapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
)

func TestKeyOperations(t *testing.T) {
	tc := startInproc(t, 2, nil)
	n, tbl := tc.ndb(t), tc.t
	rb := tbl.NewRowBuilder()
	exec := func(et ndbapi.ExecType, def func(tx *ndbapi.Transaction) *ndbapi.Operation) (*ndbapi.Operation, error) {
		t.Helper()
		tx, err := n.StartTransaction(tbl, keyOf(tbl.NewRowBuilder(), 1).AppendKey(nil))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tx.Close)
		op := def(tx)
		err = tx.Execute(et)
		if err == nil && et == ndbapi.Commit && !tx.Committed() {
			t.Fatal("Execute(Commit) returned nil but the transaction did not commit")
		}
		return op, err
	}
	read := func(id int64, lm ndbapi.LockMode) (schema.Row, error) {
		op, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation { return tx.Read(tbl, keyOf(rb, id), lm) })
		if err != nil {
			return schema.Row{}, err
		}
		r, ok := op.Row()
		if !ok {
			t.Fatalf("read %d: no row", id)
		}
		return r, nil
	}
	steps := []struct {
		name string
		run  func() error
		want int // NDB code, 0: success
		val  int64
	}{
		{"insert", func() error {
			_, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation { setItem(rb, 1, 10); return tx.Insert(tbl, rb) })
			return err
		}, 0, 10},
		{"insert duplicate", func() error {
			_, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation { setItem(rb, 1, 11); return tx.Insert(tbl, rb) })
			return err
		}, 630, 10},
		{"update", func() error {
			_, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation {
				keyOf(rb, 1).SetInt64(1, 20)
				return tx.Update(tbl, rb, 1)
			})
			return err
		}, 0, 20},
		{"write existing", func() error {
			_, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation { setItem(rb, 1, 30); return tx.Write(tbl, rb) })
			return err
		}, 0, 30},
		{"rollback", func() error {
			tx, _ := n.StartTransaction(tbl, nil)
			defer tx.Close()
			keyOf(rb, 1).SetInt64(1, 99)
			tx.Update(tbl, rb, 1)
			if err := tx.Execute(ndbapi.NoCommit); err != nil {
				return err
			}
			return tx.Execute(ndbapi.Rollback)
		}, 0, 30},
		{"delete", func() error {
			_, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation { return tx.Delete(tbl, keyOf(rb, 1)) })
			return err
		}, 0, -1},
		{"delete missing", func() error {
			_, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation { return tx.Delete(tbl, keyOf(rb, 1)) })
			return err
		}, 626, -1},
		{"write new", func() error {
			_, err := exec(ndbapi.Commit, func(tx *ndbapi.Transaction) *ndbapi.Operation { setItem(rb, 1, 40); return tx.Write(tbl, rb) })
			return err
		}, 0, 40},
	}
	for _, s := range steps {
		err := s.run()
		if got := ndbapi.Code(err); got != s.want {
			t.Fatalf("%s: error %v (code %d), want code %d", s.name, err, got, s.want)
		}
		for _, lm := range []ndbapi.LockMode{ndbapi.CommittedRead, ndbapi.LockShared, ndbapi.LockExclusive} {
			r, err := read(1, lm)
			if s.val < 0 {
				if ndbapi.Code(err) != 626 {
					t.Fatalf("%s: read after delete: %v, want 626", s.name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: read (lock %d): %v", s.name, lm, err)
			}
			if got := r.Int64(1); got != s.val {
				t.Fatalf("%s: val %d, want %d", s.name, got, s.val)
			}
		}
	}
}

func TestUniqueIndex(t *testing.T) {
	tc := startInproc(t, 2, nil)
	n, tbl := tc.ndb(t), tc.t
	insertN(t, n, tbl, 10)
	ix := tbl.Index("code_uq")
	rb := tbl.NewRowBuilder()
	ukey := func(code int64) *schema.RowBuilder { rb.Reset(); rb.SetInt64(3, code); return rb }

	tx, _ := n.StartTransaction(tbl, nil)
	op := tx.ReadUnique(tbl, ix, ukey(1005), ndbapi.CommittedRead)
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatal(err)
	}
	if r, ok := op.Row(); !ok || r.Int64(0) != 5 {
		t.Fatalf("read by unique key: row %v ok %v, want id 5", op.Map(), ok)
	}
	tx.Close()

	// Update by unique key, then read it back.
	tx, _ = n.StartTransaction(tbl, nil)
	ukey(1006).SetInt64(1, 777)
	tx.UpdateUnique(tbl, ix, rb, 1)
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatal(err)
	}
	tx.Close()
	tx, _ = n.StartTransaction(tbl, nil)
	op = tx.Read(tbl, keyOf(rb, 6), ndbapi.CommittedRead)
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatal(err)
	}
	if r, _ := op.Row(); r.Int64(1) != 777 {
		t.Fatalf("after unique update val = %d, want 777", r.Int64(1))
	}
	tx.Close()

	// A second row with code 1003: 893.
	tx, _ = n.StartTransaction(tbl, nil)
	setItem(rb, 100, 0)
	rb.SetInt64(3, 1003)
	tx.Insert(tbl, rb)
	err := tx.Execute(ndbapi.Commit)
	if !errors.Is(err, ndberr.ErrUniqueExists) {
		t.Fatalf("duplicate unique key: %v, want 893", err)
	}
	var e *ndbapi.Error
	if !errors.As(err, &e) || e.Classification != ndberr.ClassConstraintViolation || ndbapi.IsTemporary(err) {
		t.Fatalf("893 classified %+v", e)
	}
	tx.Close()

	// Delete by unique key; the read by it then finds nothing.
	tx, _ = n.StartTransaction(tbl, nil)
	tx.DeleteUnique(tbl, ix, ukey(1002))
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatal(err)
	}
	tx.Close()
	tx, _ = n.StartTransaction(tbl, nil)
	tx.ReadUnique(tbl, ix, ukey(1002), ndbapi.CommittedRead)
	if err := tx.Execute(ndbapi.Commit); ndbapi.Code(err) != 626 {
		t.Fatalf("read of deleted unique key: %v, want 626", err)
	}
	tx.Close()
}

// Two transactions lock rows in opposite order: one is aborted with 266
// (temporary); RunTransaction retries it to success.
func TestDeadlockAndRetry(t *testing.T) {
	tc := startInproc(t, 1, nil)
	n1, n2, tbl := tc.ndb(t), tc.ndb(t), tc.t
	insertN(t, n1, tbl, 2)
	rb := tbl.NewRowBuilder()
	t1, _ := n1.StartTransaction(tbl, nil)
	t1.Read(tbl, keyOf(rb, 0), ndbapi.LockExclusive)
	if err := t1.Execute(ndbapi.NoCommit); err != nil {
		t.Fatal(err)
	}
	t2, _ := n2.StartTransaction(tbl, nil)
	t2.Read(tbl, keyOf(rb, 1), ndbapi.LockExclusive)
	if err := t2.Execute(ndbapi.NoCommit); err != nil {
		t.Fatal(err)
	}
	// t1 waits for row 1 (held by t2) asynchronously; t2 waits for row 0.
	t1.Read(tbl, keyOf(rb, 1), ndbapi.LockExclusive)
	var err1 error
	done1 := false
	t1.ExecuteAsync(ndbapi.NoCommit, func(_ *ndbapi.Transaction, err error) { err1, done1 = err, true })
	n1.SendPollNdb(0, 0)
	t2.Read(tbl, keyOf(rb, 0), ndbapi.LockExclusive)
	err2 := t2.Execute(ndbapi.NoCommit)
	for !done1 {
		n1.PollNdb(time.Second, 1)
	}
	codes := []int{ndbapi.Code(err1), ndbapi.Code(err2)}
	if codes[0] != 266 && codes[1] != 266 {
		t.Fatalf("deadlock: errors %v / %v, want one 266", err1, err2)
	}
	for _, err := range []error{err1, err2} {
		if ndbapi.Code(err) == 266 && !ndbapi.IsTemporary(err) {
			t.Fatalf("266 not temporary: %v", err)
		}
	}
	t1.Close()
	t2.Close()

	// RunTransaction: the first attempt hits a temporary error, the second commits.
	attempts := 0
	err := ndbapi.RunTransaction(context.Background(), n1, tbl, nil, func(tx *ndbapi.Transaction) error {
		attempts++
		if attempts == 1 {
			return &ndbapi.Error{Code: 266, Classification: ndberr.ClassTimeout, Op: -1}
		}
		keyOf(rb, 0).SetInt64(1, 5)
		tx.Update(tbl, rb, 1)
		return nil
	}, ndbapi.DefaultRetryPolicy())
	if err != nil || attempts != 2 {
		t.Fatalf("RunTransaction: %v after %d attempts, want success after 2", err, attempts)
	}
	// A permanent error is not retried.
	attempts = 0
	err = ndbapi.RunTransaction(context.Background(), n1, tbl, nil, func(tx *ndbapi.Transaction) error {
		attempts++
		setItem(rb, 0, 0)
		tx.Insert(tbl, rb)
		return nil
	}, ndbapi.DefaultRetryPolicy())
	if ndbapi.Code(err) != 630 || attempts != 1 {
		t.Fatalf("RunTransaction with a duplicate: %v after %d attempts, want 630 after 1", err, attempts)
	}
}

func TestAsyncManyInFlight(t *testing.T) {
	tc := startInproc(t, 2, nil)
	n, tbl := tc.ndb(t), tc.t
	const count = 3000
	rbs := tbl.NewRowBuilder()
	completed, failed := 0, 0
	cb := func(tx *ndbapi.Transaction, err error) {
		if err != nil {
			failed++
		}
		completed++
		tx.Close()
	}
	for i := 0; i < count; i++ {
		setItem(rbs, int64(i), int64(i))
		tx, err := n.StartTransaction(tbl, rbs.AppendKey(nil))
		if err != nil {
			t.Fatal(err)
		}
		tx.Insert(tbl, rbs)
		tx.ExecuteAsync(ndbapi.Commit, cb)
	}
	if got := n.Pending(); got != count {
		t.Fatalf("pending %d, want %d", got, count)
	}
	for n.Pending() > 0 {
		n.SendPollNdb(5*time.Second, 0)
	}
	if completed != count || failed != 0 {
		t.Fatalf("completed %d failed %d, want %d and 0", completed, failed, count)
	}
	// Read all back, async, checking every value.
	bad := 0
	for i := 0; i < count; i++ {
		tx, _ := n.StartTransaction(tbl, nil)
		op := tx.Read(tbl, keyOf(rbs, int64(i)), ndbapi.CommittedRead)
		want := int64(i)
		tx.ExecuteAsync(ndbapi.Commit, func(tx *ndbapi.Transaction, err error) {
			if r, ok := op.Row(); err != nil || !ok || r.Int64(1) != want {
				bad++
			}
			tx.Close()
		})
	}
	for n.Pending() > 0 {
		n.SendPollNdb(5*time.Second, 0)
	}
	if bad != 0 {
		t.Fatalf("%d bad reads", bad)
	}
	// Future form.
	tx, _ := n.StartTransaction(tbl, nil)
	op := tx.Read(tbl, keyOf(rbs, 7), ndbapi.CommittedRead)
	f := tx.ExecuteFuture(ndbapi.Commit)
	if err := f.Wait(); err != nil {
		t.Fatal(err)
	}
	<-f.Done()
	if r, _ := op.Row(); r.Int64(1) != 7 {
		t.Fatalf("future read %d", r.Int64(1))
	}
}

func TestScans(t *testing.T) {
	tc := startInproc(t, 2, nil)
	n, tbl := tc.ndb(t), tc.t
	const count = 500
	insertN(t, n, tbl, count)
	// WHERE val >= 1000 AND grp <> 3
	b := filter.NewBuilder(tbl.Layout)
	b.Begin(filter.And)
	b.Cmp(1, filter.Ge, filter.Int(1000))
	b.Cmp(4, filter.Ne, filter.Int(3))
	b.End()
	prog, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := filter.Compile(tbl.Layout, prog)
	rb := tbl.NewRowBuilder()
	want := 0
	for i := int64(0); i < count; i++ {
		setItem(rb, i, i*10)
		if f.Match(tbl.Layout.RowOf(rb.AppendRow(nil))) {
			want++
		}
	}
	lo, _ := tbl.SearchKey(nil, 1, 1, tbl.Layout.RowOf(func() []byte { rb.Reset(); rb.SetInt64(4, 2); return rb.AppendRow(nil) }()))
	hi, _ := tbl.SearchKey(nil, 1, 1, tbl.Layout.RowOf(func() []byte { rb.Reset(); rb.SetInt64(4, 5); return rb.AppendRow(nil) }()))
	cases := []struct {
		name    string
		index   int
		opts    ndbapi.ScanOptions
		want    int
		ordered bool
	}{
		{"table", -1, ndbapi.ScanOptions{}, count, false},
		{"table small batches parallel 1", -1, ndbapi.ScanOptions{Parallel: 1, BatchRows: 7}, count, false},
		{"filter", -1, ndbapi.ScanOptions{Filter: prog, BatchRows: 16}, want, false},
		{"index range [2,5)", 1, ndbapi.ScanOptions{Low: lo, High: hi, LowInclusive: true, BatchRows: 9, Ordered: true}, count * 3 / 10, true},
		{"index range desc (2,5]", 1, ndbapi.ScanOptions{Low: lo, High: hi, HighInclusive: true, Descending: true, Ordered: true, BatchRows: 5}, count * 3 / 10, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx, _ := n.StartTransaction(nil, nil)
			defer tx.Close()
			var s *ndbapi.Scan
			var err error
			if c.index < 0 {
				s, err = tx.ScanTable(tbl, c.opts)
			} else {
				s, err = tx.ScanIndex(tbl, c.index, c.opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, last := 0, int64(-1)
			seen := map[int64]bool{}
			for r, ok := s.Next(); ok; r, ok = s.Next() {
				id := r.Int64(0)
				if seen[id] {
					t.Fatalf("row %d twice", id)
				}
				seen[id] = true
				if c.opts.Filter != nil && !f.Match(r) {
					t.Fatalf("row %d fails the filter", id)
				}
				if c.ordered {
					g := r.Int64(4)
					if last >= 0 && (!c.opts.Descending && g < last || c.opts.Descending && g > last) {
						t.Fatalf("out of order: grp %d after %d", g, last)
					}
					last = g
				}
				got++
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("%d rows, want %d", got, c.want)
			}
		})
	}
	// Locking scan deleting every row with grp = 0, in the same transaction.
	tx, _ := n.StartTransaction(nil, nil)
	s, err := tx.ScanTable(tbl, ndbapi.ScanOptions{Lock: ndbapi.LockExclusive, BatchRows: 32})
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for r, ok := s.Next(); ok; r, ok = s.Next() {
		if r.Int64(4) == 0 {
			s.DeleteCurrent()
			deleted++
		} else if r.Int64(4) == 1 {
			rb.Reset()
			rb.SetInt64(1, -1)
			s.UpdateCurrent(rb, 1)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatal(err)
	}
	tx.Close()
	tx, _ = n.StartTransaction(nil, nil)
	s, _ = tx.ScanTable(tbl, ndbapi.ScanOptions{})
	left, minus := 0, 0
	for r, ok := s.Next(); ok; r, ok = s.Next() {
		left++
		if r.Int64(1) == -1 {
			minus++
		}
	}
	tx.Close()
	if deleted != count/10 || left != count-deleted || minus != count/10 {
		t.Fatalf("deleted %d, left %d, updated %d; want %d, %d, %d", deleted, left, minus, count/10, count-count/10, count/10)
	}
	// An early Close.
	tx, _ = n.StartTransaction(nil, nil)
	s, _ = tx.ScanTable(tbl, ndbapi.ScanOptions{BatchRows: 4})
	s.Next()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	tx.Close()
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		code      int
		temporary bool
		status    ndberr.Status
	}{
		{266, true, ndberr.StatusTemporary},
		{630, false, ndberr.StatusPermanent},
		{893, false, ndberr.StatusPermanent},
		{626, false, ndberr.StatusPermanent},
		{4012, false, ndberr.StatusUnknownResult},
		{4035, true, ndberr.StatusTemporary},
	}
	for _, c := range cases {
		e := ndberr.ByCode(c.code)
		err := &ndbapi.Error{Code: e.Code, Message: e.Message, Classification: e.Classification, Op: -1}
		if ndbapi.IsTemporary(err) != c.temporary || err.Status() != c.status || !errors.Is(err, e) {
			t.Errorf("code %d: temporary %v status %v", c.code, ndbapi.IsTemporary(err), err.Status())
		}
	}
}
