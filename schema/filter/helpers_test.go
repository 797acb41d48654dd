package filter

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gondb/gondb/schema"
)

// Column numbers of the test table, which has a column of every type (two
// of some, for column-to-column comparisons), all nullable but the key.
const (
	cID   = iota // INT, key
	cKey         // VARCHAR(6) latin1, key: a var-size column in the fixed part
	cTi          // TINYINT
	cTiu         // TINYINT UNSIGNED
	cSi          // SMALLINT
	cMi          // MEDIUMINT
	cMu          // MEDIUMINT UNSIGNED
	cI           // INT
	cI2          // INT
	cBi          // BIGINT
	cBu          // BIGINT UNSIGNED
	cF           // FLOAT
	cD           // DOUBLE
	cDec         // DECIMAL(10,2)
	cDec2        // DECIMAL(10,2)
	cCh          // CHAR(4) utf8mb4
	cChL         // CHAR(4) latin1
	cVc          // VARCHAR(8) utf8mb4
	cVcL         // VARCHAR(8) latin1
	cBin         // BINARY(4)
	cVb          // VARBINARY(8)
	cDt          // DATE
	cTm          // TIME
	cDtm         // DATETIME
	cTs          // TIMESTAMP
	cBit         // BIT(10)
	cTxt         // TEXT (utf8mb4)
	cBlb         // BLOB
	nCols
)

func testTable() *schema.Table {
	n := func(name string, ty schema.Type) schema.Column {
		return schema.Column{Name: name, Type: ty, Nullable: true}
	}
	cols := make([]schema.Column, nCols)
	cols[cID] = schema.Column{Name: "id", Type: schema.TypeInt}
	cols[cKey] = schema.Column{Name: "k", Type: schema.TypeVarchar, Length: 6, Charset: schema.CharsetLatin1}
	cols[cTi] = n("ti", schema.TypeTinyInt)
	cols[cTiu] = n("tiu", schema.TypeTinyInt)
	cols[cTiu].Unsigned = true
	cols[cSi] = n("si", schema.TypeSmallInt)
	cols[cMi] = n("mi", schema.TypeMediumInt)
	cols[cMu] = n("mu", schema.TypeMediumInt)
	cols[cMu].Unsigned = true
	cols[cI] = n("i", schema.TypeInt)
	cols[cI2] = n("i2", schema.TypeInt)
	cols[cBi] = n("bi", schema.TypeBigInt)
	cols[cBu] = n("bu", schema.TypeBigInt)
	cols[cBu].Unsigned = true
	cols[cF] = n("f", schema.TypeFloat)
	cols[cD] = n("d", schema.TypeDouble)
	cols[cDec] = n("dec", schema.TypeDecimal)
	cols[cDec].Precision, cols[cDec].Scale = 10, 2
	cols[cDec2] = n("dec2", schema.TypeDecimal)
	cols[cDec2].Precision, cols[cDec2].Scale = 10, 2
	cols[cCh] = n("ch", schema.TypeChar)
	cols[cCh].Length = 4
	cols[cChL] = n("chl", schema.TypeChar)
	cols[cChL].Length, cols[cChL].Charset = 4, schema.CharsetLatin1
	cols[cVc] = n("vc", schema.TypeVarchar)
	cols[cVc].Length = 8
	cols[cVcL] = n("vcl", schema.TypeVarchar)
	cols[cVcL].Length, cols[cVcL].Charset = 8, schema.CharsetLatin1
	cols[cBin] = n("bin", schema.TypeBinary)
	cols[cBin].Length = 4
	cols[cVb] = n("vb", schema.TypeVarbinary)
	cols[cVb].Length = 8
	cols[cDt] = n("dt", schema.TypeDate)
	cols[cTm] = n("tm", schema.TypeTime)
	cols[cDtm] = n("dtm", schema.TypeDatetime)
	cols[cTs] = n("ts", schema.TypeTimestamp)
	cols[cBit] = n("bit", schema.TypeBit)
	cols[cBit].Length = 10
	cols[cTxt] = n("txt", schema.TypeText)
	cols[cBlb] = n("blb", schema.TypeBlob)
	return &schema.Table{ID: 7, Name: "t", Version: 1, Columns: cols, PrimaryKey: []int{cID, cKey}}
}

