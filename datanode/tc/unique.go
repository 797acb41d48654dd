package tc

import (
	"bytes"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// Unique hash indexes live, as in NDB, in hidden tables keyed by the unique
// columns whose row holds the base row's primary key (dih.Unique). TC does
// two things with them, inside the user's transaction:
//
//   - an operation by unique key first reads the hidden row with a shared
//     lock (even for a committed read) and then runs the operation on the
//     base row it names;
//   - every write of a table with unique indexes asks the last replica for
//     the row's images before and after (LqhImages) and, where a unique
//     key changed, deletes the old hidden row and inserts the new one.
//     A duplicate fails the insert, and the transaction aborts with 893.

// indexWork is an operation by unique key waiting for its hidden-table read.
type indexWork struct {
	op     uint32
	base   *dih.Table
	unique *schema.UniqueIndex
	row    []byte // update: the row image to write (key filled in later)
	cols   []byte // update: the column set
}

// uniqueIndex returns this TC's helper for a hidden table (schema's helper
// reuses a builder, so each TC has its own).
func (t *TC) uniqueIndex(base *dih.Table, u dih.Unique) (*schema.UniqueIndex, error) {
	if ui := t.uniques[u.Hidden]; ui != nil && ui.Base == base.Layout {
		return ui, nil
	}
	ui, err := schema.NewUniqueIndex(base.Layout, u.Index, u.Hidden)
	if err != nil {
		return nil, err
	}
	if t.uniques == nil {
		t.uniques = map[uint32]*schema.UniqueIndex{}
	}
	t.uniques[u.Hidden] = ui
	return ui, nil
}

// indexOp starts an operation by unique key: the hidden-table read.
func (t *TC) indexOp(env block.Env, s *signal.Signal, x *tx, base *dih.Table) {
	op, apiID := s.Words[0], s.Words[2]
	h := uint64(s.Words[4]) | uint64(s.Words[5])<<32
	var u *dih.Unique
	if s.NumWords >= 7 {
		for i := range base.Uniques {
			if base.Uniques[i].Index == int(s.Words[6]) {
				u = &base.Uniques[i]
			}
		}
	}
	if u == nil || op == gsn.OpInsert || op == gsn.OpWrite || !gsn.IsWrite(op) && op != gsn.OpRead &&
		op != gsn.OpReadShared && op != gsn.OpReadExclusive {
		t.abortTx(env, s.TransID, x, ndberr.ErrBadAttribute.Code, int64(apiID))
		return
	}
	ui, err := t.uniqueIndex(base, *u)
	hidden, ok := t.cfg.Distribution().Table(u.Hidden)
	if err != nil || !ok {
		t.abortTx(env, s.TransID, x, ndberr.ErrNoSuchTable.Code, int64(apiID))
		return
	}
	w := &indexWork{op: op, base: base, unique: ui}
	if op == gsn.OpUpdate {
		w.row = append([]byte(nil), s.Section(1)...)
		w.cols = append([]byte(nil), s.Section(2)...)
		if len(w.row) < base.Layout.KeySize {
			t.abortTx(env, s.TransID, x, ndberr.ErrBadRowImage.Code, int64(apiID))
			return
		}
	}
	// The hidden row is locked shared, even for a committed read (as NDB
	// upgrades unique-key reads), so the mapping cannot change under the
	// operation: changing the row's unique key must delete the hidden row.
	key := s.Section(0)
	t.sendKeyOp(env, s.TransID, x, txOp{apiID: apiID, op: gsn.OpReadShared, kind: kindIndexLookup, index: w}, hidden, h, [][]byte{key})
}

// indexLookupDone runs the operation by unique key on the base row the
// hidden row names.
func (t *TC) indexLookupDone(env block.Env, s *signal.Signal, x *tx, op *txOp) {
	w, apiID := op.index, op.apiID
	op.index = nil
	pk := w.unique.BaseKey(s.Section(0))
	h := partition.Hash(w.base.Layout.DistributionKey(pk, nil))
	var sects [][]byte
	if w.op == gsn.OpUpdate {
		copy(w.row, pk) // the key columns come first in a row image
		sects = [][]byte{w.row, w.cols}
	} else {
		sects = [][]byte{pk}
	}
	baseOp := w.op
	if baseOp == gsn.OpRead {
		// A committed read of the base row could see it before the commit
		// that pointed the index row at it reached it (the index row's and
		// the base row's commits are independent): read it shared, as NDB
		// upgrades unique-key reads.
		baseOp = gsn.OpReadShared
	}
	t.sendKeyOp(env, s.TransID, x, txOp{apiID: apiID, op: baseOp}, w.base, h, sects)
}

// fireTriggers keeps the unique indexes of a written row in step: s0 and
// s1 of the LQHKEYCONF are the row before and after the write (operation
// idx). It returns how many maintenance operations it started.
func (t *TC) fireTriggers(env block.Env, s *signal.Signal, x *tx, op *txOp, idx uint32) int {
	base, ok := t.cfg.Distribution().Table(op.table)
	if !ok {
		return 0
	}
	fired := 0
	before, after := s.Section(0), s.Section(1)
	for _, u := range base.Uniques {
		ui, err := t.uniqueIndex(base, u)
		hidden, ok := t.cfg.Distribution().Table(u.Hidden)
		if err != nil || !ok {
			t.abortTx(env, s.TransID, x, ndberr.ErrInternal.Code, int64(op.apiID))
			return 0
		}
		var oldKey, newRow []byte
		oldOK, newOK := false, false
		if len(before) > 0 {
			oldKey, oldOK = ui.AppendKey(nil, base.Layout.RowOf(before))
		}
		if len(after) > 0 {
			newRow, newOK = ui.AppendRow(nil, base.Layout.RowOf(after))
		}
		if oldOK && newOK && bytes.Equal(oldKey, newRow[:ui.Hidden.KeySize]) {
			continue // this index's key did not change
		}
		if oldOK {
			h := partition.Hash(oldKey)
			t.sendKeyOp(env, s.TransID, x, txOp{apiID: op.apiID, op: gsn.OpDelete, kind: kindTrigger, parent: idx}, hidden, h, [][]byte{oldKey})
			fired++
		}
		if newOK {
			h := partition.Hash(newRow[:ui.Hidden.KeySize])
			t.sendKeyOp(env, s.TransID, x, txOp{apiID: op.apiID, op: gsn.OpInsert, kind: kindTrigger, parent: idx}, hidden, h, [][]byte{newRow})
			fired++
		}
	}
	return fired
}

// triggerPrepared counts a maintenance operation of write parent as
// prepared, and answers the API for the write when it was the last.
func (t *TC) triggerPrepared(env block.Env, trans uint64, x *tx, parent uint32) {
	if int(parent) >= len(x.ops) {
		return
	}
	p := &x.ops[parent]
	if p.triggers--; p.triggers == 0 {
		t.send(env, gsn.TCKEYCONF, x.api, trans, []uint32{p.apiID}, nil)
	}
}

// triggerError maps a failed index maintenance operation to what the
// application should see: a duplicate is a unique constraint violation.
func triggerError(op uint32, code int) int {
	if op == gsn.OpInsert && code == ndberr.ErrRowExists.Code {
		return ndberr.ErrUniqueExists.Code
	}
	return code
}
