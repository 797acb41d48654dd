package redo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// Log is one redo log part: a ring of files written through an in-memory
// buffer by a writer goroutine. Append belongs to the owning LDM thread;
// Sync, ReleaseBefore, Head, Usage and FillRatio may be called from any
// goroutine.
type Log struct {
	cfg    Config
	log    *slog.Logger
	r      *ring
	nPages uint64 // buffer pages
	buf    []byte // nPages pages; page n lives in slot n % nPages
	batch  uint64 // closed pages that wake the writer
	maxRec int
	margin uint64

	mu   sync.Mutex
	wake *sync.Cond // the writer waits here
	done *sync.Cond // Sync waits here

	// Guarded by mu.
	head       uint64 // LSN of the next byte of the stream (page headers included)
	gen        uint32
	recFirst   bool   // the bytes being put start a record (cont 0 on a new page)
	recLeft    int    // bytes of the record being put not yet copied
	tail       uint64 // page aligned; released pages are below
	written    uint64 // page aligned; pages below are written and free in the buffer
	durable    uint64 // page aligned; pages below are fdatasync'ed and in the metadata
	lastCut    uint64 // head at the writer's last sync point
	minPending uint64 // lowest GCI appended since lastCut
	syncReq    uint64 // highest LSN a Sync waits for
	syncGCI    uint64 // highest GCI passed to Sync
	err        error  // sticky I/O error
	stopping   bool
	crashed    bool // tests: stop without flushing
	testPause  bool // tests: the writer does nothing while set

	// used is head - tail, published under mu wherever either moves, so
	// FillRatio (asked at every write's prepare) takes no lock.
	used atomic.Uint64

	// Writer goroutine only.
	m       meta
	metaBuf []byte
	dirty   []bool
	stopped chan struct{}
}

// Usage is a part's space accounting (ndbinfo logspaces).
type Usage struct {
	Size   uint64 // ring bytes
	Used   uint64 // bytes between tail and head
	Free   uint64 // Size - Used
	Head   uint64 // LSN of the next record
	Tail   uint64 // oldest LSN kept
	Synced uint64 // LSN below which everything is durable
}

// Open opens the part cfg names, creating it when the directory holds no
// log, and recovers an existing one: it verifies every page from the tail,
// finds the head after the last valid page and continues there in a new
// generation. A corrupt synced page returns a *CorruptError and no Log:
// the caller decides between an initial start and refusing to start.
func Open(cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pdir := PartDir(cfg.Dir, cfg.Part)
	m, err := readMeta(pdir)
	if errors.Is(err, ErrNoLog) {
		if has, herr := hasLogFiles(pdir); herr != nil {
			return nil, herr
		} else if has {
			return nil, fmt.Errorf("redo: %s holds log files but no %s: the log was never completely created; start the node with --initial", pdir, metaName)
		}
		if err = createRing(pdir, cfg); err != nil {
			return nil, err
		}
		m, err = readMeta(pdir)
	}
	if err != nil {
		return nil, err
	}
	if m.files != cfg.Files || m.fileSize != cfg.FileSize {
		return nil, fmt.Errorf("redo: %s has %d files of %d bytes, the config asks for %d of %d: changing the redo log needs an initial start", pdir, m.files, m.fileSize, cfg.Files, cfg.FileSize)
	}
	if m.part != cfg.Part {
		return nil, fmt.Errorf("redo: %s holds part %d, not %d", pdir, m.part, cfg.Part)
	}
	r, err := openRing(pdir, m, true)
	if err != nil {
		return nil, err
	}
	l, err := recoverLog(cfg, r, m)
	if err != nil {
		r.close()
		return nil, err
	}
	return l, nil
}

// OpenInitial wipes the part and creates a fresh, empty log.
func OpenInitial(cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := createRing(PartDir(cfg.Dir, cfg.Part), cfg); err != nil {
		return nil, err
	}
	return Open(cfg)
}

func hasLogFiles(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("redo: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "redo-") && strings.HasSuffix(e.Name(), ".log") {
			return true, nil
		}
	}
	return false, nil
}

