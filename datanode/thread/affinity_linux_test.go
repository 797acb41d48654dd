//go:build linux

package thread

import (
	"errors"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestBindCurrentThreadCPU0(t *testing.T) {
	type result struct {
		err error
		got unix.CPUSet
	}
	res := make(chan result)
	go func() {
		// Locked and never unlocked: the thread with the changed affinity
		// exits with this goroutine.
		runtime.LockOSThread()
		var r result
		if r.err = BindCurrentThread([]int{0}); r.err == nil {
			r.err = unix.SchedGetaffinity(0, &r.got)
		}
		res <- r
	}()
	r := <-res
	if errors.Is(r.err, unix.EPERM) || errors.Is(r.err, unix.EINVAL) {
		t.Skipf("sandbox refuses CPU binding: %v", r.err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.got.Count() != 1 || !r.got.IsSet(0) {
		t.Fatalf("affinity after binding to CPU 0: %d CPUs, CPU 0 set %v", r.got.Count(), r.got.IsSet(0))
	}
}

func TestBindCurrentThreadBadCPUs(t *testing.T) {
	for _, cpus := range [][]int{nil, {-1}, {1024}} {
		if err := BindCurrentThread(cpus); !errors.Is(err, ErrAffinity) {
			t.Errorf("BindCurrentThread(%v) = %v, want ErrAffinity", cpus, err)
		}
	}
}
