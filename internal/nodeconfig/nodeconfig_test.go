package nodeconfig_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/internal/nodeconfig"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/signal"
)

const ini = `
[ndbd default]
NoOfReplicas=2
DataMemory=64M
DataDir=/tmp/gondb
ServerPort=11860
PartitionsPerNode=4
TransactionDeadlockDetectionTimeout=800
MaxNoOfConcurrentOperations=100K
MaxNoOfExecutionThreads=8

[ndb_mgmd]
NodeId=49
HostName=mgm
DataDir=/tmp/gondb

# Node groups by NodeGroup, not by id: {1 3} and {2 4}.
[ndbd]
NodeId=1
HostName=db1
NodeGroup=0
[ndbd]
NodeId=2
HostName=db2
NodeGroup=1
[ndbd]
NodeId=3
HostName=db3
NodeGroup=0
ThreadConfig=ldm={count=2},tc={count=1}
[ndbd]
NodeId=4
HostName=db4
ServerPort=0
NodeGroup=1
Diskless=1

[mysqld]
NodeId=51
[api]
NodeId=60

[tcp]
NodeId1=1
NodeId2=3
SendBufferMemory=16M
`

func parse(t *testing.T) *config.Config {
	t.Helper()
	c, _, err := config.Parse("config.ini", strings.NewReader(ini))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDataNode(t *testing.T) {
	cfg := parse(t)
	c, err := nodeconfig.DataNode(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []node.DataNode{{ID: 1, Addr: "db1:11860"}, {ID: 3, Addr: "db3:11860"}, {ID: 2, Addr: "db2:11860"}, {ID: 4, Addr: ""}}
	if !slices.Equal(c.DataNodes, want) {
		t.Errorf("DataNodes %v, want %v (node-group order)", c.DataNodes, want)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"NodeID", c.NodeID == 3},
		{"Listen", c.Listen == "db3:11860"},
		{"APINodes", slices.Equal(c.APINodes, []signal.NodeID{51, 60})},
		{"NoOfReplicas", c.NoOfReplicas == 2},
		{"PartitionsPerNode", c.PartitionsPerNode == 4},
		{"DataMemory", c.DataMemory == 64<<20},
		{"ThreadConfig", c.ThreadConfig == "ldm={count=2},tc={count=1}"},
		{"DeadlockTimeout", c.DeadlockTimeout == 800*time.Millisecond},
		{"MaxOperations", c.MaxOperations == 100<<10},
		{"SendBufferBytes from the [tcp] section", c.SendBufferBytes == 16<<20},
		{"no TLS", !c.TLS.Enabled()},
		{"Prefault", c.Prefault},
		{"FileSystem under DataDir", c.FileSystem == "/tmp/gondb/ndb_3_fs"},
	}
	for _, ck := range checks {
		if !ck.ok {
			t.Errorf("%s wrong: %+v", ck.name, c)
		}
	}

	// Node 1: MaxNoOfExecutionThreads decides its threads; the [tcp]
	// section applies to it as well.
	c1, err := nodeconfig.DataNode(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c1.ThreadConfig == "" || !strings.Contains(c1.ThreadConfig, "ldm=") || c1.SendBufferBytes != 16<<20 {
		t.Errorf("node 1: ThreadConfig %q, SendBufferBytes %d", c1.ThreadConfig, c1.SendBufferBytes)
	}
	// Node 2's buffers are [tcp default]'s.
	c2, err := nodeconfig.DataNode(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c2.SendBufferBytes != 2<<20 {
		t.Errorf("node 2: SendBufferBytes %d, want [tcp default]'s 2M", c2.SendBufferBytes)
	}
	// Node 4 is Diskless: no file system.
	c4, err := nodeconfig.DataNode(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	if c4.FileSystem != "" {
		t.Errorf("Diskless node 4: FileSystem %q, want none", c4.FileSystem)
	}
}

func TestDataNodeErrors(t *testing.T) {
	cfg := parse(t)
	tests := []struct {
		name string
		id   int
		want string
	}{
		{"not a data node", 51, "not a data node"},
		{"unknown node", 7, "not a data node"},
		// Node 4's own port is dynamic: it listens on a free one, and
		// only higher ids, which dial it, would need it (there are none).
		{"own dynamic port", 4, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := nodeconfig.DataNode(cfg, tc.id)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, node.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A data node with a lower id and a dynamic port cannot be dialed.
	cfg.DataNodes[0].ServerPort = 0
	if _, err := nodeconfig.DataNode(cfg, 2); err == nil || !strings.Contains(err.Error(), "data node 1 has no address") {
		t.Fatalf("dialing a dynamic port: %v", err)
	}
}
