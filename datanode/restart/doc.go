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
// president (NR_STARTREQ, resent until answered). The president runs one
// restart at a time:
//
//  1. NR_EMPTYREQ to the node's LQH: it empties its replicas and fills
//     them leniently from now on (lqh/copyfrag.go).
//  2. GCP_INCLUDEREQ to every node's GCP: the node follows the epoch
//     rounds from the next one.
//  3. DIST_SWITCHREQ: the node becomes a starting replica of each of its
//     fragments; every TC sends it writes.
//  4. COPY_FRAGREQ to each fragment's primary, a few at a time: the
//     primary copies its rows under short-lived shared locks. A primary
//     that fails hands the fragment to the next one, which copies it again.
//  5. DIST_SWITCHREQ: the node is a full replica again, and the chains'
//     placement order gives it back its primaries.
//  6. NR_STARTCONF to the node, which then takes transactions.
//
// If the starting node fails, the president forgets the run (its
// replicas leave the chains with the failure). If the president fails,
// the starting node asks the next one, which runs the restart again from
// the start: the replicas filled so far hold only current rows (writes
// kept reaching them), so copying over them is safe. If a node group is left without a
// full replica, every node stops: its data is gone.
//
// The block is a pure state machine driven by signals and Tick, run by
// the scheduler in production and by the simulator in tests.
//
// restart imports block, signal, signal/gsn, datanode/dih and
// datanode/qmgr (node sets) from gondb.
package restart
