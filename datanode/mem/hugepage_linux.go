//go:build linux

package mem

import "golang.org/x/sys/unix"

// adviseHugePages is best effort: a kernel without THP refuses, and the pool
// works the same with small pages.
func adviseHugePages(b []byte) { _ = unix.Madvise(b, unix.MADV_HUGEPAGE) }
