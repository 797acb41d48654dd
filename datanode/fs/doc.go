// Package fs is a data node's file-system block (the role of NDB's NDBFS
// for durability): it turns the GCP save protocol's requests into disk
// work and answers with signals, so the protocol blocks stay pure state
// machines.
//
//   - FS_SYNCREDOREQ(g): sync every redo log part up to epoch g
//     (redo.Log.Sync, the parts in parallel), answer FS_SYNCREDOCONF.
//   - FS_WRITESYSFILEREQ(g): record g as the restorable GCI in the node's
//     sysfile (sysfile.Store.Save), answer FS_WRITESYSFILECONF.
//
// The disk work runs on goroutines of its own; the answers are queued and
// sent from the block's Tick on its thread (a block sends only through its
// Env). An I/O error is answered with a non-zero code in w2 and logged:
// the GCP master retries the save, and the node does not claim durability
// it does not have.
//
// fs imports block, signal, signal/gsn, datanode/redo and datanode/sysfile.
package fs
