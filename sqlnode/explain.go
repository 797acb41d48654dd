package sqlnode

import (
	"strconv"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// execBuilder is the engine's priority exec builder: it sees every plan
// node before the engine builds its iterator. The engine's analyzer has
// no hook that every statement passes (simple SELECTs, UPDATEs and
// DELETEs take shortened rule batches), so the pushdown (rules.go) runs
// here, on the plan about to execute:
//
//   - Filter and Limit nodes: the subtree is rewritten by pushdown (once
//     per statement: nested-loop joins build their inner side per outer
//     row) and the rewritten subtree is built;
//   - DescribeQuery (EXPLAIN, EXPLAIN PLAN, DESCRIBE): the described plan
//     is the rewritten one; plain EXPLAIN prints MySQL's table, with the
//     access type and the pushed condition of every table access;
//   - UpdateSource (the SET of an UPDATE): in strict mode a number out of
//     its column's range is error 1264, as MySQL gives it (the engine's
//     SetField clamps it silently: 300 became 255 in a TINYINT UNSIGNED).
//
// Everything else is left to the engine (nil, nil).
type execBuilder struct {
	base *rowexec.BaseBuilder
}

var _ sql.NodeExecBuilder = (*execBuilder)(nil)

// Build implements sql.NodeExecBuilder.
func (b *execBuilder) Build(ctx *sql.Context, n sql.Node, row sql.Row) (sql.RowIter, error) {
	switch n := n.(type) {
	case *plan.Filter, *plan.Limit:
		nn, changed, err := rewrite(ctx, n)
		if err != nil || !changed {
			return nil, err
		}
		return b.base.Build(ctx, nn, row)
	case *plan.UpdateSource:
		nn, changed, err := strictUpdate(ctx, n)
		if err != nil || !changed {
			return nil, err
		}
		return b.base.Build(ctx, nn, row)
	case *plan.DescribeQuery:
		if n.Format.Analyze {
			return nil, nil
		}
		child, _, err := pushdownPlan(ctx, n.Child)
		if err != nil {
			return nil, err
		}
		if n.Format.Plan {
			child, _, err = transform.Node(ctx, child, showPushed)
			if err != nil {
				return nil, err
			}
			var rows []sql.Row
			for _, l := range strings.Split(strings.ReplaceAll(sql.Describe(ctx, child, n.Format), "\r", ""), "\n") {
				if strings.TrimSpace(l) != "" {
					rows = append(rows, sql.NewRow(l))
				}
			}
			return sql.RowsToRowIter(rows...), nil
		}
		return sql.RowsToRowIter(explainRows(ctx, child)...), nil
	}
	return nil, nil
}

// strictUpdate wraps the value of every SET of a number column in a
// strictValue, in strict mode and without IGNORE; changed is false when
// there is nothing to wrap (or it is wrapped already).
func strictUpdate(ctx *sql.Context, n *plan.UpdateSource) (sql.Node, bool, error) {
	if n.Ignore || !sql.LoadSqlMode(ctx).Strict() {
		return n, false, nil
	}
	exprs := n.Expressions()
	out := make([]sql.Expression, len(exprs))
	changed := false
	for i, e := range exprs {
		out[i] = e
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		gf, ok := sf.LeftChild.(*expression.GetField)
		if !ok || !types.IsNumber(gf.Type(ctx)) {
			continue
		}
		if _, done := sf.RightChild.(*strictValue); done {
			continue
		}
		ne, err := sf.WithChildren(ctx, sf.LeftChild, &strictValue{child: sf.RightChild, typ: gf.Type(ctx), col: gf.Name()})
		if err != nil {
			return nil, false, err
		}
		out[i], changed = ne, true
	}
	if !changed {
		return n, false, nil
	}
	nn, err := n.WithExpressions(ctx, out...)
	if err != nil {
		return nil, false, err
	}
	return nn, true, nil
}

// strictValue is a SET value converted to its number column's type, or
// error 1264 when the column cannot hold it. Values that do not convert
// at all (a string that is no number) pass unchanged: SetField reports
// them.
type strictValue struct {
	child sql.Expression
	typ   sql.Type
	col   string
}

var _ sql.Expression = (*strictValue)(nil)

func (v *strictValue) Resolved() bool                      { return v.child.Resolved() }
func (v *strictValue) String() string                      { return v.child.String() }
func (v *strictValue) Type(*sql.Context) sql.Type          { return v.typ }
func (v *strictValue) IsNullable(ctx *sql.Context) bool    { return v.child.IsNullable(ctx) }
func (v *strictValue) Children() []sql.Expression          { return []sql.Expression{v.child} }
func (v *strictValue) DebugString(ctx *sql.Context) string { return sql.DebugString(ctx, v.child) }

func (v *strictValue) WithChildren(_ *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(v, len(children), 1)
	}
	nv := *v
	nv.child = children[0]
	return &nv, nil
}

