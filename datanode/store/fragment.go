package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/gondb/gondb/datanode/hashidx"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// TxID is a cluster-unique transaction id.
type TxID uint64

// OpRef names a prepared operation record of a fragment.
type OpRef uint32

// ErrRowLocked is returned by a prepare that conflicts with another
// transaction's lock. It is not an API error: LQH queues the operation (see
// Fragment.LockHolder) and retries it when the lock is released.
var ErrRowLocked = errors.New("store: row locked by another transaction")

// errFragmentFull: a slab ran out of local page numbers (32 GiB).
var errFragmentFull = ndberr.ErrFragmentFull

// opRecord is a row's prepared state within one transaction. Pointer-free.
type opRecord struct {
	tx            TxID
	row           RowID
	image         RowID // the prepared image: a copy slot, or NoRow
	h32           uint32
	ops           uint32 // operations joined into this record
	existedBefore bool   // the row was committed before the transaction
	existsAfter   bool   // the row exists once the transaction commits
	inUse         bool
	// shared marks a shared (read) lock: it changes nothing, and other
	// transactions' shared locks may hold the row with it, chained through
	// next from the lock table's owner. An exclusive record is always alone.
	shared bool
	next   OpRef  // the next shared holder, or noOp
	tag    uint32 // the user's (OpTag); 0 when the record is new
}

// noOp ends a chain of shared lock holders.
const noOp OpRef = 0xFFFFFFFF

// Fragment is one table fragment's rows and indexes. See the package doc for
// its threading rule: one LDM thread owns it.
type Fragment struct {
	ID     uint32
	layout *schema.Layout
	hdr    int // row header size
	slot   int // fixed slot size: hdr + layout.FixedSize
	hasVar bool
	vhdr   int // var part offset table size

	rows *slab
	vars *varStore
	pk   *hashidx.Index
	ord  []*orderedIndex

	locks   lockTable
	ops     []opRecord
	freeOps []OpRef

	conflict RowID            // the row of the last ErrRowLocked, for LQH's wait queues
	allCols  schema.ColumnSet // every column: a write's column set
	// valueCols: every column but the primary key's; an update naming
	// them all rewrites the row's values in one copy (applyFixed).
	valueCols schema.ColumnSet

	scratch []byte // chained var parts gathered for reading
	merge   []byte // var parts merged by updates
	stats   Stats
}

// Stats counts a fragment's rows, memory and operations. Counters are 64-bit
// and only grow.
type Stats struct {
	Rows                          int64
	Reads, Inserts, Updates       uint64
	Deletes, Commits, Aborts      uint64
	Scans, ScanRowsExamined       uint64
	ScanRowsReturned, LockRefused uint64
	// GCIRegressions counts commits stamped with a GCI older than the
	// row's: always 0 when the global checkpoint protocol is correct.
	GCIRegressions uint64
	// InPlace counts the inserts, updates and deletes made and committed
	// in one step (InsertCommitted, UpdateCommitted, DeleteCommitted),
	// also counted in Inserts, Updates, Deletes and Commits.
	InPlace uint64
}

// NewFragment creates an empty fragment of table layout l in pool.
func NewFragment(pool *mem.Pool, l *schema.Layout, id uint32) *Fragment {
	f := &Fragment{ID: id, layout: l, locks: newLockTable()}
	f.hasVar = len(l.VarCols) > 0
	f.allCols = schema.AllColumns(len(l.Cols))
	for c := range l.Cols {
		if !slices.Contains(l.Table.PrimaryKey, c) {
			f.valueCols.Add(c)
		}
	}
	f.vhdr = l.VarPartHeader()
	f.hdr = hdrSizeFixedOnly
	if f.hasVar {
		f.hdr = hdrSizeWithVar
	}
	f.slot = f.hdr + l.FixedSize
	f.rows = newSlab(pool, []int{f.slot}, true)
	if f.hasVar {
		f.vars = newVarStore(pool)
	}
	f.pk = hashidx.New(1024)
	for i := range l.Table.Indexes {
		if l.Table.Indexes[i].Kind == schema.IndexOrdered {
			f.ord = append(f.ord, newOrderedIndex(f, i))
		}
	}
	return f
}

