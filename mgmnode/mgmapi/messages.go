package mgmapi

import "time"

// The messages of the Management service. Field tags are the wire names;
// docs/mgmapi.md documents each. A new field must be optional: an older
// peer ignores it, and a newer peer must cope with its absence.

// Empty is the reply of calls that return nothing but success.
type Empty struct{}

// AllocNodeIDRequest asks for a node id. NodeID 0 asks for any free slot
// of the type (open to the caller's host); otherwise exactly that id,
// which the config must declare with the caller's type and host.
type AllocNodeIDRequest struct {
	Type   NodeType `json:"type"`
	NodeID uint32   `json:"nodeId,omitempty"`
	// Version is the caller's software version, shown by SHOW.
	Version string `json:"version,omitempty"`
	PID     int    `json:"pid,omitempty"`
	// Hostname is the caller's own host name, for logs only: slots are
	// matched against the address the connection comes from.
	Hostname string `json:"hostname,omitempty"`
	// Status and StartPhase are what to register the node as: absent for
	// a process that starts (NOT_STARTED); a node claiming its id again
	// after its lease expired gives the status it is in.
	Status     NodeStatus `json:"status,omitempty"`
	StartPhase int        `json:"startPhase,omitempty"`
}

// AllocNodeIDReply grants a node id. The id is held while the node
// heartbeats at least every LeaseTTLMillis; NodeRef{NodeID, Lease} names
// the grant in every later call, to any management server of the cluster.
type AllocNodeIDReply struct {
	NodeID uint32 `json:"nodeId"`
	Lease  int64  `json:"lease"`
	// Host is the address the server saw the connection come from; SHOW
	// prints it after '@'.
	Host string `json:"host"`
	// HeartbeatMillis is how often the node should heartbeat.
	HeartbeatMillis uint32 `json:"heartbeatMillis"`
	// LeaseTTLMillis is how long the id outlives the last heartbeat.
	LeaseTTLMillis   uint32 `json:"leaseTtlMillis"`
	ConfigGeneration uint64 `json:"configGeneration"`
	// MgmNodeID is the answering management server's node id.
	MgmNodeID uint32 `json:"mgmNodeId"`
}

// NodeRef names a node id held by a process: the id and the lease the
// grant returned. Every call that speaks for a node carries it, and a
// server refuses a ref whose lease does not hold that id.
type NodeRef struct {
	NodeID uint32 `json:"nodeId"`
	Lease  int64  `json:"lease"`
}

// FetchConfigRequest asks for the stored configuration.
type FetchConfigRequest struct{}

// ConfigReply is the configuration as stored: config.ini text and its
// generation (1 for the first stored, +1 for each change).
type ConfigReply struct {
	Text       string `json:"text"`
	Generation uint64 `json:"generation"`
}

// SetConfigRequest stores Text as the next configuration generation if
// the stored one is still ExpectGeneration (CodeConflict otherwise). The
// text must parse and validate (CodeInvalid with every problem otherwise).
type SetConfigRequest struct {
	Text             string `json:"text"`
	ExpectGeneration uint64 `json:"expectGeneration"`
}

// StateReport is a node telling where it is. The server records it in the
// node registry (every management server sees it).
type StateReport struct {
	Node   NodeRef    `json:"node"`
	Status NodeStatus `json:"status"`
	// StartPhase is the start phase last completed, with StatusStarting.
	StartPhase int `json:"startPhase,omitempty"`
}

// MemoryUsage is one memory resource of a data node, as it reports it:
// Used and Total in units of PageSize bytes (bytes when PageSize is 0).
type MemoryUsage struct {
	// Resource names it: "Data" (DataMemory), "Index" (hash indexes), ...
	Resource string `json:"resource"`
	Used     uint64 `json:"used"`
	Total    uint64 `json:"total"`
	PageSize uint32 `json:"pageSize,omitempty"`
}

