//go:build linux

package thread

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futex(2) operations, from linux/futex.h (the same on every architecture).
const (
	futexWait        = 0
	futexWake        = 1
	futexPrivateFlag = 128 // the word is not shared with other processes
)

// parker blocks a worker's OS thread on a futex. A goroutine locked to its
// thread that parks on a channel instead must be handed that thread back
// through the scheduler, which costs several times a futex wake-up
// (BenchmarkWorkerPingPong/park: about 5x on a 2-CPU VM). While waiting the
// thread is in a system call, so the runtime gives its P to other goroutines.
type parker struct {
	token atomic.Uint32 // 1: a wake-up is pending
}

// unpark leaves a token and wakes the thread if it waits. Any goroutine.
func (p *parker) unpark() {
	if p.token.Swap(1) == 0 {
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&p.token)),
			futexWake|futexPrivateFlag, 1, 0, 0, 0)
	}
}

// wait blocks until there is a token, or timeout passes (0: no timeout), and
// takes the token. It reports whether it timed out without one. The worker's
// goroutine only.
func (p *parker) wait(timeout time.Duration) (timedOut bool) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for p.token.Load() == 0 {
		var ts *unix.Timespec
		if timeout > 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return p.token.Swap(0) == 0
			}
			t := unix.NsecToTimespec(int64(left))
			ts = &t
		}
		// Sleeps only while the word is still 0; EAGAIN (it changed),
		// EINTR and ETIMEDOUT all just send us round the loop.
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&p.token)),
			futexWait|futexPrivateFlag, 0, uintptr(unsafe.Pointer(ts)), 0, 0)
	}
	p.token.Store(0)
	return false
}
