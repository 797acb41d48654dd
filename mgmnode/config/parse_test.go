package config

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, text string) (*Config, []Warning) {
	t.Helper()
	c, w, err := Parse("config.ini", strings.NewReader(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c, w
}

// TestParseFullExample checks every resolved value of a typical cluster:
// a management node, two data nodes, one SQL node and two API slots.
func TestParseFullExample(t *testing.T) {
	c, warns := mustParse(t, `
# The example of the issue.
[NDBD DEFAULT]
NoOfReplicas=2
DataMemory=1G
DataDir=/var/lib/gondb
TimeBetweenEpochs=50
Arbitration=waitexternal

[ndb_mgmd]
NodeId=10
HostName=mgm.local
DataDir=/var/lib/gondb-mgm

[ndbd]
NodeId=1
HostName=10.0.0.1

[ndbd]
NodeId=2
HostName=10.0.0.2
DataMemory=2G

[mysqld]
NodeId=20
HostName=sql.local

[api]
NodeId=21
[api]
NodeId=22
`)
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	cluster := DefaultCluster()
	cluster.TimeBetweenEpochs = 50 * time.Millisecond
	cluster.Arbitration = ArbitrationWaitExternal
	d1 := DefaultDataNode()
	d1.NodeID, d1.HostName, d1.DataDir, d1.DataMemory = 1, "10.0.0.1", "/var/lib/gondb", 1<<30
	d2 := d1
	d2.NodeID, d2.HostName, d2.DataMemory = 2, "10.0.0.2", 2<<30
	m := DefaultMgmNode()
	m.NodeID, m.HostName, m.DataDir = 10, "mgm.local", "/var/lib/gondb-mgm"
	sql := DefaultAPINode(KindMySQLD)
	sql.NodeID, sql.HostName = 20, "sql.local"
	a1, a2 := DefaultAPINode(KindAPI), DefaultAPINode(KindAPI)
	a1.NodeID, a2.NodeID = 21, 22
	want := &Config{
		Cluster:   cluster,
		DataNodes: []DataNode{d1, d2},
		MgmNodes:  []MgmNode{m},
		APINodes:  []APINode{sql, a1, a2},
		TCP:       DefaultTCP(),
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", c, want)
	}
	if g := c.NodeGroups(); !reflect.DeepEqual(g, [][]int{{1, 2}}) {
		t.Errorf("NodeGroups() = %v", g)
	}
	if d, ok := c.DataNodeByID(2); !ok || d.DataMemory != 2<<30 {
		t.Errorf("DataNodeByID(2) = %+v, %v", d, ok)
	}
	if _, ok := c.DataNodeByID(10); ok {
		t.Error("DataNodeByID(10) found the management node")
	}
	if m, ok := c.MgmNodeByID(10); !ok || m.PortNumber != 1186 {
		t.Errorf("MgmNodeByID(10) = %+v, %v", m, ok)
	}
	if a, ok := c.APINodeByID(20); !ok || a.Kind != KindMySQLD {
		t.Errorf("APINodeByID(20) = %+v, %v", a, ok)
	}
}

func TestParseTestdata(t *testing.T) {
	for _, tc := range []struct {
		file   string
		data   []int
		mgm    []int
		api    []int
		groups [][]int
	}{
		{"testdata/laptop.ini", []int{1, 2}, []int{3}, []int{4, 5, 6}, [][]int{{1, 2}}},
		{"testdata/four-data-nodes.ini", []int{1, 2, 3, 4}, []int{49, 50}, []int{51, 52, 60, 61, 62}, [][]int{{1, 2}, {3, 4}}},
	} {
		c, warns, err := ParseFile(tc.file)
		if err != nil || len(warns) > 0 {
			t.Errorf("%s: %v, warnings %v", tc.file, err, warns)
			continue
		}
		if got := ids(c); !reflect.DeepEqual(got, [][]int{tc.data, tc.mgm, tc.api}) {
			t.Errorf("%s: node ids %v", tc.file, got)
		}
		if g := c.NodeGroups(); !reflect.DeepEqual(g, tc.groups) {
			t.Errorf("%s: node groups %v, want %v", tc.file, g, tc.groups)
		}
	}
	c, _, _ := ParseFile("testdata/four-data-nodes.ini")
	if got := c.TCPFor(2, 1); got.SendBufferMemory != 32<<20 || got.ReceiveBufferMemory != 2<<20 {
		t.Errorf("TCPFor(2, 1) = %+v", got)
	}
	if got := c.TCPFor(1, 3); got.SendBufferMemory != 8<<20 {
		t.Errorf("TCPFor(1, 3) = %+v, want [tcp default]", got)
	}
	if d := c.DataNodes[3]; !d.RequireTLS || d.CAFile != "/etc/gondb/tls/ca.crt" || d.MaxNoOfConcurrentOperations != 1<<20 {
		t.Errorf("data node 4 = %+v", d)
	}
}

func ids(c *Config) [][]int {
	out := make([][]int, 3)
	for _, d := range c.DataNodes {
		out[0] = append(out[0], d.NodeID)
	}
	for _, m := range c.MgmNodes {
		out[1] = append(out[1], m.NodeID)
	}
	for _, a := range c.APINodes {
		out[2] = append(out[2], a.NodeID)
	}
	return out
}

// TestDefaultsPrecedence: built-in default < [x default] < the node's own
// section, wherever the default section is in the file.
func TestDefaultsPrecedence(t *testing.T) {
	c, _ := mustParse(t, `
[ndbd]
NodeId=1
[ndbd]
NodeId=2
DataMemory=300M
RedoBuffer=8M
[ndbd default]
NoOfReplicas=2
DataDir=/d
DataMemory=200M
[ndb_mgmd]
DataDir=/m
PortNumber=2000
[ndb_mgmd default]
PortNumber=1500
DataDir=/default
[tcp default]
ReceiveBufferMemory=1M
[tcp]
NodeId1=1
NodeId2=2
SendBufferMemory=4M
`)
	d1, d2 := c.DataNodes[0], c.DataNodes[1]
	for _, tc := range []struct {
		what      string
		got, want any
	}{
		{"node 1 DataMemory from [ndbd default]", d1.DataMemory, uint64(200 << 20)},
		{"node 2 DataMemory from its section", d2.DataMemory, uint64(300 << 20)},
		{"node 1 RedoBuffer built in", d1.RedoBuffer, uint64(32 << 20)},
		{"node 2 RedoBuffer from its section", d2.RedoBuffer, uint64(8 << 20)},
		{"DataDir from [ndbd default]", d2.DataDir, "/d"},
		{"mgm DataDir from its section", c.MgmNodes[0].DataDir, "/m"},
		{"mgm PortNumber from its section", c.MgmNodes[0].PortNumber, 2000},
		{"tcp default", c.TCP, TCP{SendBufferMemory: 2 << 20, ReceiveBufferMemory: 1 << 20}},
		{"tcp link over tcp default", c.TCPFor(1, 2), TCP{SendBufferMemory: 4 << 20, ReceiveBufferMemory: 1 << 20}},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.what, tc.got, tc.want)
		}
	}
}

