package redo

import (
	"errors"
	"fmt"
)

// chunkPages is how many pages a reader reads at once.
const chunkPages = 32

// walker reads a part's pages in log order from a start page, checks each
// page and the record stream across pages, and hands out whole records.
// Pages below meta.synced must be valid (else *CorruptError); the first
// invalid page at or after it is the end of the log.
type walker struct {
	r *ring
	m meta

	buf    []byte // read chunk
	bufLSN uint64 // LSN of buf's first page
	bufN   int    // pages valid in buf

	st      recState
	pending []byte // body of a record spanning pages (emit pass only)
	rec     Record
	err     error // the callback's error, stopping the walk
}

// recState is the record-stream state between pages.
type recState struct {
	started  bool   // a first page was accepted
	skipping bool   // skipping the rest of a record that began before the first page
	gen      uint32 // generation of the previous page
	inRec    bool   // a record is open across the page boundary
	hdr      [RecordHeaderSize]byte
	hdrHave  int // header bytes of the open record seen so far
	need     int // total length of the open record once its header is complete
	got      int // bytes of the open record seen so far
	startAt  uint64
}

func newWalker(r *ring, m meta) *walker {
	return &walker{r: r, m: m, buf: make([]byte, chunkPages*PageSize)}
}

// page returns the page at lsn, or nil if the file is too short.
func (w *walker) page(lsn uint64) ([]byte, error) {
	if w.bufN > 0 && lsn >= w.bufLSN && lsn < w.bufLSN+uint64(w.bufN)*PageSize {
		off := lsn - w.bufLSN
		return w.buf[off : off+PageSize], nil
	}
	_, fileOff := w.r.locate(lsn)
	n := min(chunkPages, int((w.r.fileSize-fileOff)/PageSize))
	got, err := w.r.readPages(lsn, w.buf[:n*PageSize])
	w.bufLSN, w.bufN = lsn, got
	if err != nil {
		w.bufN = 0
		return nil, err
	}
	if got == 0 {
		return nil, nil
	}
	return w.buf[:PageSize], nil
}

// emitFunc receives each whole record with its start LSN. rec and its
// slices are valid only during the call.
type emitFunc func(lsn uint64, rec *Record) error

// walk reads from page start to the end of the log and returns the end
// (the LSN of the first page that is not part of the log).
func (w *walker) walk(start uint64, emit emitFunc) (uint64, error) {
	limit := w.m.tail + w.r.size
	for p := start; p < limit; p += PageSize {
		pg, err := w.page(p)
		if err != nil {
			return p, err
		}
		why, at := "file truncated", -1
		var h pageHeader
		if pg != nil {
			h, why = checkPage(pg, p)
			if why == "" && h.gen > w.m.gen {
				why = "page generation newer than the metadata's"
			}
			if why == "" {
				st := w.st // dry run on a copy: emit nothing from a bad page
				why, at = w.parse(&st, pg, h, p, nil)
			}
		}
		if why != "" {
			if p < w.m.synced {
				fi, off := w.r.locate(p)
				if at >= 0 {
					off += int64(at)
				}
				return p, &CorruptError{File: w.r.path(fi), Offset: off, Reason: why}
			}
			return p, nil // end of log
		}
		if why, _ = w.parse(&w.st, pg, h, p, emit); why != "" {
			// Only the callback's error can stop the second pass.
			return p, errors.New(why)
		}
		if w.err != nil {
			err, w.err = w.err, nil
			return p, err
		}
	}
	return limit, nil
}

