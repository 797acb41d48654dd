package state

import "fmt"

// NodeKind is what a node is. Stored as its name ("data", "mgm", "sql",
// "api"); the numbers are for callers that keep kinds in arrays and never
// reach etcd.
type NodeKind uint8

const (
	KindData NodeKind = 1
	KindMgm  NodeKind = 2
	KindSQL  NodeKind = 3
	KindAPI  NodeKind = 4
)

var kindNames = map[NodeKind]string{KindData: "data", KindMgm: "mgm", KindSQL: "sql", KindAPI: "api"}

func (k NodeKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("NodeKind(%d)", uint8(k))
}

// Section is the config.ini section that declares nodes of this kind.
func (k NodeKind) Section() string {
	switch k {
	case KindData:
		return "[ndbd]"
	case KindMgm:
		return "[ndb_mgmd]"
	case KindSQL:
		return "[mysqld]"
	case KindAPI:
		return "[api]"
	}
	return k.String()
}

func (k NodeKind) valid() bool { _, ok := kindNames[k]; return ok }

// MarshalText writes the kind's name.
func (k NodeKind) MarshalText() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("node kind %d: %w", uint8(k), ErrInvalidArgument)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads a kind's name.
func (k *NodeKind) UnmarshalText(b []byte) error {
	for v, n := range kindNames {
		if n == string(b) {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("unknown node kind %q", b)
}

// NodeState is where a node is in its life, as ndb_mgm shows it. Stored by
// name.
type NodeState uint8

const (
	StateNotConnected NodeState = 1
	StateStarting     NodeState = 2 // with a start phase
	StateStarted      NodeState = 3
	StateStopping     NodeState = 4
)

var stateNames = map[NodeState]string{
	StateNotConnected: "NOT_CONNECTED",
	StateStarting:     "STARTING",
	StateStarted:      "STARTED",
	StateStopping:     "STOPPING",
}

func (s NodeState) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("NodeState(%d)", uint8(s))
}

func (s NodeState) valid() bool { _, ok := stateNames[s]; return ok }

// MarshalText writes the state's name.
func (s NodeState) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("node state %d: %w", uint8(s), ErrInvalidArgument)
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText reads a state's name.
func (s *NodeState) UnmarshalText(b []byte) error {
	for v, n := range stateNames {
		if n == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown node state %q", b)
}
