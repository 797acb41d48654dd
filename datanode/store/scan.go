package store

import (
	"fmt"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/ordidx"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// RowFilter is a pushed-down condition run on each row a scan examines;
// rows for which Match is false are not returned. Match must not keep the
// Row (its bytes are row memory) and must not change the fragment.
type RowFilter interface {
	Match(r schema.Row) bool
}

// ScanPos is a full-fragment scan's position; the zero value is the start.
// Scans walk row ids in order, so a scan resumed after changes returns
// every row that existed for the whole scan exactly once; rows inserted or
// deleted meanwhile may or may not be seen.
type ScanPos struct {
	next RowID
	done bool
}

// Done reports whether the scan has finished.
func (p *ScanPos) Done() bool { return p.done }

// ScanNext continues a committed-read scan: it examines at most maxExamine
// slots and appends up to len(out) matching row ids to out, returning how
// many. Read the rows with ReadRow before anything else changes the
// fragment. filter may be nil.
func (f *Fragment) ScanNext(pos *ScanPos, filter RowFilter, out []RowID, maxExamine int) int {
	return f.scanNext(pos, filter, out, maxExamine, flagLive|flagCopy|flagUncommitted, true)
}

// ScanNextRows is ScanNext without a filter that also returns rows whose
// insert is prepared but not committed (IsPendingInsert): a node
// restart's copy waits for those, where a committed-read scan skips them.
// It does not count in the fragment's scan statistics.
func (f *Fragment) ScanNextRows(pos *ScanPos, out []RowID, maxExamine int) int {
	return f.scanNext(pos, nil, out, maxExamine, flagLive|flagCopy, false)
}

// scanNext walks the slots from pos, returning those whose flags under
// mask are exactly flagLive and that pass filter.
func (f *Fragment) scanNext(pos *ScanPos, filter RowFilter, out []RowID, maxExamine int, mask byte, count bool) int {
	if pos.done {
		return 0
	}
	if count {
		f.stats.Scans++
	}
	n := 0
	region := f.rows.region
	for pi := int(pos.next >> slotBits); pi < len(f.rows.pages); pi++ {
		p := &f.rows.pages[pi]
		slot := 0
		if pi == int(pos.next>>slotBits) {
			slot = int(pos.next & slotMask)
		}
		if !p.live {
			continue
		}
		base := int(p.gid) * mem.PageSize
		for ; slot < int(p.bump); slot++ {
			if n == len(out) || maxExamine == 0 {
				pos.next = RowID(pi)<<slotBits | RowID(slot)
				if count {
					f.stats.ScanRowsReturned += uint64(n)
				}
				return n
			}
			maxExamine--
			if region[base+slot*f.slot+hdrFlags]&mask != flagLive {
				continue
			}
			r := RowID(pi)<<slotBits | RowID(slot)
			if count {
				f.stats.ScanRowsExamined++
			}
			if filter != nil && !filter.Match(f.view(r)) {
				continue
			}
			out[n] = r
			n++
		}
	}
	pos.done = true
	if count {
		f.stats.ScanRowsReturned += uint64(n)
	}
	return n
}

// IsPendingInsert reports whether r is a row whose insert is prepared and
// not yet committed (or aborted).
func (f *Fragment) IsPendingInsert(r RowID) bool {
	return f.rows.valid(r) && f.rows.slot(r)[hdrFlags]&(flagLive|flagCopy|flagUncommitted) == flagLive|flagUncommitted
}

// ReadRow appends committed row r's image to dst: for rows a scan returned.
func (f *Fragment) ReadRow(r RowID, dst []byte) []byte {
	return f.appendRow(dst, r)
}

// RowGCI is the GCI committed row r was last written in (a scan's row).
func (f *Fragment) RowGCI(r RowID) uint64 { return rowGCI(f.rows.slot(r)) }

// RowView returns row r as a schema.Row over row memory, valid until the
// fragment next changes or views a row with a chained var part.
func (f *Fragment) RowView(r RowID) schema.Row { return f.view(r) }

// Bound is one end of an ordered-index scan: a search key over a prefix of
// the index's columns (schema's search-key format).
type Bound = ordidx.Bound

// IndexScan is a committed-read range scan of an ordered index, read in
// batches with Next. Rows may be inserted and deleted between batches.
type IndexScan struct {
	f      *Fragment
	o      *orderedIndex
	cur    ordidx.Cursor
	filter RowFilter
	buf    []RowID
	resume []byte
	done   bool

	lo, hi     Bound
	descending bool
	sent       []byte // index key of the last row handed out (Sent)
	sentRow    RowID
	hasSent    bool
}

// OrderedScan starts a scan of index number ix (its position in
// Table.Indexes) between lo and hi, ascending or descending.
func (f *Fragment) OrderedScan(ix int, lo, hi Bound, descending bool, filter RowFilter) (*IndexScan, error) {
	var o *orderedIndex
	for _, c := range f.ord {
		if c.number == ix {
			o = c
		}
	}
	switch {
	case o == nil && (ix < 0 || ix >= len(f.layout.Table.Indexes) || f.layout.Table.Indexes[ix].Kind == schema.IndexDropped):
		// A request from a node that knows another version of the table.
		return nil, fmt.Errorf("table %s version %d has no index %d: %w", f.layout.Table.Name, f.layout.Table.Version, ix, ndberr.ErrSchemaVersion)
	case o == nil:
		return nil, fmt.Errorf("index %d of %s is not an ordered index: %w", ix, f.layout.Table.Name, ndberr.ErrBadAttribute)
	case o.retired:
		return nil, fmt.Errorf("index %d of %s was dropped: %w", ix, f.layout.Table.Name, ndberr.ErrSchemaVersion)
	case o.building:
		return nil, fmt.Errorf("index %s of %s, fragment %d: %w", f.layout.Table.Indexes[ix].Name, f.layout.Table.Name, f.ID, ndberr.ErrIndexNotOnline)
	}
	for _, b := range []Bound{lo, hi} {
		if b.Unbounded {
			continue
		}
		if _, err := f.layout.CheckSearchKey(o.cols, b.Key); err != nil {
			return nil, err
		}
	}
	f.stats.Scans++
	return &IndexScan{f: f, o: o, cur: o.tree.Seek(lo, hi, descending), filter: filter,
		lo: lo, hi: hi, descending: descending}, nil
}

// Next appends up to len(out) matching row ids in index order and returns
// how many; 0 means the scan is over.
func (s *IndexScan) Next(out []RowID) int {
	if s.done {
		return 0
	}
	n := 0
	for n < len(out) {
		if cap(s.buf) < len(out) {
			s.buf = make([]RowID, len(out))
		}
		got := s.cur.Next(s.buf[:len(out)-n])
		if got == 0 {
			s.done = true
			break
		}
		for _, r := range s.buf[:got] {
			s.f.stats.ScanRowsExamined++
			if s.filter != nil && !s.filter.Match(s.f.view(r)) {
				continue
			}
			out[n] = r
			n++
		}
		// Remember the position by key, so the rows may be deleted and
		// their memory reused before the next batch.
		last := s.buf[got-1]
		s.resume = s.o.appendKey(s.resume[:0], last)
		s.cur.ResumeAfterKey(s.resume, last)
	}
	s.f.stats.ScanRowsReturned += uint64(n)
	return n
}

// Sent records that row r, returned by Next, was handed out; call it for
// the last such row before the fragment changes. Rewind resumes after it.
func (s *IndexScan) Sent(r RowID) {
	s.sent = s.o.appendKey(s.sent[:0], r)
	s.sentRow, s.hasSent = r, true
}

// Rewind forgets the rows Next returned after the last Sent one: the next
// Next starts again just after it, in index order as the index is now. A
// caller that cannot hand out every row of a batch at once (a byte limit,
// a lock wait) rewinds instead of keeping row ids whose index keys may
// change meanwhile.
func (s *IndexScan) Rewind() {
	if s.hasSent {
		s.cur.ResumeAfterKey(s.sent, s.sentRow)
	} else {
		s.cur = s.o.tree.Seek(s.lo, s.hi, s.descending)
	}
	s.done = false
}

// RowKey returns committed row r's key image (a view into row memory, valid
// until the fragment changes): what its partition hash is computed over.
func (f *Fragment) RowKey(r RowID) []byte {
	s := f.rows.slot(r)
	return s[f.hdr : f.hdr+f.layout.KeySize]
}

// LockRow locks a row a scan returned for tx, shared or exclusive, as the
// key operations do; h is the row's partition hash (of RowKey). A row that
// is no longer a committed row (deleted, or its slot not live) is
// ErrNoSuchRow; a conflict is ErrRowLocked.
func (f *Fragment) LockRow(tx TxID, r RowID, h uint64, shared bool) (OpRef, error) {
	if !f.rows.valid(r) {
		return 0, ndberr.ErrNoSuchRow
	}
	s := f.rows.slot(r)
	if s[hdrFlags]&(flagLive|flagCopy|flagUncommitted) != flagLive {
		return 0, ndberr.ErrNoSuchRow
	}
	if shared {
		return f.PrepareLockShared(tx, h, f.RowKey(r))
	}
	ref, _, err := f.acquire(tx, r, s, uint32(h>>32))
	if err != nil {
		return 0, err
	}
	if !f.ops[ref].existsAfter {
		return 0, ndberr.ErrNoSuchRow // tx itself deleted it; its record stays
	}
	f.ops[ref].ops++
	return ref, nil
}

// ReadRowTx appends row r as tx sees it: tx's prepared image when tx holds
// the row, else the committed row.
func (f *Fragment) ReadRowTx(tx TxID, r RowID, dst []byte) []byte {
	if f.rows.slot(r)[hdrFlags]&flagLocked != 0 {
		if ref, ok := f.locks.get(r); ok && f.ops[ref].tx == tx && f.ops[ref].image != NoRow {
			return f.appendRow(dst, f.ops[ref].image)
		}
	}
	return f.appendRow(dst, r)
}

// IsCommittedRow reports whether r (a row id kept from an earlier scan
// batch) still names a committed row.
func (f *Fragment) IsCommittedRow(r RowID) bool {
	return f.rows.valid(r) && f.rows.slot(r)[hdrFlags]&(flagLive|flagCopy|flagUncommitted) == flagLive
}
