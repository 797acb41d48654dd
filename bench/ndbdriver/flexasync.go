package ndbdriver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/gondb/gondb/bench/flexasync"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// FlexTable is flexasync's table for cfg: a BIGINT UNSIGNED key and
// cfg.Attributes columns of cfg.AttrWords words each (INT UNSIGNED for one
// word, BINARY(4*words) otherwise, the words little-endian).
func FlexTable(cfg flexasync.Config, id uint32) *schema.Table {
	t := &schema.Table{ID: id, Name: cfg.Table, Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "k", Type: schema.TypeBigInt, Unsigned: true}}}
	for a := 0; a < cfg.Attributes; a++ {
		c := schema.Column{Name: fmt.Sprintf("a%d", a), Type: schema.TypeInt, Unsigned: true}
		if cfg.AttrWords > 1 {
			c = schema.Column{Name: c.Name, Type: schema.TypeBinary, Length: 4 * cfg.AttrWords}
		}
		t.Columns = append(t.Columns, c)
	}
	return t
}

// Flex is a flexasync.Driver over an ndbapi cluster connection.
type Flex struct {
	Cluster *ndbapi.Cluster
	// Create makes the table: through the dictionary (Cluster.CreateTable,
	// after dropping an old one) when nil; the embedded cluster sets it to
	// a function that registers the table its data nodes were started with.
	Create func(ctx context.Context, def *schema.Table) (*ndbapi.Table, error)
	table  *ndbapi.Table
}

// Prepare implements flexasync.Driver.
func (f *Flex) Prepare(ctx context.Context, cfg flexasync.Config) error {
	def := FlexTable(cfg, 0)
	if f.Create != nil {
		t, err := f.Create(ctx, def)
		f.table = t
		return err
	}
	if len(cfg.Phases) > 0 && cfg.Phases[0] != flexasync.Insert {
		// A run that does not begin by inserting works on the rows an
		// earlier run left (--phases insert), in the table it left.
		t, err := f.Cluster.Table(ctx, def.Name)
		if err != nil {
			return fmt.Errorf("--phases begins with %s, so table %s must exist (fill it with --phases insert): %w", cfg.Phases[0], def.Name, err)
		}
		want, err := schema.NewLayout(def)
		if err != nil {
			return err
		}
		if len(t.Def.Columns) != len(def.Columns) || t.Layout.FixedSize != want.FixedSize {
			return fmt.Errorf("table %s exists with another shape (%d columns, %d-byte rows) than -a %d -s %d asks for (%d columns, %d-byte rows)",
				def.Name, len(t.Def.Columns), t.Layout.FixedSize, cfg.Attributes, cfg.AttrWords, len(def.Columns), want.FixedSize)
		}
		f.table = t
		return nil
	}
	if err := f.Cluster.DropTable(ctx, def.Name); err != nil && !errors.Is(err, ndbapi.ErrNoSuchTable) {
		return err
	}
	t, err := f.Cluster.CreateTable(ctx, def)
	f.table = t
	return err
}

// NewWorker implements flexasync.Driver.
func (f *Flex) NewWorker(_ context.Context, cfg flexasync.Config, _ int) (flexasync.Worker, error) {
	ndb, err := f.Cluster.NewNdb()
	if err != nil {
		return nil, err
	}
	w := &flexWorker{ndb: ndb, t: f.table, cfg: cfg, rb: f.table.NewRowBuilder(), fixedSize: f.table.Layout.FixedSize}
	for a := 0; a < cfg.Attributes; a++ {
		cl := f.table.Layout.Cols[a+1]
		if cl.Offset < 0 || cl.NullBit >= 0 || cl.Size != 4*cfg.AttrWords {
			w.offs = nil
			break
		}
		w.offs = append(w.offs, cl.Offset)
	}
	w.cols = make([]int, cfg.Attributes)
	for i := range w.cols {
		w.cols[i] = i + 1
	}
	return w, nil
}

type flexWorker struct {
	ndb  *ndbapi.Ndb
	t    *ndbapi.Table
	cfg  flexasync.Config
	rb   *schema.RowBuilder
	cols []int
	key  []byte
	buf  []byte
	txs  []*ndbapi.Transaction
	ops  [][]*ndbapi.Operation
	// cbs are the transactions' callbacks by position in the batch, made
	// once: a closure per transaction would be an allocation each. They
	// read the batch being run from batch, gen, done and sent.
	cbs   []func(*ndbapi.Transaction, error)
	batch flexasync.Batch
	gen   uint32
	done  func(int, time.Duration, error)
	sent  time.Time
	// offs are the attributes' byte offsets in a row's fixed part, nil
	// when one is not there (check then goes column by column); fixedSize
	// is the fixed part's size.
	offs      []int
	fixedSize int
}

func (w *flexWorker) Close() error { w.ndb.Close(); return nil }

