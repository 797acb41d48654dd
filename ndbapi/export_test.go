package ndbapi

import "github.com/gondb/gondb/signal"

// TakenOverAt is when the API last heard that data node n's TC was taken
// over (TC_TAKEOVERREP), in Unix nanoseconds; 0: never.
func (c *Cluster) TakenOverAt(n signal.NodeID) int64 { return c.takenOver[n].Load() }
