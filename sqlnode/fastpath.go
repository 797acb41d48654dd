package sqlnode

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// The fast path (docs/sqlnode.md) runs the hottest statement shapes in
// front of the engine, which spends most of a point select's CPU in
// parsing, analysis and allocation:
//
//   - SELECT columns FROM t WHERE <every column of the primary key or of a
//     unique index> = constants: one key read;
//   - SELECT columns FROM t WHERE key IN (constants): one batch of key reads;
//   - INSERT INTO t [(columns)] VALUES (constants): one insert;
//   - UPDATE t SET column = constant, ... WHERE <primary key> = constants,
//     and DELETE FROM t WHERE <primary key> = constants: one update or
//     delete, without reading the row first.
//
// A statement's text is normalized (its constants replaced by '?', as a
// prepared statement's text already is) and the plan of the normalized
// text is cached: parsed once, checked for one of the shapes (or
// remembered as "not a fast shape"), its table and columns resolved once
// per dictionary change. Executing it binds the constants and runs the
// NDB operations directly; everything else, and every case the fast path
// is not sure to handle as the engine would (a constant of another type
// than its column, a write in an open transaction, a read of a table the
// transaction wrote, a locking read), goes to the engine unchanged.
//
// Writes run only in autocommit mode, each in one NDB transaction with
// one round trip. UPDATE and DELETE do not read the row first: a missing
// row is 0 affected rows, and an UPDATE counts the row it found as
// affected even when the values did not change (NDB's read-before-write
// removal does the same).

// maxFastPlans bounds the plan cache; when full it starts again.
const maxFastPlans = 4096

type planKind uint8

const (
	fpNone planKind = iota // not a fast shape: the engine runs it
	fpSelect
	fpInsert
	fpUpdate
	fpDelete
)

// fastPlan is a normalized statement's plan.
type fastPlan struct {
	kind       planKind
	nparams    int
	db, table  string // db "": the session's database
	alias      string
	star       bool
	selCols    []string // SELECT: columns, as written
	selNames   []string // result column names
	whereCols  []string // key columns, each compared with whereParam
	whereParam []int
	inParams   []int    // key IN (...): whereCols has the one column
	insCols    []string // INSERT: columns (nil: all, in order)
	insParam   []int    // per insCols: parameter, or -1 for NULL
	setCols    []string // UPDATE: columns set
	setParam   []int    // per setCols: parameter, or -1 for NULL

	res atomic.Pointer[fastRes]
}

// fastRes is a plan resolved against a database's table.
type fastRes struct {
	db  string
	gen uint64 // Cluster.DictionaryChanges when resolved
	t   *Table // SELECT: projected to the selected columns
	x   *Index // key index (SELECT, UPDATE, DELETE)

	keyParam []int // per x.cols: the parameter
	fields   []*querypb.Field

	ins      []insSource // INSERT: per table column
	setCols  []int       // UPDATE: column numbers
	setParam []int
}

// insSource is where an INSERT takes a column's value from.
type insSource struct {
	param  int  // parameter, or -1
	null   bool // NULL
	auto   bool // the AUTO_INCREMENT column when given NULL, 0 or nothing
	hasDef bool // the column's default
	def    any
}

// param is a statement constant or a bound parameter.
type param struct {
	kind paramKind
	s    string
	i    int64
	u    uint64
	f    float64
}

type paramKind uint8

const (
	pkNull paramKind = iota + 1
	pkInt
	pkUint
	pkDecimal // s is the number's text
	pkFloat
	pkString
)

// fastPath is the server's fast path: the plan cache and the sessions by
// connection. Safe for concurrent use.
type fastPath struct {
	p     *Provider
	off   bool       // Config.NoFastPath
	users *userStore // the grant tables (users.go); nil: no checks

	smu      sync.RWMutex
	sessions map[uint32]*Session // by connection id

	mu    sync.RWMutex
	plans map[string]*fastPlan
}

func newFastPath(p *Provider) *fastPath {
	return &fastPath{p: p, plans: make(map[string]*fastPlan), sessions: make(map[uint32]*Session)}
}

// addSession, sessionOf and dropSession keep the sessions by connection
// id (a plain map: a sync.Map would box the id on every statement).
func (fp *fastPath) addSession(id uint32, s *Session) {
	fp.smu.Lock()
	fp.sessions[id] = s
	fp.smu.Unlock()
}

func (fp *fastPath) sessionByID(id uint32) *Session {
	fp.smu.RLock()
	s := fp.sessions[id]
	fp.smu.RUnlock()
	return s
}

func (fp *fastPath) dropSession(id uint32) {
	fp.smu.Lock()
	delete(fp.sessions, id)
	fp.smu.Unlock()
}

// fastScratch is a session's reusable fast-path state: the statement's
// normalized text and constants, and the buffers of a key read's result.
type fastScratch struct {
	ctx    *sql.Context
	key    []byte
	params []param
	hint   []byte
	kr     *keyResult
}

// keyResult is the result of a key read, its values pointing into arena.
// The handler marks it lent while the protocol layer writes it: a result
// is normally written before the session's next statement, and the next
// statement reuses the buffers, but a server-side cursor keeps it until
// the client fetched it, while the connection runs other statements;
// those then take new buffers.
type keyResult struct {
	arena []byte
	vals  []sqltypes.Value
	rows  [][]sqltypes.Value
	res   sqltypes.Result
	lent  atomic.Bool
}

// buffers returns the session's key read buffers, reset (new ones while
// the last are lent).
func (sc *fastScratch) buffers() *keyResult {
	kr := sc.kr
	if kr == nil || kr.lent.Load() {
		kr = &keyResult{}
		sc.kr = kr
	}
	kr.arena, kr.vals, kr.rows = kr.arena[:0], kr.vals[:0], kr.rows[:0]
	return kr
}

