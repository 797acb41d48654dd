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
	// in memory). w0-w1 its GCI, w2 flags (CommitAckMarker: the TC left
	// commit-ack markers; the API answers TC_COMMIT_ACK). To an API that
	// set TcKeyShortConf it also confirms every operation not confirmed
	// by a TCKEYCONF.
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
	//   TC instance; with LqhCommitNow, w(10+len)-w(11+len) the commit's
	//   GCI; with LqhAnswerAPI, the API's address and op id and the GCI
	//   (5 words). Sections as TCKEYREQ.
	LQHKEYREQ signal.Number = 20
	// LQHKEYCONF, last replica (or the primary for reads) -> TC: prepared.
	//   w0 TC op index, w1 (optional) LqhConf* flags. Reads: s0 the row.
	//   Writes asked for LqhImages: s0 the row before, s1 after (each
	//   empty when there is no row).
	LQHKEYCONF signal.Number = 21
	// LQHKEYREF, any replica -> TC: refused. w0 TC op index, w1 ndberr code.
	LQHKEYREF signal.Number = 22
	// COMMIT, TC -> last replica, then backwards along the chain: commit
	// the operation. w0 TC op index, w1-w2 GCI, w3 receiver's position
	// (low 16 bits) and CommitMarker (high 16 bits), w4 chain length, w5..
	// chain, then TC node and TC instance. The primary answers COMMITTED.
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
	// w0-w1: record it in the sysfile as the restorable GCI, with w2-w9
	// the nodes that synced it and w10-w11 the cluster's history (the
	// master's); answer GCP_COPYGCICONF.
	GCP_COPYGCIREQ  signal.Number = 52
	GCP_COPYGCICONF signal.Number = 53
	// GCP_SAVED_REP, master -> every DIH: epoch w0-w1 is durable on every
	// node (a system restart restores at least it).
	GCP_SAVED_REP signal.Number = 54

	// GCP_WAITSAVEDREQ, API -> a data node's DIH: answer once epoch w0-w1
	// is durable. w2 the API's request id.
	GCP_WAITSAVEDREQ signal.Number = 48
	// GCP_WAITSAVEDCONF, DIH -> API: w0-w1 the saved GCI (at least the one
	// asked for, unless w3 is set), w2 the request id, w3 0 or an NDB error
	// code (the cluster is diskless; too many waits on this node).
	GCP_WAITSAVEDCONF signal.Number = 49

	// FS_SYNCREDOREQ, DIH -> local FS: sync every redo log part up to epoch
	// w0-w1; FS answers FS_SYNCREDOCONF (w0-w1, w2 0 or an NDB error code).
	FS_SYNCREDOREQ  signal.Number = 55
	FS_SYNCREDOCONF signal.Number = 56
	// FS_WRITESYSFILEREQ, DIH -> local FS: write the sysfile with
	// restorable GCI w0-w1, the nodes w2-w9 and the history w10-w11 (each
	// when sent); FS answers FS_WRITESYSFILECONF (w0-w1, w2 0 or an error
	// code).
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
	// TcKeyCommitAck: the API acknowledges the commit (TC_COMMIT_ACK), so
	// TC leaves commit-ack markers (see TC_COMMIT_ACK). One operation of
	// the transaction carrying it is enough.
	TcKeyCommitAck = 1 << 2
	// TcKeyContinued: the transaction's earlier operations were sent in an
	// earlier execution. A TC with no record of it (it restarted, or
	// aborted and forgot it) answers TCROLLBACKREP 4350 instead of
	// starting a transaction holding only the later operations.
	TcKeyContinued = 1 << 3
	// TcKeyShortConf: the API takes TCCOMMITCONF as confirming every
	// operation of the transaction, so TC sends no TCKEYCONF for an
	// operation of the committing execution that returns nothing, and
	// answers the last read of a read-only transaction it commits with
	// one TCKEYCONF carrying the commit (TcKeyConfCommitted).
	TcKeyShortConf = 1 << 4
)

