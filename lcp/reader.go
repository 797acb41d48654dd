package lcp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Info describes a finished LCP (Finish), a restore (Restore) or a file
// (VerifyFile).
type Info struct {
	Table, Fragment uint32
	// Entry is, for Finish, the new LCP; for Restore, the restore point:
	// the newest LCP applied. Redo replay starts at its StartGCI.
	Entry
	// Chain lists the LCPs applied, the FULL one first.
	Chain []Entry
	// Skipped lists, newest first, the LCPs (and control copies, with ID 0)
	// that Restore passed over, and why.
	Skipped []Skipped
	// Restored counts the records Restore delivered and their bytes.
	RestoredRows, RestoredDeleted, RestoredBytes uint64
}

// Skipped is an LCP that Restore could not use.
type Skipped struct {
	ID     uint64 // 0: a control file copy
	Reason string
	Err    error // the corruption or I/O error, if that was the reason
	// TooNew: the LCP's stop GCI is after the restorable GCI (it finished
	// after the last GCP save the restart trusts).
	TooNew bool
}

// OnlyTooNew reports whether every checkpoint Restore skipped was too new:
// none had become usable. A node never releases redo behind an LCP that
// was not usable, so the fragment's redo log still holds everything since
// the node's start, and a restore from the redo log alone is right.
func (i Info) OnlyTooNew() bool {
	n := 0
	for _, sk := range i.Skipped {
		if sk.ID == 0 {
			continue // a control file copy
		}
		if !sk.TooNew {
			return false
		}
		n++
	}
	return n > 0
}

// A scanner reads data files; its buffers are reused from file to file.
type scanner struct {
	table, fragment uint32 // what a file checked against a control entry must say
	br              *bufio.Reader
	stored          []byte
	raw             []byte
	dec             decompressor
}

func newScanner() *scanner {
	return &scanner{br: bufio.NewReaderSize(nil, 1<<20)}
}

func (s *scanner) release() { s.dec.release() }

