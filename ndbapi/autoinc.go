package ndbapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// Auto-increment counters, NDB API's getAutoIncrementValue and
// setAutoIncrementValue. Every table's counter is a row of one hidden
// dictionary table (NDB's SYSTAB_0), keyed by the table's id and holding
// the next value to hand out:
//
//	sys/autoinc: table_id BIGINT UNSIGNED PRIMARY KEY, next_id BIGINT UNSIGNED NOT NULL
//
// Values are reserved in ranges: one transaction reads the row with an
// exclusive lock and moves next_id past the range, so ranges reserved by
// different API nodes never overlap and every value is handed out at most
// once cluster-wide. An AutoIncrement hands out the values of its range
// locally; values of a range not used (an API node that stops) are gaps,
// as in NDB.

// AutoIncTableName is the hidden dictionary table of auto-increment
// counters.
const AutoIncTableName = "sys/autoinc"

// ErrAutoIncExhausted: the counter cannot move past the largest value.
var ErrAutoIncExhausted = errors.New("ndbapi: auto-increment counter exhausted")

// AutoIncTableDef is the definition of the counters table (ID 0: the
// dictionary assigns one).
func AutoIncTableDef() *schema.Table {
	return &schema.Table{Name: AutoIncTableName, PrimaryKey: []int{0}, Columns: []schema.Column{
		{Name: "table_id", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "next_id", Type: schema.TypeBigInt, Unsigned: true},
	}}
}

// AutoIncTable returns the counters table; create makes it in the
// dictionary when it does not exist yet (two API nodes may race: the
// loser uses the winner's).
func (c *Cluster) AutoIncTable(ctx context.Context, create bool) (*Table, error) {
	t, err := c.Table(ctx, AutoIncTableName)
	if err == nil || !create || !errors.Is(err, ErrNoSuchTable) {
		return t, err
	}
	t, err = c.CreateTable(ctx, AutoIncTableDef())
	if errors.Is(err, mgmapi.ErrTableExists) {
		return c.Table(ctx, AutoIncTableName)
	}
	return t, err
}

// autoIncKey fills rb with t's counter key.
func autoIncKey(rb *schema.RowBuilder, t *Table) {
	rb.Reset()
	_ = rb.SetUint64(0, uint64(t.Def.ID))
}

// SetAutoIncrement gives table t a counter whose next value is next,
// replacing any counter it had (CREATE TABLE ... AUTO_INCREMENT=next). The
// counters table is created if needed.
func (n *Ndb) SetAutoIncrement(ctx context.Context, t *Table, next uint64) error {
	at, err := n.c.AutoIncTable(ctx, true)
	if err != nil {
		return err
	}
	rb := at.NewRowBuilder()
	autoIncKey(rb, t)
	_ = rb.SetUint64(1, next)
	return RunTransaction(ctx, n, at, rb.AppendKey(nil), func(tx *Transaction) error {
		tx.Write(at, rb)
		return nil
	}, DefaultRetryPolicy())
}

// DropAutoIncrement deletes table t's counter (DROP TABLE); a table
// without one is not an error.
func (n *Ndb) DropAutoIncrement(ctx context.Context, t *Table) error {
	at, err := n.c.AutoIncTable(ctx, false)
	if errors.Is(err, ErrNoSuchTable) {
		return nil
	}
	if err != nil {
		return err
	}
	rb := at.NewRowBuilder()
	autoIncKey(rb, t)
	err = RunTransaction(ctx, n, at, rb.AppendKey(nil), func(tx *Transaction) error {
		tx.Delete(at, rb)
		return nil
	}, DefaultRetryPolicy())
	if Code(err) == ndberr.ErrNoSuchRow.Code {
		return nil
	}
	return err
}

// ReadAutoIncrement returns table t's next value without reserving it
// (SHOW CREATE TABLE); ok is false when t has no counter.
func (n *Ndb) ReadAutoIncrement(ctx context.Context, t *Table) (next uint64, ok bool, err error) {
	at, err := n.c.AutoIncTable(ctx, false)
	if errors.Is(err, ErrNoSuchTable) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	rb := at.NewRowBuilder()
	autoIncKey(rb, t)
	err = RunTransaction(ctx, n, at, rb.AppendKey(nil), func(tx *Transaction) error {
		op := tx.Read(at, rb, CommittedRead)
		if err := tx.Execute(Commit); err != nil {
			return err
		}
		if r, found := op.Row(); found {
			next, ok = r.Uint64(1), true
		}
		return nil
	}, DefaultRetryPolicy())
	if Code(err) == ndberr.ErrNoSuchRow.Code {
		return 0, false, nil
	}
	return next, ok, err
}