// TcKeyConfCommitted is TCKEYCONF's w1 flag (TcKeyShortConf): the
// transaction committed with this answer, w2-w3 its GCI; no TCCOMMITCONF
// follows.
const TcKeyConfCommitted = 1

// CommitAckMarker is TCCOMMITCONF's w2 flag and TCKEY_FAILCONF's w3 flag:
// the transaction's commit-ack markers stay until the API answers the
// sender with TC_COMMIT_ACK.
const CommitAckMarker = 1

// CommitMarker is COMMIT's flag (w3's high 16 bits): every replica the
// COMMIT passes keeps a commit-ack marker for the transaction.
const CommitMarker = 1 << 16

// CommitComplete is COMMIT's flag (w3's high 16 bits): the operation has
// a single replica and is the transaction's only one holding anything, so
// its LQH releases the operation record at the commit and TC sends no
// COMPLETE (NDB's complete phase exists for the other replicas).
const CommitComplete = 1 << 17

// LQHKEYREQ flags (the high 16 bits of w0).
const (
	// LqhImages: the last replica answers with the row's images before and
	// after the write (unique index maintenance).
	LqhImages = 1 << 0
	// LqhCommitNow: TC has taken the commit decision already, at the GCI
	// in the words after the TC's address: the transaction's only
	// operation, a write with a single replica on TC's own node. If the
	// write prepares at once, LQH commits it in the same step, keeps no
	// operation record and answers LQHKEYCONF with LqhConfCommitted: no
	// COMMIT/COMMITTED round. If it must wait for a row lock, LQH answers
	// LqhConfWaiting at once and goes on as for a plain LQHKEYREQ (TC
	// takes its decision back; a later LQHKEYCONF reports the prepare).
	LqhCommitNow = 1 << 1
	// LqhAnswerAPI: a committed read that is its transaction's only
	// operation, of a committing execution whose API set TcKeyShortConf,
	// on TC's own node. TC keeps no record of it: LQH answers the API
	// itself, TCKEYCONF with TcKeyConfCommitted and the row, or TCKEYREF.
	// The words after the TC's address are the API node, its block
	// instance, the API op id and the GCI (two words).
	LqhAnswerAPI = 1 << 2
	// LqhTailShift: flags bits 8-11 count the starting replicas at the
	// chain's end (a node restart's; dih.Table.StartingTail). The row
	// images come from the last replica before them, which passes them on
	// in sections 2 and 3 for the last replica to answer with.
	LqhTailShift = 8
	LqhTailMask  = 0xF
)

// LQHKEYCONF flags (w1).
const (
	// LqhConfCommitted: the LqhCommitNow write prepared and committed.
	LqhConfCommitted = 1 << 0
	// LqhConfWaiting: the LqhCommitNow write waits for a row lock; it will
	// be prepared, not committed, and answered by a later LQHKEYCONF or
	// LQHKEYREF.
	LqhConfWaiting = 1 << 1
)

// IsWrite reports whether op changes data (and so runs on every replica).
func IsWrite(op uint32) bool { return op >= OpInsert && op <= OpDelete }

// MaxReplicas bounds a chain carried in LQHKEYREQ and COMMIT: NoOfReplicas
// (at most 4) for ordinary tables, every data node for fully replicated
// ones (LQHKEYREQ's 10 fixed words plus the chain fit in MaxWords).
const MaxReplicas = 12

// BlockDBINFO serves the ndbinfo virtual tables on every data node
// (NDB's DBINFO; package datanode/dbinfo).
const BlockDBINFO signal.BlockID = 6

