package ndbinfo

import (
	"fmt"
	"unicode/utf8"

	"github.com/gondb/gondb/schema"
)

// RowWriter encodes rows of one table from Go values. It is for the data
// node's monitoring path, not a hot path: each row costs a few small
// allocations. Not safe for concurrent use.
type RowWriter struct {
	t  *Table
	rb *schema.RowBuilder
}

// NewRowWriter returns a writer for rows of t.
func (t *Table) NewRowWriter() *RowWriter {
	return &RowWriter{t: t, rb: schema.NewRowBuilder(t.Layout)}
}

// Append encodes one row from vals, one per column in column order, and
// appends its image to dst. A value is nil (NULL), bool (0 or 1), any Go
// integer, float64, string or []byte. Strings longer than their column
// are cut at a character boundary (monitoring text is never refused for
// its length). A wrong count, type or range is an error (the caller's
// bug) and nothing is appended.
func (w *RowWriter) Append(dst []byte, vals ...any) ([]byte, error) {
	t := w.t
	if len(vals) != len(t.Columns) {
		return dst, fmt.Errorf("ndbinfo: table %s: %d values for %d columns", t.Name, len(vals), len(t.Columns))
	}
	w.rb.Reset()
	for c, v := range vals {
		if err := w.set(c, v); err != nil {
			return dst, fmt.Errorf("ndbinfo: table %s column %s: %w", t.Name, t.Columns[c].Name, err)
		}
	}
	return w.rb.AppendRow(dst), nil
}

func (w *RowWriter) set(c int, v any) error {
	rb := w.rb
	switch x := v.(type) {
	case nil:
		return rb.SetNull(c)
	case bool:
		var u uint64
		if x {
			u = 1
		}
		return rb.SetUint64(c, u)
	case int:
		return rb.SetInt64(c, int64(x))
	case int8:
		return rb.SetInt64(c, int64(x))
	case int16:
		return rb.SetInt64(c, int64(x))
	case int32:
		return rb.SetInt64(c, int64(x))
	case int64:
		return rb.SetInt64(c, x)
	case uint:
		return rb.SetUint64(c, uint64(x))
	case uint8:
		return rb.SetUint64(c, uint64(x))
	case uint16:
		return rb.SetUint64(c, uint64(x))
	case uint32:
		return rb.SetUint64(c, uint64(x))
	case uint64:
		return rb.SetUint64(c, x)
	case float64:
		return rb.SetFloat64(c, x)
	case string:
		return rb.SetString(c, clip(x, w.t.Columns[c].Length))
	case []byte:
		return rb.SetBytes(c, x)
	}
	return fmt.Errorf("unsupported Go type %T", v)
}

// clip cuts s to at most n characters, and invalid UTF-8 to its valid
// prefix (columns are utf8mb4).
func clip(s string, n int) string {
	chars := 0
	for i := 0; i < len(s); chars++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		if chars == n || (r == utf8.RuneError && size == 1) {
			return s[:i]
		}
		i += size
	}
	return s
}
