package hashidx

import (
	"encoding/binary"
	"fmt"

	"github.com/zeebo/xxh3"
)

// keyRows is the test Matcher: row r holds the 8-byte little-endian key
// keys[r]. calls counts KeyEquals calls.
type keyRows struct {
	keys  []uint64
	calls int
}

var _ Matcher = (*keyRows)(nil)

func (k *keyRows) KeyEquals(r uint32, key []byte) bool {
	k.calls++
	return k.keys[r] == binary.LittleEndian.Uint64(key)
}

// keyBytes encodes k as the 8-byte little-endian key.
func keyBytes(k uint64) []byte {
	return binary.LittleEndian.AppendUint64(make([]byte, 0, 8), k)
}

// xxh3High is the benchmark and default test hash: the high 32 bits of the
// xxh3 hash of the encoded key.
func xxh3High(k uint64) uint32 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], k)
	return uint32(xxh3.Hash(b[:]) >> 32)
}

// checkInvariants verifies the invariants listed in doc.go and returns the
// first violation found.
func (x *Index) checkInvariants() error {
	c := &x.cur
	if c.count > c.limit || c.limit >= len(c.slots) {
		return fmt.Errorf("cur count %d limit %d len %d", c.count, c.limit, len(c.slots))
	}
	n := len(c.slots)
	live := 0
	for p, e := range c.slots {
		if e == slotEmpty {
			continue
		}
		if !liveSlot(e) {
			return fmt.Errorf("cur slot %d holds %#x", p, e)
		}
		live++
		for i := home(slotHash(e), n); i != p; i = (i + 1) % n {
			if c.slots[i] == slotEmpty {
				return fmt.Errorf("cur slot %d: empty slot %d between home and entry", p, i)
			}
		}
	}
	if live != c.count {
		return fmt.Errorf("cur holds %d live slots, count %d", live, c.count)
	}
	if x.old.slots == nil {
		if x.old.count != 0 || x.start != 0 || x.done != 0 {
			return fmt.Errorf("no migration but old count %d start %d done %d", x.old.count, x.start, x.done)
		}
		return nil
	}
	o := x.old.slots
	n = len(o)
	rel := func(p int) int { return (p - x.start + n) % n }
	if o[x.start] != slotEmpty {
		return fmt.Errorf("old start slot %d holds %#x", x.start, o[x.start])
	}
	live = 0
	for p, e := range o {
		r := rel(p)
		if r < x.done {
			if e != slotEmpty {
				return fmt.Errorf("old migrated slot %d (rel %d, done %d) holds %#x", p, r, x.done, e)
			}
			continue
		}
		if !liveSlot(e) {
			continue
		}
		live++
		rh := rel(home(slotHash(e), n))
		if rh > r {
			return fmt.Errorf("old slot %d: run wraps across start (home rel %d > rel %d)", p, rh, r)
		}
		for q := max(rh, x.done); q < r; q++ {
			if o[(x.start+q)%n] == slotEmpty {
				return fmt.Errorf("old slot %d: empty slot at rel %d inside its run", p, q)
			}
		}
	}
	if live != x.old.count || live == 0 {
		return fmt.Errorf("old holds %d live unmigrated slots, count %d", live, x.old.count)
	}
	return nil
}

// entries returns every (row -> h32) entry of the index, failing on a row
// stored twice.
func (x *Index) entries() (map[uint32]uint32, error) {
	out := make(map[uint32]uint32, x.Len())
	add := func(e uint64) error {
		if _, dup := out[slotRow(e)]; dup {
			return fmt.Errorf("row %d stored twice", slotRow(e))
		}
		out[slotRow(e)] = slotHash(e)
		return nil
	}
	for _, e := range x.cur.slots {
		if liveSlot(e) {
			if err := add(e); err != nil {
				return nil, err
			}
		}
	}
	for p, e := range x.old.slots {
		if (p-x.start+len(x.old.slots))%len(x.old.slots) >= x.done && liveSlot(e) {
			if err := add(e); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
