package lqh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/lcp"
)

// Local checkpoints while the node runs (NDB's LCP, driven by the LDM).
//
// A round checkpoints the LQH's fragments one at a time. Each Tick scans a
// bounded chunk of the current fragment (LCPConfig.RowsPerTick slots) on
// the LQH's thread and hands the records, in a batch buffer, to a writer
// goroutine (lcp.Writer) through a bounded channel; when the channel is
// full the Tick does no more LCP work (backpressure), and the writer's
// rate limit (MaxBytesPerSec) sleeps in the writer, never here.
//
// At a fragment's LCP start the LQH notes startLSN (its redo part's Head)
// and the keys deleted since the previous LCP started (kept per fragment
// by the commit path). StartGCI is the saved (restorable) GCI at the
// start: every commit after it has a higher GCI, even though commits of
// two open epochs may reach the LQH out of order, so a DELTA holding the
// rows with RowGCI >= its base's StartGCI misses none. StopGCI is the
// highest commit GCI seen when the scan ends: every row image in the LCP
// has a GCI at or below it.
//
// An LCP is usable once the saved GCI reaches its StopGCI. For each
// fragment the LQH mirrors lcp.PruneFragment's rule in memory (the newest
// usable chain and the chain before it are kept) and the redo part's tail
// is released up to the lowest startLSN of a kept LCP among the part's
// fragments; a fragment with no usable LCP holds its part's tail. The redo
// log starts empty at every node start (durable.go), so the LCPs found on
// disk at start count with startLSN 0.

// LCPConfig configures online local checkpoints (EnableLCP).
type LCPConfig struct {
	// Dir holds the local checkpoints (lcp.Create's dir).
	Dir   string
	Codec lcp.Codec
	// MaxBytesPerSec bounds the table data written per second (0: no
	// limit). With MinBytesPerSec below it the speed adapts to the redo
	// log, as NDB's MinDiskWriteSpeed..MaxDiskWriteSpeed: the minimum
	// while every part is under RedoTrigger full, the maximum from twice
	// that (at most 70%), linear between. A slow LCP costs less CPU
	// (compression) while the redo log has room.
	MaxBytesPerSec, MinBytesPerSec int64
	// RedoTrigger starts a round when a redo part is this full (FillRatio).
	RedoTrigger float64
	// RedoBytes starts a round once this many redo bytes were written
	// since the last round started (NDB: 4 * 2^TimeBetweenLocalCheckpoints).
	RedoBytes uint64
	// RowsPerTick is how many row slots a Tick scans (0: 2048).
	RowsPerTick int
	// SavedGCI returns the node's restorable GCI (its sysfile's); safe
	// from any goroutine.
	SavedGCI func() uint64
	Logger   *slog.Logger
}

// LCPStats counts online local checkpoints.
type LCPStats struct {
	Rounds        uint64 // rounds completed
	Fragments     uint64 // fragment LCPs completed
	Full, Delta   uint64 // of which FULL, DELTA
	Rows, Deleted uint64 // records written
	DataBytes     uint64 // table data written (uncompressed)
	FileBytes     uint64 // bytes on disk
	Errors        uint64 // fragment LCPs that failed (the next one is FULL)
	LastRound     time.Duration
	Active        bool // a round is running
}

// Batch records, as the LQH hands them to the writer and as the deleted
// keys are kept: kind u8 (lcp.RecordRow or lcp.RecordDeleted), length u32
// LE, bytes. A row's bytes are its commit GCI (u64 LE) and its image, the
// format durable.go's restore reads.
const lcpRecHeader = 5

const (
	lcpBatchSize   = 256 << 10 // a batch buffer's initial capacity
	lcpQueue       = 4         // batches in flight to the writer
	lcpRowsPerTick = 2048
)

type lcpOp uint8

const (
	lcpCreate lcpOp = iota
	lcpBatch
	lcpFinish
	lcpAbort
	lcpPrune
)

type lcpMsg struct {
	op     lcpOp
	params lcp.Params
	buf    []byte
	gci    uint64 // Finish: stop GCI; Prune: saved GCI
}