// parse runs the record stream over one checked page. With emit nil it only
// checks; it returns a reason and the in-page offset of the fault (-1 for
// the page header).
func (w *walker) parse(st *recState, pg []byte, h pageHeader, lsn uint64, emit emitFunc) (string, int) {
	payload := pg[PageHeaderSize : PageHeaderSize+h.used]
	pos := 0
	if !st.started {
		// The first page read: skip the rest of a record that began before it.
		st.started, st.gen, st.skipping = true, h.gen, true
	}
	switch {
	case h.gen != st.gen:
		if h.gen < st.gen {
			return "page generation went back", -1
		}
		// A restart boundary: a record left open by the crash is dropped.
		st.gen, st.inRec, st.skipping = h.gen, false, false
		w.pending = w.pending[:0]
		if h.cont != 0 {
			return "continuation after a restart", phCont
		}
	case st.skipping:
		pos = h.cont
		st.skipping = h.cont == PagePayload
	case st.inRec:
		// Complete the header first when it spans the boundary, to learn
		// the record's length.
		if st.hdrHave < RecordHeaderSize {
			k := RecordHeaderSize - st.hdrHave
			if k > len(payload) || k > h.cont {
				return "record header cut by page end", phCont
			}
			copy(st.hdr[st.hdrHave:], payload[:k])
			n, why := checkRecordHeader(st.hdr[:])
			if why != "" {
				return why, PageHeaderSize
			}
			st.hdrHave, st.need = RecordHeaderSize, n
			if emit != nil {
				w.pending = append(w.pending[:0], st.hdr[:]...)
			}
			st.got += k
			pos = k
		}
		if want := min(st.need-st.got+pos, PagePayload); h.cont != want {
			return "continuation length mismatch", phCont
		}
		take := h.cont - pos
		if emit != nil {
			w.pending = append(w.pending, payload[pos:h.cont]...)
		}
		st.got += take
		pos = h.cont
		if st.got == st.need {
			st.inRec = false
			if emit != nil {
				decodeRecord(w.pending, &w.rec)
				if err := emit(st.startAt, &w.rec); err != nil {
					w.err = err
					return "", -1
				}
			}
		} else if h.used != PagePayload || h.cont != PagePayload {
			return "record cut by a partial page", phUsed
		}
	default:
		if h.cont != 0 {
			return "unexpected continuation", phCont
		}
	}
	for pos < len(payload) {
		rem := len(payload) - pos
		at := PageHeaderSize + pos
		recLSN := lsn + uint64(at)
		if rem < RecordHeaderSize {
			if h.used != PagePayload {
				return "record header cut by a partial page", at
			}
			st.inRec, st.hdrHave, st.got, st.need, st.startAt = true, rem, rem, 0, recLSN
			copy(st.hdr[:], payload[pos:])
			return "", -1
		}
		n, why := checkRecordHeader(payload[pos:])
		if why != "" {
			return why, at
		}
		if n <= rem {
			if emit != nil {
				decodeRecord(payload[pos:pos+n], &w.rec)
				if err := emit(recLSN, &w.rec); err != nil {
					w.err = err
					return "", -1
				}
			}
			pos += n
			continue
		}
		if h.used != PagePayload {
			return "record cut by a partial page", at
		}
		st.inRec, st.hdrHave, st.got, st.need, st.startAt = true, RecordHeaderSize, rem, n, recLSN
		copy(st.hdr[:], payload[pos:pos+RecordHeaderSize])
		if emit != nil {
			w.pending = append(w.pending[:0], payload[pos:]...)
		}
		return "", -1
	}
	return "", -1
}

// Reader reads one part of a redo log at restart. It is not safe for
// concurrent use, and the part must not be open for writing meanwhile.
type Reader struct {
	r *ring
	m meta
	w *walker
}

// OpenReader opens part `part` of the redo log under dir for reading.
func OpenReader(dir string, part int) (*Reader, error) {
	pdir := PartDir(dir, part)
	m, err := readMeta(pdir)
	if err != nil {
		return nil, err
	}
	r, err := openRing(pdir, m, false)
	if err != nil {
		return nil, err
	}
	return &Reader{r: r, m: m, w: newWalker(r, m)}, nil
}

// Tail is the oldest LSN the log holds.
func (r *Reader) Tail() uint64 { return r.m.tail }

// Synced is the LSN below which the log was synced: a bad page there is
// corruption, a bad page at or after it ends the log.
func (r *Reader) Synced() uint64 { return r.m.synced }

// SyncedGCI is the highest GCI of a completed Sync.
func (r *Reader) SyncedGCI() uint64 { return r.m.syncedGCI }

// Close closes the files.
func (r *Reader) Close() error { return r.r.close() }

// Scan hands fn, in log order, every record that starts at or after fromLSN
// (0: the tail) and has fromGCI <= GCI <= toGCI. The record and its Key and
// Row are reused: valid only during the call. Scan verifies every page it
// reads and stops cleanly at the end of the log; a bad page before the
// synced LSN returns a *CorruptError. An error from fn stops the scan and is
// returned. It returns the end LSN of the log as well.
func (r *Reader) Scan(fromLSN, fromGCI, toGCI uint64, fn func(*Record) error) (uint64, error) {
	if fromLSN != 0 && fromLSN < r.m.tail {
		return 0, fmt.Errorf("redo: scan from LSN %d, but the log was released up to %d", fromLSN, r.m.tail)
	}
	start := max(r.m.tail, fromLSN/PageSize*PageSize)
	r.w.st = recState{}
	r.w.bufN = 0
	return r.w.walk(start, func(lsn uint64, rec *Record) error {
		if lsn < fromLSN || rec.GCI < fromGCI || rec.GCI > toGCI {
			return nil
		}
		return fn(rec)
	})
}