// Eval implements sql.Expression.
func (v *strictValue) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	x, err := v.child.Eval(ctx, row)
	if err != nil || x == nil {
		return x, err
	}
	var cv any
	var inRange sql.ConvertInRange
	if rt, ok := v.typ.(sql.RoundingNumberType); ok {
		cv, inRange, err = rt.ConvertRound(ctx, x)
	} else {
		cv, inRange, err = v.typ.Convert(ctx, x)
	}
	if err != nil {
		return x, nil
	}
	if inRange != sql.InRange {
		return nil, sqlErr(1264, "22003", "Out of range value for column '%s' at row 1", v.col)
	}
	return cv, nil
}

// pushdownPlan rewrites every Filter and Limit of n (rules.go).
func pushdownPlan(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(ctx, n, func(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n := n.(type) {
		case *plan.Filter:
			return pushFilter(ctx, n)
		case *plan.Limit:
			return pushLimit(ctx, n)
		}
		return n, transform.SameTree, nil
	})
}

// rewriteCache remembers, for the statement being built, the rewritten
// subtree of every Filter and Limit node the builder met (nil: nothing
// to rewrite), so that a subtree built once per outer row of a join is
// rewritten once.
type rewriteCache struct {
	mu  sync.Mutex
	pid uint64
	m   map[sql.Node]sql.Node
}