// query runs a text statement on the fast path; handled is false when the
// engine must run it.
// A result with lent set is the session's buffers (keyResult): the
// caller sets lent while it writes the result.
func (fp *fastPath) query(c *mysql.Conn, query string) (res *sqltypes.Result, lent *atomic.Bool, handled bool, err error) {
	s := fp.session(c)
	if s == nil {
		return nil, nil, false, nil
	}
	sc := &s.fast
	var ok bool
	sc.key, sc.params, ok = normalize(sc.key[:0], sc.params[:0], query)
	if !ok {
		return nil, nil, false, nil
	}
	pl := fp.plan(sc.key)
	if pl.kind == fpNone || pl.nparams != len(sc.params) {
		return nil, nil, false, nil
	}
	return fp.exec(s, pl, sc.params)
}

// execute runs a prepared statement's execution on the fast path.
// Its plan is cached per prepared statement (the text is normalized once
// per statement id, not per execution).
func (fp *fastPath) execute(c *mysql.Conn, prep *mysql.PrepareData) (res *sqltypes.Result, lent *atomic.Bool, handled bool, err error) {
	s := fp.session(c)
	if s == nil {
		return nil, nil, false, nil
	}
	sc := &s.fast
	pl, params := fp.prepared(c, s, prep)
	if pl == nil {
		return nil, nil, false, nil
	}
	sc.params = append(sc.params[:0], params...)
	bind := 0
	for i := range sc.params {
		if sc.params[i].kind != 0 {
			continue // a constant of the text
		}
		if bind >= len(bindNames) {
			return nil, nil, false, nil
		}
		bv := prep.BindVars[bindNames[bind]]
		bind++
		if bv == nil || !bindParam(&sc.params[i], bv) {
			return nil, nil, false, nil
		}
	}
	return fp.exec(s, pl, sc.params)
}

// preparedPlan is a prepared statement's fast plan and the constants of
// its text ('?' placeholders have kind 0).
type preparedPlan struct {
	text   string
	pl     *fastPlan // nil: not a fast statement
	params []param
}

// prepared returns the plan of a prepared statement, normalizing its
// text the first time the session executes it.
func (fp *fastPath) prepared(c *mysql.Conn, s *Session, prep *mysql.PrepareData) (*fastPlan, []param) {
	sc := &s.fast
	if s.prepared == nil {
		s.prepared = make(map[uint32]*preparedPlan)
	}
	pp := s.prepared[prep.StatementID]
	if pp == nil || pp.text != prep.PrepareStmt {
		pp = &preparedPlan{text: prep.PrepareStmt}
		var ok bool
		sc.key, sc.params, ok = normalize(sc.key[:0], sc.params[:0], prep.PrepareStmt)
		if ok {
			if pl := fp.plan(sc.key); pl.kind != fpNone && pl.nparams == len(sc.params) {
				pp.pl, pp.params = pl, slices.Clone(sc.params)
			}
		}
		s.prepared[prep.StatementID] = pp
		if len(s.prepared) > 2*len(c.PrepareData)+16 {
			// Forget the statements the client closed (the protocol
			// layer has no hook for COM_STMT_CLOSE).
			for id := range s.prepared {
				if _, open := c.PrepareData[id]; !open {
					delete(s.prepared, id)
				}
			}
		}
	}
	return pp.pl, pp.params
}

// bindNames are the names vitess gives prepared statement parameters.
var bindNames = func() []string {
	out := make([]string, 256)
	for i := range out {
		out[i] = "v" + strconv.Itoa(i+1)
	}
	return out
}()

func (fp *fastPath) session(c *mysql.Conn) *Session {
	if fp.off {
		return nil
	}
	return fp.sessionByID(c.ConnectionID)
}

// plan returns the cached plan of a normalized statement, making it the
// first time.
func (fp *fastPath) plan(key []byte) *fastPlan {
	fp.mu.RLock()
	pl := fp.plans[string(key)]
	fp.mu.RUnlock()
	if pl != nil {
		return pl
	}
	pl = makePlan(string(key))
	fp.mu.Lock()
	if len(fp.plans) >= maxFastPlans {
		fp.plans = make(map[string]*fastPlan)
	}
	fp.plans[string(key)] = pl
	fp.mu.Unlock()
	return pl
}

// ---- normalization ----

// normalize appends query to key with its constants replaced by '?' and
// appends the constants to params ('?' placeholders get a param of kind
// 0, bound later). ok is false for text the fast path does not take:
// comments, several statements, double-quoted strings, hexadecimal and
// bit constants.
func normalize(key []byte, params []param, q string) ([]byte, []param, bool) {
	for i := 0; i < len(q); {
		ch := q[i]
		switch {
		case ch == '\'':
			j, s, ok := scanString(q, i)
			if !ok {
				return key, params, false
			}
			params = append(params, param{kind: pkString, s: s})
			key = append(key, '?')
			i = j
		case ch == '`':
			j := strings.IndexByte(q[i+1:], '`')
			if j < 0 {
				return key, params, false
			}
			key = append(key, q[i:i+j+2]...)
			i += j + 2
		case ch == '"', ch == '#':
			return key, params, false
		case ch == '/' && i+1 < len(q) && q[i+1] == '*', ch == '-' && i+1 < len(q) && q[i+1] == '-':
			return key, params, false
		case ch == ';':
			if strings.TrimSpace(q[i+1:]) != "" {
				return key, params, false
			}
			i = len(q)
		case ch == '?':
			params = append(params, param{})
			key = append(key, '?')
			i++
		case isDigit(ch) || ch == '.' && i+1 < len(q) && isDigit(q[i+1]):
			if i > 0 && isIdentChar(q[i-1]) {
				key = append(key, ch) // part of an identifier (t1)
				i++
				continue
			}
			j, p, ok := scanNumber(q, i)
			if !ok {
				return key, params, false
			}
			params = append(params, p)
			key = append(key, '?')
			i = j
		default:
			key = append(key, ch)
			i++
		}
	}
	return key, params, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '$' || c >= 0x80
}

