//go:build !linux

package ordidx

import "testing"

// cpuTimer reports nothing where thread CPU time is not available.
type cpuTimer struct{}

func startCPU(b *testing.B) cpuTimer { b.ResetTimer(); return cpuTimer{} }

func (cpuTimer) report(*testing.B) {}
