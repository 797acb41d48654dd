package ordidx

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestModel drives the tree with random inserts, deletes and resumable
// range scans against a sorted-slice model. Each seed picks its own key
// spread, so some runs are mostly duplicates and others mostly distinct.
// A failure names the seed; rerun one with -run 'TestModel/<geometry>/seed=N'.
func TestModel(t *testing.T) {
	seeds, steps := 20, 4000
	if testing.Short() {
		seeds, steps = 3, 800
	}
	for _, g := range geometries {
		rows := map[string]int{"prod": 6000, "tiny": 600, "small": 2000}[g.name]
		for seed := range uint64(seeds) {
			t.Run(fmt.Sprintf("%s/seed=%d", g.name, seed), func(t *testing.T) {
				m := newModelRun(t, seed, rows, g.leafMax, g.inMax)
				m.run(steps)
			})
		}
	}
}

type modelRun struct {
	t      *testing.T
	rng    *rand.Rand
	f      *fixture
	sorted []uint32 // live rows in index order
	free   []uint32 // row ids that may be inserted
	// held are ids deleted during a scan: not reused until it ends, so a
	// row id has one key for the whole scan.
	held     []uint32
	spread   int32 // keys are (a, b) with both in [0, spread)
	fillGoal int   // rows to aim for: inserts below it, deletes above
	buf      []uint32
}

func newModelRun(t *testing.T, seed uint64, rows, leafMax, inMax int) *modelRun {
	rng := rand.New(rand.NewPCG(seed, 0x0dd1))
	m := &modelRun{
		t:      t,
		rng:    rng,
		f:      newFixture(rows, leafMax, inMax),
		spread: 2 + rng.Int32N(20),
		buf:    make([]uint32, 9),
	}
	for r := range uint32(rows) {
		m.free = append(m.free, r)
	}
	return m
}

func (m *modelRun) fatalf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf(format, args...)
}

// rawLess orders rows by the keys in the comparator's slices, ignoring row
// state: it may compare rows deleted during the current scan.
func (m *modelRun) rawLess(x, y uint32) bool {
	c := m.f.c
	if c.a[x] != c.a[y] {
		return c.a[x] < c.a[y]
	}
	if c.b[x] != c.b[y] {
		return c.b[x] < c.b[y]
	}
	return x < y
}

func (m *modelRun) order(x, y uint32) int {
	if x == y {
		return 0
	}
	if m.rawLess(x, y) {
		return -1
	}
	return 1
}

func (m *modelRun) run(steps int) {
	for step := range steps {
		if step%(steps/6) == 0 {
			// Phases of growth and shrinkage move the tree through levels.
			m.fillGoal = m.rng.IntN(len(m.f.c.state) + 1)
		}
		if m.rng.IntN(10) == 0 {
			m.scan()
		} else {
			// A burst of changes drifting toward the goal: 7 in 9 move
			// toward it.
			grow := len(m.sorted) < m.fillGoal
			for range 1 + m.rng.IntN(16) {
				if m.rng.IntN(9) < 7 == grow {
					m.insert()
				} else {
					m.delete()
				}
			}
		}
		if step%50 == 0 {
			m.verify(step)
		}
	}
	m.verify(steps)
}

// insert adds a random free row with a random key.
func (m *modelRun) insert() {
	if len(m.free) == 0 {
		m.delete()
		return
	}
	i := m.rng.IntN(len(m.free))
	r := m.free[i]
	m.free[i] = m.free[len(m.free)-1]
	m.free = m.free[:len(m.free)-1]
	m.f.insert(r, m.rng.Int32N(m.spread), m.rng.Int32N(m.spread))
	pos, found := slices.BinarySearchFunc(m.sorted, r, m.order)
	if found {
		m.fatalf("model already holds row %d", r)
	}
	m.sorted = slices.Insert(m.sorted, pos, r)
}

// delete removes a random live row, if any, and frees its id.
func (m *modelRun) delete() {
	if len(m.sorted) == 0 {
		return
	}
	r := m.sorted[m.rng.IntN(len(m.sorted))]
	m.deleteRow(r)
	m.free = append(m.free, r)
}

// deleteRow removes live row r from tree and model, leaving it readable;
// the caller decides its state and whether its id is reusable.
func (m *modelRun) deleteRow(r uint32) {
	if !m.f.tree.Delete(r) {
		m.fatalf("Delete(%d) of a live row failed", r)
	}
	m.f.c.state[r] = rowDead
	pos, found := slices.BinarySearchFunc(m.sorted, r, m.order)
	if !found {
		m.fatalf("model lacks row %d", r)
	}
	m.sorted = slices.Delete(m.sorted, pos, pos+1)
}