// scanString reads the single-quoted string at q[i]: its end and value.
func scanString(q string, i int) (int, string, bool) {
	j := i + 1
	plain := true
	for ; j < len(q); j++ {
		switch q[j] {
		case '\\':
			plain = false
			j++
			continue
		case '\'':
			if j+1 < len(q) && q[j+1] == '\'' {
				plain = false
				j++
				continue
			}
		default:
			continue
		}
		break
	}
	if j >= len(q) {
		return 0, "", false
	}
	if plain {
		return j + 1, q[i+1 : j], true
	}
	var b strings.Builder
	for k := i + 1; k < j; k++ {
		c := q[k]
		switch {
		case c == '\\' && k+1 < j:
			k++
			switch q[k] {
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'Z':
				b.WriteByte(26)
			case '%', '_':
				b.WriteByte('\\')
				b.WriteByte(q[k])
			default:
				b.WriteByte(q[k])
			}
		case c == '\'' && k+1 < j && q[k+1] == '\'':
			b.WriteByte('\'')
			k++
		default:
			b.WriteByte(c)
		}
	}
	return j + 1, b.String(), true
}

// scanNumber reads the unsigned number at q[i].
func scanNumber(q string, i int) (int, param, bool) {
	j := i
	if q[j] == '0' && j+1 < len(q) && (q[j+1] == 'x' || q[j+1] == 'X' || q[j+1] == 'b' || q[j+1] == 'B') {
		return 0, param{}, false
	}
	for j < len(q) && isDigit(q[j]) {
		j++
	}
	frac, exp := false, false
	if j < len(q) && q[j] == '.' {
		frac = true
		j++
		for j < len(q) && isDigit(q[j]) {
			j++
		}
	}
	if j < len(q) && (q[j] == 'e' || q[j] == 'E') {
		exp = true
		j++
		if j < len(q) && (q[j] == '+' || q[j] == '-') {
			j++
		}
		if j >= len(q) || !isDigit(q[j]) {
			return 0, param{}, false
		}
		for j < len(q) && isDigit(q[j]) {
			j++
		}
	}
	if j < len(q) && isIdentChar(q[j]) {
		return 0, param{}, false // 1abc: an identifier
	}
	text := q[i:j]
	switch {
	case exp:
		f, err := strconv.ParseFloat(text, 64)
		return j, param{kind: pkFloat, f: f}, err == nil
	case frac:
		return j, param{kind: pkDecimal, s: text}, true
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return j, param{kind: pkInt, i: v}, true
	}
	if v, err := strconv.ParseUint(text, 10, 64); err == nil {
		return j, param{kind: pkUint, u: v}, true
	}
	return j, param{kind: pkDecimal, s: text}, true
}

// bindParam reads a prepared statement's bound value.
func bindParam(p *param, bv *querypb.BindVariable) bool {
	t := bv.Type
	switch {
	case t == sqltypes.Null:
		*p = param{kind: pkNull}
	case sqltypes.IsSigned(t):
		v, err := strconv.ParseInt(string(bv.Value), 10, 64)
		if err != nil {
			return false
		}
		*p = param{kind: pkInt, i: v}
	case sqltypes.IsUnsigned(t):
		v, err := strconv.ParseUint(string(bv.Value), 10, 64)
		if err != nil {
			return false
		}
		*p = param{kind: pkUint, u: v}
	case sqltypes.IsFloat(t):
		v, err := strconv.ParseFloat(string(bv.Value), 64)
		if err != nil {
			return false
		}
		*p = param{kind: pkFloat, f: v}
	case t == sqltypes.Decimal:
		*p = param{kind: pkDecimal, s: string(bv.Value)}
	case t == sqltypes.VarChar, t == sqltypes.VarBinary, t == sqltypes.Char, t == sqltypes.Binary, t == sqltypes.Text, t == sqltypes.Blob:
		*p = param{kind: pkString, s: string(bv.Value)}
	default:
		return false
	}
	return true
}

// ---- plans ----

// makePlan parses a normalized statement and checks its shape.
func makePlan(text string) *fastPlan {
	none := &fastPlan{}
	st, err := ast.Parse(text)
	if err != nil {
		return none
	}
	nparams := strings.Count(text, "?")
	var pl *fastPlan
	switch st := st.(type) {
	case *ast.Select:
		pl = selectPlan(st)
	case *ast.Insert:
		pl = insertPlan(st)
	case *ast.Update:
		pl = updatePlan(st)
	case *ast.Delete:
		pl = deletePlan(st)
	}
	if pl == nil {
		return none
	}
	pl.nparams = nparams
	return pl
}

// argIndex reads a '?' placeholder: its parameter number.
func argIndex(e ast.Expr) (int, bool) {
	v, ok := e.(*ast.SQLVal)
	if !ok || v.Type != ast.ValArg || len(v.Val) < 3 || v.Val[0] != ':' || v.Val[1] != 'v' {
		return 0, false
	}
	n, err := strconv.Atoi(string(v.Val[2:]))
	if err != nil || n < 1 {
		return 0, false
	}
	return n - 1, true
}

// valueIndex reads a VALUES or SET value: a placeholder, or NULL (-1).
func valueIndex(e ast.Expr) (int, bool) {
	if _, ok := e.(*ast.NullVal); ok {
		return -1, true
	}
	return argIndex(e)
}

// singleTable reads a FROM, UPDATE or DELETE table list of one plain
// table.
func singleTable(te ast.TableExprs, pl *fastPlan) bool {
	if len(te) != 1 {
		return false
	}
	at, ok := te[0].(*ast.AliasedTableExpr)
	if !ok || at.Hints != nil || at.AsOf != nil || len(at.Partitions) > 0 || at.Lateral {
		return false
	}
	tn, ok := at.Expr.(ast.TableName)
	if !ok || !tn.SchemaQualifier.IsEmpty() {
		return false
	}
	pl.db, pl.table, pl.alias = tn.DbQualifier.String(), tn.Name.String(), at.As.String()
	return true
}

