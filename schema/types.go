package schema

import "strconv"

// Type is a column type. The numbers are stored in the dictionary and sent on
// the wire: never renumber, never reuse.
type Type uint8

const (
	TypeTinyInt   Type = 1
	TypeSmallInt  Type = 2
	TypeMediumInt Type = 3
	TypeInt       Type = 4
	TypeBigInt    Type = 5
	TypeFloat     Type = 6
	TypeDouble    Type = 7
	TypeDecimal   Type = 8
	TypeChar      Type = 9
	TypeVarchar   Type = 10
	TypeBinary    Type = 11
	TypeVarbinary Type = 12
	TypeDate      Type = 13
	TypeTime      Type = 14
	TypeDatetime  Type = 15
	TypeTimestamp Type = 16
	TypeBit       Type = 17
	TypeText      Type = 18
	TypeBlob      Type = 19
)

var typeNames = [...]string{
	TypeTinyInt: "TINYINT", TypeSmallInt: "SMALLINT", TypeMediumInt: "MEDIUMINT",
	TypeInt: "INT", TypeBigInt: "BIGINT", TypeFloat: "FLOAT", TypeDouble: "DOUBLE",
	TypeDecimal: "DECIMAL", TypeChar: "CHAR", TypeVarchar: "VARCHAR", TypeBinary: "BINARY",
	TypeVarbinary: "VARBINARY", TypeDate: "DATE", TypeTime: "TIME", TypeDatetime: "DATETIME",
	TypeTimestamp: "TIMESTAMP", TypeBit: "BIT", TypeText: "TEXT", TypeBlob: "BLOB",
}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { return t >= TypeTinyInt && t <= TypeBlob }

// IsInteger reports whether t is TINYINT..BIGINT.
func (t Type) IsInteger() bool { return t >= TypeTinyInt && t <= TypeBigInt }

// IsString reports whether values of t are byte strings (character or binary).
func (t Type) IsString() bool {
	switch t {
	case TypeChar, TypeVarchar, TypeBinary, TypeVarbinary, TypeText, TypeBlob:
		return true
	}
	return false
}

// isVarSize reports whether values of t have variable length.
func (t Type) isVarSize() bool {
	switch t {
	case TypeVarchar, TypeVarbinary, TypeText, TypeBlob:
		return true
	}
	return false
}

// intSize is the byte width of an integer type.
func (t Type) intSize() int {
	switch t {
	case TypeTinyInt:
		return 1
	case TypeSmallInt:
		return 2
	case TypeMediumInt:
		return 3
	case TypeInt:
		return 4
	case TypeBigInt:
		return 8
	}
	return 0
}

// Charset is a character set. The numbers are MySQL's default collation ids of
// each set, stored in the dictionary: never renumber.
type Charset uint8

const (
	CharsetLatin1  Charset = 8
	CharsetBinary  Charset = 63
	CharsetUTF8MB4 Charset = 255
)

// MaxBytesPerChar is the most bytes one character takes in cs.
func (cs Charset) MaxBytesPerChar() int {
	if cs == CharsetUTF8MB4 {
		return 4
	}
	return 1
}

func (cs Charset) valid() bool {
	return cs == CharsetLatin1 || cs == CharsetBinary || cs == CharsetUTF8MB4
}

func (cs Charset) String() string {
	switch cs {
	case CharsetLatin1:
		return "latin1"
	case CharsetBinary:
		return "binary"
	case CharsetUTF8MB4:
		return "utf8mb4"
	}
	return "Charset(" + strconv.Itoa(int(cs)) + ")"
}

// Limits of the row format.
const (
	MaxColumns      = 512   // columns per table, as NDB's MaxNoOfAttributes per table
	MaxKeySize      = 3072  // bytes of a primary-key image
	MaxBitLength    = 64    // BIT(n)
	MaxVarcharBytes = 65535 // VARCHAR/VARBINARY maximum bytes
	MaxBlobBytes    = 65535 // TEXT/BLOB stored inline
	MaxCharLength   = 255   // CHAR(n)/BINARY(n)
)