// ndbinfo signals: an API reads a virtual table (package ndbinfo) from
// one data node's DBINFO block in batches; the API merges the nodes'
// rows. TransID names the scan on the API side; the block keys a scan by
// (sender node, TransID, API scan id).
const (
	// DBINFO_SCANREQ, API -> DBINFO: start a scan (w4 0) or ask for its
	// next batch (w4 the cursor of the last DBINFO_SCANCONF).
	//   w0 virtual table id (ndbinfo.Table.ID), w1 API scan id, w2 batch
	//   rows, w3 batch bytes (0: the block's defaults), w4 cursor, w5 flags
	//   (DbinfoClose: drop the scan, no answer). s0 (start only) a filter
	//   program (schema/filter, against the virtual table; empty: none),
	//   run on the data node on every row.
	DBINFO_SCANREQ signal.Number = 60
	// DBINFO_SCANCONF, DBINFO -> API: a batch is complete. w0 API scan id,
	// w1 cursor to continue with (0: the scan is over and forgotten), w2
	// rows in the batch, w3 table id.
	DBINFO_SCANCONF signal.Number = 61
	// DBINFO_SCANREF, DBINFO -> API: the scan failed and is forgotten.
	// w0 API scan id, w1 ndberr code.
	DBINFO_SCANREF signal.Number = 62
	// DBINFO_TRANSID_AI, DBINFO -> API: rows of the current batch, sent
	// before its DBINFO_SCANCONF. w0 API scan id, w1 rows in this signal;
	// s0 the rows, each a little-endian uint32 length and the row image
	// (schema row format of the virtual table).
	DBINFO_TRANSID_AI signal.Number = 63
)

// DBINFO_SCANREQ flags (w5).
const (
	DbinfoClose = 1 << 0 // drop the scan: the API gives up on it
)

// BlockQMGR is a data node's membership block (NDB's QMGR): heartbeats,
// failure detection and agreement, the president, arbitration, joins, and
// the API nodes' registration (datanode/qmgr).
const BlockQMGR signal.BlockID = 7

