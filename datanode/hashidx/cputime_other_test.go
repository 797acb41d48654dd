//go:build !linux

package hashidx

import "testing"

// cpuTimer is a no-op where per-thread CPU time is not measured.
type cpuTimer struct{}

func startCPU() *cpuTimer             { return &cpuTimer{} }
func (c *cpuTimer) pause()            {}
func (c *cpuTimer) resume()           {}
func (c *cpuTimer) report(*testing.B) {}
