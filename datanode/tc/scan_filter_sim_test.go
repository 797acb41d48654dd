package tc_test

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// The typed table: one column of (nearly) every type, most nullable.
const (
	tyID   = iota // BIGINT primary key
	tyTi          // TINYINT NULL
	tyTu          // TINYINT UNSIGNED
	tySi          // SMALLINT NULL
	tyMi          // MEDIUMINT
	tyIu          // INT UNSIGNED NULL
	tyBi          // BIGINT NULL
	tyBu          // BIGINT UNSIGNED
	tyD           // DOUBLE NULL
	tyF           // FLOAT
	tyDec         // DECIMAL(10,2) NULL
	tyDec2        // DECIMAL(10,2)
	tyCh          // CHAR(6) NULL
	tyVc          // VARCHAR(12) NULL
	tyVc2         // VARCHAR(12)
	tyVb          // VARBINARY(6) NULL
	tyDt          // DATE NULL
	tyDtm         // DATETIME NULL
	tyTm          // TIME NULL
	tyBits        // BIT(12) NULL
	tyCols
)

const typedTableID = 2

func typedLayout() *schema.Layout {
	return mustLayout(&schema.Table{ID: typedTableID, Name: "typed", Version: 1, PrimaryKey: []int{tyID},
		Columns: []schema.Column{
			tyID:   {Name: "id", Type: schema.TypeBigInt},
			tyTi:   {Name: "ti", Type: schema.TypeTinyInt, Nullable: true},
			tyTu:   {Name: "tu", Type: schema.TypeTinyInt, Unsigned: true},
			tySi:   {Name: "si", Type: schema.TypeSmallInt, Nullable: true},
			tyMi:   {Name: "mi", Type: schema.TypeMediumInt},
			tyIu:   {Name: "iu", Type: schema.TypeInt, Unsigned: true, Nullable: true},
			tyBi:   {Name: "bi", Type: schema.TypeBigInt, Nullable: true},
			tyBu:   {Name: "bu", Type: schema.TypeBigInt, Unsigned: true},
			tyD:    {Name: "d", Type: schema.TypeDouble, Nullable: true},
			tyF:    {Name: "f", Type: schema.TypeFloat},
			tyDec:  {Name: "dec", Type: schema.TypeDecimal, Precision: 10, Scale: 2, Nullable: true},
			tyDec2: {Name: "dec2", Type: schema.TypeDecimal, Precision: 10, Scale: 2},
			tyCh:   {Name: "ch", Type: schema.TypeChar, Length: 6, Nullable: true},
			tyVc:   {Name: "vc", Type: schema.TypeVarchar, Length: 12, Nullable: true},
			tyVc2:  {Name: "vc2", Type: schema.TypeVarchar, Length: 12},
			tyVb:   {Name: "vb", Type: schema.TypeVarbinary, Length: 6, Nullable: true},
			tyDt:   {Name: "dt", Type: schema.TypeDate, Nullable: true},
			tyDtm:  {Name: "dtm", Type: schema.TypeDatetime, Nullable: true},
			tyTm:   {Name: "tm", Type: schema.TypeTime, Nullable: true},
			tyBits: {Name: "bits", Type: schema.TypeBit, Length: 12, Nullable: true},
		}})
}

// ---- the client-side model: plain Go values ----

// A model row holds each column as a Go value, nil for NULL: int64 (signed
// integers), uint64 (unsigned integers), float64 (DOUBLE, FLOAT), cents
// (DECIMAL(10,2)), string (CHAR without its padding, VARCHAR), []byte
// (VARBINARY), civilDate, schema.DatetimeParts, timeOfDay and bitValue.
type mrow []any

type (
	cents     int64 // a DECIMAL(10,2) in hundredths
	civilDate struct{ y, m, d int }
	timeOfDay int64 // TIME in microseconds
	bitValue  uint64
)

// compareAny orders two non-NULL model values of comparable columns, as SQL
// does: numbers by value (a signed and an unsigned integer too), strings
// with PAD SPACE, binary strings by bytes, temporal values by time.
func compareAny(a, b any) int {
	switch a := a.(type) {
	case int64:
		switch b := b.(type) {
		case int64:
			return cmp.Compare(a, b)
		case uint64:
			if a < 0 {
				return -1
			}
			return cmp.Compare(uint64(a), b)
		}
	case uint64:
		switch b := b.(type) {
		case uint64:
			return cmp.Compare(a, b)
		case int64:
			return -compareAny(b, a)
		}
	case float64:
		return cmp.Compare(a, b.(float64))
	case cents:
		return cmp.Compare(a, b.(cents))
	case string:
		return comparePadSpace(a, b.(string))
	case []byte:
		return bytes.Compare(a, b.([]byte))
	case civilDate:
		b := b.(civilDate)
		return cmp.Or(cmp.Compare(a.y, b.y), cmp.Compare(a.m, b.m), cmp.Compare(a.d, b.d))
	case schema.DatetimeParts:
		b := b.(schema.DatetimeParts)
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Month, b.Month), cmp.Compare(a.Day, b.Day),
			cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Minute, b.Minute), cmp.Compare(a.Second, b.Second),
			cmp.Compare(a.Micro, b.Micro))
	case timeOfDay:
		return cmp.Compare(a, b.(timeOfDay))
	case bitValue:
		return cmp.Compare(a, b.(bitValue))
	}
	panic(fmt.Sprintf("compareAny(%T, %T)", a, b))
}

// comparePadSpace compares two strings as a PAD SPACE collation does: the
// shorter is padded with spaces to the longer's length.
func comparePadSpace(a, b string) int {
	n := max(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := byte(' '), byte(' ')
		if i < len(a) {
			ca = a[i]
		}
		if i < len(b) {
			cb = b[i]
		}
		if ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	return 0
}

// likeModel is SQL LIKE over a sequence of characters (runes, or bytes of
// a binary string): % any sequence, _ one character, backslash escapes.
func likeModel(s, pat []rune) bool {
	// Dynamic programming over (pattern position, string position).
	type tok struct {
		any, one bool
		r        rune
	}
	var toks []tok
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '%':
			toks = append(toks, tok{any: true})
		case '_':
			toks = append(toks, tok{one: true})
		case '\\':
			i++
			toks = append(toks, tok{r: pat[i]})
		default:
			toks = append(toks, tok{r: pat[i]})
		}
	}
	m := make([]bool, len(s)+1) // m[j]: toks[:i] matches s[:j]
	m[0] = true
	for _, t := range toks {
		next := make([]bool, len(s)+1)
		for j := 0; j <= len(s); j++ {
			switch {
			case t.any:
				next[j] = m[j] || (j > 0 && next[j-1])
			case j == 0:
			case t.one:
				next[j] = m[j-1]
			default:
				next[j] = m[j-1] && s[j-1] == t.r
			}
		}
		m = next
	}
	return m[len(s)]
}

