package partition

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestFormNodeGroups(t *testing.T) {
	for _, tc := range []struct {
		nodes    []NodeID
		replicas int
		want     []NodeGroup
		err      error
	}{
		{[]NodeID{5}, 1, []NodeGroup{{0, []NodeID{5}}}, nil},
		{[]NodeID{1, 2, 3, 4}, 2, []NodeGroup{{0, []NodeID{1, 2}}, {1, []NodeID{3, 4}}}, nil},
		{[]NodeID{4, 3, 2, 1}, 2, []NodeGroup{{0, []NodeID{4, 3}}, {1, []NodeID{2, 1}}}, nil},
		{[]NodeID{1, 2, 3, 4, 5, 6}, 3, []NodeGroup{{0, []NodeID{1, 2, 3}}, {1, []NodeID{4, 5, 6}}}, nil},
		{[]NodeID{1, 2, 3, 4}, 4, []NodeGroup{{0, []NodeID{1, 2, 3, 4}}}, nil},
		{[]NodeID{1, 2}, 0, nil, ErrReplicas},
		{[]NodeID{1, 2, 3, 4, 5}, 5, nil, ErrReplicas},
		{[]NodeID{1, 2, 3}, 2, nil, ErrNodes},
		{nil, 2, nil, ErrNodes},
		{[]NodeID{1, 0}, 2, nil, ErrNodes},
		{[]NodeID{1, 2, 3, 1}, 2, nil, ErrNodes},
	} {
		got, err := FormNodeGroups(tc.nodes, tc.replicas)
		if !errors.Is(err, tc.err) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FormNodeGroups(%v, %d) = %v, %v; want %v, %v", tc.nodes, tc.replicas, got, err, tc.want, tc.err)
		}
	}
}

func TestFormNodeGroupsCopiesInput(t *testing.T) {
	nodes := []NodeID{1, 2, 3, 4}
	groups, err := FormNodeGroups(nodes, 2)
	if err != nil {
		t.Fatal(err)
	}
	nodes[0] = 9
	groups[0].Nodes = append(groups[0].Nodes, 7) // must not spill into group 1
	if groups[1].Nodes[0] != 3 || groups[0].Nodes[0] != 1 {
		t.Fatalf("groups share memory with the input or each other: %v", groups)
	}
}

func TestDefaultFragmentCount(t *testing.T) {
	for _, tc := range []struct{ ldm, groups, want int }{
		{1, 1, 1}, {4, 1, 4}, {4, 2, 8}, {8, 3, 24},
	} {
		if got := DefaultFragmentCount(tc.ldm, tc.groups); got != tc.want {
			t.Errorf("DefaultFragmentCount(%d, %d) = %d, want %d", tc.ldm, tc.groups, got, tc.want)
		}
	}
}

func TestPlaceExamples(t *testing.T) {
	two, _ := FormNodeGroups([]NodeID{1, 2, 3, 4}, 2)
	three, _ := FormNodeGroups([]NodeID{1, 2, 3}, 3)
	for _, tc := range []struct {
		name      string
		groups    []NodeGroup
		fragments int
		want      [][]NodeID
	}{
		{"2 groups of 2", two, 4, [][]NodeID{{1, 2}, {3, 4}, {2, 1}, {4, 3}}},
		{"1 group of 3", three, 7, [][]NodeID{
			{1, 2, 3}, {2, 3, 1}, {3, 1, 2}, // first backups follow the primary
			{1, 3, 2}, {2, 1, 3}, {3, 2, 1}, // then the one after that
			{1, 2, 3},
		}},
	} {
		p, err := Place(tc.groups, tc.fragments)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]NodeID
		for f, fr := range p {
			if fr.Fragment != uint32(f) {
				t.Errorf("%s: entry %d is fragment %d", tc.name, f, fr.Fragment)
			}
			got = append(got, fr.Nodes)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: placement %v, want %v", tc.name, got, tc.want)
		}
	}
}

// spread reports max-min over the counts of every key in keys (zero counts
// included).
func spread[K comparable](counts map[K]int, keys []K) int {
	lo, hi := counts[keys[0]], counts[keys[0]]
	for _, k := range keys {
		lo, hi = min(lo, counts[k]), max(hi, counts[k])
	}
	return hi - lo
}

func TestPlaceProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for replicas := 1; replicas <= MaxReplicas; replicas++ {
		for ngroups := 1; ngroups <= 8; ngroups++ {
			// Node ids in a shuffled order, so that nothing leans on them being sorted.
			nodes := make([]NodeID, replicas*ngroups)
			for i := range nodes {
				nodes[i] = NodeID(10 + i)
			}
			rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
			groups, err := FormNodeGroups(nodes, replicas)
			if err != nil {
				t.Fatal(err)
			}
			counts := []int{1, ngroups, 1 + rng.IntN(300)}
			for ldm := 1; ldm <= 8; ldm++ {
				counts = append(counts, DefaultFragmentCount(ldm, ngroups))
			}
			for _, fragments := range counts {
				t.Run(fmt.Sprintf("r%d/g%d/f%d", replicas, ngroups, fragments), func(t *testing.T) {
					checkPlacement(t, groups, fragments)
				})
			}
		}
	}
}

