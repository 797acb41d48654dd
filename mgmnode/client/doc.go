// Package client is the management API's client library, used by every
// node kind and by `gondb mgm`: it connects to the management servers of
// an NDB-style connect string ("host:1186,host2:1186", 1186 the default
// port), moving to the next one when the current one cannot be reached.
//
// # Two levels
//
// Conn is a connection for calls that speak for nobody: Status, Command
// (Stop, Start, Restart), Shutdown, ClusterLog, FetchConfig and Config,
// SetConfig, Arbitrate. The management client uses it as it is.
//
// Node is a data, SQL or API node joined to the cluster (Join): it holds a
// node id (a fixed one, --ndb-nodeid or the connect string's nodeid=, or a
// free slot of its type), has the parsed configuration (*config.Config),
// reports its status (ReportState: NOT_STARTED, STARTING with a start
// phase, STARTED, STOPPING), heartbeats in the background with the figures
// of SetHeartbeatInfo (memory usage, president, transporter port), and
// delivers commands (STOP, START, RESTART) and configuration changes on
// Events. A data node's main loop is, in outline:
//
//	n, err := client.Join(ctx, connectString, client.NodeOptions{Type: mgmapi.TypeData, NodeID: id})
//	cfg, _ := n.Config()
//	n.ReportState(ctx, mgmapi.StatusStarting, 1) // ... each start phase
//	n.ReportState(ctx, mgmapi.StatusStarted, 0)
//	for ev := range n.Events() {
//		switch ev.Type {
//		case client.EventCommand: // ev.Command.Name: STOP, START, RESTART
//		case client.EventConfig: // ev.Config, ev.Generation
//		case client.EventLost: // ev.Err: the node id is gone; stop
//		}
//	}
//
// # Failover
//
// A call that finds its server unreachable (or stopping) is tried on the
// next server of the connect string; the first that answers becomes
// current. A Node's subscription moves the same way and, after moving,
// the node reports its status again. If heartbeats could not reach any
// server for longer than the node id's lease, the id is claimed again
// under the same number; if another process took it meanwhile the node
// gets EventLost.
//
// # Threading
//
// Conn and Node are safe for concurrent use. A Node runs two goroutines
// (heartbeat, subscription) until Close.
//
// # Imports
//
// client imports mgmnode/mgmapi and mgmnode/config; never mgmnode/state or
// server (no etcd in a node's binary through this package), datanode,
// sqlnode or ndbapi. datanode may not import mgmnode (internal/lint), so
// the data node's process glue that uses this package lives in cmd/gondb
// or a package the lint rules allow.
package client
