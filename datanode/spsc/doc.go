// Package spsc owns the lock-free single-producer single-consumer ring buffer
// that worker threads use to hand signals to each other: one Ring per
// (sender thread, receiver thread) pair.
//
// # Threading
//
// A Ring has exactly one producer goroutine and exactly one consumer
// goroutine for its whole life. Push and PushBatch may only be called by the
// producer, Pop and PopBatch only by the consumer; neither side takes a lock
// and neither ever blocks (a full ring refuses the push, an empty ring
// returns nothing). Len and Cap may be called from any goroutine. A second
// producer or a second consumer is a data race that the race detector reports
// and that silently loses or duplicates items in production; if a handover
// between goroutines is ever needed, it must itself be a happens-before edge
// (a channel send, a mutex).
//
// # Layout
//
//	| pad | tail, headCache | pad | head, tailCache | pad | mask, buf | pad |
//	        producer's line         consumer's line
//
// The producer writes tail and reads head; the consumer writes head and reads
// tail. Each index sits on its own cache line (64 bytes, 128 on ppc64 where
// golang.org/x/sys/cpu.CacheLinePad is 128 bytes), so the two cores do not
// invalidate each other's line on every operation (false sharing). Each side
// also keeps a private copy of the other side's index (headCache, tailCache)
// and re-reads the shared one only when the copy says the ring is full
// (producer) or empty (consumer), so in steady state a side touches the other
// core's line once per lap of the ring rather than once per item.
//
// head and tail are 64-bit counters of items ever popped and pushed; they are
// reduced to a slot with & mask (capacity is a power of two) and never wrap
// in practice (2^64 items at 10^9 items/s take 584 years).
//
// # Memory ordering
//
// Go's sync/atomic operations are sequentially consistent, and the Go memory
// model says that if an atomic operation B observes the value written by
// atomic operation A, then A is synchronized before B. That is all the ring
// needs (acquire/release would suffice; seq-cst is stronger):
//
//   - The producer writes the slots, then stores tail (release). The consumer
//     loads tail (acquire) and only then reads the slots below it, so it sees
//     the producer's writes to them.
//   - The consumer reads (and clears) the slots, then stores head. The
//     producer loads head and only then overwrites the slots below it, so it
//     never overwrites a slot the consumer is still reading.
//
// Batched calls move many slots per store and per load: PushBatch writes all
// its slots and publishes them with one store of tail; PopBatch does at most
// one load of tail and one store of head. On amd64 a seq-cst store is an XCHG
// (about 20 cycles), so batching is what makes the ring fast.
//
// Popped slots are cleared so the ring does not keep pointers alive for the
// garbage collector.
//
// # Imports
//
// spsc is a leaf package: it imports only the standard library and
// golang.org/x/sys/cpu, and must never import any other gondb package.
package spsc
