package hashidx

import "fmt"

// batchGroup is how many lookups LookupBatch overlaps at a time.
const batchGroup = 32

// LookupBatch looks up len(h32s) keys at once and sets out[i] to the row
// holding keys[i], or NoRow. It returns the same answers as a loop of
// Lookup, faster: it overlaps the cache misses of independent lookups
// (see lookupGroup). During migration it is that loop.
func (x *Index) LookupBatch(h32s []uint32, keys [][]byte, m Matcher, out []uint32) {
	if len(keys) != len(h32s) || len(out) != len(h32s) {
		panic(fmt.Sprintf("hashidx: LookupBatch with %d hashes, %d keys, %d outputs", len(h32s), len(keys), len(out)))
	}
	if x.old.slots != nil {
		for i, h := range h32s {
			out[i], _ = x.Lookup(h, keys[i], m)
		}
		return
	}
	for len(h32s) > 0 {
		g := min(len(h32s), batchGroup)
		x.lookupGroup(h32s[:g], keys[:g], m, out[:g])
		h32s, keys, out = h32s[g:], keys[g:], out[g:]
	}
}

// lookupGroup resolves up to batchGroup lookups in three passes. A loop of
// Lookup stalls on two dependent misses per key (home slot, then row), and a
// mispredicted probe-loop exit stops the CPU from running ahead into the next
// key. Here the first pass only loads home slots, with no data-dependent
// branch, so those misses overlap; the second finds each key's candidate
// slot from the cache; the third asks the matcher about every candidate,
// and those row reads overlap too.
func (x *Index) lookupGroup(h32s []uint32, keys [][]byte, m Matcher, out []uint32) {
	s := x.cur.slots
	n := len(s)
	var first [batchGroup]uint64
	for k, h := range h32s {
		first[k] = s[home(h, n)]
	}
	var found [batchGroup]bool
	for k, h := range h32s {
		hx := ^h
		i := home(h, n)
		e := first[k]
		for {
			if uint32(e>>32) == hx && e != slotEmpty {
				out[k], found[k] = slotRow(e), true
				break
			}
			if e == slotEmpty {
				out[k] = NoRow
				break
			}
			if i++; i == n {
				i = 0
			}
			e = s[i]
		}
	}
	for k := range h32s {
		// A candidate that is not the key (another key with the same h32)
		// falls back to a full probe.
		if found[k] && !m.KeyEquals(out[k], keys[k]) {
			out[k], _, _ = x.cur.probe(h32s[k], keys[k], m)
		}
	}
}
