package sqlnode

// SetPrivChunkBytes makes the stored privileges' chunks at most n bytes
// (tests of many chunks); the returned function restores the size. Call
// it before starting the test's servers and restore after they stop.
func SetPrivChunkBytes(n int) (restore func()) {
	old := privChunkBytes
	privChunkBytes = n
	return func() { privChunkBytes = old }
}
