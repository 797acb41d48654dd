package ldm

import (
	"fmt"

	"github.com/gondb/gondb/datanode/spsc"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// OpKind is a request's operation. The numbers are stable.
type OpKind uint8

const (
	OpRead   OpKind = 1
	OpInsert OpKind = 2
	OpUpdate OpKind = 3
	OpWrite  OpKind = 4
	OpDelete OpKind = 5
)

// Request is one primary-key operation on a fragment of this LDM. Data is
// the row image (insert, update, write) or the key image (read, delete); it
// must stay unchanged until the reply arrives.
type Request struct {
	Kind OpKind
	Frag uint16 // index into the LDM's fragments
	Hash uint64 // the key's partition hash
	Data []byte
	Tag  uint64 // returned in the reply
}

// Reply answers one Request.
type Reply struct {
	Tag  uint64
	Code uint16 // ndberr code, 0 on success
	Len  uint32 // bytes of the row read
}

// Config configures an LDM.
type Config struct {
	Name      string
	CPUs      []int // bind the thread to these CPUs; empty: unbound
	Fragments []*store.Fragment
	// RingSize is the capacity of the request and reply rings. The producer
	// must not have more than RingSize requests outstanding.
	RingSize int
	// GCI stamps committed rows until global checkpoints exist.
	GCI uint64
}

// LDM is one running LDM thread.
type LDM struct {
	cfg     Config
	in      *spsc.Ring[Request]
	out     *spsc.Ring[Reply]
	w       *thread.Worker
	batch   []Request
	replies []Reply
	readBuf []byte
	nextTx  store.TxID
	allCols schema.ColumnSet
}

// Start starts the LDM's worker thread.
func Start(cfg Config) (*LDM, error) {
	if len(cfg.Fragments) == 0 || cfg.RingSize <= 0 {
		return nil, fmt.Errorf("ldm %s: needs fragments and a ring size", cfg.Name)
	}
	l := &LDM{cfg: cfg, in: spsc.New[Request](cfg.RingSize), out: spsc.New[Reply](cfg.RingSize)}
	l.batch = make([]Request, l.in.Cap())
	l.replies = make([]Reply, 0, l.in.Cap())
	w, err := thread.Start(thread.WorkerConfig{Name: cfg.Name, CPUs: cfg.CPUs, Inputs: []thread.Input{l.in}, Round: l.round})
	if err != nil {
		return nil, err
	}
	l.w = w
	return l, nil
}

// Submit queues requests (producer side: one goroutine only) and wakes the
// worker. It returns how many fit.
func (l *LDM) Submit(reqs []Request) int {
	n := l.in.PushBatch(reqs)
	if n > 0 {
		l.w.Wake()
	}
	return n
}

// Replies takes finished replies (consumer side: one goroutine only).
func (l *LDM) Replies(dst []Reply) int { return l.out.PopBatch(dst) }

// Stop stops the worker. Fragments stay as they are.
func (l *LDM) Stop() { l.w.Stop() }

// Stats returns the worker thread's counters.
func (l *LDM) Stats() thread.Stats { return l.w.Stats() }

// round drains requests, executes them and publishes the replies as one
// batch. It takes no more requests than the reply ring has room for.
func (l *LDM) round(budget int) bool {
	room := l.out.Cap() - l.out.Len()
	n := min(budget, room, len(l.batch))
	n = l.in.PopBatch(l.batch[:n])
	if n == 0 {
		return false
	}
	l.replies = l.replies[:0]
	for i := range l.batch[:n] {
		l.replies = append(l.replies, l.exec(&l.batch[i]))
		l.batch[i].Data = nil // drop the reference for the collector
	}
	l.out.PushBatch(l.replies)
	return true
}

func (l *LDM) exec(r *Request) Reply {
	rep := Reply{Tag: r.Tag}
	if int(r.Frag) >= len(l.cfg.Fragments) {
		rep.Code = uint16(ndberr.ErrNoSuchTable.Code)
		return rep
	}
	f := l.cfg.Fragments[r.Frag]
	var err error
	if r.Kind == OpRead {
		l.readBuf, err = f.Read(r.Hash, r.Data, l.readBuf[:0])
		rep.Len = uint32(len(l.readBuf))
	} else {
		err = l.write(f, r)
	}
	if err != nil {
		code := ndberr.CodeOf(err)
		if code == 0 {
			code = ndberr.ErrInternal.Code
		}
		rep.Code = uint16(code)
	}
	return rep
}

// write prepares and commits one write as its own transaction.
func (l *LDM) write(f *store.Fragment, r *Request) error {
	l.nextTx++
	tx := l.nextTx
	var ref store.OpRef
	var err error
	switch r.Kind {
	case OpInsert:
		ref, err = f.PrepareInsert(tx, r.Hash, r.Data)
	case OpUpdate:
		if l.allCols == (schema.ColumnSet{}) {
			l.allCols = schema.AllColumns(schema.MaxColumns)
		}
		ref, err = f.PrepareUpdate(tx, r.Hash, r.Data, &l.allCols)
	case OpWrite:
		ref, err = f.PrepareWrite(tx, r.Hash, r.Data)
	case OpDelete:
		ref, err = f.PrepareDelete(tx, r.Hash, r.Data)
	default:
		return ndberr.ErrBadRowImage
	}
	if err != nil {
		return err
	}
	return f.Commit(ref, l.cfg.GCI)
}
