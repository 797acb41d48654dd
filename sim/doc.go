// Package sim is gondb's deterministic simulator: it runs the blocks of
// several nodes in one goroutine, over a simulated clock, network and disk,
// where one seed decides every interleaving and every fault, so that a
// failing run replays exactly. The same block code runs here and in
// production (see package block).
//
// # What it models
//
//   - Scheduling. A queue of in-flight signals ordered by (delivery time,
//     send order), and a Tick to every live block each Config.TickInterval,
//     nodes in a freshly shuffled order each time, a node's blocks in the
//     order its Factory placed them. All randomness comes from one PCG
//     (math/rand/v2) seeded by Config.Seed, exposed as Rand for the harness;
//     nothing else is random: no goroutines, no wall clock, no map iteration
//     deciding an order.
//   - Clock. Simulated time advances only by the scheduler. Env.Now is the
//     time since the node last started, as block.Env says.
//   - Network. Env.Send stamps the sender, resolves Receiver.Node 0 to the
//     sending node, and encodes the signal with signal.AppendSignal (so the
//     sections are copied, as in production). Delivery is after a delay drawn
//     uniformly from [MinDelay, MaxDelay] but never before the previous
//     signal of the same (sender node, receiver node) pair: FIFO per pair,
//     like a TCP connection, while signals of different pairs interleave in
//     any order. A node's signals to itself take the same path. The receiver
//     decodes with signal.DecodeSignal; the sections point into a buffer that
//     is poisoned after Handle returns, so a block keeping one fails loudly.
//     Send returns ErrUnreachable when the receiver is down or cut off, and
//     ErrOverloaded beyond Config.MaxInFlight signals in flight on the pair.
//   - Faults, injected by the harness between deliveries: DropLink (a TCP
//     reset: what is in flight between the two nodes is lost, the next send
//     opens a new connection), Cut and Partition (links cut until Heal, what
//     was in flight lost), Crash (the node's blocks are discarded, everything
//     in flight to or from it is lost, its Disk loses unsynced writes),
//     CrashWhen (a crash at a chosen signal: the node crashes instead of
//     handling the first signal a test's predicate accepts, as a TC between
//     COMMIT and COMMITTED) and Restart (the Factory builds fresh blocks
//     over the same Disk).
//   - Disk. A per-node key/value store that survives crashes. Writes are
//     durable at Sync; a crash keeps each unsynced write independently with
//     probability 1/2, applied in write order (a page cache that flushed some
//     writes, in any order across keys). Synced writes are never lost.
//   - Swarm testing, as TigerBeetle's VOPR. PickSwarm draws a seed's fault
//     profile (delays, link drop, partition and crash rates, how many nodes
//     may be down at once; each fault kind off for one seed in four), and a
//     Nemesis injects it, at a random moment inside every tick interval
//     (RunTick), so a crash finds writes not yet synced and signals half
//     way. HealAll ends the fault phase; the harness then requires the
//     protocol to converge within a bound. Package sim/counter is the sample
//     protocol and its checker.
//
// # What it does not model
//
// Clock drift between nodes (they share one clock), the time a handler or a
// Sync takes (zero), disk latency, corrupted or lost synced data and lost
// disks, corrupted bytes on the wire (the codec's fuzz tests cover them),
// duplicated signals, one-way partitions and half-open connections, bandwidth
// and frame batching, and the membership block's failure reports: a block
// learns of a failure only from errors and its own timeouts.
//
// # The trace
//
// Every delivery, loss, refusal and fault is one text line:
//
//	0.031330213 lose 1->2 #2
//	0.040000000 crash 2 unsynced=3 lost=1
//	0.045000000 crashwhen 1/3.0->2/2.0 gsn=24 #12
//	0.051200000 deliver 1/1.0->3/1.0 gsn=4 #17 h=9c0e...
//
// (seconds with nine decimals, the event, its nodes or addresses, the
// signal number, the send sequence number, an xxh3 of the encoded signal).
// TraceHash is the FNV-1a of all lines; Config.KeepTrace also keeps the text.
// Ticks are not traced: they follow from the seed.
//
// # Reproducing a failure
//
// Tests take -sim.seeds=N (how many seeds), -sim.seed=N (one seed) and
// -sim.trace=FILE (write a failing seed's trace); register them with
// RegisterFlags. A failing seed prints "reproduce with -sim.seed=N", e.g.
//
//	go test ./sim/counter -run TestSwarm -v -sim.seed=123 -sim.trace=/tmp/t.txt
//
// `make soak` runs every package under sim/ with 2,000 seeds.
//
// # Threading
//
// A Sim is used by one goroutine, which runs every block; its methods must
// never be called from inside a block's Handle or Tick (that panics).
// Separate Sims share nothing and may run in parallel goroutines.
//
// # Imports
//
// From gondb, sim imports only block and signal (and xxh3 from outside); it
// must never import datanode, transport, sqlnode or any node kind: those are
// run by it, through their blocks, not the other way round.
package sim