func testLayout(t testing.TB) *schema.Layout {
	t.Helper()
	l, err := schema.NewLayout(testTable())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Go values of the test rows. Integers are int64 (signed columns) or uint64
// (unsigned and BIT), floats float64, strings string (BINARY values padded
// as stored); the other types have their own types so that the reference
// evaluator knows them apart. nil is NULL.
type (
	decText string // DECIMAL in canonical text
	dateVal [3]int // year, month, day
	timeVal int64  // TIME microseconds
	tsVal   int64  // TIMESTAMP microseconds
)

// valueDomain lists the values random rows and constants draw from: few
// enough that equal values are common.
func valueDomain(l *schema.Layout, c int) []any {
	col := &l.Table.Columns[c]
	switch col.Type {
	case schema.TypeTinyInt, schema.TypeSmallInt, schema.TypeMediumInt, schema.TypeInt, schema.TypeBigInt:
		bits := uint(8 * l.Cols[c].Size)
		if col.Unsigned {
			top := uint64(math.MaxUint64)
			if bits < 64 {
				top = 1<<bits - 1
			}
			return []any{uint64(0), uint64(1), uint64(2), uint64(5), uint64(128), top}
		}
		return []any{int64(0), int64(1), int64(-1), int64(2), int64(-2), int64(5), int64(-1) << (bits - 1), int64(1)<<(bits-1) - 1}
	case schema.TypeFloat:
		return []any{0.0, 0.5, -1.5, 2.0, 1e10, -3.25}
	case schema.TypeDouble:
		return []any{0.0, 0.1, -2.5, 2.0, 1e300, -1e-300}
	case schema.TypeDecimal:
		return []any{decText("0.00"), decText("1.50"), decText("-1.50"), decText("2.00"), decText("99999999.99"), decText("-0.01")}
	case schema.TypeDate:
		return []any{dateVal{2024, 1, 1}, dateVal{2024, 2, 29}, dateVal{1999, 12, 31}, dateVal{0, 0, 0}, dateVal{9999, 12, 31}}
	case schema.TypeTime:
		return []any{timeVal(0), timeVal(1_000_000), timeVal(-3_600_000_000), timeVal(schema.TimeMaxMicros), timeVal(-1)}
	case schema.TypeDatetime:
		return []any{
			schema.DatetimeParts{},
			schema.DatetimeParts{Year: 2024, Month: 2, Day: 29, Hour: 23, Minute: 59, Second: 59, Micro: 999999},
			schema.DatetimeParts{Year: 2024, Month: 3, Day: 1},
			schema.DatetimeParts{Year: 1000, Month: 1, Day: 1, Micro: 1},
		}
	case schema.TypeTimestamp:
		return []any{tsVal(0), tsVal(1_000_000), tsVal(1_700_000_000_000_000), tsVal(1_700_000_000_000_001)}
	case schema.TypeBit:
		return []any{uint64(0), uint64(1), uint64(0x3FF), uint64(0x155), uint64(0x2AA)}
	}
	return nil // strings: see randString
}

// stringPieces are the bits random strings and patterns are made of.
func stringPieces(col *schema.Column) []string {
	switch {
	case likeUTF8(col):
		return []string{"a", "b", "é", "%", "_", "\\", " ", "A"}
	case charset(col) == schema.CharsetBinary:
		return []string{"a", "b", "\x00", "\xff", "%", "_", " "}
	}
	return []string{"a", "b", "\xe9", "%", "_", "\\", " ", "A"}
}

// randString returns a string column c can hold (as stored, for BINARY), or
// with long set, one up to twice as long (a constant may be longer).
func randString(rng *rand.Rand, l *schema.Layout, c int, long bool) string {
	col := &l.Table.Columns[c]
	limit := col.Length // characters, or bytes for binary strings
	if col.Type == schema.TypeText || col.Type == schema.TypeBlob {
		limit = 12
	}
	if long {
		limit *= 2
	}
	pieces := stringPieces(col)
	var sb strings.Builder
	n := rng.IntN(limit + 1)
	for i := 0; i < n; i++ {
		sb.WriteString(pieces[rng.IntN(len(pieces))])
	}
	s := sb.String()
	if likeUTF8(col) {
		for utf8.RuneCountInString(s) > limit {
			_, size := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-size]
		}
	} else if len(s) > limit {
		s = s[:limit]
	}
	if col.Type == schema.TypeBinary && !long {
		s += strings.Repeat("\x00", col.Length-len(s))
	}
	return s
}

