// Package thread owns the data node's worker threads in the NDB manner: the
// ThreadConfig string that says how many threads of each kind to run and
// where to bind them, the NUMA topology read from sysfs, CPU binding of an
// OS thread, and the Worker: a goroutine locked to its OS thread that runs
// its owner's rounds and parks when idle.
//
// # Threading
//
// ThreadConfig, ThreadSpec and Topology are plain values: safe to share once
// built, never changed after they are handed to a Worker. A Worker's round
// function runs only on the worker's own goroutine. Wake, Stats and Stop are
// safe from any goroutine; Stop must not be called from the round function
// (it waits for the round to return).
//
// A running or spinning worker occupies one of the runtime's GOMAXPROCS
// processors; a data node should run fewer workers than GOMAXPROCS (its
// scheduler raises GOMAXPROCS to one more than its workers), and on
// machines where threads share CPUs it should spin little.
//
// # The wake-up protocol
//
// A worker that finds no work parks; producers wake it after they push. No
// wake-up may be lost and an awake worker must cost a producer no more than
// one atomic load. See Worker for the protocol and why it is correct.
//
// # Imports
//
// thread knows nothing about signals, blocks or storage. It imports only the
// standard library and golang.org/x/sys, and must never import any other
// gondb package (its tests may use datanode/spsc).
package thread
