//go:build unix && !linux

package mem

func adviseHugePages([]byte) {}
