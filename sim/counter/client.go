package counter

import (
	"fmt"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
)

// Observer learns what clients do; the checker implements it. It is called
// from inside the client's Handle and Tick and must not call back into the
// simulation.
type Observer interface {
	// Issued: a client of node origin sent an increment to its counter.
	Issued(origin signal.NodeID)
	// Acknowledged: origin's counter confirmed the increment numbered seq
	// (the seq-th of origin's counts) as durable on a majority.
	Acknowledged(origin signal.NodeID, seq uint64)
}

// ClientConfig is one Client's configuration.
type ClientConfig struct {
	Node signal.NodeID
	// Every: ticks between two increments.
	Every int
	// MaxOutstanding bounds increments sent and not yet confirmed or
	// refused.
	MaxOutstanding int
	Observer       Observer
}

// Client issues increments to its node's counter, one every Every ticks,
// until told to stop (GsnStopOrd). It never resends: an increment lost
// with a crash is simply not counted, which is allowed; one that was
// acknowledged must never be lost.
type Client struct {
	block.Handlers
	cfg         ClientConfig
	next        uint32
	outstanding int
	stopped     bool
	ticks       int
	out         signal.Signal
}

var _ block.Block = (*Client)(nil)

// NewClient returns a client.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Every <= 0 || cfg.MaxOutstanding <= 0 || cfg.Observer == nil {
		panic(fmt.Sprintf("counter: bad client config %+v", cfg))
	}
	c := &Client{cfg: cfg}
	c.On(GsnIncrConf, c.onConf)
	c.On(GsnIncrRef, c.onRef)
	c.On(GsnStopOrd, func(block.Env, *signal.Signal) { c.stopped = true })
	return c
}

// Handle runs one signal.
func (c *Client) Handle(env block.Env, s *signal.Signal) {
	if !c.Dispatch(env, s) {
		panic(fmt.Sprintf("counter: client of node %d: unknown signal %d from %v", c.cfg.Node, s.Number, s.Sender))
	}
}

// Tick issues the next increment when it is time.
func (c *Client) Tick(env block.Env) {
	c.ticks++
	if c.stopped || c.ticks%c.cfg.Every != 0 || c.outstanding == c.cfg.MaxOutstanding {
		return
	}
	c.next++
	c.out.Reset()
	c.out.Number = GsnIncrReq
	c.out.Receiver = signal.Address{Block: BlockCounter} // node 0: this node
	c.out.SetWords(c.next)
	if env.Send(&c.out) == nil {
		c.outstanding++
		c.cfg.Observer.Issued(c.cfg.Node)
	}
}

func (c *Client) onConf(env block.Env, s *signal.Signal) {
	c.settle(s)
	c.cfg.Observer.Acknowledged(c.cfg.Node, uint64(s.Words[1])|uint64(s.Words[2])<<32)
}

func (c *Client) onRef(env block.Env, s *signal.Signal) { c.settle(s) }

func (c *Client) settle(s *signal.Signal) {
	if c.outstanding == 0 || s.Words[0] > c.next {
		panic(fmt.Sprintf("counter: client of node %d: reply to request %d it never sent (%d outstanding)",
			c.cfg.Node, s.Words[0], c.outstanding))
	}
	c.outstanding--
}

// Outstanding is the number of increments awaiting an answer (test hook).
func (c *Client) Outstanding() int { return c.outstanding }

// Stopped reports whether the client has stopped issuing (test hook).
func (c *Client) Stopped() bool { return c.stopped }
