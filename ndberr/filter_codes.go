package ndberr

// Scan filter errors (schema/filter). The data node checks a pushed-down
// filter program whole before the scan starts; every failure is a bad
// request from the API, so all of them are permanent application errors.
var (
	// NDB's own codes, with NDB's messages.

	// ErrFilterTooLarge: the program is over filter.MaxProgramBytes or has
	// more than filter.MaxNodes nodes.
	ErrFilterTooLarge = def(874, ClassApplication, "Too much attrinfo (e.g. scan filter) for scan in tuple manager")
	// ErrFilterTooDeep: groups nested deeper than filter.MaxDepth.
	ErrFilterTooDeep = def(884, ClassApplication, "Stack overflow in interpreter")
	// ErrFilterUnsupportedType: the condition does not apply to the column's
	// type (LIKE on a number, a bit test on a string, columns that cannot be
	// compared with each other).
	ErrFilterUnsupportedType = def(892, ClassApplication, "Unsupported type in scan filter")
	// ErrFilterBadOperator: unknown opcode, group, comparison or bit test.
	ErrFilterBadOperator = def(4260, ClassApplication, "NdbScanFilter: Operator is not defined in NdbScanFilter::Group")

	// gondb-only codes.

	// ErrFilterVersion: the program's format version is not supported.
	ErrFilterVersion = def(9260, ClassApplication, "Scan filter program version not supported")
	// ErrFilterMalformed: truncated, trailing bytes, empty or unbalanced
	// groups, no condition, more than one top-level condition.
	ErrFilterMalformed = def(9261, ClassApplication, "Scan filter program is malformed")
	// ErrFilterBadConstant: a constant's size or value does not fit its
	// column's type.
	ErrFilterBadConstant = def(9262, ClassApplication, "Scan filter constant does not match its column type")
	// ErrFilterBadPattern: a LIKE pattern ends in a lone escape character or
	// is not valid UTF-8 for a utf8mb4 column.
	ErrFilterBadPattern = def(9263, ClassApplication, "Scan filter LIKE pattern is malformed")
)