// randValue returns a random non-NULL value for column c.
func randValue(rng *rand.Rand, l *schema.Layout, c int) any {
	if l.Table.Columns[c].Type.IsString() {
		return randString(rng, l, c, false)
	}
	d := valueDomain(l, c)
	return d[rng.IntN(len(d))]
}

// randRow returns the Go values of a random row: NULL with chance 1/5 in
// nullable columns.
func randRow(rng *rand.Rand, l *schema.Layout, id int) []any {
	vals := make([]any, nCols)
	for c := range vals {
		if l.Table.Columns[c].Nullable && rng.IntN(5) == 0 {
			continue
		}
		vals[c] = randValue(rng, l, c)
	}
	vals[cID] = int64(id)
	return vals
}

// encodeRow builds the row image of vals.
func encodeRow(t testing.TB, l *schema.Layout, vals []any) schema.Row {
	t.Helper()
	rb := schema.NewRowBuilder(l)
	for c, v := range vals {
		if v == nil {
			continue
		}
		var err error
		switch v := v.(type) {
		case int64:
			err = rb.SetInt64(c, v)
		case uint64:
			err = rb.SetUint64(c, v)
		case float64:
			err = rb.SetFloat64(c, v)
		case decText:
			err = rb.SetDecimal(c, string(v))
		case string:
			err = rb.SetString(c, v)
		case dateVal:
			var enc []byte
			if enc, err = schema.AppendDate(nil, v[0], v[1], v[2]); err == nil {
				err = rb.SetRaw(c, enc)
			}
		case timeVal:
			var enc []byte
			if enc, err = schema.AppendTime(nil, int64(v)); err == nil {
				err = rb.SetRaw(c, enc)
			}
		case tsVal:
			var enc []byte
			if enc, err = schema.AppendTimestamp(nil, int64(v)); err == nil {
				err = rb.SetRaw(c, enc)
			}
		case schema.DatetimeParts:
			var enc []byte
			if enc, err = schema.AppendDatetime(nil, v); err == nil {
				err = rb.SetRaw(c, enc)
			}
		default:
			err = fmt.Errorf("unknown Go value %T", v)
		}
		if err != nil {
			t.Fatalf("column %d value %#v: %v", c, v, err)
		}
	}
	img := rb.AppendRow(nil)
	if _, err := l.CheckRow(img); err != nil {
		t.Fatalf("row %v: %v", vals, err)
	}
	return l.RowOf(img)
}

// constValue turns a Go value into a filter Value, using the Raw form now
// and then for fixed-size numbers.
func constValue(rng *rand.Rand, l *schema.Layout, c int, v any) Value {
	switch v := v.(type) {
	case int64:
		if rng.IntN(4) == 0 {
			return Raw(leBytes(uint64(v), l.Cols[c].Size))
		}
		return Int(v)
	case uint64:
		if rng.IntN(4) == 0 {
			return Raw(leBytes(v, l.Cols[c].Size))
		}
		return Uint(v)
	case float64:
		return Float(v)
	case decText:
		return Decimal(string(v))
	case string:
		if rng.IntN(2) == 0 {
			return Bytes([]byte(v))
		}
		return String(v)
	case dateVal:
		return Date(v[0], v[1], v[2])
	case timeVal:
		return Time(int64(v))
	case tsVal:
		return Timestamp(int64(v))
	case schema.DatetimeParts:
		return Datetime(v)
	}
	panic(fmt.Sprintf("no Value for %T", v))
}

func leBytes(u uint64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	return b
}

// ---- the reference evaluator: plain Go over the Go values ----

// expr is a filter as a Go tree. It builds itself into a Builder and
// evaluates itself over Go values with nothing from the package under test.
type expr struct {
	kind     byte // a Group, or a condition opcode
	kids     []*expr
	cmp      Cmp
	col      int
	col2     int
	val      any // Cmp; Between's lo
	hi       any // Between
	pattern  string
	bits     BitTest
	mask     uint64
	useValue []Value // the Values handed to the builder, in order
}

