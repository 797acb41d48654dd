package store

import (
	"encoding/binary"

	"github.com/gondb/gondb/datanode/mem"
)

// varStore keeps rows' var parts in size-classed slots: classes grow by
// about 25% from 16 bytes to a whole page, so a var part wastes at most a
// fifth of its size. A var part larger than a page is a chain of page-sized
// chunks, each starting with the next chunk's reference.
//
// A var part's length is not stored: it begins with its layout's offset
// table, whose last entry gives the data size (see schema.Layout).
type varStore struct {
	s       *slab
	byGrain []uint8 // (size+15)/16 -> smallest class that fits
	pageCls int     // the whole-page class, used for chains
}

const chunkPayload = mem.PageSize - 4

func newVarStore(pool *mem.Pool) *varStore {
	var sizes []int
	for sz := 16; sz < mem.PageSize; sz = (sz*5/4 + 15) &^ 15 {
		sizes = append(sizes, sz)
	}
	sizes = append(sizes, mem.PageSize)
	v := &varStore{s: newSlab(pool, sizes, false), pageCls: len(sizes) - 1}
	v.byGrain = make([]uint8, mem.PageSize/16+1)
	c := 0
	for g := range v.byGrain {
		for sizes[c] < g*16 {
			c++
		}
		v.byGrain[g] = uint8(c)
	}
	return v
}

// put stores data and returns its reference and whether it is chained.
// On error nothing is kept.
func (v *varStore) put(data []byte) (RowID, bool, error) {
	if len(data) <= mem.PageSize {
		ref, err := v.s.alloc(int(v.byGrain[(len(data)+15)/16]))
		if err != nil {
			return NoRow, false, err
		}
		copy(v.s.slot(ref), data)
		return ref, false, nil
	}
	// Chain: allocate back to front so each chunk can name its successor.
	next := NoRow
	n := (len(data) + chunkPayload - 1) / chunkPayload
	for i := n - 1; i >= 0; i-- {
		ref, err := v.s.alloc(v.pageCls)
		if err != nil {
			v.releaseChain(next)
			return NoRow, false, err
		}
		c := v.s.slot(ref)
		binary.LittleEndian.PutUint32(c, next)
		end := min((i+1)*chunkPayload, len(data))
		copy(c[4:], data[i*chunkPayload:end])
		next = ref
	}
	return next, true, nil
}

// view returns the var part with offset table of hdr bytes. An unchained
// part is returned in place (no copy); a chained one is gathered into
// scratch, which is returned grown as needed.
func (v *varStore) view(ref RowID, chained bool, hdr int, scratch []byte) (part, newScratch []byte) {
	if !chained {
		c := v.s.slot(ref)
		n := hdr
		if hdr > 0 {
			n += int(binary.LittleEndian.Uint32(c[hdr-4:]))
		}
		return c[:n], scratch
	}
	scratch = scratch[:0]
	first := true
	total := 0
	for ref != NoRow {
		c := v.s.slot(ref)
		payload := c[4:]
		if first {
			total = hdr + int(binary.LittleEndian.Uint32(payload[hdr-4:]))
			first = false
		}
		take := min(len(payload), total-len(scratch))
		scratch = append(scratch, payload[:take]...)
		ref = binary.LittleEndian.Uint32(c)
	}
	return scratch, scratch
}

// release frees a var part.
func (v *varStore) release(ref RowID, chained bool) {
	if !chained {
		v.s.free(ref)
		return
	}
	v.releaseChain(ref)
}

func (v *varStore) releaseChain(ref RowID) {
	for ref != NoRow {
		next := binary.LittleEndian.Uint32(v.s.slot(ref))
		v.s.free(ref)
		ref = next
	}
}