// HeartbeatRequest keeps a node's id held and carries the figures the node
// reports continuously. Send it every AllocNodeIDReply.HeartbeatMillis.
type HeartbeatRequest struct {
	Node NodeRef `json:"node"`
	// Memory is the node's memory usage now (data nodes).
	Memory []MemoryUsage `json:"memory,omitempty"`
	// Master: the node is the cluster's president (data nodes); SHOW marks
	// it with '*'.
	Master bool `json:"master,omitempty"`
	// Port is the node's transporter port when it chose one at start
	// (ServerPort=0), so that other nodes can find it.
	Port uint16 `json:"port,omitempty"`
	// RestorableGCI is set by a data node while it starts: the GCI its own
	// disk can restore (its sysfile's; 0: none). The data nodes of a
	// cluster restart read each other's here and all restore the highest.
	RestorableGCI *uint64 `json:"restorableGci,omitempty"`
	// RestorableNodes goes with RestorableGCI: the data nodes whose disks
	// restore that GCI, as its sysfile records them (those that synced its
	// save; 8 words, node n at bit n%32 of word n/32). Empty: not
	// recorded, every node. A node left out joins by a node restart.
	RestorableNodes []uint32 `json:"restorableNodes,omitempty"`
	// NodeRestart is set by a data node while a node restart copies its
	// replicas from the live ones (absent otherwise).
	NodeRestart *NodeRestartProgress `json:"nodeRestart,omitempty"`
}

// NodeRestartProgress is how far a data node's node restart got: the
// step (datanode/restart's names: "asking", "emptying", "including",
// "joining", "copying", "finishing") and, from "copying" on, the
// fragments copied of those to copy and the rows copied.
type NodeRestartProgress struct {
	Step            string `json:"step"`
	FragmentsCopied int    `json:"fragmentsCopied,omitempty"`
	Fragments       int    `json:"fragments,omitempty"`
	RowsCopied      uint64 `json:"rowsCopied,omitempty"`
}

// HeartbeatReply answers a heartbeat.
type HeartbeatReply struct {
	// ConfigGeneration is the stored configuration's generation; a node
	// that missed an EventConfig notices here.
	ConfigGeneration uint64 `json:"configGeneration"`
}

// Event is one message on a node's subscription.
type Event struct {
	// Seq numbers the events of one subscription from 1.
	Seq  uint64    `json:"seq"`
	Type EventType `json:"type"`
	// Command is set with EventCommand.
	Command *Command `json:"command,omitempty"`
	// ConfigGeneration is set with EventConfig (and EventSubscribed).
	ConfigGeneration uint64 `json:"configGeneration,omitempty"`
}

// Command is an order for a node. The node acts on it and reports its new
// states; the management server does not track the command itself.
type Command struct {
	Name CommandName `json:"name"`
	// Initial (RESTART -i): discard the node's files, restart from the
	// other replicas.
	Initial bool `json:"initial,omitempty"`
	// NoStart (RESTART -n): stop and stay NOT_STARTED until START.
	NoStart bool `json:"noStart,omitempty"`
	// Abort (STOP -a, RESTART -a): stop at once, without a graceful
	// shutdown.
	Abort bool `json:"abort,omitempty"`
	// Shutdown (a STOP sent by SHUTDOWN): after stopping, the node's
	// process exits instead of waiting for START.
	Shutdown bool `json:"shutdown,omitempty"`
	// From says who asked (the management client's address), for logs.
	From string `json:"from,omitempty"`
}

// StatusRequest asks for every configured node's status.
type StatusRequest struct {
	// Local: only what this server knows by itself, without asking the
	// other management servers (what one server asks another).
	Local bool `json:"local,omitempty"`
}

// StatusReply is the cluster as the management servers see it.
type StatusReply struct {
	ConfigGeneration uint64 `json:"configGeneration"`
	// MgmNodeID is the answering server's node id.
	MgmNodeID uint32     `json:"mgmNodeId"`
	Nodes     []NodeInfo `json:"nodes"`
	// Rolling is the latest rolling restart any management server ran or
	// runs (absent when none has since it started).
	Rolling *RollingRestart `json:"rolling,omitempty"`
}

