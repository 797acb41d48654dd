package node

import (
	"errors"
	"fmt"
	"github.com/gondb/gondb/transport/inproc"
	"log/slog"
	"net"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/tcp"
)

// DataNode is one data node of the cluster as the others see it.
type DataNode struct {
	ID signal.NodeID
	// Addr is host:port of its transporter. Needed for every data node this
	// node dials (the lower ids); may be empty for the others.
	Addr string
}

// ExtraBlock places one more block instance on one of the node's threads.
// It is how blocks that are not yet part of blockPlacements (the GCP block,
// test blocks) join a node.
type ExtraBlock struct {
	// Kind and Index name the thread: thread.KindLDM, KindTC or KindMain,
	// and which thread of that kind (0-based). The main thread exists
	// whether or not the ThreadConfig lists it, as in NDB.
	Kind  string
	Index int
	// ID and Instance are the block's address on the node.
	ID       signal.BlockID
	Instance uint16
	// New builds the block once the node's DataMemory and distribution
	// exist, before any thread runs. A block that implements Closer is
	// closed by Stop after the threads stopped.
	New func(n *Node) (block.Block, error)
}

// Closer is implemented by blocks that hold resources to free at Stop.
type Closer interface{ Close() error }

// Config configures a data node. It is read-only once passed to Start.
type Config struct {
	// NodeID is this node's id; it must be in DataNodes.
	NodeID signal.NodeID
	// DataNodes lists every data node of the cluster, this one included,
	// in node-group order: each run of NoOfReplicas consecutive nodes is
	// one node group (partition.FormNodeGroups).
	DataNodes []DataNode
	// APINodes are the node ids of the API slots ([api], [mysqld]) that may
	// connect to this node.
	APINodes []signal.NodeID
	// Listen is the transporter's listen address; "" means this node's
	// Addr in DataNodes. Port 0 picks a free port (Node.Addr reports it).
	Listen string
	// NoOfReplicas is the number of replicas of every fragment (1..4).
	NoOfReplicas int
	// PartitionsPerNode: every table has PartitionsPerNode × data nodes
	// fragments (RonDB's rule).
	PartitionsPerNode int
	// DataMemory is the size of the row memory pool in bytes.
	DataMemory int64
	// Prefault touches all of DataMemory at start (production: page faults
	// never stall an LDM thread later; costs about a second per GiB).
	Prefault bool
	// ThreadConfig in NDB's syntax; "" runs DefaultThreads.
	ThreadConfig string
	// DeadlockTimeout is TC's TransactionDeadlockDetectionTimeout.
	DeadlockTimeout time.Duration
	// InactiveTimeout is TC's TransactionInactiveTimeout (0: never).
	InactiveTimeout time.Duration
	// EpochInterval is TimeBetweenEpochs: how often the master starts a
	// global checkpoint round (default 100 ms).
	EpochInterval time.Duration
	// MaxOperations caps one transaction's operations (until LQH keeps a
	// per-node pool of operation records: MaxNoOfConcurrentOperations).
	MaxOperations int
	// Network, when set, connects the node through this in-process network
	// (transport/inproc) instead of TCP: several nodes and API clients in
	// one process, for tests and benchmarks. Listen, TLS and heartbeats do
	// not apply.
	Network *inproc.Network
	// TLS names the node's certificate, key and cluster CA; all empty:
	// plain TCP.
	TLS transport.TLSFiles
	// SendBufferBytes bounds each peer's send queue (SendBufferMemory).
	SendBufferBytes int
	// HeartbeatInterval is the transporter's heartbeat; every node of a
	// cluster, API nodes included, must use the same.
	HeartbeatInterval time.Duration
	// TickInterval is how often blocks' Tick runs, and so the latency of Do.
	TickInterval time.Duration
	// Tables are created at start, empty, with this node's replicas of
	// their fragments.
	Tables []*schema.Table
	// ExtraBlocks join blockPlacements' blocks.
	ExtraBlocks []ExtraBlock
	// Durability (durable.go). FileSystem is the directory of the node's
	// redo log, sysfile and local checkpoints ("": diskless, nothing
	// survives a stop).
	FileSystem string
	// Initial wipes FileSystem first (--initial); otherwise a FileSystem
	// with a sysfile is restored (a system restart).
	Initial bool
	// RestoreGCI is the GCI the cluster agreed to restore in a system
	// restart: the highest of the data nodes' sysfiles (DiskGCI). A node
	// whose own sysfile is older replays its redo log up to it; that is
	// safe because no sysfile records a GCI before every node synced its
	// redo log up to it (gcp/save.go). 0 (or lower than the node's own):
	// the node's own sysfile's GCI.
	RestoreGCI uint64
	// Redo log: NoOfFragmentLogParts parts, each a ring of
	// NoOfFragmentLogFiles files of FragmentLogFileSize bytes, with
	// RedoBuffer bytes of buffer per part.
	RedoParts, RedoFiles     int
	RedoFileSize, RedoBuffer int64
	// SaveInterval is TimeBetweenGlobalCheckPoints: how often the last
	// complete epoch is made durable (default 2 s).
	SaveInterval time.Duration
	// CompressedLCP compresses local checkpoint files with zstd.
	CompressedLCP bool
	// OnlineLCP runs local checkpoints while the node runs (the LQH's
	// Tick, lqh/lcp.go), which release the redo log behind them; without
	// them the redo log only empties at a restart.
	OnlineLCP bool
	// LCPMaxBytesPerSec bounds the table data an LCP writes per second
	// (0: unlimited); MaxDiskWriteSpeed. LCPMinBytesPerSec is the speed
	// while the redo log has room (MinDiskWriteSpeed; lqh.LCPConfig says
	// how the speed adapts between them; 0: always the maximum).
	LCPMaxBytesPerSec, LCPMinBytesPerSec int64
	// LCPRedoTrigger starts an LCP round when a redo part is this full
	// (0 < x < 0.85, the fill at which writes are refused with 410).
	LCPRedoTrigger float64
	// TimeBetweenLocalCheckpoints (NDB's, 0..31): a round also starts once
	// 4 * 2^x bytes of redo were written since the last one started.
	TimeBetweenLocalCheckpoints int
	// Membership configures heartbeats, failure detection and arbitration
	// between the data nodes (membership.go).
	Membership Membership
	// Logger; nil: slog.Default().
	Logger *slog.Logger
}

