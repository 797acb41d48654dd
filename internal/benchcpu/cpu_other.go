//go:build !linux

package benchcpu

const supported = false

func threadCPU() int64 { return 0 }
