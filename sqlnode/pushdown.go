package sqlnode

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
)

// Condition pushdown (docs/sqlnode.md, "Pushdown"). The engine leaves the
// WHERE conditions of a table in a Filter node right above the table
// access; the pushdown rule (rules.go) hands each conjunct of that Filter
// to pushable, which translates what the data nodes can evaluate exactly
// into a cond tree. The pushed conjuncts leave the Filter; the table copy
// carries them as a filter program (schema/filter) that every scan of the
// access sends to the data nodes, and that key reads apply to the rows they
// return. What cannot be pushed stays in the Filter, evaluated by the
// engine.
//
// Pushed means exact: a condition is pushed only when the data nodes give
// it MySQL's meaning for the column's type (three-valued logic, PAD SPACE
// binary collations, integer bounds rounded as MySQL compares them). A
// constant the column type cannot hold, a comparison between a number and
// a string, a collation clause, a function call: none are pushed.

// condKind is a node of a pushed condition.
type condKind uint8

const (
	condGroup condKind = iota + 1
	condCmp
	condCmpCols
	condIsNull
	condIsNotNull
	condLike
	condNotLike
	condBetween
)

// cond is a condition the data nodes evaluate: a group of conds or a leaf.
type cond struct {
	kind    condKind
	group   filter.Group
	kids    []*cond
	cmp     filter.Cmp
	col     int
	col2    int
	v1, v2  filter.Value
	pattern string
	text    string // MySQL-style rendering, for EXPLAIN
}

// emit adds c to b.
func (c *cond) emit(b *filter.Builder) error {
	switch c.kind {
	case condGroup:
		if err := b.Begin(c.group); err != nil {
			return err
		}
		for _, k := range c.kids {
			if err := k.emit(b); err != nil {
				return err
			}
		}
		return b.End()
	case condCmp:
		return b.Cmp(c.col, c.cmp, c.v1)
	case condCmpCols:
		return b.CmpCols(c.col, c.cmp, c.col2)
	case condIsNull:
		return b.IsNull(c.col)
	case condIsNotNull:
		return b.IsNotNull(c.col)
	case condLike:
		return b.Like(c.col, c.pattern)
	case condNotLike:
		return b.NotLike(c.col, c.pattern)
	case condBetween:
		return b.Between(c.col, c.v1, c.v2)
	}
	return fmt.Errorf("sqlnode: pushed condition of kind %d", c.kind)
}

// pushScope resolves the column references of one table access.
type pushScope struct {
	def   *schema.Table
	name  string     // the table's name or alias in the statement
	cols  sql.ColSet // the access's column ids (empty: match by name)
	build *filter.Builder
}

// column returns the storage column e reads, if e is a column of this
// table access.
func (ps *pushScope) column(e sql.Expression) (int, bool) {
	gf, ok := e.(*expression.GetField)
	if !ok {
		return 0, false
	}
	if !ps.cols.Empty() && gf.Id() != 0 {
		if !ps.cols.Contains(gf.Id()) {
			return 0, false
		}
	} else if !strings.EqualFold(gf.Table(), ps.name) {
		return 0, false
	}
	c := ps.def.Column(gf.Name())
	return c, c >= 0
}

