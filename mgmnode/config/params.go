package config

// Bounds shared by many parameters.
const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30

	// maxNDB is NDB's largest value for 32-bit parameters (0xFFFFFEFF): the
	// values above it are reserved there as "not set" markers.
	maxNDB = 4294967039

	// MaxDataNodeID is the largest data node id, as in NDB 8.0.
	MaxDataNodeID = 144
	// MaxNodeID is the largest node id of any kind.
	MaxNodeID = 255
)

// tlsParams are the TLS parameters every node section takes.
var tlsParams = []Param{
	{
		Name: "RequireTls", Sections: SectionNDBD | SectionMgmd | sectionAPIs, Type: TypeBool,
		Default: "false", Field: "RequireTLS",
		Desc: "Every connection to and from this node uses mutual TLS; plain connections are refused. Needs CertFile, KeyFile and CAFile. (NDB 8.3 name.)",
	},
	{
		Name: "RequireCertificate", Sections: SectionNDBD | SectionMgmd | sectionAPIs, Type: TypeBool,
		Default: "false",
		Desc:    "The node refuses to start without its certificate and key. Needs CertFile and KeyFile. (NDB 8.3 name.)",
	},
	{
		Name: "CertFile", Sections: SectionNDBD | SectionMgmd | sectionAPIs, Type: TypePath,
		DocDefault: "none",
		Desc:       "PEM file with this node's certificate chain. gondb names the files in config.ini where NDB searches --ndb-tls-search-path. Given together with KeyFile.",
	},
	{
		Name: "KeyFile", Sections: SectionNDBD | SectionMgmd | sectionAPIs, Type: TypePath,
		DocDefault: "none",
		Desc:       "PEM file with the private key of CertFile.",
	},
	{
		Name: "CAFile", Sections: SectionNDBD | SectionMgmd | sectionAPIs, Type: TypePath,
		DocDefault: "none",
		Desc:       "PEM file with the certificate authorities that sign the cluster's node certificates; peers are verified against it.",
	},
}

// params is the parameter table: the parser, the validator, WriteINI and
// docs/config.md are all driven by it. Supported parameters come first, in
// the order the reference lists them; ignored NDB parameters are appended
// from ignoredParams.
var params = buildParams()