func (e *expr) build(b *Builder) error {
	switch e.kind {
	case byte(And), byte(Or), byte(Nand), byte(Nor):
		if err := b.Begin(Group(e.kind)); err != nil {
			return err
		}
		for _, k := range e.kids {
			if err := k.build(b); err != nil {
				return err
			}
		}
		return b.End()
	case opCmp:
		return b.Cmp(e.col, e.cmp, e.useValue[0])
	case opCmpCols:
		return b.CmpCols(e.col, e.cmp, e.col2)
	case opIsNull:
		return b.IsNull(e.col)
	case opIsNotNull:
		return b.IsNotNull(e.col)
	case opLike:
		return b.Like(e.col, e.pattern)
	case opNotLike:
		return b.NotLike(e.col, e.pattern)
	case opBetween:
		return b.Between(e.col, e.useValue[0], e.useValue[1])
	case opBits:
		return b.Bits(e.col, e.bits, e.mask)
	}
	return fmt.Errorf("bad expr kind %d", e.kind)
}

func (e *expr) String() string {
	switch e.kind {
	case byte(And), byte(Or), byte(Nand), byte(Nor):
		names := map[byte]string{1: "AND", 2: "OR", 3: "NAND", 4: "NOR"}
		parts := make([]string, len(e.kids))
		for i, k := range e.kids {
			parts[i] = k.String()
		}
		return names[e.kind] + "(" + strings.Join(parts, ", ") + ")"
	case opCmp:
		return fmt.Sprintf("c%d %s %#v", e.col, [...]string{"", "=", "!=", "<", "<=", ">", ">="}[e.cmp], e.val)
	case opCmpCols:
		return fmt.Sprintf("c%d %s c%d", e.col, [...]string{"", "=", "!=", "<", "<=", ">", ">="}[e.cmp], e.col2)
	case opIsNull:
		return fmt.Sprintf("c%d IS NULL", e.col)
	case opIsNotNull:
		return fmt.Sprintf("c%d IS NOT NULL", e.col)
	case opLike:
		return fmt.Sprintf("c%d LIKE %q", e.col, e.pattern)
	case opNotLike:
		return fmt.Sprintf("c%d NOT LIKE %q", e.col, e.pattern)
	case opBetween:
		return fmt.Sprintf("c%d BETWEEN %#v AND %#v", e.col, e.val, e.hi)
	case opBits:
		return fmt.Sprintf("c%d bits %d %#x", e.col, e.bits, e.mask)
	}
	return "?"
}

// ref evaluates e over row values with SQL's three-valued logic, written
// out as truth tables.
func (e *expr) ref(l *schema.Layout, vals []any) uint8 {
	switch e.kind {
	case byte(And), byte(Nand):
		sawUnknown := false
		res := tvTrue
		for _, k := range e.kids {
			switch k.ref(l, vals) {
			case tvFalse:
				res = tvFalse
			case tvUnknown:
				sawUnknown = true
			}
		}
		if res == tvTrue && sawUnknown {
			res = tvUnknown
		}
		return refNot(res, e.kind == byte(Nand))
	case byte(Or), byte(Nor):
		sawUnknown := false
		res := tvFalse
		for _, k := range e.kids {
			switch k.ref(l, vals) {
			case tvTrue:
				res = tvTrue
			case tvUnknown:
				sawUnknown = true
			}
		}
		if res == tvFalse && sawUnknown {
			res = tvUnknown
		}
		return refNot(res, e.kind == byte(Nor))
	case opIsNull:
		return refBool(vals[e.col] == nil)
	case opIsNotNull:
		return refBool(vals[e.col] != nil)
	}
	v := vals[e.col]
	if v == nil || (e.kind == opCmpCols && vals[e.col2] == nil) {
		return tvUnknown
	}
	col := &l.Table.Columns[e.col]
	switch e.kind {
	case opCmp:
		return refBool(refHolds(e.cmp, refCompare(col, v, e.val)))
	case opCmpCols:
		return refBool(refHolds(e.cmp, refCompare(col, v, vals[e.col2])))
	case opBetween:
		return refBool(refCompare(col, v, e.val) >= 0 && refCompare(col, v, e.hi) <= 0)
	case opLike, opNotLike:
		s := v.(string)
		if col.Type == schema.TypeChar {
			s = strings.TrimRight(s, " ")
		}
		return refBool(refLike(e.pattern, s, likeUTF8(col)) == (e.kind == opLike))
	case opBits:
		var u uint64
		switch v := v.(type) {
		case uint64:
			u = v
		case int64:
			u = uint64(v)
			if size := l.Cols[e.col].Size; size < 8 {
				u &= 1<<(8*size) - 1
			}
		}
		var ok bool
		switch e.bits {
		case AllSet:
			ok = u&e.mask == e.mask
		case AllClear:
			ok = u&e.mask == 0
		case AnySet:
			ok = u&e.mask != 0
		case AnyClear:
			ok = u&e.mask != e.mask
		}
		return refBool(ok)
	}
	panic("bad expr")
}

