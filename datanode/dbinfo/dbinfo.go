package dbinfo

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema/filter"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Source produces one data node's rows of the virtual tables.
//
// Scan calls emit with the values of every row of table t, one per column
// in t's column order (the values ndbinfo.RowWriter.Append takes), and
// stops at emit's first error, which it returns. It runs on a goroutine of
// the block, never on a block's thread, so it may wait for other threads
// (node.Do); it must return soon after ctx is done, with ctx's error. It
// is called for several scans at once and must be safe for that. A table
// it does not serve yields no rows.
type Source interface {
	Scan(ctx context.Context, t *ndbinfo.Table, emit func(vals ...any) error) error
}

// Config configures the block. New fills in zero fields with the
// defaults below; the config is read-only afterwards.
type Config struct {
	Source Source
	Logger *slog.Logger // nil: slog.Default()
	// MaxScans bounds the scans open at once (default 64: dozens of
	// monitoring clients polling together); more are refused with 233, a
	// temporary error.
	MaxScans int
	// MaxScanBytes bounds one scan's rows (default 64 MiB, far above any
	// table's size on a healthy node); a scan over it fails.
	MaxScanBytes int
	// GatherTimeout bounds the gathering of a scan's rows (default 10 s:
	// it waits for a few ticks of other threads, unless one is stuck).
	GatherTimeout time.Duration
	// IdleTimeout forgets a scan whose API has not asked for its next
	// batch for this long (default 60 s: the API gave up or went away).
	IdleTimeout time.Duration
}

// Batch limits, as the LQH's scans (a request's 0 means the default).
const (
	defaultBatchRows  = 256
	maxBatchRows      = 4096
	defaultBatchBytes = 64 << 10
	maxBatchBytes     = 512 << 10
	// signalBytes bounds the rows of one DBINFO_TRANSID_AI (a row larger
	// than that goes alone).
	signalBytes = 32 << 10
)

// errScanTooLarge ends a gathering over Config.MaxScanBytes.
var errScanTooLarge = errors.New("dbinfo: the scan's rows exceed MaxScanBytes")

// Stats are the block's counters; read them on its thread.
type Stats struct {
	Scans   uint64 // scans started
	Batches uint64 // batches sent
	Rows    uint64 // rows sent
	Refused uint64 // DBINFO_SCANREFs sent
	Expired uint64 // scans forgotten after IdleTimeout
	Open    int    // scans open now
}

type scanKey struct {
	node  signal.NodeID
	trans uint64
	id    uint32
}

// scan is one open scan. rows is set once gathered: the rows, each a
// little-endian uint32 length and the image, as DBINFO_TRANSID_AI carries
// them.
type scan struct {
	key        scanKey
	api        signal.Address
	table      uint32
	batchRows  int
	batchBytes int
	ready      bool
	rows       []byte
	pos        int    // the next row's offset in rows
	sent       uint32 // rows sent so far: the cursor
	last       time.Duration
}

// result is a gathering's outcome, handed from its goroutine to the block.
type result struct {
	sc   *scan
	rows []byte
	err  error
}

// DBInfo is the block.
type DBInfo struct {
	block.Handlers
	cfg    Config
	log    *slog.Logger
	scans  map[scanKey]*scan
	out    signal.Signal
	stats  Stats
	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	done []result // gathered, to answer at the next Tick
}

// New creates the block.
func New(cfg Config) *DBInfo {
	if cfg.MaxScans <= 0 {
		cfg.MaxScans = 64
	}
	if cfg.MaxScanBytes <= 0 {
		cfg.MaxScanBytes = 64 << 20
	}
	if cfg.GatherTimeout <= 0 {
		cfg.GatherTimeout = 10 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = time.Minute
	}
	d := &DBInfo{cfg: cfg, log: cfg.Logger, scans: map[scanKey]*scan{}}
	if d.log == nil {
		d.log = slog.Default()
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.On(gsn.DBINFO_SCANREQ, d.scanReq)
	return d
}

var _ block.Block = (*DBInfo)(nil)

// Handle implements block.Block.
func (d *DBInfo) Handle(env block.Env, s *signal.Signal) { d.Dispatch(env, s) }

// Close cancels the gatherings still running (the node calls it after its
// threads stopped).
func (d *DBInfo) Close() error {
	d.cancel()
	return nil
}

// Stats returns the counters (on the block's thread).
func (d *DBInfo) Stats() Stats {
	s := d.stats
	s.Open = len(d.scans)
	return s
}

func clampBatch(v uint32, def, most int) int {
	if v == 0 {
		return def
	}
	return min(int(v), most)
}

func (d *DBInfo) scanReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 6 {
		return // malformed: nothing to answer to
	}
	w := s.Words[:s.NumWords]
	key := scanKey{node: s.Sender.Node, trans: s.TransID, id: w[1]}
	now := env.Now()
	if w[5]&gsn.DbinfoClose != 0 {
		delete(d.scans, key) // a gathering still running is ignored when it ends
		return
	}
	if cursor := w[4]; cursor != 0 {
		sc := d.scans[key]
		if sc == nil || !sc.ready || cursor != sc.sent {
			delete(d.scans, key)
			d.ref(env, s.Sender, s.TransID, w[1], ndberr.ErrNoSuchOperation.Code)
			return
		}
		sc.last = now
		d.sendBatch(env, sc)
		return
	}
	if _, dup := d.scans[key]; dup {
		d.ref(env, s.Sender, s.TransID, w[1], ndberr.ErrNoSuchOperation.Code)
		return
	}
	t, ok := ndbinfo.ByID(w[0])
	if !ok {
		d.ref(env, s.Sender, s.TransID, w[1], ndberr.ErrNoSuchTable.Code)
		return
	}
	if len(d.scans) >= d.cfg.MaxScans {
		d.ref(env, s.Sender, s.TransID, w[1], ndberr.ErrTooManyOperations.Code)
		return
	}
	var f *filter.Filter
	if prog := s.Section(0); len(prog) > 0 {
		var err error
		if f, err = filter.Compile(t.Layout, prog); err != nil {
			d.ref(env, s.Sender, s.TransID, w[1], codeOf(err))
			return
		}
	}
	sc := &scan{key: key, api: s.Sender, table: t.ID, last: now,
		batchRows:  clampBatch(w[2], defaultBatchRows, maxBatchRows),
		batchBytes: clampBatch(w[3], defaultBatchBytes, maxBatchBytes)}
	d.scans[key] = sc
	d.stats.Scans++
	go d.gather(sc, t, f)
}

