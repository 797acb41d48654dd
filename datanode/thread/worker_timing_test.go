package thread

import (
	"testing"

	"github.com/gondb/gondb/datanode/spsc"
)

// BenchmarkWorkerPingPong measures the round trip between two workers
// through two rings: A sends n to B, B sends it back, A sends n+1. One op is
// one round trip. "spin" workers never park (the latency of the rings),
// "default" use DefaultSpinRounds, "park" park after every idle round (the
// latency of the wake-up path).
func BenchmarkWorkerPingPong(b *testing.B) {
	for _, tc := range []struct {
		name string
		spin int
	}{{"spin", 1 << 30}, {"default", 0}, {"park", -1}} {
		b.Run(tc.name, func(b *testing.B) { benchPingPong(b, tc.spin) })
	}
}

func benchPingPong(b *testing.B, spin int) {
	ab, ba := spsc.New[uint64](8), spsc.New[uint64](8)
	n := uint64(b.N)
	done := make(chan struct{})
	var wa, wb *Worker // set before the first item is pushed
	var err error
	wa, err = Start(WorkerConfig{Name: "A", Inputs: []Input{ba}, SpinRounds: spin, Round: func(int) bool {
		v, ok := ba.Pop()
		if !ok {
			return false
		}
		if v+1 == n {
			close(done)
			return true
		}
		ab.Push(v + 1) // one item in flight: never full
		wb.Wake()
		return true
	}})
	if err != nil {
		b.Fatal(err)
	}
	wb, err = Start(WorkerConfig{Name: "B", Inputs: []Input{ab}, SpinRounds: spin, Round: func(int) bool {
		v, ok := ab.Pop()
		if !ok {
			return false
		}
		ba.Push(v)
		wa.Wake()
		return true
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	ab.Push(0)
	wb.Wake()
	<-done
	b.StopTimer()
	wa.Stop()
	wb.Stop()
	sa, sb := wa.Stats(), wb.Stats()
	b.ReportMetric(float64(sa.Parks+sb.Parks)/float64(b.N), "parks/op")
}

// BenchmarkChannelPingPong is the same round trip between two goroutines
// through two unbuffered channels, for comparison.
func BenchmarkChannelPingPong(b *testing.B) {
	ab, ba := make(chan uint64), make(chan uint64)
	go func() {
		for v := range ab {
			ba <- v
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range uint64(b.N) {
		ab <- i
		if v := <-ba; v != i {
			b.Fatalf("got %d, want %d", v, i)
		}
	}
	b.StopTimer()
	close(ab)
}