// DefaultThreads is the thread layout without a ThreadConfig: one LDM
// thread (LQH) and one TC thread, so TC's work never queues behind row
// operations, on any number of CPUs.
const DefaultThreads = "ldm={count=1},tc={count=1}"

// DefaultConfig returns production defaults; set NodeID, DataNodes,
// APINodes and Tables.
func DefaultConfig() Config {
	tcpDef := tcp.DefaultConfig()
	return Config{
		// Two copies survive any single node failure (NDB's default).
		NoOfReplicas: 2,
		// RonDB's default: primaries spread over a node's LDM threads
		// without many small fragments.
		PartitionsPerNode: 2,
		// config.ini's DataMemory default.
		DataMemory: 98 << 20,
		Prefault:   true,
		// NDB's TransactionDeadlockDetectionTimeout default.
		DeadlockTimeout: 1200 * time.Millisecond,
		EpochInterval:   100 * time.Millisecond,
		// NDB's MaxNoOfConcurrentOperations default.
		MaxOperations:     32 << 10,
		SendBufferBytes:   tcpDef.SendBufferBytes,
		HeartbeatInterval: tcpDef.HeartbeatInterval,
		// Millisecond-scale timers, cheap when idle (sched's default).
		TickInterval: 10 * time.Millisecond,
		// NDB's defaults: 4 parts x 16 files x 16 MiB, 32 MiB buffers.
		RedoParts: 4, RedoFiles: 16, RedoFileSize: 16 << 20, RedoBuffer: 32 << 20,
		SaveInterval:  2 * time.Second,
		CompressedLCP: true,
		OnlineLCP:     true,
		// 64 MiB/s of table data; NDB's default of 20: 4 MiB of redo.
		LCPMaxBytesPerSec: 64 << 20, LCPMinBytesPerSec: 10 << 20, LCPRedoTrigger: 0.25, TimeBetweenLocalCheckpoints: 20,
	}
}

// DefaultTestConfig is DefaultConfig for tests on one machine: 16 MiB of
// DataMemory not prefaulted (many nodes start in one process), loopback
// addresses, quiet logs, a 1 ms tick so Do answers fast.
func DefaultTestConfig() Config {
	c := DefaultConfig()
	c.DataMemory = 16 << 20
	c.Prefault = false
	c.TickInterval = time.Millisecond
	c.Logger = slog.New(slog.DiscardHandler)
	// A small redo log (when FileSystem is set): 4 parts x 4 x 1 MiB.
	c.RedoFiles, c.RedoFileSize, c.RedoBuffer = 4, 1<<20, 1<<20
	c.SaveInterval = 100 * time.Millisecond
	return c
}

// ErrConfig wraps every problem Validate reports.
var ErrConfig = errors.New("node: invalid configuration")