// scan reads the data file at path and checks every checksum, length and
// count. With want it also checks that the file is the one the control file
// describes. With deliver it decompresses each block and hands each record
// to deliver (the bytes are valid only during the call); without, it checks
// only the stored bytes (CRCs, structure), which is cheap. The returned
// Entry is what the file itself says.
func (s *scanner) scan(path string, want *Entry, deliver func(RecordKind, []byte) error) (Entry, error) {
	var e Entry
	f, err := os.Open(path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return e, err
	}
	size := st.Size()
	if want != nil && uint64(size) != want.FileBytes {
		return e, corrupt(path, min(size, int64(want.FileBytes)), "file is "+strconv.FormatInt(size, 10)+
			" bytes, the control file says "+strconv.FormatUint(want.FileBytes, 10)+" (truncated or overwritten)")
	}
	br := s.br
	br.Reset(f)
	var hb [footerSize]byte
	if _, err := io.ReadFull(br, hb[:fileHeaderSize]); err != nil {
		return e, readErr(path, 0, "file header", err)
	}
	var h fileHeader
	if r := h.decode(hb[:fileHeaderSize]); r != "" {
		return e, corrupt(path, 0, r)
	}
	if want == nil {
		s.table, s.fragment = h.table, h.fragment
	}
	e = Entry{ID: h.id, Kind: h.kind, Codec: h.codec, SchemaVersion: h.schemaVersion, StartGCI: h.startGCI, BaseID: h.baseID}
	if (h.kind == Full) != (h.baseID == 0) {
		return e, corrupt(path, 32, "base id does not fit the LCP kind")
	}
	if want != nil {
		if h.table != s.table || h.fragment != s.fragment {
			return e, corrupt(path, 8, "file is of table "+strconv.FormatUint(uint64(h.table), 10)+" fragment "+
				strconv.FormatUint(uint64(h.fragment), 10)+", not the control file's")
		}
		if h.id != want.ID || h.kind != want.Kind || h.codec != want.Codec || h.startGCI != want.StartGCI ||
			h.baseID != want.BaseID || h.schemaVersion != want.SchemaVersion {
			return e, corrupt(path, 0, "file header does not match the control file's entry for LCP "+strconv.FormatUint(want.ID, 10))
		}
	}
	off := int64(fileHeaderSize)
	var (
		chain                   uint32
		blocks, records         uint64
		rows, deleted, dataSize uint64
	)
	for {
		peek, err := br.Peek(4)
		if len(peek) < 4 {
			if err == io.EOF && len(peek) == 0 {
				return e, corrupt(path, off, "file ends without a footer (truncated)")
			}
			return e, readErr(path, off, "block header", err)
		}
		if [4]byte(peek) == magicFooter {
			break
		}
		if [4]byte(peek) != magicBlock {
			return e, corrupt(path, off, "bad block magic")
		}
		if _, err := io.ReadFull(br, hb[:blockHeaderSize]); err != nil {
			return e, readErr(path, off, "block header", err)
		}
		var bh blockHeader
		if r := bh.decode(hb[:blockHeaderSize], h.codec, h.version); r != "" {
			return e, corrupt(path, off, r)
		}
		chain = crc32.Update(chain, castagnoli, hb[:24])
		payloadOff := off + blockHeaderSize
		if int64(bh.storedLen) > size-payloadOff-footerSize {
			return e, corrupt(path, off, "block runs past the end of the file (truncated)")
		}
		if cap(s.stored) < int(bh.storedLen) {
			s.stored = make([]byte, bh.storedLen)
		}
		stored := s.stored[:bh.storedLen]
		if _, err := io.ReadFull(br, stored); err != nil {
			return e, readErr(path, payloadOff, "block payload", err)
		}
		if crc(stored) != bh.payloadCRC {
			return e, corrupt(path, payloadOff, "block payload checksum mismatch")
		}
		blocks++
		records += uint64(bh.records)
		if deliver != nil {
			raw := stored
			if bh.codec != CodecNone {
				var r string
				raw, r = s.dec.decompress(bh.codec, s.raw, stored, int(bh.rawLen))
				s.raw = raw
				if r != "" {
					return e, corrupt(path, payloadOff, r)
				}
			}
			nr, nd, nb, r, err := parseRecords(raw, bh.records, h.kind, deliver)
			if err != nil {
				return e, err
			}
			if r != "" {
				return e, corrupt(path, payloadOff, r)
			}
			rows, deleted, dataSize = rows+nr, deleted+nd, dataSize+nb
		}
		off = payloadOff + int64(bh.storedLen)
	}
	if _, err := io.ReadFull(br, hb[:]); err != nil {
		return e, readErr(path, off, "footer", err)
	}
	var ft footer
	if r := ft.decode(hb[:]); r != "" {
		return e, corrupt(path, off, r)
	}
	switch {
	case ft.offset != uint64(off):
		return e, corrupt(path, off, "footer offset "+strconv.FormatUint(ft.offset, 10)+" is not where it lies")
	case ft.blocks != blocks || ft.rows+ft.deleted != records:
		return e, corrupt(path, off, "footer totals do not match the blocks")
	case ft.chainCRC != chain:
		return e, corrupt(path, off, "footer chain checksum does not match the block headers")
	case deliver != nil && (ft.rows != rows || ft.deleted != deleted || ft.dataBytes != dataSize):
		return e, corrupt(path, off, "footer totals do not match the records")
	case h.kind == Full && ft.deleted != 0:
		return e, corrupt(path, off, "a FULL LCP with deleted keys")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return e, corrupt(path, off+footerSize, "bytes after the footer")
	}
	e.Rows, e.Deleted, e.Blocks, e.DataBytes = ft.rows, ft.deleted, ft.blocks, ft.dataBytes
	e.FileBytes, e.FileCRC = uint64(size), chain
	if want != nil && (e.Rows != want.Rows || e.Deleted != want.Deleted || e.Blocks != want.Blocks ||
		e.DataBytes != want.DataBytes || e.FileCRC != want.FileCRC) {
		return e, corrupt(path, off, "footer does not match the control file's entry (a different file?)")
	}
	return e, nil
}

// readErr turns a short read into a truncation report; other I/O errors
// pass through.
func readErr(path string, off int64, what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return corrupt(path, off, "truncated "+what)
	}
	return err
}

