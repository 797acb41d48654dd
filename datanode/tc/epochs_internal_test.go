package tc

import "testing"

func TestEpochCommits(t *testing.T) {
	var e epochCommits
	steps := []struct {
		add  bool
		gci  uint64
		want map[uint64]int
	}{
		{true, 5, map[uint64]int{5: 1}},
		{true, 5, map[uint64]int{5: 2}},
		{true, 6, map[uint64]int{5: 2, 6: 1}},
		{false, 5, map[uint64]int{5: 1, 6: 1}},
		{false, 5, map[uint64]int{5: 0, 6: 1}},
		{false, 5, map[uint64]int{5: 0, 6: 1}}, // an unknown epoch: nothing
		{false, 6, map[uint64]int{6: 0}},
		{true, 7, map[uint64]int{7: 1}},
	}
	for i, s := range steps {
		if s.add {
			e.add(s.gci)
		} else {
			e.done(s.gci)
		}
		for gci, n := range s.want {
			if got := e.running(gci); got != n {
				t.Fatalf("step %d: running(%d) = %d, want %d", i, gci, got, n)
			}
		}
	}
	if len(e) != 1 {
		t.Fatalf("%d epochs listed, want 1 (finished ones dropped)", len(e))
	}
}
