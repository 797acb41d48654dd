package mem

import (
	"errors"
	"testing"

	"github.com/gondb/gondb/ndberr"
)

func TestPoolAllocFreeAndExhaustion(t *testing.T) {
	p, err := NewPool(4 * PageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	seen := map[PageID]bool{}
	for i := 0; i < 4; i++ {
		id, err := p.Alloc()
		if err != nil {
			t.Fatalf("alloc %d: %v", i, err)
		}
		if seen[id] {
			t.Fatalf("page %d handed out twice", id)
		}
		seen[id] = true
		pg := p.Page(id)
		if len(pg) != PageSize {
			t.Fatalf("page len %d", len(pg))
		}
		pg[0], pg[PageSize-1] = byte(id), byte(id) // writable, distinct
	}
	if _, err := p.Alloc(); !errors.Is(err, ndberr.ErrOutOfDataMemory) {
		t.Fatalf("alloc on full pool: %v, want ErrOutOfDataMemory", err)
	}
	if s := p.Stats(); s.UsedPages != 4 || s.TotalPages != 4 || s.HighWater != 4 {
		t.Fatalf("stats %+v", s)
	}
	for id := range seen {
		if got := p.Page(id)[PageSize-1]; got != byte(id) {
			t.Fatalf("page %d overwritten: %d", id, got)
		}
	}
	p.Free(2)
	if id, err := p.Alloc(); err != nil || id != 2 {
		t.Fatalf("realloc = %d, %v; want page 2", id, err)
	}
}

func TestPoolRejectsBadSizes(t *testing.T) {
	if _, err := NewPool(PageSize - 1); err == nil {
		t.Fatal("pool smaller than a page accepted")
	}
}
