package hashidx

// Prefetching. A loop of lookups waits for each key's misses in turn: its
// home slot, then its row. A caller that knows a batch of keys to come
// (LQH, with a round's key requests queued) can first Touch every home
// slot, then read every Candidate row, and those misses overlap; the
// lookups that follow find their lines in the cache. Neither changes the
// index.

// Touch reads the home slot of hash h32 and returns it (the caller keeps
// the value somewhere, or the compiler may drop the load).
func (x *Index) Touch(h32 uint32) uint64 {
	s := x.cur.slots
	if len(s) == 0 {
		return 0
	}
	return s[home(h32, len(s))]
}

// candidateProbes bounds Candidate's walk along a probe run.
const candidateProbes = 8

// Candidate returns the row of the first entry of h32's probe run with a
// matching hash, the row a lookup would compare keys with first, or NoRow:
// none within a few slots, or the index is migrating.
func (x *Index) Candidate(h32 uint32) uint32 {
	if x.old.slots != nil || len(x.cur.slots) == 0 {
		return NoRow
	}
	s := x.cur.slots
	n := len(s)
	hx := ^h32
	i := home(h32, n)
	for p := 0; p < candidateProbes; p++ {
		e := s[i]
		if e == slotEmpty {
			return NoRow
		}
		if uint32(e>>32) == hx {
			return slotRow(e)
		}
		if i++; i == n {
			i = 0
		}
	}
	return NoRow
}
