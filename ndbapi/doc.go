// Package ndbapi is gondb's native API, in the spirit of NDB's NDB API:
// distribution-aware, batched, asynchronous transactions, scans with
// pushed-down filters, and NDB-style typed errors.
//
//   - Cluster (Connect through the management node, or ConnectDirect for
//     tests) holds the API node's transporter to every data node; the
//     transporter redials lost nodes by itself. Tables come from a
//     Dictionary (for now the tables given to AddTable); the API computes
//     their distribution as the data nodes do (Fragments) to send each
//     transaction to the TC on its first key's primary replica.
//   - Ndb is one goroutine's handle: StartTransaction, then Insert, Update,
//     Write, Delete, Read (by primary key or unique index, with a
//     LockMode), ScanTable/ScanIndex, and Execute(NoCommit|Commit|Rollback)
//     or ExecuteAsync + SendPollNdb (one frame per data node per flush;
//     callbacks run on the polling goroutine) or ExecuteFuture.
//   - Cluster.NdbInfo reads an ndbinfo monitoring table (package
//     ndbinfo) from every data node's DBINFO block and merges the rows
//     (docs/ndbinfo.md).
//   - Cluster.WaitDurable waits until a commit GCI is on disk on every
//     data node (the next GCP save).
//   - AUTO_INCREMENT counters live in the hidden table sys/autoinc; an
//     AutoIncrement hands out values from ranges reserved in one
//     transaction each (Ndb.ReserveAutoIncrement), as NDB's
//     getAutoIncrementValue does.
//   - Errors are *Error with the NDB code and ndberr classification;
//     IsTemporary and RunTransaction retry temporary ones. A TC that does
//     not answer within Options.TransactionTimeout gives 4012 (unknown
//     result).
//
// # Threading
//
// Cluster is safe for concurrent use; Ndb, Transaction, Operation and
// Scan are not: each belongs to its Ndb's goroutine. The transporter's
// receive goroutines route replies by transaction id (API node << 48 |
// Ndb << 32 | slot << 16 | generation) to the owning Ndb's inbox, guarded
// by that Ndb's own mutex; no lock is shared between Ndbs on the hot path.
//
// ndbapi imports schema, schema/filter, ndbinfo, partition, signal, signal/gsn,
// transport (tcp, inproc), ndberr and mgmnode (client, config, mgmapi); it
// never imports datanode, sqlnode or cmd.
package ndbapi
