//go:build linux

package hashidx

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmapMinBytes is the smallest slot array placed in an anonymous mapping.
// Smaller arrays live on the Go heap: they are pointer-free (never scanned),
// and keeping them off mmap spares one VMA per small fragment (the kernel
// limits a process to vm.max_map_count, 65530 by default).
const mmapMinBytes = 256 << 10

// hugePageMinBytes is the smallest mapping we ask to back with transparent
// huge pages. Random probes over a multi-megabyte array miss the TLB on almost
// every operation with 4 KiB pages; 2 MiB pages remove most of those misses.
const hugePageMinBytes = 4 << 20

// allocSlots returns n zeroed slots (zero is the empty entry) and the mapping
// that backs them, or a nil mapping when they live on the Go heap. The pages
// of a mapping are faulted in lazily by the first probe that touches them, so
// allocating a large table costs no memset pause.
func allocSlots(n int) ([]uint64, []byte) {
	size := n * 8
	if size < mmapMinBytes {
		return make([]uint64, n), nil
	}
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		panic(fmt.Sprintf("hashidx: mmap of %d bytes for %d slots: %v", size, n, err))
	}
	if size >= hugePageMinBytes {
		// Advisory only: without THP support the mapping simply keeps 4 KiB pages.
		_ = unix.Madvise(mem, unix.MADV_HUGEPAGE)
	}
	// mmap memory is page aligned, hence aligned for uint64.
	return unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), n), mem
}

// freeSlots releases a mapping returned by allocSlots. Heap arrays (nil
// mapping) are left to the garbage collector.
func freeSlots(mem []byte) {
	if mem == nil {
		return
	}
	if err := unix.Munmap(mem); err != nil {
		panic(fmt.Sprintf("hashidx: munmap of %d bytes: %v", len(mem), err))
	}
}