// rewrite returns n's subtree with the pushdown applied, from the
// session's cache when the statement met n before.
func rewrite(ctx *sql.Context, n sql.Node) (sql.Node, bool, error) {
	s, _ := ctx.Session.(*Session)
	if s == nil {
		nn, same, err := pushdownPlan(ctx, n)
		return nn, !bool(same), err
	}
	c := &s.rewrites
	c.mu.Lock()
	if c.pid != ctx.Pid() || c.m == nil {
		c.pid = ctx.Pid()
		c.m = make(map[sql.Node]sql.Node)
	}
	if nn, ok := c.m[n]; ok {
		c.mu.Unlock()
		return nn, nn != nil, nil
	}
	c.mu.Unlock()
	nn, same, err := pushdownPlan(ctx, n)
	if err != nil {
		return nil, false, err
	}
	root := nn
	if same {
		nn, root = nil, n
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[n] = nn
	// The Filter and Limit nodes of the result are final: building them
	// must not rewrite them again.
	transform.Inspect(root, func(x sql.Node) bool {
		switch x.(type) {
		case *plan.Filter, *plan.Limit:
			if _, ok := c.m[x]; !ok && x != n {
				c.m[x] = nil
			}
		}
		return true
	})
	return nn, nn != nil, nil
}

// explainRows is MySQL's EXPLAIN table for plan n: a row per table
// access, in plan order.
func explainRows(ctx *sql.Context, n sql.Node) []sql.Row {
	kind := "SIMPLE"
	switch n.(type) {
	case *plan.Update:
		kind = "UPDATE"
	case *plan.DeleteFrom:
		kind = "DELETE"
	case *plan.InsertInto:
		kind = "INSERT"
	}
	e := &explainer{ctx: ctx, kind: kind}
	e.walk(n, false, false)
	if len(e.rows) == 0 {
		e.rows = append(e.rows, explainRow(kind, nil, "", "", "", "No tables used"))
	}
	return e.rows
}

type explainer struct {
	ctx    *sql.Context
	kind   string
	rows   []sql.Row
	sorted bool // a sort is above the first table
}

func explainRow(kind string, table any, typ, key, ref, extra string) sql.Row {
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return sql.NewRow(uint64(1), kind, table, nil, null(typ), null(key), null(key), nil, null(ref), nil, nil, extra)
}

// walk visits n; filtered: a Filter sits right above n; sorted: a sort
// is above.
func (e *explainer) walk(n sql.Node, filtered, sorted bool) {
	if a, ok := accessOf(n); ok {
		e.access(n, a, filtered, sorted)
		return
	}
	switch n.(type) {
	case *plan.Sort, *plan.TopN:
		sorted = true
	}
	_, isFilter := n.(*plan.Filter)
	for _, c := range n.Children() {
		e.walk(c, isFilter, sorted)
	}
}

func (e *explainer) access(n sql.Node, a *access, filtered, sorted bool) {
	typ, key, ref := "ALL", "", ""
	ita := indexedAccess(n)
	if ita != nil {
		typ, key, ref = e.indexAccess(ita)
	}
	var extra []string
	if cond, _ := a.t.pushed(); cond != nil {
		extra = append(extra, "Using pushed condition "+cond.text)
	}
	if filtered {
		extra = append(extra, "Using where")
	}
	if sorted && len(e.rows) == 0 {
		extra = append(extra, "Using filesort")
	}
	e.rows = append(e.rows, explainRow(e.kind, a.name, typ, key, ref, strings.Join(extra, "; ")))
}

// indexedAccess finds the IndexedTableAccess of an access node.
func indexedAccess(n sql.Node) *plan.IndexedTableAccess {
	switch n := n.(type) {
	case *plan.IndexedTableAccess:
		return n
	case *plan.TableAlias:
		return indexedAccess(n.Child)
	}
	return nil
}

// indexAccess names an index access as MySQL does: const (one key),
// range (several keys, or ranges), index (the whole index, in order),
// eq_ref and ref (a key from the joined row).
func (e *explainer) indexAccess(ita *plan.IndexedTableAccess) (typ, key, ref string) {
	x, ok := ita.Index().(*Index)
	if !ok {
		return "ALL", "", ""
	}
	key = x.id
	if !ita.IsStatic() {
		var refs []string
		for _, k := range ita.Expressions() {
			refs = append(refs, k.String())
		}
		ref = strings.Join(refs, ",")
		if x.unique && len(refs) == len(x.cols) {
			return "eq_ref", key, ref
		}
		return "ref", key, ref
	}
	l, _, err := ita.GetLookup(e.ctx, nil)
	if err != nil {
		return "range", key, ""
	}
	ranges, ok := l.Ranges.(sql.MySQLRangeCollection)
	if !ok {
		return "range", key, ""
	}
	if x.unique {
		all := len(ranges) > 0
		for _, r := range ranges {
			if _, ok, _ := pointValues(e.ctx, x, r); !ok {
				all = false
				break
			}
		}
		if all && len(ranges) == 1 {
			return "const", key, "const"
		}
		if all {
			return "range", key, ""
		}
	}
	if x.ord < 0 {
		return "ALL", key, ""
	}
	if len(ranges) == 1 && fullRange(ranges[0]) {
		return "index", key, ""
	}
	return "range", key, ""
}

// fullRange reports whether r takes every value (NULL included) of every
// column: an index read for its order only.
func fullRange(r sql.MySQLRange) bool {
	for _, ce := range r {
		switch ce.LowerBound.(type) {
		case sql.BelowNull:
		default:
			return false
		}
		if _, ok := ce.UpperBound.(sql.AboveAll); !ok {
			return false
		}
	}
	return true
}

// showPushed wraps a table access that carries a pushed condition or a
// limit so that EXPLAIN PLAN shows them.
func showPushed(_ *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	a, ok := accessOf(n)
	if !ok {
		return n, transform.SameTree, nil
	}
	cond, limit := a.t.pushed()
	if cond == nil && limit == 0 {
		return n, transform.SameTree, nil
	}
	var lines []string
	if cond != nil {
		lines = append(lines, "pushed condition: "+cond.text)
	}
	if limit != 0 {
		lines = append(lines, "reads at most: "+strconv.FormatUint(limit, 10)+" rows")
	}
	return describedAccess{Node: n, lines: lines}, transform.NewTree, nil
}

// describedAccess is a table access as EXPLAIN PLAN prints it, with lines
// of its own; it only describes, it never runs.
type describedAccess struct {
	sql.Node
	lines []string
}

func (d describedAccess) String() string { return addChildLines(d.Node.String(), d.lines) }

func (d describedAccess) DebugString(ctx *sql.Context) string {
	return addChildLines(sql.DebugString(ctx, d.Node), d.lines)
}

// Children is none: the access is a leaf of the described plan (a
// TableAlias's child is printed inside its String).
func (d describedAccess) Children() []sql.Node { return nil }

// addChildLines adds lines as the last children of a node printed by the
// engine's tree printer.
func addChildLines(s string, lines []string) string {
	out := strings.Split(strings.TrimRight(s, "\n"), "\n")
	// The current last child, if any, stops being the last one.
	for i := len(out) - 1; i > 0; i-- {
		if strings.HasPrefix(out[i], " └─ ") {
			out[i] = " ├─ " + out[i][len(" └─ "):]
			for j := i + 1; j < len(out); j++ {
				if strings.HasPrefix(out[j], "     ") {
					out[j] = " │   " + out[j][len("     "):]
				}
			}
			break
		}
	}
	for i, l := range lines {
		if i == len(lines)-1 {
			out = append(out, " └─ "+l)
		} else {
			out = append(out, " ├─ "+l)
		}
	}
	return strings.Join(out, "\n") + "\n"
}
