//go:build linux

package thread

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// BindCurrentThread restricts the calling OS thread to cpus with
// sched_setaffinity(2). The calling goroutine must have called
// runtime.LockOSThread (and must keep the lock), otherwise the binding lands
// on whichever thread happens to run it and the goroutine can move off it.
// Errors from the kernel (EINVAL: none of the CPUs is allowed to this
// process; EPERM) are wrapped and can be checked with errors.Is. At most
// the first 1024 CPUs can be named (the size of unix.CPUSet).
func BindCurrentThread(cpus []int) error {
	if len(cpus) == 0 {
		return fmt.Errorf("%w: no CPUs", ErrAffinity)
	}
	var set unix.CPUSet
	for _, c := range cpus {
		if c < 0 {
			return fmt.Errorf("%w: CPU %d", ErrAffinity, c)
		}
		set.Set(c)
		if !set.IsSet(c) { // beyond the CPUSet
			return fmt.Errorf("%w: CPU %d beyond the %d a CPU set holds", ErrAffinity, c, set.Count())
		}
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("thread: sched_setaffinity(%s): %w", FormatCPUList(cpus), err)
	}
	return nil
}
