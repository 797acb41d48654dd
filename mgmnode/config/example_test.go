package config_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/gondb/gondb/mgmnode/config"
)

func ExampleParse() {
	c, warnings, err := config.Parse("config.ini", strings.NewReader(`
[ndbd default]
NoOfReplicas=2
DataMemory=1G
DataDir=/var/lib/gondb
LockPagesInMainMemory=1

[ndb_mgmd]
DataDir=/var/lib/gondb

[ndbd]
HostName=db1
[ndbd]
HostName=db2

[api]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range warnings {
		fmt.Println(w)
	}
	for _, d := range c.DataNodes {
		fmt.Printf("data node %d on %s, node group %d, %d MiB\n", d.NodeID, d.HostName, d.NodeGroup, d.DataMemory>>20)
	}
	fmt.Printf("management node %d on %s:%d\n", c.MgmNodes[0].NodeID, c.MgmNodes[0].HostName, c.MgmNodes[0].PortNumber)
	// Output:
	// warning: config.ini:6: [ndbd default] LockPagesInMainMemory: an NDB parameter gondb ignores: the operating system and the Go runtime handle it
	// data node 1 on db1, node group 0, 1024 MiB
	// data node 2 on db2, node group 0, 1024 MiB
	// management node 3 on localhost:1186
}

func ExampleParse_errors() {
	_, _, err := config.Parse("config.ini", strings.NewReader(`[ndbd default]
NoOfReplicas=2
DataMemory=5X
[ndbd]
DataDir=/d
`))
	fmt.Println(err)
	// Output:
	// config.ini:2: [ndbd default] NoOfReplicas=2: 1 data node cannot form node groups of 2: the number of data nodes must be a multiple of NoOfReplicas
	// config.ini:3: [ndbd default] DataMemory=5X: not a size (expected a number with optional K, M or G)
	// config.ini: no [ndb_mgmd] section: a cluster needs at least one management node
}

func ExampleConfig_WriteINI() {
	c := config.DefaultTestConfig("/tmp/gondb")
	if err := c.WriteINI(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # gondb cluster configuration (config.ini, NDB format).
	//
	// [ndbd default]
	// NoOfReplicas=1
	// HeartbeatIntervalDbDb=500
	//
	// [ndb_mgmd]
	// NodeId=2
	// DataDir=/tmp/gondb
	//
	// [ndbd]
	// NodeId=1
	// DataDir=/tmp/gondb
	// DataMemory=16M
	// NoOfFragmentLogFiles=3
	// FragmentLogFileSize=4M
	//
	// [api]
	// NodeId=3
}
