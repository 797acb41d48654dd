// Package lqh is the local query handler block (NDB's DBLQH): it runs key
// operations on the fragment replicas its node holds, in linear two-phase
// commit with TC (package tc).
//
// A write arrives as LQHKEYREQ at the fragment's primary, is prepared there
// (row locked, before image kept: package store), then forwarded to the next
// replica in the chain the request carries; the last replica answers TC.
// COMMIT and COMPLETE travel the chain backwards from the last replica to the
// primary, which answers TC, so a row's lock on the primary is released only
// after every backup has committed: a later operation on the row cannot
// overtake the commit on a backup. ABORT travels the chain forwards behind
// the LQHKEYREQ it cancels (signals between two nodes keep their order), so
// no replica can prepare an operation after it was aborted. Operation records
// stay until COMPLETE: a TC taking over a failed TC's transactions rebuilds
// them from these records (node-failure issue).
//
// Not yet: waiting for a lock (a conflicting prepare is refused with a
// temporary error, 266, and the transaction retried), shared locks, scans.
//
// lqh imports block, signal, store, dih and ndberr; never the network.
package lqh
