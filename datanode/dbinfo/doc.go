// Package dbinfo is a data node's DBINFO block: it serves the ndbinfo
// virtual tables (package ndbinfo) to API nodes as scans.
//
//   - DBINFO_SCANREQ (cursor 0) starts a scan of one table: the block
//     checks the table id and compiles the pushed filter program
//     (schema/filter) against the virtual table, then gathers the node's
//     rows on a goroutine of its own through a Source, which reads the
//     other blocks on their threads (datanode/node implements it with
//     node.Do). The rows are encoded with the table's schema.RowBuilder
//     and filtered there, so rows that fail never leave the node.
//   - Once gathered, the rows go out in batches of at most the request's
//     batch rows and bytes: DBINFO_TRANSID_AI signals of several rows each,
//     then DBINFO_SCANCONF with a cursor. The API asks for the next batch
//     with DBINFO_SCANREQ and that cursor; cursor 0 in DBINFO_SCANCONF ends
//     the scan. Errors answer DBINFO_SCANREF with an NDB error code.
//
// A scan is a snapshot: every batch comes from the rows gathered at its
// start. The block holds at most Config.MaxScans scans, each at most
// Config.MaxScanBytes of rows, and forgets one whose API has not asked
// for its next batch within Config.IdleTimeout.
//
// # Threading
//
// The block itself never waits: Handle and Tick run on its thread and
// only start goroutines and send signals. A gathering goroutine hands its
// rows back under a mutex; the next Tick sends the first batch (so a scan
// answers within a tick of its rows being ready). Source.Scan runs on
// those goroutines, never on a block thread, and may wait for other
// threads. Close cancels the goroutines' context.
//
// dbinfo imports block, signal, signal/gsn, ndbinfo, schema, schema/filter
// and ndberr; never datanode/node (which implements Source), ndbapi or
// mgmnode.
package dbinfo
