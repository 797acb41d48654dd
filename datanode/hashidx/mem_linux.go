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
// huge pages (2 MiB on amd64): random probes over a multi-megabyte array miss
// the TLB on almost every operation with 4 KiB pages.
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
	// mmap memory is page aligned, hence aligned for uint64.
	return unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), n), mem
}

// adviseHuge asks the kernel to back a large mapping with transparent huge
// pages. It is advisory: without THP support the mapping keeps 4 KiB pages.
// Called on an empty mapping, each first touch of 2 MiB then zeroes a whole
// huge page (and may compact memory) in the faulting operation; called on a
// populated one, khugepaged collapses it in the background.
func adviseHuge(mem []byte) {
	if len(mem) >= hugePageMinBytes {
		_ = unix.Madvise(mem, unix.MADV_HUGEPAGE)
	}
}

// releaseRange returns to the kernel the whole releaseBytes-aligned blocks
// of mem inside bytes [from, to) and returns the byte range it released.
// The range reads as zeros (empty slots) afterwards.
func releaseRange(mem []byte, from, to int) (lo, hi int) {
	if mem == nil {
		return from, from
	}
	base := int(uintptr(unsafe.Pointer(&mem[0])))
	lo = (base+from+releaseBytes-1)/releaseBytes*releaseBytes - base
	hi = (base+to)/releaseBytes*releaseBytes - base
	if hi <= lo {
		return from, from
	}
	if err := unix.Madvise(mem[lo:hi], unix.MADV_DONTNEED); err != nil {
		panic(fmt.Sprintf("hashidx: madvise(DONTNEED) of %d bytes: %v", hi-lo, err))
	}
	return lo, hi
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
