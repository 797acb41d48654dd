package mgmapi

import "fmt"

// DefaultPort is the management server's port when a connect string names
// none (NDB's 1186).
const DefaultPort = 1186

// NodeType is what a node is. On the wire it is its name; the numbers are
// for callers that keep types in arrays and are never sent.
type NodeType uint8

const (
	TypeData NodeType = 1 // a data node, [ndbd]
	TypeMgm  NodeType = 2 // a management server, [ndb_mgmd]
	TypeSQL  NodeType = 3 // a SQL node, [mysqld]
	TypeAPI  NodeType = 4 // any other API node, [api]
)

var typeNames = [...]string{TypeData: "data", TypeMgm: "mgm", TypeSQL: "sql", TypeAPI: "api"}

// Valid reports whether t is one of the types above.
func (t NodeType) Valid() bool { return t >= TypeData && t <= TypeAPI }

func (t NodeType) String() string {
	if t.Valid() {
		return typeNames[t]
	}
	return fmt.Sprintf("NodeType(%d)", uint8(t))
}

// Section is the config.ini section that declares nodes of this type.
func (t NodeType) Section() string {
	switch t {
	case TypeData:
		return "[ndbd]"
	case TypeMgm:
		return "[ndb_mgmd]"
	case TypeSQL:
		return "[mysqld]"
	case TypeAPI:
		return "[api]"
	}
	return t.String()
}

// MarshalText writes the type's name.
func (t NodeType) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("mgmapi: node type %d has no name", uint8(t))
	}
	return []byte(typeNames[t]), nil
}

// UnmarshalText reads a type's name. A name it does not know (from a
// newer peer) reads as 0, which is not Valid.
func (t *NodeType) UnmarshalText(b []byte) error {
	*t = 0
	for v, n := range typeNames {
		if n != "" && n == string(b) {
			*t = NodeType(v)
		}
	}
	return nil
}

// NodeStatus is where a node is in its life, as ndb_mgm shows it.
type NodeStatus uint8

const (
	// StatusNotConnected: no process holds the node id.
	StatusNotConnected NodeStatus = 1
	// StatusNotStarted: a process holds the id but runs no database
	// (connected, or stopped by STOP and waiting for START).
	StatusNotStarted NodeStatus = 2
	// StatusStarting: the node is in a start phase (StartPhase says which).
	StatusStarting NodeStatus = 3
	// StatusStarted: the node is up.
	StatusStarted NodeStatus = 4
	// StatusStopping: the node is shutting down.
	StatusStopping NodeStatus = 5
)

var statusNames = [...]string{
	StatusNotConnected: "NOT_CONNECTED",
	StatusNotStarted:   "NOT_STARTED",
	StatusStarting:     "STARTING",
	StatusStarted:      "STARTED",
	StatusStopping:     "STOPPING",
}

// Valid reports whether s is one of the statuses above.
func (s NodeStatus) Valid() bool { return s >= StatusNotConnected && s <= StatusStopping }

func (s NodeStatus) String() string {
	if s.Valid() {
		return statusNames[s]
	}
	return fmt.Sprintf("NodeStatus(%d)", uint8(s))
}

// Words is the status as ndb_mgm prints it: "not connected", "not
// started", "starting", "started", "shutting down".
func (s NodeStatus) Words() string {
	switch s {
	case StatusNotConnected:
		return "not connected"
	case StatusNotStarted:
		return "not started"
	case StatusStarting:
		return "starting"
	case StatusStarted:
		return "started"
	case StatusStopping:
		return "shutting down"
	}
	return "unknown"
}

// MarshalText writes the status's name.
func (s NodeStatus) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("mgmapi: node status %d has no name", uint8(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText reads a status's name. A name it does not know (from a
// newer peer) reads as 0, which is not Valid and prints as "unknown".
func (s *NodeStatus) UnmarshalText(b []byte) error {
	*s = 0
	for v, n := range statusNames {
		if n != "" && n == string(b) {
			*s = NodeStatus(v)
		}
	}
	return nil
}

// CommandName is a command the management server routes to a node.
type CommandName string

const (
	// CmdStop: stop the database on the node. The node reports STOPPING,
	// then NOT_STARTED if its process stays up for a later START, or
	// releases its id and exits.
	CmdStop CommandName = "STOP"
	// CmdStart: start a node that is NOT_STARTED.
	CmdStart CommandName = "START"
	// CmdRestart: stop, then start again (Initial: discard the node's
	// files first; NoStart: stay NOT_STARTED after the stop).
	CmdRestart CommandName = "RESTART"
)

// Valid reports whether c is one of the commands above.
func (c CommandName) Valid() bool { return c == CmdStop || c == CmdStart || c == CmdRestart }

// EventType says what an Event on a subscription carries.
type EventType string

const (
	// EventSubscribed is the first event of every subscription: the
	// server has registered it, so commands will reach it from now on.
	EventSubscribed EventType = "subscribed"
	// EventCommand carries a Command addressed to the node.
	EventCommand EventType = "command"
	// EventConfig says a new configuration generation was stored; fetch
	// it with FetchConfig.
	EventConfig EventType = "config"
)

// Severity of a cluster log event, as NDB's cluster log names them.
type Severity string

const (
	SeverityInfo    Severity = "INFO"
	SeverityWarning Severity = "WARNING"
	SeverityAlert   Severity = "ALERT"
)
