package lcp

import (
	"bufio"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"
)

// Params describe one LCP to write. They are read-only after Create.
type Params struct {
	Table, Fragment uint32
	// ID names the LCP; it must be above every ID in the fragment's control
	// file (0 is not an ID).
	ID   uint64
	Kind Kind
	// BaseID is, for a DELTA, the LCP it holds the changes since: it must be
	// the newest LCP in the control file when Create and Finish run, and the
	// DELTA must hold every row committed at or after that LCP's StartGCI
	// plus the keys of rows deleted since then. Ignored for FULL.
	BaseID uint64
	// StartGCI is the GCI when this LCP started; restoring it is followed
	// by redo replay from here.
	StartGCI      uint64
	SchemaVersion uint32 // a DELTA's must equal its base's
	Codec         Codec  // CodecFor(CompressedLCP); CodecZstd by default
	// BlockSize is where blocks are cut, in uncompressed bytes;
	// 0 means DefaultBlockSize (256 KiB: large enough for zstd to find
	// repeats across rows, small enough to keep memory per writer low).
	BlockSize int
	// MaxBytesPerSec bounds the rate of table data written (uncompressed
	// row and key bytes per second), so an LCP never starves the LDM's
	// disk; 0 means unlimited. The writer sleeps in its own goroutine.
	MaxBytesPerSec int64
	// Rate, when set, is the rate limit instead of MaxBytesPerSec, asked
	// again before each block (an adaptive speed: the LQH raises it as its
	// redo log fills). It must be safe to call from the writer's goroutine.
	Rate func() int64
}

func (p *Params) validate() error {
	bs := p.BlockSize
	switch {
	case p.ID == 0:
		return errors.New("lcp: LCP id 0 is reserved")
	case p.Kind != Full && p.Kind != Delta:
		return errors.New("lcp: unknown LCP kind " + p.Kind.String())
	case p.Kind == Delta && (p.BaseID == 0 || p.BaseID >= p.ID):
		return errors.New("lcp: a DELTA needs a base LCP id below its own")
	case !p.Codec.valid():
		return errors.New("lcp: unknown codec " + p.Codec.String())
	case bs != 0 && (bs < 4<<10 || bs > 16<<20):
		return errors.New("lcp: block size " + strconv.Itoa(bs) + " outside 4 KiB..16 MiB")
	case p.MaxBytesPerSec < 0:
		return errors.New("lcp: negative MaxBytesPerSec")
	}
	return nil
}

// ErrChainChanged says the control file no longer ends with the base a
// DELTA was computed against (another LCP was added, or the chain lost its
// newest entry to a damaged control copy): write a FULL LCP instead.
var ErrChainChanged = errors.New("lcp: the LCP chain changed under a DELTA")

// Progress is a writer's counters, readable from any goroutine while it
// runs. They advance once per block.
type Progress struct {
	Rows, Deleted uint64
	DataBytes     uint64 // table data in: row and key bytes
	FileBytes     uint64 // bytes out, written to the data file
	Blocks        uint64
	Sleeps        uint64        // times the rate limit made the writer wait
	Throttled     time.Duration // total time waited for the rate limit
}

// clock is how the writer waits for its rate limit; tests replace it.
type clock interface {
	now() time.Time
	sleep(time.Duration)
}

type realClock struct{}

func (realClock) now() time.Time        { return time.Now() }
func (realClock) sleep(d time.Duration) { time.Sleep(d) }

// bucket is a token bucket over bytes: it fills at rate bytes per second
// up to burst; take spends n bytes and says how long to wait until the
// balance is no longer negative.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
	started             bool
}

// setRate sets the rate (bytes per second, <= 0: unlimited) and a burst of
// a tenth of a second's bytes, at least a block's.
func (b *bucket) setRate(r int64, block int) {
	if r <= 0 {
		b.rate = 0
		return
	}
	b.rate, b.burst = float64(r), float64(max(int64(block), r/10))
	b.tokens = min(b.tokens, b.burst)
}

