// Package grpcx is the gRPC transporter: it carries the same frames as
// transport/tcp (signal.FrameWriter bytes) over one bidirectional gRPC
// stream per node pair, for deployments where gRPC's tooling (proxies,
// service meshes, TLS termination) matters more than the last microsecond.
//
// # Service and codec
//
// The service is declared by hand (no protoc, no generated code):
//
//	service gondb.Transport { rpc Frames(stream bytes) returns (stream bytes); }
//
// Messages go through the "gondb-raw" codec, forced on both sides: a gRPC
// message is raw frame bytes, never a protobuf message per signal.
//
// # Who connects, and the hello
//
// The node with the higher id dials the lower one (as in transport/tcp), so a
// pair has one stream. The dialer sends its own id and the id it means to
// reach as request metadata (gondb-node-id, gondb-peer-id); the acceptor
// checks that the sender is a configured peer with a higher id, that the
// target is itself and that the pair has no stream yet, and answers with its
// own id in the response header (gondb-node-id), which the dialer checks in
// turn. Anything else is refused with a gRPC status and a logged reason. With
// TLS on, both sides present certificates from the cluster CA and verify the
// other's (transport.TLSFiles.Load); a peer without one never gets past the
// handshake.
//
// # Coalescing
//
// Send copies a frame into the peer's send queue: a list of chunks of up to
// Config.MessageBytes each (a larger frame gets a chunk of its own). One
// sender goroutine per stream writes each chunk as one gRPC message, so when
// the sender falls behind, the frames queued meanwhile share one message and
// gRPC's per-message cost is paid once per chunk, not once per frame. A
// message therefore holds one or more whole frames back to back; frames are
// self-delimiting (16-byte header with the payload length), so the receiver
// splits them again, validates each with signal.ParseFrame and hands it to
// the Receiver. A message that does not split into valid frames ends that
// stream (logged), never the node; the dialer reconnects with backoff. Frames
// still queued when a stream ends are dropped, as NDB drops a dead
// transporter's send buffer: the protocols above resend or fail.
//
// Chunks are recycled: gRPC returns each one through a mem.BufferPool when it
// has written it, so Send allocates nothing on the steady path. gRPC itself
// allocates a few objects per message (header, data frame), amortized over
// the frames in it.
//
// # Threading
//
// Send, Peers and Close are safe for concurrent use. Per stream there is one
// receive goroutine (which calls Receiver.Frame, one frame at a time) and one
// sender goroutine; the dialing side has one dial goroutine per lower-id
// peer, which also serves as the receive goroutine of its stream. Close stops
// them all and waits.
//
// grpcx imports signal and transport from gondb, never datanode or sqlnode.
package grpcx
