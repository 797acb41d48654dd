package lqh

import (
	"errors"
	"fmt"
	"time"

	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
)

// The redo log: every replica logs each committed change of its fragments
// (package redo), as an idempotent upsert of the row's new image or a
// delete of its key, tagged with the commit's GCI. Fragment f of any table
// logs to part f % len(parts). Replaying a part from a checkpoint's start
// up to the restored GCI brings the fragments to that GCI (node's restore).

// redoAdmitLimit is the fill ratio of a part at which new write operations
// are refused with 410 (temporary) at prepare: the rest of the ring is kept
// for the commits of operations already prepared, which cannot be refused.
const redoAdmitLimit = 0.85

// SetRedo makes the LQH log its commits to parts (nil: diskless). Call
// before the LQH's thread runs.
func (l *LQH) SetRedo(parts []*redo.Log) { l.redo = parts }

// redoAdmit refuses a write when its fragment's redo part is nearly full.
func (l *LQH) redoAdmit(frag uint32) error {
	if len(l.redo) == 0 {
		return nil
	}
	if l.redo[int(frag)%len(l.redo)].FillRatio() >= redoAdmitLimit {
		return ndberr.ErrRedoLogOverloaded
	}
	return nil
}

// logCommit logs a committed change of row r of f: its image (EffectPut)
// or key (EffectDelete, given since the row is gone). A full buffer waits
// for the writer: the commit has happened and must be logged.
func (l *LQH) logCommit(f *store.Fragment, eff store.Effect, r store.RowID, key []byte, gci uint64) {
	rec := &l.rec
	*rec = redo.Record{GCI: gci, Table: f.Layout().Table.ID, Fragment: f.ID}
	if eff == store.EffectPut {
		rec.Op = redo.OpPut
		l.redoRow = f.ReadRow(r, l.redoRow[:0])
		rec.Row = l.redoRow
	} else {
		rec.Op = redo.OpDelete
		rec.Key = key
		if l.lcp != nil {
			l.lcpDeleted(f, key) // for the fragment's next DELTA LCP
		}
	}
	part := l.redo[int(f.ID)%len(l.redo)]
	for wait := time.Duration(0); ; {
		err := part.Append(rec)
		if err == nil {
			return
		}
		if !errors.Is(err, redo.ErrBufferOverloaded) && !errors.Is(err, redo.ErrLogOverloaded) {
			// A closed or failed log: the node cannot keep its promise of
			// durability, and must not go on as if it could.
			panic(fmt.Sprintf("lqh node %d: redo log part %s: %v", l.node, part.Dir(), err))
		}
		wait = min(2*wait+10*time.Microsecond, time.Millisecond)
		time.Sleep(wait)
	}
}
