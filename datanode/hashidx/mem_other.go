//go:build !linux

package hashidx

// allocSlots returns n zeroed slots on the Go heap. Only Linux places large
// arrays in anonymous mappings; elsewhere the pointer-free array costs the
// garbage collector no scanning, only heap size.
func allocSlots(n int) ([]uint64, []byte) {
	return make([]uint64, n), nil
}

// adviseHuge is a no-op: there are no mappings.
func adviseHuge(mem []byte) {}

// releaseRange releases nothing: there are no mappings.
func releaseRange(mem []byte, from, to int) (lo, hi int) { return from, from }

// freeSlots is a no-op: heap arrays are left to the garbage collector.
func freeSlots(mem []byte) {}
