package sqlnode

import (
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/schema"
)

// Type mapping between the engine's column types and the storage's
// (docs/sqlnode.md has the table). A type storage cannot hold exactly is
// refused with ER_NOT_SUPPORTED_YET, never changed.

// columnFromSQL maps an engine column to a storage column.
func columnFromSQL(c *sql.Column) (schema.Column, error) {
	out := schema.Column{Name: c.Name, Nullable: c.Nullable}
	unsupported := func(why string) (schema.Column, error) {
		return schema.Column{}, errNotSupported("column %s %s: %s", c.Name, c.Type.String(), why)
	}
	if c.Generated != nil || c.Virtual {
		return unsupported("generated columns are not supported")
	}
	if c.OnUpdate != nil {
		return unsupported("ON UPDATE is not supported")
	}
	if c.Default != nil && !c.Default.IsLiteral() {
		return unsupported("only literal column defaults are supported (no expressions or functions)")
	}
	switch c.Type.Type() {
	case sqltypes.Int8, sqltypes.Uint8:
		out.Type = schema.TypeTinyInt
	case sqltypes.Int16, sqltypes.Uint16:
		out.Type = schema.TypeSmallInt
	case sqltypes.Int24, sqltypes.Uint24:
		out.Type = schema.TypeMediumInt
	case sqltypes.Int32, sqltypes.Uint32:
		out.Type = schema.TypeInt
	case sqltypes.Int64, sqltypes.Uint64:
		out.Type = schema.TypeBigInt
	case sqltypes.Float32:
		out.Type = schema.TypeFloat
	case sqltypes.Float64:
		out.Type = schema.TypeDouble
	case sqltypes.Decimal:
		dt, ok := c.Type.(sql.DecimalType)
		if !ok {
			return unsupported("unknown decimal type")
		}
		out.Type, out.Precision, out.Scale = schema.TypeDecimal, int(dt.Precision()), int(dt.Scale())
	case sqltypes.Char, sqltypes.VarChar, sqltypes.Text:
		st := c.Type.(sql.StringType)
		cs, err := charsetOf(st.Collation())
		if err != nil {
			return unsupported(err.Error())
		}
		out.Charset = cs
		switch c.Type.Type() {
		case sqltypes.Char:
			out.Type, out.Length = schema.TypeChar, int(st.MaxCharacterLength())
		case sqltypes.VarChar:
			out.Type, out.Length = schema.TypeVarchar, int(st.MaxCharacterLength())
		default:
			if st.MaxByteLength() > schema.MaxBlobBytes {
				return unsupported(fmt.Sprintf("TEXT columns hold at most %d bytes (MEDIUMTEXT and LONGTEXT need blob parts)", schema.MaxBlobBytes))
			}
			out.Type, out.Length = schema.TypeText, textLength(st.MaxByteLength())
		}
	case sqltypes.Binary:
		out.Type, out.Length = schema.TypeBinary, int(c.Type.(sql.StringType).MaxByteLength())
	case sqltypes.VarBinary:
		out.Type, out.Length = schema.TypeVarbinary, int(c.Type.(sql.StringType).MaxByteLength())
	case sqltypes.Blob:
		n := c.Type.(sql.StringType).MaxByteLength()
		if n > schema.MaxBlobBytes {
			return unsupported(fmt.Sprintf("BLOB columns hold at most %d bytes (MEDIUMBLOB and LONGBLOB need blob parts)", schema.MaxBlobBytes))
		}
		out.Type, out.Length = schema.TypeBlob, textLength(n)
	case sqltypes.Date:
		out.Type = schema.TypeDate
	case sqltypes.Datetime, sqltypes.Timestamp:
		if dt, ok := c.Type.(sql.DatetimeType); ok && dt.Precision() != 0 {
			return unsupported("fractional seconds need the dictionary to store the precision (not yet)")
		}
		out.Type = schema.TypeDatetime
		if c.Type.Type() == sqltypes.Timestamp {
			out.Type = schema.TypeTimestamp
		}
	case sqltypes.Time:
		out.Type = schema.TypeTime
	case sqltypes.Bit:
		out.Type, out.Length = schema.TypeBit, int(c.Type.(types.BitType).NumberOfBits())
	default:
		return unsupported("no storage type holds it exactly")
	}
	if out.Type.IsInteger() {
		out.Unsigned = !types.IsSigned(c.Type)
	}
	if (out.Type == schema.TypeFloat || out.Type == schema.TypeDouble || out.Type == schema.TypeDecimal) && isUnsignedNumber(c.Type) {
		return unsupported("UNSIGNED is only supported on integer types")
	}
	if c.AutoIncrement {
		if err := autoIncColumn(&out); err != nil {
			return schema.Column{}, err
		}
	}
	return out, nil
}

func isNullDefault(d *sql.ColumnDefaultValue) bool {
	return d != nil && d.IsLiteral() && d.String() == "NULL"
}

func isUnsignedNumber(t sql.Type) bool {
	return types.IsUnsigned(t)
}

