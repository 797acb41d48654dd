// Package dih holds the distribution state (NDB's DBDIH role): for every
// table, how keys map to fragments (a partition.HashMap) and which data
// nodes hold each fragment's replicas, primary first. TC uses it to send an
// operation to its fragment's primary LQH and to give LQH the replica chain
// to forward writes along; the API uses the same state to start a
// transaction on the node holding the primary (distribution awareness).
//
// A Distribution is immutable: a change (a table created, a node failed,
// primaries moved, a reorganization) produces a new Distribution with a
// higher Version, published to readers as a whole. Readers never lock.
//
// dih imports partition, schema and signal; never the network or sqlnode.
package dih
