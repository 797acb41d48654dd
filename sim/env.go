package sim

import (
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
)

// env is block.Env for one block instance of one node incarnation.
type env struct {
	s           *Sim
	n           *node
	self        signal.Address
	incarnation uint32
}

var _ block.Env = (*env)(nil)

func (e *env) Self() signal.Address { return e.self }

// Now is the simulated time since the node (re)started, as block.Env says.
func (e *env) Now() time.Duration { return e.s.now - e.n.startedAt }

// Send stamps the sender, resolves Receiver.Node 0 to this node, encodes
// the signal with the production codec and queues it; see Sim for the
// delivery rules.
func (e *env) Send(sig *signal.Signal) error { return e.s.send(e, sig) }
