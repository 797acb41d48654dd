// Package server is the management server, `gondb mgmd`: it serves the
// management API (mgmapi) over gRPC on top of the cluster state in etcd
// (mgmnode/state).
//
// # What it owns
//
//   - The configuration: InstallConfig stores config.ini in etcd at the
//     first start (or with --initial) and every later start uses the
//     stored generation; the server watches it and tells subscribed nodes
//     when it changes.
//   - Node ids: AllocNodeID claims a fixed id or allocates a free slot of
//     the node's type open to the host the connection comes from; the id
//     is an etcd lease that the node's heartbeats renew, through any
//     management server.
//   - Node liveness and status: nodes report their status; a node whose
//     lease expired is marked NOT_CONNECTED in the registry by whichever
//     server notices first. The status a node shows combines the
//     registry with whether its id is held (see Status).
//   - Commands: STOP, START and RESTART go to the node's subscription,
//     on this server or, forwarded, on another management server of the
//     config; with a wait, the server follows the registry until the node
//     reached the command's goal. RESTART of every data node with
//     NodeFailover on is a rolling restart (rolling.go), which the server
//     runs on a goroutine of its own, one node at a time, and reports in
//     Status.
//   - The cluster log: a ring of recent events (node status changes,
//     connects and disconnects, commands, configuration generations,
//     arbitration), built on every server from the etcd watches, so two
//     servers of one cluster log the same node events.
//
// # High availability
//
// Several servers may share one etcd (external, or one server's embedded
// etcd): each has its own [ndb_mgmd] node id and sees the same
// configuration, registry, leases, dictionary and the data nodes'
// arbitration grants (arbitration.go: one grant per view, by an etcd
// compare-and-swap, so any server answers the same). What is not in etcd is
// per server: node subscriptions, the figures nodes report in heartbeats
// (memory, president, transporter port) and the cluster log ring. A
// server asks the others of the config (HostName:PortNumber of their
// [ndb_mgmd] sections) for their figures when it answers Status, and
// forwards a command to them when the target node is subscribed there.
//
// # Status mapping
//
// state.NodeState has no NOT_STARTED. Until it does, a node that holds its
// id and is not starting, started or stopping is stored as NOT_CONNECTED,
// and shown as NOT_STARTED while its id is held, NOT_CONNECTED once not.
//
// # Threading
//
// A Server is safe for concurrent use; gRPC calls run on gRPC's
// goroutines. It runs three goroutines of its own (liveness, registry
// watch, configuration watch), and one while a rolling restart runs, all
// ended by Stop. The Store is the caller's:
// open it before Start, close it after Stop.
//
// # Imports
//
// server imports mgmnode/config, mgmnode/state and mgmnode/mgmapi; never
// datanode, sqlnode or ndbapi.
package server
