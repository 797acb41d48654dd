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
//     batched in the session's NDB transaction. AUTO_INCREMENT values
//     come from ndbapi's cluster-wide counters (autoinc.go); what only SQL
//     needs about a table (its AUTO_INCREMENT column, defaults) is kept in
//     a hidden dictionary table (meta.go).
//   - Pushdown (pushdown.go, rules.go): WHERE conditions the data nodes
//     evaluate exactly become the scan's filter program (schema/filter);
//     LIMIT bounds the scan's batches. The engine's priority exec builder
//     (explain.go) rewrites each plan before it runs, and prints EXPLAIN
//     with the pushed conditions.
//   - The ndbinfo database (ndbinfo.go): the ndbinfo catalog's monitoring
//     tables, read-only, read with Cluster.NdbInfo with WHERE pushed down
//     as InfoOptions.Filter (the same pushdown as ordinary scans); writes
//     and DDL are refused with ER_OPEN_AS_READONLY (1036).
//   - Fast path (fastpath.go): point SELECTs, key IN lists and single-row
//     INSERT/UPDATE/DELETE by key run in front of the engine from cached
//     plans.
//   - Session: one per connection, holding its Ndb and its NDB
//     transaction (sql.TransactionSession).
//   - Users and privileges (users.go): the engine's grant tables
//     (mysql_db), stored cluster-wide in the hidden table
//     mysql/gondb_privileges and reloaded when another SQL node changes
//     them (checked at each connection's authentication and every
//     Config.PrivilegePollInterval); the first SQL node of a new cluster
//     creates 'root'@'%'. The fast path checks privileges too.
//   - Server: the MySQL wire server (New, Serve, Close), with TLS when
//     given a certificate.
//
// docs/sqlnode.md has the name, type, transaction and error mappings,
// what is pushed and the fast path's shapes.
//
// # Threading
//
// Server, Provider, Table and InfoTable are safe for concurrent use; a Session's
// Ndb is used under the session's mutex only; the fast path's per-session
// scratch belongs to the connection's goroutine.
//
// sqlnode imports ndbapi, ndbinfo, schema, schema/filter and ndberr from
// gondb (never datanode or mgmnode), and go-mysql-server with its vitess.
package sqlnode
