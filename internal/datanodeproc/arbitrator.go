package datanodeproc

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// ViewArbitrator is what MgmArbitrator asks: client.Conn's ArbitrateView
// (a reply is a verdict, an error none).
type ViewArbitrator interface {
	ArbitrateView(context.Context, *mgmapi.ArbitrateViewRequest) (*mgmapi.ArbitrateViewReply, error)
}

var _ ViewArbitrator = (*client.Conn)(nil)

// ArbitratorOptions configure a MgmArbitrator. Zero fields take
// DefaultArbitratorOptions' values.
type ArbitratorOptions struct {
	// Logger receives verdicts and failed attempts. Default slog.Default().
	Logger *slog.Logger
	// Attempt bounds one request through every management server of the
	// connection (Conn.ArbitrateView gives each server 2.5 s).
	Attempt time.Duration
	// Retry is the pause after a failed attempt before QMGR's next poll
	// starts another; negative: none.
	Retry time.Duration
}

// DefaultArbitratorOptions returns the defaults, with the reason for each.
func DefaultArbitratorOptions() ArbitratorOptions {
	return ArbitratorOptions{
		// Three management servers at 2.5 s each; QMGR's
		// ArbitrationTimeout (7.5 s) decides before that anyway.
		Attempt: 7500 * time.Millisecond,
		// A failed attempt is a management server or etcd that could not
		// answer; a quarter second lets a leader election or a restart
		// progress without flooding the servers, and leaves many attempts
		// within ArbitrationTimeout.
		Retry: 250 * time.Millisecond,
	}
}

func (o ArbitratorOptions) resolved() ArbitratorOptions {
	d := DefaultArbitratorOptions()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Attempt <= 0 {
		o.Attempt = d.Attempt
	}
	if o.Retry < 0 {
		o.Retry = 0
	} else if o.Retry == 0 {
		o.Retry = d.Retry
	}
	return o
}

// MgmArbitrator is qmgr.Arbitrator through the management servers: the
// arbitrator of Arbitration=Default (mgmapi.ArbitrateViewRequest has the
// rules the management servers keep in etcd).
//
// Arbitrate never blocks. The first call with a request starts it on a
// goroutine and returns Pending; later calls with the same request return
// Pending until the verdict, then the verdict (Granted or Refused, kept for
// that request). A failed attempt (no management server or etcd answered,
// or the request was refused as invalid) leaves it Pending: a later call
// at least Retry after the failure starts another attempt, and QMGR's
// ArbitrationTimeout decides if no verdict comes. A call with another
// request abandons the current one (its verdict, if it still comes, is
// dropped) and starts the new one.
//
// Safe for concurrent use; QMGR calls it from its thread. Close ends the
// attempt in flight.
type MgmArbitrator struct {
	conn ViewArbitrator
	opts ArbitratorOptions
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	has      bool // cur is set
	cur      qmgr.ArbitrationRequest
	verdict  qmgr.Verdict // of cur
	seq      uint64       // numbers attempts; only the latest one's answer counts
	inFlight bool
	cancel   context.CancelFunc // the attempt in flight
	retryAt  time.Time          // after a failed attempt
	closed   bool
	stats    ArbitratorStats
	wg       sync.WaitGroup
}

// ArbitratorStats count a MgmArbitrator's work.
type ArbitratorStats struct {
	Requests uint64 // distinct requests (a new one replaces the last)
	Attempts uint64 // calls to the management servers
	Failures uint64 // attempts that brought no verdict
	Granted  uint64 // verdicts
	Refused  uint64
}

var _ qmgr.Arbitrator = (*MgmArbitrator)(nil)

// NewMgmArbitrator asks through conn, a *client.Conn (a Node's Conn()).
func NewMgmArbitrator(conn ViewArbitrator, o ArbitratorOptions) *MgmArbitrator {
	o = o.resolved()
	return &MgmArbitrator{conn: conn, opts: o, log: o.Logger, now: time.Now}
}

// Arbitrate implements qmgr.Arbitrator.
func (a *MgmArbitrator) Arbitrate(req qmgr.ArbitrationRequest) qmgr.Verdict {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return qmgr.Pending
	}
	if !a.has || req != a.cur {
		if a.cancel != nil {
			a.cancel() // abandoned: its answer is for another request
		}
		a.has, a.cur, a.verdict, a.retryAt = true, req, qmgr.Pending, time.Time{}
		a.stats.Requests++
		a.startLocked()
		return qmgr.Pending
	}
	if a.verdict == qmgr.Pending && !a.inFlight && !a.now().Before(a.retryAt) {
		a.startLocked()
	}
	return a.verdict
}

// startLocked starts an attempt for a.cur on a goroutine.
func (a *MgmArbitrator) startLocked() {
	a.seq++
	a.stats.Attempts++
	seq, req := a.seq, a.cur
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.Attempt)
	a.inFlight, a.cancel = true, cancel
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		rep, err := a.conn.ArbitrateView(ctx, viewRequest(req))
		a.finish(seq, req, rep, err)
	}()
}

// finish records attempt seq's answer, unless a newer attempt replaced it.
func (a *MgmArbitrator) finish(seq uint64, req qmgr.ArbitrationRequest, rep *mgmapi.ArbitrateViewReply, err error) {
	a.mu.Lock()
	if seq != a.seq || a.closed {
		a.mu.Unlock()
		return
	}
	a.inFlight, a.cancel = false, nil
	if err != nil || rep == nil {
		a.stats.Failures++
		a.retryAt = a.now().Add(a.opts.Retry)
		a.mu.Unlock()
		a.log.Warn("arbitration: no verdict from the management servers; asking again",
			"generation", req.Generation, "base", req.Base, "proposed", req.Proposed.String(), "err", err)
		return
	}
	if rep.Granted {
		a.verdict = qmgr.Granted
		a.stats.Granted++
	} else {
		a.verdict = qmgr.Refused
		a.stats.Refused++
	}
	a.mu.Unlock()
	v := "refused"
	if rep.Granted {
		v = "granted"
	}
	a.log.Info("arbitration: "+v, "generation", req.Generation, "base", req.Base,
		"proposed", req.Proposed.String(), "side", req.Side.String(), "reason", rep.Reason)
}

// Stats returns the counters.
func (a *MgmArbitrator) Stats() ArbitratorStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Close abandons the attempt in flight and waits for its goroutine;
// Arbitrate answers Pending afterwards. Safe to call more than once.
func (a *MgmArbitrator) Close() {
	a.mu.Lock()
	a.closed = true
	if a.cancel != nil {
		a.cancel()
	}
	a.mu.Unlock()
	a.wg.Wait()
}

// viewRequest is req on the wire.
func viewRequest(req qmgr.ArbitrationRequest) *mgmapi.ArbitrateViewRequest {
	return &mgmapi.ArbitrateViewRequest{Generation: req.Generation, Base: req.Base,
		Proposed: nodeIDs(req.Proposed), Side: nodeIDs(req.Side), President: uint32(req.President)}
}

func nodeIDs(s qmgr.NodeSet) []uint32 {
	ns := s.Nodes()
	out := make([]uint32, len(ns))
	for i, n := range ns {
		out[i] = uint32(n)
	}
	return out
}
