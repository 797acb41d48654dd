package tcp

// Hooks for the external tests (package tcp_test), which speak the wire
// protocol over raw sockets.

// Hello is the handshake message, for tests that play a peer by hand.
type Hello = hello

// AppendHello appends h's wire encoding.
func AppendHello(dst []byte, h Hello) []byte { return appendHello(dst, h) }