func refBool(b bool) uint8 {
	if b {
		return tvTrue
	}
	return tvFalse
}

func refNot(v uint8, not bool) uint8 {
	if !not {
		return v
	}
	switch v {
	case tvTrue:
		return tvFalse
	case tvFalse:
		return tvTrue
	}
	return tvUnknown
}

func refHolds(c Cmp, r int) bool {
	switch c {
	case Eq:
		return r == 0
	case Ne:
		return r != 0
	case Lt:
		return r < 0
	case Le:
		return r <= 0
	case Gt:
		return r > 0
	case Ge:
		return r >= 0
	}
	panic("bad cmp")
}

// refCompare orders two Go values of column col's kind (for column pairs,
// of col's and a comparable column's kind).
func refCompare(col *schema.Column, a, b any) int {
	switch a := a.(type) {
	case int64, uint64:
		return toBig(a).Cmp(toBig(b))
	case float64:
		return cmp.Compare(a, b.(float64))
	case decText:
		x, _ := new(big.Rat).SetString(string(a))
		y, _ := new(big.Rat).SetString(string(b.(decText)))
		return x.Cmp(y)
	case string:
		bs := b.(string)
		if col.Type == schema.TypeChar || col.Type == schema.TypeVarchar || col.Type == schema.TypeText {
			a, bs = strings.TrimRight(a, " "), strings.TrimRight(bs, " ")
		}
		return strings.Compare(a, bs)
	case dateVal:
		y := b.(dateVal)
		return cmp.Or(cmp.Compare(a[0], y[0]), cmp.Compare(a[1], y[1]), cmp.Compare(a[2], y[2]))
	case schema.DatetimeParts:
		y := b.(schema.DatetimeParts)
		return cmp.Or(cmp.Compare(a.Year, y.Year), cmp.Compare(a.Month, y.Month), cmp.Compare(a.Day, y.Day),
			cmp.Compare(a.Hour, y.Hour), cmp.Compare(a.Minute, y.Minute), cmp.Compare(a.Second, y.Second), cmp.Compare(a.Micro, y.Micro))
	case timeVal:
		return cmp.Compare(a, b.(timeVal))
	case tsVal:
		return cmp.Compare(a, b.(tsVal))
	}
	panic(fmt.Sprintf("refCompare %T", a))
}

func toBig(v any) *big.Int {
	switch v := v.(type) {
	case int64:
		return big.NewInt(v)
	case uint64:
		return new(big.Int).SetUint64(v)
	}
	panic(fmt.Sprintf("toBig %T", v))
}

// refLike is LIKE by plain recursion over characters (runes, or bytes for
// non-UTF-8 columns).
func refLike(pattern, s string, utf8Chars bool) bool {
	type unit struct {
		kind byte // 'l' literal, '_', '%'
		lit  string
	}
	split := func(s string) []string {
		var out []string
		for len(s) > 0 {
			n := 1
			if utf8Chars {
				_, n = utf8.DecodeRuneInString(s)
			}
			out = append(out, s[:n])
			s = s[n:]
		}
		return out
	}
	var pat []unit
	chars := split(pattern)
	for i := 0; i < len(chars); i++ {
		switch chars[i] {
		case "%":
			pat = append(pat, unit{kind: '%'})
		case "_":
			pat = append(pat, unit{kind: '_'})
		case "\\":
			i++
			pat = append(pat, unit{kind: 'l', lit: chars[i]})
		default:
			pat = append(pat, unit{kind: 'l', lit: chars[i]})
		}
	}
	text := split(s)
	var match func(p, t int) bool
	match = func(p, t int) bool {
		if p == len(pat) {
			return t == len(text)
		}
		switch pat[p].kind {
		case '%':
			for k := t; k <= len(text); k++ {
				if match(p+1, k) {
					return true
				}
			}
			return false
		case '_':
			return t < len(text) && match(p+1, t+1)
		}
		return t < len(text) && text[t] == pat[p].lit && match(p+1, t+1)
	}
	return match(0, 0)
}