// column reads a column reference of the plan's table.
func (pl *fastPlan) column(e ast.Expr) (string, bool) {
	c, ok := e.(*ast.ColName)
	if !ok || c.StoredProcVal != nil || !c.Qualifier.DbQualifier.IsEmpty() {
		return "", false
	}
	if q := c.Qualifier.Name.String(); q != "" {
		if pl.alias != "" && !strings.EqualFold(q, pl.alias) || pl.alias == "" && !strings.EqualFold(q, pl.table) {
			return "", false
		}
	}
	return c.Name.String(), true
}

// where reads a WHERE of equalities col = ? joined by AND, or col IN (?, ...).
func (pl *fastPlan) where(w *ast.Where, allowIn bool) bool {
	if w == nil || w.Type != ast.WhereStr {
		return false
	}
	var walk func(e ast.Expr) bool
	walk = func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.ParenExpr:
			return walk(e.Expr)
		case *ast.AndExpr:
			return walk(e.Left) && walk(e.Right)
		case *ast.ComparisonExpr:
			if e.Escape != nil {
				return false
			}
			switch e.Operator {
			case ast.EqualStr:
				col, ok := pl.column(e.Left)
				arg, aok := argIndex(e.Right)
				if !ok || !aok {
					if col, ok = pl.column(e.Right); !ok {
						return false
					}
					if arg, aok = argIndex(e.Left); !aok {
						return false
					}
				}
				pl.whereCols = append(pl.whereCols, col)
				pl.whereParam = append(pl.whereParam, arg)
				return true
			case ast.InStr:
				if !allowIn || pl.inParams != nil {
					return false
				}
				col, ok := pl.column(e.Left)
				tup, tok := e.Right.(ast.ValTuple)
				if !ok || !tok || len(tup) == 0 {
					return false
				}
				for _, x := range tup {
					arg, ok := argIndex(x)
					if !ok {
						return false
					}
					pl.inParams = append(pl.inParams, arg)
				}
				pl.whereCols = append(pl.whereCols, col)
				pl.whereParam = append(pl.whereParam, -1)
				return true
			}
		}
		return false
	}
	if !walk(w.Expr) {
		return false
	}
	// An IN list stands alone.
	return pl.inParams == nil || len(pl.whereCols) == 1
}

func selectPlan(st *ast.Select) *fastPlan {
	o := st.QueryOpts
	if st.Into != nil || st.With != nil || st.Limit != nil || st.Having != nil || len(st.GroupBy) > 0 ||
		len(st.Window) > 0 || len(st.OrderBy) > 0 || o.Distinct || len(o.DistinctOn) > 0 || o.SQLCalcFoundRows || o.StraightJoinHint {
		return nil
	}
	if st.Lock != nil && st.Lock.Type != "" {
		return nil
	}
	pl := &fastPlan{kind: fpSelect}
	if !singleTable(st.From, pl) {
		return nil
	}
	for _, se := range st.SelectExprs {
		switch se := se.(type) {
		case *ast.StarExpr:
			if len(st.SelectExprs) != 1 || !se.TableName.IsEmpty() && !strings.EqualFold(se.TableName.Name.String(), pl.aliasOrTable()) {
				return nil
			}
			pl.star = true
		case *ast.AliasedExpr:
			col, ok := pl.column(se.Expr)
			if !ok {
				return nil
			}
			name := se.Expr.(*ast.ColName).Name.String()
			if !se.As.IsEmpty() {
				name = se.As.String()
			}
			pl.selCols = append(pl.selCols, col)
			pl.selNames = append(pl.selNames, name)
		default:
			return nil
		}
	}
	if !pl.where(st.Where, true) {
		return nil
	}
	return pl
}

func (pl *fastPlan) aliasOrTable() string {
	if pl.alias != "" {
		return pl.alias
	}
	return pl.table
}

func insertPlan(st *ast.Insert) *fastPlan {
	if st.Action != "insert" || st.Ignore != "" || st.With != nil || len(st.OnDup) > 0 || len(st.Partitions) > 0 || len(st.Returning) > 0 {
		return nil
	}
	var vals ast.Values
	switch r := st.Rows.(type) {
	case ast.Values:
		vals = r
	case *ast.AliasedValues:
		if !r.As.IsEmpty() || len(r.Columns) > 0 {
			return nil
		}
		vals = r.Values
	default:
		return nil
	}
	if len(vals) != 1 {
		return nil
	}
	pl := &fastPlan{kind: fpInsert, db: st.Table.DbQualifier.String(), table: st.Table.Name.String()}
	if !st.Table.SchemaQualifier.IsEmpty() {
		return nil
	}
	for _, c := range st.Columns {
		pl.insCols = append(pl.insCols, c.String())
	}
	if len(st.Columns) > 0 && len(st.Columns) != len(vals[0]) {
		return nil
	}
	for _, v := range vals[0] {
		i, ok := valueIndex(v)
		if !ok {
			return nil
		}
		pl.insParam = append(pl.insParam, i)
	}
	return pl
}

func updatePlan(st *ast.Update) *fastPlan {
	if st.Ignore != "" || st.With != nil || len(st.OrderBy) > 0 || st.Limit != nil || len(st.Returning) > 0 {
		return nil
	}
	pl := &fastPlan{kind: fpUpdate}
	if !singleTable(st.TableExprs, pl) {
		return nil
	}
	for _, a := range st.Exprs {
		col, ok := pl.column(a.Name)
		if !ok {
			return nil
		}
		i, ok := valueIndex(a.Expr)
		if !ok {
			return nil
		}
		pl.setCols = append(pl.setCols, col)
		pl.setParam = append(pl.setParam, i)
	}
	if !pl.where(st.Where, false) {
		return nil
	}
	return pl
}

func deletePlan(st *ast.Delete) *fastPlan {
	if len(st.Targets) > 0 || st.With != nil || len(st.Partitions) > 0 || len(st.OrderBy) > 0 || st.Limit != nil || len(st.Returning) > 0 {
		return nil
	}
	pl := &fastPlan{kind: fpDelete}
	if !singleTable(st.TableExprs, pl) {
		return nil
	}
	if !pl.where(st.Where, false) {
		return nil
	}
	return pl
}

// ---- resolution ----

