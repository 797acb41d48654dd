package partition

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestPlanReorgExample(t *testing.T) {
	m, err := NewHashMap(12, 2) // fragment 0: even buckets, 1: odd
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanReorg(m, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []BucketMove{{8, 0, 2}, {9, 1, 2}, {10, 0, 2}, {11, 1, 2}}
	if !slices.Equal(plan.Moves, want) {
		t.Errorf("moves %v, want %v", plan.Moves, want)
	}
	if got := plan.New.BucketCounts(); !slices.Equal(got, []int{4, 4, 4}) {
		t.Errorf("counts %v", got)
	}
	if plan.New.Version() != 2 || m.Version() != 1 || m.Fragments() != 2 {
		t.Errorf("versions new %d old %d, old fragments %d", plan.New.Version(), m.Version(), m.Fragments())
	}
}

func TestPlanReorgErrors(t *testing.T) {
	m, _ := NewHashMap(12, 4)
	skewed, _ := HashMapFromTable(2, []uint16{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 1)
	for _, tc := range []struct {
		name      string
		m         *HashMap
		fragments int
		want      error
	}{
		{"shrink", m, 3, ErrShrink},
		{"more fragments than buckets", m, 13, ErrFragments},
		{"fragment 1 would have to gain from fragment 0", skewed, 3, ErrUnbalanced},
		{"same count, skewed", skewed, 2, ErrUnbalanced},
	} {
		if _, err := PlanReorg(tc.m, tc.fragments); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestPlanReorgSameCount(t *testing.T) {
	m, _ := NewHashMap(DefaultBuckets, 8)
	plan, err := PlanReorg(m, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Moves) != 0 || !plan.New.Equal(m) || plan.New.Version() != m.Version() {
		t.Fatalf("%d moves, equal %v, version %d", len(plan.Moves), plan.New.Equal(m), plan.New.Version())
	}
	if plan.New == m {
		t.Fatal("plan shares the old map")
	}
}

// minMoves is the least number of moves of a balanced growth from counts to
// fragments fragments, by counting: old fragments keep floor(B/F) each, plus
// one for as many of those that hold more as there are spare buckets.
func minMoves(counts []int, buckets, fragments int) int {
	lo, extra := buckets/fragments, buckets%fragments
	keep := lo * len(counts)
	rich := 0
	for _, c := range counts {
		if c > lo {
			rich++
		}
	}
	return buckets - keep - min(extra, rich)
}

// checkPlan checks a plan against the old map: the new map is the old one
// with exactly the moves applied, moves go from old fragments to new ones
// only, each bucket moves at most once, the result is balanced, and the move
// count is minimal.
func checkPlan(t *testing.T, old *HashMap, fragments int, plan *ReorgPlan) {
	t.Helper()
	n := plan.New
	if n.Fragments() != fragments || n.Buckets() != old.Buckets() {
		t.Fatalf("new map %d fragments %d buckets, want %d, %d", n.Fragments(), n.Buckets(), fragments, old.Buckets())
	}
	if !n.Balanced() {
		t.Fatalf("new map not balanced: %v", n.BucketCounts())
	}
	moved := map[int]bool{}
	for i, m := range plan.Moves {
		if i > 0 && plan.Moves[i-1].Bucket >= m.Bucket {
			t.Fatalf("moves not strictly ascending by bucket at %d: %v", i, plan.Moves[i-1:i+1])
		}
		if m.From != old.BucketFragment(m.Bucket) || int(m.From) >= old.Fragments() {
			t.Fatalf("move %v: bucket was on fragment %d of %d", m, old.BucketFragment(m.Bucket), old.Fragments())
		}
		if int(m.To) < old.Fragments() || int(m.To) >= fragments || n.BucketFragment(m.Bucket) != m.To {
			t.Fatalf("move %v: to an old fragment, past the end, or not applied", m)
		}
		moved[m.Bucket] = true
	}
	for b := range old.Buckets() {
		if !moved[b] && n.BucketFragment(b) != old.BucketFragment(b) {
			t.Fatalf("bucket %d changed fragment without a move", b)
		}
	}
	if want := minMoves(old.BucketCounts(), old.Buckets(), fragments); len(plan.Moves) != want {
		t.Fatalf("%d moves, minimum is %d", len(plan.Moves), want)
	}
	wantVersion := old.Version()
	if fragments != old.Fragments() {
		wantVersion++
	}
	if n.Version() != wantVersion {
		t.Fatalf("new version %d, want %d", n.Version(), wantVersion)
	}
}

func TestPlanReorgProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 400
	if testing.Short() {
		n = 25
	}
	for range n {
		buckets := DefaultBuckets
		if rng.IntN(2) == 0 {
			buckets = 1 + rng.IntN(2000)
		}
		oldF := 1 + rng.IntN(min(buckets, 48))
		newF := oldF + rng.IntN(min(buckets, 4*oldF+8)-oldF+1)
		old, err := NewHashMap(buckets, oldF)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := PlanReorg(old, newF)
		if err != nil {
			t.Fatalf("PlanReorg(%d buckets, %d -> %d): %v", buckets, oldF, newF, err)
		}
		checkPlan(t, old, newF, plan)
		again, err := PlanReorg(old.Clone(), newF)
		if err != nil || !reflect.DeepEqual(plan, again) {
			t.Fatalf("PlanReorg(%d buckets, %d -> %d) not deterministic", buckets, oldF, newF)
		}
	}
}

// Growing again and again (2 node groups, then 3, 4, ...) stays balanced and
// minimal at every step, as online add-node does it.
func TestPlanReorgChain(t *testing.T) {
	const ldm = 4
	m, err := NewHashMap(DefaultBuckets, DefaultFragmentCount(ldm, 1))
	if err != nil {
		t.Fatal(err)
	}
	for groups := 2; groups <= 12; groups++ {
		f := DefaultFragmentCount(ldm, groups)
		plan, err := PlanReorg(m, f)
		if err != nil {
			t.Fatalf("to %d groups: %v", groups, err)
		}
		checkPlan(t, m, f, plan)
		m = plan.New
	}
}

// bruteMinMoves tries every way to move buckets of old to new fragments and
// returns the fewest moves that leave the map balanced, or -1 if none does.
func bruteMinMoves(old *HashMap, fragments int) int {
	buckets, oldF := old.Buckets(), old.Fragments()
	lo := buckets / fragments
	hi := lo
	if buckets%fragments != 0 {
		hi++
	}
	best := -1
	choice := make([]int, buckets) // 0: stay, k > 0: move to fragment oldF+k-1
	counts := make([]int, fragments)
	for {
		clear(counts)
		moves := 0
		for b, c := range choice {
			if c == 0 {
				counts[old.BucketFragment(b)]++
			} else {
				counts[oldF+c-1]++
				moves++
			}
		}
		if slices.Min(counts) >= lo && slices.Max(counts) <= hi && (best < 0 || moves < best) {
			best = moves
		}
		i := 0
		for ; i < buckets; i++ {
			choice[i]++
			if choice[i] <= fragments-oldF {
				break
			}
			choice[i] = 0
		}
		if i == buckets {
			return best
		}
	}
}

// On small maps, balanced or not, PlanReorg agrees with exhaustive search:
// it fails exactly when no plan exists, and otherwise moves the fewest buckets.
func TestPlanReorgAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	n := 300
	if testing.Short() {
		n = 40
	}
	var feasible, infeasible int
	for range n {
		buckets := 1 + rng.IntN(7)
		oldF := 1 + rng.IntN(min(buckets, 3))
		newF := oldF + rng.IntN(min(buckets-oldF, 2)+1)
		table := make([]uint16, buckets)
		for b := range table {
			table[b] = uint16(rng.IntN(oldF))
		}
		old, err := HashMapFromTable(oldF, table, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteMinMoves(old, newF)
		plan, err := PlanReorg(old, newF)
		switch {
		case want < 0 && !errors.Is(err, ErrUnbalanced):
			t.Fatalf("table %v, %d -> %d: no plan exists, got %v", table, oldF, newF, err)
		case want >= 0 && err != nil:
			t.Fatalf("table %v, %d -> %d: %v, but %d moves would do", table, oldF, newF, err, want)
		case want >= 0 && len(plan.Moves) != want:
			t.Fatalf("table %v, %d -> %d: %d moves, minimum %d", table, oldF, newF, len(plan.Moves), want)
		case want >= 0:
			checkPlan(t, old, newF, plan)
		}
		if want < 0 {
			infeasible++
		} else {
			feasible++
		}
	}
	if feasible == 0 || infeasible == 0 {
		t.Fatalf("seed covers %d feasible and %d infeasible cases, want both", feasible, infeasible)
	}
}
