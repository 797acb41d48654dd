// Package inproc is the transporter for nodes that share a process: the
// deterministic tests, the local demo and embedded clusters. Nodes join a
// Network (the hub); a frame sent from one node to another is copied into a
// bounded per-link queue and handed to the receiving node's goroutine for
// that peer, which validates it with signal.ParseFrame and gives it to the
// node's transport.Receiver, exactly as the TCP and gRPC transporters do.
// Network.Disconnect and Network.Connect cut and restore links, for tests of
// connection loss.
//
// # Semantics shared with the other transporters
//
//   - Send copies the frame and never blocks; a queue holding more than the
//     sender's SendBufferBytes refuses with transport.ErrOverloaded (a frame
//     bigger than the whole limit is taken only into an empty queue, so
//     every legal frame can be sent).
//   - Frames from one peer arrive in order; a link that goes down drops what
//     it still queued, as a closed TCP connection would.
//   - Frames with no signals are not delivered (TCP uses them as heartbeats).
//
// # Threading
//
// Send, Peers and the Network methods are safe for concurrent use. Each
// Transporter runs one receive goroutine per configured peer; Close stops
// them and waits for them, so a Receiver blocked in Frame delays Close.
//
// inproc imports only signal and transport from gondb; it must never import
// datanode, sqlnode, ndbapi or mgmnode.
package inproc
