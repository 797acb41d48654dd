package sqlnode

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
)

// The pushdown rewrites the plan about to execute (execBuilder in
// explain.go runs it; the engine's FilteredTable hook is never called by
// its analyzer, and simple statements skip custom analyzer rules):
//
//   - Filter over a table access of ours (an ordinary or an ndbinfo
//     table; ResolvedTable, IndexedTableAccess, either under a
//     TableAlias): the conjuncts the data nodes can evaluate move into the
//     table copy's pushed condition; the Filter keeps the rest, or goes.
//   - Limit [Offset] [Project] over such an access with nothing that drops
//     rows in between: the access reads at most limit+offset rows (scans
//     ask for batches of that size and stop there; an ndbinfo read asks
//     each data node for at most that many rows).
//
// The rewrite is idempotent: run again it finds nothing more to push.

// pushTable is a table the pushdown moves conditions into: an ordinary
// table (Table) or an ndbinfo table (InfoTable).
type pushTable interface {
	sql.Table
	// pushSchema is the storage definition and row layout a pushed
	// program is built against.
	pushSchema() (*schema.Table, *schema.Layout)
	// pushed is the pushed condition (nil: none) and the rows the
	// statement needs at most (0: all).
	pushed() (*pushedCond, uint64)
	// withPushed is a copy that carries cond and limit.
	withPushed(cond *pushedCond, limit uint64) pushTable
}

var (
	_ pushTable = (*Table)(nil)
	_ pushTable = (*InfoTable)(nil)
)

func (t *Table) pushSchema() (*schema.Table, *schema.Layout) { return t.def, t.nt.Layout }
func (t *Table) pushed() (*pushedCond, uint64)               { return t.cond, t.limit }
func (t *Table) withPushed(cond *pushedCond, limit uint64) pushTable {
	nt := *t
	nt.cond, nt.limit = cond, limit
	return &nt
}

// access is a table access of ours found in a plan, with how to rebuild
// the node around a new copy of the table.
type access struct {
	t    pushTable
	name string     // table name or alias
	cols sql.ColSet // column ids of the access
	with func(*sql.Context, pushTable) (sql.Node, error)
}

// ndbTable unwraps the engine's table wrappers down to a table of ours.
func ndbTable(t sql.Table) (pushTable, bool) {
	for i := 0; i < 8 && t != nil; i++ {
		if x, ok := t.(pushTable); ok {
			return x, true
		}
		w, ok := t.(sql.TableWrapper)
		if !ok {
			return nil, false
		}
		t = w.Underlying()
	}
	return nil, false
}

// accessOf finds the table access n is (under an alias, possibly).
func accessOf(n sql.Node) (*access, bool) {
	switch n := n.(type) {
	case *plan.TableAlias:
		a, ok := accessOf(n.Child)
		if !ok {
			return nil, false
		}
		inner := a.with
		a.name, a.cols = n.Name(), n.Columns()
		a.with = func(ctx *sql.Context, t pushTable) (sql.Node, error) {
			c, err := inner(ctx, t)
			if err != nil {
				return nil, err
			}
			return n.WithChildren(ctx, c)
		}
		return a, true
	case *plan.ResolvedTable:
		t, ok := ndbTable(n.Table)
		if !ok {
			return nil, false
		}
		return &access{t: t, name: n.Name(), cols: n.Columns(), with: func(ctx *sql.Context, t pushTable) (sql.Node, error) {
			return n.WithTable(ctx, t)
		}}, true
	case *plan.IndexedTableAccess:
		t, ok := ndbTable(n.Table)
		if !ok {
			return nil, false
		}
		return &access{t: t, name: n.Name(), cols: n.Columns(), with: func(ctx *sql.Context, t pushTable) (sql.Node, error) {
			m := *n
			it, ok := t.(sql.IndexedTable)
			if !ok {
				return nil, fmt.Errorf("sqlnode: table %s has no indexes", t.Name())
			}
			m.Table = it
			if mtn, ok := n.TableNode.(sql.MutableTableNode); ok {
				tn, err := mtn.WithTable(ctx, t)
				if err != nil {
					return nil, err
				}
				m.TableNode = tn
				if it, ok := tn.WrappedTable().(sql.IndexedTable); ok {
					m.Table = it
				}
			}
			return &m, nil
		}}, true
	}
	return nil, false
}

