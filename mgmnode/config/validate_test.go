package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigsAreValid(t *testing.T) {
	for name, c := range map[string]*Config{
		"DefaultConfig":     DefaultConfig("/tmp/gondb"),
		"DefaultTestConfig": DefaultTestConfig("/tmp/gondb"),
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	c := DefaultConfig("/x")
	if g := c.NodeGroups(); !reflect.DeepEqual(g, [][]int{{1, 2}}) || c.Cluster.NoOfReplicas != 2 {
		t.Errorf("DefaultConfig: groups %v, replicas %d", g, c.Cluster.NoOfReplicas)
	}
	if got := ids(c); !reflect.DeepEqual(got, [][]int{{1, 2}, {3}, {4, 5, 6}}) {
		t.Errorf("DefaultConfig ids %v", got)
	}
}

// TestValidateBuiltInCode: a Config built in code gets the file's checks,
// with the node id in place of a line.
func TestValidateBuiltInCode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"DataDir empty", func(c *Config) { c.DataNodes[1].DataDir = "" },
			[]string{"[ndbd] node 2 DataDir: required (set it here or in [ndbd default])"}},
		{"HostName empty", func(c *Config) { c.MgmNodes[0].HostName = "" },
			[]string{"[ndb_mgmd] node 3 HostName: must not be empty"}},
		{"DataMemory too small", func(c *Config) { c.DataNodes[0].DataMemory = 1000 },
			[]string{"[ndbd] node 1 DataMemory=1000: out of range (allowed 1M..16384G)"}},
		{"negative port", func(c *Config) { c.DataNodes[0].ServerPort = -1 },
			[]string{"[ndbd] node 1 ServerPort=-1: out of range (allowed 0..65535)"}},
		{"duration not whole ms", func(c *Config) { c.Cluster.ArbitrationTimeout = 1500 * time.Microsecond },
			[]string{"[ndbd default] ArbitrationTimeout=1.5ms: not a whole number of milliseconds"}},
		{"negative duration", func(c *Config) { c.DataNodes[0].TransactionInactiveTimeout = -time.Second },
			[]string{"[ndbd] node 1 TransactionInactiveTimeout=-1s: out of range (allowed 0..4294967039 ms)"}},
		{"enum not canonical", func(c *Config) { c.Cluster.Arbitration = "default" },
			[]string{"[ndbd default] Arbitration=default: not one of Default, Disabled, WaitExternal"}},
		{"newline in a path", func(c *Config) { c.MgmNodes[0].DataDir = "/a\n[api]" },
			[]string{"[ndb_mgmd] node 3 DataDir=/a\n[api]: contains a control character"}},
		{"comment in a path", func(c *Config) { c.MgmNodes[0].DataDir = "/a #b" },
			[]string{"[ndb_mgmd] node 3 DataDir=/a #b: contains whitespace followed by '#', which starts a comment"}},
		{"space around a path", func(c *Config) { c.MgmNodes[0].DataDir = " /a" },
			[]string{"[ndb_mgmd] node 3 DataDir= /a: has leading or trailing whitespace"}},
		{"unknown API kind", func(c *Config) { c.APINodes[0].Kind = "ndbapi" },
			[]string{`[ndbapi] node 4: Kind "ndbapi" is neither "mysqld" nor "api"`}},
		{"node id 0", func(c *Config) { c.APINodes[2].NodeID = 0 },
			[]string{"[api] NodeId=0: out of range (allowed 1..255)"}},
		{"duplicate id", func(c *Config) { c.APINodes[2].NodeID = 1 },
			[]string{"[api] node 1 NodeId=1: node id 1 is already used by [ndbd] node 1"}},
		{"same port", func(c *Config) { c.DataNodes[0].ServerPort = 1186 },
			[]string{"[ndb_mgmd] node 3 PortNumber=1186: port 1186 on localhost is already used by [ndbd] node 1"}},
		{"same port other host", func(c *Config) { c.DataNodes[0].ServerPort, c.DataNodes[0].HostName = 1186, "h" }, nil},
		{"gossip port range", func(c *Config) { c.DataNodes[0].GossipPort = 70000 },
			[]string{"[ndbd] node 1 GossipPort=70000: out of range (allowed 0..65535)"}},
		{"gossip port of the mgmd", func(c *Config) { c.DataNodes[1].GossipPort = 1186 },
			[]string{"[ndbd] node 2 GossipPort=1186: port 1186 on localhost is already used by [ndb_mgmd] node 3"}},
		{"gossip port twice", func(c *Config) { c.DataNodes[0].GossipPort, c.DataNodes[1].GossipPort = 7946, 7946 },
			[]string{"[ndbd] node 2 GossipPort=7946: port 7946 on localhost is already used by [ndbd] node 1"}},
		{"gossip port is the transporter's", func(c *Config) { c.DataNodes[0].GossipPort, c.DataNodes[0].ServerPort = 2202, 2202 },
			[]string{"[ndbd] node 1 GossipPort=2202: port 2202 on localhost is already used by [ndbd] node 1"}},
		{"gossip ports on other hosts", func(c *Config) {
			c.DataNodes[0].GossipPort, c.DataNodes[1].GossipPort, c.DataNodes[1].HostName = 7946, 7946, "h2"
		}, nil},
		{"same port host case", func(c *Config) {
			c.DataNodes[0].ServerPort, c.DataNodes[0].HostName = 1186, "LocalHost"
		}, []string{"[ndb_mgmd] node 3 PortNumber=1186: port 1186 on localhost is already used by [ndbd] node 1"}},
		{"node group missing member", func(c *Config) { c.DataNodes[1].NodeGroup = 1 },
			[]string{"[ndbd] node 2 NodeGroup=1: node group 1 does not exist: 2 data nodes with NoOfReplicas=2 form node groups 0..0"}},
		{"no data nodes", func(c *Config) { c.DataNodes = nil },
			[]string{"no [ndbd] section: a cluster needs at least one data node"}},
		{"RequireTls", func(c *Config) {
			c.APINodes[0].RequireTLS, c.APINodes[0].CertFile, c.APINodes[0].KeyFile = true, "/c", "/k"
		},
			[]string{"[mysqld] node 4 RequireTls=true: needs CertFile, KeyFile and CAFile (missing: CAFile)"}},
		{"full TLS", func(c *Config) {
			c.APINodes[0].TLS = TLS{RequireTLS: true, RequireCertificate: true, CertFile: "/c", KeyFile: "/k", CAFile: "/ca"}
		}, nil},
		{"tcp link to nowhere", func(c *Config) { c.TCPLinks = []TCPLink{{NodeID1: 1, NodeID2: 99, TCP: DefaultTCP()}} },
			[]string{"[tcp] NodeId2=99: node 99 is not defined in this configuration"}},
		{"tcp link twice", func(c *Config) {
			c.TCPLinks = []TCPLink{{NodeID1: 1, NodeID2: 2, TCP: DefaultTCP()}, {NodeID1: 2, NodeID2: 1, TCP: DefaultTCP()}}
		}, []string{"[tcp]: a second [tcp] for nodes 1 and 2 (the first is [tcp] 1)"}},
		{"tcp buffer", func(c *Config) { c.TCP.SendBufferMemory = 0 },
			[]string{"[tcp default] SendBufferMemory=0: out of range (allowed 256K..4294967039)"}},
		{"shape of ThreadConfig", func(c *Config) { c.DataNodes[0].ThreadConfig = "ldm" },
			[]string{`[ndbd] node 1 ThreadConfig=ldm: invalid ThreadConfig: expected kind={...} at "ldm"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig("/d")
			tc.change(c)
			before := clone(c)
			err := c.Validate()
			if !reflect.DeepEqual(c, before) {
				t.Fatal("Validate changed the Config")
			}
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || err.Error() != strings.Join(tc.want, "\n") {
				t.Fatalf("Validate:\n got %q\nwant %q", err, strings.Join(tc.want, "\n"))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Error("not ErrInvalid")
			}
		})
	}
}

// clone copies c deeply enough to detect changes by Validate.
func clone(c *Config) *Config {
	d := *c
	d.DataNodes = append([]DataNode(nil), c.DataNodes...)
	d.MgmNodes = append([]MgmNode(nil), c.MgmNodes...)
	d.APINodes = append([]APINode(nil), c.APINodes...)
	d.TCPLinks = append([]TCPLink(nil), c.TCPLinks...)
	return &d
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "config.ini", Line: 12, Section: "ndbd", Param: "DataMemory", Value: "5X", Msg: "not a size"},
			"config.ini:12: [ndbd] DataMemory=5X: not a size"},
		{Error{File: "config.ini", Line: 3, Section: "ndbd", Param: "DataDir", Msg: "required"},
			"config.ini:3: [ndbd] DataDir: required"},
		{Error{File: "config.ini", Line: 3, Section: "ndbd", NodeID: 4, Msg: "m"}, "config.ini:3: [ndbd]: m"},
		{Error{Section: "ndbd", NodeID: 4, Param: "P", Value: "v", Msg: "m"}, "[ndbd] node 4 P=v: m"},
		{Error{File: "f", Msg: "m"}, "f: m"},
		{Error{Line: 2, Msg: "m"}, "line 2: m"},
		{Error{Msg: "m"}, "m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
