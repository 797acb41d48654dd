// Package gossip is a data node's member of the data nodes' gossip
// cluster (github.com/hashicorp/memberlist, SWIM with Lifeguard): a second
// opinion on data node failures beside QMGR's direct heartbeats
// (datanode/qmgr).
//
// A Member is named by its data node id (decimal), bound to
// Config.BindAddr:Config.BindPort (port 0: an ephemeral port; Addr and Port
// tell the one bound), and joins the other data nodes' members at the
// seeds it is given. Memberlist probes one member per ProbeInterval (UDP
// ping, then ping requests through IndirectChecks other members and a TCP
// ping), takes a member that answers none for suspect, and declares it
// dead when the suspicion is not refuted within the suspicion time-out;
// a member that says goodbye (Leave) is left. Config.OnEvent hears each
// change: Alive (joined, or back), Dead, Left.
//
// # Timings from HeartbeatIntervalDbDb
//
// ConfigFor derives memberlist's timings from the data nodes' heartbeat
// interval HB, so that gossip declares a crashed node dead well before
// QMGR's MissedHeartbeats (4) silent intervals do:
//
//	ProbeInterval    HB / 4 (at least 200 ms)   every member probed about once per HB
//	ProbeTimeout     ProbeInterval / 2 (>= 100 ms)  memberlist's LAN ratio (500 ms of 1 s)
//	SuspicionMult    4                           suspect for 4 x max(1, log10 N) x ProbeInterval: HB up to 10 nodes
//	GossipInterval   ProbeInterval / 5 (>= 20 ms)   memberlist's LAN ratio (200 ms of 1 s)
//	PushPullInterval 6 x HB                      30 s at NDB's 5 s, memberlist's LAN value
//	TCPTimeout       2 x HB                      10 s at 5 s, memberlist's LAN value
//	RejoinInterval   2 x HB                      seeds not alive are joined again
//
// A crashed node is dead to gossip about 1.25 to 1.5 HB after the crash
// (a probe within about a ProbeInterval, its time-out and the indirect
// probes, then the suspicion time-out; Config.DeadAfter), 6 to 7.5 s at
// NDB's 5 s, where the heartbeat rule takes 4 to 5 HB, 20 to 25 s. The
// floors keep short test intervals from making gossip trigger-happy on a
// loaded machine: with HB below about 300 ms gossip (1 to 1.2 s) is no
// faster than heartbeats.
//
// # Threading
//
// Create starts memberlist's goroutines and one of the Member's own, which
// joins the seeds (again every RejoinInterval while some are not alive
// members). OnEvent runs on memberlist's goroutines, with memberlist's
// locks held: it must not block and must not call the Member. Every
// method is safe for concurrent use. Shutdown stops everything; a member
// shut down without Leave looks crashed to the others.
//
// Packets that are not a gondb member's (another Label, garbage) are
// dropped by memberlist and logged; memberlist's log lines go to the
// Config.Logger (log/slog) at their level.
//
// gossip imports signal (node ids) from gondb, and memberlist.
package gossip
