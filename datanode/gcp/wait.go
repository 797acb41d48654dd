package gcp

import (
	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Waits for durability: an API asks any data node to answer once an epoch
// (a transaction's commit GCI) is durable, GCP_WAITSAVEDREQ. The node
// answers GCP_WAITSAVEDCONF when GCP_SAVED_REP reaches it with that epoch
// or a later one, at once if it already has. A node that fails takes its
// waits with it; the API asks another.

// MaxSavedWaits bounds the waits one node holds; more are refused with a
// temporary error.
const MaxSavedWaits = 1 << 16

// savedWait is one API's wait.
type savedWait struct {
	from  signal.Address
	trans uint64 // echoed: the API routes by it
	gci   uint64
	id    uint32
}

func (g *GCP) registerWait() {
	g.On(gsn.GCP_WAITSAVEDREQ, g.waitSavedReq)
}

func (g *GCP) waitSavedReq(env block.Env, s *signal.Signal) {
	gci, ok := gciOf(s)
	if !ok || s.NumWords < 3 {
		return // malformed: nobody to answer
	}
	w := savedWait{from: s.Sender, trans: s.TransID, gci: gci, id: s.Words[2]}
	switch {
	case g.cfg.SaveInterval <= 0:
		g.answerWait(env, w, ndberr.ErrDiskless.Code)
	case gci <= g.stats.Saved:
		g.answerWait(env, w, 0)
	case len(g.waits) >= MaxSavedWaits:
		g.answerWait(env, w, ndberr.ErrTooManyGCIWaits.Code)
	default:
		g.waits = append(g.waits, w)
	}
}

// releaseWaits answers the waits that the saved GCI now covers.
func (g *GCP) releaseWaits(env block.Env) {
	kept := g.waits[:0]
	for _, w := range g.waits {
		if w.gci <= g.stats.Saved {
			g.answerWait(env, w, 0)
			continue
		}
		kept = append(kept, w)
	}
	clear(g.waits[len(kept):])
	g.waits = kept
}

func (g *GCP) answerWait(env block.Env, w savedWait, code int) {
	o := &g.out
	o.Reset()
	o.Number, o.Receiver, o.TransID = gsn.GCP_WAITSAVEDCONF, w.from, w.trans
	saved := g.stats.Saved
	o.SetWords(uint32(saved), uint32(saved>>32), w.id, uint32(code))
	env.Send(o)
}
