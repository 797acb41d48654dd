// Package restart is a data node's node-restart block (the part of NDB's
// DIH that runs START_MEREQ, COPY_FRAGREQ and the distribution switches):
// it brings a restarted data node back as a full replica while traffic
// goes on.
//
// # Membership of the distribution
//
// Every node keeps two node sets, the same on every node: the full
// replicas (live) and the starting ones. The distribution's chains are
// each fragment's placement restricted to them (dih.WithMembers): full
// replicas first in placement order, starting ones at the tail, where they
// take every write but serve no reads. A failure (NODE_FAILREP from QMGR)
// removes the failed nodes from both sets on every node alike; only the
// president changes them otherwise, with DIST_SWITCHREQ to every member,
// whose TC answers once it routes by the new chains.
//
// # A node restart
//
// A restarted node, once QMGR admitted it to the view, asks the
// president (NR_STARTREQ, resent until answered), telling it the GCI R
// its disk restored (SetRestoredGCI; 0 for an initial start, an empty
// disk or a diskless node). The president runs one restart at a time:
//
//  1. NR_EMPTYREQ to the node's LQH, with R: it keeps the rows it
//     restored (with R 0 it empties its replicas), and fills them
//     leniently from now on (lqh/copyfrag.go).
//  2. GCP_INCLUDEREQ to every node's GCP: the node follows the epoch
//     rounds from the next one.
//  3. DIST_SWITCHREQ: the node becomes a starting replica of each of its
//     fragments; every TC sends it writes.
//  4. COPY_FRAGREQ to each fragment's primary, a few at a time, with R:
//     the primary copies its rows under short-lived shared locks, whole
//     if changed after R, else as keys that the node checks against its
//     own rows; at the end the node deletes the rows at or below R that
//     no key named. A primary that fails hands the fragment to the next
//     one, which copies it again.
//  5. DIST_SWITCHREQ: the node is a full replica again, and the chains'
//     placement order gives it back its primaries.
//  6. NR_STARTCONF to the node, which then takes transactions.
//
// # Copying only what changed since R
//
// The node's restored state holds, for every key, the version of its last
// change in an epoch up to R, and a version is named by its key and GCI
// (every replica stamps a change with its transaction's GCI). So a row the
// primary holds at GCI <= R is exactly the node's row: a key confirms it.
// A row at a GCI above R changed after R, either in the window between R
// and the node joining the chains (step 3) or later, and travels whole;
// writes after its batch reach the node through the chain, stamped above
// R. A restored row the primary no longer has was deleted after R: in the
// window, and nothing confirms it, so the sweep deletes it; or during the
// copy, and the delete reached the node. The sweep never takes a row
// written during the copy, whose GCI is above R. Should a key not match
// (the node lacks the row or has another GCI: its disk did not restore
// what R promised), the node refuses the batch and the primary copies
// that fragment again with every row whole (Stats.Fallbacks); the sweep
// still removes what the primary lacks. Progress and Stats count rows sent
// whole, keys, rows swept and fallbacks.
//
// If the starting node fails, the president forgets the run (its
// replicas leave the chains with the failure). If the president fails,
// the starting node asks the next one, which runs the restart again from
// the start: the replicas filled so far hold only current rows (writes
// kept reaching them) and rows confirmed or still to be confirmed, so
// copying over them is safe. If a node group is left without a full
// replica, every node stops: its data is gone.
//
// The block is a pure state machine driven by signals and Tick, run by
// the scheduler in production and by the simulator in tests.
//
// restart imports block, signal, signal/gsn, datanode/dih and
// datanode/qmgr (node sets) from gondb.
package restart