// Layout returns the fragment's row layout.
func (f *Fragment) Layout() *schema.Layout { return f.layout }

// Close returns all of the fragment's memory. The fragment is unusable after.
func (f *Fragment) Close() {
	f.rows.releaseAll()
	if f.vars != nil {
		f.vars.s.releaseAll()
	}
	f.pk.Close()
}

// KeyEquals implements hashidx.Matcher over row memory.
func (f *Fragment) KeyEquals(r uint32, key []byte) bool {
	off := f.rows.offset(r) + f.hdr
	if len(key) == 8 { // the common BIGINT key: one compare, no call
		return len(f.rows.region) >= off+8 && binary.LittleEndian.Uint64(f.rows.region[off:]) == binary.LittleEndian.Uint64(key)
	}
	return bytes.Equal(f.rows.region[off:off+len(key)], key)
}

var _ hashidx.Matcher = (*Fragment)(nil)

// lookup finds the row with key (any state).
func (f *Fragment) lookup(h uint64, key []byte) (RowID, bool) {
	return f.pk.Lookup(uint32(h>>32), key, f)
}

// Prefetching a batch of key operations: PrefetchIndex reads the hash
// index slot where the lookup of hash h starts; Candidate then finds, in
// the cache, the row the lookup will most likely compare its key with;
// PrefetchRow reads that row. Three passes over the batch, one per step,
// overlap the cache misses of its keys (hashidx.Touch), and the
// operations that follow find their lines in the cache. None changes
// anything; the Prefetch methods return what they read only so that the
// loads are kept.
func (f *Fragment) PrefetchIndex(h uint64) uint64 { return f.pk.Touch(uint32(h >> 32)) }

// Candidate: see PrefetchIndex. ok is false when there is none to read.
func (f *Fragment) Candidate(h uint64) (r RowID, ok bool) {
	r = f.pk.Candidate(uint32(h >> 32))
	return r, r != hashidx.NoRow && int(r>>slotBits) < len(f.rows.pageOff)
}

// PrefetchRow: see PrefetchIndex. r must come from Candidate, in the same
// round (rows move only under the fragment's own thread).
func (f *Fragment) PrefetchRow(r RowID) uint64 {
	s := f.rows.slot(r)
	return uint64(s[0]) + uint64(s[len(s)-1]) // the first and last cache line
}

// view returns a stored row or image as a schema.Row. A chained var part is
// gathered into the fragment's scratch buffer, valid until the next call.
func (f *Fragment) view(r RowID) schema.Row {
	s := f.rows.slot(r)
	row := schema.Row{L: f.layout, Fixed: s[f.hdr:]}
	if f.hasVar {
		row.Var, f.scratch = f.vars.view(binary.LittleEndian.Uint32(s[hdrVarRef:]), s[hdrFlags]&flagVarChained != 0, f.vhdr, f.scratch)
	}
	return row
}

// appendRow appends stored row r's image to dst.
func (f *Fragment) appendRow(dst []byte, r RowID) []byte {
	s := f.rows.slot(r)
	dst = append(dst, s[f.hdr:]...)
	if f.hasVar {
		var part []byte
		part, f.scratch = f.vars.view(binary.LittleEndian.Uint32(s[hdrVarRef:]), s[hdrFlags]&flagVarChained != 0, f.vhdr, f.scratch)
		dst = append(dst, part...)
	}
	return dst
}

