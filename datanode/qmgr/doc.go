// Package qmgr is a data node's membership block (NDB's QMGR): heartbeats
// between data nodes, failure detection and the agreement on it, the
// president, the node-group and arbitration checks that stop split
// brain, nodes joining, and the heartbeats of API nodes.
//
// # Heartbeats
//
// The members of the view form a ring in start order (dynamic ids). Every
// HeartbeatIntervalDbDb each node sends HEARTBEAT to its right neighbour
// and checks that its left neighbour sent something in the interval; after
// MissedHeartbeats (4) silent intervals in a row it takes the neighbour for
// failed. Suspected nodes leave the ring at once (the next node on is
// watched) and are reported (FAIL_REP) to the president until a view
// removes them.
//
// # Gossip, a second opinion
//
// The node runtime may run a gossip member (datanode/gossip, memberlist)
// and tell QMGR each change of its opinion of a data node in GOSSIP_REP
// (alive, dead, left). The opinion never fails a node on its own, and
// never changes the agreement below; it changes two things about the
// watched left neighbour:
//
//   - gossip reports it dead or left, and it has missed at least one
//     heartbeat interval without being heard from since: it is suspected
//     at once, not after MissedHeartbeats intervals (a crashed node is
//     found in about 1.5 to 2 intervals instead of 4 to 5);
//   - it misses MissedHeartbeats intervals while gossip reports it alive:
//     it is suspected all the same (every node needs a link to every
//     other), but the suspicion says so and counts as a link failure
//     (Stats.LinkFailures, Event.Gossip).
//
// An opinion of dead or left is forgotten when the node joins again.
//
// # Views, the president, and agreeing on failures
//
// A view is the list of live data nodes in start order with a number, the
// failure number, raised by one at every committed change. Its first
// member is the president (the oldest node); when it fails the next
// oldest takes over, and every survivor learns the new president in the
// same committed view. A node takes for president the oldest member it
// does not suspect.
//
// NDB's president runs PREP_FAILREQ/COMMIT_FAILREQ. gondb runs the same
// two messages around a middle one, so that a view change is one round of
// single-decree Paxos for the next view number, and two nodes never
// commit different memberships under one number, even when presidents
// change half way or the cluster splits:
//
//  1. PREP_FAILREQ (prepare, with a ballot) to every member the president
//     keeps, the quorum. A node promises only to the member it takes for
//     president, given the nodes the round excludes, and answers with the
//     nodes it suspects (the round restarts to exclude them too) and any
//     value it has accepted for the slot.
//  2. Once the whole quorum promised, the value: a value accepted earlier
//     (the highest ballot's: an earlier president's change may have been
//     chosen, so it is finished first), else the view less the excluded
//     nodes plus the joiners. Then the arbitration check of the quorum
//     against the view (Check): a side that lacks a node group, or has
//     fewer than half of the nodes, shuts down (QMGR_STOPORD to its nodes);
//     one that holds a whole node group or more than half goes on; exactly
//     half asks the Arbitrator (Default, WaitExternal) or goes on
//     (Disabled).
//  3. ACCEPT_FAILREQ with the value; once the whole quorum accepted it,
//     the value is chosen: COMMIT_FAILREQ to its members and the nodes it
//     leaves out. Each applies it: a node the view leaves out shuts down,
//     the others send NODE_FAILREP (failed nodes, the new president, the
//     live nodes) to their local blocks, which start takeover.
//
// Winning quorums of one view always share a node, except two halves,
// between which the arbitrator grants one (it grants one proposal per
// view number): so a later round learns any value an earlier one may
// have chosen. A node silent in a round for MissedHeartbeats intervals is
// excluded and the round restarts with a higher ballot; suspicions only
// grow, so rounds end. A node behind (it missed a commit) catches up from
// the view carried in PREP_FAILREQ, and a president behind from the
// refusal's. A node that hears from a node its view excludes, at an older
// view, tells it (QMGR_STOPORD) and it shuts down.
//
// # Read leases
//
// A node reads (its LQH answers key reads and scans) only while it holds a
// read lease from every other member (LEASE_REQ/LEASE_CONF every quarter
// interval; LEASE_ORD tells LQH the lease's end). A member that granted a
// lease accepts no view excluding the holder until the grant ran out, and
// grants nothing to a node it suspects; every view that excludes a node is
// accepted by every member it keeps, so a node cut off from the cluster
// stops reading before the other side can commit a write without it. A
// member that grants no lease for twice the heartbeat time-out is
// suspected (the heartbeats' ring misses a broken link between
// non-neighbours). See lease.go.
//
// # Joining
//
// A starting node (not the founder of a new cluster) sends CM_REGREQ to
// the data nodes until the president answers; the president admits it at
// the end of the ring in the next view, whose COMMIT_FAILREQ is its
// CM_REGCONF. A node still in the view as an earlier incarnation (another
// StartID) is failed first, and a failed node is admitted again only once
// every member's acknowledging local blocks finished handling the
// failures so far (NF_COMPLETEREP).
//
// # API nodes
//
// API nodes send API_REGREQ every HeartbeatIntervalDbApi; QMGR answers
// API_REGCONF with the president and the live data nodes. An API node
// silent for MissedHeartbeats intervals is failed: API_FAILREQ to the
// local blocks (TC aborts its transactions); it may register again once
// the acknowledging blocks answered API_FAILCONF.
//
// # Outputs
//
// Signals to the local blocks of Config.Local, Config.OnEvent for view
// changes, suspicions, arbitration and the shutdown (which the runtime
// acts on), and State for ndbinfo.membership and metrics.
//
// QMGR is a block (package block): a pure state machine driven by signals
// and Tick, run by the scheduler in production and by the simulator in
// tests. It starts no goroutines, does no I/O and reads time only from
// Env.Now; the Arbitrator is polled, never waited for.
//
// qmgr imports block, signal and signal/gsn from gondb.
package qmgr
