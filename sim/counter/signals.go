package counter

import "github.com/gondb/gondb/signal"

// Block ids of the sample protocol (on every node, instance 0).
const (
	BlockCounter signal.BlockID = 1
	BlockClient  signal.BlockID = 2
)

// Signal numbers. Wire values: explicit, never reused.
const (
	// GsnIncrReq: client -> its node's counter. Words: request id.
	GsnIncrReq signal.Number = 1
	// GsnIncrConf: counter -> client, the increment is durable on a
	// majority. Words: request id, sequence number (low, high 32 bits).
	GsnIncrConf signal.Number = 2
	// GsnIncrRef: counter -> client, refused (its queue is full). Words:
	// request id.
	GsnIncrRef signal.Number = 3
	// GsnState: counter -> counter, "these are my durable counts".
	// Words: node count. Section 0: one count per node of the cluster, in
	// Config.Nodes order, 8 bytes little-endian each.
	GsnState signal.Number = 4
	// GsnStopOrd: harness -> client, stop issuing increments.
	GsnStopOrd signal.Number = 5
)