// Read is a committed read by primary key: it appends the row image to dst.
// h is the key's 64-bit partition hash. It never waits and never sees
// prepared changes.
func (f *Fragment) Read(h uint64, key, dst []byte) ([]byte, error) {
	r, ok := f.lookup(h, key)
	if !ok {
		return dst, ndberr.ErrNoSuchRow
	}
	s := f.rows.slot(r)
	if s[hdrFlags]&flagUncommitted != 0 {
		return dst, ndberr.ErrNoSuchRow
	}
	f.stats.Reads++
	dst = append(dst, s[f.hdr:]...)
	if f.hasVar {
		var part []byte
		part, f.scratch = f.vars.view(binary.LittleEndian.Uint32(s[hdrVarRef:]), s[hdrFlags]&flagVarChained != 0, f.vhdr, f.scratch)
		dst = append(dst, part...)
	}
	return dst, nil
}

// ReadTx reads as transaction tx sees the row: its own prepared image if it
// holds the row, the committed row otherwise.
func (f *Fragment) ReadTx(tx TxID, h uint64, key, dst []byte) ([]byte, error) {
	r, ok := f.lookup(h, key)
	if !ok {
		return dst, ndberr.ErrNoSuchRow
	}
	flags := f.rows.slot(r)[hdrFlags]
	if flags&flagLocked != 0 {
		ref, _ := f.locks.get(r)
		op := &f.ops[ref]
		if op.tx == tx {
			if !op.existsAfter {
				return dst, ndberr.ErrNoSuchRow
			}
			f.stats.Reads++
			if op.image != NoRow {
				return f.appendRow(dst, op.image), nil
			}
			return f.appendRow(dst, r), nil
		}
	}
	if flags&flagUncommitted != 0 {
		return dst, ndberr.ErrNoSuchRow
	}
	f.stats.Reads++
	return f.appendRow(dst, r), nil
}

// LockHolder returns the transaction holding key's row, if any.
func (f *Fragment) LockHolder(h uint64, key []byte) (TxID, bool) {
	r, ok := f.lookup(h, key)
	if !ok {
		return 0, false
	}
	if ref, locked := f.locks.get(r); locked {
		return f.ops[ref].tx, true
	}
	return 0, false
}

// GCI returns the GCI of the committed row with key.
func (f *Fragment) GCI(h uint64, key []byte) (uint64, error) {
	r, ok := f.lookup(h, key)
	if !ok || f.rows.slot(r)[hdrFlags]&flagUncommitted != 0 {
		return 0, ndberr.ErrNoSuchRow
	}
	return rowGCI(f.rows.slot(r)), nil
}

// Stats returns the fragment's counters.
func (f *Fragment) Stats() Stats { return f.stats }

// Memory is a fragment's memory use in bytes.
type Memory struct {
	FixedPages, VarPages int64 // DataMemory pages
	PKIndexBytes         int64 // hash index arrays (mapped)
	OrderedIndexBytes    int64 // ordered index nodes (Go heap, pointer-free)
	TableBytes           int64 // page tables and op records (Go heap)
}

// DataMemoryBytes is the DataMemory the fragment holds.
func (m Memory) DataMemoryBytes() int64 { return (m.FixedPages + m.VarPages) * mem.PageSize }

// Memory reports the fragment's memory use.
func (f *Fragment) Memory() Memory {
	m := Memory{FixedPages: int64(f.rows.usedPages), PKIndexBytes: f.pk.MemoryBytes()}
	m.TableBytes = f.rows.pageTableBytes() + int64(cap(f.ops))*int64(sizeofOpRecord)
	if f.vars != nil {
		m.VarPages = int64(f.vars.s.usedPages)
		m.TableBytes += f.vars.s.pageTableBytes()
	}
	for _, o := range f.ord {
		m.OrderedIndexBytes += o.tree.MemoryBytes()
	}
	return m
}

const sizeofOpRecord = 40

// RowHeaderBytes is the per-row header overhead of this fragment's rows.
func (f *Fragment) RowHeaderBytes() int { return f.hdr }

func (f *Fragment) String() string {
	return fmt.Sprintf("fragment %d of %s (%d rows)", f.ID, f.layout.Table.Name, f.stats.Rows)
}