// ReserveAutoIncrement reserves count values of table t's counter, the
// first of them at least atLeast, in one transaction (an exclusive read
// and an update of the counter row): the values [first, first+count) are
// the caller's. Count 0 only moves the counter to atLeast if it is below
// (an explicit value inserted above it). A table without a counter gives
// an *Error with code 626 (no such row).
func (n *Ndb) ReserveAutoIncrement(ctx context.Context, t *Table, count, atLeast uint64) (first uint64, err error) {
	at, err := n.c.AutoIncTable(ctx, false)
	if err != nil {
		return 0, err
	}
	rb := at.NewRowBuilder()
	autoIncKey(rb, t)
	key := rb.AppendKey(nil)
	err = RunTransaction(ctx, n, at, key, func(tx *Transaction) error {
		autoIncKey(rb, t)
		op := tx.Read(at, rb, LockExclusive)
		if err := tx.Execute(NoCommit); err != nil {
			return err
		}
		r, ok := op.Row()
		if !ok {
			return newError(ndberr.ErrNoSuchRow.Code, 0, 0, "no auto-increment counter for table "+t.Def.Name)
		}
		next := r.Uint64(1)
		first = max(next, atLeast)
		if first > math.MaxUint64-count {
			return fmt.Errorf("%w: table %s, %d values from %d", ErrAutoIncExhausted, t.Def.Name, count, first)
		}
		if first+count == next {
			return nil // nothing to move (count 0, atLeast below the counter)
		}
		_ = rb.SetUint64(1, first+count)
		tx.Update(at, rb)
		return nil
	}, DefaultRetryPolicy())
	return first, err
}

// AutoIncrement hands out one table's auto-increment values from ranges
// it reserves from the cluster (NDB's per-table tuple-id cache). Safe for
// concurrent use; each call may use n for a transaction of its own.
type AutoIncrement struct {
	t *Table

	mu    sync.Mutex
	next  uint64 // the reserved range is [next, end)
	end   uint64
	floor uint64 // the cluster counter is known to be at least this
}

// NewAutoIncrement returns the value source of table t, which must have
// a counter (SetAutoIncrement).
func NewAutoIncrement(t *Table) *AutoIncrement { return &AutoIncrement{t: t} }

// Next returns the next value, reserving a range of prefetch values
// (at least 1) when the local range is used up.
func (a *AutoIncrement) Next(ctx context.Context, n *Ndb, prefetch uint64) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next < a.end {
		v := a.next
		a.next++
		return v, nil
	}
	prefetch = max(prefetch, 1)
	first, err := n.ReserveAutoIncrement(ctx, a.t, prefetch, 0)
	if err != nil {
		return 0, err
	}
	a.next, a.end = first+1, first+prefetch
	a.floor = max(a.floor, a.end)
	return first, nil
}

// Seen notes that value v was used explicitly (an INSERT that names the
// column): no value at or below v is handed out afterwards, here or by
// any API node (the cluster counter moves past v when it is not past
// already).
func (a *AutoIncrement) Seen(ctx context.Context, n *Ndb, v uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v < a.next {
		return nil
	}
	if v < a.end {
		a.next = v + 1
		return nil
	}
	a.next, a.end = 0, 0 // values of the range are below v: give them up
	if v < a.floor {
		return nil
	}
	if v == math.MaxUint64 {
		return fmt.Errorf("%w: table %s", ErrAutoIncExhausted, a.t.Def.Name)
	}
	if _, err := n.ReserveAutoIncrement(ctx, a.t, 0, v+1); err != nil {
		return err
	}
	a.floor = v + 1
	return nil
}

// Reset forgets the local range (its values become gaps), so the next
// value is reserved from the cluster counter.
func (a *AutoIncrement) Reset() {
	a.mu.Lock()
	a.next, a.end, a.floor = 0, 0, 0
	a.mu.Unlock()
}
