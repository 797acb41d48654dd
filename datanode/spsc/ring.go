package spsc

import (
	"fmt"
	"math/bits"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// MaxCapacity is the largest capacity New accepts. It keeps the slot count
// representable in an int on 32-bit platforms.
const MaxCapacity = 1 << 30

// Ring is a bounded lock-free FIFO queue for exactly one producer goroutine
// and exactly one consumer goroutine (see the package documentation for the
// threading rule and the memory-ordering argument). The zero value is not
// usable; create rings with New.
type Ring[T any] struct {
	_ cpu.CacheLinePad

	// Producer's line: tail is written only by the producer and read by the
	// consumer when its tailCache runs out.
	tail      atomic.Uint64 // items ever pushed
	headCache uint64        // producer's last view of head; head >= headCache
	_         cpu.CacheLinePad

	// Consumer's line: head is written only by the consumer and read by the
	// producer when its headCache says the ring is full.
	head      atomic.Uint64 // items ever popped
	tailCache uint64        // consumer's last view of tail; tail >= tailCache
	_         cpu.CacheLinePad

	// Read-only after New.
	mask uint64
	buf  []T
	_    cpu.CacheLinePad
}

// New returns an empty ring that holds capacity items, rounded up to a power
// of two. It panics if capacity is below 1 or above MaxCapacity: ring sizes
// come from validated configuration, so a bad one is a bug.
func New[T any](capacity int) *Ring[T] {
	if capacity < 1 || capacity > MaxCapacity {
		panic(fmt.Sprintf("spsc: capacity %d out of range 1..%d", capacity, MaxCapacity))
	}
	n := 1 << bits.Len(uint(capacity-1))
	return &Ring[T]{mask: uint64(n - 1), buf: make([]T, n)}
}

// Cap returns the number of items the ring holds when full. Any goroutine.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// Len returns the number of items in the ring. Any goroutine may call it; from
// a goroutine other than the producer and the consumer the answer is a
// snapshot that may already be stale.
func (r *Ring[T]) Len() int {
	// Load head first: tail only grows and never passes head+cap at any one
	// instant, so tail read later is >= this head (no underflow); it may have
	// moved on by more than cap in between, hence the clamp.
	h := r.head.Load()
	t := r.tail.Load()
	if n := t - h; n < uint64(len(r.buf)) {
		return int(n)
	}
	return len(r.buf)
}

// Push appends v and reports whether there was room. Producer only.
func (r *Ring[T]) Push(v T) bool {
	t := r.tail.Load()
	if t-r.headCache > r.mask { // looks full: refresh our view of head
		r.headCache = r.head.Load()
		if t-r.headCache > r.mask {
			return false
		}
	}
	r.buf[t&r.mask] = v
	r.tail.Store(t + 1) // publishes the slot to the consumer
	return true
}

// PushBatch appends as many items from the front of vs as fit and returns how
// many it appended (0 when the ring is full). All of them are published with
// a single store. Producer only.
func (r *Ring[T]) PushBatch(vs []T) int {
	t := r.tail.Load()
	size := uint64(len(r.buf))
	free := size - (t - r.headCache)
	if free < uint64(len(vs)) {
		r.headCache = r.head.Load()
		free = size - (t - r.headCache)
	}
	n := len(vs)
	if free < uint64(n) {
		n = int(free)
	}
	if n == 0 {
		return 0
	}
	i := int(t & r.mask)
	c := copy(r.buf[i:], vs[:n]) // up to the end of buf
	copy(r.buf, vs[c:n])         // the rest wraps to the start
	r.tail.Store(t + uint64(n))
	return n
}

// Pop removes and returns the oldest item; ok is false when the ring is
// empty. Consumer only.
func (r *Ring[T]) Pop() (v T, ok bool) {
	h := r.head.Load()
	if h == r.tailCache { // looks empty: refresh our view of tail
		r.tailCache = r.tail.Load()
		if h == r.tailCache {
			return v, false
		}
	}
	i := h & r.mask
	v = r.buf[i]
	var zero T
	r.buf[i] = zero     // drop the ring's reference for the GC
	r.head.Store(h + 1) // hands the slot back to the producer
	return v, true
}

// PopBatch moves up to len(dst) of the oldest items into dst and returns how
// many it moved (0 when the ring is empty). It does at most one load of the
// producer's index and exactly one store of its own. Consumer only.
func (r *Ring[T]) PopBatch(dst []T) int {
	h := r.head.Load()
	avail := r.tailCache - h
	if avail < uint64(len(dst)) {
		r.tailCache = r.tail.Load()
		avail = r.tailCache - h
	}
	n := len(dst)
	if avail < uint64(n) {
		n = int(avail)
	}
	if n == 0 {
		return 0
	}
	i := int(h & r.mask)
	c := copy(dst[:n], r.buf[i:])
	copy(dst[c:n], r.buf[:n-c])
	clear(r.buf[i : i+c])
	clear(r.buf[:n-c])
	r.head.Store(h + uint64(n))
	return n
}
