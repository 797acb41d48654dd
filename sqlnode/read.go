package sqlnode

import (
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
)

// Reads. What the engine asks for becomes (docs/sqlnode.md, "Pushdown"):
//   - a lookup whose ranges are all points on every column of the primary
//     key or of a unique index: one batch of key reads in one Execute;
//   - other ranges on an index with an ordered index (ordered indexes, and
//     the ordered index beside the primary key and each unique index): one
//     ordered index scan per range, with bounds;
//   - anything else: a table scan (sorted in the SQL node when the engine
//     relies on index order and there is no ordered index).
//
// Committed reads run in a short transaction of their own. Locking reads
// (UPDATE, DELETE, SELECT ... FOR UPDATE / LOCK IN SHARE MODE, and reads
// of a table the open transaction wrote, which must see its own changes)
// run in the session's transaction as index or table scans: a key read of
// a missing row aborts an NDB transaction, a scan does not.

// readLock is how a statement reads a table.
type readLock struct {
	inTx bool
	lm   ndbapi.LockMode
}

// readLock decides how the current statement reads t. Called with s.mu
// held.
func (s *Session) readLock(ctx *sql.Context, t *Table) readLock {
	intent := lockIntent(ctx.Query())
	if s.tx != nil && s.written[t.def.ID] {
		if intent == ndbapi.CommittedRead {
			intent = ndbapi.LockShared
		}
		return readLock{true, intent}
	}
	if intent != ndbapi.CommittedRead {
		return readLock{true, intent}
	}
	return readLock{}
}

// lockIntent reads the lock a statement asks for from its text: UPDATE and
// DELETE lock exclusively what they read; SELECT ... FOR UPDATE and
// LOCK IN SHARE MODE / FOR SHARE lock too. The engine does not pass the
// locking clause to tables, hence the text. A false positive only locks.
func lockIntent(q string) ndbapi.LockMode {
	w := firstWord(q)
	switch {
	case strings.EqualFold(w, "update"), strings.EqualFold(w, "delete"):
		return ndbapi.LockExclusive
	case strings.EqualFold(w, "select"), strings.EqualFold(w, "with"), w == "(":
		if containsFold(q, "for update") {
			return ndbapi.LockExclusive
		}
		if containsFold(q, "lock in share mode") || containsFold(q, "for share") {
			return ndbapi.LockShared
		}
	}
	return ndbapi.CommittedRead
}

// firstWord is the statement's first keyword, after spaces and comments.
func firstWord(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n")
		switch {
		case strings.HasPrefix(q, "/*"):
			end := strings.Index(q, "*/")
			if end < 0 {
				return ""
			}
			q = q[end+2:]
			continue
		case strings.HasPrefix(q, "--"), strings.HasPrefix(q, "#"):
			end := strings.IndexByte(q, '\n')
			if end < 0 {
				return ""
			}
			q = q[end+1:]
			continue
		}
		break
	}
	if strings.HasPrefix(q, "(") {
		return "("
	}
	end := strings.IndexAny(q, " \t\r\n(")
	if end < 0 {
		return q
	}
	return q[:end]
}

// containsFold reports whether q contains word, ignoring ASCII case.
func containsFold(q, word string) bool {
	n := len(word)
	for i := 0; i+n <= len(q); i++ {
		if strings.EqualFold(q[i:i+n], word) {
			return true
		}
	}
	return false
}

// defaultScanBatch is the data nodes' default batch (rows per fragment
// and round trip); a LIMIT below it asks for batches of the limit.
const defaultScanBatch = 256

// scanSpec is one scan of a read: a table scan (index -1) or an ordered
// index scan with bounds.
type scanSpec struct {
	index int
	opts  ndbapi.ScanOptions
	// inexact: the bounds take more than the range (a column after the
	// bounded prefix is restricted, or a bound could not be encoded); the
	// engine re-checks the conditions (PreciseMatch is false), but the
	// scan may return rows of other ranges of the lookup too.
	inexact bool
}

