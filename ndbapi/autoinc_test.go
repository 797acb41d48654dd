package ndbapi_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
)

// startAutoInc starts a cluster that has the auto-increment counters
// table (the dictionary makes it in real clusters; here it is given).
func startAutoInc(t *testing.T) *testCluster {
	t.Helper()
	def := ndbapi.AutoIncTableDef()
	def.ID, def.Version = 8, 1
	tc := startInproc(t, 2, func(c *node.Config) {
		c.Tables = append(slices.Clone(c.Tables), def)
	})
	if _, err := tc.c.AddTable(def); err != nil {
		t.Fatal(err)
	}
	return tc
}

func TestAutoIncrement(t *testing.T) {
	tc := startAutoInc(t)
	ctx := context.Background()
	n := tc.ndb(t)

	// No counter yet.
	if _, ok, err := n.ReadAutoIncrement(ctx, tc.t); ok || err != nil {
		t.Fatalf("read before set: ok %v, %v", ok, err)
	}
	if _, err := n.ReserveAutoIncrement(ctx, tc.t, 1, 0); ndbapi.Code(err) != ndberr.ErrNoSuchRow.Code {
		t.Fatalf("reserve without a counter: %v, want code %d", err, ndberr.ErrNoSuchRow.Code)
	}

	if err := n.SetAutoIncrement(ctx, tc.t, 1); err != nil {
		t.Fatal(err)
	}
	a := ndbapi.NewAutoIncrement(tc.t)
	steps := []struct {
		name     string
		seen     uint64 // 0: take the next value
		prefetch uint64
		want     uint64 // the value Next returns
		counter  uint64 // the cluster counter afterwards
	}{
		{name: "first value, prefetch 1", prefetch: 1, want: 1, counter: 2},
		{name: "second reserves again", prefetch: 1, want: 2, counter: 3},
		{name: "a range of 10", prefetch: 10, want: 3, counter: 13},
		{name: "from the local range", prefetch: 10, want: 4, counter: 13},
		{name: "explicit value inside the range", seen: 7, counter: 13},
		{name: "skips past it", prefetch: 10, want: 8, counter: 13},
		{name: "explicit value below: nothing moves", seen: 5, counter: 13},
		{name: "explicit value above the counter", seen: 100, counter: 101},
		{name: "continues after it", prefetch: 1, want: 101, counter: 102},
		{name: "explicit value below the known counter: no round trip needed", seen: 50, counter: 102},
	}
	for _, st := range steps {
		if st.seen != 0 {
			if err := a.Seen(ctx, n, st.seen); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		} else {
			v, err := a.Next(ctx, n, st.prefetch)
			if err != nil || v != st.want {
				t.Fatalf("%s: got %d, %v; want %d", st.name, v, err, st.want)
			}
		}
		got, ok, err := n.ReadAutoIncrement(ctx, tc.t)
		if err != nil || !ok || got != st.counter {
			t.Fatalf("%s: counter %d (%v, %v), want %d", st.name, got, ok, err, st.counter)
		}
	}

	// Two sources (two SQL nodes) hand out disjoint values.
	if err := n.SetAutoIncrement(ctx, tc.t, 1); err != nil {
		t.Fatal(err)
	}
	const perWorker = 60
	var mu sync.Mutex
	var all []uint64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wn := tc.ndb(t)
		src := ndbapi.NewAutoIncrement(tc.t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				v, err := src.Next(ctx, wn, 7)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				all = append(all, v)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(all)
	if len(all) != 4*perWorker || len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Fatalf("%d values, %d distinct: ranges overlapped", len(all), len(slices.Compact(slices.Clone(all))))
	}

	// The end of the counter.
	if err := n.SetAutoIncrement(ctx, tc.t, math.MaxUint64); err != nil {
		t.Fatal(err)
	}
	a.Reset()
	if _, err := a.Next(ctx, n, 1); !errors.Is(err, ndbapi.ErrAutoIncExhausted) {
		t.Fatalf("next at the end: %v, want ErrAutoIncExhausted", err)
	}

	// Dropping the counter.
	if err := n.DropAutoIncrement(ctx, tc.t); err != nil {
		t.Fatal(err)
	}
	if err := n.DropAutoIncrement(ctx, tc.t); err != nil {
		t.Fatalf("second drop: %v", err)
	}
	if _, ok, err := n.ReadAutoIncrement(ctx, tc.t); ok || err != nil {
		t.Fatalf("read after drop: ok %v, %v", ok, err)
	}
}