func runesOf(v any) []rune {
	switch v := v.(type) {
	case string:
		return []rune(v)
	case []byte:
		r := make([]rune, len(v))
		for i, b := range v {
			r[i] = rune(b)
		}
		return r
	}
	panic(fmt.Sprintf("runesOf(%T)", v))
}

func patternRunes(col int, pat string) []rune {
	if col == tyVb {
		return runesOf([]byte(pat))
	}
	return []rune(pat)
}

// bitsOf is an integer or BIT value's bits in the column's width.
func bitsOf(col int, v any) uint64 {
	switch v := v.(type) {
	case bitValue:
		return uint64(v)
	case uint64:
		return v
	case int64:
		if w := typedWidth[col]; w < 8 {
			return uint64(v) & (1<<(8*w) - 1)
		}
		return uint64(v)
	}
	panic(fmt.Sprintf("bitsOf(%T)", v))
}

var typedWidth = map[int]int{tyTi: 1, tyTu: 1, tySi: 2, tyMi: 3, tyIu: 4, tyBi: 8, tyBu: 8, tyBits: 2}

// ---- three-valued logic ----

type tri uint8

const (
	triFalse tri = iota
	triUnknown
	triTrue
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (t tri) not() tri { return triTrue - t }

func cmpHolds(op filter.Cmp, r int) bool {
	switch op {
	case filter.Eq:
		return r == 0
	case filter.Ne:
		return r != 0
	case filter.Lt:
		return r < 0
	case filter.Le:
		return r <= 0
	case filter.Gt:
		return r > 0
	case filter.Ge:
		return r >= 0
	}
	panic("bad comparison")
}

var cmpNames = map[filter.Cmp]string{filter.Eq: "=", filter.Ne: "!=", filter.Lt: "<", filter.Le: "<=", filter.Gt: ">", filter.Ge: ">="}
var cmpOps = []filter.Cmp{filter.Eq, filter.Ne, filter.Lt, filter.Le, filter.Gt, filter.Ge}

// ---- conditions: a builder call and its Go meaning ----

// cond is a condition both as Builder calls and as Go over a model row.
type cond struct {
	text string
	add  func(b *filter.Builder) error
	eval func(r mrow) tri
}

var colNames = func() []string {
	l := typedLayout()
	n := make([]string, tyCols)
	for i := range n {
		n[i] = l.Table.Columns[i].Name
	}
	return n
}()

// constValue encodes a model value as a filter constant for column col.
func constValue(col int, v any) filter.Value {
	switch v := v.(type) {
	case int64:
		return filter.Int(v)
	case uint64:
		return filter.Uint(v)
	case float64:
		return filter.Float(v)
	case cents:
		if v%100 == 0 {
			return filter.Int(int64(v) / 100) // DECIMAL from an integer
		}
		return filter.Decimal(centsText(v))
	case string:
		return filter.String(v)
	case []byte:
		return filter.Bytes(v)
	case civilDate:
		return filter.Date(v.y, v.m, v.d)
	case schema.DatetimeParts:
		return filter.Datetime(v)
	case timeOfDay:
		return filter.Time(int64(v))
	case bitValue:
		return filter.Uint(uint64(v))
	}
	panic(fmt.Sprintf("constValue(%T)", v))
}

// asStored is the value a constant compares as in column col: a FLOAT
// constant is rounded to float32 as the column's values are.
func asStored(col int, v any) any {
	if f, ok := v.(float64); ok && col == tyF {
		return float64(float32(f))
	}
	return v
}

func centsText(v cents) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func cmpCond(col int, op filter.Cmp, v any) cond {
	c := asStored(col, v)
	return cond{
		text: fmt.Sprintf("%s %s %#v", colNames[col], cmpNames[op], v),
		add:  func(b *filter.Builder) error { return b.Cmp(col, op, constValue(col, v)) },
		eval: func(r mrow) tri {
			if r[col] == nil {
				return triUnknown
			}
			return triOf(cmpHolds(op, compareAny(r[col], c)))
		},
	}
}

func cmpColsCond(a int, op filter.Cmp, b int) cond {
	return cond{
		text: fmt.Sprintf("%s %s %s", colNames[a], cmpNames[op], colNames[b]),
		add:  func(bl *filter.Builder) error { return bl.CmpCols(a, op, b) },
		eval: func(r mrow) tri {
			if r[a] == nil || r[b] == nil {
				return triUnknown
			}
			return triOf(cmpHolds(op, compareAny(r[a], r[b])))
		},
	}
}

func isNullCond(col int, want bool) cond {
	text, add := colNames[col]+" IS NULL", func(b *filter.Builder) error { return b.IsNull(col) }
	if !want {
		text, add = colNames[col]+" IS NOT NULL", func(b *filter.Builder) error { return b.IsNotNull(col) }
	}
	return cond{text: text, add: add, eval: func(r mrow) tri { return triOf((r[col] == nil) == want) }}
}

func likeCond(col int, pat string, not bool) cond {
	text, add := fmt.Sprintf("%s LIKE %q", colNames[col], pat), func(b *filter.Builder) error { return b.Like(col, pat) }
	if not {
		text, add = fmt.Sprintf("%s NOT LIKE %q", colNames[col], pat), func(b *filter.Builder) error { return b.NotLike(col, pat) }
	}
	p := patternRunes(col, pat)
	return cond{text: text, add: add, eval: func(r mrow) tri {
		if r[col] == nil {
			return triUnknown
		}
		return triOf(likeModel(runesOf(r[col]), p) != not)
	}}
}

func betweenCond(col int, lo, hi any) cond {
	l, h := asStored(col, lo), asStored(col, hi)
	return cond{
		text: fmt.Sprintf("%s BETWEEN %#v AND %#v", colNames[col], lo, hi),
		add:  func(b *filter.Builder) error { return b.Between(col, constValue(col, lo), constValue(col, hi)) },
		eval: func(r mrow) tri {
			if r[col] == nil {
				return triUnknown
			}
			return triOf(compareAny(r[col], l) >= 0 && compareAny(r[col], h) <= 0)
		},
	}
}

var bitTestNames = map[filter.BitTest]string{filter.AllSet: "all set", filter.AllClear: "all clear", filter.AnySet: "any set", filter.AnyClear: "any clear"}

func bitsCond(col int, t filter.BitTest, mask uint64) cond {
	return cond{
		text: fmt.Sprintf("%s bits %s %#x", colNames[col], bitTestNames[t], mask),
		add:  func(b *filter.Builder) error { return b.Bits(col, t, mask) },
		eval: func(r mrow) tri {
			if r[col] == nil {
				return triUnknown
			}
			v := bitsOf(col, r[col])
			switch t {
			case filter.AllSet:
				return triOf(v&mask == mask)
			case filter.AllClear:
				return triOf(v&mask == 0)
			case filter.AnySet:
				return triOf(v&mask != 0)
			}
			return triOf(v&mask != mask)
		},
	}
}

var groupNames = map[filter.Group]string{filter.And: "AND", filter.Or: "OR", filter.Nand: "NAND", filter.Nor: "NOR"}

func groupCond(g filter.Group, cs ...cond) cond {
	texts := make([]string, len(cs))
	for i := range cs {
		texts[i] = cs[i].text
	}
	return cond{
		text: groupNames[g] + "(" + strings.Join(texts, ", ") + ")",
		add: func(b *filter.Builder) error {
			if err := b.Begin(g); err != nil {
				return err
			}
			for _, c := range cs {
				if err := c.add(b); err != nil {
					return err
				}
			}
			return b.End()
		},
		eval: func(r mrow) tri {
			// Kleene: AND is the minimum, OR the maximum.
			v := triTrue
			if g == filter.Or || g == filter.Nor {
				v = triFalse
			}
			for _, c := range cs {
				if g == filter.Or || g == filter.Nor {
					v = max(v, c.eval(r))
				} else {
					v = min(v, c.eval(r))
				}
			}
			if g == filter.Nand || g == filter.Nor {
				v = v.not()
			}
			return v
		},
	}
}

// ---- rows ----

// typedGen draws the typed table's values: each column from a few edge
// values or at random, NULL now and then.
type typedGen struct{ r *rand.Rand }

func (g typedGen) pick(n int) int { return g.r.IntN(n) }

func (g typedGen) str(alphabet []string, maxRunes int) string {
	var sb strings.Builder
	for n := g.r.IntN(maxRunes + 1); n > 0; n-- {
		sb.WriteString(alphabet[g.r.IntN(len(alphabet))])
	}
	return sb.String()
}

var (
	chAlphabet = []string{"a", "b", "B", " ", "%", "_", "é", "\t"}
	vcAlphabet = []string{"a", "b", "A", " ", "%", "_", "\\", "é", "ß", "日", "z", "\t", "\x01"}
	vbAlphabet = []byte{0x00, ' ', 'a', 'b', '%', '_', 0x80, 0xFF}
)

// value draws a value for column col (nil: NULL).
func (g typedGen) value(col int, nullable bool) any {
	if nullable && g.r.IntN(7) == 0 {
		return nil
	}
	edge := g.r.IntN(2) == 0
	switch col {
	case tyID: // a key near the rows' keys (see typedRows)
		return int64(g.r.IntN(320))*1_000_003 - 150_000_000 + int64(g.r.IntN(3)-1)
	case tyTi:
		if edge {
			return []int64{-128, -1, 0, 1, 5, 127}[g.pick(6)]
		}
		return int64(int8(g.r.Uint32()))
	case tyTu:
		if edge {
			return []uint64{0, 1, 5, 128, 255}[g.pick(5)]
		}
		return uint64(uint8(g.r.Uint32()))
	case tySi:
		if edge {
			return []int64{-32768, -1, 0, 5, 300, 32767}[g.pick(6)]
		}
		return int64(int16(g.r.Uint32()))
	case tyMi:
		if edge {
			return []int64{-8388608, -1, 0, 5, 300, 8388607}[g.pick(6)]
		}
		return int64(g.r.IntN(1<<24)) - 1<<23
	case tyIu:
		if edge {
			return []uint64{0, 1, 5, 300, 1 << 31, math.MaxUint32}[g.pick(6)]
		}
		return uint64(g.r.Uint32())
	case tyBi:
		if edge {
			return []int64{math.MinInt64, -1 << 40, -1, 0, 5, 300, 1 << 40, math.MaxInt64}[g.pick(8)]
		}
		return int64(g.r.Uint64())
	case tyBu:
		if edge {
			return []uint64{0, 1, 5, 300, 1 << 63, math.MaxUint64}[g.pick(6)]
		}
		return g.r.Uint64()
	case tyD:
		if edge {
			return []float64{-1e300, -2.5, math.Copysign(0, -1), 0, 0.1, 3.25, 1e300}[g.pick(7)]
		}
		return (g.r.Float64() - 0.5) * 1e6
	case tyF:
		if edge {
			return float64(float32([]float64{-1.5, 0, 0.1, 2.75, 1e30}[g.pick(5)]))
		}
		return float64(float32((g.r.Float64() - 0.5) * 1000))
	case tyDec, tyDec2:
		if edge {
			return cents([]int64{-9999999999, -150, -100, -1, 0, 1, 100, 1234, 9999999999}[g.pick(9)])
		}
		return cents(g.r.Int64N(200001) - 100000)
	case tyCh:
		return strings.TrimRight(g.str(chAlphabet, 6), " ") // CHAR drops trailing spaces
	case tyVc, tyVc2:
		if edge {
			return []string{"", "a", "a ", "ab", "ab  ", "a%b", "a_b", `a\b`, "é", "日本", "a\t", "a\t "}[g.pick(12)]
		}
		return g.str(vcAlphabet, 8)
	case tyVb:
		b := make([]byte, g.r.IntN(7))
		for i := range b {
			b[i] = vbAlphabet[g.r.IntN(len(vbAlphabet))]
		}
		return b
	case tyDt:
		if edge {
			return []civilDate{{0, 0, 0}, {1999, 12, 31}, {2000, 1, 1}, {2000, 2, 29}, {9999, 12, 31}}[g.pick(5)]
		}
		return civilDate{1999 + g.r.IntN(3), 1 + g.r.IntN(12), 1 + g.r.IntN(28)}
	case tyDtm:
		if edge {
			return []schema.DatetimeParts{{}, {Year: 1000, Month: 1, Day: 1}, {Year: 2000, Month: 1, Day: 1},
				{Year: 2000, Month: 1, Day: 1, Micro: 1}, {Year: 9999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Micro: 999999}}[g.pick(5)]
		}
		return schema.DatetimeParts{Year: 1999 + g.r.IntN(3), Month: 1 + g.r.IntN(12), Day: 1 + g.r.IntN(28),
			Hour: g.r.IntN(24), Minute: g.r.IntN(60), Second: g.r.IntN(60), Micro: g.r.IntN(1000000)}
	case tyTm:
		if edge {
			return []timeOfDay{timeOfDay(-schema.TimeMaxMicros), -1, 0, 1, timeOfDay(schema.TimeMaxMicros)}[g.pick(5)]
		}
		return timeOfDay(g.r.Int64N(2e11) - 1e11)
	case tyBits:
		if edge {
			return []bitValue{0, 1, 0x800, 0xFFF}[g.pick(4)]
		}
		return bitValue(g.r.IntN(1 << 12))
	}
	panic(fmt.Sprintf("column %d", col))
}

// encodeTyped builds the row image of a model row.
func encodeTyped(l *schema.Layout, m mrow) ([]byte, error) {
	b := schema.NewRowBuilder(l)
	for col, v := range m {
		var err error
		switch v := v.(type) {
		case nil:
			err = b.SetNull(col)
		case int64:
			err = b.SetInt64(col, v)
		case uint64:
			err = b.SetUint64(col, v)
		case float64:
			err = b.SetFloat64(col, v)
		case cents:
			err = b.SetDecimal(col, centsText(v))
		case string:
			err = b.SetString(col, v)
		case []byte:
			err = b.SetBytes(col, v)
		case civilDate:
			var enc []byte
			if enc, err = schema.AppendDate(nil, v.y, v.m, v.d); err == nil {
				err = b.SetRaw(col, enc)
			}
		case schema.DatetimeParts:
			var enc []byte
			if enc, err = schema.AppendDatetime(nil, v); err == nil {
				err = b.SetRaw(col, enc)
			}
		case timeOfDay:
			var enc []byte
			if enc, err = schema.AppendTime(nil, int64(v)); err == nil {
				err = b.SetRaw(col, enc)
			}
		case bitValue:
			err = b.SetUint64(col, uint64(v))
		}
		if err != nil {
			return nil, fmt.Errorf("column %s = %#v: %w", colNames[col], v, err)
		}
	}
	return b.AppendRow(nil), nil
}

// decodeTyped reads a row image of the typed table into a model row.
func decodeTyped(l *schema.Layout, img []byte) (mrow, error) {
	if _, err := l.CheckRow(img); err != nil {
		return nil, err
	}
	r := l.RowOf(img)
	m := make(mrow, tyCols)
	for col := range m {
		if r.IsNull(col) {
			continue
		}
		c := &l.Table.Columns[col]
		switch c.Type {
		case schema.TypeTinyInt, schema.TypeSmallInt, schema.TypeMediumInt, schema.TypeInt, schema.TypeBigInt:
			if c.Unsigned {
				m[col] = r.Uint64(col)
			} else {
				m[col] = r.Int64(col)
			}
		case schema.TypeDouble, schema.TypeFloat:
			m[col] = r.Float64(col)
		case schema.TypeDecimal:
			s, err := schema.DecimalString(r.Raw(col), c.Precision, c.Scale)
			if err != nil {
				return nil, err
			}
			v, err := parseCents(s)
			if err != nil {
				return nil, err
			}
			m[col] = v
		case schema.TypeChar, schema.TypeVarchar:
			m[col] = r.String(col)
		case schema.TypeVarbinary:
			m[col] = append([]byte{}, r.Raw(col)...)
		case schema.TypeDate:
			y, mo, d := schema.DecodeDate(r.Raw(col))
			m[col] = civilDate{y, mo, d}
		case schema.TypeDatetime:
			m[col] = schema.DecodeDatetime(r.Raw(col))
		case schema.TypeTime:
			m[col] = timeOfDay(schema.DecodeTime(r.Raw(col)))
		case schema.TypeBit:
			m[col] = bitValue(r.Uint64(col))
		default:
			return nil, fmt.Errorf("column %s: type %s not modelled", c.Name, c.Type)
		}
	}
	return m, nil
}

func parseCents(s string) (cents, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 {
		return 0, fmt.Errorf("decimal %q: want two fraction digits", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	v := cents(w*100 + f)
	if neg {
		v = -v
	}
	return v, nil
}

// typedRows draws n rows with distinct keys, checking that each decodes
// back to the values it was built from.
func typedRows(t testing.TB, l *schema.Layout, seed uint64, n int) ([]mrow, [][]byte) {
	t.Helper()
	g := typedGen{r: rand.New(rand.NewPCG(seed, 0x7e57ab1e))}
	models := make([]mrow, n)
	imgs := make([][]byte, n)
	for i := range models {
		m := make(mrow, tyCols)
		m[tyID] = int64(i)*1_000_003 - 150_000_000
		for col := 1; col < tyCols; col++ {
			m[col] = g.value(col, l.Table.Columns[col].Nullable)
		}
		img, err := encodeTyped(l, m)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		back, err := decodeTyped(l, img)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("row %d does not decode to what it was built from (%v):\n got %#v\nwant %#v", i, err, back, m)
		}
		models[i], imgs[i] = m, img
	}
	return models, imgs
}

// ---- the conditions ----

// typedConds returns the conditions to push down: every operator on every
// column it applies to, with constants drawn from the rows (so that
// equality hits) and edges, and random nested groups.
func typedConds(seed uint64, rows []mrow) []cond {
	r := rand.New(rand.NewPCG(seed, 0xc0ffee))
	g := typedGen{r: r}
	// A constant for col: another row's value or a fresh one.
	constant := func(col int) any {
		var v any
		for v == nil {
			if r.IntN(3) > 0 {
				v = rows[r.IntN(len(rows))][col]
			} else {
				v = g.value(col, false)
			}
		}
		// Integer constants of the other signedness where they fit.
		switch x := v.(type) {
		case uint64:
			if x <= math.MaxInt64 && r.IntN(2) == 0 {
				v = int64(x)
			}
		case int64:
			if x >= 0 && r.IntN(3) == 0 {
				v = uint64(x)
			}
		}
		return v
	}
	var cs []cond
	for col := tyID; col < tyCols; col++ {
		for _, op := range cmpOps {
			cs = append(cs, cmpCond(col, op, constant(col)))
		}
	}
	// Constants longer than the column, and with trailing spaces.
	cs = append(cs, cmpCond(tyCh, filter.Eq, "a      "), cmpCond(tyVc, filter.Eq, "a"), cmpCond(tyVc, filter.Lt, "ab "),
		cmpCond(tyCh, filter.Gt, "bbbbbbbbbbbbbbbbbb"), cmpCond(tyVc, filter.Lt, "a\t"), cmpCond(tyVc, filter.Ge, "a\x01"), cmpCond(tyVb, filter.Ge, []byte{'a', 0}))
	for _, p := range [][2]int{{tySi, tyMi}, {tyTi, tyTu}, {tyIu, tyBi}, {tyBu, tyBi}, {tyBi, tyBu}, {tyD, tyF},
		{tyDec, tyDec2}, {tyCh, tyVc}, {tyVc, tyVc2}, {tyBits, tyBits}} {
		for _, op := range cmpOps {
			cs = append(cs, cmpColsCond(p[0], op, p[1]))
		}
	}
	for col := tyID; col < tyCols; col++ {
		cs = append(cs, isNullCond(col, true), isNullCond(col, false))
	}
	for _, lk := range []struct {
		col int
		pat string
	}{
		{tyCh, "a%"}, {tyCh, "%a"}, {tyCh, "_"}, {tyCh, "__"}, {tyCh, "%é%"}, {tyCh, `%\%%`}, {tyCh, `%\_%`}, {tyCh, ""},
		{tyCh, "%"}, {tyCh, "a% %"}, {tyCh, "%b_"},
		{tyVc, "a%"}, {tyVc, "%a"}, {tyVc, "a_"}, {tyVc, "_"}, {tyVc, "%_%_%"}, {tyVc, "%é%"}, {tyVc, "日%"}, {tyVc, "%\\\\%"},
		{tyVc, `a\%b`}, {tyVc, `a\_b`}, {tyVc, "a%b"}, {tyVc, "%a %"}, {tyVc, "% "}, {tyVc, ""}, {tyVc, "%%"}, {tyVc, "%a%b%"},
		{tyVc2, "%ß_"}, {tyVc2, "__%"},
		{tyVb, "a%"}, {tyVb, "%\x00%"}, {tyVb, "_"}, {tyVb, "%\xff"}, {tyVb, "\x80%"}, {tyVb, "%"},
	} {
		cs = append(cs, likeCond(lk.col, lk.pat, false), likeCond(lk.col, lk.pat, true))
	}
	for col := tyID; col < tyCols; col++ {
		if col == tyBits {
			continue
		}
		a, b := constant(col), constant(col)
		cs = append(cs, betweenCond(col, a, b), betweenCond(col, b, a))
	}
	cs = append(cs, betweenCond(tyBits, bitValue(0x100), bitValue(0x900)))
	for _, bc := range []struct {
		col  int
		mask uint64
	}{{tyBits, 0x1}, {tyBits, 0x801}, {tyBits, 0xFFF}, {tyBits, 0}, {tyTi, 0x80}, {tyTi, 0x81}, {tyTu, 0xF0},
		{tySi, 0x8001}, {tyMi, 0x800000}, {tyIu, 0x80000001}, {tyBi, 1 << 63}, {tyBu, 0xFF00000000000001}} {
		for _, bt := range []filter.BitTest{filter.AllSet, filter.AllClear, filter.AnySet, filter.AnyClear} {
			cs = append(cs, bitsCond(bc.col, bt, bc.mask))
		}
	}
	// Groups: a few written out, to pin Kleene logic over NULLs, and many
	// drawn at random from the leaves above.
	leaves := slices.Clone(cs)
	cs = append(cs,
		groupCond(filter.And, cmpCond(tyTi, filter.Gt, int64(0)), isNullCond(tySi, true)),
		groupCond(filter.Or, cmpCond(tyTi, filter.Gt, int64(0)), cmpCond(tyTi, filter.Le, int64(0))),   // NULL ti: UNKNOWN
		groupCond(filter.Nand, cmpCond(tyTi, filter.Gt, int64(0)), cmpCond(tyTi, filter.Le, int64(0))), // NULL ti: UNKNOWN
		groupCond(filter.Nor, cmpCond(tyTi, filter.Gt, int64(0)), isNullCond(tyDec, true)),
		groupCond(filter.Nand, cmpCond(tyD, filter.Eq, 0.0)),
		groupCond(filter.Nor, likeCond(tyVc, "a%", false)),
		groupCond(filter.And, groupCond(filter.Or, groupCond(filter.Nand, cmpCond(tyBi, filter.Lt, int64(0)),
			betweenCond(tyTi, int64(-5), int64(5))), groupCond(filter.Nor, likeCond(tyVc, "%b%", false),
			bitsCond(tyBits, filter.AnySet, 0x3))), groupCond(filter.Or, isNullCond(tyCh, false), cmpColsCond(tyDec, filter.Lt, tyDec2))),
	)
	var random func(depth int) cond
	random = func(depth int) cond {
		if depth == 0 || r.IntN(3) == 0 {
			return leaves[r.IntN(len(leaves))]
		}
		members := make([]cond, 1+r.IntN(3))
		for i := range members {
			members[i] = random(depth - 1)
		}
		return groupCond([]filter.Group{filter.And, filter.Or, filter.Nand, filter.Nor}[r.IntN(4)], members...)
	}
	for i := 0; i < 40; i++ {
		cs = append(cs, random(4))
	}
	return cs
}

// ---- the test ----

// filterScanSpec is the scan of condition i: varied parallelism, small
// batches (in rows, sometimes in bytes), every third with shared locks.
func filterScanSpec(i int, seed uint64, prog []byte, text string) scanSpec {
	sp := scanSpec{name: text, table: typedTableID, index: gsn.ScanNoIndex, prog: prog,
		parallel: uint32((uint64(i) + seed) % 5), batchRows: uint32(1 + (uint64(i)*3+seed)%6)}
	if i%4 == 1 {
		sp.batchBytes = 100
	}
	if i%3 == 0 {
		sp.flags = gsn.ScanLockShared
	}
	return sp
}

// TestScanFilterPushdown pushes a filter program for every operator down a
// table scan through TC, over a table with a column of every type and
// NULLs, spread over the fragments of a two-node cluster (NoOfReplicas 2),
// and compares the rows that come back, as a set by primary key and row by
// row, with the same condition evaluated in plain Go over the decoded rows.
func TestScanFilterPushdown(t *testing.T) {
	const rowCount = 300
	l := typedLayout()
	var st filterStats
	for _, seed := range seedList(8, 2, 100) {
		models, imgs := typedRows(t, l, seed, rowCount)
		st.add(runFilterScans(t, seed, l, models, imgs, typedConds(seed, models)))
	}
	if st.batches < 3*st.scans {
		t.Fatalf("%d scans came back in only %d batches: the batches are not small enough to need several rounds", st.scans, st.batches)
	}
	t.Logf("%d filtered scans, %d batches, %d rows matched", st.scans, st.batches, st.rows)
}

type filterStats struct{ scans, batches, rows int }

func (s *filterStats) add(o filterStats) {
	s.scans, s.batches, s.rows = s.scans+o.scans, s.batches+o.batches, s.rows+o.rows
}

// runFilterScans loads the rows into a two-node cluster (NoOfReplicas 2,
// six fragments), runs an unfiltered scan and then a scan for each
// condition, half from each node, and checks every scan's rows against
// the model.
func runFilterScans(t *testing.T, seed uint64, l *schema.Layout, models []mrow, imgs [][]byte, conds []cond) filterStats {
	t.Helper()
	const nodes, replicas, fragments = 2, 2, 6
	var st filterStats
	byID, imgByID := map[int64]mrow{}, map[int64][]byte{}
	for i, m := range models {
		byID[m[tyID].(int64)], imgByID[m[tyID].(int64)] = m, imgs[i]
	}
	// An unfiltered scan first: every row comes back as loaded.
	specs := [][]scanSpec{{{name: "no filter", table: typedTableID, index: gsn.ScanNoIndex, batchRows: 7}}, nil}
	all := []cond{{text: "no filter", eval: func(mrow) tri { return triTrue }}}
	b := filter.NewBuilder(l)
	for i, c := range conds {
		b.Reset()
		if err := c.add(b); err != nil {
			t.Fatalf("seed %d: building %s: %v", seed, c.text, err)
		}
		prog, err := b.AppendProgram(nil)
		if err != nil {
			t.Fatalf("seed %d: building %s: %v", seed, c.text, err)
		}
		node := (i + 1) % nodes
		specs[node] = append(specs[node], filterScanSpec(i, seed, prog, c.text))
		all = append(all, c)
	}
	clients := map[signal.NodeID]*scanClient{}
	c := newSimCluster(t, clusterConfig{seed: seed, nodes: nodes, replicas: replicas,
		tables: []simTable{{layout: l, rows: imgs, fragments: fragments}},
		api: func(n signal.NodeID) []sim.Placed {
			cl := newScanClient(n, tcAt(n), specs[n-1])
			clients[n] = cl
			return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
		}})
	defer c.close()
	for i := 0; i < 1000 && !(clients[1].finished() && clients[2].finished()); i++ {
		c.s.RunTicks(10)
	}
	c.s.RunTicks(20)
	// Conditions were dealt to the clients in turn: condition k is scan
	// k/nodes of client k%nodes (the unfiltered scan first).
	next := map[signal.NodeID]int{}
	for k, cd := range all {
		n := signal.NodeID(k%nodes + 1)
		cl := clients[n]
		if cl.violation != "" {
			c.fail(t, fmt.Errorf("%s", cl.violation))
		}
		i := next[n]
		next[n]++
		if i >= len(cl.results) || !cl.results[i].done {
			c.fail(t, fmt.Errorf("scan %q on node %d did not finish", cd.text, n))
		}
		res := &cl.results[i]
		if err := checkScanResult(l, res, fragments, cd, models, byID, imgByID); err != nil {
			c.fail(t, fmt.Errorf("scan for %s (parallelism %d, batch %d rows %d bytes, flags %#x): %v",
				cd.text, cl.specs[i].parallel, cl.specs[i].batchRows, cl.specs[i].batchBytes, cl.specs[i].flags, err))
		}
		st.scans++
		st.batches += len(res.batches)
		st.rows += len(res.rows())
	}
	if err := c.checkQuiet(); err != nil {
		c.fail(t, err)
	}
	if err := c.checkReplicas(); err != nil {
		c.fail(t, err)
	}
	return st
}

// TestScanFilterPadSpaceBelowSpace compares strings that hold characters
// below the space (tab, \x01) under PAD SPACE, as MySQL's PAD SPACE
// collations (utf8mb4_bin, latin1_bin) do: the shorter string is padded
// with spaces, so 'a\t' < 'a' = 'a ' < 'a!'. Ignoring trailing spaces
// instead (trimming both) orders 'a\t' after 'a'.
func TestScanFilterPadSpaceBelowSpace(t *testing.T) {
	l := typedLayout()
	models, _ := typedRows(t, l, 1, 12)
	values := []string{"a", "a ", "a\t", "a\t ", "a\x01b", "a!", "", "\t", " ", "b", "a\t\t", "ab"}
	imgs := make([][]byte, len(models))
	for i, m := range models {
		m[tyVc], m[tyVc2] = values[i], values[(i+5)%len(values)]
		img, err := encodeTyped(l, m)
		if err != nil {
			t.Fatal(err)
		}
		imgs[i] = img
	}
	var conds []cond
	for _, v := range []string{"a", "a ", "a\t", ""} {
		for _, op := range cmpOps {
			conds = append(conds, cmpCond(tyVc, op, v))
		}
	}
	conds = append(conds, betweenCond(tyVc, "a\x01", "a"), betweenCond(tyVc, "a", "a!"))
	for _, op := range cmpOps {
		conds = append(conds, cmpColsCond(tyVc, op, tyVc2))
	}
	runFilterScans(t, 1, l, models, imgs, conds)
}

// checkScanResult compares a scan's rows with the model's answer to cd and
// checks the batches' framing: every fragment once done, the whole scan
// done with the last batch, the transaction committed.
func checkScanResult(l *schema.Layout, res *scanResult, fragments int, cd cond, models []mrow, byID map[int64]mrow, imgs map[int64][]byte) error {
	if res.ref != 0 || !res.committed {
		return fmt.Errorf("refused with %d (rollback %d), committed %v", res.ref, res.rollbackRep, res.committed)
	}
	done := map[uint32]bool{}
	for i, b := range res.batches {
		if b.flags&gsn.ScanFragDone != 0 {
			done[b.frag] = true
		}
		if (b.flags&gsn.ScanDone != 0) != (i == len(res.batches)-1) {
			return fmt.Errorf("batch %d of %d has flags %#x", i, len(res.batches), b.flags)
		}
	}
	if len(done) != fragments {
		return fmt.Errorf("%d fragments finished, want %d", len(done), fragments)
	}
	got := map[int64]bool{}
	for _, img := range res.rows() {
		if _, err := l.CheckRow(img); err != nil {
			return fmt.Errorf("a row image is malformed: %v", err)
		}
		id := l.RowOf(img).Int64(tyID)
		if got[id] {
			return fmt.Errorf("row %d came back twice", id)
		}
		got[id] = true
		want, ok := imgs[id]
		if !ok {
			return fmt.Errorf("row %d is not in the table", id)
		}
		// The loaded image decodes to its model row (typedRows checked),
		// so an equal image is an equal row.
		if !bytes.Equal(img, want) {
			m, err := decodeTyped(l, img)
			return fmt.Errorf("row %d came back as\n%#v (%v)\nwant\n%#v", id, m, err, byID[id])
		}
	}
	var missing, extra []string
	for _, m := range models {
		id := m[tyID].(int64)
		match := cd.eval(m) == triTrue
		switch {
		case match && !got[id]:
			missing = append(missing, fmt.Sprintf("%#v", m))
		case !match && got[id]:
			extra = append(extra, fmt.Sprintf("%#v", m))
		}
	}
	if len(missing)+len(extra) > 0 {
		return fmt.Errorf("%d rows missing, %d rows too many; first missing %v; first extra %v",
			len(missing), len(extra), first(missing), first(extra))
	}
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return s[0]
}

// ---- invalid programs ----

// TestScanFilterRefused sends malformed and invalid filter programs: the
// scan is refused with SCAN_TABREF carrying the program's ndberr code, no
// row comes back, and once the API has closed the transaction (a locking
// scan's TC aborts it by itself) no transaction or operation record is
// left anywhere.
func TestScanFilterRefused(t *testing.T) {
	l := typedLayout()
	u16 := func(v int) []byte { return []byte{byte(v), byte(v >> 8)} }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	deep := []byte{filter.CurrentVersion}
	for i := 0; i <= filter.MaxDepth; i++ {
		deep = append(deep, byte(filter.And), 1, 0)
	}
	deep = cat(deep, []byte{0x12}, u16(tyTi))
	huge := cat([]byte{filter.CurrentVersion, 0x14}, u16(tyVc), u16(0xFFFF), bytes.Repeat([]byte{'a'}, 0xFFFF))
	huge = cat([]byte{filter.CurrentVersion, byte(filter.Or)}, u16(5), huge[1:], huge[1:], huge[1:], huge[1:], huge[1:])
	cases := []refusedProgram{
		{"version 0", cat([]byte{0, 0x12}, u16(tyTi)), ndberr.ErrFilterVersion},
		{"version 9", cat([]byte{9, 0x12}, u16(tyTi)), ndberr.ErrFilterVersion},
		{"truncated", []byte{filter.CurrentVersion, 0x10}, ndberr.ErrFilterMalformed},
		{"only a version", []byte{filter.CurrentVersion}, ndberr.ErrFilterMalformed},
		{"trailing bytes", cat([]byte{filter.CurrentVersion, 0x12}, u16(tyTi), []byte{0x12}), ndberr.ErrFilterMalformed},
		{"empty group", cat([]byte{filter.CurrentVersion, byte(filter.And)}, u16(0)), ndberr.ErrFilterMalformed},
		{"unknown opcode", []byte{filter.CurrentVersion, 0x7F}, ndberr.ErrFilterBadOperator},
		{"unknown comparison", cat([]byte{filter.CurrentVersion, 0x10, 9}, u16(tyTi), u16(1), []byte{1}), ndberr.ErrFilterBadOperator},
		{"unknown bit test", cat([]byte{filter.CurrentVersion, 0x17, 9}, u16(tyBits), u16(2), []byte{1, 0}), ndberr.ErrFilterBadOperator},
		{"no such column", cat([]byte{filter.CurrentVersion, 0x12}, u16(tyCols)), ndberr.ErrBadAttribute},
		{"LIKE on a number", cat([]byte{filter.CurrentVersion, 0x14}, u16(tyTi), u16(1), []byte{'a'}), ndberr.ErrFilterUnsupportedType},
		{"bits of a string", cat([]byte{filter.CurrentVersion, 0x17, 1}, u16(tyVc), u16(1), []byte{1}), ndberr.ErrFilterUnsupportedType},
		{"DATE compared with TIME", cat([]byte{filter.CurrentVersion, 0x11, 1}, u16(tyDt), u16(tyTm)), ndberr.ErrFilterUnsupportedType},
		{"constant of the wrong size", cat([]byte{filter.CurrentVersion, 0x10, 1}, u16(tyIu), u16(3), []byte{1, 2, 3}), ndberr.ErrFilterBadConstant},
		{"BIT constant too wide", cat([]byte{filter.CurrentVersion, 0x10, 1}, u16(tyBits), u16(2), []byte{0, 0x10}), ndberr.ErrFilterBadConstant},
		{"invalid date", cat([]byte{filter.CurrentVersion, 0x10, 1}, u16(tyDt), u16(3), []byte{0xFF, 0xFF, 0xFF}), ndberr.ErrFilterBadConstant},
		{"LIKE ending in an escape", cat([]byte{filter.CurrentVersion, 0x14}, u16(tyVc), u16(2), []byte{'a', '\\'}), ndberr.ErrFilterBadPattern},
		{"LIKE not UTF-8", cat([]byte{filter.CurrentVersion, 0x14}, u16(tyVc), u16(1), []byte{0xFF}), ndberr.ErrFilterBadPattern},
		{"nested too deep", deep, ndberr.ErrFilterTooDeep},
		{"too large", huge, ndberr.ErrFilterTooLarge},
	}
	_, imgs := typedRows(t, l, 1, 40)
	for _, seed := range simFlags.List(4, 1, testing.Short()) {
		// Each program twice: a committed-read scan and a shared-lock scan,
		// from both nodes.
		specs := [][]scanSpec{nil, nil}
		for i, tc := range cases {
			for _, flags := range []uint32{0, gsn.ScanLockShared} {
				sp := scanSpec{name: tc.name, table: typedTableID, index: gsn.ScanNoIndex, flags: flags,
					parallel: uint32(i % 3), batchRows: 2, prog: tc.prog}
				specs[i%2] = append(specs[i%2], sp)
			}
		}
		clients := map[signal.NodeID]*scanClient{}
		c := newSimCluster(t, clusterConfig{seed: seed, nodes: 2, replicas: 2,
			tables: []simTable{{layout: l, rows: imgs, fragments: 4}},
			api: func(n signal.NodeID) []sim.Placed {
				cl := newScanClient(n, tcAt(n), specs[n-1])
				clients[n] = cl
				return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
			}})
		for i := 0; i < 200 && !(clients[1].finished() && clients[2].finished()); i++ {
			c.s.RunTicks(5)
		}
		c.s.RunTicks(50)
		for n, cl := range clients {
			if cl.violation != "" {
				c.fail(t, fmt.Errorf("%s", cl.violation))
			}
			for i, sp := range cl.specs {
				res := &cl.results[i]
				tc := refusedByName(cases, sp.name)
				switch {
				case !res.done:
					c.fail(t, fmt.Errorf("node %d: %s (flags %#x): the scan never ended", n, sp.name, sp.flags))
				case res.ref != uint32(tc.Code):
					c.fail(t, fmt.Errorf("node %d: %s (flags %#x): SCAN_TABREF %d, want %d (%s)", n, sp.name, sp.flags, res.ref, tc.Code, tc.Message))
				case len(res.rows()) != 0:
					c.fail(t, fmt.Errorf("node %d: %s: %d rows came back from a refused scan", n, sp.name, len(res.rows())))
				case sp.flags == 0 && !res.rollbackConf:
					c.fail(t, fmt.Errorf("node %d: %s: the API's rollback was not answered", n, sp.name))
				case sp.flags != 0 && res.rollbackRep != uint32(tc.Code) && !res.rollbackConf:
					c.fail(t, fmt.Errorf("node %d: %s (locking): transaction ended with TCROLLBACKREP %d, want %d", n, sp.name, res.rollbackRep, tc.Code))
				}
			}
		}
		if err := c.checkQuiet(); err != nil {
			c.fail(t, err)
		}
		c.close()
	}
}

// refusedProgram is a program Compile must refuse, and the code it must
// refuse it with.
type refusedProgram struct {
	name string
	prog []byte
	want *ndberr.Error
}

func refusedByName(cases []refusedProgram, name string) *ndberr.Error {
	for _, c := range cases {
		if c.name == name {
			return c.want
		}
	}
	panic(name)
}

// typedUpdater runs single-operation update transactions through its
// node's TC, one after another: each gives a random row of the typed table
// new random values.
type typedUpdater struct {
	node      signal.NodeID
	l         *schema.Layout
	g         typedGen
	ids       []int64
	trans     uint64
	busy      bool
	stopped   bool
	committed int
	sig       signal.Signal
}

func (u *typedUpdater) transID() uint64 { return uint64(u.node)<<48 | 1<<40 | u.trans }

func (u *typedUpdater) Tick(env block.Env) {
	if u.busy || u.stopped {
		return
	}
	u.busy = true
	u.trans++
	m := make(mrow, tyCols)
	m[tyID] = u.ids[u.g.r.IntN(len(u.ids))]
	for col := 1; col < tyCols; col++ {
		m[col] = u.g.value(col, u.l.Table.Columns[col].Nullable)
	}
	img, err := encodeTyped(u.l, m)
	if err != nil {
		panic(err)
	}
	keyReq(&u.sig, tcAt(0), u.transID(), u.l, gsn.OpUpdate, 0, gsn.TcKeyCommit, img)
	env.Send(&u.sig)
}

func (u *typedUpdater) Handle(env block.Env, s *signal.Signal) {
	if s.TransID != u.transID() {
		return
	}
	switch s.Number {
	case gsn.TCCOMMITCONF:
		u.committed++
		u.busy = false
		u.Tick(env)
	case gsn.TCKEYREF, gsn.TCROLLBACKREP:
		u.busy = false
	}
}

// TestScanFilterUnderUpdates runs filtered table scans (committed reads,
// small batches in rows and bytes, and shared-lock scans) while other
// transactions keep rewriting the rows. Every row a scan returns must
// satisfy its condition as returned, no row may come twice, and a scan
// without a filter returns every row exactly once: rows are updated, never
// inserted or deleted, so each exists for the whole scan.
func TestScanFilterUnderUpdates(t *testing.T) {
	const rowCount, fragments = 150, 4
	l := typedLayout()
	var scans, rowsBack, updates int
	for _, seed := range seedList(6, 2, 20) {
		models, imgs := typedRows(t, l, seed, rowCount)
		ids := make([]int64, len(models))
		for i, m := range models {
			ids[i] = m[tyID].(int64)
		}
		conds := typedConds(seed, models)
		// Every fourth scan has no filter; the others take conditions
		// spread over the whole list.
		var picked []cond
		var specs []scanSpec
		b := filter.NewBuilder(l)
		for i := 0; i < 60; i++ {
			cd := cond{text: "no filter", eval: func(mrow) tri { return triTrue }}
			var prog []byte
			if i%4 != 0 {
				cd = conds[(i*37)%len(conds)]
				b.Reset()
				cd.add(b)
				var err error
				if prog, err = b.AppendProgram(nil); err != nil {
					t.Fatal(err)
				}
			}
			picked = append(picked, cd)
			sp := filterScanSpec(i, seed, prog, cd.text)
			sp.batchRows = uint32(2 + i%5)
			specs = append(specs, sp)
		}
		c, cl, n := runScansUnderUpdates(t, seed, simTable{layout: l, rows: imgs, fragments: fragments}, specs, 2,
			func(n signal.NodeID) updaterBlock {
				return &typedUpdater{node: n, l: l, g: typedGen{r: rand.New(rand.NewPCG(seed, uint64(n)))}, ids: ids}
			})
		updates += n
		for i, cd := range picked {
			res := &cl.results[i]
			if !res.done {
				c.fail(t, fmt.Errorf("scan for %s never finished", cd.text))
			}
			if !res.committed {
				continue // aborted by a lock wait time-out
			}
			seen := map[int64]bool{}
			for _, img := range res.rows() {
				m, err := decodeTyped(l, img)
				if err != nil {
					c.fail(t, fmt.Errorf("scan for %s: a row does not decode: %v", cd.text, err))
				}
				id := m[tyID].(int64)
				if seen[id] {
					c.fail(t, fmt.Errorf("scan for %s (flags %#x, batch %d rows %d bytes): row %d returned twice",
						cd.text, specs[i].flags, specs[i].batchRows, specs[i].batchBytes, id))
				}
				seen[id] = true
				if cd.eval(m) != triTrue {
					c.fail(t, fmt.Errorf("scan for %s (flags %#x, batch %d rows %d bytes): returned a row that fails it: %#v",
						cd.text, specs[i].flags, specs[i].batchRows, specs[i].batchBytes, m))
				}
			}
			if cd.add == nil && len(seen) != rowCount {
				c.fail(t, fmt.Errorf("unfiltered scan (flags %#x, batch %d rows %d bytes) returned %d of the %d rows",
					specs[i].flags, specs[i].batchRows, specs[i].batchBytes, len(seen), rowCount))
			}
			scans++
			rowsBack += len(seen)
		}
		if err := c.checkSettled(1); err != nil {
			c.fail(t, err)
		}
		c.close()
	}
	if updates == 0 {
		t.Fatal("no update committed")
	}
	t.Logf("%d scans (%d rows) under %d committed updates", scans, rowsBack, updates)
}
