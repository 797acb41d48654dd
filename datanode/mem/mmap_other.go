//go:build !unix

package mem

// mapRegion falls back to the Go heap where mmap is unavailable. The slice
// holds no pointers, so the collector does not scan it.
func mapRegion(size int) ([]byte, error) { return make([]byte, size), nil }

func unmapRegion([]byte) error { return nil }