// resolve finds the plan's table in the session's database; nil when the
// statement is not a fast one there after all (the engine will say why).
func (fp *fastPath) resolve(ctx *sql.Context, s *Session, pl *fastPlan) *fastRes {
	db := pl.db
	if db == "" {
		db = s.GetCurrentDatabase()
		if db == "" {
			return nil
		}
	}
	gen := fp.p.c.DictionaryChanges()
	if r := pl.res.Load(); r != nil && r.gen == gen && r.db == db {
		return r
	}
	t, ok, err := fp.p.table(ctx, db, pl.table)
	if err != nil || !ok {
		return nil
	}
	r := &fastRes{db: db, gen: gen}
	if !r.build(ctx, t, pl) {
		return nil
	}
	pl.res.Store(r)
	return r
}

// fastColumn reports whether the fast path converts values of column c
// exactly as the engine does.
func fastColumn(c *schema.Column) bool {
	switch {
	case c.Type.IsInteger(), isCharType(c.Type), isBinaryType(c.Type):
		return true
	}
	switch c.Type {
	case schema.TypeDecimal, schema.TypeFloat, schema.TypeDouble:
		return true
	}
	return false
}

func (r *fastRes) build(ctx *sql.Context, t *Table, pl *fastPlan) bool {
	cols := func(names []string) ([]int, bool) {
		out := make([]int, len(names))
		for i, n := range names {
			if out[i] = t.def.Column(n); out[i] < 0 {
				return nil, false
			}
		}
		return out, true
	}
	switch pl.kind {
	case fpSelect, fpUpdate, fpDelete:
		where, ok := cols(pl.whereCols)
		if !ok {
			return false
		}
		if r.x, r.keyParam = keyIndex(t, where, pl.whereParam, pl.kind == fpSelect); r.x == nil {
			return false
		}
		for _, c := range r.x.cols {
			if !fastColumn(&t.def.Columns[c]) {
				return false
			}
		}
	}
	switch pl.kind {
	case fpSelect:
		names := pl.selNames
		sel := pl.selCols
		if pl.star {
			sel = make([]string, len(t.def.Columns))
			for i := range t.def.Columns {
				sel[i] = t.def.Columns[i].Name
			}
			names = sel
		}
		if _, ok := cols(sel); !ok {
			return false
		}
		pt, err := t.WithProjections(ctx, sel)
		if err != nil {
			return false
		}
		r.t = pt.(*Table)
		r.fields = fieldsOf(ctx, r.t.psch, names, pl.aliasOrTable(), t.name, t.db)
	case fpInsert:
		r.t = t
		r.ins = make([]insSource, len(t.def.Columns))
		for i := range r.ins {
			r.ins[i] = insSource{param: -1}
		}
		given := make([]bool, len(t.def.Columns))
		names := pl.insCols
		if names == nil {
			if len(pl.insParam) != len(t.def.Columns) {
				return false
			}
			names = make([]string, len(t.def.Columns))
			for i := range names {
				names[i] = t.def.Columns[i].Name
			}
		}
		for i, n := range names {
			c := t.def.Column(n)
			if c < 0 || given[c] || !fastColumn(&t.def.Columns[c]) {
				return false
			}
			given[c] = true
			r.ins[c] = insSource{param: pl.insParam[i], null: pl.insParam[i] < 0}
		}
		for c := range t.def.Columns {
			col := t.sch[c]
			src := &r.ins[c]
			switch {
			case t.auto != nil && t.auto.col == c:
				src.auto = true
			case given[c]:
			case col.Default != nil:
				v, err := col.Default.Eval(ctx, nil)
				if err != nil {
					return false
				}
				src.hasDef, src.def = true, v
			case t.def.Columns[c].Nullable:
				src.null = true
			default:
				return false // no value: the engine reports it
			}
		}
	case fpUpdate:
		r.t = t
		set, ok := cols(pl.setCols)
		if !ok || r.x.pos >= 0 {
			return false
		}
		for i, c := range set {
			if slices.Contains(t.def.PrimaryKey, c) || !fastColumn(&t.def.Columns[c]) || slices.Contains(set[:i], c) {
				return false
			}
		}
		r.setCols, r.setParam = set, pl.setParam
	case fpDelete:
		r.t = t
		if r.x.pos >= 0 {
			return false
		}
	}
	return true
}

// keyIndex finds the primary key (or, for reads, a unique index) whose
// columns are exactly the WHERE's: the parameter of each of its columns.
func keyIndex(t *Table, where []int, params []int, anyUnique bool) (*Index, []int) {
	for _, x := range t.idx {
		if !x.unique || x.pos >= 0 && !anyUnique || len(x.cols) != len(where) {
			continue
		}
		out := make([]int, len(x.cols))
		ok := true
		for i, c := range x.cols {
			j := slices.Index(where, c)
			if j < 0 || slices.Contains(where[j+1:], c) {
				ok = false
				break
			}
			out[i] = params[j]
		}
		if ok {
			return x, out
		}
	}
	return nil, nil
}

// fieldsOf is the result metadata of the selected columns, as the
// engine's handler makes it.
func fieldsOf(ctx *sql.Context, sch sql.Schema, names []string, table, orgTable, db string) []*querypb.Field {
	out := make([]*querypb.Field, len(sch))
	for i, c := range sch {
		charset := uint32(sql.Collation_Default.CharacterSet())
		if ct, ok := c.Type.(sql.TypeWithCollation); ok {
			charset = uint32(ct.Collation().CharacterSet())
		}
		if types.IsBinaryType(c.Type) {
			charset = uint32(sql.Collation_binary)
		}
		var flags querypb.MySqlFlag
		if !c.Nullable {
			flags |= querypb.MySqlFlag_NOT_NULL_FLAG
		}
		if c.AutoIncrement {
			flags |= querypb.MySqlFlag_AUTO_INCREMENT_FLAG
		}
		if c.PrimaryKey {
			flags |= querypb.MySqlFlag_PRI_KEY_FLAG
		}
		if types.IsUnsigned(c.Type) {
			flags |= querypb.MySqlFlag_UNSIGNED_FLAG
		}
		f := &querypb.Field{Name: names[i], OrgName: c.Name, Table: table, OrgTable: orgTable, Database: db,
			Type: c.Type.Type(), Charset: charset, ColumnLength: c.Type.MaxTextResponseByteLength(ctx), Flags: uint32(flags)}
		if dt, ok := c.Type.(sql.DecimalType); ok {
			f.Decimals = uint32(dt.Scale())
		}
		out[i] = f
	}
	return out
}

