//go:build unix

package mem

import "golang.org/x/sys/unix"

// mapRegion maps anonymous private memory. The kernel backs it lazily, so a
// large DataMemory costs nothing until rows are written.
func mapRegion(size int) ([]byte, error) {
	return unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
}

func unmapRegion(b []byte) error { return unix.Munmap(b) }
