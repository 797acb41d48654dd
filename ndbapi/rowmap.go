package ndbapi

import (
	"fmt"

	"github.com/gondb/gondb/schema"
)

// RowMap returns row r as column name -> value, for tools: integers as
// int64 (uint64 when unsigned, and BIT), FLOAT and DOUBLE as float64,
// character columns as string, binary ones as []byte (copied), NULL as
// nil, other types (DECIMAL, temporal) as their encoded bytes. It
// allocates; use schema.Row's getters on hot paths.
func RowMap(l *schema.Layout, r schema.Row) map[string]any {
	m := make(map[string]any, len(l.Table.Columns))
	for c := range l.Table.Columns {
		col := &l.Table.Columns[c]
		if r.IsNull(c) {
			m[col.Name] = nil
			continue
		}
		switch col.Type {
		case schema.TypeTinyInt, schema.TypeSmallInt, schema.TypeMediumInt, schema.TypeInt, schema.TypeBigInt:
			if col.Unsigned {
				m[col.Name] = r.Uint64(c)
			} else {
				m[col.Name] = r.Int64(c)
			}
		case schema.TypeBit:
			m[col.Name] = r.Uint64(c)
		case schema.TypeFloat, schema.TypeDouble:
			m[col.Name] = r.Float64(c)
		case schema.TypeChar, schema.TypeVarchar, schema.TypeText:
			m[col.Name] = r.String(c)
		default:
			m[col.Name] = append([]byte(nil), r.Raw(c)...)
		}
	}
	return m
}

// SetMap sets rb's columns from column name -> value (after rb.Reset, for
// tools): integers (any Go integer type), float32/float64, string, []byte,
// nil (NULL). DECIMAL takes its text form as a string.
func SetMap(rb *schema.RowBuilder, m map[string]any) error {
	t := rb.Layout().Table
	for name, v := range m {
		c := t.Column(name)
		if c < 0 {
			return fmt.Errorf("ndbapi: table %s has no column %q", t.Name, name)
		}
		var err error
		switch x := v.(type) {
		case nil:
			err = rb.SetNull(c)
		case int:
			err = rb.SetInt64(c, int64(x))
		case int8:
			err = rb.SetInt64(c, int64(x))
		case int16:
			err = rb.SetInt64(c, int64(x))
		case int32:
			err = rb.SetInt64(c, int64(x))
		case int64:
			err = rb.SetInt64(c, x)
		case uint:
			err = rb.SetUint64(c, uint64(x))
		case uint8:
			err = rb.SetUint64(c, uint64(x))
		case uint16:
			err = rb.SetUint64(c, uint64(x))
		case uint32:
			err = rb.SetUint64(c, uint64(x))
		case uint64:
			err = rb.SetUint64(c, x)
		case float32:
			err = rb.SetFloat64(c, float64(x))
		case float64:
			err = rb.SetFloat64(c, x)
		case string:
			if t.Columns[c].Type == schema.TypeDecimal {
				err = rb.SetDecimal(c, x)
			} else {
				err = rb.SetString(c, x)
			}
		case []byte:
			err = rb.SetBytes(c, x)
		default:
			err = fmt.Errorf("unsupported Go type %T", v)
		}
		if err != nil {
			return fmt.Errorf("ndbapi: column %s: %w", name, err)
		}
	}
	return nil
}
