// Package tc is the transaction coordinator block (NDB's DBTC). It owns a
// transaction's state and drives linear two-phase commit:
//
//   - prepare: each operation goes to its fragment's primary LQH as
//     LQHKEYREQ with the replica chain from the distribution state; the last
//     replica (or the primary, for reads) answers LQHKEYCONF;
//   - commit: once every operation is prepared and the API asked to commit,
//     TC takes a GCI and sends COMMIT to each operation's last replica; it
//     travels back to the primary, which answers COMMITTED; when all have,
//     the API gets TCCOMMITCONF (the commit reply goes before complete);
//   - complete: COMPLETE travels the same way and releases the operation
//     records (COMPLETED);
//   - abort: on a refused operation or a time-out, ABORT goes to each
//     operation's primary and along its chain; the API gets TCKEYREF or
//     TCROLLBACKREP.
//
// Transactions that stay unfinished longer than DeadlockTimeout are aborted
// with error 266. The GCI is, until the global checkpoint protocol lands
// (this issue, item 4), a per-TC epoch counter.
//
// tc imports block, signal, dih, qmgr (its node sets) and ndberr; never
// the network.
package tc