func recoverLog(cfg Config, r *ring, m meta) (*Log, error) {
	w := newWalker(r, m)
	end, err := w.walk(m.tail, nil)
	if err != nil {
		return nil, err
	}
	// Pages read back may sit only in the page cache (after a process
	// crash): make them durable before the metadata calls them synced.
	for i, f := range r.files {
		if err := fdatasync(f); err != nil {
			return nil, fmt.Errorf("redo: sync %s: %w", r.path(i), err)
		}
	}
	m.gen++
	m.seq++
	m.synced = end
	l := &Log{
		cfg:     cfg,
		log:     cfg.logger(),
		r:       r,
		m:       m,
		metaBuf: make([]byte, metaSize),
		dirty:   make([]bool, len(r.files)),
		stopped: make(chan struct{}),
	}
	if err := r.writeMeta(&l.m, l.metaBuf); err != nil {
		return nil, err
	}
	l.nPages = uint64(cfg.BufferSize / PageSize)
	l.buf = make([]byte, cfg.BufferSize)
	l.batch = max(1, min(l.nPages/4, 64))
	l.maxRec = min(MaxRecordSize, int(l.nPages/2)*PagePayload)
	l.margin = (uint64(cfg.margin()) + PageSize - 1) / PageSize * PageSize
	l.wake = sync.NewCond(&l.mu)
	l.done = sync.NewCond(&l.mu)
	l.head, l.gen, l.tail = end, m.gen, m.tail
	l.used.Store(l.head - l.tail)
	l.written, l.durable, l.lastCut = end, end, end
	l.minPending = math.MaxUint64
	l.log.Info("redo: part opened", "dir", r.dir, "tail", m.tail, "head", end, "generation", m.gen, "synced_gci", m.syncedGCI)
	go l.run()
	return l, nil
}

// slot is the buffer page holding the page at lsn.
func (l *Log) slot(lsn uint64) []byte {
	i := (lsn / PageSize) % l.nPages
	return l.buf[i*PageSize : (i+1)*PageSize]
}

// Append copies r into the buffer. It never does I/O and never allocates.
// On any error nothing is appended. ErrLogOverloaded (410) and
// ErrBufferOverloaded (1221) are temporary. Only the owning LDM thread may
// call Append.
func (l *Log) Append(r *Record) error {
	if (r.Op != OpPut && r.Op != OpDelete) || len(r.Key) > MaxKeySize || (r.Op == OpDelete && len(r.Row) != 0) {
		return ErrBadRecord
	}
	n := r.size()
	if n > l.maxRec {
		return ErrRecordTooLarge
	}
	l.mu.Lock()
	if l.err != nil || l.stopping {
		err := l.err
		l.mu.Unlock()
		if err == nil {
			err = ErrClosed
		}
		return err
	}
	// Where the record ends.
	end := l.head
	left := uint64(n)
	if off := end % PageSize; off != 0 {
		take := min(left, PageSize-off)
		end += take
		left -= take
	}
	if left > 0 {
		full := (left - 1) / PagePayload
		end += full*PageSize + PageHeaderSize + (left - full*PagePayload)
	}
	lastPage := (end - 1) / PageSize
	if (lastPage+1)*PageSize+l.margin > l.tail+l.r.size {
		l.mu.Unlock()
		return ErrLogOverloaded
	}
	if lastPage-l.written/PageSize >= l.nPages {
		l.wake.Signal()
		l.mu.Unlock()
		return ErrBufferOverloaded
	}
	before := l.head / PageSize
	start := l.head
	if start%PageSize == 0 {
		start += PageHeaderSize
	}
	var h [RecordHeaderSize]byte
	putRecordHeader(&h, r)
	l.recFirst, l.recLeft = true, n
	l.put(h[:])
	l.put(r.Key)
	l.put(r.Row)
	pg := l.slot(start)
	if binary.LittleEndian.Uint64(pg[phMaxGCI:]) < r.GCI {
		binary.LittleEndian.PutUint64(pg[phMaxGCI:], r.GCI)
	}
	if r.GCI < l.minPending {
		l.minPending = r.GCI
	}
	if closed := l.head / PageSize; closed != before && closed-l.written/PageSize >= l.batch {
		l.wake.Signal()
	}
	l.used.Store(l.head - l.tail)
	l.mu.Unlock()
	return nil
}

// put copies b into the stream at head, starting pages as needed.
func (l *Log) put(b []byte) {
	for len(b) > 0 {
		pg := l.slot(l.head)
		off := int(l.head % PageSize)
		if off == 0 {
			cont := 0
			if !l.recFirst {
				cont = min(l.recLeft, PagePayload)
			}
			initPage(pg, l.head, l.gen, cont)
			off = PageHeaderSize
			l.head += PageHeaderSize
		}
		k := copy(pg[off:], b)
		b = b[k:]
		l.head += uint64(k)
		l.recLeft -= k
		l.recFirst = false
		binary.LittleEndian.PutUint32(pg[phUsed:], uint32(off+k-PageHeaderSize))
	}
}

// Sync blocks until every record appended before the call with GCI <= gci
// is written and fdatasync'ed, and the metadata says so. Appends go on
// meanwhile. Safe from any goroutine; concurrent Syncs share the I/O.
func (l *Log) Sync(gci uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopping && l.err == nil {
		return ErrClosed
	}
	target := l.head
	if l.minPending > gci {
		// Nothing of gci or older since the last sync point.
		target = l.lastCut
	}
	if gci > l.syncGCI {
		l.syncGCI = gci
	}
	if target > l.syncReq {
		l.syncReq = target
		l.wake.Signal()
	}
	for l.durable < target && l.err == nil && !l.crashed {
		l.done.Wait()
	}
	if l.durable < target {
		if l.err != nil {
			return l.err
		}
		return ErrClosed
	}
	return nil
}