// pairs are column pairs CmpCols accepts.
var pairs = [][2]int{
	{cTi, cI}, {cTiu, cBi}, {cBu, cBi}, {cMu, cSi}, {cI, cI2}, {cBu, cTiu}, {cTi, cBu},
	{cF, cD}, {cD, cF}, {cF, cF}, {cDec, cDec2}, {cCh, cVc}, {cVc, cTxt}, {cChL, cVcL},
	{cBin, cVb}, {cVb, cBlb}, {cDt, cDt}, {cTm, cTm}, {cDtm, cDtm}, {cTs, cTs}, {cBit, cBit},
	{cKey, cVcL},
}

// randPattern returns a random well-formed LIKE pattern for column c.
func randPattern(rng *rand.Rand, l *schema.Layout, c int) string {
	col := &l.Table.Columns[c]
	pieces := append(stringPieces(col), "%", "_", "%", `\%`, `\_`)
	if charset(col) != schema.CharsetBinary {
		pieces = append(pieces, `\\`)
	}
	var sb strings.Builder
	for n := rng.IntN(5); n > 0; n-- {
		p := pieces[rng.IntN(len(pieces))]
		if p == `\` {
			p = `\\`
		}
		sb.WriteString(p)
	}
	return sb.String()
}

// randExpr returns a random filter, groups nested at most depth deep.
func randExpr(rng *rand.Rand, l *schema.Layout, depth int) *expr {
	if depth > 0 && rng.IntN(3) == 0 {
		e := &expr{kind: byte(And + Group(rng.IntN(4)))}
		for n := 1 + rng.IntN(4); n > 0; n-- {
			e.kids = append(e.kids, randExpr(rng, l, depth-1))
		}
		return e
	}
	col := rng.IntN(nCols)
	e := &expr{col: col, cmp: Eq + Cmp(rng.IntN(6))}
	constant := func() any {
		if l.Table.Columns[col].Type.IsString() {
			return randString(rng, l, col, rng.IntN(4) == 0)
		}
		return randValue(rng, l, col)
	}
	switch rng.IntN(8) {
	case 0:
		e.kind = opCmp
		e.val = constant()
		e.useValue = []Value{constValue(rng, l, col, e.val)}
	case 1:
		p := pairs[rng.IntN(len(pairs))]
		e.kind, e.col, e.col2 = opCmpCols, p[0], p[1]
	case 2:
		e.kind = opIsNull
	case 3:
		e.kind = opIsNotNull
	case 4, 5:
		strs := []int{cKey, cCh, cChL, cVc, cVcL, cBin, cVb, cTxt, cBlb}
		e.col = strs[rng.IntN(len(strs))]
		e.kind = opLike
		if rng.IntN(2) == 0 {
			e.kind = opNotLike
		}
		e.pattern = randPattern(rng, l, e.col)
	case 6:
		e.kind = opBetween
		e.val, e.hi = constant(), constant()
		e.useValue = []Value{constValue(rng, l, col, e.val), constValue(rng, l, col, e.hi)}
	case 7:
		ints := []int{cID, cTi, cTiu, cSi, cMi, cMu, cI, cBi, cBu, cBit}
		e.col = ints[rng.IntN(len(ints))]
		e.kind = opBits
		e.bits = AllSet + BitTest(rng.IntN(4))
		width := uint(8 * l.Cols[e.col].Size)
		if l.Table.Columns[e.col].Type == schema.TypeBit {
			width = uint(l.Table.Columns[e.col].Length)
		}
		e.mask = rng.Uint64()
		if width < 64 {
			e.mask &= 1<<width - 1
		}
		if rng.IntN(2) == 0 {
			e.mask &= 0x303 // a few bits, so that tests come out both ways
		}
	}
	return e
}
