package ndberr

// Codes the API (ndbapi) raises itself, NDB's 4xxx range, with NDB's
// numbers and classifications.
var (
	// ErrTCTimeout: the transaction coordinator did not answer within the
	// API's time-out; the transaction may or may not have committed.
	ErrTCTimeout = def(4012, ClassUnknownResult, "Request ndbd time-out, maybe due to high load or communication problems")
	// ErrClusterUnavailable: no data node to run the transaction is
	// connected; nothing was sent.
	ErrClusterUnavailable = def(4009, ClassNodeRecovery, "Cluster Failure")
	// ErrSendFailed: the request could not be handed to the data node (its
	// send buffer is full or the connection dropped); nothing was sent.
	ErrSendFailed = def(4035, ClassNodeRecovery, "Cluster temporary unavailable")
	// ErrTCNodeFailed: the data node coordinating the transaction failed
	// before the API asked it to commit, so its takeover aborts it.
	ErrTCNodeFailed = def(4010, ClassNodeRecovery, "Node failure caused abort of transaction")
	// ErrTCNodeFailedCommit: the coordinating data node failed after the API
	// asked it to commit; the transaction may or may not have committed.
	ErrTCNodeFailedCommit = def(4011, ClassUnknownResult, "Node failure during commit: the transaction's outcome is unknown")
	// ErrAPIUsage: the API was called in a way it does not support.
	ErrAPIUsage = def(4200, ClassApplication, "Status Error when defining an operation")
	// ErrTxAborted: TC was asked to commit a transaction it no longer
	// knows: it was aborted, and the reason was reported before.
	ErrTxAborted = def(4350, ClassApplication, "Transaction already aborted")
)
