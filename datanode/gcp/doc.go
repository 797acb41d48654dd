// Package gcp is the global checkpoint protocol of gondb's DIH role: it
// gives every committed transaction a global commit id (GCI, an epoch) that
// means the same thing on every node.
//
// The master data node (the lowest node id; the node-failure issue moves
// the role when the master fails) runs one round every TimeBetweenEpochs,
// as NDB's micro-GCP does:
//
//  1. GCP_PREPARE(g+1) to every node. Each node tells its TCs to hold
//     commit decisions, and answers GCP_PREPARECONF when all of them hold.
//  2. Once every node answered, GCP_COMMIT(g+1) to every node. Each node's
//     TCs commit in g+1 from then on and report when no transaction of g is
//     still in its commit phase; the node then answers GCP_NODEFINISH(g).
//  3. Once every node finished g, GCP_COMPLETE_REP(g) to every node: epoch
//     g is complete on every replica.
//
// Every TimeBetweenGlobalCheckPoints the master also saves the last
// complete epoch (save.go): every node syncs its redo log up to it, then
// records it in its sysfile, through its FS block; GCP_SAVED_REP then
// tells every node the epoch is durable.
//
// The hold in step 1 is what makes GCIs consistent with the order of
// commits: between PREPARE and COMMIT no TC anywhere decides a commit, so a
// transaction that sees another's committed change never gets a smaller
// GCI, whichever TCs ran them.
//
// GCP is a block (package block): a pure state machine driven by signals
// and Tick, run by the scheduler in production and by the simulator in
// tests. It imports block, signal, signal/gsn and datanode/qmgr (node
// sets).
package gcp
