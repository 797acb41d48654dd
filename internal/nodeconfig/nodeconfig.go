package nodeconfig

import (
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strconv"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
)

// DataNode returns the node.Config of data node nodeID in cfg, a parsed
// and validated config.ini:
//
//   - DataNodes in node-group order (cfg.NodeGroups), each at
//     HostName:ServerPort; a node with ServerPort 0 has no known address,
//     which node.Config.Validate refuses for a node this one dials (dynamic
//     ports need the management node to publish them);
//   - this node listens on its HostName:ServerPort (0: a free port);
//   - APINodes are every [api] and [mysqld] slot;
//   - ThreadConfig, or, when unset, thread.DefaultThreadConfig of
//     MaxNoOfExecutionThreads CPUs;
//   - TLS files when RequireTls is set;
//   - SendBufferBytes is the largest SendBufferMemory of the node's
//     connections (the transporter has one limit for all peers).
//
// Tables are left empty: they come from the dictionary.
func DataNode(cfg *config.Config, nodeID int) (node.Config, error) {
	self, ok := cfg.DataNodeByID(nodeID)
	if !ok {
		return node.Config{}, fmt.Errorf("%w: node %d is not a data node of the configuration", node.ErrConfig, nodeID)
	}
	c := node.DefaultConfig()
	c.NodeID = signal.NodeID(nodeID)
	for _, group := range cfg.NodeGroups() {
		for _, id := range group {
			d, _ := cfg.DataNodeByID(id)
			addr := ""
			if d.ServerPort != 0 {
				addr = net.JoinHostPort(d.HostName, strconv.Itoa(d.ServerPort))
			}
			c.DataNodes = append(c.DataNodes, node.DataNode{ID: signal.NodeID(id), Addr: addr})
		}
	}
	c.Listen = net.JoinHostPort(self.HostName, strconv.Itoa(self.ServerPort))
	for _, a := range cfg.APINodes {
		c.APINodes = append(c.APINodes, signal.NodeID(a.NodeID))
	}
	c.NoOfReplicas = cfg.Cluster.NoOfReplicas
	c.PartitionsPerNode = cfg.Cluster.PartitionsPerNode
	c.DataMemory = int64(min(self.DataMemory, math.MaxInt64))
	c.ThreadConfig = self.ThreadConfig
	if c.ThreadConfig == "" {
		c.ThreadConfig = thread.DefaultThreadConfig(self.MaxNoOfExecutionThreads).String()
	}
	c.DeadlockTimeout = self.TransactionDeadlockDetectionTimeout
	c.InactiveTimeout = self.TransactionInactiveTimeout
	c.EpochInterval = cfg.Cluster.TimeBetweenEpochs
	if self.DataDir != "" && !self.Diskless {
		c.FileSystem = filepath.Join(self.DataDir, fmt.Sprintf("ndb_%d_fs", nodeID))
	}
	c.RedoParts, c.RedoFiles = self.NoOfFragmentLogParts, self.NoOfFragmentLogFiles
	c.RedoFileSize = int64(min(self.FragmentLogFileSize, math.MaxInt64))
	c.RedoBuffer = int64(min(self.RedoBuffer, math.MaxInt32))
	c.CompressedLCP = self.CompressedLCP
	c.LCPMinBytesPerSec = int64(min(self.MinDiskWriteSpeed, math.MaxInt64))
	c.LCPMaxBytesPerSec = int64(min(self.MaxDiskWriteSpeed, math.MaxInt64))
	c.TimeBetweenLocalCheckpoints = self.TimeBetweenLocalCheckpoints
	if cfg.Cluster.TimeBetweenGlobalCheckPoints > 0 {
		c.SaveInterval = cfg.Cluster.TimeBetweenGlobalCheckPoints
	}
	c.MaxOperations = int(min(self.MaxNoOfConcurrentOperations, math.MaxInt32))
	c.Membership.Enabled = cfg.Cluster.NodeFailover
	c.Membership.HeartbeatIntervalDbDb = cfg.Cluster.HeartbeatIntervalDbDb
	c.Membership.HeartbeatIntervalDbApi = cfg.Cluster.HeartbeatIntervalDbApi
	c.Membership.ArbitrationTimeout = cfg.Cluster.ArbitrationTimeout
	if cfg.Cluster.Arbitration != "" {
		mode, err := qmgr.ParseArbitrationMode(string(cfg.Cluster.Arbitration))
		if err != nil {
			return c, fmt.Errorf("%w: %v", node.ErrConfig, err)
		}
		c.Membership.Arbitration = mode
	}
	if self.RequireTLS {
		c.TLS = transport.TLSFiles{CertFile: self.CertFile, KeyFile: self.KeyFile, CAFile: self.CAFile}
	}
	var send uint64
	for _, d := range cfg.DataNodes {
		if d.NodeID != nodeID {
			send = max(send, cfg.TCPFor(nodeID, d.NodeID).SendBufferMemory)
		}
	}
	for _, a := range cfg.APINodes {
		send = max(send, cfg.TCPFor(nodeID, a.NodeID).SendBufferMemory)
	}
	if send > 0 {
		c.SendBufferBytes = int(min(send, math.MaxInt32))
	}
	return c, c.Validate()
}
