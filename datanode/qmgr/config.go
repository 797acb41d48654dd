package qmgr

import (
	"errors"
	"fmt"
	"time"

	"github.com/gondb/gondb/signal"
)

// Config configures one data node's QMGR. It is read-only after New.
type Config struct {
	// Node is this data node.
	Node signal.NodeID
	// StartID tells this start of the node from its earlier ones: it must
	// differ at every start (the runtime uses its start time in
	// nanoseconds, or a counter kept in the file system). A member of the
	// view whose node asks to join with another StartID has restarted, so
	// its old incarnation is failed first.
	StartID uint64
	// DataNodes are every data node of the configuration.
	DataNodes []signal.NodeID
	// NodeGroups are the configured node groups (each NoOfReplicas data
	// nodes); every data node is in exactly one.
	NodeGroups [][]signal.NodeID
	// Generation numbers the cluster's system starts (the start phases
	// raise it when a founder starts a new cluster, and every node of the
	// cluster has the same). View numbers start again at 1 in every
	// generation, so arbitration requests carry it.
	Generation uint64
	// Founder: this node starts a new cluster, alone in view 1, and the
	// others join it. The start phases choose one founder per system
	// start (NDB elects the president the same way); every other start,
	// and every restart, joins a running cluster with CM_REGREQ.
	Founder bool

	// HeartbeatIntervalDbDb is the time between heartbeats to the right
	// neighbour; a node whose left neighbour misses MissedHeartbeats of
	// them in a row takes it for failed. NDB's default is 5000 ms.
	HeartbeatIntervalDbDb time.Duration
	// HeartbeatIntervalDbApi is how often API nodes send API_REGREQ; an API
	// node missing MissedHeartbeats in a row is failed. NDB's default
	// 1500 ms.
	HeartbeatIntervalDbApi time.Duration
	// MissedHeartbeats is how many intervals in a row a node may miss
	// before it is declared dead: 4, as NDB ("missed heartbeat 4 ...
	// declared dead"). A view change round waits as long for an answer.
	MissedHeartbeats int

	// Arbitration is the arbitration mode (Default, Disabled,
	// WaitExternal).
	Arbitration ArbitrationMode
	// ArbitrationTimeout is how long a side waits for the arbitrator's
	// verdict (NDB's default 7500 ms).
	ArbitrationTimeout time.Duration
	// Arbitrator decides partitions in the Default and WaitExternal
	// modes. nil: none reachable (Default then loses every Partitioning;
	// WaitExternal waits ArbitrationTimeout and goes on).
	Arbitrator Arbitrator

	// Local are the blocks of this node told of failures: NODE_FAILREP,
	// NODE_INCLREP and API_FAILREQ (TC, LQH, DIH and GCP instances).
	Local []Local
	// OnEvent, if set, is called on the block's thread for every event:
	// view changes, suspicions, arbitration, API failures and the
	// shutdown, which the runtime must act on (stop the node). It must
	// not block and must not call back into the block.
	OnEvent func(Event)
}

// Local is one local block that QMGR informs.
type Local struct {
	Addr signal.Address
	// Acks: the block answers NODE_FAILREP with NF_COMPLETEREP and
	// API_FAILREQ with API_FAILCONF once it has cleaned up after the
	// failed node; until every such block has, the failed data node is
	// not admitted again and the API node cannot register again.
	Acks bool
	// Lease: the block serves reads and takes LEASE_ORD, the end of this
	// node's read lease (LQH).
	Lease bool
}

// DefaultConfig returns NDB's defaults; the caller sets the node, the
// start id, the data nodes and groups, the founder, the arbitrator and
// the local blocks.
func DefaultConfig() Config {
	return Config{
		// NDB's default since 7.2: a data node is declared dead after
		// 4 x 5 s = 20 s of silence, long enough to ride out a GC pause
		// or a busy host, short enough for a carrier's failover goal.
		HeartbeatIntervalDbDb: 5000 * time.Millisecond,
		// API nodes are cheaper to lose and reconnect: 4 x 1.5 s.
		HeartbeatIntervalDbApi: 1500 * time.Millisecond,
		MissedHeartbeats:       4,
		Arbitration:            ArbitrationDefault,
		// NDB's default: an etcd lease round trip takes milliseconds,
		// but a management node being restarted takes seconds.
		ArbitrationTimeout: 7500 * time.Millisecond,
	}
}

// DefaultTestConfig returns timings for the simulator (10 ms ticks): a
// node is declared dead after 400 ms.
func DefaultTestConfig() Config {
	c := DefaultConfig()
	c.HeartbeatIntervalDbDb = 100 * time.Millisecond
	c.HeartbeatIntervalDbApi = 100 * time.Millisecond
	c.ArbitrationTimeout = 300 * time.Millisecond
	return c
}

// Validate reports everything wrong with c. It never changes c.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("qmgr: "+format, a...)) }
	if c.Node == 0 || c.Node > signal.MaxNodeID {
		bad("node id %d out of range 1..%d", c.Node, signal.MaxNodeID)
	}
	if c.StartID == 0 {
		bad("StartID must not be 0")
	}
	var data, grouped NodeSet
	for _, n := range c.DataNodes {
		if n == 0 || n > signal.MaxNodeID || data.Has(n) {
			bad("data node %d repeated or out of range", n)
		}
		data.Add(n)
	}
	if !data.Has(c.Node) {
		bad("node %d is not among the data nodes %v", c.Node, c.DataNodes)
	}
	for i, g := range c.NodeGroups {
		if len(g) == 0 {
			bad("node group %d is empty", i)
		}
		for _, n := range g {
			if !data.Has(n) || grouped.Has(n) {
				bad("node group %d: node %d is not a data node or is in two groups", i, n)
			}
			grouped.Add(n)
		}
	}
	if grouped != data {
		bad("data nodes %v are in no node group", data.Minus(grouped))
	}
	if c.HeartbeatIntervalDbDb <= 0 || c.HeartbeatIntervalDbApi <= 0 {
		bad("heartbeat intervals must be positive (DbDb %v, DbApi %v)", c.HeartbeatIntervalDbDb, c.HeartbeatIntervalDbApi)
	}
	if c.MissedHeartbeats < 2 {
		bad("MissedHeartbeats %d must be at least 2", c.MissedHeartbeats)
	}
	if c.Arbitration > ArbitrationWaitExternal {
		bad("unknown arbitration mode %d", c.Arbitration)
	}
	if c.ArbitrationTimeout <= 0 {
		bad("ArbitrationTimeout %v must be positive", c.ArbitrationTimeout)
	}
	for _, l := range c.Local {
		if l.Addr.Node != 0 && l.Addr.Node != c.Node {
			bad("local block %v is on another node", l.Addr)
		}
	}
	return errors.Join(errs...)
}
