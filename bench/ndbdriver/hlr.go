package ndbdriver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/bench/hlr"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// HLR is an hlr.Driver over an ndbapi cluster connection.
type HLR struct {
	Cluster *ndbapi.Cluster
	// Create makes the table, as Flex.Create does; nil: through the
	// dictionary, after dropping an old subscriber table.
	Create func(ctx context.Context, def *schema.Table) (*ndbapi.Table, error)
	// LoadThreads and LoadBatch shape the load: goroutines, each keeping
	// 16 transactions of LoadBatch inserts in flight (defaults 2 and 64).
	LoadThreads, LoadBatch int
	table                  *ndbapi.Table
}

// Load implements hlr.Driver: it (re)creates the subscriber table and
// inserts subscribers [0, n) in batched asynchronous transactions.
func (d *HLR) Load(ctx context.Context, n uint64, progress func(uint64)) error {
	def := hlr.Table(0)
	var err error
	if d.Create != nil {
		d.table, err = d.Create(ctx, def)
	} else {
		if err := d.Cluster.DropTable(ctx, def.Name); err != nil && !errors.Is(err, ndbapi.ErrNoSuchTable) {
			return err
		}
		d.table, err = d.Cluster.CreateTable(ctx, def)
	}
	if err != nil {
		return err
	}
	threads, batch := max(d.LoadThreads, 1), max(d.LoadBatch, 1)
	if d.LoadThreads == 0 {
		threads = 2
	}
	if d.LoadBatch == 0 {
		batch = 64
	}
	var next, loaded atomic.Uint64
	errs := make([]error, threads)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for t := range threads {
		wg.Go(func() { errs[t] = d.loadThread(ctx, n, batch, &next, &loaded) })
	}
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				progress(loaded.Load())
			}
		}
	}()
	wg.Wait()
	close(stop)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	progress(loaded.Load())
	return nil
}

