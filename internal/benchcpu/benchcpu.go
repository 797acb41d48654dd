package benchcpu

import (
	"runtime"
	"testing"
)

// Timer accumulates the calling thread's CPU time between Start (or
// Resume) and Pause (or Report).
type Timer struct {
	start, total int64
}

// Start pins the goroutine to its OS thread and starts timing.
func Start() *Timer {
	runtime.LockOSThread()
	return &Timer{start: threadCPU()}
}

// Pause stops counting (around setup work inside the timed loop).
func (t *Timer) Pause() { t.total += threadCPU() - t.start }

// Resume counts again after Pause.
func (t *Timer) Resume() { t.start = threadCPU() }

// Report stops the timer, unpins the goroutine and reports "cpu-ns/op".
// Where thread CPU time is unavailable it reports nothing.
func (t *Timer) Report(b *testing.B) {
	t.Pause()
	runtime.UnlockOSThread()
	if supported {
		b.ReportMetric(float64(t.total)/float64(b.N), "cpu-ns/op")
	}
}
