package sqlnode

import (
	"bytes"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// Writes. The engine hands rows one at a time; the editor checks and
// encodes each at once (so strict-mode errors name the row) and sends
// them in batches of flushOps operations, one Execute(NoCommit) each, in
// the session's NDB transaction. The commit is CommitTransaction's.

// flushOps bounds the operations sent in one Execute.
const flushOps = 128

type opKind uint8

const (
	opInsert opKind = 1
	opUpdate opKind = 2
	opDelete opKind = 3
	opWrite  opKind = 4 // REPLACE: insert or overwrite by primary key
)

type pendingOp struct {
	kind opKind
	img  []byte // full row image (insert, update, write) or key image (delete)
}

// editor is the table's Inserter, Updater, Deleter and Replacer.
type editor struct {
	t       *Table
	s       *Session
	replace bool
	rb      *schema.RowBuilder
	ops     []pendingOp
	sent    bool // this statement sent operations
	err     error
}

func (t *Table) newEditor(ctx *sql.Context, replace bool) *editor {
	s, err := sessionOf(ctx)
	return &editor{t: t, s: s, replace: replace, rb: t.nt.NewRowBuilder(), err: err}
}

// Inserter implements sql.InsertableTable.
func (t *Table) Inserter(ctx *sql.Context) sql.RowInserter { return t.newEditor(ctx, false) }

// Updater implements sql.UpdatableTable.
func (t *Table) Updater(ctx *sql.Context) sql.RowUpdater { return t.newEditor(ctx, false) }

// Deleter implements sql.DeletableTable.
func (t *Table) Deleter(ctx *sql.Context) sql.RowDeleter { return t.newEditor(ctx, false) }

// Replacer implements sql.ReplaceableTable: REPLACE writes each row by
// primary key (NDB's write operation).
func (t *Table) Replacer(ctx *sql.Context) sql.RowReplacer { return t.newEditor(ctx, true) }

// build encodes a full row into e.rb.
func (e *editor) build(row sql.Row) error {
	cols := e.t.def.Columns
	if len(row) != len(cols) {
		return fmt.Errorf("sqlnode: table %s: row has %d values, the table %d columns", e.t.name, len(row), len(cols))
	}
	e.rb.Reset()
	for c := range cols {
		if err := setValue(e.rb, c, row[c]); err != nil {
			return err
		}
	}
	return nil
}

func (e *editor) add(kind opKind, img []byte) error {
	e.ops = append(e.ops, pendingOp{kind: kind, img: img})
	if len(e.ops) >= flushOps {
		return e.flush()
	}
	return nil
}

// Insert implements sql.RowInserter.
func (e *editor) Insert(_ *sql.Context, row sql.Row) error {
	if e.err != nil {
		return e.err
	}
	if err := e.build(row); err != nil {
		return err
	}
	kind := opInsert
	if e.replace {
		kind = opWrite
	}
	return e.add(kind, e.rb.AppendRow(nil))
}

// Update implements sql.RowUpdater: an update by primary key, or a delete
// and an insert when the key changes. With a unique index the delete is
// sent before the insert is added: operations of one Execute run in no
// set order, and the insert's unique-index entry would clash with the
// old row's (NDB error 893) when it ran first.
func (e *editor) Update(_ *sql.Context, old, new sql.Row) error {
	if e.err != nil {
		return e.err
	}
	if err := e.build(old); err != nil {
		return err
	}
	oldKey := e.rb.AppendKey(nil)
	if err := e.build(new); err != nil {
		return err
	}
	img := e.rb.AppendRow(nil)
	if !bytes.Equal(oldKey, img[:e.t.nt.Layout.KeySize]) {
		if err := e.add(opDelete, oldKey); err != nil {
			return err
		}
		if e.t.hasUniqueIndex() {
			if err := e.flush(); err != nil {
				return err
			}
		}
		return e.add(opInsert, img)
	}
	return e.add(opUpdate, img)
}

// Delete implements sql.RowDeleter.
func (e *editor) Delete(_ *sql.Context, row sql.Row) error {
	if e.err != nil {
		return e.err
	}
	if err := e.build(row); err != nil {
		return err
	}
	return e.add(opDelete, e.rb.AppendKey(nil))
}

// flush sends the pending operations in one Execute(NoCommit).
func (e *editor) flush() error {
	if len(e.ops) == 0 {
		return nil
	}
	s, t := e.s, e.t
	s.mu.Lock()
	defer s.mu.Unlock()
	ops := e.ops
	e.ops = nil
	tx, err := s.transaction(t.nt, ops[0].img[:t.nt.Layout.KeySize])
	if err != nil {
		return mysqlError(err)
	}
	l := t.nt.Layout
	for _, op := range ops {
		switch op.kind {
		case opDelete:
			tx.DeleteKey(t.nt, op.img)
		default:
			e.rb.Reset()
			r := l.RowOf(op.img)
			for c := range t.def.Columns {
				if r.IsNull(c) {
					continue // Reset left it NULL
				}
				if err := e.rb.SetRaw(c, r.Raw(c)); err != nil {
					return fmt.Errorf("sqlnode: table %s: re-encoding a row: %w", t.name, err)
				}
			}
			switch op.kind {
			case opInsert:
				tx.Insert(t.nt, e.rb)
			case opUpdate:
				tx.Update(t.nt, e.rb)
			case opWrite:
				tx.Write(t.nt, e.rb)
			}
		}
	}
	t.p.stats.WriteOps.Add(uint64(len(ops)))
	s.written[t.def.ID] = true
	e.sent = true
	if err := tx.Execute(ndbapi.NoCommit); err != nil {
		s.abortTx()
		return mysqlError(err)
	}
	return nil
}

// StatementBegin implements sql.EditOpenerCloser.
func (e *editor) StatementBegin(*sql.Context) {}

// DiscardChanges implements sql.EditOpenerCloser: operations not sent are
// dropped; if some were sent, the NDB transaction is rolled back (it
// cannot undo part of itself). In autocommit mode the statement is the
// transaction, and it is rolled back even when nothing was sent: its
// locking reads hold locks (an UPDATE whose SET failed on the first
// row), and the engine, seeing the error, neither commits it nor starts
// a new one for the next statement.
func (e *editor) DiscardChanges(ctx *sql.Context, _ error) error {
	e.ops = nil
	if e.s == nil {
		return nil
	}
	if e.sent || e.s.autocommitMode(ctx) {
		e.s.mu.Lock()
		e.s.abortTx()
		e.s.mu.Unlock()
	}
	return nil
}

// StatementComplete implements sql.EditOpenerCloser.
func (e *editor) StatementComplete(*sql.Context) error { return e.flush() }

// Close implements sql.Closer.
func (e *editor) Close(*sql.Context) error { return e.flush() }

// hasUniqueIndex reports whether the table has a unique index besides
// its primary key.
func (t *Table) hasUniqueIndex() bool {
	for _, x := range t.idx {
		if x.unique && x.pos >= 0 {
			return true
		}
	}
	return false
}
