package thread

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// DefaultSysRoot is where Linux mounts sysfs.
const DefaultSysRoot = "/sys"

// NUMANode is one NUMA node and the CPUs it holds (ascending). A node may
// have no CPUs (memory only).
type NUMANode struct {
	ID   int
	CPUs []int
}

// Topology is the machine's NUMA layout, nodes in ascending ID order.
type Topology struct {
	Nodes []NUMANode
}

// ReadTopology reads the NUMA nodes from
// sysRoot/devices/system/node/node<N>/cpulist; sysRoot "" means
// DefaultSysRoot, tests pass a fake tree. Where that directory does not exist
// or lists no nodes (non-Linux, some containers) it returns
// SingleNodeTopology(runtime.NumCPU()). A tree that exists but cannot be
// read or parsed is an error matching ErrTopology.
func ReadTopology(sysRoot string) (Topology, error) {
	if sysRoot == "" {
		sysRoot = DefaultSysRoot
	}
	dir := filepath.Join(sysRoot, "devices", "system", "node")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return SingleNodeTopology(runtime.NumCPU()), nil
	}
	if err != nil {
		return Topology{}, fmt.Errorf("%w: %v", ErrTopology, err)
	}
	var t Topology
	owner := map[int]int{} // cpu -> node, to catch a CPU in two nodes
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), "node")
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
			continue // "online", "possible", "has_cpu", ... are not nodes
		}
		id, err := strconv.Atoi(digits)
		if err != nil {
			return Topology{}, fmt.Errorf("%w: node directory %q", ErrTopology, e.Name())
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name(), "cpulist"))
		if err != nil {
			return Topology{}, fmt.Errorf("%w: %v", ErrTopology, err)
		}
		cpus, err := ParseCPUList(string(raw))
		if err != nil {
			return Topology{}, fmt.Errorf("%w: node %d: %v", ErrTopology, id, err)
		}
		slices.Sort(cpus)
		for _, c := range cpus {
			if other, dup := owner[c]; dup {
				return Topology{}, fmt.Errorf("%w: CPU %d in nodes %d and %d", ErrTopology, c, other, id)
			}
			owner[c] = id
		}
		t.Nodes = append(t.Nodes, NUMANode{ID: id, CPUs: cpus})
	}
	if len(t.Nodes) == 0 {
		return SingleNodeTopology(runtime.NumCPU()), nil
	}
	slices.SortFunc(t.Nodes, func(a, b NUMANode) int { return a.ID - b.ID })
	return t, nil
}

// SingleNodeTopology is a machine with one NUMA node 0 holding CPUs
// 0..cpus-1 (at least one).
func SingleNodeTopology(cpus int) Topology {
	n := NUMANode{ID: 0, CPUs: make([]int, max(cpus, 1))}
	for i := range n.CPUs {
		n.CPUs[i] = i
	}
	return Topology{Nodes: []NUMANode{n}}
}

// NodeOf returns the ID of the node that holds cpu, or -1 if none does.
func (t Topology) NodeOf(cpu int) int {
	for _, n := range t.Nodes {
		if _, ok := slices.BinarySearch(n.CPUs, cpu); ok {
			return n.ID
		}
	}
	return -1
}

// CPUs returns every CPU of every node, ascending.
func (t Topology) CPUs() []int {
	var all []int
	for _, n := range t.Nodes {
		all = append(all, n.CPUs...)
	}
	slices.Sort(all)
	return all
}