// Membership signals (datanode/qmgr). Between data nodes they go QMGR to
// QMGR. Failure numbers (the view number, raised by one at every
// committed failure or join) are 64-bit, low word first. A node set is 8
// words, node n at bit n%32 of word n/32. A view section is
//
//	| failNo (8B) | count (2B) | count x ( node (2B) | dynamic id (8B) | start id (8B) ) |
//
// little-endian, members in start order (the ring; the first is the
// president).
const (
	// HEARTBEAT, QMGR -> the right neighbour's QMGR every
	// HeartbeatIntervalDbDb. w0-w1 the sender's failure number, w2-w3 its
	// start id.
	HEARTBEAT signal.Number = 70
	// FAIL_REP, QMGR -> every member's QMGR: the sender takes these nodes
	// for failed (missed heartbeats, round time-outs), repeated until a
	// view removes them; the receivers skip them on the ring at once. w0-w7
	// the nodes, w8-w9 the sender's failure number.
	FAIL_REP signal.Number = 71
	// PREP_FAILREQ, president -> every node it keeps: phase 1 of a view
	// change (Paxos prepare; ballot = counter<<8 | president). w0-w1 the
	// view number being decided (slot), w2 ballot, w3-w10 the nodes the
	// president excludes. s0 the president's current view (slot-1).
	PREP_FAILREQ signal.Number = 72
	// PREP_FAILCONF, node -> president: promised. w0-w1 slot, w2 ballot,
	// w3 ballot of a value the node accepted for the slot (0: none), w4 1
	// when the node's local blocks finished handling every failure so far,
	// w5-w12 the nodes the node takes for failed. s0 the accepted value (a
	// view), when w3 is not 0.
	PREP_FAILCONF signal.Number = 73
	// PREP_FAILREF, node -> president: PREP_FAILREQ or ACCEPT_FAILREQ
	// refused. w0-w1 slot, w2 ballot, w3 reason (1: a higher ballot is
	// promised, w4 that ballot; 2: the node has already committed the
	// slot, s0 its view).
	PREP_FAILREF signal.Number = 74
	// ACCEPT_FAILREQ, president -> the nodes that promised: phase 2 (Paxos
	// accept). w0-w1 slot, w2 ballot; s0 the proposed view.
	ACCEPT_FAILREQ signal.Number = 75
	// ACCEPT_FAILCONF, node -> president: accepted. w0-w1 slot, w2 ballot.
	ACCEPT_FAILCONF signal.Number = 76
	// COMMIT_FAILREQ, president -> every member of the new view (joiners
	// included: their CM_REGCONF) and the excluded nodes it can reach: the
	// view is chosen; apply it. w0-w1 slot, w2-w3 the cluster's generation
	// (a joiner adopts it for its arbitration requests). s0 the view. A
	// node the view does not hold shuts down.
	COMMIT_FAILREQ signal.Number = 77
	// COMMIT_FAILCONF, node -> president: applied. w0-w1 slot.
	COMMIT_FAILCONF signal.Number = 78
	// NODE_FAILREP, QMGR -> its node's local blocks (TC, LQH, DIH, GCP):
	// data nodes failed; take over their work. w0-w1 failure number, w2
	// the president, w3-w10 the failed nodes, w11-w18 the live data nodes.
	// A block that acknowledges answers NF_COMPLETEREP when done.
	NODE_FAILREP signal.Number = 79
	// NF_COMPLETEREP, local block -> QMGR: failure handling is done for
	// every failure up to w0-w1. A failed node is admitted again only once
	// every node's acknowledging blocks have answered.
	NF_COMPLETEREP signal.Number = 80
	// NODE_INCLREP, QMGR -> local blocks: data nodes joined. w0-w1 failure
	// number, w2 the president, w3-w10 the joined nodes, w11-w18 the live
	// data nodes.
	NODE_INCLREP signal.Number = 81
	// CM_REGREQ, a starting data node -> any data node's QMGR: admit me.
	// w0-w1 the joiner's start id. Answered by CM_REGREF, or by the
	// COMMIT_FAILREQ of the view that admits the joiner (gondb's
	// CM_REGCONF).
	CM_REGREQ signal.Number = 82
	// CM_REGREF, QMGR -> joiner: not now. w0 reason (1: not the president,
	// 2: not running, 3: not a data node), w1 the president (0: unknown).
	CM_REGREF signal.Number = 83
	// QMGR_STOPORD, QMGR -> QMGR: shut down. w0 reason (1: the side lost
	// a failure check or arbitration, w1-w2 the slot, w3 the ballot the
	// receiver promised, w4 the Outcome or 0 for an arbitration loss; 2:
	// the receiver was excluded by view w1-w2).
	QMGR_STOPORD signal.Number = 84
	// API_REGREQ, API node -> data node's QMGR every HeartbeatIntervalDbApi:
	// register, and the API node's heartbeat. No words.
	API_REGREQ signal.Number = 85
	// API_REGCONF, QMGR -> API node: w0 the president, w1-w2 the failure
	// number, w3 HeartbeatIntervalDbApi in ms, w4-w11 the live data nodes.
	API_REGCONF signal.Number = 86
	// API_REGREF, QMGR -> API node: w0 reason (1: the data node is not
	// running, 2: the API node's last failure is still being handled),
	// w1 the president (0: unknown).
	API_REGREF signal.Number = 87
	// API_FAILREQ, QMGR -> local blocks: API node w0 missed its heartbeats;
	// abort its transactions. A block that acknowledges answers
	// API_FAILCONF (w0 the API node); the API node registers again only
	// after every acknowledging block has.
	API_FAILREQ  signal.Number = 88
	API_FAILCONF signal.Number = 89
)

// Node failure handling (takeover) signals. A failed node's transactions
// are finished by the president's TC: it asks every live LQH for the
// operation records the failed TC left (LQH_TRANSREQ), commits the
// transactions any of whose operations committed and aborts the rest,
// sending COMMIT, COMPLETE and ABORT straight to each record's node with
// the failed TC named as the record's owner, then tells its node's GCP
// (TAKE_OVERTCCONF), which completes no epoch while a takeover runs.
const (
	// LQH_TRANSREQ, takeover TC -> every live LQH: report the operation
	// records of TC node w0; w1 the takeover's run, echoed; w2-w3 the
	// view (failure number) the takeover runs in. The LQH takes no more
	// key requests of that TC until it is in a later view.
	LQH_TRANSREQ signal.Number = 90
	// LQH_TRANSCONF, LQH -> takeover TC, one per record: TransID the
	// transaction, w0 the failed TC node, w1 the TC's operation index, w2
	// flags (TransCommitted: the record committed, at GCI w3-w4;
	// TransLast: no record, the report is over), w5 the LQH's node, w6
	// the run.
	LQH_TRANSCONF signal.Number = 91
	// TAKE_OVERTCCONF, TC -> its node's GCP: the takeover of the failed TC
	// nodes w0-w7 (a node set) is done.
	TAKE_OVERTCCONF signal.Number = 92
)