// TestNodeIDAssignment: explicit ids are kept, the others get the lowest
// free ids, data nodes first, then management nodes, then API slots, each
// in file order.
func TestNodeIDAssignment(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want [][]int // data, mgm, api
	}{
		{"all assigned", "[api]\n[ndb_mgmd]\n[ndbd]\n[ndbd]\n[mysqld]",
			[][]int{{1, 2}, {3}, {4, 5}}},
		{"explicit ids are skipped", "[ndb_mgmd]\nNodeId=1\n[ndbd]\n[ndbd]\nNodeId=3\n[api]\n[api]\nNodeId=2",
			[][]int{{3, 4}, {1}, {2, 5}}},
		{"api in file order", "[ndbd]\n[ndbd]\n[ndb_mgmd]\nId=100\n[mysqld]\nNodeId=7\n[api]\n[mysqld]",
			[][]int{{1, 2}, {100}, {3, 4, 7}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := mustParse(t, "[ndbd default]\nDataDir=/d\n[ndb_mgmd default]\nDataDir=/d\n"+tc.text+"\n")
			if got := ids(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
		})
	}
	// The [mysqld] with NodeId=7 is the third API slot; the assigned
	// ones keep their kinds.
	c, _ := mustParse(t, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n[api]\n[mysqld]\n")
	if c.APINodes[0].Kind != KindAPI || c.APINodes[1].Kind != KindMySQLD {
		t.Errorf("API slots %+v", c.APINodes)
	}
}

func TestNodeGroupAssignment(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replicas int
		given    []int // -1: not set
		want     []int
	}{
		{"pairs", 2, []int{-1, -1, -1, -1}, []int{0, 0, 1, 1}},
		{"single replica", 1, []int{-1, -1, -1}, []int{0, 1, 2}},
		{"three replicas", 3, []int{-1, -1, -1, -1, -1, -1}, []int{0, 0, 0, 1, 1, 1}},
		{"given first", 2, []int{-1, -1, 0, 0}, []int{1, 1, 0, 0}},
		{"interleaved", 2, []int{0, 1, -1, -1}, []int{0, 1, 0, 1}},
	} {
		if got := autoNodeGroups(tc.given, tc.replicas); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: autoNodeGroups(%v, %d) = %v, want %v", tc.name, tc.given, tc.replicas, got, tc.want)
		}
	}
	c, _ := mustParse(t, `
[ndbd default]
DataDir=/d
[ndb_mgmd]
DataDir=/d
[ndbd]
NodeId=1
NodeGroup=1
[ndbd]
NodeId=2
[ndbd]
NodeId=3
NodeGroup=1
[ndbd]
NodeId=4
`)
	if g := c.NodeGroups(); !reflect.DeepEqual(g, [][]int{{2, 4}, {1, 3}}) {
		t.Errorf("NodeGroups() = %v", g)
	}
}

