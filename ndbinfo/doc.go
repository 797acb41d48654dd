// Package ndbinfo is the catalog of gondb's monitoring tables, NDB's
// ndbinfo: each virtual table's fixed id, NDB's name, and its columns as
// schema.Column values, so that its rows use gondb's ordinary row image
// (schema.RowBuilder to encode, schema.Row to read) and pushed-down
// filters (schema/filter) work on them unchanged.
//
// The data nodes serve the tables (datanode/dbinfo gathers the rows of
// one node); the API reads them as a scan of a virtual table and merges
// the nodes' rows (ndbapi.Cluster.NdbInfo); docs/ndbinfo.md describes
// every table and column.
//
// Table ids are wire values in a range no dictionary table uses (IDBase
// + n): dictionary ids are below 2^23 and hidden unique-index tables have
// the top bit set. Numbers, names and column orders are never changed or
// reused; new columns are appended.
//
// # Concurrency
//
// The catalog is built once and immutable: Tables, ByName and ByID are
// safe for concurrent use. A RowWriter belongs to one goroutine.
//
// ndbinfo imports schema from gondb, and nothing from datanode, ndbapi,
// sqlnode or mgmnode.
package ndbinfo