// NodeInfo is one configured node in a StatusReply, in node id order.
type NodeInfo struct {
	NodeID uint32   `json:"nodeId"`
	Type   NodeType `json:"type"`
	// ConfigHost is the HostName the config gives ("": any host).
	ConfigHost string `json:"configHost,omitempty"`
	// Host is the address the node connected from (when connected).
	Host   string     `json:"host,omitempty"`
	Status NodeStatus `json:"status"`
	// StartPhase is the last completed start phase while STARTING.
	StartPhase int `json:"startPhase,omitempty"`
	// NodeGroup is the data node's node group; -1 for other types.
	NodeGroup int    `json:"nodeGroup"`
	Version   string `json:"version,omitempty"`
	PID       int    `json:"pid,omitempty"`
	// Master, Memory and Port are what the node last reported in a
	// heartbeat (data nodes); empty when no management server has a
	// heartbeat from it.
	Master bool          `json:"master,omitempty"`
	Memory []MemoryUsage `json:"memory,omitempty"`
	Port   uint16        `json:"port,omitempty"`
	// RestorableGCI and RestorableNodes are HeartbeatRequest's.
	RestorableGCI   *uint64  `json:"restorableGci,omitempty"`
	RestorableNodes []uint32 `json:"restorableNodes,omitempty"`
	// NodeRestart is HeartbeatRequest.NodeRestart, while the node is
	// STARTING.
	NodeRestart *NodeRestartProgress `json:"nodeRestart,omitempty"`
	// LastHeartbeat is when a management server last heard from the node.
	LastHeartbeat time.Time `json:"lastHeartbeat,omitzero"`
}

// CommandRequest sends a command to data nodes.
type CommandRequest struct {
	Command Command `json:"command"`
	// NodeIDs are the targets; empty means every data node of the config
	// (ndb_mgm's ALL).
	NodeIDs []uint32 `json:"nodeIds,omitempty"`
	// WaitMillis > 0: answer once every target reached the command's goal
	// (STOP: not started or gone; START: started; RESTART: started again,
	// or not started with NoStart), or after this long.
	WaitMillis uint32 `json:"waitMillis,omitempty"`
	// Forwarded: sent by another management server; deliver only to nodes
	// subscribed here, never forward again.
	Forwarded bool `json:"forwarded,omitempty"`
	// Follow: when the command becomes a rolling restart (RESTART of every
	// data node with NodeFailover on), answer as soon as it began, with
	// CommandReply.Rolling; the caller follows it through
	// StatusReply.Rolling. Without Follow the answer waits for the whole
	// rolling restart (each node bounded by WaitMillis).
	Follow bool `json:"follow,omitempty"`
}

// CommandReply has one result per target, in the order asked.
type CommandReply struct {
	Results []CommandResult `json:"results"`
	// Rolling is set when the command is a rolling restart: its state
	// when the server answered.
	Rolling *RollingRestart `json:"rolling,omitempty"`
	// Note says how the server carried the command out when that is not
	// obvious (RESTART of every data node as a system restart, and why).
	Note string `json:"note,omitempty"`
}

// RollingRestart is a rolling restart run by a management server: the
// data nodes are restarted one at a time, each only once every other node
// of its node group is STARTED, and the next only once it is STARTED
// again (its node restart copied its replicas), so that no node group is
// ever without a live node.
type RollingRestart struct {
	// ID tells one rolling restart from another of the same server (the
	// time it began, in Unix nanoseconds).
	ID uint64 `json:"id"`
	// MgmNodeID is the management server running it.
	MgmNodeID uint32 `json:"mgmNodeId"`
	// Command is what each node is sent (RESTART, with -i or -a).
	Command Command   `json:"command"`
	Began   time.Time `json:"began"`
	// Ended is zero while it runs.
	Ended time.Time `json:"ended,omitzero"`
	// Nodes are the data nodes in the order they are restarted.
	Nodes []RollingNode `json:"nodes"`
	// Error says why it stopped before the end ("" when it did not).
	Error string `json:"error,omitempty"`
}

