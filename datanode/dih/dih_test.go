package dih

import (
	"slices"
	"testing"

	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
)

func TestDistributionPlacesReplicaChains(t *testing.T) {
	l, err := schema.NewLayout(&schema.Table{ID: 5, Name: "t", PrimaryKey: []int{0}, Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}}})
	if err != nil {
		t.Fatal(err)
	}
	for replicas := 1; replicas <= 3; replicas++ {
		groups, err := partition.FormNodeGroups([]partition.NodeID{1, 2, 3, 4, 5, 6}, replicas)
		if err != nil {
			t.Fatal(err)
		}
		d, err := New().WithTable(l, groups, 12)
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != 1 {
			t.Fatalf("version %d", d.Version)
		}
		tbl, ok := d.Table(5)
		if !ok {
			t.Fatal("table missing")
		}
		primaries := map[signal.NodeID]int{}
		for f := uint32(0); f < 12; f++ {
			chain := tbl.Replicas[f]
			if len(chain) != replicas {
				t.Fatalf("replicas %d: fragment %d chain %v", replicas, f, chain)
			}
			primaries[chain[0]]++
		}
		if len(primaries) != 6 {
			t.Fatalf("replicas %d: primaries on %d nodes, want all 6: %v", replicas, len(primaries), primaries)
		}
		// Every key's fragment is stable and its chain is the fragment's.
		for k := uint64(0); k < 1000; k++ {
			h := partition.HashUint64Key(k)
			f, chain := tbl.Locate(h)
			if f2, _ := tbl.Locate(h); f2 != f || &chain[0] != &tbl.Replicas[f][0] {
				t.Fatal("Locate not stable")
			}
		}
		total := 0
		for n := signal.NodeID(1); n <= 6; n++ {
			total += len(tbl.FragmentsOn(n))
		}
		if total != 12*replicas {
			t.Fatalf("replicas %d: %d fragment replicas, want %d", replicas, total, 12*replicas)
		}
	}
}

func TestReadBackupAndFullyReplicated(t *testing.T) {
	nodes := []partition.NodeID{1, 2, 3, 4, 5, 6}
	groups, err := partition.FormNodeGroups(nodes, 2)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id uint32, rb, fr bool) *Table {
		l, err := schema.NewLayout(&schema.Table{ID: id, Name: "t", PrimaryKey: []int{0}, ReadBackup: rb, FullyReplicated: fr,
			Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := New().WithTable(l, groups, 6)
		if err != nil {
			t.Fatal(err)
		}
		tbl, _ := d.Table(id)
		return tbl
	}
	plain, rb, fr := mk(1, false, false), mk(2, true, false), mk(3, false, true)
	primaries := map[signal.NodeID]int{}
	for f := uint32(0); f < 6; f++ {
		chain := fr.Replicas[f]
		if len(chain) != len(nodes) {
			t.Fatalf("fully replicated fragment %d: chain %v, want every node", f, chain)
		}
		primaries[chain[0]]++
		for _, n := range nodes {
			self := signal.NodeID(n)
			if got := fr.ReadReplica(f, self); got != self {
				t.Fatalf("fully replicated: node %d reads fragment %d from %d, want itself", n, f, got)
			}
			holds := slices.Contains(rb.Replicas[f], self)
			want := rb.Replicas[f][0]
			if holds {
				want = self
			}
			if got := rb.ReadReplica(f, self); got != want {
				t.Fatalf("read backup: node %d reads fragment %d (chain %v) from %d, want %d", n, f, rb.Replicas[f], got, want)
			}
			if got := plain.ReadReplica(f, self); got != plain.Replicas[f][0] {
				t.Fatalf("plain table: node %d reads fragment %d from %d, want the primary", n, f, got)
			}
		}
	}
	if len(primaries) != len(nodes) {
		t.Fatalf("fully replicated primaries on %d nodes, want %d: %v", len(primaries), len(nodes), primaries)
	}
	if plain.WaitsForComplete() || !rb.WaitsForComplete() || !fr.WaitsForComplete() {
		t.Fatal("WaitsForComplete: want false, true, true")
	}
}

func TestWithoutNodes(t *testing.T) {
	l, err := schema.NewLayout(&schema.Table{ID: 1, Name: "t", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "k", Type: schema.TypeBigInt}, {Name: "u", Type: schema.TypeBigInt}},
		Indexes: []schema.Index{{Name: "u", Kind: schema.IndexUniqueHash, Columns: []int{1}}}})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := partition.FormNodeGroups([]partition.NodeID{1, 2, 3, 4}, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New().WithTable(l, groups, 8)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		failed []signal.NodeID
	}{
		{"none", nil},
		{"one", []signal.NodeID{1}},
		{"one per group", []signal.NodeID{2, 3}},
		{"whole group kept", []signal.NodeID{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dead := func(n signal.NodeID) bool { return slices.Contains(tt.failed, n) }
			nd := d.WithoutNodes(dead)
			if nd.Version != d.Version+1 {
				t.Errorf("version %d, want %d", nd.Version, d.Version+1)
			}
			base, _ := nd.Table(1)
			old, _ := d.Table(1)
			for f, chain := range base.Replicas {
				var want []signal.NodeID
				for _, n := range old.Replicas[f] {
					if !dead(n) {
						want = append(want, n)
					}
				}
				if len(want) == 0 {
					want = old.Replicas[f] // a whole group failed: unchanged
				}
				if !slices.Equal(chain, want) {
					t.Errorf("fragment %d: chain %v, want %v", f, chain, want)
				}
			}
			hidden, ok := nd.Table(HiddenTableID(1, 0))
			if !ok || &hidden.Replicas[0] != &base.Replicas[0] {
				t.Errorf("the unique index's hidden table does not share the base table's chains")
			}
		})
	}
}

