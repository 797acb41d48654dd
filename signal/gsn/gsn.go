package gsn

import "github.com/gondb/gondb/signal"

// Blocks.
const (
	BlockAPI signal.BlockID = 1 // an API client (ndbapi); also the simulator's clients
	BlockTC  signal.BlockID = 2 // transaction coordinator (DBTC)
	BlockLQH signal.BlockID = 3 // local query handler with its storage (DBLQH+DBTUP+DBACC+DBTUX)
	BlockDIH signal.BlockID = 4 // distribution and the global checkpoint protocol (DBDIH)
	BlockFS  signal.BlockID = 5 // the node's file system work: redo syncs, the sysfile (NDBFS)

	// BlockLocal and above are reserved for blocks local to one node that
	// never receive a signal from elsewhere (datanode/node's per-thread
	// executor uses 0xFFF0).
	BlockLocal signal.BlockID = 0xFF00
)

// Transaction signals. Words are uint32; 64-bit values are two words, low
// first. TransID carries the transaction id on every one of them.
const (
	// TCKEYREQ, API -> TC: one key operation of a transaction.
	//   w0 op (Op*), w1 table id, w2 API op id, w3 flags (TcKeyCommit: the
	//   last operation, commit once all are prepared), w4-w5 key hash.
	//   s0 key image (read, lock, delete) or row image (insert, update,
	//   write); s1 for update: the schema.ColumnSet of columns to write.
	TCKEYREQ signal.Number = 10
	// TCKEYCONF, TC -> API: an operation is prepared (reads: s0 the row).
	//   w0 API op id.
	TCKEYCONF signal.Number = 11
	// TCKEYREF, TC -> API: an operation failed and the transaction is
	// aborted. w0 API op id, w1 ndberr code.
	TCKEYREF signal.Number = 12
	// TCCOMMITCONF, TC -> API: the transaction committed (on every replica
	// in memory). w0-w1 its GCI.
	TCCOMMITCONF signal.Number = 13
	// TCROLLBACKREP, TC -> API: the transaction was aborted by TC (time-out,
	// a failed operation). w0 ndberr code.
	TCROLLBACKREP signal.Number = 14

	// TC_COMMITREQ, API -> TC: commit the transaction (its operations were
	// sent without TcKeyCommit). Answered like the last key operation's
	// commit: TCCOMMITCONF or TCROLLBACKREP. No words.
	TC_COMMITREQ signal.Number = 15
	// TCROLLBACKREQ, API -> TC: roll the transaction back. Answered with
	// TCROLLBACKCONF once every replica has thrown its operations away.
	TCROLLBACKREQ  signal.Number = 16
	TCROLLBACKCONF signal.Number = 17

	// LQHKEYREQ, TC -> primary LQH, then LQH -> next replica: prepare one
	// operation on a fragment replica.
	//   w0 op (low 16 bits) and LqhImages (high 16 bits), w1 table id, w2 fragment, w3 TC op index, w4-w5 key hash,
	//   w6 the receiver's position in the chain, w7 chain length, w8.. the
	//   chain's node ids (primary first), then w(8+len) TC node, w(9+len)
	//   TC instance. Sections as TCKEYREQ.
	LQHKEYREQ signal.Number = 20
	// LQHKEYCONF, last replica (or the primary for reads) -> TC: prepared.
	//   w0 TC op index. Reads: s0 the row. Writes asked for LqhImages: s0
	//   the row before, s1 after (each empty when there is no row).
	LQHKEYCONF signal.Number = 21
	// LQHKEYREF, any replica -> TC: refused. w0 TC op index, w1 ndberr code.
	LQHKEYREF signal.Number = 22
	// COMMIT, TC -> last replica, then backwards along the chain: commit
	// the operation. w0 TC op index, w1-w2 GCI, w3 receiver's position,
	// w4 chain length, w5.. chain, then TC node and TC instance. The
	// primary answers COMMITTED.
	COMMIT    signal.Number = 23
	COMMITTED signal.Number = 24 // primary LQH -> TC. w0 TC op index.
	// COMPLETE, TC -> last replica, then backwards: release the operation
	// record. Same words as COMMIT. The primary answers COMPLETED.
	COMPLETE  signal.Number = 25
	COMPLETED signal.Number = 26 // primary LQH -> TC. w0 TC op index.
	// ABORT, TC -> the primary, then forwards along the chain behind the
	// LQHKEYREQ it cancels: throw the operation away (a replica that never
	// saw it passes the ABORT on all the same). w0 TC op index, w1
	// receiver's position, w2 chain length, w3.. chain, then TC node and
	// TC instance. The last replica answers ABORTED.
	ABORT   signal.Number = 27
	ABORTED signal.Number = 28 // LQH -> TC. w0 TC op index.
)

