package config

import "time"

// Config is a parsed and validated config.ini: every node with its
// parameters resolved (built-in default < [x default] < the node's own
// section). Nodes are in node id order. Treat it as read-only once built.
type Config struct {
	Cluster   Cluster
	DataNodes []DataNode
	MgmNodes  []MgmNode
	APINodes  []APINode // [mysqld] and [api] slots
	TCP       TCP       // [tcp default]: every connection's parameters
	TCPLinks  []TCPLink // [tcp]: connections with their own parameters
}

// Cluster holds the parameters that must be the same on every data node;
// they are set only in [ndbd default].
type Cluster struct {
	NoOfReplicas                 int
	PartitionsPerNode            int
	TimeBetweenEpochs            time.Duration
	TimeBetweenGlobalCheckPoints time.Duration
	HeartbeatIntervalDbDb        time.Duration
	HeartbeatIntervalDbApi       time.Duration
	Arbitration                  Arbitration
	ArbitrationTimeout           time.Duration
	StartPartialTimeout          time.Duration // 0: wait for all data nodes
	// NodeFailover: the data nodes run QMGR and go on without failed
	// nodes (takeover, failover, arbitration), a restarted node rejoins by
	// a node restart, and ALL RESTART is a rolling restart. Off by
	// default; off, the cluster waits for a failed node to come back.
	NodeFailover bool
}

// Arbitration is the cluster's arbitration mode.
type Arbitration string

// Arbitration modes, spelled as in NDB.
const (
	ArbitrationDefault      Arbitration = "Default"
	ArbitrationDisabled     Arbitration = "Disabled"
	ArbitrationWaitExternal Arbitration = "WaitExternal"
)

// TLS is a node's TLS setting.
type TLS struct {
	RequireTLS         bool
	RequireCertificate bool
	CertFile           string
	KeyFile            string
	CAFile             string
}

// DataNode is an [ndbd] section.
type DataNode struct {
	NodeID                              int
	NodeGroup                           int
	HostName                            string
	DataDir                             string
	ServerPort                          int // 0: chosen at start
	GossipPort                          int // 0: chosen at start
	DataMemory                          uint64
	ThreadConfig                        string // "": threads from MaxNoOfExecutionThreads
	MaxNoOfExecutionThreads             int
	TimeBetweenLocalCheckpoints         int // log2 of 4-byte words written
	RedoBuffer                          uint64
	NoOfFragmentLogParts                int
	NoOfFragmentLogFiles                int
	FragmentLogFileSize                 uint64
	CompressedLCP                       bool
	CompressedBackup                    bool
	Diskless                            bool
	MinDiskWriteSpeed                   uint64
	MaxDiskWriteSpeed                   uint64
	TransactionDeadlockDetectionTimeout time.Duration
	TransactionInactiveTimeout          time.Duration // 0 or the default: never
	MaxNoOfConcurrentOperations         uint64
	TLS
}

// MgmNode is an [ndb_mgmd] section.
type MgmNode struct {
	NodeID     int
	HostName   string
	DataDir    string
	PortNumber int
	TLS
}

// APIKind says which section an API slot came from.
type APIKind string

// API slot kinds.
const (
	KindMySQLD APIKind = "mysqld" // a SQL node
	KindAPI    APIKind = "api"    // any other API node
)

// APINode is a [mysqld] or [api] slot.
type APINode struct {
	Kind     APIKind
	NodeID   int
	HostName string // "": any host
	TLS
}

// TCP holds the parameters of a connection between two nodes.
type TCP struct {
	SendBufferMemory    uint64
	ReceiveBufferMemory uint64
}

// TCPLink is a [tcp] section: parameters for the connection between
// NodeID1 and NodeID2 (NodeID1 < NodeID2 once parsed).
type TCPLink struct {
	NodeID1 int
	NodeID2 int
	TCP
}

// DataNodeByID returns the data node with node id id.
func (c *Config) DataNodeByID(id int) (*DataNode, bool) {
	for i := range c.DataNodes {
		if c.DataNodes[i].NodeID == id {
			return &c.DataNodes[i], true
		}
	}
	return nil, false
}

// MgmNodeByID returns the management node with node id id.
func (c *Config) MgmNodeByID(id int) (*MgmNode, bool) {
	for i := range c.MgmNodes {
		if c.MgmNodes[i].NodeID == id {
			return &c.MgmNodes[i], true
		}
	}
	return nil, false
}

// APINodeByID returns the [mysqld] or [api] slot with node id id.
func (c *Config) APINodeByID(id int) (*APINode, bool) {
	for i := range c.APINodes {
		if c.APINodes[i].NodeID == id {
			return &c.APINodes[i], true
		}
	}
	return nil, false
}

// NodeGroups returns the data node ids of each node group, indexed by node
// group, each in node id order.
func (c *Config) NodeGroups() [][]int {
	var groups [][]int
	for _, d := range c.DataNodes {
		if d.NodeGroup < 0 || d.NodeGroup >= MaxDataNodeID {
			continue // invalid; Validate says so
		}
		for d.NodeGroup >= len(groups) {
			groups = append(groups, nil)
		}
		groups[d.NodeGroup] = append(groups[d.NodeGroup], d.NodeID)
	}
	return groups
}

// TCPFor returns the connection parameters between nodes a and b: their
// [tcp] section's when there is one, else [tcp default]'s.
func (c *Config) TCPFor(a, b int) TCP {
	if a > b {
		a, b = b, a
	}
	for _, l := range c.TCPLinks {
		if l.NodeID1 == a && l.NodeID2 == b {
			return l.TCP
		}
	}
	return c.TCP
}