func buildParams() []Param {
	ps := []Param{
		// [ndbd]: identity and placement.
		{
			Name: "NodeId", Aliases: []string{"Id"}, Sections: SectionNDBD, Type: TypeInt, Scope: ScopeNode,
			Min: 1, Max: MaxDataNodeID, Field: "NodeID", DocDefault: "lowest free id",
			Desc: "The data node's id, unique among all nodes. Missing ids are assigned as NDB does: the lowest free id, data nodes first.",
		},
		{
			Name: "NodeGroup", Sections: SectionNDBD, Type: TypeInt, Scope: ScopeNode,
			Min: 0, Max: MaxDataNodeID - 1, DocDefault: "assigned",
			Desc: "The node group holding this node's replicas. Unset: data nodes in node id order fill the lowest node group that has fewer than NoOfReplicas members.",
		},
		{
			Name: "HostName", Sections: SectionNDBD, Type: TypeHost, Scope: ScopeNode,
			Default: "localhost",
			Desc:    "Host name or IP address the data node runs on and other nodes connect to.",
		},
		{
			Name: "DataDir", Sections: SectionNDBD, Type: TypePath, Required: true, DocDefault: "required",
			Desc: "Directory for the node's redo log, checkpoints and logs. Several nodes may share one: each uses a subdirectory named after its node id.",
		},
		{
			Name: "ServerPort", Sections: SectionNDBD, Type: TypeInt, Default: "0", Min: 0, Max: 65535,
			Desc: "TCP port of the data node's transporter. 0: chosen by the node at start and published through the management node, as NDB's dynamic ports.",
		},
		{
			Name: "GossipPort", Sections: SectionNDBD, Type: TypeInt, Default: "0", Min: 0, Max: 65535,
			Desc: "UDP and TCP port of the data node's gossip member (memberlist, on HostName), which gives NodeFailover's failure detection a second opinion: a node gossip reports dead is failed at its first missed heartbeat instead of the fourth. 0: chosen by the node at start; data nodes tell each other their gossip addresses over their transporters, so no port needs configuring. Runs only with NodeFailover.",
		},
		// [ndbd default]: cluster-wide.
		{
			Name: "NoOfReplicas", Sections: SectionNDBD, Type: TypeInt, Scope: ScopeCluster,
			Default: "2", Min: 1, Max: 4,
			Desc: "Copies of every row, one per data node of a node group. The number of data nodes must be a multiple of it. 2 survives any single node failure.",
		},
		{
			Name: "PartitionsPerNode", Sections: SectionNDBD, Type: TypeInt, Scope: ScopeCluster,
			Default: "2", Min: 1, Max: 32,
			Desc: "Partitions of a table per data node (RonDB's parameter): a table has PartitionsPerNode × data nodes partitions. 2 spreads primaries over a node's LDM threads without many small fragments.",
		},
		{
			Name: "TimeBetweenEpochs", Sections: SectionNDBD, Type: TypeDuration, Scope: ScopeCluster,
			Default: "100", Min: 10, Max: 32000, Unit: "ms",
			Desc: "Interval of epochs (micro global checkpoints) that close change-data-capture batches. NDB's 0, epochs off, is not supported.",
		},
		{
			Name: "TimeBetweenGlobalCheckPoints", Sections: SectionNDBD, Type: TypeDuration, Scope: ScopeCluster,
			Default: "2000", Min: 20, Max: 32000, Unit: "ms",
			Desc: "Interval of global checkpoints: commits become durable on disk on every data node at most this long after they are acknowledged. Not shorter than TimeBetweenEpochs.",
		},
		{
			Name: "HeartbeatIntervalDbDb", Sections: SectionNDBD, Type: TypeDuration, Scope: ScopeCluster,
			Default: "5000", Min: 10, Max: maxNDB, Unit: "ms",
			Desc: "Heartbeat interval between data nodes; with NodeFailover, a node silent for 4 of them in a row is declared dead. NDB's default since 7.2.",
		},
		{
			Name: "HeartbeatIntervalDbApi", Sections: SectionNDBD, Type: TypeDuration, Scope: ScopeCluster,
			Default: "1500", Min: 100, Max: maxNDB, Unit: "ms",
			Desc: "Heartbeat interval between data nodes and API or SQL nodes; 3 missed heartbeats disconnect the API node.",
		},
		{
			Name: "Arbitration", Sections: SectionNDBD, Type: TypeEnum, Scope: ScopeCluster,
			Default: "Default", Enum: []string{string(ArbitrationDefault), string(ArbitrationDisabled), string(ArbitrationWaitExternal)},
			Desc: "What decides which side of a split cluster goes on. Default: the management node grants it to one side (one grant per view, kept in etcd). Disabled: no arbitration, a split may run both sides. WaitExternal: wait ArbitrationTimeout for an external decision.",
		},
		{
			Name: "ArbitrationTimeout", Sections: SectionNDBD, Type: TypeDuration, Scope: ScopeCluster,
			Default: "7500", Min: 10, Max: maxNDB, Unit: "ms",
			Desc: "How long data nodes wait for the arbitrator's answer after a split before shutting down.",
		},
		{
			Name: "NodeFailover", Sections: SectionNDBD, Type: TypeBool, Scope: ScopeCluster, Default: "true",
			Desc: "Keep serving when data nodes fail: heartbeats (HeartbeatIntervalDbDb) detect a failed node, the survivors agree on it, take over its transactions, make its fragments' other replicas primary, and arbitrate a split (Arbitration). A failed node that starts again rejoins by a node restart (its replicas copied from the live ones while traffic goes on), and ALL RESTART becomes a rolling restart. On by default; with it off (false) the cluster has no failure detection and waits for a failed node to come back.",
		},
		{
			Name: "StartPartialTimeout", Sections: SectionNDBD, Type: TypeDuration, Scope: ScopeCluster,
			Default: "30000", Min: 0, Max: maxNDB, Unit: "ms",
			Desc: "How long a cluster start waits for all data nodes before starting with at least one node of every node group. 0: wait for all nodes forever.",
		},
		// [ndbd]: memory, threads, redo, checkpoints.
		{
			Name: "DataMemory", Sections: SectionNDBD, Type: TypeSize,
			Default: "98M", Min: 1 * mib, Max: 16 * 1024 * gib, Unit: "bytes",
			Desc: "Memory for rows, allocated and touched at start. The primary-key hash indexes are sized on their own (see IndexMemory).",
		},
		{
			Name: "IndexMemory", Sections: SectionNDBD, Type: TypeSize, Status: Deprecated,
			Default: "0", Min: 0, Max: 1024 * gib, Unit: "bytes",
			Desc: "gondb's hash indexes grow on their own, outside DataMemory (deprecated since NDB 7.6)",
		},
		{
			Name: "ThreadConfig", Sections: SectionNDBD, Type: TypeThreadConfig, DocDefault: "none",
			Desc: "Threads of each kind and their CPUs in NDB syntax, e.g. `ldm={count=4,cpubind=0-3},tc={count=1},recv={count=1}`. Takes precedence over MaxNoOfExecutionThreads.",
		},
		{
			Name: "MaxNoOfExecutionThreads", Sections: SectionNDBD, Type: TypeInt,
			Default: "2", Min: 2, Max: 72,
			Desc: "Number of execution threads when ThreadConfig is not set; the data node lays them out as NDB does. Ignored, with a warning, when ThreadConfig is set.",
		},
		{
			Name: "TimeBetweenLocalCheckpoints", Sections: SectionNDBD, Type: TypeInt,
			Default: "20", Min: 0, Max: 31, Unit: "log2(4-byte words)",
			Desc: "As in NDB, not a time: a local checkpoint starts after 4 × 2^value bytes of writes (20: 4 MiB).",
		},
		{
			Name: "RedoBuffer", Sections: SectionNDBD, Type: TypeSize,
			Default: "32M", Min: 1 * mib, Max: maxNDB, Unit: "bytes",
			Desc: "Buffer for redo log records per log part before they are written to disk; writes wait when it is full.",
		},
		{
			Name: "NoOfFragmentLogParts", Sections: SectionNDBD, Type: TypeInt,
			Default: "4", Min: 4, Max: 32,
			Desc: "Redo log parts per data node, written in parallel; LDM threads share them.",
		},
		{
			Name: "NoOfFragmentLogFiles", Sections: SectionNDBD, Type: TypeInt,
			Default: "16", Min: 3, Max: 4096,
			Desc: "Redo log files per log part, used as a ring: each part holds NoOfFragmentLogFiles × FragmentLogFileSize bytes, created in full at an initial start.",
		},
		{
			Name: "FragmentLogFileSize", Sections: SectionNDBD, Type: TypeSize,
			Default: "16M", Min: 4 * mib, Max: 1 * gib, Unit: "bytes",
			Desc: "Size of each redo log file.",
		},
		{
			Name: "CompressedLCP", Sections: SectionNDBD, Type: TypeBool, Default: "true",
			Desc: "Compress local checkpoint files with zstd (on by default in gondb; NDB's default is off).",
		},
		{
			Name: "CompressedBackup", Sections: SectionNDBD, Type: TypeBool, Default: "false",
			Desc: "Compress backup files.",
		},
		{
			Name: "MinDiskWriteSpeed", Sections: SectionNDBD, Type: TypeSize,
			Default: "10M", Min: 1 * mib, Max: maxNDB, Unit: "bytes/s",
			Desc: "Table data a local checkpoint writes per second while every redo log part is less than a quarter full; the speed rises linearly to MaxDiskWriteSpeed as a part fills to half.",
		},
		{
			Name: "MaxDiskWriteSpeed", Sections: SectionNDBD, Type: TypeSize,
			Default: "64M", Min: 1 * mib, Max: maxNDB, Unit: "bytes/s",
			Desc: "Table data a local checkpoint writes per second when the redo log fills (gondb's default is above NDB's 20M: in-memory rows change fast, and a redo part is released only behind checkpoints).",
		},
		{
			Name: "Diskless", Sections: SectionNDBD, Type: TypeBool, Default: "false",
			Desc: "Keep nothing on disk: no redo log, no checkpoints, no sysfile; every start is an initial start and a cluster crash loses all data (as NDB's Diskless; for tests and to measure what logging costs).",
		},
		// [ndbd]: transactions.
		{
			Name: "TransactionDeadlockDetectionTimeout", Sections: SectionNDBD, Type: TypeDuration,
			Default: "1200", Min: 50, Max: maxNDB, Unit: "ms",
			Desc: "How long an operation may wait for a lock or a participant before its transaction coordinator aborts the transaction (error 266 or 4012).",
		},
		{
			Name: "TransactionInactiveTimeout", Sections: SectionNDBD, Type: TypeDuration,
			Default: "4294967039", Min: 0, Max: maxNDB, Unit: "ms",
			Desc: "How long an open transaction may stay idle in the application before it is aborted. 0 and the default (about 49.7 days) mean never, as in NDB.",
		},
		{
			Name: "MaxNoOfConcurrentOperations", Sections: SectionNDBD, Type: TypeInt,
			Default: "32K", Min: 32, Max: maxNDB,
			Desc: "Operation records per data node: the most rows all open transactions together may have touched and not yet committed.",
		},
	}
	ps = append(ps, withSections(tlsParams, SectionNDBD)...)
	ps = append(ps, []Param{
		// [ndb_mgmd].
		{
			Name: "NodeId", Aliases: []string{"Id"}, Sections: SectionMgmd, Type: TypeInt, Scope: ScopeNode,
			Min: 1, Max: MaxNodeID, Field: "NodeID", DocDefault: "lowest free id",
			Desc: "The management node's id, unique among all nodes.",
		},
		{
			Name: "HostName", Sections: SectionMgmd, Type: TypeHost, Scope: ScopeNode,
			Default: "localhost",
			Desc:    "Host name or IP address the management node runs on; the connect string of every node names it.",
		},
		{
			Name: "DataDir", Sections: SectionMgmd, Type: TypePath, Required: true, DocDefault: "required",
			Desc: "Directory for the management node's logs and, unless --etcd-endpoints is given, its embedded etcd.",
		},
		{
			Name: "PortNumber", Sections: SectionMgmd, Type: TypeInt,
			Default: "1186", Min: 1, Max: 65535,
			Desc: "Port of the management API (ndb_mgm's 1186).",
		},
	}...)
	ps = append(ps, withSections(tlsParams, SectionMgmd)...)
	ps = append(ps, []Param{
		// [mysqld] and [api].
		{
			Name: "NodeId", Aliases: []string{"Id"}, Sections: sectionAPIs, Type: TypeInt, Scope: ScopeNode,
			Min: 1, Max: MaxNodeID, Field: "NodeID", DocDefault: "lowest free id",
			Desc: "The slot's node id, unique among all nodes. A node that connects without --ndb-nodeid gets a free slot.",
		},
		{
			Name: "HostName", Sections: sectionAPIs, Type: TypeHost, Scope: ScopeNode,
			DocDefault: "any host",
			Desc:       "Host the slot is reserved for. Unset: a node from any host may take the slot.",
		},
	}...)
	ps = append(ps, withSections(tlsParams, sectionAPIs)...)
	ps = append(ps, []Param{
		// [tcp].
		{
			Name: "NodeId1", Sections: SectionTCP, Type: TypeInt, Scope: ScopeNode, Required: true,
			Min: 1, Max: MaxNodeID, Field: "NodeID1", DocDefault: "required",
			Desc: "One end of the connection a [tcp] section configures.",
		},
		{
			Name: "NodeId2", Sections: SectionTCP, Type: TypeInt, Scope: ScopeNode, Required: true,
			Min: 1, Max: MaxNodeID, Field: "NodeID2", DocDefault: "required",
			Desc: "The other end of the connection.",
		},
		{
			Name: "SendBufferMemory", Sections: SectionTCP, Type: TypeSize,
			Default: "2M", Min: 256 * kib, Max: maxNDB, Unit: "bytes",
			Desc: "Signals buffered for sending on one connection; senders are slowed down when it fills.",
		},
		{
			Name: "ReceiveBufferMemory", Sections: SectionTCP, Type: TypeSize,
			Default: "2M", Min: 16 * kib, Max: maxNDB, Unit: "bytes",
			Desc: "Buffer for signals received on one connection and not yet handed to threads.",
		},
	}...)
	return append(ps, ignoredParams()...)
}

// withSections returns copies of ps allowed in sections s.
func withSections(ps []Param, s Section) []Param {
	out := make([]Param, len(ps))
	for i, p := range ps {
		p.Sections = s
		out[i] = p
	}
	return out
}
