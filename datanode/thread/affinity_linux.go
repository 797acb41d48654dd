//go:build linux

package thread

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cpuSetBits is how many CPUs a unix.CPUSet can name (1024).
const cpuSetBits = int(unsafe.Sizeof(unix.CPUSet{})) * 8

// BindCurrentThread restricts the calling OS thread to cpus with
// sched_setaffinity(2). The calling goroutine must have called
// runtime.LockOSThread (and must keep the lock), otherwise the binding lands
// on whichever thread happens to run it and the goroutine can move off it.
// Errors from the kernel (EINVAL: none of the CPUs is allowed to this
// process; EPERM) are wrapped and can be checked with errors.Is. CPUs are
// numbered 0..1023 (the size of unix.CPUSet).
func BindCurrentThread(cpus []int) error {
	if len(cpus) == 0 {
		return fmt.Errorf("%w: no CPUs", ErrAffinity)
	}
	var set unix.CPUSet
	for _, c := range cpus {
		if c < 0 || c >= cpuSetBits {
			return fmt.Errorf("%w: CPU %d out of range 0..%d", ErrAffinity, c, cpuSetBits-1)
		}
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("thread: sched_setaffinity(%s): %w", FormatCPUList(cpus), err)
	}
	return nil
}
