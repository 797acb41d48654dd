//go:build linux

package hashidx

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// cpuTimer measures the CPU time of the benchmark's own thread, which on a
// shared machine is steadier than the wall-clock ns/op.
type cpuTimer struct {
	start int64
	total int64
}

func threadCPU() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() *cpuTimer {
	runtime.LockOSThread()
	return &cpuTimer{start: threadCPU()}
}

func (c *cpuTimer) pause()  { c.total += threadCPU() - c.start }
func (c *cpuTimer) resume() { c.start = threadCPU() }

// report stops the timer and reports CPU ns per operation.
func (c *cpuTimer) report(b *testing.B) {
	c.pause()
	runtime.UnlockOSThread()
	b.ReportMetric(float64(c.total)/float64(b.N), "cpu-ns/op")
}
