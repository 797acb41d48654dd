//go:build !linux

package thread

// BindCurrentThread would restrict the calling OS thread to cpus; this OS has
// no support, so it returns ErrAffinityUnsupported and changes nothing.
func BindCurrentThread(cpus []int) error {
	return ErrAffinityUnsupported
}
