package thread

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

// fakeSys writes a sysfs tree under a temporary root: files maps paths below
// devices/system/node to contents.
func fakeSys(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	base := filepath.Join(root, "devices", "system", "node")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestReadTopology(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []NUMANode
	}{
		{
			"two nodes interleaved",
			map[string]string{
				"node1/cpulist": "4-7,12-15\n",
				"node0/cpulist": "0-3,8-11\n",
				"online":        "0-1\n",
				"possible":      "0-1\n",
				"has_cpu":       "0-1\n",
				"power/x":       "",
			},
			[]NUMANode{
				{ID: 0, CPUs: []int{0, 1, 2, 3, 8, 9, 10, 11}},
				{ID: 1, CPUs: []int{4, 5, 6, 7, 12, 13, 14, 15}},
			},
		},
		{
			"memory-only node and ids sorted numerically",
			map[string]string{
				"node10/cpulist": "2\n",
				"node2/cpulist":  "\n",
				"node0/cpulist":  "1,0\n",
			},
			[]NUMANode{{ID: 0, CPUs: []int{0, 1}}, {ID: 2, CPUs: nil}, {ID: 10, CPUs: []int{2}}},
		},
	} {
		topo, err := ReadTopology(fakeSys(t, tc.files))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(topo.Nodes, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, topo.Nodes, tc.want)
		}
	}
}

func TestReadTopologyErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
	}{
		{"bad cpulist", map[string]string{"node0/cpulist": "0-x\n"}},
		{"missing cpulist", map[string]string{"node0/meminfo": "", "node1/cpulist": "1"}},
		{"cpu in two nodes", map[string]string{"node0/cpulist": "0-3", "node1/cpulist": "3-4"}},
	} {
		if _, err := ReadTopology(fakeSys(t, tc.files)); !errors.Is(err, ErrTopology) {
			t.Errorf("%s: err = %v, want ErrTopology", tc.name, err)
		}
	}
}

func TestReadTopologyFallback(t *testing.T) {
	want := SingleNodeTopology(runtime.NumCPU())
	for name, root := range map[string]string{
		"no tree":  t.TempDir(),
		"no nodes": fakeSys(t, map[string]string{"online": "0\n"}),
	} {
		topo, err := ReadTopology(root)
		if err != nil || !reflect.DeepEqual(topo, want) {
			t.Errorf("%s: %+v, %v; want %+v", name, topo, err, want)
		}
	}
	if n := len(want.Nodes[0].CPUs); n != runtime.NumCPU() {
		t.Fatalf("single node has %d CPUs, want %d", n, runtime.NumCPU())
	}
}

func TestReadTopologyHost(t *testing.T) {
	// Whatever the host is, the answer must be usable: at least one CPU,
	// each in exactly one node.
	topo, err := ReadTopology("")
	if err != nil {
		t.Skipf("host sysfs unreadable: %v", err)
	}
	cpus := topo.CPUs()
	if len(cpus) == 0 {
		t.Fatalf("no CPUs in %+v", topo)
	}
	for _, c := range cpus {
		if topo.NodeOf(c) < 0 {
			t.Fatalf("CPU %d has no node in %+v", c, topo)
		}
	}
}

func TestNodeOf(t *testing.T) {
	topo := Topology{Nodes: []NUMANode{
		{ID: 0, CPUs: []int{0, 1, 8, 9}},
		{ID: 3, CPUs: []int{2, 3, 10}},
	}}
	for cpu, want := range map[int]int{0: 0, 9: 0, 3: 3, 10: 3, 4: -1, -1: -1} {
		if got := topo.NodeOf(cpu); got != want {
			t.Errorf("NodeOf(%d) = %d, want %d", cpu, got, want)
		}
	}
	if got := topo.CPUs(); !reflect.DeepEqual(got, []int{0, 1, 2, 3, 8, 9, 10}) {
		t.Errorf("CPUs = %v", got)
	}
}