// ReleaseBefore moves the tail: records before lsn are no longer needed
// (an LCP covers them). The space is reused once the tail is persisted,
// which the writer does before it overwrites anything.
func (l *Log) ReleaseBefore(lsn uint64) {
	l.mu.Lock()
	lsn = min(lsn, l.head)
	if t := lsn / PageSize * PageSize; t > l.tail {
		l.tail = t
	}
	l.used.Store(l.head - l.tail)
	l.mu.Unlock()
}

// Head is the LSN the next record starts at or after. An LCP notes it at its
// start and later passes it to ReleaseBefore and to Reader.Scan.
func (l *Log) Head() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Usage returns the part's space accounting.
func (l *Log) Usage() Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	used := l.head - l.tail
	return Usage{Size: l.r.size, Used: used, Free: l.r.size - used, Head: l.head, Tail: l.tail, Synced: l.durable}
}

// FillRatio is Used over the usable ring (its size less the margin): at 1
// Append returns ErrLogOverloaded. Start an LCP well before that.
func (l *Log) FillRatio() float64 {
	usable := l.r.size - l.margin
	return min(1, float64(l.used.Load())/float64(usable))
}

// Close syncs everything appended and closes the files.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.stopping {
		l.mu.Unlock()
		return ErrClosed
	}
	l.stopping = true
	l.syncReq = max(l.syncReq, l.head)
	l.wake.Signal()
	l.mu.Unlock()
	<-l.stopped
	err := l.err
	if cerr := l.r.close(); err == nil {
		err = cerr
	}
	return err
}

// run is the writer goroutine.
func (l *Log) run() {
	defer close(l.stopped)
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		for !l.crashed && (l.testPause || l.err == nil && l.syncReq <= l.durable && !l.stopping &&
			(l.head/PageSize*PageSize-l.written)/PageSize < l.batch) {
			l.wake.Wait()
		}
		wantSync := l.syncReq > l.durable
		if l.crashed || l.err != nil || (l.stopping && !wantSync) {
			l.done.Broadcast()
			return
		}
		if wantSync {
			if l.head%PageSize != 0 {
				// Close the partial page: it is written once and never
				// rewritten, so a torn rewrite can never hurt synced data.
				pg := l.slot(l.head)
				clear(pg[l.head%PageSize:])
				l.head = (l.head/PageSize + 1) * PageSize
				l.used.Store(l.head - l.tail)
			}
			l.lastCut, l.minPending = l.head, math.MaxUint64
		}
		from, to, tail, gci := l.written, l.head/PageSize*PageSize, l.tail, l.syncGCI
		l.mu.Unlock()
		err := l.flush(from, to, tail, wantSync, gci)
		l.mu.Lock()
		if err != nil {
			l.err = err
			l.log.Error("redo: write failed; the part refuses further appends", "dir", l.r.dir, "err", err)
			l.done.Broadcast()
			return
		}
		l.written = to
		if wantSync {
			l.durable = to
		}
		l.done.Broadcast()
	}
}

// flush writes the closed pages [from, to) and, with sync, makes them and
// everything before durable and records that in the metadata.
func (l *Log) flush(from, to, tail uint64, sync bool, gci uint64) error {
	if to > l.m.tail+l.r.size {
		// These pages overwrite released ones: persist the tail first, or
		// a restart would start reading at pages that are gone.
		if to > tail+l.r.size {
			panic(fmt.Sprintf("redo: part %d: writing up to %d would overwrite the tail %d", l.cfg.Part, to, tail))
		}
		l.m.tail = tail
		l.m.seq++
		if err := l.r.writeMeta(&l.m, l.metaBuf); err != nil {
			return err
		}
	}
	for p := from; p < to; p += PageSize {
		sealPage(l.slot(p))
	}
	for p := from; p < to; {
		slot := (p / PageSize) % l.nPages
		fi, off := l.r.locate(p)
		k := min((to-p)/PageSize, l.nPages-slot, uint64(l.r.fileSize-off)/PageSize)
		b := l.buf[slot*PageSize : (slot+k)*PageSize]
		if _, err := l.r.files[fi].WriteAt(b, off); err != nil {
			return fmt.Errorf("redo: write %s at %d: %w", l.r.path(fi), off, err)
		}
		l.dirty[fi] = true
		p += k * PageSize
	}
	if !sync {
		return nil
	}
	for fi, d := range l.dirty {
		if d {
			if err := fdatasync(l.r.files[fi]); err != nil {
				return fmt.Errorf("redo: sync %s: %w", l.r.path(fi), err)
			}
			l.dirty[fi] = false
		}
	}
	l.m.tail = max(l.m.tail, tail)
	l.m.synced = to
	l.m.syncedGCI = max(l.m.syncedGCI, gci)
	l.m.seq++
	return l.r.writeMeta(&l.m, l.metaBuf)
}

// Dir is the part's directory.
func (l *Log) Dir() string { return l.r.dir }
