// Package sqlnode is the MySQL-protocol SQL node: a go-mysql-server
// engine (pinned in go.mod) whose catalog is the cluster's dictionary and
// whose tables read and write through ndbapi.
//
//   - Provider/Database: the engine's catalog. SQL table db.t is the
//     dictionary table "db/t"; tables without a '/' are in DefaultDatabase.
//     Tables created by any SQL node or through ndbapi are visible at once
//     (the list is re-read when Cluster.DictionaryChanges moves, and a
//     name not in it is asked for by name).
//   - Table: the ndbcluster handler. Point lookups on the primary key or a
//     unique index become one batch of key reads; other ranges become
//     ordered index scans with bounds; the rest table scans. Writes are
//     batched in the session's NDB transaction.
//   - Session: one per connection, holding its Ndb and its NDB
//     transaction (sql.TransactionSession).
//   - Server: the MySQL wire server (New, Serve, Close).
//
// docs/sqlnode.md has the name, type, transaction and error mappings.
//
// # Threading
//
// Server, Provider and Table are safe for concurrent use; a Session's
// Ndb is used under the session's mutex only.
//
// sqlnode imports ndbapi, schema and ndberr from gondb (never datanode or
// mgmnode), and go-mysql-server with its vitess.
package sqlnode
