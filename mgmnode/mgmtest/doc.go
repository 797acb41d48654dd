// Package mgmtest starts management servers and fake nodes for tests, as
// net/http/httptest does for HTTP: an etcd (embedded, shared by a test
// binary, or the etcd binary as an external cluster), a configuration with
// data nodes, management servers listening on 127.0.0.1, and data nodes
// made of the client library that act on STOP, START and RESTART the way
// a data node reports them.
//
// It is for tests only (it imports testing). It imports mgmnode/config,
// state, server, client and mgmapi; never datanode, sqlnode or ndbapi.
package mgmtest