// colText renders column c as `table`.`column`.
func (ps *pushScope) colText(c int) string {
	return quoteIdent(ps.name) + "." + quoteIdent(ps.def.Columns[c].Name)
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// pushable translates e into a cond the data nodes can evaluate exactly,
// and checks that it compiles into a program.
func (ps *pushScope) pushable(e sql.Expression) (*cond, bool) {
	c, ok := ps.translate(e)
	if !ok {
		return nil, false
	}
	ps.build.Reset()
	if c.emit(ps.build) != nil {
		return nil, false
	}
	if _, err := ps.build.Program(); err != nil {
		return nil, false
	}
	return c, true
}

func (ps *pushScope) translate(e sql.Expression) (*cond, bool) {
	switch e := e.(type) {
	case *expression.And:
		return ps.group(filter.And, " AND ", flatten(e, true))
	case *expression.Or:
		return ps.group(filter.Or, " OR ", flatten(e, false))
	case *expression.Not:
		return ps.not(e.Child)
	case *expression.IsNull:
		c, ok := ps.column(e.Child)
		if !ok {
			return nil, false
		}
		return &cond{kind: condIsNull, col: c, text: "(" + ps.colText(c) + " is null)"}, true
	case *expression.NullSafeEquals:
		return ps.nullSafeEq(e.Left(), e.Right())
	case *expression.Equals:
		return ps.compare(filter.Eq, e.Left(), e.Right())
	case *expression.GreaterThan:
		return ps.compare(filter.Gt, e.Left(), e.Right())
	case *expression.GreaterThanOrEqual:
		return ps.compare(filter.Ge, e.Left(), e.Right())
	case *expression.LessThan:
		return ps.compare(filter.Lt, e.Left(), e.Right())
	case *expression.LessThanOrEqual:
		return ps.compare(filter.Le, e.Left(), e.Right())
	case *expression.Like:
		return ps.like(e, false)
	case *expression.Between:
		return ps.between(e)
	case *expression.InTuple:
		return ps.in(e.Left(), e.Right(), false)
	case *expression.HashInTuple:
		return ps.in(e.Left(), e.Right(), false)
	}
	return nil, false
}

// flatten lists the operands of nested ANDs (and) or ORs.
func flatten(e sql.Expression, and bool) []sql.Expression {
	var out []sql.Expression
	var walk func(sql.Expression)
	walk = func(x sql.Expression) {
		switch y := x.(type) {
		case *expression.And:
			if and {
				walk(y.LeftChild)
				walk(y.RightChild)
				return
			}
		case *expression.Or:
			if !and {
				walk(y.LeftChild)
				walk(y.RightChild)
				return
			}
		}
		out = append(out, x)
	}
	walk(e)
	return out
}

func (ps *pushScope) group(g filter.Group, sep string, members []sql.Expression) (*cond, bool) {
	out := &cond{kind: condGroup, group: g}
	texts := make([]string, 0, len(members))
	for _, m := range members {
		k, ok := ps.translate(m)
		if !ok {
			return nil, false
		}
		out.kids = append(out.kids, k)
		texts = append(texts, k.text)
	}
	out.text = "(" + strings.Join(texts, sep) + ")"
	return out, true
}

// not translates NOT e. Kleene's NOT is exact: NOT UNKNOWN is UNKNOWN, as
// the program's Nand of one member.
func (ps *pushScope) not(e sql.Expression) (*cond, bool) {
	switch x := e.(type) {
	case *expression.IsNull:
		c, ok := ps.column(x.Child)
		if !ok {
			return nil, false
		}
		return &cond{kind: condIsNotNull, col: c, text: "(" + ps.colText(c) + " is not null)"}, true
	case *expression.Like:
		return ps.like(x, true)
	case *expression.InTuple:
		return ps.in(x.Left(), x.Right(), true)
	case *expression.HashInTuple:
		return ps.in(x.Left(), x.Right(), true)
	case *expression.Equals:
		return ps.compare(filter.Ne, x.Left(), x.Right())
	}
	k, ok := ps.translate(e)
	if !ok {
		return nil, false
	}
	return &cond{kind: condGroup, group: filter.Nand, kids: []*cond{k}, text: "(not" + k.text + ")"}, true
}

var cmpText = map[filter.Cmp]string{filter.Eq: "=", filter.Ne: "<>", filter.Lt: "<", filter.Le: "<=", filter.Gt: ">", filter.Ge: ">="}

// flip is the comparison with its operands swapped (1 < c is c > 1).
func flip(op filter.Cmp) filter.Cmp {
	switch op {
	case filter.Lt:
		return filter.Gt
	case filter.Le:
		return filter.Ge
	case filter.Gt:
		return filter.Lt
	case filter.Ge:
		return filter.Le
	}
	return op
}

func (ps *pushScope) compare(op filter.Cmp, l, r sql.Expression) (*cond, bool) {
	if c, ok := ps.column(l); ok {
		if c2, ok := ps.column(r); ok {
			if !comparableCols(&ps.def.Columns[c], &ps.def.Columns[c2]) {
				return nil, false
			}
			return &cond{kind: condCmpCols, cmp: op, col: c, col2: c2,
				text: "(" + ps.colText(c) + " " + cmpText[op] + " " + ps.colText(c2) + ")"}, true
		}
		return ps.compareConst(op, c, r)
	}
	if c, ok := ps.column(r); ok {
		return ps.compareConst(flip(op), c, l)
	}
	return nil, false
}

// comparableCols reports whether MySQL compares columns a and b the way
// the program does: both integers, both floating point, both character
// strings of one character set, both binary strings, DECIMALs of one
// precision and scale, or one temporal type.
func comparableCols(a, b *schema.Column) bool {
	switch {
	case a.Type.IsInteger() && b.Type.IsInteger():
		return true
	case (a.Type == schema.TypeFloat || a.Type == schema.TypeDouble) && (b.Type == schema.TypeFloat || b.Type == schema.TypeDouble):
		return true
	case isCharType(a.Type) && isCharType(b.Type):
		return a.Charset == b.Charset
	case isBinaryType(a.Type) && isBinaryType(b.Type):
		return true
	case a.Type == schema.TypeDecimal && b.Type == schema.TypeDecimal:
		return a.Precision == b.Precision && a.Scale == b.Scale
	}
	switch a.Type {
	case schema.TypeDate, schema.TypeDatetime, schema.TypeTime:
		return a.Type == b.Type
	}
	return false
}

func isCharType(t schema.Type) bool {
	return t == schema.TypeChar || t == schema.TypeVarchar || t == schema.TypeText
}

func isBinaryType(t schema.Type) bool {
	return t == schema.TypeBinary || t == schema.TypeVarbinary || t == schema.TypeBlob
}

// literal is the value of a constant expression.
func literal(e sql.Expression) (any, bool) {
	lit, ok := e.(*expression.Literal)
	if !ok {
		return nil, false
	}
	return lit.Value(), true
}

// compareConst translates "column c op constant e".
func (ps *pushScope) compareConst(op filter.Cmp, c int, e sql.Expression) (*cond, bool) {
	v, ok := literal(e)
	if !ok || v == nil {
		return nil, false // col op NULL is never TRUE; the engine folds it
	}
	col := &ps.def.Columns[c]
	fv, op2, ok := constFor(col, op, v)
	if !ok {
		return nil, false
	}
	return &cond{kind: condCmp, cmp: op2, col: c, v1: fv,
		text: "(" + ps.colText(c) + " " + cmpText[op] + " " + literalText(v) + ")"}, true
}

// nullSafeEq translates col <=> constant: IS NULL for NULL, else
// (col IS NOT NULL AND col = v), which is FALSE rather than UNKNOWN for
// a NULL column, as <=> is.
func (ps *pushScope) nullSafeEq(l, r sql.Expression) (*cond, bool) {
	c, ok := ps.column(l)
	other := r
	if !ok {
		if c, ok = ps.column(r); !ok {
			return nil, false
		}
		other = l
	}
	v, ok := literal(other)
	if !ok {
		return nil, false
	}
	if v == nil {
		return &cond{kind: condIsNull, col: c, text: "(" + ps.colText(c) + " <=> NULL)"}, true
	}
	fv, op, ok := constFor(&ps.def.Columns[c], filter.Eq, v)
	if !ok {
		return nil, false
	}
	text := "(" + ps.colText(c) + " <=> " + literalText(v) + ")"
	return &cond{kind: condGroup, group: filter.And, text: text, kids: []*cond{
		{kind: condIsNotNull, col: c},
		{kind: condCmp, cmp: op, col: c, v1: fv},
	}}, true
}

func (ps *pushScope) like(e *expression.Like, negate bool) (*cond, bool) {
	c, ok := ps.column(e.LeftChild)
	if !ok {
		return nil, false
	}
	col := &ps.def.Columns[c]
	if !col.Type.IsString() {
		return nil, false
	}
	v, ok := literal(e.RightChild)
	if !ok {
		return nil, false
	}
	pat, ok := v.(string)
	if !ok {
		return nil, false
	}
	if e.Escape != nil {
		ev, ok := literal(e.Escape)
		if s, isStr := ev.(string); !ok || !isStr || s != `\` {
			return nil, false
		}
	}
	if col.Charset == schema.CharsetLatin1 && !isASCII(pat) {
		return nil, false
	}
	kind, word := condLike, " like "
	if negate {
		kind, word = condNotLike, " not like "
	}
	return &cond{kind: kind, col: c, pattern: pat, text: "(" + ps.colText(c) + word + literalText(pat) + ")"}, true
}

func (ps *pushScope) between(e *expression.Between) (*cond, bool) {
	c, ok := ps.column(e.Val)
	if !ok {
		return nil, false
	}
	lo, lok := literal(e.Lower)
	hi, hok := literal(e.Upper)
	if !lok || !hok || lo == nil || hi == nil {
		return nil, false
	}
	col := &ps.def.Columns[c]
	lv, lop, ok1 := constFor(col, filter.Ge, lo)
	hv, hop, ok2 := constFor(col, filter.Le, hi)
	if !ok1 || !ok2 || lop != filter.Ge || hop != filter.Le {
		return nil, false
	}
	return &cond{kind: condBetween, col: c, v1: lv, v2: hv,
		text: "(" + ps.colText(c) + " between " + literalText(lo) + " and " + literalText(hi) + ")"}, true
}

// in translates col [NOT] IN (constants) into an Or (Nor) of equalities.
// A NULL in the list is not pushed (it turns FALSE into UNKNOWN).
func (ps *pushScope) in(l, r sql.Expression, negate bool) (*cond, bool) {
	c, ok := ps.column(l)
	if !ok {
		return nil, false
	}
	tup, ok := r.(expression.Tuple)
	if !ok || len(tup) == 0 {
		return nil, false
	}
	col := &ps.def.Columns[c]
	g, word := filter.Or, " in ("
	if negate {
		g, word = filter.Nor, " not in ("
	}
	out := &cond{kind: condGroup, group: g}
	texts := make([]string, 0, len(tup))
	for _, x := range tup {
		v, ok := literal(x)
		if !ok || v == nil {
			return nil, false
		}
		fv, op, ok := constFor(col, filter.Eq, v)
		if !ok || op != filter.Eq {
			return nil, false
		}
		out.kids = append(out.kids, &cond{kind: condCmp, cmp: filter.Eq, col: c, v1: fv})
		texts = append(texts, literalText(v))
	}
	out.text = "(" + ps.colText(c) + word + strings.Join(texts, ",") + "))"
	return out, true
}

// constFor encodes constant v for a comparison "col op v", exactly as
// MySQL compares: it may change the operator (an INT column compared with
// 2.5: col > 2.5 is col >= 3). ok is false when the comparison cannot be
// pushed exactly.
func constFor(col *schema.Column, op filter.Cmp, v any) (filter.Value, filter.Cmp, bool) {
	switch {
	case col.Type.IsInteger():
		return intConst(col, op, v)
	case col.Type == schema.TypeBit:
		switch x := v.(type) {
		case uint8, uint16, uint32, uint64, uint:
			return filter.Uint(toUint64(x)), op, true
		case int8, int16, int32, int64, int:
			if i := toInt64(x); i >= 0 {
				return filter.Uint(uint64(i)), op, true
			}
		}
		return filter.Value{}, op, false
	}
	switch col.Type {
	case schema.TypeFloat, schema.TypeDouble:
		f, ok := number(v)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return filter.Value{}, op, false
		}
		if col.Type == schema.TypeFloat && float64(float32(f)) != f {
			return filter.Value{}, op, false // MySQL compares FLOAT widened to DOUBLE
		}
		return filter.Float(f), op, true
	case schema.TypeDecimal:
		switch x := v.(type) {
		case int8, int16, int32, int64, int:
			return filter.Int(toInt64(x)), op, true
		case uint8, uint16, uint32, uint64, uint:
			u := toUint64(x)
			if u > math.MaxInt64 {
				return filter.Value{}, op, false
			}
			return filter.Int(int64(u)), op, true
		case decimal.Decimal:
			if int(-x.Exponent()) > col.Scale && !x.Equal(x.Truncate(int32(col.Scale))) {
				return filter.Value{}, op, false // would round
			}
			return filter.Decimal(x.String()), op, true
		}
		return filter.Value{}, op, false
	case schema.TypeChar, schema.TypeVarchar, schema.TypeText:
		// Bytes that are not UTF-8 still order (the engine bounds LIKE
		// prefixes with 0xFF); latin1 columns take ASCII only, as the
		// engine's strings are UTF-8.
		s, ok := v.(string)
		if !ok || (col.Charset == schema.CharsetLatin1 && !isASCII(s)) {
			return filter.Value{}, op, false
		}
		return filter.String(s), op, true
	case schema.TypeBinary, schema.TypeVarbinary, schema.TypeBlob:
		switch x := v.(type) {
		case string:
			return filter.String(x), op, true
		case []byte:
			return filter.Bytes(x), op, true
		}
		return filter.Value{}, op, false
	case schema.TypeDate:
		t, ok := temporalConst(v, true)
		if !ok {
			return filter.Value{}, op, false
		}
		return filter.Date(t.Year(), int(t.Month()), t.Day()), op, true
	case schema.TypeDatetime:
		t, ok := temporalConst(v, false)
		if !ok {
			return filter.Value{}, op, false
		}
		p, err := schema.DatetimeFromTime(t)
		if err != nil {
			return filter.Value{}, op, false
		}
		return filter.Datetime(p), op, true
	}
	return filter.Value{}, op, false
}

// intConst encodes v for an integer column. Integral numbers compare as
// integers; a fractional bound is rounded toward the values it admits;
// equality with a fractional number, and strings (MySQL converts them as
// numbers, with warnings), are not pushed.
func intConst(col *schema.Column, op filter.Cmp, v any) (filter.Value, filter.Cmp, bool) {
	switch x := v.(type) {
	case int8, int16, int32, int64, int:
		return filter.Int(toInt64(x)), op, true
	case uint8, uint16, uint32, uint64, uint:
		return filter.Uint(toUint64(x)), op, true
	}
	var f float64
	exact := false
	switch x := v.(type) {
	case decimal.Decimal:
		if x.Equal(x.Truncate(0)) {
			if x.IsInteger() && x.GreaterThanOrEqual(decimal.NewFromInt(math.MinInt64)) && x.LessThanOrEqual(decimal.NewFromInt(math.MaxInt64)) {
				return filter.Int(x.IntPart()), op, true
			}
			return filter.Value{}, op, false
		}
		f, exact = x.InexactFloat64(), false
	case float64:
		f, exact = x, x == math.Trunc(x)
	case float32:
		f = float64(x)
		exact = f == math.Trunc(f)
	default:
		return filter.Value{}, op, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < math.MinInt64 || f >= math.MaxInt64 {
		return filter.Value{}, op, false
	}
	if exact {
		return filter.Int(int64(f)), op, true
	}
	switch op {
	case filter.Gt, filter.Ge:
		return filter.Int(int64(math.Ceil(f))), filter.Ge, true
	case filter.Lt, filter.Le:
		return filter.Int(int64(math.Floor(f))), filter.Le, true
	}
	return filter.Value{}, op, false
}

// temporalConst reads a DATE (dateOnly) or DATETIME constant: a time
// value, or a string in the canonical form 'YYYY-MM-DD[ hh:mm:ss]'.
// Other forms MySQL accepts are left to the engine.
func temporalConst(v any, dateOnly bool) (time.Time, bool) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		var err error
		if t, err = time.Parse(time.DateOnly, x); err != nil {
			if t, err = time.Parse(time.DateTime, x); err != nil {
				return time.Time{}, false
			}
		}
	default:
		return time.Time{}, false
	}
	if t.Nanosecond() != 0 || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	if dateOnly && (t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0) {
		return time.Time{}, false // MySQL compares a DATE with a datetime as datetimes
	}
	return t, true
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int8, int16, int32, int64, int:
		return float64(toInt64(x)), true
	case uint8, uint16, uint32, uint64, uint:
		return float64(toUint64(x)), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case decimal.Decimal:
		return x.InexactFloat64(), true
	}
	return 0, false
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return 0
}

func toUint64(v any) uint64 {
	switch x := v.(type) {
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	case uint64:
		return x
	case uint:
		return uint64(x)
	}
	return 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// literalText renders a constant as MySQL prints it.
func literalText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(x) + "'"
	case []byte:
		return "0x" + strings.ToUpper(fmt.Sprintf("%x", x))
	case decimal.Decimal:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		return "'" + x.Format(time.DateTime) + "'"
	}
	return fmt.Sprint(v)
}

// pushedCond is what a table access carries: the program the data nodes
// run, the compiled filter that key reads apply in the SQL node, and the
// engine expressions and text it came from (EXPLAIN).
type pushedCond struct {
	prog  []byte
	match *filter.Filter
	exprs []sql.Expression
	conds []*cond
	text  string
}

// newPushedCond builds the program of the conjunction of conds.
func newPushedCond(l *schema.Layout, b *filter.Builder, conds []*cond, exprs []sql.Expression) (*pushedCond, error) {
	b.Reset()
	root := conds[0]
	if len(conds) > 1 {
		root = &cond{kind: condGroup, group: filter.And, kids: conds}
	}
	if err := root.emit(b); err != nil {
		return nil, err
	}
	prog, err := b.AppendProgram(nil)
	if err != nil {
		return nil, err
	}
	f, err := filter.Compile(l, prog)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(conds))
	for i, c := range conds {
		texts[i] = c.text
	}
	text := texts[0]
	if len(texts) > 1 {
		text = "(" + strings.Join(texts, " and ") + ")"
	}
	return &pushedCond{prog: prog, match: f, exprs: exprs, conds: conds, text: text}, nil
}
