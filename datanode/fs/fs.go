package fs

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/sysfile"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Config is what the block works on.
type Config struct {
	Redo    []*redo.Log    // the node's redo log parts
	Sysfile *sysfile.Store // the node's sysfile
	Logger  *slog.Logger
}

// Stats are the block's counters, readable from any goroutine.
type Stats struct {
	Syncs, SysfileWrites, Errors uint64
	SyncedGCI, WrittenGCI        uint64
}

// FS is the block.
type FS struct {
	block.Handlers
	cfg Config
	log *slog.Logger

	mu   sync.Mutex
	done []signal.Signal // answers to send at the next Tick
	wg   sync.WaitGroup  // disk work in flight (Wait)

	syncs, writes, errs atomic.Uint64
	synced, written     atomic.Uint64
	history             atomic.Uint64 // the sysfile's History (History)
}

// New creates the block.
func New(cfg Config) *FS {
	f := &FS{cfg: cfg, log: cfg.Logger}
	if f.log == nil {
		f.log = slog.Default()
	}
	if cfg.Sysfile != nil {
		sf, _ := cfg.Sysfile.Current()
		f.history.Store(sf.History)
	}
	f.On(gsn.FS_SYNCREDOREQ, f.syncRedoReq)
	f.On(gsn.FS_WRITESYSFILEREQ, f.writeSysfileReq)
	return f
}

// Handle implements block.Block.
func (f *FS) Handle(env block.Env, s *signal.Signal) { f.Dispatch(env, s) }

// Tick sends the answers of disk work that finished.
func (f *FS) Tick(env block.Env) {
	f.mu.Lock()
	done := f.done
	f.done = nil
	f.mu.Unlock()
	for i := range done {
		env.Send(&done[i])
	}
}

// Wait waits for the disk work in flight: a stopping node calls it
// before closing the redo log, so no sysfile write outlives it.
func (f *FS) Wait() { f.wg.Wait() }

// Stats returns the counters.
// History is the history of the cluster this node's sysfile records
// (sysfile.Sysfile.History); safe from any goroutine.
func (f *FS) History() uint64 { return f.history.Load() }

func (f *FS) Stats() Stats {
	return Stats{Syncs: f.syncs.Load(), SysfileWrites: f.writes.Load(), Errors: f.errs.Load(),
		SyncedGCI: f.synced.Load(), WrittenGCI: f.written.Load()}
}

func gciOf(s *signal.Signal) uint64 { return uint64(s.Words[0]) | uint64(s.Words[1])<<32 }

// answer queues the reply to request s with error err (nil: done).
func (f *FS) answer(s signal.Signal, n signal.Number, err error) {
	var code uint32
	if err != nil {
		f.errs.Add(1)
		code = uint32(ndberr.ErrInternal.Code)
		var ne *ndberr.Error
		if errors.As(err, &ne) {
			code = uint32(ne.Code)
		}
	}
	out := signal.Signal{Number: n, Receiver: s.Sender}
	out.SetWords(s.Words[0], s.Words[1], code)
	f.mu.Lock()
	f.done = append(f.done, out)
	f.mu.Unlock()
}

func (f *FS) syncRedoReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	req, gci := *s, gciOf(s)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		errs := make([]error, len(f.cfg.Redo))
		var wg sync.WaitGroup
		for i, l := range f.cfg.Redo {
			wg.Go(func() { errs[i] = l.Sync(gci) })
		}
		wg.Wait()
		err := errors.Join(errs...)
		if err != nil {
			f.log.Error("fs: redo sync failed: the epoch is not durable", "gci", gci, "err", err)
		} else {
			f.syncs.Add(1)
			f.synced.Store(gci)
		}
		f.answer(req, gsn.FS_SYNCREDOCONF, err)
	}()
}

func (f *FS) writeSysfileReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	req, gci := *s, gciOf(s)
	var nodes [8]uint32 // the nodes that synced gci (w2-w9), when sent
	if s.NumWords >= 10 {
		copy(nodes[:], s.Words[2:10])
	}
	history, hasHistory := uint64(0), s.NumWords >= 12 // the cluster's history (w10-w11), when sent
	if hasHistory {
		history = uint64(s.Words[10]) | uint64(s.Words[11])<<32
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		sf, _ := f.cfg.Sysfile.Current()
		sf.LastCompletedGCI, sf.Nodes = gci, nodes
		if hasHistory {
			sf.History = history
		}
		err := f.cfg.Sysfile.Save(sf)
		if err != nil {
			f.log.Error("fs: sysfile write failed: the epoch is not recorded as restorable", "gci", gci, "err", err)
		} else {
			f.writes.Add(1)
			f.written.Store(gci)
			f.history.Store(sf.History)
		}
		f.answer(req, gsn.FS_WRITESYSFILECONF, err)
	}()
}