// TestSyntax: the forms NDB's parser accepts.
func TestSyntax(t *testing.T) {
	c, warns := mustParse(t, strings.ReplaceAll(`
; semicolon comment
   # indented comment
[DB DEFAULT]   # trailing comment after a header
noofreplicas : 1
DATADIR=/data#1
DataMemory = 64m    # two spaces, then a comment
CompressedLCP=Y
CompressedBackup=yes
RequireCertificate=0
MaxNoOfConcurrentOperations=2k
HeartbeatIntervalDbDb=1500	# a tab before the comment

[MGM]
Id: 7
DataDir: /m
[ Ndbd ]
`, "\n", "\r\n"))
	if len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	d := c.DataNodes[0]
	if c.Cluster.NoOfReplicas != 1 || d.DataDir != "/data#1" || d.DataMemory != 64<<20 || !d.CompressedLCP ||
		!d.CompressedBackup || d.RequireCertificate || d.MaxNoOfConcurrentOperations != 2048 ||
		c.Cluster.HeartbeatIntervalDbDb != 1500*time.Millisecond || c.MgmNodes[0].NodeID != 7 {
		t.Errorf("parsed %+v", c)
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{{"true", true}, {"TRUE", true}, {"1", true}, {"yes", true}, {"y", true}, {"false", false}, {"No", false}, {"n", false}, {"0", false}} {
		if got, ok := parseBool(tc.in); !ok || got != tc.want {
			t.Errorf("parseBool(%q) = %v, %v", tc.in, got, ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"12", 12, true}, {"1k", 1024, true}, {"3M", 3 << 20, true}, {"2g", 2 << 30, true},
		{"", 0, false}, {"K", 0, false}, {"+1", 0, false}, {"1 K", 0, false}, {"1T", 0, false}, {"0x10", 0, false},
	} {
		got, ok := parseNumber(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("parseNumber(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWarnings(t *testing.T) {
	_, warns := mustParse(t, `[ndbd default]
NoOfReplicas=1
DataDir=/d
LockPagesInMainMemory=1
IndexMemory=64M
ThreadConfig=ldm={count=2}
MaxNoOfExecutionThreads=8
[ndb_mgmd]
DataDir=/d
LogDestination=FILE:filename=x.log
[ndbd]
[tcp default]
Checksum=true
`)
	want := []string{
		"warning: config.ini:4: [ndbd default] LockPagesInMainMemory: an NDB parameter gondb ignores: the operating system and the Go runtime handle it",
		"warning: config.ini:5: [ndbd default] IndexMemory: deprecated and ignored: gondb's hash indexes grow on their own, outside DataMemory (deprecated since NDB 7.6)",
		"warning: config.ini:7: [ndbd default] MaxNoOfExecutionThreads: ignored because ThreadConfig is set",
		"warning: config.ini:10: [ndb_mgmd] LogDestination: an NDB parameter gondb ignores: every node logs to standard error",
		"warning: config.ini:13: [tcp default] Checksum: an NDB parameter gondb ignores: gondb's transporter tunes its sockets itself",
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
	if w := warns[1]; w.File != "config.ini" || w.Line != 5 || w.Section != "ndbd default" || w.Param != "IndexMemory" {
		t.Errorf("warning fields %+v", w)
	}
}

// TestDeprecatedValueIsChecked: IndexMemory is dropped, but a malformed
// value is still an error.
func TestDeprecatedValueIsChecked(t *testing.T) {
	_, _, err := Parse("c", strings.NewReader(minimal+"IndexMemory=lots\n"))
	if err == nil || !strings.Contains(err.Error(), "IndexMemory=lots: not a size") {
		t.Fatalf("err = %v", err)
	}
}

// TestErrorsAreAllCollected: several problems give several errors, in line
// order, with those that have no line last.
func TestErrorsAreAllCollected(t *testing.T) {
	_, _, err := Parse("c.ini", strings.NewReader(`[ndbd default]
NoOfReplicas=9
DataMemory=big
[ndbd]
HostName=x y
[ndbd]
Bogus=1
`))
	want := []string{
		"c.ini:2: [ndbd default] NoOfReplicas=9: out of range (allowed 1..4)",
		"c.ini:3: [ndbd default] DataMemory=big: not a size (expected a number with optional K, M or G)",
		"c.ini:4: [ndbd] DataDir: required (set it here or in [ndbd default])",
		"c.ini:5: [ndbd] HostName=x y: not a host name or IP address",
		"c.ini:6: [ndbd] DataDir: required (set it here or in [ndbd default])",
		"c.ini:7: [ndbd] Bogus=1: unknown parameter",
		"c.ini: no [ndb_mgmd] section: a cluster needs at least one management node",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *Error
		if errors.As(e, &ce) && errors.Is(e, ErrInvalid) {
			n++
		}
	}
	if n != len(want) {
		t.Errorf("%d of %d errors are *Error matching ErrInvalid", n, len(want))
	}
}

func TestParseFileMissing(t *testing.T) {
	_, _, err := ParseFile("testdata/no-such.ini")
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}

// TestCheckThreadConfigOption: the caller's full check runs after the
// shape check, and its message is passed on.
func TestCheckThreadConfigOption(t *testing.T) {
	var seen []string
	opt := Options{CheckThreadConfig: func(s string) error {
		seen = append(seen, s)
		if strings.Contains(s, "count=0") {
			return errors.New("ldm count 0 out of range 1..332")
		}
		return nil
	}}
	text := minimal + "ThreadConfig=ldm={count=0}\n"
	_, _, err := ParseWith("config.ini", strings.NewReader(text), opt)
	want := "config.ini:7: [ndbd] ThreadConfig=ldm={count=0}: invalid ThreadConfig: ldm count 0 out of range 1..332"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if !reflect.DeepEqual(seen, []string{"ldm={count=0}"}) {
		t.Errorf("checker saw %q", seen)
	}
	if _, _, err := Parse("config.ini", strings.NewReader(text)); err != nil {
		t.Errorf("without the checker the shape is enough: %v", err)
	}
	c := DefaultTestConfig("/d")
	c.DataNodes[0].ThreadConfig = "ldm={count=0}"
	if err := c.ValidateWith(opt); err == nil {
		t.Error("ValidateWith ignores CheckThreadConfig")
	}
}
