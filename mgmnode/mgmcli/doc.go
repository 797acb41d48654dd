// Package mgmcli is the command language of `gondb mgm`, the management
// client: it parses ndb_mgm's commands (SHOW, ALL STATUS, <id> STOP, ...),
// runs them through a client.Conn and prints the answers laid out as
// ndb_mgm prints them, so that people and scripts used to NDB read them
// unchanged.
//
// The formatting functions (WriteShow, WriteStatus, WriteMemoryUsage,
// WriteClusterLog, and the rolling restart's progress lines) take plain
// mgmapi values, so they are tested without a server. ALL RESTART of a
// cluster with NodeFailover is a rolling restart that the management
// server runs; the client follows it by polling Status (rolling.go).
//
// Threading: an Interpreter runs one command at a time.
//
// mgmcli imports mgmnode/client and mgmnode/mgmapi; never mgmnode/server
// or state (the client must not link etcd), datanode, sqlnode or ndbapi.
package mgmcli
