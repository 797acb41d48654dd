// Package sched runs a data node's blocks on worker threads, as NDB's
// multi-threaded scheduler does.
//
// Each thread (package thread) owns some block instances and runs rounds:
// it drains its inbound rings, executes every signal on its target block,
// runs the blocks' Tick when due, and at the end of the round flushes what
// the blocks sent. A block sends with one call, Env.Send, whatever the
// destination:
//
//   - a block on the same thread: the signal joins the thread's local queue
//     and runs later in the same round;
//   - a block on another thread: it joins the batch for that thread, a frame
//     handed over through a single-producer single-consumer ring (package
//     spsc) at the end of the round, or earlier once the batch is full;
//   - a block on another node: it joins the batch for that node, given to the
//     transporter (package transport) at the end of the round.
//
// Frames travel between threads as byte buffers that the receiver returns
// to the sender through a second ring, so the steady state allocates
// nothing. Signals from other nodes arrive on the transporter's receive
// goroutines, which route each to its thread's ring for that peer.
//
// sched imports block, signal, transport and the thread and spsc packages;
// never sqlnode, ndbapi or mgmnode.
package sched