// gather collects a scan's rows on its own goroutine and hands them to
// the block's next Tick.
func (d *DBInfo) gather(sc *scan, t *ndbinfo.Table, f *filter.Filter) {
	ctx, cancel := context.WithTimeout(d.ctx, d.cfg.GatherTimeout)
	defer cancel()
	w := t.NewRowWriter()
	var rows []byte
	emit := func(vals ...any) error {
		start := len(rows)
		out, err := w.Append(append(rows, 0, 0, 0, 0), vals...)
		if err != nil {
			return err
		}
		img := out[start+4:]
		if f != nil && !f.Match(t.Layout.RowOf(img)) {
			rows = out[:start]
			return nil
		}
		binary.LittleEndian.PutUint32(out[start:], uint32(len(img)))
		rows = out
		if len(rows) > d.cfg.MaxScanBytes {
			return errScanTooLarge
		}
		return nil
	}
	err := d.cfg.Source.Scan(ctx, t, emit)
	if err != nil {
		err = fmt.Errorf("dbinfo: scan of %s: %w", t.Name, err)
	}
	d.mu.Lock()
	d.done = append(d.done, result{sc: sc, rows: rows, err: err})
	d.mu.Unlock()
}

// Tick answers the scans whose rows were gathered and forgets those whose
// API went quiet.
func (d *DBInfo) Tick(env block.Env) {
	d.mu.Lock()
	done := d.done
	d.done = nil
	d.mu.Unlock()
	now := env.Now()
	for _, r := range done {
		sc := r.sc
		if d.scans[sc.key] != sc {
			continue // closed meanwhile
		}
		if r.err != nil {
			d.log.Warn("dbinfo: scan failed", "api_node", sc.key.node, "err", r.err)
			delete(d.scans, sc.key)
			d.ref(env, sc.api, sc.key.trans, sc.key.id, codeOf(r.err))
			continue
		}
		sc.rows, sc.ready, sc.last = r.rows, true, now
		d.sendBatch(env, sc)
	}
	for k, sc := range d.scans {
		if sc.ready && now-sc.last > d.cfg.IdleTimeout {
			delete(d.scans, k)
			d.stats.Expired++
		}
	}
}

// sendBatch sends the scan's next batch: its rows in DBINFO_TRANSID_AI
// signals of up to signalBytes, then DBINFO_SCANCONF. A scan whose batch
// cannot be sent is forgotten (its API times out).
func (d *DBInfo) sendBatch(env block.Env, sc *scan) {
	n, bytes := 0, 0
	chunk, chunkRows := sc.pos, 0
	for sc.pos < len(sc.rows) && n < sc.batchRows && bytes < sc.batchBytes {
		next := sc.pos + 4 + int(binary.LittleEndian.Uint32(sc.rows[sc.pos:]))
		if chunkRows > 0 && next-chunk > signalBytes {
			if !d.sendRows(env, sc, sc.rows[chunk:sc.pos], chunkRows) {
				return
			}
			chunk, chunkRows = sc.pos, 0
		}
		bytes += next - sc.pos
		sc.pos = next
		n++
		chunkRows++
	}
	if chunkRows > 0 && !d.sendRows(env, sc, sc.rows[chunk:sc.pos], chunkRows) {
		return
	}
	sc.sent += uint32(n)
	cursor := sc.sent
	if sc.pos >= len(sc.rows) {
		cursor = 0
		delete(d.scans, sc.key)
	}
	d.stats.Batches++
	d.stats.Rows += uint64(n)
	o := d.signal(gsn.DBINFO_SCANCONF, sc.api, sc.key.trans)
	o.SetWords(sc.key.id, cursor, uint32(n), sc.table)
	if err := env.Send(o); err != nil {
		delete(d.scans, sc.key)
	}
}

func (d *DBInfo) sendRows(env block.Env, sc *scan, rows []byte, n int) bool {
	o := d.signal(gsn.DBINFO_TRANSID_AI, sc.api, sc.key.trans)
	o.SetWords(sc.key.id, uint32(n))
	o.AddSection(rows)
	if err := env.Send(o); err != nil {
		d.log.Debug("dbinfo: batch not sent; scan dropped", "api_node", sc.key.node, "err", err)
		delete(d.scans, sc.key)
		return false
	}
	return true
}

func (d *DBInfo) signal(n signal.Number, to signal.Address, trans uint64) *signal.Signal {
	o := &d.out
	o.Reset()
	o.Number, o.Receiver, o.TransID = n, to, trans
	return o
}

func (d *DBInfo) ref(env block.Env, to signal.Address, trans uint64, id uint32, code int) {
	d.stats.Refused++
	o := d.signal(gsn.DBINFO_SCANREF, to, trans)
	o.SetWords(id, uint32(code))
	env.Send(o)
}

// codeOf is the NDB code to report for err: its own, else 9003 (internal).
func codeOf(err error) int {
	if c := ndberr.CodeOf(err); c != 0 {
		return c
	}
	return ndberr.ErrInternal.Code
}