// loadThread claims ranges of batch subscribers and inserts each range in
// one transaction, 16 transactions in flight.
func (d *HLR) loadThread(ctx context.Context, n uint64, batch int, next, loaded *atomic.Uint64) error {
	ndb, err := d.Cluster.NewNdb()
	if err != nil {
		return err
	}
	defer ndb.Close()
	rb := d.table.NewRowBuilder()
	var key, scratch []byte
	var firstErr error
	for ctx.Err() == nil && firstErr == nil {
		var txs []*ndbapi.Transaction
		for range 16 {
			from := next.Add(uint64(batch)) - uint64(batch)
			if from >= n {
				break
			}
			to := min(from+uint64(batch), n)
			fillSubscriber(rb, from, 0, &scratch)
			key = rb.AppendKey(key[:0])
			tx, err := ndb.StartTransaction(d.table, key)
			if err != nil {
				return err
			}
			for i := from; i < to; i++ {
				fillSubscriber(rb, i, 0, &scratch)
				tx.Insert(d.table, rb)
			}
			count := to - from
			tx.ExecuteAsync(ndbapi.Commit, func(tx *ndbapi.Transaction, err error) {
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("loading subscribers %d..%d: %w", from, to-1, err)
				}
				if err == nil {
					loaded.Add(count)
				}
			})
			txs = append(txs, tx)
		}
		if len(txs) == 0 {
			break
		}
		for ndb.Pending() > 0 {
			ndb.SendPollNdb(time.Second, ndb.Pending())
		}
		for _, tx := range txs {
			tx.Close()
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// fillSubscriber sets rb to subscriber i's row; move says which location
// (and so which VLR, MSC and location area) it is at.
func fillSubscriber(rb *schema.RowBuilder, i, move uint64, scratch *[]byte) {
	rb.Reset()
	rb.SetUint64(hlr.ColIMSI, hlr.IMSI(i))
	*scratch = hlr.AppendMSISDN((*scratch)[:0], i)
	rb.SetBytes(hlr.ColMSISDN, *scratch)
	setLocation(rb, i, move, scratch)
	rb.SetUint64(hlr.ColServiceProfile, i%7|0x100)
	rb.SetUint64(hlr.ColStatus, 1)
	*scratch = hlr.AppendAddress((*scratch)[:0], 9000+i%16)
	rb.SetBytes(hlr.ColSMSCentre, *scratch)
}

// setLocation sets the columns a location update writes.
func setLocation(rb *schema.RowBuilder, i, move uint64, scratch *[]byte) {
	area := (i + move*7919) % 5000
	*scratch = hlr.AppendAddress((*scratch)[:0], area/50)
	rb.SetBytes(hlr.ColVLR, *scratch)
	*scratch = hlr.AppendAddress((*scratch)[:0], 1000+area/100)
	rb.SetBytes(hlr.ColMSC, *scratch)
	rb.SetUint64(hlr.ColLocationArea, area)
	rb.SetInt64(hlr.ColUpdated, int64(move))
}

// NewWorker implements hlr.Driver.
func (d *HLR) NewWorker(context.Context, int) (hlr.Worker, error) {
	if d.table == nil {
		return nil, errors.New("hlr: Load the subscribers first")
	}
	ndb, err := d.Cluster.NewNdb()
	if err != nil {
		return nil, err
	}
	return &hlrWorker{ndb: ndb, t: d.table, rb: d.table.NewRowBuilder()}, nil
}

type hlrWorker struct {
	ndb     *ndbapi.Ndb
	t       *ndbapi.Table
	rb      *schema.RowBuilder
	key     []byte
	scratch []byte
	moves   uint64
	txs     []*ndbapi.Transaction
	ops     []*ndbapi.Operation
}

func (w *hlrWorker) Close() error { w.ndb.Close(); return nil }

// locationCols are the columns a location update writes.
var locationCols = []int{hlr.ColVLR, hlr.ColMSC, hlr.ColLocationArea, hlr.ColUpdated}

// Run implements hlr.Worker: each transaction is one round trip, all of
// them sent in one flush and polled to completion. A location update
// reads the subscriber with an exclusive lock and updates it in the same
// batch; routing reads go through the MSISDN unique index; every read
// checks that it got the subscriber it asked for.
func (w *hlrWorker) Run(_ context.Context, txs []hlr.Tx, done func(int, time.Duration, error)) error {
	w.txs, w.ops = w.txs[:0], w.ops[:0]
	var sent time.Time // the flush below sends every transaction
	for i, x := range txs {
		w.rb.Reset()
		w.rb.SetUint64(hlr.ColIMSI, hlr.IMSI(x.Subscriber))
		var tx *ndbapi.Transaction
		var err error
		var op *ndbapi.Operation
		switch x.Type {
		case hlr.LocationUpdate, hlr.ProfileRead:
			w.key = w.rb.AppendKey(w.key[:0])
			if tx, err = w.ndb.StartTransaction(w.t, w.key); err != nil {
				break
			}
			if x.Type == hlr.ProfileRead {
				op = tx.Read(w.t, w.rb, ndbapi.CommittedRead)
				break
			}
			op = tx.Read(w.t, w.rb, ndbapi.LockExclusive)
			w.moves++
			setLocation(w.rb, x.Subscriber, w.moves, &w.scratch)
			tx.Update(w.t, w.rb, locationCols...)
		case hlr.CallRouting, hlr.SMSRouting:
			// The unique index lives in its own hidden table: no hint
			// names its node, so any TC will do.
			if tx, err = w.ndb.StartTransaction(w.t, nil); err != nil {
				break
			}
			w.rb.Reset()
			w.scratch = hlr.AppendMSISDN(w.scratch[:0], x.Subscriber)
			w.rb.SetBytes(hlr.ColMSISDN, w.scratch)
			op = tx.ReadUnique(w.t, hlr.MSISDNIndex, w.rb, ndbapi.CommittedRead)
		default:
			err = fmt.Errorf("hlr: unknown transaction type %v", x.Type)
		}
		if err != nil {
			for _, t := range w.txs {
				t.Close()
			}
			return err
		}
		w.txs, w.ops = append(w.txs, tx), append(w.ops, op)
		sub := x.Subscriber
		tx.ExecuteAsync(ndbapi.Commit, func(tx *ndbapi.Transaction, err error) {
			lat := time.Since(sent)
			if err == nil {
				err = checkSubscriber(w.ops[i], sub)
			}
			done(i, lat, err)
		})
	}
	sent = time.Now()
	for w.ndb.Pending() > 0 {
		w.ndb.SendPollNdb(time.Second, w.ndb.Pending())
	}
	for _, tx := range w.txs {
		tx.Close()
	}
	return nil
}

// checkSubscriber checks that a read returned subscriber sub's row.
func checkSubscriber(op *ndbapi.Operation, sub uint64) error {
	r, ok := op.Row()
	if !ok {
		return fmt.Errorf("subscriber %d: no row returned", sub)
	}
	if got := r.Uint64(hlr.ColIMSI); got != hlr.IMSI(sub) {
		return fmt.Errorf("subscriber %d: read IMSI %d, want %d", sub, got, hlr.IMSI(sub))
	}
	return nil
}
