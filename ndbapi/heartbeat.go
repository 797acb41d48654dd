package ndbapi

import (
	"sync/atomic"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
)

// API node heartbeats (NDB's API_REGREQ). The API registers with every
// connected data node's QMGR and then heartbeats it; a data node that
// misses several heartbeats in a row takes the API node for failed and
// has its TC abort the API's open transactions, releasing their locks,
// and drop its commit-ack markers. QMGR's answer (API_REGCONF) carries
// HeartbeatIntervalDbApi; the API sends at twice that rate, so one late
// heartbeat never counts as missed. A data node that never answers (no
// QMGR: node failure handling is off) is asked again only every
// regRetryIdle.

const (
	// defaultAPIHeartbeat is the interval until a data node tells its own:
	// NDB's HeartbeatIntervalDbApi default.
	defaultAPIHeartbeat = 1500 * time.Millisecond
	// regUnanswered heartbeats without an answer make a data node "quiet".
	regUnanswered = 3
	// regRetryIdle is how often a quiet data node is asked again.
	regRetryIdle = 30 * time.Second
)

// apiHeartbeats is the heartbeat state of the cluster connection.
type apiHeartbeats struct {
	interval atomic.Int64 // nanoseconds: the shortest HeartbeatIntervalDbApi heard of (0: none yet)
	// per data node, owned by the heartbeat goroutine but for answered,
	// set by the receiver.
	unanswered [signal.MaxNodeID + 1]int
	answered   [signal.MaxNodeID + 1]atomic.Bool
	quietSince [signal.MaxNodeID + 1]time.Time
	regs       atomic.Uint64 // API_REGCONFs received
	refs       atomic.Uint64 // API_REGREFs received
}

// runHeartbeats sends API_REGREQ to every connected data node until stop
// is closed.
func (c *Cluster) runHeartbeats(stop <-chan struct{}) {
	hb := &c.hb
	var w signal.FrameWriter
	s := signal.Signal{Number: gsn.API_REGREQ, Sender: signal.Address{Node: c.self, Block: gsn.BlockAPI}}
	for {
		now := time.Now()
		for _, p := range c.tr.Peers() {
			n := p.Node
			if p.State != transport.StateConnected {
				hb.unanswered[n], hb.quietSince[n] = 0, time.Time{}
				continue
			}
			if hb.answered[n].Swap(false) {
				hb.unanswered[n] = 0
			}
			if hb.unanswered[n] >= regUnanswered {
				if hb.quietSince[n].IsZero() {
					hb.quietSince[n] = now
				}
				if now.Sub(hb.quietSince[n]) < regRetryIdle {
					continue
				}
				hb.unanswered[n], hb.quietSince[n] = regUnanswered-1, time.Time{}
			}
			hb.unanswered[n]++
			s.Receiver = signal.Address{Node: n, Block: gsn.BlockQMGR}
			w.Reset()
			if w.Add(&s) == nil {
				_ = c.tr.Send(n, w.Bytes()) // a lost heartbeat is a missed one
			}
		}
		every := defaultAPIHeartbeat
		if v := hb.interval.Load(); v > 0 {
			every = time.Duration(v)
		}
		select {
		case <-stop:
			return
		case <-time.After(every / 2):
		}
	}
}

// noteRegistration handles API_REGCONF (w3: HeartbeatIntervalDbApi in
// ms) and API_REGREF (w0 2: the data node still cleans up after taking
// this API for failed; the next heartbeat registers again).
func (c *Cluster) noteRegistration(from signal.NodeID, v *signal.View) {
	if from == 0 || from > signal.MaxNodeID {
		return
	}
	hb := &c.hb
	hb.answered[from].Store(true)
	if v.Number() == gsn.API_REGREF {
		hb.refs.Add(1)
		return
	}
	hb.regs.Add(1)
	if v.NumWords() < 4 {
		return
	}
	ms := time.Duration(v.Word(3)) * time.Millisecond
	if ms <= 0 {
		return
	}
	for {
		cur := hb.interval.Load()
		if cur != 0 && cur <= int64(ms) || hb.interval.CompareAndSwap(cur, int64(ms)) {
			return
		}
	}
}

// Registrations counts the data nodes' answers to this API node's
// heartbeats: API_REGCONF (registered) and API_REGREF (refused for now).
func (c *Cluster) Registrations() (conf, ref uint64) { return c.hb.regs.Load(), c.hb.refs.Load() }
