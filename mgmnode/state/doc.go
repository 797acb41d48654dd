// Package state is the management node's durable state, kept in etcd: the
// cluster configuration, the node registry, node id allocation, the schema
// dictionary's durable copy, and the arbitrator's decisions.
//
// The etcd is either embedded (OpenEmbedded: a single-member etcd server
// under the mgmd's data directory, on 127.0.0.1) or external
// (OpenExternal: an existing etcd cluster). Several Stores, in one mgmd or
// in several mgmd processes, may share one etcd and see the same state:
// that is management-node HA. Every write that depends on what is stored
// is an etcd transaction comparing a revision, version or create revision,
// so there is no read-modify-write race between Stores.
//
// # Key layout
//
// Every key is under one prefix, "/gondb/<cluster-name>/" unless
// Options.Prefix says otherwise, so several clusters can share an etcd.
// Numbers in keys are zero-padded decimal (node ids 3 digits, table ids
// 10) so that key order is numeric order. Values are JSON except where
// noted; readers ignore fields they do not know.
//
//	| key (after the prefix)   | value                                               | lease                    |
//	| ------------------------ | --------------------------------------------------- | ------------------------ |
//	| config                   | config.ini text, verbatim; generation = key version | none                     |
//	| nodes/<id>               | NodeInfo: id, kind, host, state, startPhase,        | none                     |
//	|                          | heartbeat, pid, version                             |                          |
//	| nodeids/<id>             | holder: kind, host, since                           | one per held id (TTL =   |
//	|                          |                                                     | Options.NodeIDLeaseTTL)  |
//	| dict/nextid              | next table id, decimal text                         | none                     |
//	| dict/tables/<id>         | Table: id, name, version, def (base64)              | none                     |
//	| dict/names/<name>        | table id, decimal text (name index)                 | none                     |
//	| arbitration/round        | ArbitrationDecision of the last decided round       | none                     |
//	| arbitration/grant        | the same decision while its grant is held           | ArbitrationTimeout       |
//	| arbitration/view         | the last view arbitration grant (server/arbitration | none                     |
//	|                          | .go): generation, base, proposed, president, grants |                          |
//
// The configuration's generation is etcd's version of the config key (1
// at the first write, +1 each write), so PutConfig compares it directly.
// dict/tables/<id> and dict/names/<name> change together in one
// transaction, and dict/nextid with them at creation; table ids are never
// reused.
//
// # Node ids
//
// Data and management nodes have fixed ids from the config; API and SQL
// nodes may take any free [api] or [mysqld] slot (AllocateNodeID) or claim
// a fixed one (ClaimNodeID). A held id is a key under an etcd lease: the
// mgmd renews it on the node's heartbeats (RenewNodeID, from any mgmd), and
// when the node dies without releasing it the lease expires and the id is
// free again. The registry entry (nodes/<id>) is separate and durable; the
// mgmd marks a node NOT_CONNECTED when it notices it gone.
//
// # Arbitration
//
// See Store.Arbitrate: the first side to ask in a new round (ticket) wins,
// the decision is recorded in etcd so every mgmd gives the same answer,
// the grant is held as a lease of ArbitrationTimeout, and a round once
// decided is never decided again.
//
// # Watches
//
// WatchConfig, WatchNodes and WatchTables deliver changes made through any
// Store on the etcd. List first, then watch from the list's revision: no
// change is missed. A watch that fails (etcd compacted the revision, lost
// its leader, the Store closed) delivers one event with Err and closes.
//
// # Threading
//
// A Store is safe for concurrent use by any number of goroutines. Every
// method takes a context; when it has no deadline, Options.RequestTimeout
// bounds the call. Close ends watches and, for an embedded etcd, stops the
// server. etcd's own logging (server and client) goes to Options.Logger
// (slog) at warn level and up, less two warnings that do not apply to an
// embedded etcd on 127.0.0.1 and the noise etcd makes while being stopped.
//
// # Imports
//
// state holds plain values (config text, opaque table definitions) and
// never imports datanode, sqlnode, ndbapi or the rest of mgmnode; the
// config.ini parser and the management API build on it.
package state
