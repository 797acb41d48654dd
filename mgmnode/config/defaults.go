package config

import "time"

// DefaultConfig returns the cluster `gondb demo` and a laptop start with:
// one management node, two data nodes in one node group (NoOfReplicas=2,
// so either may fail), one [mysqld] slot and two [api] slots, all on
// localhost with their files under dataDir. Node ids follow Parse's
// assignment: data nodes 1 and 2, the management node 3, the slots 4 to 6.
func DefaultConfig(dataDir string) *Config {
	c := &Config{Cluster: DefaultCluster(), TCP: DefaultTCP()}
	for id := 1; id <= 2; id++ {
		d := DefaultDataNode()
		d.NodeID, d.NodeGroup, d.DataDir = id, 0, dataDir
		c.DataNodes = append(c.DataNodes, d)
	}
	m := DefaultMgmNode()
	m.NodeID, m.DataDir = 3, dataDir
	c.MgmNodes = append(c.MgmNodes, m)
	for i, k := range []APIKind{KindMySQLD, KindAPI, KindAPI} {
		a := DefaultAPINode(k)
		a.NodeID = 4 + i
		c.APINodes = append(c.APINodes, a)
	}
	return c
}

// DefaultTestConfig returns the smallest cluster for tests: one
// management node, one data node (NoOfReplicas=1: nothing to replicate to)
// with 16 MiB of DataMemory (tests load little and many run at once), and
// one [api] slot, under dataDir.
func DefaultTestConfig(dataDir string) *Config {
	c := &Config{Cluster: DefaultCluster(), TCP: DefaultTCP()}
	c.Cluster.NoOfReplicas = 1
	// Tests that stop a node should see it declared dead quickly.
	c.Cluster.HeartbeatIntervalDbDb = 500 * time.Millisecond
	d := DefaultDataNode()
	d.NodeID, d.DataDir, d.DataMemory = 1, dataDir, 16*mib
	d.NoOfFragmentLogFiles, d.FragmentLogFileSize = 3, 4*mib // the smallest redo log
	c.DataNodes = []DataNode{d}
	m := DefaultMgmNode()
	m.NodeID, m.DataDir = 2, dataDir
	c.MgmNodes = []MgmNode{m}
	a := DefaultAPINode(KindAPI)
	a.NodeID = 3
	c.APINodes = []APINode{a}
	return c
}
