//go:build !linux

package hashidx

// allocSlots returns n zeroed slots on the Go heap. Only Linux places large
// arrays in anonymous mappings; elsewhere the pointer-free array costs the
// garbage collector no scanning, only heap size.
func allocSlots(n int) ([]uint64, []byte) {
	return make([]uint64, n), nil
}

// freeSlots is a no-op: heap arrays are left to the garbage collector.
func freeSlots(mem []byte) {}
