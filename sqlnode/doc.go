// Package sqlnode is the MySQL-protocol SQL node: it turns SQL into ndbapi operations and pushes conditions down to the data nodes. It is built by the SQL-node issue; this package holds no code yet.
//
// sqlnode talks to the cluster only through ndbapi.
package sqlnode
