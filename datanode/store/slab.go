package store

import (
	"encoding/binary"
	"fmt"

	"github.com/gondb/gondb/datanode/mem"
)

// A slot reference: local page index << slotBits | slot number. Local page
// indexes are the fragment's own (a page table maps them to pool pages), so
// a fragment can hold up to 2^20 pages (32 GiB) per slab whatever the pool
// size, and a reference fits in 32 bits.
const (
	slotBits = 12
	slotMask = 1<<slotBits - 1
	maxPages = 1 << (32 - slotBits)
	// NoRow is the reference of no slot.
	NoRow RowID = 0xFFFFFFFF
	// noSlot ends a page's free-slot list.
	noSlot = 0xFFFF
)

// RowID names a row of a fragment for its whole life. Zero is a valid id.
type RowID = uint32

// slabPage is one page of a slab. The struct holds no pointers, so the page
// table is invisible to the garbage collector.
type slabPage struct {
	gid        mem.PageID
	class      uint8
	live       bool   // false: the local index is unused (page returned)
	freeHead   uint16 // first free slot, noSlot if none
	used       uint16 // slots in use
	bump       uint16 // slots [bump, perPage) have never been used
	next, prev int32  // the class's list of pages with free slots; -1 ends
	inList     bool
}

// slabClass is one slot size.
type slabClass struct {
	size    int
	perPage int
	head    int32 // first page with a free slot, -1 if none
	spare   int32 // one fully free page kept to avoid page churn, -1 if none
}

// slab allocates fixed-size slots from pool pages, with a set of size
// classes (one for row fixed parts, many for var parts). Free slots of a page
// form a list threaded through the slots' first two bytes. A page whose slots
// are all free goes back to the pool (keeping one spare per class), which is
// how memory freed by deletes returns to every table, not just its own.
type slab struct {
	pool    *mem.Pool
	region  []byte
	classes []slabClass
	pages   []slabPage
	// pageOff and pageSlot hold, per local page, the byte offset of the page
	// in the region and its slot size: the two numbers every slot address
	// needs, kept in flat arrays so addressing is two independent loads.
	pageOff   []int
	pageSlot  []int32
	freeLocal []int32 // unused local page indexes
	zeroPages bool    // clear new pages (the fixed-row slab, whose scans read flags)
	usedPages int
}

func newSlab(pool *mem.Pool, sizes []int, zeroPages bool) *slab {
	s := &slab{pool: pool, region: pool.Region(), zeroPages: zeroPages}
	for _, sz := range sizes {
		per := mem.PageSize / sz
		if per < 1 || sz < 2 {
			panic(fmt.Sprintf("store: slot size %d does not fit a page", sz))
		}
		if per > slotMask+1 {
			per = slotMask + 1
		}
		s.classes = append(s.classes, slabClass{size: sz, perPage: per, head: -1, spare: -1})
	}
	return s
}

// offset returns the byte offset of slot ref in the pool region.
func (s *slab) offset(ref RowID) int {
	pi := ref >> slotBits
	return s.pageOff[pi] + int(ref&slotMask)*int(s.pageSlot[pi])
}

// slot returns slot ref's bytes.
func (s *slab) slot(ref RowID) []byte {
	pi := ref >> slotBits
	size := int(s.pageSlot[pi])
	off := s.pageOff[pi] + int(ref&slotMask)*size
	return s.region[off : off+size : off+size]
}

// alloc takes a slot of class c.
func (s *slab) alloc(c int) (RowID, error) {
	cl := &s.classes[c]
	pi := cl.head
	if pi < 0 {
		var err error
		if pi, err = s.newPage(c); err != nil {
			return NoRow, err
		}
	}
	p := &s.pages[pi]
	var slot int
	if p.freeHead != noSlot {
		slot = int(p.freeHead)
		off := int(p.gid)*mem.PageSize + slot*cl.size
		p.freeHead = binary.LittleEndian.Uint16(s.region[off:])
	} else {
		slot = int(p.bump)
		p.bump++
	}
	p.used++
	if int(p.used) == cl.perPage {
		s.unlist(cl, pi)
	}
	if cl.spare == pi {
		cl.spare = -1
	}
	return RowID(pi)<<slotBits | RowID(slot), nil
}

