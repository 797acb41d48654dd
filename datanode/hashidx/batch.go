package hashidx

import "fmt"

// LookupBatch looks up len(h32s) keys at once and sets out[i] to the row
// holding keys[i], or NoRow. A first pass loads every home slot so the CPU
// overlaps those cache misses; the second pass then probes from the cache.
func (x *Index) LookupBatch(h32s []uint32, keys [][]byte, m Matcher, out []uint32) {
	if len(keys) != len(h32s) || len(out) != len(h32s) {
		panic(fmt.Sprintf("hashidx: LookupBatch with %d hashes, %d keys, %d outputs", len(h32s), len(keys), len(out)))
	}
	if x.old.slots == nil {
		s := x.cur.slots
		n := len(s)
		var sink uint64
		for _, h := range h32s {
			sink ^= s[home(h, n)]
		}
		x.sink = sink
	}
	for i, h := range h32s {
		out[i], _ = x.Lookup(h, keys[i], m)
	}
}