func (b *bucket) take(n int, now time.Time) time.Duration {
	if b.rate <= 0 {
		return 0
	}
	if !b.started {
		b.started, b.last, b.tokens = true, now, b.burst
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// Writer writes one LCP data file. It is used by one goroutine (the LCP
// writer); only Progress may be called from others.
type Writer struct {
	p    Params
	fdir string
	tmp  string
	f    *os.File
	bw   *bufio.Writer
	cp   *compressor
	// rawRun counts the blocks still to store as is, without trying to
	// compress them: the last block tried saved less than 1/rawBlockSaving
	// (random data, e.g. hashed values). rawBlocks counts those stored so.
	rawRun, rawBlocks int
	raw               []byte // records of the block being filled
	records           uint32
	stored            []byte // the compressed block
	hb                [blockHeaderSize]byte
	chainCRC          uint32
	off               uint64
	blockCap          int

	rows, deleted, dataBytes, blocks uint64
	blockData                        int // data bytes in the current block

	limit bucket
	clk   clock
	err   error // sticky: once a write fails, the writer only aborts
	done  bool

	prog struct {
		rows, deleted, dataBytes, fileBytes, blocks, sleeps, throttled atomic.Uint64
	}
}

// Create starts LCP p.ID of a fragment under dir (in <dir>/T<table>/F<fragment>/,
// created if needed). It checks p against the control file: the ID must be
// new, and a DELTA's base must be the newest LCP. The data file is written
// as lcp-<id>.data.tmp and renamed by Finish.
func Create(dir string, p Params) (*Writer, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if p.BlockSize == 0 {
		p.BlockSize = DefaultBlockSize
	}
	fdir := FragmentDir(dir, p.Table, p.Fragment)
	if err := mkdirSync(fdir); err != nil {
		return nil, err
	}
	c, err := readControl(fdir, p.Table, p.Fragment)
	if err != nil && !errors.Is(err, ErrNoLCP) {
		return nil, err
	}
	if err := checkAppend(&c, &p); err != nil {
		return nil, err
	}
	w := &Writer{p: p, fdir: fdir, tmp: filepath.Join(fdir, tmpFileName(p.ID)), clk: realClock{}}
	w.f, err = os.OpenFile(w.tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	w.bw = bufio.NewWriterSize(w.f, 1<<20)
	w.blockCap = p.BlockSize
	w.raw = make([]byte, 0, p.BlockSize+64)
	w.cp = newCompressor(p.Codec)
	r := p.MaxBytesPerSec
	if p.Rate != nil {
		r = p.Rate()
	}
	w.limit.setRate(r, p.BlockSize)
	h := fileHeader{version: CurrentVersion, kind: p.Kind, codec: p.Codec, table: p.Table, fragment: p.Fragment,
		id: p.ID, startGCI: p.StartGCI, schemaVersion: p.SchemaVersion}
	if p.Kind == Delta {
		h.baseID = p.BaseID
	}
	hb := h.append(make([]byte, 0, fileHeaderSize))
	w.write(hb)
	if w.err != nil {
		err := w.err
		w.Abort()
		return nil, err
	}
	return w, nil
}

// checkAppend says whether LCP p may follow the control file's entries.
func checkAppend(c *Control, p *Params) error {
	last, ok := c.Last()
	if ok && p.ID <= last.ID {
		return errors.New("lcp: LCP id " + strconv.FormatUint(p.ID, 10) + " is not above the newest, " + strconv.FormatUint(last.ID, 10))
	}
	if ok && len(c.Entries) >= MaxEntries {
		return errors.New("lcp: control file full (" + strconv.Itoa(MaxEntries) + " LCPs): Prune is not being called")
	}
	if p.Kind != Delta {
		return nil
	}
	if !ok || last.ID != p.BaseID {
		return ErrChainChanged
	}
	if last.SchemaVersion != p.SchemaVersion {
		return errors.New("lcp: a DELTA must keep its base's schema version " + strconv.FormatUint(uint64(last.SchemaVersion), 10))
	}
	return nil
}

func mkdirSync(fdir string) error {
	if _, err := os.Stat(fdir); err == nil {
		return nil
	}
	if err := os.MkdirAll(fdir, 0o755); err != nil {
		return err
	}
	// Make the new directories durable: sync the fragment's, the table's
	// and the LCP root's directory entries.
	for d, i := fdir, 0; i < 3; d, i = filepath.Dir(d), i+1 {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.bw.Write(b); err != nil {
		w.err = err
		return
	}
	w.off += uint64(len(b))
}

// AddRow adds a full row image; the bytes are copied.
func (w *Writer) AddRow(row []byte) error { return w.add(RecordRow, row) }

// AddDeleted adds the primary key of a row deleted since the base LCP
// started (DELTA only); the bytes are copied.
func (w *Writer) AddDeleted(key []byte) error {
	if w.p.Kind != Delta {
		return errors.New("lcp: deleted keys belong in DELTA LCPs only")
	}
	return w.add(RecordDeleted, key)
}

func (w *Writer) add(k RecordKind, b []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errors.New("lcp: writer already finished")
	}
	if len(b) == 0 || len(b) > MaxRecordSize {
		return errors.New("lcp: record of " + strconv.Itoa(len(b)) + " bytes (must be 1.." + strconv.Itoa(MaxRecordSize) + ")")
	}
	if need := 1 + uvarintLen(uint64(len(b))) + len(b); len(w.raw) > 0 && len(w.raw)+need > w.blockCap {
		w.flush()
		if w.err != nil {
			return w.err
		}
	}
	w.raw = append(w.raw, byte(k))
	w.raw = appendUvarint(w.raw, uint64(len(b)))
	w.raw = append(w.raw, b...)
	w.records++
	w.blockData += len(b)
	if k == RecordRow {
		w.rows++
	} else {
		w.deleted++
	}
	return nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func appendUvarint(dst []byte, x uint64) []byte {
	for x >= 0x80 {
		dst = append(dst, byte(x)|0x80)
		x >>= 7
	}
	return append(dst, byte(x))
}

// flush writes the current block, then waits for the rate limit.
// A compressed file's block is stored as is when compressing it saved less
// than 1/rawBlockSaving of its bytes; the next rawBlockRun blocks are then
// stored as is without trying, and the one after is tried again. zstd at
// its fastest costs about 4 ns a byte of a checkpointing LDM's core
// (BenchmarkWrite), while writing a byte costs about 1 ns of disk time: a
// saving under a quarter is not worth the CPU taken from the LDM (rows of
// random values, such as flexAsync's hashed ones, save 2-15%; HLR rows
// save 80%).
const (
	rawBlockSaving = 4
	rawBlockRun    = 32
)

func (w *Writer) flush() {
	if w.err != nil || w.records == 0 {
		return
	}
	codec, stored := CodecNone, w.raw
	if w.p.Codec != CodecNone && w.rawRun == 0 {
		c, err := w.cp.compress(w.stored, w.raw)
		if err != nil {
			w.err = err
			return
		}
		w.stored = c
		if len(c) <= len(w.raw)-len(w.raw)/rawBlockSaving {
			codec, stored = w.p.Codec, c
		} else {
			w.rawRun = rawBlockRun // incompressible rows: stop trying for a while
			w.rawBlocks++
		}
	} else if w.rawRun > 0 {
		w.rawRun--
		w.rawBlocks++
	}
	h := blockHeader{codec: codec, rawLen: uint32(len(w.raw)), storedLen: uint32(len(stored)),
		records: w.records, payloadCRC: crc(stored)}
	h.put(w.hb[:])
	w.chainCRC = crc32.Update(w.chainCRC, castagnoli, w.hb[:24])
	w.write(w.hb[:])
	w.write(stored)
	w.blocks++
	data := w.blockData
	w.raw, w.records, w.blockData = w.raw[:0], 0, 0
	if cap(w.raw) > 4*w.blockCap { // a huge record grew it: do not keep that
		w.raw = make([]byte, 0, w.blockCap+64)
	}
	w.dataBytes += uint64(data)
	w.publish()
	if w.p.Rate != nil {
		if r := w.p.Rate(); float64(max(r, 0)) != w.limit.rate {
			w.limit.setRate(r, w.blockCap)
		}
	}
	if d := w.limit.take(data, w.clk.now()); d > 0 {
		w.prog.sleeps.Add(1)
		w.prog.throttled.Add(uint64(d))
		w.clk.sleep(d)
	}
}

func (w *Writer) publish() {
	w.prog.rows.Store(w.rows)
	w.prog.deleted.Store(w.deleted)
	w.prog.dataBytes.Store(w.dataBytes)
	w.prog.fileBytes.Store(w.off)
	w.prog.blocks.Store(w.blocks)
}

// Progress returns the counters; safe from any goroutine.
func (w *Writer) Progress() Progress {
	return Progress{
		Rows: w.prog.rows.Load(), Deleted: w.prog.deleted.Load(),
		DataBytes: w.prog.dataBytes.Load(), FileBytes: w.prog.fileBytes.Load(),
		Blocks: w.prog.blocks.Load(), Sleeps: w.prog.sleeps.Load(),
		Throttled: time.Duration(w.prog.throttled.Load()),
	}
}

// Finish completes the LCP: it writes the last block and the footer,
// fsyncs the data file, renames it into place, and then appends the LCP to
// the control file (which makes it part of a chain). stopGCI is the GCI when
// the LCP finished: Restore uses it only once stopGCI is restorable. On
// error the data file is removed and the control file is unchanged (or, if
// only the control write failed, lists the LCP in one copy at most).
func (w *Writer) Finish(stopGCI uint64) (Info, error) {
	if w.done {
		return Info{}, errors.New("lcp: writer already finished")
	}
	if stopGCI < w.p.StartGCI {
		return Info{}, errors.New("lcp: stop GCI " + strconv.FormatUint(stopGCI, 10) + " below start GCI " + strconv.FormatUint(w.p.StartGCI, 10))
	}
	w.flush()
	ft := footer{blocks: w.blocks, rows: w.rows, deleted: w.deleted, dataBytes: w.dataBytes, offset: w.off, chainCRC: w.chainCRC}
	var fb [footerSize]byte
	w.write(ft.append(fb[:0]))
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	if w.err == nil {
		w.err = w.f.Sync()
	}
	if w.err != nil {
		err := w.err
		w.Abort()
		return Info{}, err
	}
	w.publish()
	err := w.f.Close()
	w.f = nil
	final := filepath.Join(w.fdir, DataFileName(w.p.ID))
	if err == nil {
		err = os.Rename(w.tmp, final)
	}
	if err == nil {
		err = syncDir(w.fdir)
	}
	if err != nil {
		w.Abort()
		os.Remove(w.tmp)
		os.Remove(final)
		return Info{}, err
	}
	e := Entry{ID: w.p.ID, Kind: w.p.Kind, Codec: w.p.Codec, SchemaVersion: w.p.SchemaVersion,
		StartGCI: w.p.StartGCI, StopGCI: stopGCI, Rows: w.rows, Deleted: w.deleted, Blocks: w.blocks,
		DataBytes: w.dataBytes, FileBytes: w.off, FileCRC: w.chainCRC}
	if w.p.Kind == Delta {
		e.BaseID = w.p.BaseID
	}
	w.done = true
	w.cp.release()
	if err := w.appendEntry(e); err != nil {
		// The file stays: it is unreferenced and has an id above the
		// newest, so the next Create of that id replaces it and Prune
		// removes it once a newer LCP exists.
		return Info{}, err
	}
	return Info{Table: w.p.Table, Fragment: w.p.Fragment, Entry: e, Chain: []Entry{e}}, nil
}

func (w *Writer) appendEntry(e Entry) error {
	unlock := lockFragment(w.fdir)
	defer unlock()
	c, err := readControl(w.fdir, w.p.Table, w.p.Fragment)
	if err != nil && !errors.Is(err, ErrNoLCP) {
		return err
	}
	if err := checkAppend(&c, &w.p); err != nil {
		return err
	}
	c.Seq++
	c.Entries = append(c.Entries, e)
	return writeControl(w.fdir, &c)
}

// Abort stops the LCP and removes its partial file. It may be called any
// time, more than once, and after Finish (where it does nothing), so
// `defer w.Abort()` is the usual pattern.
func (w *Writer) Abort() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
		if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.err = err
		}
	}
	if !w.done {
		w.done = true
		w.cp.release()
	}
	if w.err == nil {
		w.err = errors.New("lcp: writer aborted")
	}
}
