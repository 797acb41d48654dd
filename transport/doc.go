// Package transport moves frames of signals (package signal) between the
// nodes of a cluster. It defines the Transporter interface that every
// implementation satisfies, the peer connection states that ndbinfo's
// transporters table reports, and the TLS configuration shared by the TCP and
// gRPC transporters. Implementations live in subpackages:
//
//   - transport/inproc: nodes in one process (and tests): a queue hand-off;
//   - transport/tcp: one TCP connection per node pair, length-prefixed
//     frames, the data-plane default (see docs/transport.md);
//   - transport/grpcx: a bidirectional gRPC stream per node pair carrying the
//     same frames through a raw-bytes codec.
//
// A transporter owns its goroutines and sockets; blocks never see them. It
// hands received frames, already validated by signal.ParseFrame, to a
// Receiver; a malformed frame closes that one connection, never the node.
//
// transport imports only signal from gondb.
package transport
