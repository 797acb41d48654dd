// Package nodeconfig derives a node's runtime configuration from the
// cluster's config.ini (package mgmnode/config): DataNode builds the
// datanode/node.Config of one data node.
//
// It exists because the two sides must not import each other: datanode/
// never imports mgmnode/ (the lint rule of internal/lint), and
// mgmnode/config imports only the standard library. cmd/gondb and tests
// import nodeconfig, which imports both. It holds no state and starts
// nothing.
//
// nodeconfig imports mgmnode/config, datanode/node, datanode/thread,
// signal and transport; never sqlnode or ndbapi.
package nodeconfig