// LQH_TRANSCONF flags.
const (
	TransCommitted = 1 << 0
	TransLast      = 1 << 1
	// TransMarker: not an operation record but a commit-ack marker (w1
	// 0): the transaction committed at GCI w3-w4.
	TransMarker = 1 << 2
)

// BlockRESTART coordinates node restarts (the node-restart part of NDB's
// DIH: START_MEREQ, COPY_FRAGREQ, the distribution switches): on the
// president it runs a starting node's restart, on every node it applies
// the distribution's membership changes (datanode/restart).
const BlockRESTART signal.BlockID = 8

// Node restart signals. A starting node's replicas keep what its disk
// restored (up to its restored GCI; empty for an initial start), are made
// the tail of their fragments' chains (they receive every write from then
// on but serve no reads), are brought up to date by copying each fragment
// from its primary under short-lived shared row locks (rows changed since
// the restored GCI whole, the others as keys, restored rows the primary no
// longer has swept), and are then made full replicas again: the chains
// return to their placement order, so the node takes back its primaries. Node sets are 8 words as in the membership signals; runs are
// 64-bit, low word first.
const (
	// NR_STARTREQ, starting node's RESTART -> the president's RESTART,
	// resent until answered: restart me. w0-w1 the starting node's start
	// id (a later start of the same node replaces an earlier one), w2-w3
	// the GCI its disk restored (0: nothing, copy every row whole), w4-w5
	// the history of the cluster that GCI belongs to (another history
	// than the president's: copy every row whole).
	NR_STARTREQ signal.Number = 93
	// NR_STARTREF, RESTART -> starting node: not now. w0 reason (1: not
	// the president, 2: another node's restart runs, 3: not a member of
	// the view yet), w1 the president (0: unknown).
	NR_STARTREF signal.Number = 94
	// NR_STARTCONF, president's RESTART -> starting node: the node is a
	// full replica again. w0-w1 the run, w2 fragments copied, w3-w4 rows
	// copied.
	NR_STARTCONF signal.Number = 95
	// NR_EMPTYREQ, president's RESTART -> starting node's LQH: mark every
	// replica the node holds filling, keeping its restored rows (emptying
	// it when the restored GCI is 0), and apply writes to them leniently
	// until each one's copy ends (see COPY_ROWS). w0-w1 the run, w2-w3 the
	// restored GCI of NR_STARTREQ. Answered by NR_EMPTYCONF (w0-w1 the
	// run) from LQH.
	NR_EMPTYREQ  signal.Number = 96
	NR_EMPTYCONF signal.Number = 97
	// DIST_SWITCHREQ, president's RESTART -> every member's RESTART: use
	// the distribution of these members. w0-w1 the run, w2 a sequence
	// number, w3-w10 the full replicas' nodes, w11-w18 the starting nodes.
	// The receiver swaps its distribution and sends DIST_SWITCHREQ on to
	// its TC, which answers the president with DIST_SWITCHCONF (w0-w1 the
	// run, w2 the sequence, w3 the node): after it, that TC routes by the
	// new distribution.
	DIST_SWITCHREQ  signal.Number = 98
	DIST_SWITCHCONF signal.Number = 99
	// COPY_FRAGREQ, president's RESTART -> a fragment's primary LQH: copy
	// the fragment to the starting node. w0 table, w1 fragment, w2 the
	// starting node, w3-w4 the run, w5-w6 the starting node's restored
	// GCI (rows at or below it go as keys). Answered by COPY_FRAGCONF (w0
	// table, w1 fragment, w2 the starting node, w3-w4 the run, w5-w6 rows
	// sent whole, w7-w8 keys sent, w9-w10 rows the starting node swept,
	// w11 full copies begun again after a key did not match) or
	// COPY_FRAGREF (w0-w4 the same, w5 an ndberr code).
	COPY_FRAGREQ  signal.Number = 100
	COPY_FRAGCONF signal.Number = 101
	COPY_FRAGREF  signal.Number = 102
	// COPY_ROWS, primary LQH -> starting node's LQH: a batch of committed
	// rows, read under shared locks the primary holds until COPY_ROWSCONF.
	// TransID the copy, w0 table, w1 fragment, w2 entries, w3 flags
	// (CopyLast: the fragment's copy is complete). s0 the entries, each a
	// little-endian uint32 length (of what follows it; CopyKeyOnly set: a
	// key), the row's GCI (8 bytes), and its image or, for a row unchanged
	// since the restored GCI, its key. Answered by COPY_ROWSCONF (TransID,
	// w0 table, w1 fragment, w2 status: CopyAskFull, the batch was refused
	// because a key did not match, copy the fragment again whole; w3-w4,
	// after the last batch, the rows swept: restored rows at or below the
	// GCI that no entry named).
	COPY_ROWS     signal.Number = 103
	COPY_ROWSCONF signal.Number = 104
	// GCP_INCLUDEREQ, president's RESTART -> its GCP (the master): include
	// the starting node w0 in the epoch rounds from the next one; saves
	// leave it out while w1 is 1. GCP_INCLUDECONF (w0 the node, w1-w2 the
	// epoch it starts in) answers once the node's GCP follows. GCP_SYNC,
	// master GCP -> starting node's GCP: w0-w1 the current epoch, w2-w3
	// the last complete one, w4-w5 the last saved one; adopt them.
	GCP_INCLUDEREQ  signal.Number = 105
	GCP_INCLUDECONF signal.Number = 106
	GCP_SYNC        signal.Number = 107
)