// free returns slot ref. The caller has cleared whatever marks the slot live.
func (s *slab) free(ref RowID) {
	pi := int32(ref >> slotBits)
	p := &s.pages[pi]
	cl := &s.classes[p.class]
	slot := int(ref & slotMask)
	off := int(p.gid)*mem.PageSize + slot*cl.size
	binary.LittleEndian.PutUint16(s.region[off:], p.freeHead)
	p.freeHead = uint16(slot)
	p.used--
	if !p.inList {
		s.list(cl, pi)
	}
	if p.used == 0 {
		if cl.spare >= 0 && cl.spare != pi {
			s.releasePage(cl, pi)
		} else {
			cl.spare = pi
		}
	}
}

func (s *slab) newPage(c int) (int32, error) {
	gid, err := s.pool.Alloc()
	if err != nil {
		return -1, err
	}
	var pi int32
	if n := len(s.freeLocal); n > 0 {
		pi = s.freeLocal[n-1]
		s.freeLocal = s.freeLocal[:n-1]
	} else {
		if len(s.pages) >= maxPages {
			s.pool.Free(gid)
			return -1, errFragmentFull
		}
		pi = int32(len(s.pages))
		s.pages = append(s.pages, slabPage{})
		s.pageOff = append(s.pageOff, 0)
		s.pageSlot = append(s.pageSlot, 0)
	}
	if s.zeroPages {
		clear(s.pool.Page(gid))
	}
	s.pages[pi] = slabPage{gid: gid, class: uint8(c), live: true, freeHead: noSlot, next: -1, prev: -1}
	s.pageOff[pi] = int(gid) * mem.PageSize
	s.pageSlot[pi] = int32(s.classes[c].size)
	s.usedPages++
	s.list(&s.classes[c], pi)
	return pi, nil
}

func (s *slab) releasePage(cl *slabClass, pi int32) {
	s.unlist(cl, pi)
	p := &s.pages[pi]
	if s.zeroPages {
		// Scans read the flags of every slot of live pages only, but a page
		// handed back may come to another slab: leave no live-looking rows.
		clear(s.pool.Page(p.gid))
	}
	s.pool.Free(p.gid)
	*p = slabPage{next: -1, prev: -1}
	s.pageOff[pi], s.pageSlot[pi] = 0, 0
	s.freeLocal = append(s.freeLocal, pi)
	s.usedPages--
}

func (s *slab) list(cl *slabClass, pi int32) {
	p := &s.pages[pi]
	p.prev, p.next, p.inList = -1, cl.head, true
	if cl.head >= 0 {
		s.pages[cl.head].prev = pi
	}
	cl.head = pi
}

func (s *slab) unlist(cl *slabClass, pi int32) {
	p := &s.pages[pi]
	if p.prev >= 0 {
		s.pages[p.prev].next = p.next
	} else {
		cl.head = p.next
	}
	if p.next >= 0 {
		s.pages[p.next].prev = p.prev
	}
	p.next, p.prev, p.inList = -1, -1, false
}

// releaseAll returns every page to the pool.
func (s *slab) releaseAll() {
	for i := range s.pages {
		if s.pages[i].live {
			s.pool.Free(s.pages[i].gid)
		}
	}
	s.pages, s.pageOff, s.pageSlot, s.freeLocal, s.usedPages = nil, nil, nil, nil, 0
	for i := range s.classes {
		s.classes[i].head, s.classes[i].spare = -1, -1
	}
}

// pageTableBytes is the Go-heap memory of the page table.
func (s *slab) pageTableBytes() int64 {
	return int64(cap(s.pages))*int64(sizeofSlabPage) + int64(cap(s.pageOff))*8 + int64(cap(s.pageSlot))*4 + int64(cap(s.freeLocal))*4
}

const sizeofSlabPage = 24

// valid reports whether ref names a slot of a live page (a row id kept
// across changes may point into a page released since).
func (s *slab) valid(ref RowID) bool {
	pi := int(ref >> slotBits)
	return pi < len(s.pages) && s.pages[pi].live && int(ref&slotMask) < int(s.pages[pi].bump)
}