// ---- execution ----

// valueFor converts a parameter for column col; ok is false when the
// engine would convert it in a way the fast path does not (a string for
// a number, a number for a string, a fraction for an integer).
func (p *param) valueFor(col *schema.Column) (any, bool) {
	if p.kind == pkNull {
		return nil, true
	}
	switch {
	case col.Type.IsInteger():
		switch p.kind {
		case pkInt:
			return p.i, true
		case pkUint:
			return p.u, true
		}
		return nil, false
	case isCharType(col.Type), isBinaryType(col.Type):
		if p.kind == pkString {
			return p.s, true
		}
		return nil, false
	}
	switch col.Type {
	case schema.TypeDecimal:
		switch p.kind {
		case pkInt:
			return decimal.NewFromInt(p.i), true
		case pkUint:
			return decimal.RequireFromString(strconv.FormatUint(p.u, 10)), true
		case pkDecimal:
			d, err := decimal.NewFromString(p.s)
			if err != nil || int(-d.Exponent()) > col.Scale && !d.Equal(d.Truncate(int32(col.Scale))) {
				return nil, false // the engine rounds, with a note
			}
			return d, true
		}
	case schema.TypeFloat, schema.TypeDouble:
		switch p.kind {
		case pkInt:
			return float64(p.i), true
		case pkUint:
			return float64(p.u), true
		case pkFloat:
			return p.f, true
		case pkDecimal:
			f, err := strconv.ParseFloat(p.s, 64)
			return f, err == nil
		}
	}
	return nil, false
}

// exec runs a plan with its parameters.
func (fp *fastPath) exec(s *Session, pl *fastPlan, params []param) (*sqltypes.Result, *atomic.Bool, bool, error) {
	ctx := s.fastContext()
	r := fp.resolve(ctx, s, pl)
	if r == nil || !s.fastAllowed(ctx, fp.users, pl, r) {
		return nil, nil, false, nil
	}
	s.dropStaleTx(ctx)
	if pl.kind != fpSelect && !s.autocommit(ctx) {
		return nil, nil, false, nil
	}
	var res *sqltypes.Result
	var lent *atomic.Bool
	var handled bool
	var err error
	switch pl.kind {
	case fpSelect:
		if pl.inParams == nil {
			var kr *keyResult
			kr, handled, err = fp.execKeySelect(ctx, s, r, params)
			if kr != nil {
				res, lent = &kr.res, &kr.lent
			}
		} else {
			res, handled, err = fp.execSelect(ctx, s, pl, r, params)
		}
	case fpInsert:
		res, handled, err = fp.execInsert(ctx, s, r, params)
	case fpUpdate, fpDelete:
		res, handled, err = fp.execWrite(ctx, s, pl, r, params)
	}
	if !handled {
		return nil, nil, false, nil
	}
	fp.p.stats.FastPath.Add(1)
	s.ClearWarnings()
	return res, lent, true, err
}

// dropStaleTx rolls back an NDB transaction that a failed statement left
// open in autocommit mode: an UPDATE whose SET failed before it wrote
// keeps the locks of its locking scan, and a key read through a unique
// index would wait on them (1205). The engine rolls such a transaction
// back when its next statement starts (StartTransaction); the fast path
// runs without the engine. Within BEGIN..COMMIT the transaction is kept.
func (s *Session) dropStaleTx(ctx *sql.Context) {
	s.mu.Lock()
	open := s.tx != nil
	s.mu.Unlock()
	if !open || !s.autocommitMode(ctx) {
		return
	}
	s.mu.Lock()
	s.abortTx()
	s.mu.Unlock()
}

// autocommitMode reports whether the session runs each statement as a
// transaction of its own (autocommit on, no BEGIN).
func (s *Session) autocommitMode(ctx *sql.Context) bool {
	if s.GetIgnoreAutoCommit() {
		return false
	}
	v, err := s.GetSessionVariable(ctx, sql.AutoCommitSessionVar)
	if err != nil {
		return false
	}
	on, err := sql.ConvertToBool(ctx, v)
	return err == nil && on
}

// autocommit reports whether the session runs each statement as a
// transaction of its own, none open now.
func (s *Session) autocommit(ctx *sql.Context) bool {
	if !s.autocommitMode(ctx) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx == nil
}

// keyValues converts the key parameters for index x; ok is false when the
// engine must run the statement, match false when no row can match.
func keyValues(x *Index, keyParam []int, params []param) (vals []any, ok, match bool) {
	vals = make([]any, len(x.cols))
	for i, c := range x.cols {
		v, ok := params[keyParam[i]].valueFor(&x.t.def.Columns[c])
		if !ok {
			return nil, false, false
		}
		if v == nil {
			return nil, true, false // key = NULL matches nothing
		}
		vals[i] = v
	}
	return vals, true, true
}