func checkPlacement(t *testing.T, groups []NodeGroup, fragments int) {
	t.Helper()
	p, err := Place(groups, fragments)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != fragments {
		t.Fatalf("%d entries for %d fragments", len(p), fragments)
	}
	replicas := len(groups[0].Nodes)
	var all []NodeID
	for _, g := range groups {
		all = append(all, g.Nodes...)
	}
	// firstBackup[primary][backup] counts fragments where backup takes over
	// first when primary fails.
	firstBackup := map[NodeID]map[NodeID]int{}
	for f, fr := range p {
		g := groups[f%len(groups)]
		if fr.NodeGroup != g.ID || p.NodeGroupOf(uint32(f)) != g.ID {
			t.Fatalf("fragment %d on group %d, want %d", f, fr.NodeGroup, g.ID)
		}
		sorted, want := slices.Sorted(slices.Values(fr.Nodes)), slices.Sorted(slices.Values(g.Nodes))
		if !slices.Equal(sorted, want) {
			t.Fatalf("fragment %d replicas %v, group %v", f, fr.Nodes, g.Nodes)
		}
		if p.Primary(uint32(f)) != fr.Nodes[0] || !slices.Equal(p.Replicas(uint32(f)), fr.Nodes) {
			t.Fatalf("fragment %d: accessors disagree with %v", f, fr.Nodes)
		}
		if replicas > 1 {
			if firstBackup[fr.Nodes[0]] == nil {
				firstBackup[fr.Nodes[0]] = map[NodeID]int{}
			}
			firstBackup[fr.Nodes[0]][fr.Nodes[1]]++
		}
	}
	primaries := PrimaryCounts(p)
	if s := spread(primaries, all); s > 1 {
		t.Errorf("primary counts %v spread by %d", primaries, s)
	}
	for primary, backups := range firstBackup {
		others := slices.DeleteFunc(slices.Clone(groupOf(groups, primary).Nodes), func(n NodeID) bool { return n == primary })
		if s := spread(backups, others); s > 1 {
			t.Errorf("first backups of node %d: %v spread by %d", primary, backups, s)
		}
	}
	for _, n := range all {
		var want []uint32
		for f := range p {
			if slices.Contains(p[f].Nodes, n) {
				want = append(want, uint32(f))
			}
		}
		if got := p.FragmentsOn(n); !slices.Equal(got, want) {
			t.Fatalf("FragmentsOn(%d) = %v, want %v", n, got, want)
		}
	}
}

func groupOf(groups []NodeGroup, n NodeID) NodeGroup {
	for _, g := range groups {
		if slices.Contains(g.Nodes, n) {
			return g
		}
	}
	panic(fmt.Sprintf("node %d in no group", n))
}

func TestPlaceErrors(t *testing.T) {
	ok := []NodeGroup{{0, []NodeID{1, 2}}, {1, []NodeID{3, 4}}}
	for _, tc := range []struct {
		name      string
		groups    []NodeGroup
		fragments int
		want      error
	}{
		{"no groups", nil, 4, ErrNodes},
		{"empty group", []NodeGroup{{0, nil}}, 4, ErrReplicas},
		{"5 replicas", []NodeGroup{{0, []NodeID{1, 2, 3, 4, 5}}}, 4, ErrReplicas},
		{"mixed sizes", []NodeGroup{{0, []NodeID{1, 2}}, {1, []NodeID{3}}}, 4, ErrReplicas},
		{"node in two groups", []NodeGroup{{0, []NodeID{1, 2}}, {1, []NodeID{2, 3}}}, 4, ErrNodes},
		{"node 0", []NodeGroup{{0, []NodeID{0, 2}}}, 4, ErrNodes},
		{"group id twice", []NodeGroup{{0, []NodeID{1, 2}}, {0, []NodeID{3, 4}}}, 4, ErrNodes},
		{"no fragments", ok, 0, ErrFragments},
		{"too many fragments", ok, MaxFragments + 1, ErrFragments},
		{"fewer fragments than groups", ok, 1, nil},
	} {
		if _, err := Place(tc.groups, tc.fragments); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestPlacementSlicesDoNotOverlap(t *testing.T) {
	groups, _ := FormNodeGroups([]NodeID{1, 2, 3, 4}, 2)
	p, err := Place(groups, 4)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(p.Replicas(0), 99)
	if p.Primary(1) != 3 {
		t.Fatalf("appending to fragment 0's replicas changed fragment 1: %v", p[1].Nodes)
	}
}

func TestPlacementPanicsOutOfRange(t *testing.T) {
	groups, _ := FormNodeGroups([]NodeID{1, 2}, 2)
	p, err := Place(groups, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Primary(2) of 2 fragments did not panic")
		}
	}()
	p.Primary(2)
}
