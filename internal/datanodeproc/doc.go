// Package datanodeproc is a data node process: the glue between the
// management node's client library (mgmnode/client) and a data node's
// runtime (datanode/node). `gondb datanode` runs one Proc; `gondb demo`
// runs several in one process.
//
// # What a Proc does
//
// Join connects to the management servers of a connect string, takes the
// node id (fixed or a free [ndbd] slot), fetches config.ini and checks that
// a node.Config can be derived from it (internal/nodeconfig), and starts
// the node's HTTP server (/metrics, /health; internal/nodehttp) when asked.
// Run then starts the runtime through the start phases and acts on the
// management server's commands until its context ends:
//
//	phase 0  STARTING: the addresses of the data nodes this node dials are
//	         known (a ServerPort of 0 is learnt from the port the node
//	         published in its heartbeats, as NDB's dynamic ports)
//	phase 1  DataMemory allocated, blocks running on their threads,
//	         transporter listening (node.Start)
//	phase 2  the transporter's port published in a heartbeat
//	phase 3  the other data nodes' transporters connected (see below)
//	phase 4  every block thread answered (the first node.Stats)
//	         STARTED
//
// Phase 3 waits, in a cluster start (no other data node is STARTED), for
// every data node of the configuration, and after StartPartialTimeout for
// at least one node of every node group; in a node restart (another data
// node is STARTED) only for the data nodes that are STARTING or STARTED.
// With NodeFailover, a node restart then waits, still in phase 3, until
// the president has copied the node's replicas from the live ones
// (datanode/restart); its progress is logged and sent in the heartbeats.
//
// Commands: STOP reports STOPPING, stops the runtime (its memory is freed)
// and reports NOT_STARTED while the process stays joined, as NDB's angel
// process does; START starts it again with fresh, empty memory (node
// recovery and durability come with later issues); RESTART is STOP then
// START (-n: stay NOT_STARTED; -i: initial, which has nothing on disk to
// discard yet). A new configuration generation is used at the next start.
// When Run's context ends the runtime is stopped and the node id released.
//
// With NodeFailover the runtime also runs a gossip member (datanode/node's
// Membership.Gossip, datanode/gossip) on the node's HostName and
// GossipPort (0: an ephemeral port), a second opinion for QMGR's failure
// detection. Other data nodes' configured HostName:GossipPort are its
// seeds; ephemeral ones need none, since data nodes tell each other their
// gossip addresses over their transporters. A planned stop (STOP,
// RESTART, the end of Run) leaves the gossip cluster before the runtime
// stops, so the other nodes fail this one at its first missed heartbeat.
//
// While it runs, a Proc samples node.Stats every StatsInterval: the memory
// usage (node.MemoryUsage, the rows of ndbinfo.memoryusage) goes into the
// heartbeats (ALL REPORT MEMORYUSAGE) and the counters and the TC's latency
// histograms into the gondb_* metrics (docs/metrics.md). While it starts,
// the heartbeats also carry the GCI its disk can restore, which the data
// nodes of a system restart agree on (restart.go).
//
// # Threading
//
// Join and Run are called once, Run from one goroutine; a start runs on a
// goroutine of Run's so that STOP and the end of the context interrupt it.
// ID, HTTPAddr and State are safe from any goroutine.
//
// # Imports
//
// datanodeproc imports datanode/node, datanode/qmgr, datanode/restart, datanode/tc and datanode/thread, mgmnode/client,
// mgmnode/config and mgmnode/mgmapi, internal/nodeconfig, internal/nodehttp
// and transport. It lives under internal/ because datanode/ must not import
// mgmnode/ (internal/lint). Nothing under datanode/ or mgmnode/ imports it.
package datanodeproc
