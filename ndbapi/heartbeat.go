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
	// peers is per data node, owned by the heartbeat goroutine; answered
	// is set by the receiver.
	peers    [signal.MaxNodeID + 1]hbPeer
	answered [signal.MaxNodeID + 1]atomic.Bool
	regs     atomic.Uint64 // API_REGCONFs received
	refs     atomic.Uint64 // API_REGREFs received
}

// hbPeer is the heartbeat state of one connected data node.
type hbPeer struct {
	unanswered int       // heartbeats sent since the last answer
	quietSince time.Time // when it was found quiet (zero: it is not)
	// heard: it answered on this connection, so it runs a QMGR, and an
	// answer that is late (the node or this process overloaded, a long
	// pause) never makes it quiet: stopping the heartbeats would have the
	// node take this API for failed and abort its transactions.
	heard bool
}

// due reports whether a heartbeat goes to the data node now, given
// whether it answered since the last one. A node that never answered
// on this connection is quiet after regUnanswered heartbeats and asked
// again only every regRetryIdle.
func (p *hbPeer) due(answered bool, now time.Time) bool {
	if answered {
		p.unanswered, p.heard = 0, true
	}
	if !p.heard && p.unanswered >= regUnanswered {
		if p.quietSince.IsZero() {
			p.quietSince = now
		}
		if now.Sub(p.quietSince) < regRetryIdle {
			return false
		}
		p.unanswered, p.quietSince = regUnanswered-1, time.Time{}
	}
	p.unanswered++
	return true
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
				hb.peers[n] = hbPeer{}
				continue
			}
			if !hb.peers[n].due(hb.answered[n].Swap(false), now) {
				continue
			}
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