// Scan signals. A scan belongs to a transaction (TransID); TC runs it over
// the table's fragments, parallelism at a time, and passes each
// fragment's batches to the API, which asks for the next batch of a
// fragment when it has consumed one.
const (
	// SCAN_TABREQ, API -> TC: start a scan.
	//   w0 table id, w1 API scan id, w2 flags (Scan*), w3 parallelism (0:
	//   every fragment at once), w4 batch rows, w5 batch bytes (0: the
	//   default), w6 ordered index number or ScanNoIndex.
	//   s0 filter program (schema/filter; empty: none), s1 low bound, s2
	//   high bound (index scans; schema search keys; empty: unbounded).
	SCAN_TABREQ signal.Number = 40
	// SCAN_TABCONF, TC -> API: one fragment's batch. w0 API scan id, w1
	// fragment, w2 flags (ScanFragDone, ScanDone), w3 rows. s0 the rows,
	// each a little-endian uint32 length and the row image.
	SCAN_TABCONF signal.Number = 41
	// SCAN_TABREF, TC -> API: the scan failed and is closed (a locking
	// scan's transaction is aborted too). w0 API scan id, w1 ndberr code.
	SCAN_TABREF signal.Number = 42
	// SCAN_NEXTREQ, API -> TC: w0 API scan id, w1 a fragment whose batch was
	// consumed (more of it, please), or ScanClose to close the scan.
	SCAN_NEXTREQ signal.Number = 43

	// SCAN_FRAGREQ, TC -> LQH: scan one fragment. w0 table, w1 fragment,
	// w2 TC op index (the scan's slot in the transaction), w3 flags, w4
	// batch rows, w5 batch bytes, w6 index or ScanNoIndex, w7 TC node, w8
	// TC instance. Sections as SCAN_TABREQ.
	SCAN_FRAGREQ signal.Number = 44
	// SCAN_FRAGCONF, LQH -> TC: a batch. w0 TC op index, w1 fragment, w2
	// flags (ScanFragDone), w3 rows; s0 the rows as in SCAN_TABCONF.
	SCAN_FRAGCONF signal.Number = 45
	// SCAN_FRAGREF, LQH -> TC: the fragment scan failed and is closed. w0
	// TC op index, w1 ndberr code.
	SCAN_FRAGREF signal.Number = 46
	// SCAN_FRAGNEXT, TC -> LQH: w0 TC op index, w1 1 to close (0: next
	// batch), w2 TC node, w3 TC instance.
	SCAN_FRAGNEXT signal.Number = 47
)

// Scan flags (SCAN_TABREQ and SCAN_FRAGREQ w2/w3).
const (
	ScanLockShared    = 1 << 0 // lock each returned row shared until the transaction ends
	ScanLockExclusive = 1 << 1 // lock each returned row exclusively
	ScanDescending    = 1 << 2 // index scans: descending order
	ScanLowInclusive  = 1 << 3 // index scans: the low bound is inclusive
	ScanHighInclusive = 1 << 4 // index scans: the high bound is inclusive
)

// Scan batch flags (SCAN_TABCONF and SCAN_FRAGCONF w2).
const (
	ScanFragDone = 1 << 0 // the fragment has no more rows
	ScanDone     = 1 << 1 // the whole scan is over (SCAN_TABCONF only)
)

const (
	ScanNoIndex = 0xFFFFFFFF // SCAN_TABREQ w6: a table scan
	ScanClose   = 0xFFFFFFFF // SCAN_NEXTREQ w1: close the scan
)