// Validate reports the first problem with c. It never changes c.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	if c.NodeID == 0 || c.NodeID > signal.MaxNodeID {
		return bad("NodeID %d not in 1..%d", c.NodeID, signal.MaxNodeID)
	}
	if c.NoOfReplicas < 1 || c.NoOfReplicas > partition.MaxReplicas {
		return bad("NoOfReplicas %d not in 1..%d", c.NoOfReplicas, partition.MaxReplicas)
	}
	seen := map[signal.NodeID]string{}
	self := false
	for _, d := range c.DataNodes {
		if d.ID == 0 || d.ID > signal.MaxNodeID {
			return bad("data node id %d not in 1..%d", d.ID, signal.MaxNodeID)
		}
		if _, dup := seen[d.ID]; dup {
			return bad("node %d listed twice", d.ID)
		}
		seen[d.ID] = "data node"
		if d.ID == c.NodeID {
			self = true
			if c.Network == nil && c.Listen == "" && d.Addr == "" {
				return bad("node %d has neither Listen nor an address in DataNodes", d.ID)
			}
		} else if c.Network == nil && d.ID < c.NodeID && d.Addr == "" {
			return bad("data node %d has no address; this node (%d) dials it (a dynamic ServerPort needs the management node, not there yet)", d.ID, c.NodeID)
		}
		if d.Addr != "" {
			if _, _, err := net.SplitHostPort(d.Addr); err != nil {
				return bad("data node %d address %q: %v", d.ID, d.Addr, err)
			}
		}
	}
	if !self {
		return bad("node %d is not in DataNodes", c.NodeID)
	}
	if n := len(c.DataNodes); n%c.NoOfReplicas != 0 {
		return bad("%d data nodes cannot form node groups of NoOfReplicas=%d", n, c.NoOfReplicas)
	}
	for _, id := range c.APINodes {
		if id == 0 || id > signal.MaxNodeID {
			return bad("API node id %d not in 1..%d", id, signal.MaxNodeID)
		}
		if what, dup := seen[id]; dup {
			return bad("API node %d is also a %s", id, what)
		}
		seen[id] = "API node"
	}
	switch {
	case c.PartitionsPerNode < 1:
		return bad("PartitionsPerNode %d must be positive", c.PartitionsPerNode)
	case c.DataMemory < 1<<20:
		return bad("DataMemory %d bytes is below 1 MiB", c.DataMemory)
	case c.DeadlockTimeout <= 0:
		return bad("DeadlockTimeout %v must be positive", c.DeadlockTimeout)
	case c.MaxOperations < 1:
		return bad("MaxOperations %d must be positive", c.MaxOperations)
	case c.SendBufferBytes <= 0:
		return bad("SendBufferBytes %d must be positive", c.SendBufferBytes)
	case c.HeartbeatInterval <= 0:
		return bad("HeartbeatInterval %v must be positive", c.HeartbeatInterval)
	case c.TickInterval <= 0:
		return bad("TickInterval %v must be positive", c.TickInterval)
	}
	if c.FileSystem != "" {
		switch {
		case c.RedoParts < 1 || c.RedoParts > 32:
			return bad("NoOfFragmentLogParts %d not in 1..32", c.RedoParts)
		case c.SaveInterval <= 0:
			return bad("TimeBetweenGlobalCheckPoints %v must be positive", c.SaveInterval)
		case c.OnlineLCP && (c.LCPRedoTrigger <= 0 || c.LCPRedoTrigger >= 0.85):
			return bad("LCPRedoTrigger %v not in (0, 0.85)", c.LCPRedoTrigger)
		case c.LCPMaxBytesPerSec < 0 || c.LCPMinBytesPerSec < 0:
			return bad("LCP speeds %d..%d: negative", c.LCPMinBytesPerSec, c.LCPMaxBytesPerSec)
		case c.TimeBetweenLocalCheckpoints < 0 || c.TimeBetweenLocalCheckpoints > 31:
			return bad("TimeBetweenLocalCheckpoints %d not in 0..31", c.TimeBetweenLocalCheckpoints)
		}
		rc := redo.Config{Dir: c.FileSystem, Files: c.RedoFiles, FileSize: c.RedoFileSize, BufferSize: int(c.RedoBuffer)}
		if err := rc.Validate(); err != nil {
			return bad("redo log: %v", err)
		}
	}
	if c.ThreadConfig != "" {
		tc, err := thread.ParseThreadConfig(c.ThreadConfig)
		if err == nil {
			err = tc.Validate()
		}
		if err != nil {
			return bad("ThreadConfig: %v", err)
		}
	}
	tables := map[uint32]string{}
	for _, t := range c.Tables {
		if t == nil {
			return bad("nil table")
		}
		if err := t.Validate(); err != nil {
			return bad("%v", err)
		}
		if other, dup := tables[t.ID]; dup {
			return bad("tables %s and %s have the same id %d", other, t.Name, t.ID)
		}
		tables[t.ID] = t.Name
	}
	for _, e := range c.ExtraBlocks {
		if e.New == nil {
			return bad("extra block %d.%d has no New", e.ID, e.Instance)
		}
		if e.ID == execBlockID {
			return bad("extra block id %d is the node's own (Do)", e.ID)
		}
	}
	return nil
}

// threadConfig returns the parsed ThreadConfig (DefaultThreads when
// none is set). Validate has checked it.
func (c *Config) threadConfig() (thread.ThreadConfig, error) {
	s := c.ThreadConfig
	if s == "" {
		s = DefaultThreads
	}
	return thread.ParseThreadConfig(s)
}
