package spsc

import (
	"runtime"
	"testing"
)

// benchCapacity is the ring (and channel) size for the throughput benchmarks:
// large enough that neither side often finds the other's cache line hot.
const benchCapacity = 4096

// benchBatch is the batch size for the batched benchmark; a worker drains
// rings in batches of this order per round.
const benchBatch = 64

func reportItemsPerSec(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkSPSC moves b.N uint64 items from a producer goroutine to the
// benchmark goroutine, PushBatch and PopBatch in batches of benchBatch.
func BenchmarkSPSC(b *testing.B) {
	r := New[uint64](benchCapacity)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		var buf [benchBatch]uint64
		for next := 0; next < b.N; {
			k := min(benchBatch, b.N-next)
			for i := range k {
				buf[i] = uint64(next + i)
			}
			for sent := 0; sent < k; {
				n := r.PushBatch(buf[sent:k])
				if n == 0 {
					runtime.Gosched()
				}
				sent += n
			}
			next += k
		}
	}()
	var buf [benchBatch]uint64
	var want uint64
	for want < uint64(b.N) {
		n := r.PopBatch(buf[:])
		if n == 0 {
			runtime.Gosched()
			continue
		}
		if buf[n-1] != want+uint64(n)-1 {
			b.Fatalf("got %d, want %d", buf[n-1], want+uint64(n)-1)
		}
		want += uint64(n)
	}
	reportItemsPerSec(b)
}

// BenchmarkSPSCUnbatched is BenchmarkSPSC with one Push and one Pop per item.
func BenchmarkSPSCUnbatched(b *testing.B) {
	r := New[uint64](benchCapacity)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			for !r.Push(uint64(i)) {
				runtime.Gosched()
			}
		}
	}()
	for want := uint64(0); want < uint64(b.N); {
		v, ok := r.Pop()
		if !ok {
			runtime.Gosched()
			continue
		}
		if v != want {
			b.Fatalf("got %d, want %d", v, want)
		}
		want++
	}
	reportItemsPerSec(b)
}

// BenchmarkChannel is the same transfer through a buffered Go channel of the
// same capacity, for comparison.
func BenchmarkChannel(b *testing.B) {
	c := make(chan uint64, benchCapacity)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			c <- uint64(i)
		}
	}()
	for want := uint64(0); want < uint64(b.N); want++ {
		if v := <-c; v != want {
			b.Fatalf("got %d, want %d", v, want)
		}
	}
	reportItemsPerSec(b)
}
