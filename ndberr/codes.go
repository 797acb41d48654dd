package ndberr

// Codes shared with NDB keep NDB's number and meaning.
var (
	// Row-level outcomes.
	ErrNoSuchRow    = def(626, ClassNoDataFound, "Tuple did not exist")
	ErrRowExists    = def(630, ClassConstraintViolation, "Tuple already existed when attempting to insert")
	ErrUniqueExists = def(893, ClassConstraintViolation, "Constraint violation e.g. duplicate value in unique index")

	// Memory.
	ErrOutOfDataMemory  = def(827, ClassInsufficientSpace, "Out of memory in Ndb Kernel, table data (increase DataMemory)")
	ErrOutOfIndexMemory = def(902, ClassInsufficientSpace, "Out of memory in Ndb Kernel, ordered index data (increase DataMemory)")
	ErrFragmentFull     = def(633, ClassInsufficientSpace, "Table fragment hash index has reached maximum possible size")

	// Redo log (datanode/redo).
	ErrRedoLogOverloaded    = def(410, ClassOverload, "REDO log files overloaded (decrease TimeBetweenLocalCheckpoints or increase NoOfFragmentLogFiles)")
	ErrRedoBufferOverloaded = def(1221, ClassOverload, "REDO buffers overloaded (increase RedoBuffer)")

	// Durability waits (gondb's own codes).
	ErrDiskless        = def(9010, ClassApplication, "The cluster keeps nothing on disk (Diskless): no GCI becomes durable")
	ErrTooManyGCIWaits = def(9011, ClassTemporaryResource, "Too many waits for a durable GCI on this data node")

	// Online index builds (gondb's own code): an ordered index added to a
	// table with rows serves scans once its fragment's build is done.
	ErrIndexNotOnline = def(9020, ClassTemporaryResource, "Ordered index is being built and is not online yet")

	ErrTooManyOperations = def(233, ClassTemporaryResource, "Out of operation records in transaction coordinator (increase MaxNoOfConcurrentOperations)")

	// Node failures: temporary; the API retries on the surviving nodes.
	ErrNodeFailAbort = def(4025, ClassNodeRecovery, "Node failure caused abort of transaction")
	ErrNodeFailScan  = def(4028, ClassNodeRecovery, "Node failure caused abort of transaction (a scan on the failed node)")
	// A planned stop: the node's TC takes no new transactions while it
	// lets those it runs finish.
	ErrNodeShutdown = def(270, ClassNodeShutdown, "Transaction aborted due to node shutdown")
	// A node restart (gondb's own code): the node's replicas are still
	// being copied, so its TC takes no transactions yet.
	ErrNodeStarting = def(9021, ClassNodeRecovery, "Data node is restarting: its replicas are being copied; use another node")
	// ErrReadFenced: the data node has lost its read lease (it may be cut
	// off from the cluster), so it answers no reads until its membership
	// settles.
	ErrReadFenced = def(9022, ClassNodeRecovery, "Data node is not sure it is still a member of the cluster: it refuses reads until that is settled")

	// Locks and time-outs.
	ErrDeadlockTimeout = def(266, ClassTimeout, "Time-out in NDB, probably caused by deadlock")
	ErrInactiveTimeout = def(274, ClassTimeout, "Time-out in NDB: transaction inactive longer than TransactionInactiveTimeout")

	// Schema and requests.
	ErrNoSuchTable     = def(723, ClassSchema, "No such table existed")
	ErrSchemaVersion   = def(241, ClassSchema, "Invalid schema object version")
	ErrBadAttribute    = def(4004, ClassApplication, "Attribute name or id not found in the table")
	ErrValueTooLong    = def(4209, ClassApplication, "Length parameter in equal/setValue is incorrect")
	ErrBadRowImage     = def(4210, ClassApplication, "Ndb sent more info than the length it specified")
	ErrNullInNotNull   = def(839, ClassApplication, "Illegal null attribute")
	ErrWrongKeyLength  = def(4205, ClassApplication, "Incorrect number of primary key attributes defined")
	ErrOperationNotOwn = def(9001, ClassInternal, "Operation record does not belong to this transaction")
	ErrNoSuchOperation = def(9002, ClassInternal, "No such operation record")
	ErrInternal        = def(9003, ClassInternal, "Internal error in data node")
)
