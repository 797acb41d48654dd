// Package ldm runs the data node's LDM threads: each LDM is a worker thread
// (package thread) that owns a fixed set of table fragments (package store)
// and is the only goroutine that touches them, so row data needs no locks.
// Requests arrive through a single-producer single-consumer ring (package
// spsc) and replies leave through another; the worker drains requests in
// rounds and publishes each round's replies as one batch.
//
// Today a request is a self-contained primary-key operation, executed and
// committed at once. The signals issue replaces Request and Reply with
// signals to and from LQH and TC; the thread, ring and fragment ownership
// stay as they are.
//
// ldm never imports the network, the SQL node or ndbapi.
package ldm