// TestWithMembers: chains are the placement restricted to the members,
// full replicas first in placement order (a restarted node gets its
// primaries back), starting ones at the tail, counted by StartingTail;
// reads never pick a starting replica; starting nodes are reported.
func TestWithMembers(t *testing.T) {
	l, err := schema.NewLayout(&schema.Table{ID: 1, Name: "t", Version: 1, PrimaryKey: []int{0}, ReadBackup: true,
		Columns: []schema.Column{{Name: "k", Type: schema.TypeBigInt}, {Name: "u", Type: schema.TypeBigInt}},
		Indexes: []schema.Index{{Name: "u", Kind: schema.IndexUniqueHash, Columns: []int{1}}}})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := partition.FormNodeGroups([]partition.NodeID{1, 2, 3, 4}, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New().WithTable(l, groups, 8)
	if err != nil {
		t.Fatal(err)
	}
	set := func(ns ...signal.NodeID) func(signal.NodeID) bool {
		return func(n signal.NodeID) bool { return slices.Contains(ns, n) }
	}
	tests := []struct {
		name           string
		live, starting []signal.NodeID
	}{
		{"all full", []signal.NodeID{1, 2, 3, 4}, nil},
		{"one failed", []signal.NodeID{2, 3, 4}, nil},
		{"one starting", []signal.NodeID{2, 3, 4}, []signal.NodeID{1}},
		{"one starting per group", []signal.NodeID{2, 4}, []signal.NodeID{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Apply over a distribution that lost node 1 first: the result
			// depends only on the placement and the members.
			nd := d.WithoutNodes(set(1)).WithMembers(set(tt.live...), set(tt.starting...))
			base, _ := nd.Table(1)
			orig, _ := d.Table(1)
			for f, place := range orig.Placement {
				var want []signal.NodeID
				for _, n := range place {
					if slices.Contains(tt.live, n) && !slices.Contains(tt.starting, n) {
						want = append(want, n)
					}
				}
				tail := 0
				for _, n := range place {
					if slices.Contains(tt.starting, n) {
						want = append(want, n)
						tail++
					}
				}
				if !slices.Equal(base.Replicas[f], want) {
					t.Errorf("fragment %d: chain %v, want %v", f, base.Replicas[f], want)
				}
				if got := base.StartingTail(uint32(f)); got != tail {
					t.Errorf("fragment %d: StartingTail %d, want %d", f, got, tail)
				}
				for _, self := range []signal.NodeID{1, 2, 3, 4} {
					if r := base.ReadReplica(uint32(f), self); slices.Contains(tt.starting, r) {
						t.Errorf("fragment %d: node %d reads from starting replica %d", f, self, r)
					}
				}
			}
			for _, n := range []signal.NodeID{1, 2, 3, 4} {
				if nd.IsStarting(n) != slices.Contains(tt.starting, n) {
					t.Errorf("IsStarting(%d) = %v", n, nd.IsStarting(n))
				}
			}
			hidden, ok := nd.Table(HiddenTableID(1, 0))
			if !ok || &hidden.Replicas[0] != &base.Replicas[0] || hidden.StartingTail(0) != base.StartingTail(0) {
				t.Errorf("the unique index's hidden table does not share the base table's chains")
			}
		})
	}
}