func (fp *fastPath) execSelect(ctx *sql.Context, s *Session, pl *fastPlan, r *fastRes, params []param) (*sqltypes.Result, bool, error) {
	t := r.t
	s.mu.Lock()
	written := s.tx != nil && s.written[t.def.ID]
	s.mu.Unlock()
	if written {
		return nil, false, nil // must see the transaction's own writes
	}
	var keys [][]any
	if pl.inParams != nil {
		col := &t.def.Columns[r.x.cols[0]]
		typ := t.sch[r.x.cols[0]].Type
		for _, pi := range pl.inParams {
			v, ok := params[pi].valueFor(col)
			if !ok {
				return nil, false, nil
			}
			if v != nil {
				keys = append(keys, []any{v})
			}
		}
		// The engine's order: ascending, each key once.
		var cerr error
		slices.SortFunc(keys, func(a, b []any) int {
			c, err := typ.Compare(ctx, a[0], b[0])
			if err != nil {
				cerr = err
			}
			return c
		})
		if cerr != nil {
			return nil, false, nil
		}
		keys = slices.CompactFunc(keys, func(a, b []any) bool {
			c, err := typ.Compare(ctx, a[0], b[0])
			return err == nil && c == 0
		})
	} else {
		vals, ok, match := keyValues(r.x, r.keyParam, params)
		if !ok {
			return nil, false, nil
		}
		if match {
			keys = [][]any{vals}
		}
	}
	it := &rowIter{t: t, s: s, keyIx: r.x, keys: keys}
	s.mu.Lock()
	err := it.fetchKeys()
	s.mu.Unlock()
	if err != nil {
		return nil, true, err
	}
	res := &sqltypes.Result{Fields: r.fields, Rows: make([][]sqltypes.Value, len(it.rows))}
	for i, row := range it.rows {
		vals := make([]sqltypes.Value, len(row))
		for j, v := range row {
			if v == nil {
				vals[j] = sqltypes.NULL
				continue
			}
			sv, err := t.psch[j].Type.SQL(ctx, nil, v)
			if err != nil {
				return nil, true, err
			}
			vals[j] = sv
		}
		res.Rows[i] = vals
	}
	lq := s.GetLastQueryInfo()
	lq.FoundRows.Store(int64(len(res.Rows)))
	lq.RowCount.Store(-1)
	return res, true, nil
}