// rowIter returns a read's rows.
type rowIter struct {
	t    *Table
	s    *Session
	lock readLock

	cond     *pushedCond // pushed condition; nil: none
	local    bool        // check cond here rather than on the data nodes
	limit    uint64      // stop after this many rows; 0: no limit
	returned uint64

	// key batch
	keyIx   *Index
	keys    [][]any
	fetched bool
	rows    []sql.Row

	// scans, in order
	specs    []scanSpec
	next     int
	cur      *ndbapi.Scan
	curTx    *ndbapi.Transaction // the transaction cur runs in
	own      *ndbapi.Transaction // the committed-read transaction
	sortCols []int               // materialize and sort by these columns
	// seen holds the primary keys returned so far when scans may overlap
	// (several ranges, one of them inexact): a row is returned once.
	seen map[string]struct{}
}

// planLookup turns an index lookup into key reads or scans.
func (t *Table) planLookup(ctx *sql.Context, s *Session, l *sql.IndexLookup, it *rowIter) error {
	if l.IsEmptyRange {
		it.fetched = true
		return nil
	}
	x, ok := l.Index.(*Index)
	ranges, rok := l.Ranges.(sql.MySQLRangeCollection)
	if !ok || !rok || x.t.def.ID != t.def.ID {
		it.specs = []scanSpec{{index: -1}}
		return nil
	}
	// The ranges come in the order to return them: sql.NewIndexLookup
	// has already reversed them for a descending lookup.
	if x.unique && !it.lock.inTx {
		keys := make([][]any, 0, len(ranges))
		points := true
		for _, r := range ranges {
			vals, ok, exact := pointValues(ctx, x, r)
			if !ok {
				points = false
				break
			}
			if exact {
				keys = append(keys, vals)
			}
		}
		if points {
			it.keyIx, it.keys = x, keys
			return nil
		}
	}
	if x.ord < 0 {
		it.specs = []scanSpec{{index: -1}}
		it.sortCols = x.cols
		return nil
	}
	overlap := false
	for _, r := range ranges {
		spec, err := t.boundSpec(ctx, x, r)
		if err != nil {
			return err
		}
		spec.opts.Descending = l.IsReverse
		it.specs = append(it.specs, spec)
		overlap = overlap || spec.inexact
	}
	if overlap && len(it.specs) > 1 {
		it.seen = make(map[string]struct{})
	}
	return nil
}

// pointValues returns the key of a range that is a point on every column
// of x; exact is false when a value cannot be a value of its column (the
// point matches nothing).
func pointValues(ctx *sql.Context, x *Index, r sql.MySQLRange) (vals []any, ok, exact bool) {
	if len(r) < len(x.cols) {
		return nil, false, false
	}
	exact = true
	for i, c := range x.cols {
		lo, lok := r[i].LowerBound.(sql.Below)
		hi, hok := r[i].UpperBound.(sql.Above)
		if !lok || !hok || lo.Key == nil || hi.Key == nil {
			return nil, false, false
		}
		if cmp, err := r[i].Typ.Compare(ctx, lo.Key, hi.Key); err != nil || cmp != 0 {
			return nil, false, false
		}
		v, ex := exactValue(ctx, x.t.sch[c].Type, lo.Key)
		if !ex {
			exact = false
		}
		vals = append(vals, v)
	}
	return vals, true, exact
}

// exactValue converts v to column type typ when the conversion loses
// nothing (3.5 is no INT value; 'abc' is no DATE).
func exactValue(ctx *sql.Context, typ sql.Type, v any) (any, bool) {
	cv, inRange, err := typ.Convert(ctx, v)
	if err != nil || inRange != sql.InRange || cv == nil {
		return nil, false
	}
	switch x := v.(type) {
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return cv, true
	case float32:
		return cv, isIntegral(float64(x)) || !isIntType(cv)
	case float64:
		return cv, isIntegral(x) || !isIntType(cv)
	case decimal.Decimal:
		return cv, x.Equal(x.Truncate(0)) || !isIntType(cv)
	case string, []byte:
		switch cv.(type) {
		case string, []byte:
			return cv, true
		}
		return cv, false
	case time.Time:
		_, ok := cv.(time.Time)
		return cv, ok
	}
	return cv, false
}

