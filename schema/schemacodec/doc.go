// Package schemacodec encodes a schema.Table as the dictionary stores it:
// a versioned, explicit little-endian binary image that the management
// node keeps (opaque) in etcd and that data nodes, API nodes and SQL nodes
// decode.
//
// # Layout (versions 1 and 2)
//
//	| magic "GTBL" (4B) | version (1B) | table flags (1B) | reserved 0 (2B) |
//	| id (4B) | table version (4B) | name (2B length + bytes) |
//	| column count (2B) | columns ... |
//	| primary key count (2B) | column numbers (2B each) |
//	| distribution key count (2B) | column numbers (2B each) |
//	| index count (2B) | indexes ... |
//	| CRC-32C of everything before (4B) |
//
// A column is: name (2B length + bytes), type (1B), column flags (1B: bit 0
// unsigned, bit 1 nullable), charset (1B), reserved 0 (1B), length (4B),
// precision (2B), scale (2B). An index is: name (2B length + bytes), kind
// (1B: 1 ordered, 2 unique hash, and from version 2 on 3 for the place of
// a dropped index), column count (2B), column numbers (2B each). The
// encoder writes version 1 unless the table has a dropped index's place,
// so images of tables that never lost an index are unchanged. Table flags: bit 0
// ReadBackup, bit 1 FullyReplicated. Every integer is little-endian; names
// are UTF-8 of at most MaxNameBytes. docs/formats.md ("Table definition")
// has the same table.
//
// Decode checks structure only (lengths, counts against schema's limits,
// reserved bits, the checksum, no trailing bytes); whether the table makes
// sense is schema.NewLayout's question.
//
// schemacodec imports schema only.
package schemacodec