func (fp *fastPath) execInsert(ctx *sql.Context, s *Session, r *fastRes, params []param) (*sqltypes.Result, bool, error) {
	t := r.t
	vals := make([]any, len(t.def.Columns))
	autoGiven := false
	for c, src := range r.ins {
		switch {
		case src.param >= 0:
			v, ok := params[src.param].valueFor(&t.def.Columns[c])
			if !ok {
				return nil, false, nil
			}
			vals[c] = v
		case src.hasDef:
			vals[c] = src.def
		}
		if src.auto && vals[c] != nil {
			if v, ok := autoIncValue(vals[c]); ok {
				autoGiven = true
				vals[c] = v
			} else if isZero(vals[c]) {
				vals[c] = nil
			} else {
				return nil, false, nil // a negative value: the engine's business
			}
		}
	}
	var insertID uint64
	if a := t.auto; a != nil {
		if autoGiven {
			if _, err := t.GetNextAutoIncrementValue(ctx, vals[a.col]); err != nil {
				return nil, true, err
			}
			insertID = toUint64(vals[a.col])
		} else {
			s.mu.Lock()
			ndb, err := s.getNdb()
			var v uint64
			if err == nil {
				v, err = t.nextAutoInc(ctx, ndb, s, false)
			}
			s.mu.Unlock()
			if err != nil {
				return nil, true, err
			}
			vals[a.col], insertID = v, v
		}
	}
	rb := t.rowBuilder()
	defer t.putRowBuilder(rb)
	for c, v := range vals {
		if err := setValue(rb, c, v); err != nil {
			return nil, true, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ndb, err := s.getNdb()
	if err != nil {
		return nil, true, err
	}
	tx, err := ndb.StartTransaction(t.nt, rb.AppendKey(nil))
	if err != nil {
		return nil, true, mysqlError(err)
	}
	tx.Insert(t.nt, rb)
	t.p.stats.WriteOps.Add(1)
	err = tx.Execute(ndbapi.Commit)
	tx.Close()
	if err != nil {
		return nil, true, mysqlError(err)
	}
	lq := s.GetLastQueryInfo()
	lq.RowCount.Store(1)
	if t.auto != nil && !autoGiven {
		lq.LastInsertId.Store(int64(insertID))
	}
	return &sqltypes.Result{RowsAffected: 1, InsertID: insertID}, true, nil
}

func isZero(v any) bool {
	switch x := v.(type) {
	case int64:
		return x == 0
	case uint64:
		return x == 0
	}
	return false
}

func (fp *fastPath) execWrite(ctx *sql.Context, s *Session, pl *fastPlan, r *fastRes, params []param) (*sqltypes.Result, bool, error) {
	t := r.t
	vals, ok, match := keyValues(r.x, r.keyParam, params)
	if !ok {
		return nil, false, nil
	}
	rb := t.rowBuilder()
	defer t.putRowBuilder(rb)
	if match {
		for i, c := range r.x.cols {
			if setValue(rb, c, vals[i]) != nil {
				match = false // no row has this key
				break
			}
		}
	}
	for i, c := range r.setCols {
		var v any
		if pi := r.setParam[i]; pi >= 0 {
			var ok bool
			if v, ok = params[pi].valueFor(&t.def.Columns[c]); !ok {
				return nil, false, nil
			}
		}
		if err := setValue(rb, c, v); err != nil {
			return nil, true, err
		}
	}
	affected := uint64(0)
	if match {
		s.mu.Lock()
		ndb, err := s.getNdb()
		if err != nil {
			s.mu.Unlock()
			return nil, true, err
		}
		key := rb.AppendKey(nil)
		tx, err := ndb.StartTransaction(t.nt, key)
		if err != nil {
			s.mu.Unlock()
			return nil, true, mysqlError(err)
		}
		if pl.kind == fpUpdate {
			tx.Update(t.nt, rb, r.setCols...)
		} else {
			tx.DeleteKey(t.nt, key)
		}
		t.p.stats.WriteOps.Add(1)
		err = tx.Execute(ndbapi.Commit)
		tx.Close()
		s.mu.Unlock()
		switch {
		case err == nil:
			affected = 1
		case ndbapi.Code(err) == ndberr.ErrNoSuchRow.Code:
		default:
			return nil, true, mysqlError(err)
		}
	}
	lq := s.GetLastQueryInfo()
	lq.RowCount.Store(int64(affected))
	res := &sqltypes.Result{RowsAffected: affected}
	if pl.kind == fpUpdate {
		lq.FoundRows.Store(int64(affected))
		res.Info = "Rows matched: " + strconv.FormatUint(affected, 10) + "  Changed: " + strconv.FormatUint(affected, 10) + "  Warnings: 0"
	}
	return res, true, nil
}

// setKey sets key column c of rb from p as valueFor and setValue would,
// without boxing the value; ok is false when the engine must run the
// statement, match false when no row can have this key (a NULL, or a
// value the column cannot hold).
func (p *param) setKey(rb *schema.RowBuilder, c int, col *schema.Column) (ok, match bool) {
	if p.kind == pkNull {
		return true, false
	}
	switch {
	case col.Type.IsInteger() && p.kind == pkInt:
		return true, setInt(rb, c, p.i) == nil
	case col.Type.IsInteger() && p.kind == pkUint:
		return true, rb.SetUint64(c, p.u) == nil
	case isCharType(col.Type) && p.kind == pkString:
		return true, rb.SetString(c, p.s) == nil
	}
	v, ok := p.valueFor(col)
	if !ok {
		return false, false
	}
	return true, v != nil && setValue(rb, c, v) == nil
}

// execKeySelect runs a SELECT by every column of the primary key or of a
// unique index: one committed key read, its row converted straight to
// the protocol's values in the session's scratch.
func (fp *fastPath) execKeySelect(ctx *sql.Context, s *Session, r *fastRes, params []param) (*keyResult, bool, error) {
	t, x := r.t, r.x
	rb := t.rowBuilder()
	defer t.putRowBuilder(rb)
	match := true
	for i, c := range x.cols {
		ok, m := params[r.keyParam[i]].setKey(rb, c, &t.def.Columns[c])
		if !ok {
			return nil, false, nil
		}
		match = match && m
	}
	kr := s.fast.buffers()
	s.mu.Lock()
	if s.tx != nil && s.written[t.def.ID] {
		s.mu.Unlock()
		return nil, false, nil // must see the transaction's own writes
	}
	var err error
	if match {
		err = fp.readKey(ctx, s, t, x, rb, kr)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, true, err
	}
	if len(kr.vals) > 0 {
		kr.rows = append(kr.rows, kr.vals)
	}
	kr.res = sqltypes.Result{Fields: r.fields, Rows: kr.rows}
	lq := s.GetLastQueryInfo()
	lq.FoundRows.Store(int64(len(kr.rows)))
	lq.RowCount.Store(-1)
	return kr, true, nil
}

// readKey reads the row whose key rb holds through index x and appends
// its projected values to kr.vals (nothing when there is no such row).
// Called with s.mu held.
func (fp *fastPath) readKey(ctx *sql.Context, s *Session, t *Table, x *Index, rb *schema.RowBuilder, kr *keyResult) error {
	sc := &s.fast
	ndb, err := s.getNdb()
	if err != nil {
		return err
	}
	var hint []byte
	if x.pos < 0 {
		sc.hint = rb.AppendKey(sc.hint[:0])
		hint = sc.hint
	}
	tx, err := ndb.StartTransaction(t.nt, hint)
	if err != nil {
		return mysqlError(err)
	}
	defer tx.Close()
	var op *ndbapi.Operation
	if x.pos < 0 {
		op = tx.Read(t.nt, rb, ndbapi.CommittedRead)
	} else {
		op = tx.ReadUnique(t.nt, x.pos, rb, ndbapi.CommittedRead)
	}
	t.p.stats.KeyBatches.Add(1)
	t.p.stats.KeysRead.Add(1)
	if err := tx.Execute(ndbapi.Commit); err != nil {
		if ndbapi.Code(err) == ndberr.ErrNoSuchRow.Code {
			return nil
		}
		return mysqlError(err)
	}
	row, ok := op.Row()
	if !ok {
		return nil
	}
	t.p.stats.KeyRows.Add(1)
	rcs := s.GetCharacterSetResults()
	for j, c := range t.proj {
		v, err := kr.sqlValue(ctx, row, c, t.psch[j].Type, rcs)
		if err != nil {
			return err
		}
		kr.vals = append(kr.vals, v)
	}
	return nil
}

// sqlValue converts column c of a storage row to its protocol value as
// the engine's Type.SQL does: integers and utf8mb4 strings (to a utf8mb4
// client) straight into the arena, other types through the engine's
// conversion.
func (kr *keyResult) sqlValue(ctx *sql.Context, r schema.Row, c int, typ sql.Type, rcs sql.CharacterSetID) (sqltypes.Value, error) {
	if r.IsNull(c) {
		return sqltypes.NULL, nil
	}
	col := &r.L.Table.Columns[c]
	start := len(kr.arena)
	switch {
	case col.Type.IsInteger() && col.Type != schema.TypeBit:
		if col.Unsigned {
			kr.arena = strconv.AppendUint(kr.arena, r.Uint64(c), 10)
		} else {
			kr.arena = strconv.AppendInt(kr.arena, r.Int64(c), 10)
		}
		return sqltypes.MakeTrusted(typ.Type(), kr.arena[start:len(kr.arena):len(kr.arena)]), nil
	case isCharType(col.Type) && (col.Charset == 0 || col.Charset == schema.CharsetUTF8MB4) &&
		(rcs == sql.CharacterSet_utf8mb4 || (rcs == sql.CharacterSet_Unspecified || rcs == sql.CharacterSet_binary)):
		v := r.Raw(c)
		if col.Type == schema.TypeChar {
			for len(v) > 0 && v[len(v)-1] == ' ' {
				v = v[:len(v)-1]
			}
		}
		kr.arena = append(kr.arena, v...)
		return sqltypes.MakeTrusted(typ.Type(), kr.arena[start:len(kr.arena):len(kr.arena)]), nil
	}
	v, err := value(r, c)
	if err != nil {
		return sqltypes.Value{}, err
	}
	return typ.SQL(ctx, nil, v)
}
