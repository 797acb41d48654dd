//go:build linux

package ordidx

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// cpuTimer measures the CPU time of the benchmark's own thread, which on a
// shared machine is steadier than the wall-clock ns/op.
type cpuTimer struct{ start int64 }

func threadCPU() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// startCPU pins the goroutine to its thread and starts timing; call it
// where b.ResetTimer would go.
func startCPU(b *testing.B) cpuTimer {
	runtime.LockOSThread()
	b.ResetTimer()
	return cpuTimer{start: threadCPU()}
}

// report reports CPU nanoseconds per operation since startCPU.
func (c cpuTimer) report(b *testing.B) {
	used := threadCPU() - c.start
	b.StopTimer()
	runtime.UnlockOSThread()
	b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/op")
}
