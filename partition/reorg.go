package partition

import (
	"cmp"
	"fmt"
	"slices"
)

// BucketMove moves one bucket, and with it every row whose hash falls in it,
// from an old fragment to a new one.
type BucketMove struct {
	Bucket   int
	From, To uint32
}

// ReorgPlan is what a reorganization does to a table's hash map: the buckets
// to move, and the map once they have moved.
type ReorgPlan struct {
	Moves []BucketMove // ascending by Bucket
	New   *HashMap     // Version is the old map's Version + 1 when anything changes
}

// PlanReorg plans the growth of a hash map from old.Fragments() to
// newFragments fragments, the new fragments (ids old.Fragments() and up) living
// on added node groups. The plan
//   - leaves every fragment with floor or ceil of buckets/newFragments buckets,
//   - moves buckets only from old fragments to new ones, never between old
//     fragments, and
//   - moves as few buckets as possible: the ceil shares go to old fragments
//     first, so the moves number the sum over old fragments of
//     count - target.
//
// It is deterministic. Old fragments give up their highest-numbered buckets;
// donors give one bucket each in turn, most loaded first (ties: lower id), to
// receivers taken in turn, largest deficit first (ties: lower id).
//
// Errors: ErrShrink if newFragments < old.Fragments(); ErrFragments if it
// exceeds the buckets or MaxFragments; ErrUnbalanced if an old fragment holds
// fewer buckets than its new share (only for maps built or modified by hand).
func PlanReorg(old *HashMap, newFragments int) (*ReorgPlan, error) {
	oldFragments := old.Fragments()
	if newFragments < oldFragments {
		return nil, fmt.Errorf("%w: %d -> %d", ErrShrink, oldFragments, newFragments)
	}
	if err := checkSize(old.Buckets(), newFragments); err != nil {
		return nil, err
	}
	counts := old.BucketCounts()
	targets, err := reorgTargets(counts, old.Buckets(), newFragments)
	if err != nil {
		return nil, err
	}

	// Donors: old fragments with a surplus, each with its buckets ascending
	// so that the highest come off the end.
	type donor struct {
		frag    uint32
		buckets []int
		surplus int
	}
	var donors []donor
	byFrag := make([][]int, oldFragments)
	for b := range old.Buckets() {
		f := old.BucketFragment(b)
		byFrag[f] = append(byFrag[f], b)
	}
	for f, c := range counts {
		if s := c - targets[f]; s > 0 {
			donors = append(donors, donor{frag: uint32(f), buckets: byFrag[f], surplus: s})
		}
	}
	slices.SortStableFunc(donors, func(a, b donor) int { return cmp.Compare(b.surplus, a.surplus) })

	type receiver struct {
		frag    uint32
		deficit int
	}
	receivers := make([]receiver, 0, newFragments-oldFragments)
	for f := oldFragments; f < newFragments; f++ {
		receivers = append(receivers, receiver{frag: uint32(f), deficit: targets[f]})
	}
	slices.SortStableFunc(receivers, func(a, b receiver) int { return cmp.Compare(b.deficit, a.deficit) })

	var moves []BucketMove
	r := 0
	for len(donors) > 0 {
		live := donors[:0]
		for _, d := range donors {
			for receivers[r].deficit == 0 {
				r = (r + 1) % len(receivers)
			}
			b := d.buckets[len(d.buckets)-1]
			d.buckets = d.buckets[:len(d.buckets)-1]
			d.surplus--
			moves = append(moves, BucketMove{Bucket: b, From: d.frag, To: receivers[r].frag})
			receivers[r].deficit--
			r = (r + 1) % len(receivers)
			if d.surplus > 0 {
				live = append(live, d)
			}
		}
		donors = live
	}
	slices.SortFunc(moves, func(a, b BucketMove) int { return cmp.Compare(a.Bucket, b.Bucket) })

	next := &HashMap{table: old.AppendTable(nil), fragments: uint32(newFragments), version: old.Version()}
	if newFragments != oldFragments || len(moves) > 0 {
		next.version++
	}
	for _, m := range moves {
		next.table[m.Bucket] = uint16(m.To)
	}
	return &ReorgPlan{Moves: moves, New: next}, nil
}

// reorgTargets returns each fragment's bucket count after the reorganization:
// floor(buckets/fragments), plus one for the first buckets%fragments
// fragments in this order: old fragments that can afford it, most loaded
// first (ties: lower id), then new fragments by id.
func reorgTargets(counts []int, buckets, fragments int) ([]int, error) {
	lo, extra := buckets/fragments, buckets%fragments
	targets := make([]int, fragments)
	for f := range targets {
		targets[f] = lo
	}
	order := make([]int, len(counts))
	for f := range order {
		order[f] = f
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(counts[b], counts[a]) })
	for _, f := range order {
		if extra > 0 && counts[f] > lo {
			targets[f]++
			extra--
		}
	}
	for f := len(counts); f < fragments && extra > 0; f++ {
		targets[f]++
		extra--
	}
	if extra > 0 {
		// The remaining ceil shares would go to old fragments that hold
		// floor or fewer: they would have to gain buckets.
		return nil, fmt.Errorf("%w: %d fragments short of a bucket", ErrUnbalanced, extra)
	}
	for f, c := range counts {
		if c < targets[f] {
			return nil, fmt.Errorf("%w: fragment %d holds %d buckets, needs %d", ErrUnbalanced, f, c, targets[f])
		}
	}
	return targets, nil
}
