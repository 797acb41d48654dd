// Package mgmnode is the management node: config.ini parsing and validation, the embedded or external etcd that holds the cluster's durable state, the node registry, arbitration, the management API and backup orchestration. It is built by the management-node issue; this package holds no code yet.
//
// mgmnode never imports datanode internals or sqlnode.
package mgmnode