// pushFilter moves what the data nodes can evaluate from f into the table
// access below it.
func pushFilter(ctx *sql.Context, f *plan.Filter) (sql.Node, transform.TreeIdentity, error) {
	a, ok := accessOf(f.Child)
	if !ok {
		return f, transform.SameTree, nil
	}
	def, layout := a.t.pushSchema()
	ps := &pushScope{def: def, name: a.name, cols: a.cols, build: filter.NewBuilder(layout)}
	var conds []*cond
	var pushed, rest []sql.Expression
	for _, e := range expression.SplitConjunction(ctx, f.Expression) {
		if c, ok := ps.pushable(e); ok {
			conds = append(conds, c)
			pushed = append(pushed, e)
		} else {
			rest = append(rest, e)
		}
	}
	if len(conds) == 0 {
		return f, transform.SameTree, nil
	}
	prev, limit := a.t.pushed()
	if prev != nil {
		conds = append(append([]*cond(nil), prev.conds...), conds...)
		pushed = append(append([]sql.Expression(nil), prev.exprs...), pushed...)
	}
	pc, err := newPushedCond(layout, ps.build, conds, pushed)
	if err != nil {
		// Each conjunct compiled alone; together they are too large.
		return f, transform.SameTree, nil
	}
	child, err := a.with(ctx, a.t.withPushed(pc, limit))
	if err != nil {
		return nil, transform.SameTree, err
	}
	if len(rest) == 0 {
		return child, transform.NewTree, nil
	}
	return plan.NewFilter(expression.JoinAnd(rest...), child), transform.NewTree, nil
}

// pushLimit tells the table access under a Limit how many rows are
// enough.
func pushLimit(ctx *sql.Context, l *plan.Limit) (sql.Node, transform.TreeIdentity, error) {
	if l.CalcFoundRows {
		return l, transform.SameTree, nil
	}
	n, ok := countOf(l.Limit)
	if !ok || n == 0 {
		return l, transform.SameTree, nil
	}
	var rebuild []sql.Node // nodes between the Limit and the access, outermost first
	cur := l.Child
	for {
		switch c := cur.(type) {
		case *plan.Offset:
			off, ok := countOf(c.Offset)
			if !ok {
				return l, transform.SameTree, nil
			}
			n += off
			rebuild = append(rebuild, c)
			cur = c.Child
			continue
		case *plan.Project:
			rebuild = append(rebuild, c)
			cur = c.Child
			continue
		}
		break
	}
	a, ok := accessOf(cur)
	if !ok {
		return l, transform.SameTree, nil
	}
	cond, limit := a.t.pushed()
	if limit != 0 && limit <= n {
		return l, transform.SameTree, nil
	}
	node, err := a.with(ctx, a.t.withPushed(cond, n))
	if err != nil {
		return nil, transform.SameTree, err
	}
	for i := len(rebuild) - 1; i >= 0; i-- {
		if node, err = rebuild[i].WithChildren(ctx, node); err != nil {
			return nil, transform.SameTree, err
		}
	}
	out, err := l.WithChildren(ctx, node)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return out, transform.NewTree, nil
}

// countOf reads a LIMIT or OFFSET count.
func countOf(e sql.Expression) (uint64, bool) {
	v, ok := literal(e)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case int8, int16, int32, int64, int:
		if i := toInt64(x); i >= 0 {
			return uint64(i), true
		}
	case uint8, uint16, uint32, uint64, uint:
		return toUint64(x), true
	}
	return 0, false
}