// textLength is the storage length of a TEXT or BLOB of n bytes: 0 means
// schema.MaxBlobBytes.
func textLength(n int64) int {
	if n >= schema.MaxBlobBytes {
		return 0
	}
	return int(n)
}

// charsetOf maps a column collation to the storage charset. Storage
// compares binary with PAD SPACE, which is what the _bin collations do;
// case-insensitive collations need key normalization, which is not there
// yet. utf8mb4_0900_bin, the engine's default, is taken as utf8mb4_bin.
func charsetOf(c sql.CollationID) (schema.Charset, error) {
	switch c {
	case sql.Collation_utf8mb4_bin, sql.Collation_utf8mb4_0900_bin:
		return schema.CharsetUTF8MB4, nil
	case sql.Collation_latin1_bin:
		return schema.CharsetLatin1, nil
	case sql.Collation_binary:
		return schema.CharsetBinary, nil
	}
	return 0, fmt.Errorf("collation %s: only utf8mb4_bin, latin1_bin and binary are supported (case-insensitive collations come later)", c.Name())
}

func collationOf(cs schema.Charset) sql.CollationID {
	switch cs {
	case schema.CharsetLatin1:
		return sql.Collation_latin1_bin
	case schema.CharsetBinary:
		return sql.Collation_binary
	}
	return sql.Collation_utf8mb4_bin
}

// sqlType maps a storage column to the engine's type.
func sqlType(c *schema.Column) (sql.Type, error) {
	switch c.Type {
	case schema.TypeTinyInt:
		return pickInt(c.Unsigned, types.Int8, types.Uint8), nil
	case schema.TypeSmallInt:
		return pickInt(c.Unsigned, types.Int16, types.Uint16), nil
	case schema.TypeMediumInt:
		return pickInt(c.Unsigned, types.Int24, types.Uint24), nil
	case schema.TypeInt:
		return pickInt(c.Unsigned, types.Int32, types.Uint32), nil
	case schema.TypeBigInt:
		return pickInt(c.Unsigned, types.Int64, types.Uint64), nil
	case schema.TypeFloat:
		return types.Float32, nil
	case schema.TypeDouble:
		return types.Float64, nil
	case schema.TypeDecimal:
		return types.CreateDecimalType(uint8(c.Precision), uint8(c.Scale))
	case schema.TypeChar:
		return types.CreateString(sqltypes.Char, int64(c.Length), collationOf(c.Charset))
	case schema.TypeVarchar:
		return types.CreateString(sqltypes.VarChar, int64(c.Length), collationOf(c.Charset))
	case schema.TypeText:
		return types.CreateString(sqltypes.Text, int64(c.MaxBytes()), collationOf(c.Charset))
	case schema.TypeBinary:
		return types.CreateBinary(sqltypes.Binary, int64(c.Length))
	case schema.TypeVarbinary:
		return types.CreateBinary(sqltypes.VarBinary, int64(c.Length))
	case schema.TypeBlob:
		return types.CreateBinary(sqltypes.Blob, int64(c.MaxBytes()))
	case schema.TypeDate:
		return types.Date, nil
	case schema.TypeDatetime:
		return types.Datetime, nil
	case schema.TypeTimestamp:
		return types.Timestamp, nil
	case schema.TypeTime:
		return types.Time, nil
	case schema.TypeBit:
		return types.CreateBitType(uint8(c.Length))
	}
	return nil, fmt.Errorf("sqlnode: column %s: storage type %s has no SQL type", c.Name, c.Type)
}

func pickInt(unsigned bool, s, u sql.Type) sql.Type {
	if unsigned {
		return u
	}
	return s
}

// value reads column c of row r as the engine's value for its type.
func value(r schema.Row, c int) (any, error) {
	if r.IsNull(c) {
		return nil, nil
	}
	col := &r.L.Table.Columns[c]
	switch col.Type {
	case schema.TypeTinyInt:
		if col.Unsigned {
			return uint8(r.Uint64(c)), nil
		}
		return int8(r.Int64(c)), nil
	case schema.TypeSmallInt:
		if col.Unsigned {
			return uint16(r.Uint64(c)), nil
		}
		return int16(r.Int64(c)), nil
	case schema.TypeMediumInt, schema.TypeInt:
		if col.Unsigned {
			return uint32(r.Uint64(c)), nil
		}
		return int32(r.Int64(c)), nil
	case schema.TypeBigInt:
		if col.Unsigned {
			return r.Uint64(c), nil
		}
		return r.Int64(c), nil
	case schema.TypeFloat:
		return float32(r.Float64(c)), nil
	case schema.TypeDouble:
		return r.Float64(c), nil
	case schema.TypeDecimal:
		s, err := schema.DecimalString(r.Raw(c), col.Precision, col.Scale)
		if err != nil {
			return nil, err
		}
		return decimal.NewFromString(s)
	case schema.TypeChar, schema.TypeVarchar, schema.TypeText:
		return r.String(c), nil
	case schema.TypeBinary, schema.TypeVarbinary, schema.TypeBlob:
		return append([]byte(nil), r.Raw(c)...), nil
	case schema.TypeDate:
		y, m, d := schema.DecodeDate(r.Raw(c))
		if y == 0 && m == 0 && d == 0 {
			return types.ZeroTime, nil
		}
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
	case schema.TypeDatetime:
		p := schema.DecodeDatetime(r.Raw(c))
		if p.IsZero() {
			return types.ZeroTime, nil
		}
		return p.Time(), nil
	case schema.TypeTimestamp:
		v := schema.DecodeTimestamp(r.Raw(c))
		if v == 0 {
			return types.ZeroTime, nil
		}
		return schema.TimestampToTime(v).UTC(), nil
	case schema.TypeTime:
		return types.Time.MicrosecondsToTimespan(schema.DecodeTime(r.Raw(c))), nil
	case schema.TypeBit:
		return r.Uint64(c), nil
	}
	return nil, fmt.Errorf("sqlnode: column %s: cannot read type %s", col.Name, col.Type)
}

