package schema

import (
	"errors"
	"slices"
	"testing"
)

func alterBase() *Table {
	return &Table{ID: 3, Name: "t", Version: 2, PrimaryKey: []int{0},
		Columns: []Column{{Name: "id", Type: TypeBigInt}, {Name: "k", Type: TypeInt}, {Name: "c", Type: TypeVarchar, Length: 8}},
		Indexes: []Index{
			{Name: "PRIMARY$ord", Kind: IndexOrdered, Columns: []int{0}},
			{Name: "u", Kind: IndexUniqueHash, Columns: []int{2}},
			{Name: "k", Kind: IndexOrdered, Columns: []int{1}},
		}}
}

func TestCheckIndexChange(t *testing.T) {
	for _, tc := range []struct {
		name     string
		change   func(*Table)
		ok       bool
		added    []int
		dropped  []int
		validErr bool
	}{
		{"nothing", func(*Table) {}, true, nil, nil, false},
		{"add ordered", func(n *Table) {
			n.Indexes = append(n.Indexes, Index{Name: "kc", Kind: IndexOrdered, Columns: []int{1, 2}})
		}, true, []int{3}, nil, false},
		{"drop ordered in the middle", func(n *Table) { n.Indexes[0] = Index{Kind: IndexDropped} }, true, nil, []int{0}, false},
		{"drop unique", func(n *Table) { n.Indexes[1] = Index{Kind: IndexDropped} }, true, nil, []int{1}, false},
		{"drop and add under the same name", func(n *Table) {
			n.Indexes[2] = Index{Kind: IndexDropped}
			n.Indexes = append(n.Indexes, Index{Name: "k", Kind: IndexOrdered, Columns: []int{1, 0}})
		}, true, []int{3}, []int{2}, false},
		{"add unique", func(n *Table) {
			n.Indexes = append(n.Indexes, Index{Name: "u2", Kind: IndexUniqueHash, Columns: []int{1}})
		}, false, nil, nil, false},
		{"remove an index", func(n *Table) { n.Indexes = n.Indexes[:2] }, false, nil, nil, false},
		{"change an index", func(n *Table) { n.Indexes[2].Columns = []int{2} }, false, nil, nil, false},
		{"rename an index", func(n *Table) { n.Indexes[2].Name = "k2" }, false, nil, nil, false},
		{"add a column", func(n *Table) { n.Columns = append(n.Columns, Column{Name: "x", Type: TypeInt}) }, false, nil, nil, false},
		{"change a column", func(n *Table) { n.Columns[1].Nullable = true }, false, nil, nil, false},
		{"read backup", func(n *Table) { n.ReadBackup = true }, false, nil, nil, false},
		{"distribution key", func(n *Table) { n.DistributionKey = []int{0} }, false, nil, nil, false},
		{"rename the table", func(n *Table) { n.Name = "t2" }, false, nil, nil, false},
		{"dropped place with a name", func(n *Table) { n.Indexes[2] = Index{Name: "k", Kind: IndexDropped} }, true, nil, []int{2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := alterBase()
			next := alterBase()
			next.Version++
			tc.change(next)
			err := CheckIndexChange(old, next)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckIndexChange: %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrUnsupportedChange) {
					t.Fatalf("%v does not match ErrUnsupportedChange", err)
				}
				return
			}
			if got := IndexesAdded(old, next); !slices.Equal(got, tc.added) {
				t.Fatalf("added %v, want %v", got, tc.added)
			}
			if got := IndexesDropped(old, next); !slices.Equal(got, tc.dropped) {
				t.Fatalf("dropped %v, want %v", got, tc.dropped)
			}
			if verr := next.Validate(); (verr != nil) != tc.validErr {
				t.Fatalf("Validate: %v, want error %v", verr, tc.validErr)
			}
		})
	}
}

// A dropped place cannot come back: its number named another index.
func TestCheckIndexChangeDroppedStays(t *testing.T) {
	old := alterBase()
	old.Indexes[2] = Index{Kind: IndexDropped}
	next := alterBase()
	if err := CheckIndexChange(old, next); !errors.Is(err, ErrUnsupportedChange) {
		t.Fatalf("reusing a dropped place: %v", err)
	}
	if _, err := NewLayout(old); err != nil {
		t.Fatalf("a table with a dropped place is valid: %v", err)
	}
}
