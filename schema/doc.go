// Package schema defines gondb's tables, columns and the row format that the
// API, the wire and the data node's storage share.
//
// # Row image
//
// A row travels and is stored as one byte image laid out by a table's Layout:
//
//		| fixed part                                                   | var part                          |
//		| key columns (PK order) | other fixed columns | null bitmap   | end offsets (4B each) | var data  |
//
//	  - Key columns come first, in primary-key order, so the key image of a row
//	    is simply its first KeySize bytes: the hash index compares and hashes it
//	    without decoding. A variable-size key column (VARCHAR, VARBINARY) sits in
//	    the fixed part as a 2-byte length and its maximum number of bytes,
//	    zero-padded, so that equal keys are equal bytes.
//	  - Fixed-size columns (integers, FLOAT, DOUBLE, DECIMAL, CHAR, BINARY, DATE,
//	    TIME, DATETIME, TIMESTAMP, BIT) follow at offsets fixed by the layout.
//	  - The null bitmap has one bit per nullable column (bit i of byte i/8).
//	  - The var part holds the non-key VARCHAR, VARBINARY, TEXT and BLOB columns:
//	    one little-endian uint32 end offset per var column, then their bytes in
//	    column order. A table without such columns has an empty var part.
//
// Integers, floats and temporal values are little-endian on every host; DECIMAL
// uses MySQL's binary format, whose byte order is part of the format. The data
// node stores the fixed part behind a small row header and the var part in
// variable-size memory, so an insert is a validated copy and a read is a copy.
//
// Column numbers are the positions in Table.Columns; a table has at most
// MaxColumns columns.
//
// schema imports nothing from gondb except ndberr.
package schema
