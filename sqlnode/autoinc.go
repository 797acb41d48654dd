package sqlnode

import (
	"errors"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// AUTO_INCREMENT (docs/sqlnode.md). The column is named in the table's SQL
// metadata (meta.go); its counter is ndbapi's cluster-wide one. Each SQL
// node reserves ranges of Config.AutoIncrementPrefetch values (one
// transaction: an exclusive read and an update of the counter row) and
// hands them out to its sessions; an explicit value above the counter
// moves it forward for every SQL node. Values are unique cluster-wide and
// increasing per SQL node; with a prefetch above 1, SQL nodes interleave
// and a range not used up leaves a gap, as NDB's
// ndb_autoincrement_prefetch_sz does. Within one statement that
// generates many values the ranges grow (2, 4, ... 1024 values), as NDB
// prefetches more for bulk inserts.

// erAutoincReadFailed is MySQL's "Failed to read auto-increment value from
// storage engine".
const erAutoincReadFailed = 1467

// autoInc is a table's AUTO_INCREMENT column on this SQL node.
type autoInc struct {
	col int
	src *ndbapi.AutoIncrement
	max uint64 // the column type's largest value
}

func newAutoInc(nt *ndbapi.Table, col int) *autoInc {
	c := &nt.Def.Columns[col]
	bits := 8 * uint(nt.Layout.Cols[col].Size)
	mx := uint64(math.MaxUint64)
	if bits < 64 {
		mx = 1<<bits - 1
	}
	if !c.Unsigned {
		mx >>= 1
	}
	return &autoInc{col: col, src: ndbapi.NewAutoIncrement(nt), max: mx}
}

var (
	_ sql.AutoIncrementTable  = (*Table)(nil)
	_ sql.AutoIncrementSetter = (*autoIncSetter)(nil)
)

// PeekNextAutoIncrementValue implements sql.AutoIncrementGetter: the
// cluster counter (values this SQL node reserved and has not handed out
// are below it).
func (t *Table) PeekNextAutoIncrementValue(ctx *sql.Context) (uint64, error) {
	if t.auto == nil {
		return 0, nil
	}
	var next uint64
	err := t.p.metaNdb(func(ndb *ndbapi.Ndb) error {
		var err error
		next, _, err = ndb.ReadAutoIncrement(ctx, t.nt)
		return err
	})
	return next, mysqlError(err)
}

// GetNextAutoIncrementValue implements sql.AutoIncrementTable: a value for
// a row that gave none (insertVal nil), or the note that a row gave one.
func (t *Table) GetNextAutoIncrementValue(ctx *sql.Context, insertVal any) (uint64, error) {
	if t.auto == nil {
		return 0, errNotSupported("AUTO_INCREMENT on table %s, which has no AUTO_INCREMENT column", t.name)
	}
	s, err := sessionOf(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ndb, err := s.getNdb()
	if err != nil {
		return 0, err
	}
	if insertVal != nil {
		v, ok := autoIncValue(insertVal)
		if !ok {
			return 0, nil // zero, negative or not a number: no value to note
		}
		return v, autoIncError(t.auto.src.Seen(ctx, ndb, v))
	}
	// A statement that generates many values (a multi-row INSERT)
	// reserves growing ranges after its first value: 2, 4, ... 1024.
	more := s.autoPid == ctx.Pid()
	if !more {
		s.autoPid, s.autoN = ctx.Pid(), 0
	}
	return t.nextAutoInc(ctx, ndb, s, more)
}

// nextAutoInc hands out the next value; more: the statement generated
// values before (its ranges grow). Called with s.mu held.
func (t *Table) nextAutoInc(ctx *sql.Context, ndb *ndbapi.Ndb, s *Session, more bool) (uint64, error) {
	prefetch := t.p.prefetch
	if more {
		s.autoN = min(s.autoN+1, 10)
		prefetch = max(prefetch, 1<<s.autoN)
	}
	v, err := t.auto.src.Next(ctx, ndb, prefetch)
	if err != nil {
		return 0, autoIncError(err)
	}
	if v > t.auto.max {
		return 0, sqlErr(erAutoincReadFailed, "HY000", "Failed to read auto-increment value from storage engine (column %s is full at %d)", t.def.Columns[t.auto.col].Name, t.auto.max)
	}
	return v, nil
}

func autoIncError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ndbapi.ErrAutoIncExhausted) || errors.Is(err, ndbapi.ErrNoSuchTable) {
		return sqlErr(erAutoincReadFailed, "HY000", "Failed to read auto-increment value from storage engine (%v)", err)
	}
	if ndbapi.Code(err) == 626 {
		return sqlErr(erAutoincReadFailed, "HY000", "Failed to read auto-increment value from storage engine (the table has no counter)")
	}
	return mysqlError(err)
}

// autoIncValue reads a positive explicit value of an AUTO_INCREMENT column.
func autoIncValue(v any) (uint64, bool) {
	switch x := v.(type) {
	case int8, int16, int32, int64, int:
		if i := toInt64(x); i > 0 {
			return uint64(i), true
		}
	case uint8, uint16, uint32, uint64, uint:
		if u := toUint64(x); u > 0 {
			return u, true
		}
	case float64:
		if x >= 1 && x < math.MaxUint64 {
			return uint64(math.Round(x)), true
		}
	case float32:
		if x >= 1 {
			return uint64(math.Round(float64(x))), true
		}
	case decimal.Decimal:
		if x.GreaterThanOrEqual(decimal.NewFromInt(1)) && x.Round(0).BigInt().IsUint64() {
			return x.Round(0).BigInt().Uint64(), true
		}
	}
	return 0, false
}

// AutoIncrementSetter implements sql.AutoIncrementTable.
func (t *Table) AutoIncrementSetter(*sql.Context) sql.AutoIncrementSetter {
	return &autoIncSetter{t: t}
}

// autoIncSetter sets the counter: CREATE TABLE ... AUTO_INCREMENT=n and
// ALTER TABLE ... AUTO_INCREMENT=n.
type autoIncSetter struct{ t *Table }

// SetAutoIncrementValue implements sql.AutoIncrementSetter. As in MySQL,
// the counter does not move below values already handed out.
func (a *autoIncSetter) SetAutoIncrementValue(ctx *sql.Context, v uint64) error {
	t := a.t
	if t.auto == nil {
		return nil
	}
	err := t.p.metaNdb(func(ndb *ndbapi.Ndb) error {
		_, err := ndb.ReserveAutoIncrement(ctx, t.nt, 0, v)
		return err
	})
	t.auto.src.Reset()
	return autoIncError(err)
}

// AcquireAutoIncrementLock implements sql.AutoIncrementSetter: values come
// from reserved ranges; nothing to lock.
func (a *autoIncSetter) AcquireAutoIncrementLock(*sql.Context) (func(), error) { return func() {}, nil }

// Close implements sql.AutoIncrementSetter.
func (a *autoIncSetter) Close(*sql.Context) error { return nil }

// autoIncColumn checks an AUTO_INCREMENT column's type: integers only.
func autoIncColumn(c *schema.Column) error {
	if !c.Type.IsInteger() {
		return errNotSupported("AUTO_INCREMENT on column %s of type %s (integer columns only)", c.Name, c.Type)
	}
	return nil
}