// COPY_ROWS flags.
const CopyLast = 1 << 0

// CopyKeyOnly marks a COPY_ROWS entry's length: the entry is a key, the
// row unchanged since the starting node's restored GCI.
const CopyKeyOnly = 1 << 31

// CopyAskFull is COPY_ROWSCONF's w2 status: a key-only entry did not match
// the starting node's row, so the primary copies the fragment again with
// every row whole.
const CopyAskFull = 1 << 0

// NR_PROGRESSREP, president's RESTART -> starting node's RESTART, at each
// step and after each fragment copied: w0-w1 the run, w2 the step, w3
// fragments copied, w4 fragments in all, w5-w6 rows sent whole, w7-w8 keys
// sent, w9-w10 rows swept, w11 full copies begun again.
const NR_PROGRESSREP signal.Number = 108

// GCP_DURABLEREP, a restarted node's GCP -> every node's GCP: w0 the node
// restores the cluster's data from its own disk again (its first local
// checkpoint after the node restart's copy is complete); GCP saves, which
// left it out since GCP_INCLUDEREQ, take it in again.
const GCP_DURABLEREP signal.Number = 109

// Takeover outcomes for the API (NDB's TCKEY_FAILCONF/TCKEY_FAILREF): the
// TC that took over a failed TC's transaction tells the transaction's API
// node (TransID >> 48, ndbapi's transaction ids) how it ended, so an API
// whose TC failed during the commit learns the real outcome instead of an
// unknown result. TCKEY_FAILCONF: committed, w0 the failed TC node, w1-w2
// the GCI, w3 flags (CommitAckMarker), w4 the takeover's run.
// TCKEY_FAILREF: aborted, w0 the failed TC node, w1 the takeover's run.
const (
	TCKEY_FAILCONF signal.Number = 110
	TCKEY_FAILREF  signal.Number = 111
)

