package ordidx

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// geometries are the node sizes the tests run with: the production one,
// a tiny one that builds deep trees (and every split, borrow and merge
// path) from a few hundred rows, and a small one whose borrows move
// several entries at once.
var geometries = []struct {
	name           string
	leafMax, inMax int
}{
	{"prod", leafCap, innerCap},
	{"tiny", 8, 4},
	{"small", 16, 12},
}

// fixture is a tree over a twoCols comparator plus the set of live rows.
type fixture struct {
	c    *twoCols
	tree *Tree
}

func newFixture(rows, leafMax, inMax int) *fixture {
	c := newTwoCols(rows)
	return &fixture{c: c, tree: newTree(c, leafMax, inMax)}
}

func (f *fixture) insert(r uint32, a, b int32) {
	f.c.a[r], f.c.b[r], f.c.state[r] = a, b, rowLive
	f.tree.Insert(r)
}

// less orders live rows the way the index does.
func (f *fixture) less(x, y uint32) bool {
	if v := f.c.CompareRows(x, y); v != 0 {
		return v < 0
	}
	return x < y
}

// inRange reports whether row r lies within lo..hi.
func (f *fixture) inRange(r uint32, lo, hi Bound) bool {
	a, b := f.c.a[r], f.c.b[r]
	if !lo.Unbounded {
		if v := keyCmp(lo.Key, a, b); v > 0 || v == 0 && !lo.Inclusive {
			return false
		}
	}
	if !hi.Unbounded {
		if v := keyCmp(hi.Key, a, b); v < 0 || v == 0 && !hi.Inclusive {
			return false
		}
	}
	return true
}

// want returns the sorted live rows within lo..hi, brute force.
func (f *fixture) want(lo, hi Bound, desc bool) []uint32 {
	var out []uint32
	for r, s := range f.c.state {
		if s == rowLive && f.inRange(uint32(r), lo, hi) {
			out = append(out, uint32(r))
		}
	}
	slices.SortFunc(out, func(x, y uint32) int {
		if f.less(x, y) {
			return -1
		}
		return 1
	})
	if desc {
		slices.Reverse(out)
	}
	return out
}