// setValue sets column c of rb from an engine value (already converted to
// the column's type by the engine). Values the storage cannot hold give
// MySQL's strict-mode errors.
func setValue(rb *schema.RowBuilder, c int, v any) error {
	col := &rb.Layout().Table.Columns[c]
	if v == nil {
		if err := rb.SetNull(c); err != nil {
			return sqlErr(1048, "23000", "Column '%s' cannot be null", col.Name)
		}
		return nil
	}
	var err error
	switch x := v.(type) {
	case int8:
		err = setInt(rb, c, int64(x))
	case int16:
		err = setInt(rb, c, int64(x))
	case int32:
		err = setInt(rb, c, int64(x))
	case int64:
		err = setInt(rb, c, x)
	case int:
		err = setInt(rb, c, int64(x))
	case uint8:
		err = rb.SetUint64(c, uint64(x))
	case uint16:
		err = rb.SetUint64(c, uint64(x))
	case uint32:
		err = rb.SetUint64(c, uint64(x))
	case uint64:
		err = rb.SetUint64(c, x)
	case uint:
		err = rb.SetUint64(c, uint64(x))
	case float32:
		err = rb.SetFloat64(c, float64(x))
	case float64:
		err = rb.SetFloat64(c, x)
	case decimal.Decimal:
		if col.Unsigned && x.Sign() < 0 {
			return valueError(col, v, nil)
		}
		err = rb.SetDecimal(c, x.StringFixed(int32(col.Scale)))
	case string:
		err = rb.SetString(c, x)
	case []byte:
		err = rb.SetBytes(c, x)
	case time.Time:
		err = setTime(rb, c, col, x)
	case types.Timespan:
		var buf [8]byte
		var enc []byte
		if enc, err = schema.AppendTime(buf[:0], x.AsMicroseconds()); err == nil {
			err = rb.SetRaw(c, enc)
		}
	default:
		return errNotSupported("column %s: value of Go type %T", col.Name, v)
	}
	if err != nil {
		return valueError(col, v, err)
	}
	return nil
}

func setInt(rb *schema.RowBuilder, c int, v int64) error {
	if rb.Layout().Table.Columns[c].Type == schema.TypeBit {
		if v < 0 {
			return fmt.Errorf("negative BIT value")
		}
		return rb.SetUint64(c, uint64(v))
	}
	return rb.SetInt64(c, v)
}

func setTime(rb *schema.RowBuilder, c int, col *schema.Column, t time.Time) error {
	var buf [8]byte
	var enc []byte
	var err error
	zero := t.Equal(types.ZeroTime) || t.IsZero()
	switch col.Type {
	case schema.TypeDate:
		if zero {
			enc, err = schema.AppendDate(buf[:0], 0, 0, 0)
		} else {
			enc, err = schema.AppendDate(buf[:0], t.Year(), int(t.Month()), t.Day())
		}
	case schema.TypeDatetime:
		var p schema.DatetimeParts
		if !zero {
			if p, err = schema.DatetimeFromTime(t); err != nil {
				return err
			}
		}
		enc, err = schema.AppendDatetime(buf[:0], p)
	case schema.TypeTimestamp:
		var us int64
		if !zero {
			if us, err = schema.TimestampFromTime(t); err != nil {
				return err
			}
		}
		enc, err = schema.AppendTimestamp(buf[:0], us)
	default:
		return fmt.Errorf("a time value for a %s column", col.Type)
	}
	if err != nil {
		return err
	}
	return rb.SetRaw(c, enc)
}

// valueError turns a row builder error into MySQL's strict-mode error:
// 1406 for strings that are too long, 1264 for numbers out of range.
func valueError(col *schema.Column, v any, err error) error {
	if col.Type.IsString() {
		return sqlErr(1406, "22001", "Data too long for column '%s' at row 1", col.Name)
	}
	switch v.(type) {
	case string, []byte:
		return sqlErr(1366, "HY000", "Incorrect %s value for column '%s': %v", col.Type, col.Name, err)
	}
	return sqlErr(1264, "22003", "Out of range value for column '%s' at row 1", col.Name)
}
