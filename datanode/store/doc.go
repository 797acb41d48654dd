// Package store is a data node's row storage for one table fragment: the
// roles of NDB's DBTUP (rows), DBACC (primary-key hash index and row locks)
// and DBTUX (ordered indexes).
//
// # Memory
//
// Rows live in DataMemory pages (package mem), outside the Go heap, and are
// named by RowIDs (a fragment-local page index and a slot), never by Go
// pointers. A row is a fixed-size slot
//
//	| GCI (8B) | schema version (2B) | flags (1B) | spare (1B) | var ref (4B, only if the table has var columns) | fixed part |
//
// and, for tables with VARCHAR/VARBINARY/TEXT/BLOB columns, a var part in
// size-classed slots (chained page-sized chunks above one page). The fixed
// part and var part are exactly schema's row image, so an insert is a checked
// copy and a read a copy out. The primary-key hash index (package hashidx)
// maps the key hash to RowIDs; ordered indexes (package ordidx) order RowIDs
// by their rows' columns. Page tables, op records and index nodes are
// pointer-free Go slices or mapped memory.
//
// # Transactions
//
// A write is prepared, then committed or aborted, as LQH will drive it:
//
//   - Prepare locks the row for its transaction (an operation record, found
//     from the row through the lock table) and keeps the before image: an
//     update writes a copy of the row and leaves the committed row alone; an
//     insert adds an invisible row; a delete only marks intent. Several
//     operations of one transaction on one row join one record.
//   - Commit installs the prepared image, stamps the row with the
//     transaction's GCI and maintains ordered indexes; Abort throws the
//     prepared image away. Neither can fail.
//   - Committed reads never wait and never see prepared data. A transaction
//     reads its own prepared image with ReadTx.
//
// Locks are exclusive (writes, PrepareLock) or shared (PrepareLockShared:
// several transactions may hold a row for reading; a holder alone may
// upgrade). A conflicting prepare returns ErrRowLocked and LastConflict names
// the row; waiting in a queue and deadlock time-outs are LQH's and TC's.
//
// # Node restarts
//
// A restarted replica keeps the rows its disk restored. A node restart's
// copy confirms the ones unchanged since by key and GCI (MarkCopied, a
// flag bit in the row header, kept only in memory), installs the changed
// ones whole (PutCopied), and SweepUncopied then deletes the restored rows
// nothing confirmed (datanode/lqh/copyfrag.go explains why that is exact).
//
// # Threading
//
// A Fragment belongs to one LDM thread: no method is safe for concurrent use,
// and none takes a lock on row data. Only the DataMemory pool is shared.
//
// store must never import the network, the SQL node or ndbapi.
package store