// verify checks the tree's structure and compares its contents with the model.
func (m *modelRun) verify(step int) {
	m.t.Helper()
	if err := m.f.tree.Check(); err != nil {
		m.fatalf("step %d: %v", step, err)
	}
	if m.f.tree.Len() != len(m.sorted) {
		m.fatalf("step %d: Len %d, model holds %d", step, m.f.tree.Len(), len(m.sorted))
	}
	got := scanAll(m.f.tree, unbounded, unbounded, false, 64)
	if !slices.Equal(got, m.sorted) {
		m.fatalf("step %d: tree holds %v..., model %v...", step, head(got), head(m.sorted))
	}
	first, ok := m.f.tree.First()
	if ok != (len(m.sorted) > 0) || ok && first != m.sorted[0] {
		m.fatalf("step %d: First = %d, %v", step, first, ok)
	}
	last, ok := m.f.tree.Last()
	if ok != (len(m.sorted) > 0) || ok && last != m.sorted[len(m.sorted)-1] {
		m.fatalf("step %d: Last = %d, %v", step, last, ok)
	}
}

// bound returns a random bound: unbounded, or a one-column prefix or
// two-column key just around the key spread, inclusive or not.
func (m *modelRun) bound() Bound {
	v := func() int32 { return m.rng.Int32N(m.spread+2) - 1 }
	switch m.rng.IntN(5) {
	case 0:
		return unbounded
	case 1, 2:
		return Bound{Key: key(v()), Inclusive: m.rng.IntN(2) == 0}
	default:
		return Bound{Key: key(v(), v()), Inclusive: m.rng.IntN(2) == 0}
	}
}

// scan runs one range scan in small batches with random changes between
// batches, including deletes of the row the cursor is positioned on, and
// checks: every row returned is live, within the bounds, in order and new;
// every row in range for the whole scan is returned.
func (m *modelRun) scan() {
	lo, hi, desc := m.bound(), m.bound(), m.rng.IntN(2) == 0
	byKey := m.rng.IntN(2) == 0
	must := map[uint32]bool{}
	for _, r := range m.sorted {
		if m.f.inRange(r, lo, hi) {
			must[r] = true
		}
	}
	seen := map[uint32]bool{}
	c := m.f.tree.Seek(lo, hi, desc)
	var prev uint32
	havePrev := false
	pinned, havePin := uint32(0), false
	for {
		n := c.Next(m.buf[:1+m.rng.IntN(len(m.buf))])
		if havePin { // the cursor has moved past it: now the engine may free it
			m.f.c.state[pinned] = rowDead
			havePin = false
		}
		for _, r := range m.buf[:n] {
			switch {
			case m.f.c.state[r] != rowLive:
				m.fatalf("scan returned row %d in state %d", r, m.f.c.state[r])
			case !m.f.inRange(r, lo, hi):
				m.fatalf("scan %+v..%+v returned row %d (%d,%d) out of range", lo, hi, r, m.f.c.a[r], m.f.c.b[r])
			case seen[r]:
				m.fatalf("scan returned row %d twice", r)
			case havePrev && m.rawLess(r, prev) != desc:
				m.fatalf("scan (desc=%v) returned row %d after row %d", desc, r, prev)
			}
			seen[r] = true
			prev, havePrev = r, true
		}
		if n == 0 {
			break
		}
		// Deleting the row the cursor is positioned on is what the storage
		// engine must handle: keep it readable until the next batch (pin),
		// or hand the cursor its key and free it at once.
		drop := func(r uint32) {
			m.deleteRow(r)
			m.held = append(m.held, r)
			delete(must, r)
			if last, _ := c.Position(); r != last {
				return
			}
			if byKey {
				c.ResumeAfterKey(m.f.c.fullKey(r), r)
				return
			}
			m.f.c.state[r] = rowPinned
			pinned, havePin = r, true
		}
		for range m.rng.IntN(5) {
			last, _ := c.Position()
			switch p := m.rng.IntN(10); {
			case p < 3 && m.f.c.state[last] == rowLive:
				drop(last)
			case p < 4 && m.f.c.state[last] == rowLive:
				c.ResumeAfterKey(m.f.c.fullKey(last), last) // moves nowhere
			case p < 7 && len(m.free) > 0:
				m.insert()
			case len(m.sorted) > 0:
				drop(m.sorted[m.rng.IntN(len(m.sorted))])
			}
		}
	}
	if havePin {
		m.f.c.state[pinned] = rowDead
	}
	for r := range must {
		if !seen[r] {
			m.fatalf("scan %+v..%+v desc=%v skipped row %d (%d,%d), in range throughout",
				lo, hi, desc, r, m.f.c.a[r], m.f.c.b[r])
		}
	}
	m.free = append(m.free, m.held...)
	m.held = m.held[:0]
}
