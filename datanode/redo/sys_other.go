//go:build !linux

package redo

import "os"

// fdatasync falls back to a full fsync where fdatasync is not available.
func fdatasync(f *os.File) error { return f.Sync() }

// preallocate sizes f; the blocks may be allocated lazily.
func preallocate(f *os.File, size int64) error { return f.Truncate(size) }