// parseRecords walks a block's records. It returns a reason for bad framing,
// or the deliver callback's error.
func parseRecords(raw []byte, count uint32, kind Kind, deliver func(RecordKind, []byte) error) (rows, deleted, bytes uint64, reason string, err error) {
	for i := uint32(0); i < count; i++ {
		if len(raw) < 2 {
			return rows, deleted, bytes, "block ends inside record " + strconv.FormatUint(uint64(i), 10), nil
		}
		k := RecordKind(raw[0])
		n, w := binary.Uvarint(raw[1:])
		if w <= 0 || n == 0 || n > uint64(len(raw)-1-w) {
			return rows, deleted, bytes, "bad length of record " + strconv.FormatUint(uint64(i), 10), nil
		}
		b := raw[1+w : 1+w+int(n)]
		raw = raw[1+w+int(n):]
		switch {
		case k == RecordRow:
			rows++
		case k == RecordDeleted && kind == Delta:
			deleted++
		default:
			return rows, deleted, bytes, "bad kind of record " + strconv.FormatUint(uint64(i), 10), nil
		}
		bytes += n
		if err := deliver(k, b); err != nil {
			return rows, deleted, bytes, "", err
		}
	}
	if len(raw) != 0 {
		return rows, deleted, bytes, "bytes after the last record", nil
	}
	return rows, deleted, bytes, "", nil
}

// VerifyFile reads a data file on its own (no control file) and checks all
// of it, decompressing every block; for tools. It returns what the file
// says about itself (Info.Entry's StopGCI, which only the control file
// knows, is 0).
func VerifyFile(path string) (Info, error) {
	s := newScanner()
	defer s.release()
	e, err := s.scan(path, nil, func(RecordKind, []byte) error { return nil })
	return Info{Table: s.table, Fragment: s.fragment, Entry: e, Chain: []Entry{e}}, err
}

// chainOf returns the LCPs that restoring entries[i] applies, FULL first,
// or a reason when a base is missing.
func chainOf(entries []Entry, i int) ([]Entry, string) {
	j := i
	for entries[j].Kind == Delta {
		if j == 0 || entries[j-1].ID != entries[j].BaseID {
			return nil, "base LCP " + strconv.FormatUint(entries[j].BaseID, 10) + " of DELTA " +
				strconv.FormatUint(entries[j].ID, 10) + " is not in the control file"
		}
		j--
	}
	return entries[j : i+1], ""
}