type lcpResult struct {
	key   fragKey
	entry lcp.Entry
	err   error
}

// lcpMark is an LCP the LQH knows of: its control entry and the redo LSN
// of its fragment's part at its start.
type lcpMark struct {
	lcp.Entry
	startLSN uint64
}

type fragLCP struct {
	marks     []lcpMark // oldest first, as the control file
	deleted   []byte    // keys deleted since the last LCP started (batch records)
	forceFull bool      // the last LCP failed: its deleted keys are lost
}

type curLCP struct {
	key      fragKey
	f        *store.Fragment
	pos      store.ScanPos
	kind     lcp.Kind
	minGCI   uint64 // DELTA: rows committed at or after it
	startLSN uint64
	startGCI uint64
	rows     uint64
	deleted  []byte // deleted keys still to send (DELTA)
	finish   bool   // Finish sent, waiting for its result
}

type lcpState struct {
	cfg     LCPConfig
	log     *slog.Logger
	frags   map[fragKey]*fragLCP
	in      chan lcpMsg
	out     chan lcpResult
	free    chan []byte
	done    chan struct{}
	pending *lcpMsg // a message the full channel refused
	queue   []fragKey
	cur     *curLCP
	ids     []store.RowID

	roundStart time.Time
	roundHead  uint64 // sum of the parts' heads at the last round start
	roundStop  uint64 // the highest stop GCI of the last round's LCPs
	lastSaved  uint64
	dirty      bool // marks changed: recompute the release
	pruneQueue []fragKey
	stats      LCPStats
	stopped    bool
	// want: start a round as soon as none runs (a node restart's copy
	// ended: the node's disk restores its replicas after that round).
	want bool
	// filledNeed: the round count at which that round is complete.
	filledNeed uint64
	rate       atomic.Int64 // the writer's current speed (lcpSpeed), read by its goroutine
}