// Global checkpoint (epoch) signals. The master's DIH runs the protocol
// every TimeBetweenEpochs; GCIs are 64-bit, w0 low and w1 high.
const (
	// GCP_PREPARE, master DIH -> every node's DIH: epoch w0-w1 comes next.
	// Each node holds its TCs' commit decisions and answers
	// GCP_PREPARECONF (w0-w1 the GCI, w2 the node).
	GCP_PREPARE     signal.Number = 30
	GCP_PREPARECONF signal.Number = 31
	// GCP_COMMIT, master -> every DIH: switch to epoch w0-w1. Each node
	// answers GCP_NODEFINISH (w0-w1 the previous GCI, w2 the node) once its
	// TCs have finished the commit phase of every transaction of the
	// previous epoch.
	GCP_COMMIT     signal.Number = 32
	GCP_NODEFINISH signal.Number = 33
	// GCP_COMPLETE_REP, master -> every DIH: epoch w0-w1 is complete: every
	// transaction in it has committed on every replica.
	GCP_COMPLETE_REP signal.Number = 34

	// GCP_TCPREPARE, DIH -> local TC: hold commit decisions (w0-w1 the next
	// GCI); TC answers GCP_TCPREPARECONF (w0-w1).
	GCP_TCPREPARE     signal.Number = 35
	GCP_TCPREPARECONF signal.Number = 36
	// GCP_NOMORETRANS, DIH -> local TC: commit in epoch w0-w1 from now on;
	// TC answers GCP_TCFINISHED (w0-w1 the previous GCI) once no transaction
	// of the previous epoch is still in its commit phase.
	GCP_NOMORETRANS signal.Number = 37
	GCP_TCFINISHED  signal.Number = 38
)

// GCP save signals: the master's DIH makes a completed epoch durable every
// TimeBetweenGlobalCheckPoints, in two phases over every data node. GCIs
// are w0-w1; answers carry the node in w2.
const (
	// GCP_SAVEREQ, master -> every DIH: flush the redo log up to epoch
	// w0-w1 and sync it; answer GCP_SAVECONF.
	GCP_SAVEREQ  signal.Number = 50
	GCP_SAVECONF signal.Number = 51
	// GCP_COPYGCIREQ, master -> every DIH: every node's redo holds epoch
	// w0-w1: record it in the sysfile as the restorable GCI; answer
	// GCP_COPYGCICONF.
	GCP_COPYGCIREQ  signal.Number = 52
	GCP_COPYGCICONF signal.Number = 53
	// GCP_SAVED_REP, master -> every DIH: epoch w0-w1 is durable on every
	// node (a system restart restores at least it).
	GCP_SAVED_REP signal.Number = 54

	// FS_SYNCREDOREQ, DIH -> local FS: sync every redo log part up to epoch
	// w0-w1; FS answers FS_SYNCREDOCONF (w0-w1, w2 0 or an NDB error code).
	FS_SYNCREDOREQ  signal.Number = 55
	FS_SYNCREDOCONF signal.Number = 56
	// FS_WRITESYSFILEREQ, DIH -> local FS: write the sysfile with
	// restorable GCI w0-w1; FS answers FS_WRITESYSFILECONF (w0-w1, w2 0 or
	// an error code).
	FS_WRITESYSFILEREQ  signal.Number = 57
	FS_WRITESYSFILECONF signal.Number = 58
)

// Operation types in TCKEYREQ and LQHKEYREQ w0.
const (
	OpRead          = 1 // committed read: no lock, the latest committed row
	OpReadExclusive = 2 // read holding an exclusive lock until commit
	OpInsert        = 3
	OpUpdate        = 4
	OpWrite         = 5 // insert or update
	OpDelete        = 6
	OpReadShared    = 7 // read holding a shared lock until commit
	OpScan          = 8 // TC's record of a fragment scan (its row locks, if any)
)

// TCKEYREQ flags (w3).
const (
	TcKeyCommit = 1 << 0
	// TcKeyUniqueIndex: the operation names its row by a unique index: w6
	// the index's position in the table's Indexes, w4-w5 the hash of the
	// unique key, s0 the unique key (the hidden table's key image); for an
	// update s1 a row image with the columns to set (its primary key is
	// filled in by TC) and s2 the column set. Read, lock, update and
	// delete only.
	TcKeyUniqueIndex = 1 << 1
)

// LQHKEYREQ flags (the high 16 bits of w0).
const (
	// LqhImages: the last replica answers with the row's images before and
	// after the write (unique index maintenance).
	LqhImages = 1 << 0
)

// IsWrite reports whether op changes data (and so runs on every replica).
func IsWrite(op uint32) bool { return op >= OpInsert && op <= OpDelete }

// MaxReplicas bounds a chain carried in LQHKEYREQ and COMMIT: NoOfReplicas
// (at most 4) for ordinary tables, every data node for fully replicated
// ones (LQHKEYREQ's 10 fixed words plus the chain fit in MaxWords).
const MaxReplicas = 12
