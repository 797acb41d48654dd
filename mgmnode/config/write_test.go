package config

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// roundTrip writes c and parses it back.
func roundTrip(t *testing.T, c *Config) (*Config, string) {
	t.Helper()
	var b bytes.Buffer
	if err := c.WriteINI(&b); err != nil {
		t.Fatalf("WriteINI: %v", err)
	}
	back, warns, err := Parse("written.ini", bytes.NewReader(b.Bytes()))
	if err != nil || len(warns) > 0 {
		t.Fatalf("re-parse: %v, warnings %v\n%s", err, warns, b.String())
	}
	return back, b.String()
}

func TestWriteINIRoundTrips(t *testing.T) {
	cases := map[string]*Config{
		"DefaultConfig":     DefaultConfig("/var/lib/gondb"),
		"DefaultTestConfig": DefaultTestConfig("/tmp/t"),
	}
	for _, f := range []string{"testdata/laptop.ini", "testdata/four-data-nodes.ini"} {
		c, _, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases[f] = c
	}
	interleaved, _ := mustParse(t, `
[ndbd default]
DataDir=/d
[ndb_mgmd]
DataDir=/d
[ndbd]
NodeGroup=1
[ndbd]
NodeGroup=0
[ndbd]
[ndbd]
[tcp]
NodeId1=3
NodeId2=1
ReceiveBufferMemory=3M
`)
	cases["explicit node groups"] = interleaved
	for name, c := range cases {
		back, text := roundTrip(t, c)
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: re-parsed config differs\n got %+v\nwant %+v\n%s", name, back, c, text)
		}
	}
}

func TestWriteINIText(t *testing.T) {
	c := DefaultTestConfig("/tmp/t")
	c.DataNodes[0].ThreadConfig = "ldm={count=1}"
	_, got := roundTrip(t, c)
	want := `# gondb cluster configuration (config.ini, NDB format).

[ndbd default]
NoOfReplicas=1
HeartbeatIntervalDbDb=500

[ndb_mgmd]
NodeId=2
DataDir=/tmp/t

[ndbd]
NodeId=1
DataDir=/tmp/t
DataMemory=16M
ThreadConfig=ldm={count=1}
NoOfFragmentLogFiles=3
FragmentLogFileSize=4M

[api]
NodeId=3
`
	if got != want {
		t.Errorf("WriteINI:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteINIRefusesInvalid(t *testing.T) {
	c := DefaultConfig("/d")
	c.MgmNodes[0].DataDir = "/a\nNodeId=9"
	var b bytes.Buffer
	if err := c.WriteINI(&b); !errors.Is(err, ErrInvalid) || b.Len() != 0 {
		t.Fatalf("WriteINI = %v, wrote %q", err, b.String())
	}
}

// TestWriteINIKeepsInterleavedGroups: node groups that differ from the
// automatic ones are written for every data node.
func TestWriteINIKeepsInterleavedGroups(t *testing.T) {
	c := DefaultConfig("/d")
	d3, d4 := c.DataNodes[0], c.DataNodes[1]
	d3.NodeID, d4.NodeID = 7, 8
	c.DataNodes = append(c.DataNodes, d3, d4)
	for i, g := range []int{0, 1, 0, 1} { // groups {1,7} and {2,8}
		c.DataNodes[i].NodeGroup = g
	}
	back, text := roundTrip(t, c)
	if strings.Count(text, "NodeGroup=") != 4 {
		t.Errorf("want NodeGroup for all four data nodes:\n%s", text)
	}
	if g := back.NodeGroups(); !reflect.DeepEqual(g, [][]int{{1, 7}, {2, 8}}) {
		t.Errorf("groups after round trip %v", g)
	}
}

// TestTestdataSeedsFuzzCorpus keeps the fuzz corpus in step with the
// examples: each testdata/*.ini has a seed file.
func TestTestdataSeedsFuzzCorpus(t *testing.T) {
	for _, name := range []string{"laptop", "four-data-nodes"} {
		ini, err := os.ReadFile("testdata/" + name + ".ini")
		if err != nil {
			t.Fatal(err)
		}
		seed, err := os.ReadFile("testdata/fuzz/FuzzParse/" + name)
		if err != nil && !*update {
			t.Fatal(err)
		}
		want := fuzzSeed(ini)
		switch {
		case string(seed) == want:
		case *update:
			if err := os.WriteFile("testdata/fuzz/FuzzParse/"+name, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Errorf("testdata/fuzz/FuzzParse/%s is stale (run go test -run TestTestdataSeedsFuzzCorpus -update)", name)
		}
	}
}