// Restore reads a fragment's newest usable LCP chain and hands every record
// to fn in order: the FULL LCP's rows, then each DELTA's records. Applying
// them in order gives the fragment as of the restore point (later wins: a
// row replaces the row with its key, a deleted key removes it); the caller
// then replays redo from Info.StartGCI up to maxGCI. The bytes passed to fn
// are valid only during the call.
//
// A chain is usable when every member's StopGCI <= maxGCI and every file
// checks out. Restore tries restore points newest first; before delivering
// anything it checks the whole chain's checksums, so a damaged file makes
// it fall back to an older restore point (a shorter chain, or the previous
// FULL chain that Prune keeps) without handing fn a single record of the
// bad one. Info says what was used and lists what was skipped and why.
//
// With no control file it returns ErrNoLCP; when nothing is usable, an
// error matching ErrNoUsableLCP (and ErrCorruption when damage was the
// cause). An error after fn was called (fn's own error, or damage that the
// checksum pass could not see) means the caller must discard what it
// restored.
func Restore(dir string, table, fragment uint32, maxGCI uint64, fn func(kind RecordKind, b []byte) error) (Info, error) {
	fdir := FragmentDir(dir, table, fragment)
	info := Info{Table: table, Fragment: fragment}
	c, err := readControl(fdir, table, fragment)
	for _, n := range c.Notes {
		info.Skipped = append(info.Skipped, Skipped{Reason: "control copy passed over: " + n})
	}
	if err != nil {
		if errors.Is(err, ErrNoLCP) {
			return info, err
		}
		return info, noUsable(table, fragment, "no valid control file", err)
	}
	s := newScanner()
	s.table, s.fragment = table, fragment
	defer s.release()
	verified := make(map[uint64]error)
	var firstErr error
	for i := len(c.Entries) - 1; i >= 0; i-- {
		e := c.Entries[i]
		if e.StopGCI > maxGCI {
			info.Skipped = append(info.Skipped, Skipped{ID: e.ID, TooNew: true, Reason: "stop GCI " + strconv.FormatUint(e.StopGCI, 10) +
				" is after the restorable GCI " + strconv.FormatUint(maxGCI, 10)})
			continue
		}
		chain, reason := chainOf(c.Entries, i)
		if reason != "" {
			info.Skipped = append(info.Skipped, Skipped{ID: e.ID, Reason: reason})
			continue
		}
		var bad error
		for k := range chain {
			m := &chain[k]
			err, done := verified[m.ID]
			if !done {
				_, err = s.scan(filepath.Join(fdir, DataFileName(m.ID)), m, nil)
				verified[m.ID] = err
			}
			if err != nil {
				bad = err
				break
			}
		}
		if bad != nil {
			info.Skipped = append(info.Skipped, Skipped{ID: e.ID, Reason: "chain unreadable: " + bad.Error(), Err: bad})
			if firstErr == nil {
				firstErr = bad
			}
			continue
		}
		info.Entry, info.Chain = e, append([]Entry(nil), chain...)
		deliver := func(k RecordKind, b []byte) error {
			if k == RecordRow {
				info.RestoredRows++
			} else {
				info.RestoredDeleted++
			}
			info.RestoredBytes += uint64(len(b))
			return fn(k, b)
		}
		for k := range chain {
			m := &chain[k]
			if _, err := s.scan(filepath.Join(fdir, DataFileName(m.ID)), m, deliver); err != nil {
				return info, errors.New("lcp: restore of table " + strconv.FormatUint(uint64(table), 10) + " fragment " +
					strconv.FormatUint(uint64(fragment), 10) + " failed after records were delivered: " + err.Error())
			}
		}
		return info, nil
	}
	if len(c.Entries) == 0 {
		return info, noUsable(table, fragment, "the control file lists no LCP", nil)
	}
	var why []string
	for _, sk := range info.Skipped {
		if sk.ID != 0 {
			why = append(why, "LCP "+strconv.FormatUint(sk.ID, 10)+": "+sk.Reason)
		}
	}
	return info, noUsable(table, fragment, strings.Join(why, "; "), firstErr)
}

type noUsableError struct {
	msg   string
	cause error
}

func (e *noUsableError) Error() string { return e.msg }

func (e *noUsableError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrNoUsableLCP}
	}
	return []error{ErrNoUsableLCP, e.cause}
}

func noUsable(table, fragment uint32, why string, cause error) error {
	msg := "lcp: table " + strconv.FormatUint(uint64(table), 10) + " fragment " + strconv.FormatUint(uint64(fragment), 10) +
		": no usable local checkpoint: " + why
	if cause != nil && why == "no valid control file" {
		msg += ": " + cause.Error()
	}
	return &noUsableError{msg: msg, cause: cause}
}

// FragmentLCPs is one fragment's checkpoints, as ListLCPs finds them.
type FragmentLCPs struct {
	Table, Fragment uint32
	Dir             string
	Control         Control
	Err             error // reading the control file failed
}

// ListLCPs lists every fragment with LCP files under dir and its control
// file, for tools and progress reports. A damaged control file is reported
// in that fragment's Err, not as ListLCPs' error.
func ListLCPs(dir string) ([]FragmentLCPs, error) {
	tables, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []FragmentLCPs
	for _, t := range tables {
		tid, ok := parseDirName(t.Name(), "T")
		if !ok || !t.IsDir() {
			continue
		}
		frags, err := os.ReadDir(filepath.Join(dir, t.Name()))
		if err != nil {
			return out, err
		}
		for _, f := range frags {
			fid, ok := parseDirName(f.Name(), "F")
			if !ok || !f.IsDir() {
				continue
			}
			fl := FragmentLCPs{Table: tid, Fragment: fid, Dir: filepath.Join(dir, t.Name(), f.Name())}
			fl.Control, fl.Err = readControl(fl.Dir, tid, fid)
			if errors.Is(fl.Err, ErrNoLCP) {
				fl.Err = nil
			}
			out = append(out, fl)
		}
	}
	return out, nil
}

func parseDirName(name, prefix string) (uint32, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 32)
	return uint32(n), err == nil && strconv.FormatUint(n, 10) == rest
}