// EnableLCP starts online local checkpoints: the writer goroutine, and the
// LCPs already on disk (written before the redo log started, so they count
// from LSN 0). Call after SetRedo, before the LQH's thread runs.
func (l *LQH) EnableLCP(cfg LCPConfig) error {
	if len(l.redo) == 0 {
		return errors.New("lqh: online local checkpoints need a redo log")
	}
	if cfg.SavedGCI == nil || cfg.Dir == "" {
		return errors.New("lqh: LCPConfig needs Dir and SavedGCI")
	}
	if cfg.RowsPerTick <= 0 {
		cfg.RowsPerTick = lcpRowsPerTick
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &lcpState{cfg: cfg, log: cfg.Logger, frags: map[fragKey]*fragLCP{},
		in: make(chan lcpMsg, lcpQueue), out: make(chan lcpResult, 1), free: make(chan []byte, lcpQueue+2),
		done: make(chan struct{}), ids: make([]store.RowID, cfg.RowsPerTick)}
	for k := range l.frags {
		ctl, err := lcp.ReadControl(cfg.Dir, k.table, k.frag)
		if errors.Is(err, lcp.ErrNoLCP) {
			continue
		}
		if err != nil {
			return fmt.Errorf("lqh: table %d fragment %d: %w", k.table, k.frag, err)
		}
		fl := c.frag(k)
		for _, e := range ctl.Entries {
			fl.marks = append(fl.marks, lcpMark{Entry: e})
		}
	}
	c.dirty = true
	l.lcp = c
	c.rate.Store(l.lcpSpeed())
	go c.run()
	return nil
}

// StopLCP stops online local checkpoints: a running LCP is abandoned (its
// partial file removed). Call once the LQH's thread has stopped.
func (l *LQH) StopLCP() {
	c := l.lcp
	if c == nil || c.stopped {
		return
	}
	c.stopped = true
	if c.cur != nil {
		c.pending = nil
		c.in <- lcpMsg{op: lcpAbort}
	}
	close(c.in)
	<-c.done
}

// LCPStats returns the online LCP counters (on the LQH's thread).
func (l *LQH) LCPStats() LCPStats {
	if l.lcp == nil {
		return LCPStats{}
	}
	s := l.lcp.stats
	s.Active = l.lcp.cur != nil || len(l.lcp.queue) > 0
	return s
}

func (c *lcpState) frag(k fragKey) *fragLCP {
	fl := c.frags[k]
	if fl == nil {
		fl = &fragLCP{}
		c.frags[k] = fl
	}
	return fl
}

func (c *lcpState) getBuf() []byte {
	select {
	case b := <-c.free:
		return b[:0]
	default:
		return make([]byte, 0, lcpBatchSize)
	}
}

func (c *lcpState) putBuf(b []byte) {
	select {
	case c.free <- b[:0]:
	default:
	}
}

// appendLCPRecord appends one batch record.
func appendLCPRecord(dst []byte, kind lcp.RecordKind, b []byte) []byte {
	dst = append(dst, byte(kind))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// lcpDeleted records a key deleted by a commit, for the fragment's next
// DELTA (commit path).
func (l *LQH) lcpDeleted(f *store.Fragment, key []byte) {
	fl := l.lcp.frag(fragKey{f.Layout().Table.ID, f.ID})
	fl.deleted = appendLCPRecord(fl.deleted, lcp.RecordDeleted, key)
}

// send hands m to the writer, or keeps it pending when the channel is full.
func (c *lcpState) send(m lcpMsg) bool {
	select {
	case c.in <- m:
		return true
	default:
		c.pending = &m
		return false
	}
}

// lcpTick is the LQH's share of online LCPs, once per Tick.
func (l *LQH) lcpTick() {
	c := l.lcp
	if c.stopped {
		return
	}
	select {
	case r := <-c.out:
		l.lcpFinished(r)
	default:
	}
	c.rate.Store(l.lcpSpeed())
	if saved := c.cfg.SavedGCI(); saved != c.lastSaved || c.dirty {
		c.lastSaved, c.dirty = saved, false
		l.lcpRelease(saved)
	}
	if c.pending != nil {
		if !c.send(*c.pending) {
			return
		}
		c.pending = nil
	}
	for len(c.pruneQueue) > 0 && c.cur == nil {
		k := c.pruneQueue[0]
		if !c.send(lcpMsg{op: lcpPrune, params: lcp.Params{Table: k.table, Fragment: k.frag}, gci: c.lastSaved}) {
			c.pending = nil // retried from pruneQueue
			return
		}
		c.pruneQueue = c.pruneQueue[1:]
	}
	switch {
	case c.cur != nil && c.cur.finish:
	case c.cur != nil:
		l.lcpScan()
	case len(c.queue) > 0:
		l.lcpStart()
	case l.lcpShouldStart():
		c.want = false
		c.roundStart = time.Now()
		c.roundHead, c.roundStop = l.redoHeads(), 0
		c.queue = c.queue[:0]
		for _, f := range l.Fragments() {
			c.queue = append(c.queue, fragKey{f.Layout().Table.ID, f.ID})
		}
		if len(c.queue) == 0 {
			c.stats.Rounds++
			return
		}
		l.lcpStart()
	}
}

// lcpSpeed is the LCP writer's rate limit now (LCPConfig.MinBytesPerSec).
func (l *LQH) lcpSpeed() int64 {
	fill := 0.0
	for _, p := range l.redo {
		fill = max(fill, p.FillRatio())
	}
	c := l.lcp.cfg
	return adaptiveSpeed(c.MinBytesPerSec, c.MaxBytesPerSec, c.RedoTrigger, fill)
}

// adaptiveSpeed is lo while the fullest redo part is at most trigger full,
// hi from twice that (at most 0.7), linear between; hi when lo is not a
// speed below it.
func adaptiveSpeed(lo, hi int64, trigger, fill float64) int64 {
	if lo <= 0 || hi <= 0 || lo >= hi {
		return hi
	}
	from, to := trigger, min(2*trigger, 0.7)
	switch {
	case fill <= from:
		return lo
	case fill >= to || to <= from:
		return hi
	}
	return lo + int64(float64(hi-lo)*(fill-from)/(to-from))
}

// LCPSpeed is the local checkpoint writer's current rate limit in bytes
// per second (0: unlimited or no online LCPs).
func (l *LQH) LCPSpeed() int64 {
	if l.lcp == nil {
		return 0
	}
	return l.lcp.rate.Load()
}

func (l *LQH) redoHeads() uint64 {
	var s uint64
	for _, p := range l.redo {
		s += p.Head()
	}
	return s
}

// lcpShouldStart: a part is RedoTrigger full, or RedoBytes were logged
// since the last round started; never with nothing logged since.
func (l *LQH) lcpShouldStart() bool {
	c := l.lcp
	if c.want {
		return true
	}
	h := l.redoHeads()
	if h == c.roundHead {
		return l.lcpPressed()
	}
	if c.cfg.RedoBytes > 0 && h-c.roundHead >= c.cfg.RedoBytes {
		return true
	}
	for _, p := range l.redo {
		if p.FillRatio() >= c.cfg.RedoTrigger {
			return true
		}
	}
	return false
}

// lcpPressed: a part is still RedoTrigger full with nothing logged since
// the last round started (writes refused, or idle): another round, once the
// last one is usable, lets the tail move on.
func (l *LQH) lcpPressed() bool {
	c := l.lcp
	if c.lastSaved < c.roundStop {
		return false
	}
	for _, p := range l.redo {
		if p.FillRatio() >= c.cfg.RedoTrigger {
			return true
		}
	}
	return false
}

// lcpStart starts the LCP of the next fragment of the round.
func (l *LQH) lcpStart() {
	c := l.lcp
	for len(c.queue) > 0 {
		k := c.queue[0]
		c.queue = c.queue[1:]
		f := l.frags[k]
		if f == nil {
			continue // dropped since the round started
		}
		fl := c.frag(k)
		lay := f.Layout()
		p := lcp.Params{Table: k.table, Fragment: k.frag, StartGCI: c.cfg.SavedGCI(),
			SchemaVersion: lay.Table.Version, Codec: c.cfg.Codec, Rate: c.rate.Load}
		cur := &curLCP{key: k, f: f, kind: lcp.Full, startLSN: l.redo[int(k.frag)%len(l.redo)].Head()}
		if n := len(fl.marks); n > 0 {
			last := fl.marks[n-1]
			p.ID = last.ID + 1
			ctl := lcp.Control{Table: k.table, Fragment: k.frag, Entries: make([]lcp.Entry, n)}
			for i, m := range fl.marks {
				ctl.Entries[i] = m.Entry
			}
			// Under redo pressure a FULL starts a new chain, so the
			// chain kept as fallback, and the redo behind it, go sooner.
			pressed := l.redo[int(k.frag)%len(l.redo)].FillRatio() >= min(2*c.cfg.RedoTrigger, 0.7)
			if !fl.forceFull && !pressed && lcp.NextKind(ctl, lay.Table.Version, 0) == lcp.Delta {
				cur.kind, p.BaseID, cur.minGCI = lcp.Delta, last.ID, last.StartGCI
			}
		}
		// p.ID 0: the writer takes the id after the control file's newest.
		p.Kind = cur.kind
		p.StartGCI = max(p.StartGCI, 1) - 1 // commits after the start have a higher GCI than the saved one
		cur.startGCI = p.StartGCI
		if cur.kind == lcp.Delta && len(fl.deleted) > 0 {
			cur.deleted = fl.deleted // sent before the rows (lcpScan)
		} else if fl.deleted != nil {
			c.putBuf(fl.deleted)
		}
		fl.deleted, fl.forceFull = nil, false
		c.cur = cur
		if !c.send(lcpMsg{op: lcpCreate, params: p}) {
			return // sent at the next Tick, before anything else
		}
		return
	}
	// The round is over once its last LCP finishes (lcpFinished).
	if c.cur == nil {
		l.lcpRoundDone()
	}
}

func (l *LQH) lcpRoundDone() {
	c := l.lcp
	c.stats.Rounds++
	c.stats.LastRound = time.Since(c.roundStart)
	c.log.Debug("lqh: local checkpoint round done", "node", l.node, "duration", c.stats.LastRound)
}

// lcpScan scans the next chunk of the current fragment.
func (l *LQH) lcpScan() {
	c := l.lcp
	cur := c.cur
	if cur.deleted != nil {
		if !c.send(lcpMsg{op: lcpBatch, buf: cur.deleted}) {
			return
		}
		cur.deleted = nil
	}
	if l.frags[cur.key] != cur.f {
		// Dropped: abandon it.
		c.cur = nil
		c.send(lcpMsg{op: lcpAbort})
		if len(c.queue) == 0 {
			l.lcpRoundDone()
		}
		return
	}
	if !cur.pos.Done() {
		buf := c.getBuf()
		n := cur.f.ScanNext(&cur.pos, nil, c.ids, len(c.ids))
		for _, r := range c.ids[:n] {
			g := cur.f.RowGCI(r)
			if g < cur.minGCI {
				continue
			}
			at := len(buf)
			buf = append(buf, byte(lcp.RecordRow), 0, 0, 0, 0)
			buf = binary.LittleEndian.AppendUint64(buf, g)
			buf = cur.f.ReadRow(r, buf)
			binary.LittleEndian.PutUint32(buf[at+1:], uint32(len(buf)-at-lcpRecHeader))
			cur.rows++
		}
		if len(buf) > 0 {
			if !c.send(lcpMsg{op: lcpBatch, buf: buf}) {
				return // sent at the next Tick
			}
		} else {
			c.putBuf(buf)
		}
		if !cur.pos.Done() {
			return
		}
	}
	cur.finish = true
	c.send(lcpMsg{op: lcpFinish, gci: max(l.maxGCI, cur.startGCI)})
}

// lcpFinished takes the writer's answer to a Finish.
func (l *LQH) lcpFinished(r lcpResult) {
	c := l.lcp
	cur := c.cur
	if cur == nil || cur.key != r.key {
		return
	}
	c.cur = nil
	fl := c.frag(r.key)
	if r.err != nil {
		c.stats.Errors++
		fl.forceFull = true
		c.log.Warn("lqh: local checkpoint failed", "node", l.node, "table", r.key.table, "fragment", r.key.frag, "err", r.err)
	} else if _, ok := l.frags[r.key]; ok {
		e := r.entry
		fl.marks = append(fl.marks, lcpMark{Entry: e, startLSN: cur.startLSN})
		c.stats.Fragments++
		if e.Kind == lcp.Full {
			c.stats.Full++
		} else {
			c.stats.Delta++
		}
		c.stats.Rows += e.Rows
		c.stats.Deleted += e.Deleted
		c.stats.DataBytes += e.DataBytes
		c.stats.FileBytes += e.FileBytes
		c.roundStop = max(c.roundStop, e.StopGCI)
		c.dirty = true
	}
	if len(c.queue) == 0 {
		l.lcpRoundDone()
	}
}

// lcpRelease moves each redo part's tail to the lowest start LSN of the
// LCPs its fragments keep, given the saved GCI.
func (l *LQH) lcpRelease(saved uint64) {
	c := l.lcp
	for k := range c.frags {
		if _, ok := l.frags[k]; !ok {
			delete(c.frags, k)
		}
	}
	const hold = ^uint64(0)
	rel := make([]uint64, len(l.redo))
	for i := range rel {
		rel[i] = hold
	}
	for k := range l.frags {
		part := int(k.frag) % len(l.redo)
		fl := c.frags[k]
		lsn := uint64(0)
		if fl != nil {
			var keep int
			lsn, keep = keepFrom(fl.marks, saved)
			if keep > 0 {
				fl.marks = slices.Delete(fl.marks, 0, keep)
				c.pruneQueue = append(c.pruneQueue, k)
			}
		}
		rel[part] = min(rel[part], lsn)
	}
	for i, p := range l.redo {
		if rel[i] != hold && rel[i] > 0 {
			p.ReleaseBefore(rel[i])
		}
	}
}

// keepFrom applies lcp.PruneFragment's rule to marks: the newest LCP usable
// at saved, its chain and the chain before it are kept. It returns the
// lowest start LSN among the kept (0: nothing usable, hold all redo) and
// how many old marks go.
func keepFrom(marks []lcpMark, saved uint64) (lsn uint64, drop int) {
	p := -1
	for i := len(marks) - 1; i >= 0; i-- {
		if marks[i].StopGCI <= saved {
			p = i
			break
		}
	}
	if p < 0 {
		return 0, 0
	}
	f := p
	for f > 0 && marks[f].Kind != lcp.Full {
		f--
	}
	keep := f
	for prev := f - 1; prev >= 0; prev-- {
		if marks[prev].Kind == lcp.Full {
			keep = prev
			break
		}
	}
	return marks[keep].startLSN, keep
}

// run is the writer goroutine.
func (c *lcpState) run() {
	defer close(c.done)
	var w *lcp.Writer
	var key fragKey
	var err error
	for m := range c.in {
		switch m.op {
		case lcpCreate:
			if w != nil {
				w.Abort()
			}
			key = fragKey{m.params.Table, m.params.Fragment}
			p := m.params
			if p.ID == 0 {
				p.ID = 1
				if ctl, cerr := lcp.ReadControl(c.cfg.Dir, p.Table, p.Fragment); cerr == nil {
					if last, ok := ctl.Last(); ok {
						p.ID = last.ID + 1
					}
				}
			}
			w, err = lcp.Create(c.cfg.Dir, p)
		case lcpBatch:
			if err == nil && w != nil {
				err = addBatch(w, m.buf)
			}
			c.putBuf(m.buf)
		case lcpFinish:
			var e lcp.Entry
			if err == nil && w != nil {
				var info lcp.Info
				info, err = w.Finish(m.gci)
				e = info.Entry
			} else if w != nil {
				w.Abort()
			}
			if err == nil && w == nil {
				err = errors.New("lqh: local checkpoint finished before it was created")
			}
			w = nil
			c.out <- lcpResult{key: key, entry: e, err: err}
			err = nil
		case lcpAbort:
			if w != nil {
				w.Abort()
			}
			w, err = nil, nil
		case lcpPrune:
			if _, perr := lcp.PruneFragment(c.cfg.Dir, m.params.Table, m.params.Fragment, m.gci); perr != nil && !errors.Is(perr, lcp.ErrNoLCP) {
				c.log.Warn("lqh: pruning local checkpoints", "table", m.params.Table, "fragment", m.params.Fragment, "err", perr)
			}
		}
	}
	if w != nil {
		w.Abort()
	}
}

// addBatch writes a batch's records.
func addBatch(w *lcp.Writer, b []byte) error {
	for len(b) > 0 {
		if len(b) < lcpRecHeader {
			return errors.New("lqh: truncated local checkpoint batch")
		}
		kind, n := lcp.RecordKind(b[0]), int(binary.LittleEndian.Uint32(b[1:]))
		b = b[lcpRecHeader:]
		if n > len(b) {
			return errors.New("lqh: truncated local checkpoint batch")
		}
		var err error
		if kind == lcp.RecordDeleted {
			err = w.AddDeleted(b[:n])
		} else {
			err = w.AddRow(b[:n])
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// requestFilledLCP asks for a round that starts after the node restart's
// copy ended: once it is complete the node's disk restores its replicas.
func (l *LQH) requestFilledLCP() {
	c := l.lcp
	c.want = true
	c.filledNeed = c.stats.Rounds + 1
	if c.cur != nil || len(c.queue) > 0 {
		c.filledNeed++ // the round running began before the copy ended
	}
}

// FilledDurable reports whether this node's disk restores the replicas a
// node restart filled: a local checkpoint round that began after the copy
// ended is complete (true at once without online LCPs: nothing to wait
// for, and without a restart's copy).
func (l *LQH) FilledDurable() bool {
	if len(l.filling) > 0 {
		return false
	}
	return l.lcp == nil || l.lcp.stats.Rounds >= l.lcp.filledNeed
}
