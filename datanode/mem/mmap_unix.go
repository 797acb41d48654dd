//go:build unix

package mem

import "golang.org/x/sys/unix"

// mapRegion maps anonymous private memory. The kernel backs it lazily, so a
// large DataMemory costs nothing until rows are written. On Linux the region
// asks for transparent huge pages: rows are reached by random access, and
// with 4 KiB pages nearly every access would also miss the TLB.
func mapRegion(size int) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, err
	}
	adviseHugePages(b)
	return b, nil
}

func unmapRegion(b []byte) error { return unix.Munmap(b) }