// scanAll reads a whole scan in batches of batch rows.
func scanAll(t *Tree, lo, hi Bound, desc bool, batch int) []uint32 {
	c := t.Seek(lo, hi, desc)
	buf := make([]uint32, batch)
	var out []uint32
	for {
		n := c.Next(buf)
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

var unbounded = Bound{Unbounded: true}

func incl(k []byte) Bound { return Bound{Key: k, Inclusive: true} }
func excl(k []byte) Bound { return Bound{Key: k} }

func TestNodeSizesFillCacheLines(t *testing.T) {
	if got := unsafe.Sizeof(leaf{}); got != 256 {
		t.Errorf("leaf is %d bytes, want 256", got)
	}
	if got := unsafe.Sizeof(inner{}); got != 512 {
		t.Errorf("inner node is %d bytes, want 512", got)
	}
}

func TestOrderByKeyThenRowID(t *testing.T) {
	c := newTwoCols(8)
	f := &fixture{c: c, tree: New(c)}
	for r, a := range []int32{2, 1, 2, 1, 0, 2} {
		f.insert(uint32(r), a, 0)
	}
	want := []uint32{4, 1, 3, 0, 2, 5}
	if got := scanAll(f.tree, unbounded, unbounded, false, 4); !slices.Equal(got, want) {
		t.Fatalf("ascending = %v, want %v", got, want)
	}
	slices.Reverse(want)
	if got := scanAll(f.tree, unbounded, unbounded, true, 4); !slices.Equal(got, want) {
		t.Fatalf("descending = %v, want %v", got, want)
	}
	if r, ok := f.tree.First(); !ok || r != 4 {
		t.Errorf("First = %d, %v; want 4, true", r, ok)
	}
	if r, ok := f.tree.Last(); !ok || r != 5 {
		t.Errorf("Last = %d, %v; want 5, true", r, ok)
	}
}

func TestEmptyTree(t *testing.T) {
	f := newFixture(1, leafCap, innerCap)
	if _, ok := f.tree.First(); ok {
		t.Error("First on empty tree reports a row")
	}
	if _, ok := f.tree.Last(); ok {
		t.Error("Last on empty tree reports a row")
	}
	for _, desc := range []bool{false, true} {
		if got := scanAll(f.tree, unbounded, unbounded, desc, 3); len(got) != 0 {
			t.Errorf("scan of empty tree (desc=%v) = %v", desc, got)
		}
	}
	if f.tree.Delete(0) {
		t.Error("Delete on empty tree reported success")
	}
	var zero Cursor
	if n := zero.Next(make([]uint32, 4)); n != 0 {
		t.Errorf("zero Cursor returned %d rows", n)
	}
}

func TestInsertTwicePanics(t *testing.T) {
	f := newFixture(4, leafCap, innerCap)
	f.insert(1, 5, 5)
	defer func() {
		if recover() == nil {
			t.Fatal("second Insert of row 1 did not panic")
		}
	}()
	f.tree.Insert(1)
}

func TestDeleteMissingRow(t *testing.T) {
	f := newFixture(4, leafCap, innerCap)
	f.insert(1, 5, 5)
	f.insert(2, 5, 5)
	f.c.a[3], f.c.b[3], f.c.state[3] = 5, 5, rowLive // same key, never inserted
	if f.tree.Delete(3) {
		t.Fatal("Delete of a row never inserted reported success")
	}
	if f.tree.Len() != 2 {
		t.Fatalf("Len = %d, want 2", f.tree.Len())
	}
	if !f.tree.Delete(2) || f.tree.Delete(2) {
		t.Fatal("Delete of row 2 should succeed once, then fail")
	}
	if err := f.tree.Check(); err != nil || f.tree.Len() != 1 {
		t.Fatalf("after deletes: Len %d, Check %v", f.tree.Len(), err)
	}
}

// TestScanBounds runs fixed bound combinations over a data set with many
// duplicate keys and compares every batch size and direction with brute
// force.
func TestScanBounds(t *testing.T) {
	cases := []struct {
		name   string
		lo, hi Bound
		empty  bool
	}{
		{name: "all", lo: unbounded, hi: unbounded},
		{name: "prefix equal", lo: incl(key(3)), hi: incl(key(3))},
		{name: "prefix exclusive both", lo: excl(key(3)), hi: excl(key(4)), empty: true},
		{name: "prefix exclusive lo", lo: excl(key(3)), hi: unbounded},
		{name: "prefix exclusive hi", lo: unbounded, hi: excl(key(3))},
		{name: "full inclusive", lo: incl(key(3, 1)), hi: incl(key(5, 0))},
		{name: "full exclusive", lo: excl(key(3, 1)), hi: excl(key(5, 0))},
		{name: "full lo prefix hi", lo: incl(key(2, 2)), hi: incl(key(6))},
		{name: "point", lo: incl(key(4, 1)), hi: incl(key(4, 1))},
		{name: "lo above hi", lo: incl(key(7)), hi: incl(key(2)), empty: true},
		{name: "below data", lo: unbounded, hi: excl(key(-3)), empty: true},
		{name: "above data", lo: incl(key(50)), hi: unbounded, empty: true},
		{name: "around data", lo: incl(key(-3)), hi: incl(key(50))},
	}
	for _, g := range geometries {
		f := newFixture(600, g.leafMax, g.inMax)
		rng := rand.New(rand.NewPCG(1, 2))
		for r := range uint32(600) {
			f.insert(r, rng.Int32N(10), rng.Int32N(3))
		}
		if err := f.tree.Check(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			for _, desc := range []bool{false, true} {
				want := f.want(tc.lo, tc.hi, desc)
				if tc.empty != (len(want) == 0) {
					t.Fatalf("%s: case expects empty=%v, brute force found %d rows", tc.name, tc.empty, len(want))
				}
				for _, batch := range []int{1, 3, 61, 1000} {
					got := scanAll(f.tree, tc.lo, tc.hi, desc, batch)
					if !slices.Equal(got, want) {
						t.Fatalf("%s/%s desc=%v batch=%d: got %d rows %v, want %d rows %v",
							g.name, tc.name, desc, batch, len(got), head(got), len(want), head(want))
					}
				}
			}
		}
	}
}

func head(s []uint32) []uint32 { return s[:min(len(s), 12)] }

// TestSequentialInserts checks the right-edge split: ascending keys leave
// leaves three quarters full, not half, and every node still within its
// fill limits; descending keys split evenly.
func TestSequentialInserts(t *testing.T) {
	for _, g := range geometries {
		// Enough rows for inner nodes to split at the edge several times;
		// checks often enough to catch a node underfull after a split.
		rows := map[string]int{"prod": 20000, "tiny": 2000, "small": 4000}[g.name]
		for _, desc := range []bool{false, true} {
			f := newFixture(rows, g.leafMax, g.inMax)
			for r := range uint32(rows) {
				k := int32(r)
				if desc {
					k = -k
				}
				f.insert(r, k, 0)
				if r%uint32(rows/40) == 0 {
					if err := f.tree.Check(); err != nil {
						t.Fatalf("%s desc=%v after %d inserts: %v", g.name, desc, r+1, err)
					}
				}
			}
			if err := f.tree.Check(); err != nil {
				t.Fatal(err)
			}
			fill := float64(rows) / float64(len(f.tree.leaves)*g.leafMax)
			if want := 0.74; !desc && fill < want {
				t.Errorf("%s: ascending inserts fill leaves to %.2f, want >= %.2f", g.name, fill, want)
			}
		}
	}
}

// TestDrainAndRefill deletes everything in random order, checks the tree
// shrinks back to one leaf, and that building the same tree again reuses
// the freed nodes instead of growing the slices.
func TestDrainAndRefill(t *testing.T) {
	for _, g := range geometries {
		const rows = 3000
		f := newFixture(rows, g.leafMax, g.inMax)
		rng := rand.New(rand.NewPCG(3, 4))
		order := rng.Perm(rows)
		for _, r := range order {
			f.insert(uint32(r), rng.Int32N(50), rng.Int32N(50))
		}
		mem := f.tree.MemoryBytes()
		drain := slices.Clone(order)
		rng.Shuffle(rows, func(i, j int) { drain[i], drain[j] = drain[j], drain[i] })
		for i, r := range drain {
			if !f.tree.Delete(uint32(r)) {
				t.Fatalf("%s: Delete(%d) failed", g.name, r)
			}
			if i%500 == 0 {
				if err := f.tree.Check(); err != nil {
					t.Fatalf("%s after %d deletes: %v", g.name, i+1, err)
				}
			}
		}
		if err := f.tree.Check(); err != nil {
			t.Fatal(err)
		}
		if f.tree.Len() != 0 || f.tree.height != 0 {
			t.Fatalf("%s: drained tree has Len %d height %d", g.name, f.tree.Len(), f.tree.height)
		}
		for _, r := range order { // same keys, same order: same shape
			f.tree.Insert(uint32(r))
		}
		if err := f.tree.Check(); err != nil {
			t.Fatal(err)
		}
		if got := f.tree.MemoryBytes(); got != mem {
			t.Errorf("%s: refill changed memory from %d to %d bytes; free nodes not reused", g.name, mem, got)
		}
	}
}

func TestCheckDetectsCorruption(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(tr *Tree)
	}{
		{"swapped entries", func(tr *Tree) {
			l := &tr.leaves[tr.edgeLeaf(false)]
			l.rows[0], l.rows[1] = l.rows[1], l.rows[0]
		}},
		{"wrong separator", func(tr *Tree) { tr.inners[tr.root].seps[0]++ }},
		{"broken chain", func(tr *Tree) { tr.leaves[tr.edgeLeaf(false)].next = nilNode }},
		{"wrong count", func(tr *Tree) { tr.count++ }},
		{"lost node", func(tr *Tree) { tr.freeLeaf = nilNode; tr.leaves = append(tr.leaves, leaf{}) }},
	}
	for _, tc := range cases {
		f := newFixture(200, 8, 4)
		for r := range uint32(200) {
			f.insert(r, int32(r%7), int32(r))
		}
		if err := f.tree.Check(); err != nil {
			t.Fatal(err)
		}
		tc.break_(f.tree)
		if err := f.tree.Check(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Check = %v, want ErrCorrupt", tc.name, err)
		}
	}
}

// TestResumeAfterKey covers positions given by key: inside the range,
// before its start (moved up to the start), and reviving a finished scan.
func TestResumeAfterKey(t *testing.T) {
	f := newFixture(100, 8, 4)
	for r := range uint32(100) {
		f.insert(r, int32(r/10), int32(r%10)) // row r has key (r/10, r%10)
	}
	lo, hi := incl(key(3)), excl(key(6))
	buf := make([]uint32, 100)
	cases := []struct {
		name string
		desc bool
		k    []byte
		row  uint32
		want []uint32 // first rows expected
	}{
		{"inside asc", false, key(4, 4), 44, []uint32{45, 46}},
		{"inside desc", true, key(4, 4), 44, []uint32{43, 42}},
		{"tie on row id asc", false, key(4, 4), 40, []uint32{44, 45}},
		{"before start asc", false, key(1, 0), 10, []uint32{30, 31}},
		{"before start desc", true, key(8, 0), 80, []uint32{59, 58}},
		{"past end asc", false, key(7, 0), 70, nil},
	}
	for _, tc := range cases {
		c := f.tree.Seek(lo, hi, tc.desc)
		for c.Next(buf) > 0 { // run it to the end first
		}
		c.ResumeAfterKey(tc.k, tc.row)
		n := c.Next(buf[:len(tc.want)+1])
		if len(tc.want) == 0 {
			if n != 0 {
				t.Errorf("%s: got %v, want nothing", tc.name, buf[:n])
			}
			continue
		}
		if n < len(tc.want) || !slices.Equal(buf[:len(tc.want)], tc.want) {
			t.Errorf("%s: got %v, want it to start %v", tc.name, buf[:n], tc.want)
		}
	}
}
