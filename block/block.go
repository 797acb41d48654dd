package block

import (
	"fmt"
	"time"

	"github.com/gondb/gondb/signal"
)

// Env is what a running block may use. The production runtime and the
// simulator implement it. Methods are called only from the goroutine running
// the block.
type Env interface {
	// Self is the address of the block instance being run.
	Self() signal.Address
	// Now is monotonic time since the node started: real in production,
	// simulated in the simulator. Blocks use it for timeouts.
	Now() time.Duration
	// Send sends a signal to any block on any node (Receiver.Node 0 means
	// this node). The signal and its sections are copied before Send
	// returns. Delivery is asynchronous and in order per (sender, receiver)
	// pair while the connection lasts; signals to a node that fails are
	// lost, and the block learns of the failure by a signal from its
	// node's membership block. An error means the signal was not queued
	// (the peer is overloaded or unreachable): a temporary condition the
	// block handles like a lost signal.
	Send(s *signal.Signal) error
}

// Block is one block instance.
type Block interface {
	// Handle executes one signal. s and its sections are valid only during
	// the call. It must not block.
	Handle(env Env, s *signal.Signal)
	// Tick is called regularly (every few milliseconds in production, per
	// simulated tick in the simulator) so the block can run its timers.
	Tick(env Env)
}

// Prefetcher is implemented by a block that can start the memory loads of
// signals before it runs them. The runtime hands it each batch of signals
// queued on its thread (for any block there) before running the batch, so
// that the cache misses of the batch overlap instead of following one
// another. Prefetch must not change the block's state as seen by Handle,
// send anything or keep the slice; a runtime may never call it.
type Prefetcher interface {
	Prefetch(sigs []signal.Signal)
}

// HandlerFunc handles one signal number.
type HandlerFunc func(env Env, s *signal.Signal)

// Handlers is a dispatch table from signal numbers to handlers. A block
// embeds one, registers its handlers once at construction, and calls
// Dispatch from Handle. The zero value is empty and ready.
type Handlers struct {
	// byNumber is indexed by signal number: every signal is dispatched
	// through it, so a lookup is an index, not a hash. Signal numbers are
	// small and dense (signal/gsn), so the slice stays short.
	byNumber []HandlerFunc
}

// On registers fn for signal number n. Registering a number twice is a bug.
func (h *Handlers) On(n signal.Number, fn HandlerFunc) {
	for int(n) >= len(h.byNumber) {
		h.byNumber = append(h.byNumber, nil)
	}
	if h.byNumber[n] != nil {
		panic(fmt.Sprintf("block: handler for signal %d registered twice", n))
	}
	h.byNumber[n] = fn
}

// Dispatch runs the handler for s.Number and reports whether there was one.
// An unknown signal is the sender's bug or a newer peer; the caller logs it.
func (h *Handlers) Dispatch(env Env, s *signal.Signal) bool {
	if int(s.Number) >= len(h.byNumber) {
		return false
	}
	fn := h.byNumber[s.Number]
	if fn == nil {
		return false
	}
	fn(env, s)
	return true
}
