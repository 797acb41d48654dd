// Package tcp is the data-plane transporter: one TCP connection per node
// pair carrying length-prefixed frames of signals (package signal), with
// optional mutual TLS.
//
// # Connections
//
// Every node listens (Config.Listen). For each pair of nodes the one with
// the higher id dials the lower one, and only that direction is accepted,
// so a pair never has two connections racing. API nodes are the exception:
// an API node's transporter (Config.DialOnly) listens on no port and dials
// every peer whatever the ids, and the data nodes list it in
// Config.Clients, accepting its connection and never dialing it.
//
// After the TCP connect (and the TLS handshake when Config.TLS is set:
// both sides present and verify certificates from the cluster CA) each
// side writes a fixed 16-byte hello (see hello.go: magic, protocol
// version, sender id, intended receiver id).
// A wrong magic or version, a receiver id that is not this node, a sender
// that is not a configured peer or that should not dial, or a second
// connection for a pair that is connected closes the new connection and
// logs why (slog: peer, remote, reason). The dialing side reconnects after
// a connection ends, with exponential backoff and seeded jitter between
// Config.ReconnectMin and ReconnectMax.
//
// # Sending
//
// Send validates the frame's header, appends the frame to the peer's queue
// under a mutex and wakes the peer's writer goroutine. The writer takes
// everything queued and writes it with one write call: frames sent while a
// write is in flight coalesce into the next (write coalescing), and with
// TCP_NODELAY a lone frame leaves at once. The queue is a double buffer, so
// the steady state allocates nothing. Queued bytes are bounded by
// Config.SendBufferBytes; above it Send returns transport.ErrOverloaded and
// counts it (a frame larger than the whole limit is taken only into an
// empty queue). Frames still queued when a connection ends are dropped:
// Send reports ErrNotConnected until the next connection is up.
//
// # Receiving
//
// A reader per connection reads into one buffer in chunks, checks each
// frame header (signal.ParseFrameHeader), waits for the whole frame, runs
// signal.ParseFrame and hands the frame to Config.Receiver. The buffer
// grows only while full of an incomplete frame, at most doubling the bytes
// that arrived, so a length field that lies costs no memory until the bytes
// exist. A malformed frame closes that one connection, with a logged
// reason; other peers are untouched.
//
// # Heartbeats
//
// A writer with nothing to write for HeartbeatInterval writes an empty
// frame; a reader that receives nothing for DeadIntervals intervals closes
// the connection as dead. Empty frames are never delivered to the Receiver.
//
// # Counters
//
// PeerStatus.FramesSent counts frames written to the socket, FramesRecv
// frames delivered to the Receiver (heartbeats are in neither);
// BytesSent and BytesReceived count every frame byte, heartbeats included,
// but not the hello.
//
// # Threading
//
// Send and Peers are safe for concurrent use. Per connection there is a
// reader goroutine (which calls the Receiver) and a writer goroutine; per
// lower-id peer a dialing goroutine; one accept goroutine. Close closes all
// sockets and waits for every goroutine.
//
// tcp imports only signal and transport from gondb; it must never import
// datanode, sqlnode, ndbapi or mgmnode.
package tcp
