package hashidx

import "fmt"

// batchGroup is how many lookups LookupBatch overlaps at a time.
const batchGroup = 32

// LookupBatch looks up len(h32s) keys at once and sets out[i] to the row
// holding keys[i], or NoRow. A first pass loads every home slot so the CPU
// overlaps those cache misses; the second pass then probes from the cache.
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

func (x *Index) lookupGroup(h32s []uint32, keys [][]byte, m Matcher, out []uint32) {
	s := x.cur.slots
	n := len(s)
	var sink uint64
	for _, h := range h32s {
		sink ^= s[home(h, n)]
	}
	x.sink = sink
	// Second pass: the first slot with the same hash, without reading rows.
	var pos [batchGroup]int32
	for k, h := range h32s {
		hx := ^h
		i := home(h, n)
		for {
			e := s[i]
			if uint32(e>>32) == hx && e != slotEmpty {
				pos[k] = int32(i)
				out[k] = slotRow(e)
				break
			}
			if e == slotEmpty {
				pos[k] = -1
				out[k] = NoRow
				break
			}
			if i++; i == n {
				i = 0
			}
		}
	}
	// Third pass: confirm candidates with the matcher; these row reads are
	// independent, so their misses overlap too. A false candidate (two keys
	// with one h32) falls back to a full probe.
	for k := range h32s {
		if pos[k] < 0 {
			continue
		}
		if !m.KeyEquals(out[k], keys[k]) {
			out[k], _, _ = x.cur.probe(h32s[k], keys[k], m)
		}
	}
}