// TC_TAKEOVERREP, takeover TC -> every API node of its node's
// configuration, once the takeover of failed TC nodes is done: w0-w7 the
// failed TC nodes, w8 the takeover's run, w9 how many TCKEY_FAILCONF/REF
// the takeover sent this API node. An API that received them all knows
// that a transaction of those TCs it has no outcome for was not found,
// not even a commit-ack marker of it: it did not commit (4010). If some
// were lost on the way, it trusts nothing and waits (4011 in the end).
const TC_TAKEOVERREP signal.Number = 112

// Commit-ack markers (NDB's TC_COMMIT_ACK and REMOVE_MARKER_ORD). A TC
// asked for them (TcKeyCommitAck) marks one written operation's COMMIT
// (CommitMarker): every replica of its chain keeps a marker (transaction
// id, TC node, GCI) that outlives the operation records, until the API
// has heard of the commit. If the TC fails before that, the takeover
// finds the markers (LQH_TRANSCONF with TransMarker) and tells the API
// the transaction committed, so that a transaction the takeover finds no
// trace of is known not to have committed: the API gets no unknown
// result when the TC node fails.
const (
	// TC_COMMIT_ACK, API -> the TC that confirmed the commit (TCCOMMITCONF
	// or TCKEY_FAILCONF with CommitAckMarker): w0 how many transactions
	// (at most MaxAcks), w1.. their ids, two words each, low first.
	TC_COMMIT_ACK signal.Number = 113
	// REMOVE_MARKER_ORD, TC -> LQH: drop the markers of the transactions
	// listed as in TC_COMMIT_ACK.
	REMOVE_MARKER_ORD signal.Number = 114
)

// MaxAcks is how many transaction ids one TC_COMMIT_ACK or
// REMOVE_MARKER_ORD carries.
const MaxAcks = (signal.MaxWords - 1) / 2

// Gossip (datanode/gossip, memberlist) as a second opinion on data node
// failures, beside QMGR's heartbeats.
const (
	// GOSSIP_REP, the node runtime -> its own QMGR (a local signal: QMGR
	// ignores one from another node): gossip's opinion of data node w0
	// changed to w1 (qmgr.GossipState: 1 alive, 3 dead, 4 left; 2,
	// suspect, is not reported). QMGR suspects a node gossip reports dead
	// or left at once if it has missed a heartbeat, and counts a node
	// failed by missed heartbeats while gossip reports it alive as a link
	// failure.
	GOSSIP_REP signal.Number = 115
	// GOSSIP_ADDRREP, a data node's runtime -> every other data node's
	// QMGR address, taken by the receiving node's runtime (QMGR ignores
	// it): the sender's gossip address, w0 the port, w1-w4 the IP address
	// (16 bytes, an IPv4 address mapped into IPv6, each word little
	// endian), so that data nodes with ephemeral gossip ports find each
	// other. Sent every gossip RejoinInterval to the data nodes gossip
	// does not hold alive.
	GOSSIP_ADDRREP signal.Number = 116
)

// Read leases (datanode/qmgr): a data node serves reads only while every
// other member of its view has promised, within the lease time, not to
// let a view that excludes it be chosen. A node cut off from the cluster
// therefore stops reading before the other side can commit writes it
// would not see.
const (
	// LEASE_REQ, QMGR -> every other member's QMGR, every quarter of
	// HeartbeatIntervalDbDb: w0-1 the sender's Env.Now (ns), echoed in
	// the answer; w2-3 its StartID.
	LEASE_REQ signal.Number = 117
	// LEASE_CONF, QMGR -> the QMGR that asked: the lease is granted; w0-1
	// echo LEASE_REQ's. The granter accepts no view excluding the asker
	// until the lease time after it answered has passed, and grants
	// nothing to a node it suspects.
	LEASE_CONF signal.Number = 118
	// LEASE_ORD, QMGR -> its own node's reading blocks (LQH): w0-1 the
	// Env.Now (ns) until which reads may be served; 0: none (fenced),
	// all ones: no limit (this node is the only member).
	LEASE_ORD signal.Number = 119
)
