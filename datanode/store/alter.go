package store

import (
	"fmt"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/schema"
)

// Online index changes: CREATE INDEX and DROP INDEX on a fragment with
// rows, while transactions run.
//
// A new ordered index starts empty and building. BuildIndexes enters the
// committed rows in row-id order, a bounded number of slots per call, and
// remembers how far it got (built). Every commit meanwhile keeps the part
// below built exact, as for any index (an insert enters its row, a delete
// removes it, an update that changes the key moves it), and leaves rows at
// or above built to the build, which finds them as they are when it gets
// there. Row ids are stable for a row's life, so each committed row is
// entered exactly once: by its commit if it lies behind the build, by the
// build otherwise. Scans of a building index are refused with
// ndberr.ErrIndexNotOnline (temporary).
//
// A dropped index is retired: new scans are refused (ErrSchemaVersion, the
// request came from a node that knew the old version) but commits keep it
// in step, because a scan that started before the drop may still be
// reading it; ReleaseRetired frees it once no scan does.

// Alter switches the fragment to l, a new version of its table that only
// adds ordered indexes or drops indexes (schema.CheckIndexChange): added
// ordered indexes start building (BuildIndexes), dropped ordered indexes
// are retired. Rows are untouched; the row format is the same.
func (f *Fragment) Alter(l *schema.Layout) error {
	old := f.layout.Table
	if err := schema.CheckIndexChange(old, l.Table); err != nil {
		return fmt.Errorf("fragment %d: %w", f.ID, err)
	}
	if l.FixedSize != f.layout.FixedSize || l.KeySize != f.layout.KeySize || len(l.VarCols) != len(f.layout.VarCols) {
		return fmt.Errorf("fragment %d of %s: version %d lays rows out differently: %w",
			f.ID, old.Name, l.Table.Version, schema.ErrUnsupportedChange)
	}
	f.layout = l
	for _, ix := range schema.IndexesDropped(old, l.Table) {
		for _, o := range f.ord {
			if o.number == ix {
				o.retired = true
			}
		}
	}
	for _, ix := range schema.IndexesAdded(old, l.Table) {
		o := newOrderedIndex(f, ix)
		// With no page yet there is nothing to build: every later commit
		// enters its row.
		o.building = len(f.rows.pages) > 0
		f.ord = append(f.ord, o)
	}
	return nil
}

// BuildIndexes moves the builds of ordered indexes added by Alter on by
// at most maxExamine row slots in all, and reports whether a build is
// still running. Call it on the fragment's thread until it returns false.
func (f *Fragment) BuildIndexes(maxExamine int) (building bool) {
	for _, o := range f.ord {
		if !o.building {
			continue
		}
		maxExamine = f.buildStep(o, maxExamine)
		if o.building {
			return true
		}
	}
	return false
}

// buildStep enters the committed rows from o.built on, examining at most
// budget slots; it returns what is left of the budget.
func (f *Fragment) buildStep(o *orderedIndex, budget int) int {
	region := f.rows.region
	start := int(o.built >> slotBits)
	for pi := start; pi < len(f.rows.pages); pi++ {
		p := &f.rows.pages[pi]
		slot := 0
		if pi == start {
			slot = int(o.built & slotMask)
		}
		if p.live {
			base := int(p.gid) * mem.PageSize
			for ; slot < int(p.bump); slot++ {
				if budget <= 0 {
					o.built = uint64(pi)<<slotBits | uint64(slot)
					return 0
				}
				budget--
				if region[base+slot*f.slot+hdrFlags]&(flagLive|flagCopy|flagUncommitted) != flagLive {
					continue
				}
				o.tree.Insert(RowID(pi)<<slotBits | RowID(slot))
			}
		}
		// Slots of this page allocated from now on lie behind the build:
		// their commits enter them.
		o.built = uint64(pi+1) << slotBits
	}
	o.building = false
	return budget
}

// IndexesBuilding is how many of the fragment's ordered indexes are still
// building.
func (f *Fragment) IndexesBuilding() int {
	n := 0
	for _, o := range f.ord {
		if o.building {
			n++
		}
	}
	return n
}

// IndexOnline reports whether ordered index ix (a position in the
// table's Indexes) serves scans: it exists, is built and not dropped.
func (f *Fragment) IndexOnline(ix int) bool {
	for _, o := range f.ord {
		if o.number == ix {
			return !o.building && !o.retired
		}
	}
	return false
}

// ReleaseRetired frees the retired (dropped) ordered indexes for which
// inUse is false (LQH reports the indexes its open scans of the fragment
// read, IndexScan.Index) and returns how many retired ones are left.
func (f *Fragment) ReleaseRetired(inUse func(ix int) bool) int {
	keep, left := f.ord[:0], 0
	for _, o := range f.ord {
		if o.retired && !inUse(o.number) {
			continue
		}
		if o.retired {
			left++
		}
		keep = append(keep, o)
	}
	clear(f.ord[len(keep):])
	f.ord = keep
	return left
}

// Index is the number (position in the table's Indexes) of the index the
// scan reads.
func (s *IndexScan) Index() int { return s.o.number }