func isIntegral(f float64) bool { return f == float64(int64(f)) }

func isIntType(v any) bool {
	switch v.(type) {
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

// boundSpec is the ordered index scan of one range: the equal prefix of
// the range's columns and the bounds of the next column. Columns after it
// are left to the engine's filter (the spec is then inexact).
func (t *Table) boundSpec(ctx *sql.Context, x *Index, r sql.MySQLRange) (scanSpec, error) {
	spec := scanSpec{index: x.ord, opts: ndbapi.ScanOptions{Ordered: true}}
	ordCols := t.def.Indexes[x.ord].Columns
	lowRB, highRB := t.nt.NewRowBuilder(), t.nt.NewRowBuilder()
	nLow, nHigh := 0, 0
	lowInc, highInc := true, true
	exact := true
	i := 0
	for ; i < len(r) && i < len(ordCols); i++ {
		c := ordCols[i]
		typ := t.sch[c].Type
		nullable := t.def.Columns[c].Nullable
		ce := r[i]
		if isPointCut(ctx, ce) {
			v, ex := exactValue(ctx, typ, sql.GetMySQLRangeCutKey(ce.LowerBound))
			if !ex || setValue(lowRB, c, v) != nil || setValue(highRB, c, v) != nil {
				exact = false
				break
			}
			nLow, nHigh = nLow+1, nHigh+1
			continue
		}
		if _, null := ce.LowerBound.(sql.BelowNull); null {
			if _, isNull := ce.UpperBound.(sql.AboveNull); isNull { // IS NULL
				if nullable {
					lowRB.SetNull(c)
					highRB.SetNull(c)
					nLow, nHigh = nLow+1, nHigh+1
				} else {
					exact = false // matches nothing; the engine's filter drops all
				}
				i++
				break
			}
		}
		switch lb := ce.LowerBound.(type) {
		case sql.BelowNull: // every value, NULL included: no bound
		case sql.AboveNull:
			if nullable {
				lowRB.SetNull(c)
				nLow++
				lowInc = false
			}
		case sql.Below:
			if v, ex := exactValue(ctx, typ, lb.Key); ex && setValue(lowRB, c, v) == nil {
				nLow++
			} else {
				exact = false
			}
		case sql.Above:
			if v, ex := exactValue(ctx, typ, lb.Key); ex && setValue(lowRB, c, v) == nil {
				nLow++
				lowInc = false
			} else {
				exact = false
			}
		default:
			exact = false
		}
		switch ub := ce.UpperBound.(type) {
		case sql.AboveAll: // no bound
		case sql.Above:
			if v, ex := exactValue(ctx, typ, ub.Key); ex && setValue(highRB, c, v) == nil {
				nHigh++
			} else {
				exact = false
			}
		case sql.Below:
			if v, ex := exactValue(ctx, typ, ub.Key); ex && setValue(highRB, c, v) == nil {
				nHigh++
				highInc = false
			} else {
				exact = false
			}
		default:
			exact = false
		}
		i++
		break
	}
	if exact {
		for _, ce := range r[min(i, len(r)):] {
			if !fullRangeColumn(ce) {
				exact = false
			}
		}
	}
	spec.inexact = !exact
	var err error
	if nLow > 0 {
		if spec.opts.Low, err = t.nt.SearchKey(nil, x.ord, nLow, t.nt.Layout.RowOf(lowRB.AppendRow(nil))); err != nil {
			return spec, err
		}
	}
	if nHigh > 0 {
		if spec.opts.High, err = t.nt.SearchKey(nil, x.ord, nHigh, t.nt.Layout.RowOf(highRB.AppendRow(nil))); err != nil {
			return spec, err
		}
	}
	spec.opts.LowInclusive, spec.opts.HighInclusive = lowInc, highInc
	return spec, nil
}

// fullRangeColumn reports whether a range column takes every value, NULL
// included.
func fullRangeColumn(ce sql.MySQLRangeColumnExpr) bool {
	_, lo := ce.LowerBound.(sql.BelowNull)
	_, hi := ce.UpperBound.(sql.AboveAll)
	return lo && hi
}

func isPointCut(ctx *sql.Context, ce sql.MySQLRangeColumnExpr) bool {
	lo, lok := ce.LowerBound.(sql.Below)
	hi, hok := ce.UpperBound.(sql.Above)
	if !lok || !hok || lo.Key == nil || hi.Key == nil {
		return false
	}
	cmp, err := ce.Typ.Compare(ctx, lo.Key, hi.Key)
	return err == nil && cmp == 0
}

// Next implements sql.RowIter.
func (it *rowIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.limit > 0 && it.returned >= it.limit {
		return nil, io.EOF // enough: no more batches are asked for
	}
	it.returned++
	s := it.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.keyIx != nil || it.sortCols != nil || it.fetched {
		if !it.fetched {
			it.fetched = true
			var err error
			if it.keyIx != nil {
				err = it.fetchKeys()
			} else {
				err = it.fetchSorted()
			}
			if err != nil {
				return nil, err
			}
		}
		if len(it.rows) == 0 {
			return nil, io.EOF
		}
		r := it.rows[0]
		it.rows = it.rows[1:]
		return r, nil
	}
	img, err := it.nextScanRow()
	if err != nil {
		return nil, err
	}
	return it.t.toRow(it.t.nt.Layout.RowOf(img))
}

// nextScanRow returns the next row image of the scans (valid until the
// next call), or io.EOF.
func (it *rowIter) nextScanRow() ([]byte, error) {
	s := it.s
	for {
		if it.cur == nil {
			if it.next >= len(it.specs) {
				return nil, io.EOF
			}
			spec := it.specs[it.next]
			it.next++
			var tx *ndbapi.Transaction
			var err error
			if it.lock.inTx {
				tx, err = s.transaction(it.t.nt, nil)
			} else {
				if it.own == nil {
					ndb, nerr := s.getNdb()
					if nerr != nil {
						return nil, nerr
					}
					if it.own, err = ndb.StartTransaction(it.t.nt, nil); err != nil {
						return nil, mysqlError(err)
					}
				}
				tx = it.own
			}
			if err != nil {
				return nil, mysqlError(err)
			}
			spec.opts.Lock = it.lock.lm
			if it.cond != nil && !it.local {
				spec.opts.Filter = it.cond.prog
				it.t.p.stats.PushedScans.Add(1)
			}
			if it.limit > 0 && it.limit < defaultScanBatch && (it.cond == nil || !it.local) {
				spec.opts.BatchRows = int(it.limit)
			}
			if spec.index < 0 {
				it.t.p.stats.TableScans.Add(1)
				it.cur, err = tx.ScanTable(it.t.nt, spec.opts)
			} else {
				it.t.p.stats.IndexScans.Add(1)
				it.cur, err = tx.ScanIndex(it.t.nt, spec.index, spec.opts)
			}
			if err != nil {
				it.cur = nil
				return nil, it.fail(err)
			}
			it.curTx = tx
		}
		r, ok := it.cur.Next()
		if ok {
			it.t.p.stats.ScanRows.Add(1)
			if it.local && !it.cond.match.Match(r) {
				continue
			}
			if it.seen != nil {
				k := string(it.t.nt.Layout.Key(r.Fixed))
				if _, dup := it.seen[k]; dup {
					continue
				}
				it.seen[k] = struct{}{}
			}
			img := r.Fixed
			if len(r.Var) > 0 {
				img = append(append(make([]byte, 0, len(r.Fixed)+len(r.Var)), r.Fixed...), r.Var...)
			}
			return img, nil
		}
		err := it.cur.Err()
		it.closeScan()
		if err != nil {
			return nil, it.fail(err)
		}
	}
}

// closeScan closes the current scan and counts what it received. A
// locking scan whose transaction the session rolled back meanwhile (a
// failed statement: editor.DiscardChanges) is not closed: the rollback
// closed it on the data nodes, and a close request would wait for an
// answer that never comes (the API's TransactionTimeout). Called with
// s.mu held.
func (it *rowIter) closeScan() {
	b, r := it.cur.Received()
	if !it.lock.inTx || it.s.tx == it.curTx {
		it.cur.Close()
	}
	it.cur, it.curTx = nil, nil
	st := &it.t.p.stats
	st.ScanBatches.Add(b)
	st.ScanRowsIn.Add(r)
}

// fail maps a read error; a failed locking read aborted the session's
// transaction.
func (it *rowIter) fail(err error) error {
	if it.lock.inTx {
		it.s.abortTx()
	}
	return mysqlError(err)
}

// fetchSorted reads every row of the scans and sorts them by sortCols
// (index order where the engine relies on it and no ordered index exists).
func (it *rowIter) fetchSorted() error {
	l := it.t.nt.Layout
	var imgs [][]byte
	for {
		img, err := it.nextScanRow()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		imgs = append(imgs, append([]byte(nil), img...))
	}
	slices.SortStableFunc(imgs, func(a, b []byte) int { return l.CompareRows(it.sortCols, l.RowOf(a), l.RowOf(b)) })
	for _, img := range imgs {
		r, err := it.t.toRow(l.RowOf(img))
		if err != nil {
			return err
		}
		it.rows = append(it.rows, r)
	}
	return nil
}

// fetchKeys reads the key batch in one Execute. A missing row aborts an
// NDB transaction (there is no IgnoreError yet), so the batch is sent
// again without that key until it succeeds: one extra round trip per
// missing key.
func (it *rowIter) fetchKeys() error {
	ndb, err := it.s.getNdb()
	if err != nil {
		return err
	}
	t, x := it.t, it.keyIx
	rb := t.rowBuilder()
	defer t.putRowBuilder(rb)
	fill := func(k []any) bool {
		rb.Reset()
		for j, c := range x.cols {
			if setValue(rb, c, k[j]) != nil {
				return false // no row can have this key
			}
		}
		return true
	}
	var keys [][]any
	for _, k := range it.keys {
		if fill(k) {
			keys = append(keys, k)
		}
	}
	for len(keys) > 0 {
		var tx *ndbapi.Transaction
		ops := make([]*ndbapi.Operation, 0, len(keys))
		for _, k := range keys {
			fill(k)
			if tx == nil {
				var hint []byte
				if x.pos < 0 {
					hint = rb.AppendKey(nil)
				}
				if tx, err = ndb.StartTransaction(t.nt, hint); err != nil {
					return mysqlError(err)
				}
			}
			if x.pos < 0 {
				ops = append(ops, tx.Read(t.nt, rb, ndbapi.CommittedRead))
			} else {
				ops = append(ops, tx.ReadUnique(t.nt, x.pos, rb, ndbapi.CommittedRead))
			}
		}
		t.p.stats.KeyBatches.Add(1)
		t.p.stats.KeysRead.Add(uint64(len(ops)))
		err := tx.Execute(ndbapi.Commit)
		if err == nil {
			for _, op := range ops {
				if r, ok := op.Row(); ok {
					t.p.stats.KeyRows.Add(1)
					if it.cond != nil && !it.cond.match.Match(r) {
						continue
					}
					row, cerr := t.toRow(r)
					if cerr != nil {
						tx.Close()
						return cerr
					}
					it.rows = append(it.rows, row)
				}
			}
			tx.Close()
			return nil
		}
		tx.Close()
		var ne *ndbapi.Error
		if ndbapi.Code(err) == ndberr.ErrNoSuchRow.Code && errors.As(err, &ne) && ne.Op >= 0 && ne.Op < len(keys) {
			keys = slices.Delete(slices.Clone(keys), ne.Op, ne.Op+1)
			continue
		}
		return mysqlError(err)
	}
	return nil
}

// Close implements sql.RowIter.
func (it *rowIter) Close(*sql.Context) error {
	s := it.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.cur != nil {
		it.closeScan()
	}
	if it.own != nil {
		it.own.Close()
		it.own = nil
	}
	return nil
}
