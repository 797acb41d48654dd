// Package block defines what a block is and the environment it runs in.
//
// A block (TC, LQH, DIH, QMGR, ...) is a message-driven state machine, as in
// NDB: it reacts only to signals and to Tick, and its only effects are the
// signals it sends. It starts no goroutines, does no I/O and never reads the
// wall clock; time and the network reach it through Env. Because of that the
// same block code runs in production (on worker threads, over transporters)
// and in the deterministic simulator (package sim), where a seed decides every
// interleaving and failure.
//
// Handlers maps signal numbers to a block's handler methods.
//
// block imports only signal from gondb.
package block
