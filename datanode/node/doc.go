// Package node assembles one running data node: the DataMemory pool
// (package mem), the distribution state (package dih) with the initial
// tables, the LQH and TC blocks (packages lqh and tc) on worker threads
// (package sched, laid out from the node's ThreadConfig), and the TCP
// transporter (package transport/tcp) that connects the node to the other
// data nodes and accepts API nodes.
//
// # Threads and blocks
//
// blockPlacements (layout.go) is the one list of which block runs on which
// thread: LQH on the first ldm thread, TC on the first tc thread (the main
// thread, else the first ldm thread, when the ThreadConfig has no tc
// thread), then Config.ExtraBlocks. A thread of the ThreadConfig that has
// no block is not started. recv and send threads are not worker threads
// here: the transporter's goroutines receive, and every thread sends its
// own batches (as NDB with no send threads).
//
// # API nodes
//
// API node ids (Config.APINodes) are the transporter's clients: they dial
// the node's port whatever their ids and are never dialed. Their signals
// are routed by receiver block like any peer's; TC answers to the sender
// address of TCKEYREQ (block gsn.BlockAPI on the API node), which goes back
// over the API node's connection.
//
// # Threading
//
// Blocks and their fragments belong to the thread that runs them. Code
// outside the node reaches them only through Do (and WithFragment, WithLQH,
// WithTC), which run a function on the owning thread between rounds, at
// the next tick (within Config.TickInterval). Distribution, Addr and Stats
// are safe from any goroutine. Stop stops the transporter and the threads
// and frees the fragments and DataMemory; Do returns ErrStopped after it,
// so read what a test needs before.
//
// node imports the data node's blocks and runtime (sched, thread, mem, dih,
// lqh, tc, store, qmgr, restart, gossip), partition, schema, signal and
// transport; never mgmnode
// (the lint rule for datanode/), sqlnode or ndbapi. The config.ini bridge,
// which needs mgmnode/config, lives in internal/nodeconfig.
package node
