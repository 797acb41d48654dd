// Package counter is the simulator's sample protocol: a counter replicated
// over 3 nodes, written as real blocks, with the checker and the VOPR-style
// run (Run) that package sim's acceptance test drives over many seeds.
//
// # The protocol
//
// Each node runs a Counter block (BlockCounter) and a Client block
// (BlockClient). The counter is a grow-only counter per origin node (a
// G-counter): counts[i] is how many increments originating at node i this
// node knows of; the value is their sum.
//
//  1. A client sends GsnIncrReq to its own node's counter. The counter
//     numbers it seq = counts[self]+1 and writes the count to its Disk.
//  2. At its next Tick the counter Syncs (group commit: one Sync per tick
//     for everything written since) and only then advertises: GsnState
//     carries its durable counts to every peer. Nothing unsynced is ever
//     sent.
//  3. A peer merges a GsnState by elementwise maximum, writes what grew,
//     Syncs at its Tick and advertises in turn. Merging by maximum makes a
//     repeated, reordered or stale GsnState harmless, so resends after link
//     drops are idempotent.
//  4. A GsnState also tells the receiver what the sender durably holds.
//     The origin confirms increment seq to the client (GsnIncrConf) once a
//     majority, itself included, durably holds counts[self] >= seq: 2 of 3.
//     That is the meaning of ACKNOWLEDGED: durable on a majority.
//  5. Anti-entropy: after a Sync a counter advertises to every peer, it
//     answers a peer whose report differs from its own counts, and every
//     ResendTicks it resends to every peer regardless. After a heal, every
//     live node converges to the elementwise maximum.
//
// Why an acknowledged increment survives crashes: it is synced on a
// majority, and the simulated Disk never loses synced writes, so it
// survives any crash, even of every node at once (the swarm allows that).
// A crash loses only unsynced writes. Those increments were never
// advertised, so no peer holds them and no client saw them acknowledged;
// after the restart the origin numbers new increments from its durable
// count, reusing only the lost, unacknowledged numbers. Hence the
// acknowledged increments of an origin carry distinct numbers, and its
// converged count is at least how many there were. (If disks could lose
// synced data, the majority rule would tolerate losing a minority of them;
// the simulator does not model that.)
//
// # The checker
//
// Checker watches from outside the protocol, as the clients' Observer and
// through the simulator's test hooks (Sim.Block, Sim.Disk):
//
//   - safety, after every tick: no node's counts, in memory or on disk,
//     exceed what that origin's clients issued;
//   - at each acknowledgment: a majority of disks durably hold it;
//   - liveness: within LivenessTicks of the heal, every node is up with
//     the same synced counts, nothing pending, every client stopped with
//     every increment answered;
//   - after convergence: each origin's count is at least the number of its
//     acknowledged increments (so the value is at least all acknowledged).
//
// Deliberately broken Variants (AckOnOne, AckBeforeSync, AddOnMerge) show
// that the checker fails when it should. AckOnOne breaks the definition of
// acknowledged without ever losing data under this fault model, so only the
// check at acknowledgment catches it; AckBeforeSync is also caught by the
// value checks alone, once a crash loses an acknowledged increment.
//
// # Cost
//
// One seed simulates 2 to 10 s of fault phase plus the convergence; 1,000
// seeds take about 5 s on a 2-core machine, so `go test ./sim/...` runs
// 1,000 (100 with -short) and `make soak` 2,000.
//
// # Threading and imports
//
// The blocks follow block's rules: one goroutine, no I/O but the Disk
// interface, no clock but Env. Run and Checker run inside one simulation's
// goroutine. The package imports block, signal and sim from gondb, never
// datanode, transport or sqlnode.
package counter