// fill sets the row builder to key's row in generation gen.
func (w *flexWorker) fill(key uint64, gen uint32) {
	w.rb.Reset()
	w.rb.SetUint64(0, key)
	for a := 0; a < w.cfg.Attributes; a++ {
		if w.cfg.AttrWords == 1 {
			w.rb.SetUint64(a+1, uint64(flexasync.Value(key, a, 0, gen)))
			continue
		}
		w.buf = w.buf[:0]
		for i := 0; i < w.cfg.AttrWords; i++ {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, flexasync.Value(key, a, i, gen))
		}
		w.rb.SetBytes(a+1, w.buf)
	}
}

// check compares a read row with key's row in generation gen.
func (w *flexWorker) check(key uint64, r schema.Row, gen uint32) error {
	if w.offs != nil && len(r.Fixed) >= w.fixedSize {
		// Every attribute in the row's fixed part: read the words where
		// they lie (25 column lookups per row were a fifth of the client's
		// time on reads).
		for a, off := range w.offs {
			for i := 0; i < w.cfg.AttrWords; i++ {
				if got, want := binary.LittleEndian.Uint32(r.Fixed[off+4*i:]), flexasync.Value(key, a, i, gen); got != want {
					return fmt.Errorf("key %d attribute %d word %d: read %d, want %d", key, a, i, got, want)
				}
			}
		}
		return nil
	}
	for a := 0; a < w.cfg.Attributes; a++ {
		for i := 0; i < w.cfg.AttrWords; i++ {
			want := flexasync.Value(key, a, i, gen)
			var got uint32
			if w.cfg.AttrWords == 1 {
				got = uint32(r.Uint64(a + 1))
			} else {
				got = binary.LittleEndian.Uint32(r.Raw(a + 1)[4*i:])
			}
			if got != want {
				return fmt.Errorf("key %d attribute %d word %d: read %d, want %d", key, a, i, got, want)
			}
		}
	}
	return nil
}

// Run implements flexasync.Worker: every transaction of the batch is
// prepared, then all are sent in one flush and polled to completion.
func (w *flexWorker) Run(_ context.Context, b flexasync.Batch, done func(int, time.Duration, error)) error {
	w.txs = w.txs[:0]
	for len(w.ops) < b.Txs {
		i := len(w.ops)
		w.ops = append(w.ops, nil)
		w.cbs = append(w.cbs, func(tx *ndbapi.Transaction, err error) { w.finish(i, err) })
	}
	gen := b.Phase.Generation()
	w.batch, w.gen, w.done = b, gen, done
	for i := 0; i < b.Txs; i++ {
		w.rb.Reset()
		w.rb.SetUint64(0, b.Key(i, 0))
		w.key = w.rb.AppendKey(w.key[:0])
		tx, err := w.ndb.StartTransaction(w.t, w.key)
		if err != nil {
			for _, t := range w.txs {
				t.Close()
			}
			return err
		}
		w.ops[i] = w.ops[i][:0]
		for op := 0; op < b.OpsPerTx; op++ {
			k := b.Key(i, op)
			if b.Phase == flexasync.Insert || b.Phase == flexasync.Update {
				w.fill(k, gen)
			} else { // reads and deletes name only the key
				w.rb.Reset()
				w.rb.SetUint64(0, k)
			}
			var o *ndbapi.Operation
			switch b.Phase {
			case flexasync.Insert:
				o = tx.Insert(w.t, w.rb)
			case flexasync.Update:
				o = tx.Update(w.t, w.rb, w.cols...)
			case flexasync.Read, flexasync.ReadAgain:
				o = tx.Read(w.t, w.rb, ndbapi.CommittedRead)
			case flexasync.Delete:
				o = tx.Delete(w.t, w.rb)
			}
			w.ops[i] = append(w.ops[i], o)
		}
		w.txs = append(w.txs, tx)
		tx.ExecuteAsync(ndbapi.Commit, w.cbs[i])
	}
	// Every transaction goes out in the flush below: latency counts from
	// there to the poll that took its answer in (one clock read per
	// batch of answers, not per transaction).
	w.sent = time.Now()
	for w.ndb.Pending() > 0 {
		w.ndb.SendPollNdb(time.Second, w.ndb.Pending())
	}
	for _, tx := range w.txs {
		tx.Close()
	}
	return nil
}

// finish is the callback of the batch's transaction i: it checks what a
// read returned and reports the outcome.
func (w *flexWorker) finish(i int, err error) {
	b := &w.batch
	lat := max(w.ndb.PolledAt().Sub(w.sent), 0)
	if err == nil && (b.Phase == flexasync.Read || b.Phase == flexasync.ReadAgain) {
		for op, o := range w.ops[i] {
			r, ok := o.Row()
			if !ok {
				err = fmt.Errorf("key %d: no row returned", b.Key(i, op))
				break
			}
			if err = w.check(b.Key(i, op), r, w.gen); err != nil {
				break
			}
		}
	}
	w.done(i, lat, err)
}
