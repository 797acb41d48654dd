package mem

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gondb/gondb/ndberr"
)

// PageSize is the size of a DataMemory page. It is part of the LCP format.
const PageSize = 32 << 10

// PageID names a page of the pool.
type PageID uint32

// Pool is a DataMemory pool. Its methods are safe for concurrent use.
type Pool struct {
	region []byte // the mapped region: pages back to back
	mu     sync.Mutex
	free   []PageID // stack of free pages; the lowest ids are handed out first
	used   atomic.Int64
	pages  int
	// highWater is the most pages ever used at once.
	highWater atomic.Int64
}

// NewPool maps a pool of size bytes (rounded down to whole pages).
func NewPool(size int64) (*Pool, error) {
	pages := size / PageSize
	if pages < 1 {
		return nil, fmt.Errorf("DataMemory %d bytes is less than one %d-byte page", size, PageSize)
	}
	if pages > 1<<32-1 {
		return nil, fmt.Errorf("DataMemory %d bytes is more than %d pages", size, uint64(1<<32-1))
	}
	region, err := mapRegion(int(pages) * PageSize)
	if err != nil {
		return nil, fmt.Errorf("map DataMemory of %d bytes: %w", size, err)
	}
	p := &Pool{region: region, pages: int(pages), free: make([]PageID, pages)}
	for i := range p.free {
		p.free[i] = PageID(int(pages) - 1 - i)
	}
	return p, nil
}

// Close unmaps the pool. No page may be used afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.region == nil {
		return nil
	}
	err := unmapRegion(p.region)
	p.region = nil
	return err
}

// Prefault touches every page of the pool so the kernel backs it now rather
// than on first use: a data node calls it at start, as NDB touches its memory,
// so page faults (and huge-page compaction) never stall an LDM thread later.
// It takes about a second per GiB.
func (p *Pool) Prefault() {
	const step = 4096
	for i := 0; i < len(p.region); i += step {
		p.region[i] = 0
	}
}

// Alloc takes a free page. Its contents are undefined.
func (p *Pool) Alloc() (PageID, error) {
	p.mu.Lock()
	n := len(p.free)
	if n == 0 {
		p.mu.Unlock()
		return 0, ndberr.ErrOutOfDataMemory
	}
	id := p.free[n-1]
	p.free = p.free[:n-1]
	p.mu.Unlock()
	u := p.used.Add(1)
	for {
		h := p.highWater.Load()
		if u <= h || p.highWater.CompareAndSwap(h, u) {
			break
		}
	}
	return id, nil
}

// Free returns a page to the pool.
func (p *Pool) Free(id PageID) {
	if int(id) >= p.pages {
		panic(fmt.Sprintf("mem: free of page %d outside a pool of %d pages", id, p.pages))
	}
	p.mu.Lock()
	p.free = append(p.free, id)
	p.mu.Unlock()
	p.used.Add(-1)
}

// Page returns page id's bytes.
func (p *Pool) Page(id PageID) []byte {
	off := int(id) * PageSize
	return p.region[off : off+PageSize : off+PageSize]
}

// Region returns the whole mapped region, for callers that address rows by
// page offset without building a slice per page.
func (p *Pool) Region() []byte { return p.region }

// Stats is a snapshot of the pool's usage.
type Stats struct {
	TotalPages int64
	UsedPages  int64
	HighWater  int64
}

// Stats returns the pool's usage.
func (p *Pool) Stats() Stats {
	return Stats{TotalPages: int64(p.pages), UsedPages: p.used.Load(), HighWater: p.highWater.Load()}
}