// Running reports whether the rolling restart has not ended.
func (r *RollingRestart) Running() bool { return r.Ended.IsZero() }

// RollingNode is one data node of a rolling restart.
type RollingNode struct {
	NodeID    uint32       `json:"nodeId"`
	NodeGroup int          `json:"nodeGroup"`
	State     RollingState `json:"state"`
	// Began and Ended bound its restart (from the RESTART sent to
	// STARTED again); zero until then.
	Began time.Time `json:"began,omitzero"`
	Ended time.Time `json:"ended,omitzero"`
	// Note says why a node was skipped or failed.
	Note string `json:"note,omitempty"`
}

// RollingState is where a node is in a rolling restart. It travels as
// its text; a reader keeps a state it does not know as it is.
type RollingState string

const (
	RollingWaiting    RollingState = "waiting"    // not yet restarted
	RollingRestarting RollingState = "restarting" // RESTART sent, not STARTED again yet
	RollingStarted    RollingState = "started"    // restarted and STARTED again
	RollingSkipped    RollingState = "skipped"    // not restarted: not connected or not started
	RollingFailed     RollingState = "failed"     // did not get back to STARTED in time, or was not reached
)

// CommandResult is what became of a command for one node.
type CommandResult struct {
	NodeID uint32 `json:"nodeId"`
	// Delivered: the node's subscription got the command.
	Delivered bool `json:"delivered"`
	// Done: the node reached the goal within WaitMillis.
	Done bool `json:"done,omitempty"`
	// Status and StartPhase are the node's status when the server answered.
	Status     NodeStatus `json:"status,omitempty"`
	StartPhase int        `json:"startPhase,omitempty"`
	// Error says why the command was not delivered (or failed).
	Error string `json:"error,omitempty"`
}

// ShutdownRequest stops every data node, then every management server
// (ndb_mgm's SHUTDOWN). API and SQL nodes are left alone.
type ShutdownRequest struct {
	// WaitMillis bounds the wait for the data nodes to stop.
	WaitMillis uint32 `json:"waitMillis,omitempty"`
	// Forwarded: sent by another management server; stop this server
	// only.
	Forwarded bool `json:"forwarded,omitempty"`
}

// ShutdownReply says what was stopped.
type ShutdownReply struct {
	DataNodes []uint32 `json:"dataNodes,omitempty"` // data nodes that stopped
	MgmNodes  []uint32 `json:"mgmNodes,omitempty"`  // management servers that are stopping
	Errors    []string `json:"errors,omitempty"`
}

// ClusterLogRequest asks for the last Max events of the server's cluster
// log (0: all it keeps).
type ClusterLogRequest struct {
	Max int `json:"max,omitempty"`
}

// ClusterLogReply holds events oldest first.
type ClusterLogReply struct {
	Events []LogEvent `json:"events"`
}

// LogEvent is one cluster log line.
type LogEvent struct {
	Time     time.Time `json:"time"`
	Severity Severity  `json:"severity"`
	// Category as NDB's: "StartUp", "Connection", "NodeRestart",
	// "Configuration", "Arbitration", "Command".
	Category string `json:"category"`
	// NodeID is the node the event is about (0: the cluster).
	NodeID uint32 `json:"nodeId,omitempty"`
	Text   string `json:"text"`
}

// ArbitrateRequest is one side of a split cluster asking to go on; see
// state.Store.Arbitrate for the rules.
type ArbitrateRequest struct {
	Ticket    uint64   `json:"ticket"`
	Requester uint32   `json:"requester"`
	SideNodes []uint32 `json:"sideNodes"`
}

// ArbitrateReply answers it. Only Granted lets the side go on.
type ArbitrateReply struct {
	Granted bool `json:"granted"`
	// Reason says why not, when refused.
	Reason string `json:"reason,omitempty"`
}
